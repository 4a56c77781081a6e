// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "../../../contracts/interfaces/IParticipantRegistry.sol";
import {IWarehouseReceipts} from "../../../contracts/interfaces/IWarehouseReceipts.sol";
import {ReceiptsFixture} from "./ReceiptsFixture.sol";
import {StandingSubscriberHelpers} from "./StandingSubscriberChecks.sol";

/// @notice What the unit suites of {WarehouseReceipts} share: the consortium of {ReceiptsFixture} on the
/// registry's standing feed, the events they expect, and the helpers that build receipts and refusals.
/// Each feature has its own suite (WarehouseReceipts.<feature>.t.sol).
abstract contract WarehouseReceiptsBase is ReceiptsFixture, StandingSubscriberHelpers {
    function setUp() public override {
        super.setUp();
        _onStandingFeed(registry, wr, admin, supplier, outsider, IParticipantRegistry.Role.Warehouse);
    }

    event Transfer(address indexed from, address indexed to, uint256 indexed id);
    event Approval(address indexed owner, address indexed account, uint256 indexed id);
    event ApprovalForAll(address indexed owner, address indexed operator, bool isApproved);

    uint64 internal constant Q = 300_000; // 300.000 t of aluminium, in kg with 3 decimals

    uint8 internal constant _WAREHOUSE = uint8(IParticipantRegistry.Role.Warehouse);
    uint8 internal constant _LENDER = uint8(IParticipantRegistry.Role.Lender);
    uint8 internal constant _CORE = uint8(IParticipantRegistry.Role.CoreEnterprise);
    uint8 internal constant _SUPPLIER = uint8(IParticipantRegistry.Role.Supplier);
    uint8 internal constant _INSPECTOR = uint8(IParticipantRegistry.Role.Inspector);
    uint8 internal constant _AUDITOR = uint8(IParticipantRegistry.Role.Auditor);
    uint8 internal constant _REGULATOR = uint8(IParticipantRegistry.Role.Regulator);

    function _err(bytes4 selector, uint256 id) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id);
    }

    function _suspended(address account) internal view returns (bytes memory) {
        return abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, account, uint64(_now()));
    }

    function _notMember(address account) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, account);
    }

    function _wrongRole(address account, uint8 role, uint8 required) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IParticipantRegistry.WrongRole.selector, account, role, required);
    }

    function _lotFrozen(bytes32 lotId) internal view returns (bytes memory) {
        return abi.encodeWithSelector(IWarehouseReceipts.LotIsFrozen.selector, lotId, warehouse);
    }

    function _pledged(uint256 id, address lienholder) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IWarehouseReceipts.ReceiptPledged.selector, id, lienholder);
    }

    function _pending(uint256 id, address lender_) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IWarehouseReceipts.PledgePending.selector, id, lender_);
    }

    /// @dev Receipts 1, 2, 3 of LOT (100k each), all held by the supplier.
    function _threeParts() internal returns (uint256[] memory ids) {
        uint256 id = _receipt(Q);
        _split(supplier, id, _q(100_000, 100_000, 100_000));
        ids = _ids(1, 2, 3);
    }

    function _serializedReceipt(uint256 n) internal returns (uint256 id, bytes32[] memory items) {
        items = _serials(1000, n);
        _attest(LOT, Q);
        id = _mintSerialized(supplier, LOT, Q, items);
    }

    function _freeze(uint256 id) internal {
        vm.prank(regulator);
        wr.freezeReceipt(id, "court order");
    }

    function _requestDelivery(address owner, uint256 id, uint64 quantity) internal {
        vm.prank(owner);
        wr.requestDelivery(id, quantity);
    }

    function _setExpiryDay(uint256 id, uint256 day) internal {
        uint96 data = _receiptData(id);
        // forge-lint: disable-next-line(unsafe-typecast) -- day < 2**16
        data = (data & ~(uint96(0xFFFF) << 48)) | (uint96(uint16(day)) << 48);
        _setReceiptData(id, data);
    }

    /// Neither receipt of a frozen lot can be pledged, accepted, moved, split, merged or delivered.
    function _assertLotLocked(uint256 a, uint256 b) internal {
        bytes memory frozen = _lotFrozen(LOT);
        uint64 maturity = uint64(block.timestamp + 90 days);
        uint64 quantityB = wr.receipt(b).quantity;
        vm.startPrank(supplier);
        vm.expectRevert(frozen);
        wr.requestPledge(a, lender, 1, "CNY", bytes32(0), maturity);
        vm.expectRevert(frozen);
        wr.transferFrom(supplier, supplier2, b);
        vm.expectRevert(frozen);
        wr.safeTransferFrom(supplier, supplier2, b);
        vm.expectRevert(frozen);
        wr.split(b, _q(1, quantityB - 1));
        vm.expectRevert(frozen);
        wr.merge(a, b, new bytes32[](0), new bytes32[](0));
        vm.expectRevert(frozen);
        wr.requestDelivery(a, 1);
        vm.stopPrank();
    }

    function _serial(uint256 bit) internal pure returns (bytes32) {
        return bytes32(0x5e00 + bit);
    }

    function _fromMask(uint64 mask) internal pure returns (bytes32[] memory items) {
        uint256 n = 0;
        for (uint256 b = 0; b < 64; ++b) {
            if ((uint256(mask) >> b) & 1 != 0) ++n;
        }
        items = new bytes32[](n);
        uint256 j = 0;
        for (uint256 b = 0; b < 64; ++b) {
            if ((uint256(mask) >> b) & 1 != 0) items[j++] = _serial(b);
        }
    }

    function _standing(IParticipantRegistry.Role role, IParticipantRegistry.Status status)
        internal
        view
        returns (IParticipantRegistry.Standing memory)
    {
        return IParticipantRegistry.Standing(role, status, uint40(validUntil), uint40(_now()));
    }

    /// @dev Receipt A of LOT held by the supplier, receipt B of LOT2 held by supplier2.
    function _twoHolders() internal returns (uint256 a, uint256 b) {
        a = _receipt(Q);
        _attest(LOT2, Q);
        b = _mint(supplier2, LOT2, Q);
    }

    /// @dev The supplier, whose standing the caller just spoiled, can neither send A, nor receive B,
    /// nor pledge A, nor be minted to, nor approve; each refusal is `reason`, decided from the mirror.
    function _assertSupplierRefusedLocally(uint256 a, uint256 b, bytes memory reason) internal {
        _expectNoRegistryChecks();
        vm.expectRevert(reason);
        vm.prank(supplier);
        wr.transferFrom(supplier, supplier2, a);
        vm.expectRevert(reason);
        vm.prank(supplier2);
        wr.transferFrom(supplier2, supplier, b);
        vm.expectRevert(reason);
        vm.prank(supplier);
        wr.requestPledge(a, lender, 1, CNY, LOAN, uint64(_now() + 30 days));
        vm.expectRevert(reason);
        vm.prank(supplier);
        wr.setApprovalForAll(supplier2, true);
        _attest(keccak256("another lot"), Q);
        vm.expectRevert(reason);
        vm.prank(warehouse);
        wr.mint(supplier, keccak256("another lot"), AL, Q, 0, DETAILS);
        vm.assertEq(wr.ownerOf(a), supplier);
        vm.assertEq(wr.ownerOf(b), supplier2);
    }

    function _lienSlot(uint256 id) internal pure returns (bytes32) {
        return keccak256(abi.encode(id, uint256(5))); // `_liens` is slot 5 (forge inspect storageLayout)
    }
}
