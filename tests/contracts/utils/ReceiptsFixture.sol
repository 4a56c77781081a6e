// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ParticipantRegistry} from "../../../contracts/ParticipantRegistry.sol";
import {WarehouseReceipts} from "../../../contracts/WarehouseReceipts.sol";
import {IParticipantRegistry} from "../../../contracts/interfaces/IParticipantRegistry.sol";
import {IWarehouseReceipts} from "../../../contracts/interfaces/IWarehouseReceipts.sol";
import {Test} from "./Test.sol";

/// @notice A consortium with two warehouses, two banks, two suppliers, a core enterprise, an
/// inspector, an auditor and a regulator, and the warehouse receipts contract on top of it; plus the
/// helpers the receipt suites share.
abstract contract ReceiptsFixture is Test {
    ParticipantRegistry internal registry;
    WarehouseReceipts internal wr;

    address internal admin = address(0xA11CE);
    address internal warehouse = address(0x1001);
    address internal warehouse2 = address(0x1011);
    address internal lender = address(0x1002);
    address internal lender2 = address(0x1012);
    address internal core = address(0x1003);
    address internal supplier = address(0x1004);
    address internal supplier2 = address(0x1014);
    address internal inspector = address(0x1005);
    address internal auditor = address(0x1006);
    address internal regulator = address(0x1007);
    address internal outsider = address(0xBAD);

    uint64 internal constant T0 = 1_790_000_000; // 2026-09-21 13:33:20 UTC, not a day boundary
    uint64 internal constant MAX_QUANTITY = (1 << 48) - 1;
    uint64 internal constant DEFAULT_MAX_AGE = 30 days;
    uint64 internal constant DEFAULT_GRACE = 7 days;

    bytes32 internal constant LOT = keccak256("QD-BONDED/AL-A00/BATCH-0001");
    bytes32 internal constant LOT2 = keccak256("QD-BONDED/AL-A00/BATCH-0002");
    bytes16 internal constant AL = "AL-A00";
    bytes16 internal constant CU = "CU-CATH";
    bytes8 internal constant KG = "kg";
    bytes8 internal constant TONNE = "t";
    uint8 internal constant DECIMALS = 3;
    bytes32 internal constant EVIDENCE = keccak256("iot-scale-log + vision report");
    bytes32 internal constant DETAILS = keccak256("grade A00, bay 7, report #1");
    bytes3 internal constant CNY = "CNY";
    bytes32 internal constant LOAN = keccak256("loan agreement 2026-0917");

    uint64 internal validUntil;

    /// @dev Solady ERC-721 seed, upper four bytes: see {_ownershipSlot}.
    bytes4 private constant _SEED_HIGH = 0x7d882553;

    function setUp() public virtual {
        vm.warp(T0);
        validUntil = T0 + 20 * 365 days;
        registry = new ParticipantRegistry(admin, 2 days);
        wr = new WarehouseReceipts(IParticipantRegistry(address(registry)));
        vm.startPrank(admin);
        // Subscribed before anyone is admitted, as `ledgerhouse deploy` does: every member is mirrored.
        registry.addSubscriber(address(wr));
        _admitWarehouse(warehouse, "Qingdao Bonded Logistics Warehouse");
        _admitWarehouse(warehouse2, "Dezhou Metals Warehouse");
        _admit(lender, IParticipantRegistry.Role.Lender, "Bank One");
        _admit(lender2, IParticipantRegistry.Role.Lender, "Bank Two");
        _admit(core, IParticipantRegistry.Role.CoreEnterprise, "Core Co");
        _admit(supplier, IParticipantRegistry.Role.Supplier, "Supplier One");
        _admit(supplier2, IParticipantRegistry.Role.Supplier, "Supplier Two");
        _admit(inspector, IParticipantRegistry.Role.Inspector, "Inspector");
        _admit(auditor, IParticipantRegistry.Role.Auditor, "Auditor");
        _admit(regulator, IParticipantRegistry.Role.Regulator, "Regulator");
        vm.stopPrank();
        vm.label(address(wr), "WarehouseReceipts");
        vm.label(address(registry), "ParticipantRegistry");
    }

    function _admit(address account, IParticipantRegistry.Role role, string memory name) internal {
        registry.admit(account, uint8(role), keccak256(bytes(name)), name, validUntil);
    }

    function _admitWarehouse(address account, string memory name) internal {
        registry.admitWarehouse(
            account,
            keccak256(bytes(name)),
            name,
            validUntil,
            IParticipantRegistry.WarehouseAdmission(keccak256("licence"), 10, 100_000)
        );
    }

    // ------------------------------------------------------------ time

    function _now() internal view returns (uint256) {
        return vm.getBlockTimestamp();
    }

    function _skip(uint256 secondsForward) internal {
        vm.warp(vm.getBlockTimestamp() + secondsForward);
    }

    // ------------------------------------------------------------ actions

    function _attest(bytes32 lotId, uint64 quantity) internal {
        _attestAt(warehouse, lotId, AL, quantity);
    }

    function _attestAt(address wh, bytes32 lotId, bytes16 commodity, uint64 quantity) internal {
        vm.prank(inspector);
        wr.recordStocktake(wh, lotId, commodity, KG, DECIMALS, quantity, EVIDENCE, new uint256[](0));
    }

    function _stocktake(bytes32 lotId, uint64 quantity, uint256[] memory live) internal {
        vm.prank(inspector);
        wr.recordStocktake(warehouse, lotId, AL, KG, DECIMALS, quantity, EVIDENCE, live);
    }

    function _mint(address to, bytes32 lotId, uint64 quantity) internal returns (uint256) {
        vm.prank(warehouse);
        return wr.mint(to, lotId, AL, quantity, 0, DETAILS);
    }

    /// @dev Attests LOT for `quantity` and issues it whole to the supplier.
    function _receipt(uint64 quantity) internal returns (uint256) {
        _attest(LOT, quantity);
        return _mint(supplier, LOT, quantity);
    }

    function _mintSerialized(address to, bytes32 lotId, uint64 quantity, bytes32[] memory items)
        internal
        returns (uint256)
    {
        vm.prank(warehouse);
        return wr.mintSerialized(to, lotId, AL, quantity, 0, DETAILS, items);
    }

    function _split(address owner, uint256 id, uint64[] memory quantities) internal returns (uint256) {
        vm.prank(owner);
        return wr.split(id, quantities);
    }

    function _requestPledge(address owner, uint256 id, address lender_) internal returns (uint48) {
        uint64 maturity = uint64(_now() + 90 days);
        vm.prank(owner);
        return wr.requestPledge(id, lender_, 100_000_000, CNY, LOAN, maturity);
    }

    /// @dev Owner requests, lender accepts; loan maturity in 90 days.
    function _pledge(address owner, uint256 id, address lender_) internal returns (uint48 seq) {
        seq = _requestPledge(owner, id, lender_);
        vm.prank(lender_);
        wr.acceptPledge(id, seq);
    }

    function _deliver(address owner, uint256 id, uint64 quantity) internal {
        vm.prank(owner);
        wr.requestDelivery(id, quantity);
        vm.prank(wr.receipt(id).warehouse);
        wr.confirmDelivery(id, new bytes32[](0));
    }

    function _freezeLot(bytes32 lotId, uint64 found) internal {
        IWarehouseReceipts.Lot memory l = wr.lot(lotId);
        _stocktake(lotId, found, _liveIds(l.liveReceipts));
    }

    /// @dev Ids 1..n when a test issued nothing else (the usual case for one-lot tests).
    function _liveIds(uint256 n) internal view returns (uint256[] memory ids) {
        // Walk the id space; tests keep it small.
        (,,, uint256 next) = wr.parameters();
        ids = new uint256[](n);
        uint256 k = 0;
        for (uint256 id = 1; id < next && k < n; ++id) {
            try wr.receipt(id) returns (IWarehouseReceipts.Receipt memory) {
                ids[k++] = id;
            } catch {}
        }
        require(k == n, "fixture: fewer live receipts than expected");
    }

    function _suspend(address account) internal {
        vm.prank(admin);
        registry.suspend(account, "fixture");
    }

    /// @dev Lets `account`'s KYC lapse (one second from now) and moves past it; returns the lapsed date.
    function _expireKyc(address account) internal returns (uint64 until) {
        until = uint64(_now() + 1);
        vm.prank(admin);
        registry.renewKyc(account, until);
        _skip(2);
    }

    // ------------------------------------------------------------ array builders

    function _q(uint64 a, uint64 b) internal pure returns (uint64[] memory q) {
        q = new uint64[](2);
        (q[0], q[1]) = (a, b);
    }

    function _q(uint64 a, uint64 b, uint64 c) internal pure returns (uint64[] memory q) {
        q = new uint64[](3);
        (q[0], q[1], q[2]) = (a, b, c);
    }

    function _ids(uint256 a) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](1);
        ids[0] = a;
    }

    function _ids(uint256 a, uint256 b) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](2);
        (ids[0], ids[1]) = (a, b);
    }

    function _ids(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory ids) {
        ids = new uint256[](3);
        (ids[0], ids[1], ids[2]) = (a, b, c);
    }

    /// @dev `n` strictly ascending serial commitments starting at `first`, step 1.
    function _serials(uint256 first, uint256 n) internal pure returns (bytes32[] memory items) {
        items = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            items[i] = bytes32(first + i);
        }
    }

    function _hash(bytes32[] memory items) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(items));
    }

    // ------------------------------------------------------------ storage (for states the ABI cannot reach)

    /// @dev Solady ERC-721 ownership slot of `id`: owner in the low 160 bits, receipt data above.
    function _ownershipSlot(uint256 id) internal pure returns (bytes32) {
        // forge-lint: disable-next-line(unsafe-typecast) -- the high 224 bits of the id, as Solady hashes them
        uint256 h = uint256(keccak256(abi.encodePacked(uint224(id >> 32), _SEED_HIGH)));
        unchecked {
            return bytes32(h + id + id);
        }
    }

    function _receiptData(uint256 id) internal view returns (uint96) {
        // forge-lint: disable-next-line(unsafe-typecast) -- the upper 96 bits of the slot
        return uint96(uint256(vm.load(address(wr), _ownershipSlot(id))) >> 160);
    }

    function _setReceiptData(uint256 id, uint96 data) internal {
        bytes32 slot = _ownershipSlot(id);
        uint256 packed = uint256(vm.load(address(wr), slot));
        packed = (packed & type(uint160).max) | (uint256(data) << 160);
        vm.store(address(wr), slot, bytes32(packed));
    }
}
