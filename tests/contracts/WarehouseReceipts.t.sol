// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {ERC721} from "solady/src/tokens/ERC721.sol";
import {WarehouseReceipts} from "../../contracts/WarehouseReceipts.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IStandingSubscriber} from "../../contracts/interfaces/IStandingSubscriber.sol";
import {IWarehouseReceipts} from "../../contracts/interfaces/IWarehouseReceipts.sol";
import {ReceiptsFixture} from "./utils/ReceiptsFixture.sol";
import {StandingSubscriberChecks} from "./utils/StandingSubscriberChecks.sol";

/// @notice Unit and fuzz tests of {WarehouseReceipts}: every external function, every revert path.
contract WarehouseReceiptsTest is ReceiptsFixture, StandingSubscriberChecks {
    function setUp() public override {
        super.setUp();
        _onStandingFeed(registry, wr, admin, supplier, outsider, IParticipantRegistry.Role.Warehouse);
    }

    event Transfer(address indexed from, address indexed to, uint256 indexed id);
    event Approval(address indexed owner, address indexed account, uint256 indexed id);
    event ApprovalForAll(address indexed owner, address indexed operator, bool isApproved);

    uint64 internal constant Q = 300_000; // 300.000 t of aluminium, in kg with 3 decimals

    uint8 private constant _WAREHOUSE = uint8(IParticipantRegistry.Role.Warehouse);
    uint8 private constant _LENDER = uint8(IParticipantRegistry.Role.Lender);
    uint8 private constant _CORE = uint8(IParticipantRegistry.Role.CoreEnterprise);
    uint8 private constant _SUPPLIER = uint8(IParticipantRegistry.Role.Supplier);
    uint8 private constant _INSPECTOR = uint8(IParticipantRegistry.Role.Inspector);
    uint8 private constant _AUDITOR = uint8(IParticipantRegistry.Role.Auditor);
    uint8 private constant _REGULATOR = uint8(IParticipantRegistry.Role.Regulator);

    // ================================================================ helpers

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

    // ================================================================ deployment and reads

    function test_constructor_setsDefaultsAndRegistry() public view {
        (uint64 maxAge, uint64 grace, bool paused, uint256 next) = wr.parameters();
        vm.assertEq(maxAge, 30 days);
        vm.assertEq(grace, 7 days);
        vm.assertFalse(paused);
        vm.assertEq(next, 1);
        vm.assertEq(wr.registry(), address(registry));
        vm.assertEq(wr.VERSION(), "1.0.0");
        vm.assertEq(wr.name(), "Ledgerhouse Warehouse Receipt");
        vm.assertEq(wr.symbol(), "LHWR");
        vm.assertTrue(wr.supportsInterface(0x80ac58cd), "ERC-721");
        vm.assertTrue(wr.supportsInterface(0x5b5e139f), "ERC-721 metadata");
    }

    function test_reads_unknownIdsAreEmpty() public {
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.lotId, bytes32(0));
        vm.assertEq(l.warehouse, address(0));
        IWarehouseReceipts.Lien memory li = wr.lien(7);
        vm.assertEq(li.lender, address(0));
        vm.assertEq(uint256(li.state), uint256(IWarehouseReceipts.LienState.None));
        vm.assertEq(wr.itemsRoot(7), bytes32(0));
        vm.assertEq(wr.serialLot(bytes32(uint256(7))), bytes32(0));
        vm.assertEq(wr.deliveryRequest(7), 0);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, 7));
        wr.receipt(7);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, 7));
        wr.tokenURI(7);
    }

    function test_tokenURI_isEmptyForLiveReceipt() public {
        uint256 id = _receipt(Q);
        vm.assertEq(wr.tokenURI(id), "");
    }

    /// The fixture's storage helpers must agree with the contract before any test relies on them.
    function test_storageLayout_receiptDataSharesTheOwnershipSlot() public {
        uint256 id = _receipt(Q);
        bytes32 raw = vm.load(address(wr), _ownershipSlot(id));
        vm.assertEq(address(uint160(uint256(raw))), supplier);
        uint96 data = _receiptData(id);
        vm.assertEq(data & MAX_QUANTITY, Q);
        vm.assertEq((data >> 64) & ((1 << 28) - 1), 1, "lot index");
        bytes32 config = vm.load(address(wr), bytes32(0));
        vm.assertEq(uint256(config) & type(uint64).max, 2, "next receipt id");
        vm.assertEq((uint256(config) >> 64) & type(uint32).max, 1, "lot count");
    }

    // ================================================================ recordStocktake

    function test_recordStocktake_registersLotAndEmits() public {
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.StocktakeRecorded(LOT, warehouse, inspector, AL, KG, DECIMALS, Q, 0, EVIDENCE);
        _attest(LOT, Q);

        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.lotId, LOT);
        vm.assertEq(l.warehouse, warehouse);
        vm.assertEq(bytes32(l.commodity), bytes32(AL));
        vm.assertEq(bytes32(l.unit), bytes32(KG));
        vm.assertEq(l.decimals, DECIMALS);
        vm.assertEq(l.attested, Q);
        vm.assertEq(l.receipted, 0);
        vm.assertEq(l.lastStocktakeAt, T0);
        vm.assertFalse(l.frozen);
        vm.assertEq(l.liveReceipts, 0);
    }

    function test_recordStocktake_recountUpdatesAttestedAndTime() public {
        _attest(LOT, Q);
        _skip(3 days);
        _attest(LOT, 250_000);
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.attested, 250_000);
        vm.assertEq(l.lastStocktakeAt, T0 + 3 days);
    }

    function test_recordStocktake_recountOfReceiptedLotReportsReceipted() public {
        _receipt(200_000);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.StocktakeRecorded(LOT, warehouse, inspector, AL, KG, DECIMALS, 200_000, 200_000, EVIDENCE);
        _attest(LOT, 200_000); // exactly covering: no freeze, no list needed
        vm.assertFalse(wr.lot(LOT).frozen);
    }

    function test_recordStocktake_redescribesAndMovesUnreceiptedLot() public {
        _attest(LOT, Q);
        vm.prank(inspector);
        wr.recordStocktake(warehouse2, LOT, CU, TONNE, 0, 42, EVIDENCE, new uint256[](0));
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.warehouse, warehouse2);
        vm.assertEq(bytes32(l.commodity), bytes32(CU));
        vm.assertEq(bytes32(l.unit), bytes32(TONNE));
        vm.assertEq(l.decimals, 0);
        vm.assertEq(l.attested, 42);
    }

    function test_recordStocktake_zeroCountRegistersEmptyLot() public {
        _attest(LOT, 0);
        vm.assertEq(wr.lot(LOT).lotId, LOT);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.InsufficientStockCover.selector, LOT, 0, 0, 1));
        _mint(supplier, LOT, 1);
    }

    function test_RevertWhen_stocktakeByNonInspector() public {
        uint256[] memory none = new uint256[](0);
        vm.expectRevert(_wrongRole(warehouse, _WAREHOUSE, _INSPECTOR));
        vm.prank(warehouse);
        wr.recordStocktake(warehouse, LOT, AL, KG, DECIMALS, Q, EVIDENCE, none);

        vm.expectRevert(_wrongRole(auditor, _AUDITOR, _INSPECTOR));
        vm.prank(auditor);
        wr.recordStocktake(warehouse, LOT, AL, KG, DECIMALS, Q, EVIDENCE, none);

        vm.expectRevert(_notMember(outsider));
        vm.prank(outsider);
        wr.recordStocktake(warehouse, LOT, AL, KG, DECIMALS, Q, EVIDENCE, none);
    }

    function test_RevertWhen_stocktakeBySuspendedInspector() public {
        _suspend(inspector);
        vm.expectRevert(_suspended(inspector));
        _attest(LOT, Q);
    }

    function test_RevertWhen_stocktakeByKycExpiredInspector() public {
        uint64 until = _expireKyc(inspector);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.MemberKycExpired.selector, inspector, until));
        _attest(LOT, Q);
    }

    function test_RevertWhen_stocktakeAtNonWarehouse() public {
        vm.expectRevert(_wrongRole(supplier, _SUPPLIER, _WAREHOUSE));
        _attestAt(supplier, LOT, AL, Q);
        vm.expectRevert(_notMember(outsider));
        _attestAt(outsider, LOT, AL, Q);
    }

    function test_RevertWhen_stocktakeAtSuspendedWarehouse() public {
        _suspend(warehouse);
        vm.expectRevert(_suspended(warehouse));
        _attest(LOT, Q);
    }

    function test_RevertWhen_stocktakeQuantityOutOfRange() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IWarehouseReceipts.QuantityOutOfRange.selector, uint256(MAX_QUANTITY) + 1, MAX_QUANTITY
            )
        );
        _attest(LOT, MAX_QUANTITY + 1);
        _attest(LOT, MAX_QUANTITY); // the largest count fits
        vm.assertEq(wr.lot(LOT).attested, MAX_QUANTITY);
    }

    function test_RevertWhen_stocktakeMovesReceiptedLot() public {
        _receipt(Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LotAtOtherWarehouse.selector, LOT, warehouse));
        _attestAt(warehouse2, LOT, AL, Q);
    }

    function test_RevertWhen_stocktakeRedescribesReceiptedLot() public {
        _receipt(Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.CommodityMismatch.selector, LOT, AL, CU));
        _attestAt(warehouse, LOT, CU, Q);

        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.UnitMismatch.selector, LOT, KG, TONNE));
        vm.prank(inspector);
        wr.recordStocktake(warehouse, LOT, AL, TONNE, DECIMALS, Q, EVIDENCE, new uint256[](0));

        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.UnitMismatch.selector, LOT, KG, KG));
        vm.prank(inspector);
        wr.recordStocktake(warehouse, LOT, AL, KG, DECIMALS + 1, Q, EVIDENCE, new uint256[](0));
    }

    function test_recordStocktake_shortfallFreezesLotAndNamesEveryActiveLender() public {
        uint256[] memory ids = _threeParts();
        vm.prank(supplier);
        wr.transferFrom(supplier, supplier2, 3);
        _pledge(supplier, 1, lender); // active lien
        _requestPledge(supplier, 2, lender2); // only requested: not exposed yet
        _pledge(supplier2, 3, lender2); // active lien

        address[] memory lenders = new address[](2);
        (lenders[0], lenders[1]) = (lender, lender2);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.StockShortfall(LOT, warehouse, inspector, 250_000, Q, 50_000, lenders, _ids(1, 3));
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.StocktakeRecorded(LOT, warehouse, inspector, AL, KG, DECIMALS, 250_000, Q, EVIDENCE);
        _stocktake(LOT, 250_000, ids);

        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertTrue(l.frozen);
        vm.assertEq(l.attested, 250_000);
        vm.assertEq(l.receipted, Q);
        vm.assertTrue(wr.receipt(2).frozen, "receipt view reports the lot freeze");
    }

    function test_recordStocktake_shortfallWithoutLiensNamesNobody() public {
        uint256 id = _receipt(Q);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.StockShortfall(LOT, warehouse, inspector, 0, Q, Q, new address[](0), new uint256[](0));
        _stocktake(LOT, 0, _ids(id));
        vm.assertTrue(wr.lot(LOT).frozen);
    }

    function test_recordStocktake_repeatedShortfallKeepsLotFrozen() public {
        uint256 id = _receipt(Q);
        _stocktake(LOT, 100, _ids(id));
        _stocktake(LOT, 200, _ids(id));
        vm.assertTrue(wr.lot(LOT).frozen);
        vm.assertEq(wr.lot(LOT).attested, 200);
    }

    /// Issue 15, item 1: the list of live receipts is a hint for the alert, never a condition of the
    /// freeze. Every wrong list (what a holder's same-block split or merge makes of the inspector's
    /// list) used to revert the stocktake with LiveReceiptListIncomplete and leave the lot unfrozen.
    function test_recordStocktake_shortfallFreezesWhateverTheListSays() public {
        _threeParts(); // 1, 2, 3
        // 3 is split again and merged back: id 4 existed and is burned
        _split(supplier, 3, _q(50_000, 50_000));
        vm.prank(supplier);
        wr.merge(3, 4, new bytes32[](0), new bytes32[](0));
        _attest(LOT2, 10);
        uint256 other = _mint(supplier, LOT2, 10); // 5, of another lot
        vm.assertEq(other, 5);
        vm.assertEq(wr.lot(LOT).liveReceipts, 3);
        _pledge(supplier, 2, lender); // the one exposed lender

        uint256[][8] memory bad = [
            new uint256[](0), // none listed
            _ids(1, 3), // one missing
            _ids(1, 3, 2), // not ascending: 2 comes after 3, so is skipped
            _ids(2, 2, 3), // repeated
            _ids(2, 3, 4), // 4 was burned
            _ids(1, 2, 5), // 5 is of another lot
            _ids(0, 1, 2), // id 0 never exists
            _ids(1, 2, 99) // never minted
        ];
        // Listed ids that are live receipts of the lot with an active lien, in ascending order, are
        // named; the rest are skipped (and the lienholders are then read from state, the lot frozen).
        bool[8] memory namesLender = [false, false, false, true, true, true, true, true];
        uint256 snapshot = vm.snapshotState();
        for (uint256 i = 0; i < bad.length; ++i) {
            address[] memory lenders = new address[](namesLender[i] ? 1 : 0);
            uint256[] memory pledged = new uint256[](namesLender[i] ? 1 : 0);
            if (namesLender[i]) (lenders[0], pledged[0]) = (lender, 2);
            vm.expectEmit(true, true, true, true, address(wr));
            emit IWarehouseReceipts.StockShortfall(LOT, warehouse, inspector, 1, Q, Q - 1, lenders, pledged);
            _stocktake(LOT, 1, bad[i]);
            vm.assertTrue(wr.lot(LOT).frozen, "frozen whatever the list");
            vm.revertToState(snapshot);
        }
        uint256[] memory tooLong = new uint256[](257);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.TooMany.selector, 257, 256));
        _stocktake(LOT, 1, tooLong);
    }

    /// Issue 15, item 1: the holder's split, ordered before the inspector's stocktake, no longer
    /// makes it revert; every receipt of the lot, old and new, is then locked.
    function test_recordStocktake_frontRunningSplitCannotDodgeTheFreeze() public {
        uint256 id = _receipt(Q); // 1
        uint256[] memory listed = _ids(id); // what the inspector's SDK saw
        uint256 first = _split(supplier, id, _q(100_000, 200_000)); // the holder's front-run: 2
        _stocktake(LOT, 100_000, listed);
        vm.assertTrue(wr.lot(LOT).frozen);
        _assertLotLocked(id, first);
    }

    /// The same with a merge ordered first: the listed id 2 is gone.
    function test_recordStocktake_frontRunningMergeCannotDodgeTheFreeze() public {
        _threeParts();
        uint256[] memory listed = _ids(1, 2, 3);
        vm.prank(supplier);
        wr.merge(1, 2, new bytes32[](0), new bytes32[](0));
        _stocktake(LOT, 1, listed);
        vm.assertTrue(wr.lot(LOT).frozen);
        _assertLotLocked(1, 3);
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

    function test_recordStocktake_coveringCountUnfreezesLot() public {
        uint256 id = _receipt(Q);
        _stocktake(LOT, Q - 1, _ids(id));
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.LotUnfrozen(LOT, warehouse, inspector);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.StocktakeRecorded(LOT, warehouse, inspector, AL, KG, DECIMALS, Q, Q, EVIDENCE);
        _attest(LOT, Q);
        vm.assertFalse(wr.lot(LOT).frozen);
        vm.assertFalse(wr.receipt(id).frozen);
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id); // movable again
    }

    /// Receipt data keeps the lot index in 28 bits, so lot number 2**28 would be recorded as lot 0
    /// and its receipts would point at no lot. Getting there takes 268 million lots: the lot count
    /// is set in storage instead.
    function test_RevertWhen_lotIndexExceedsPackedWidth() public {
        uint256 maxLotIndex = (1 << 28) - 1;
        bytes32 config = vm.load(address(wr), bytes32(0));
        config = bytes32((uint256(config) & ~(uint256(type(uint32).max) << 64)) | ((maxLotIndex - 1) << 64));
        vm.store(address(wr), bytes32(0), config);

        _attest(LOT, Q); // lot index 2**28 - 1, the last that fits
        uint256 id = _mint(supplier, LOT, Q);
        vm.assertEq(wr.receipt(id).lotId, LOT);
        vm.assertEq(wr.receipt(id).warehouse, warehouse);

        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.TooMany.selector, maxLotIndex + 1, maxLotIndex));
        _attest(LOT2, Q);
    }

    // ================================================================ mint

    function test_mint_issuesReceiptToActiveMember() public {
        _attest(LOT, Q);
        vm.expectEmit(true, true, true, true, address(wr));
        emit Transfer(address(0), supplier, 1);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.ReceiptMinted(1, LOT, warehouse, supplier, 250_000, 0, DETAILS, bytes32(0));
        vm.prank(warehouse);
        uint256 id = wr.mint(supplier, LOT, AL, 250_000, 0, DETAILS);

        vm.assertEq(id, 1);
        IWarehouseReceipts.Receipt memory r = wr.receipt(id);
        vm.assertEq(r.owner, supplier);
        vm.assertEq(r.warehouse, warehouse);
        vm.assertEq(r.lotId, LOT);
        vm.assertEq(r.quantity, 250_000);
        vm.assertEq(r.expiresAt, 0);
        vm.assertFalse(r.pledgeLocked);
        vm.assertFalse(r.frozen);
        vm.assertFalse(r.deliveryRequested);
        vm.assertFalse(r.serialized);
        vm.assertEq(wr.ownerOf(id), supplier);
        vm.assertEq(wr.balanceOf(supplier), 1);
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.receipted, 250_000);
        vm.assertEq(l.liveReceipts, 1);
        vm.assertEq(l.attested, Q);
        (,,, uint256 next) = wr.parameters();
        vm.assertEq(next, 2);
        vm.assertEq(wr.itemsRoot(id), bytes32(0));
    }

    function test_multicall_mintsSeveralReceiptsInOneTransaction() public {
        _attest(LOT, 1000);
        _attest(LOT2, 2000);
        bytes[] memory calls = new bytes[](2);
        calls[0] = abi.encodeCall(wr.mint, (supplier, LOT, AL, 1000, 0, DETAILS));
        calls[1] = abi.encodeCall(wr.mint, (supplier2, LOT2, AL, 2000, 0, DETAILS));
        vm.prank(warehouse);
        bytes[] memory results = wr.multicall(calls);
        (uint256 first) = abi.decode(results[0], (uint256));
        (uint256 second) = abi.decode(results[1], (uint256));
        vm.assertEq(wr.ownerOf(first), supplier);
        vm.assertEq(wr.ownerOf(second), supplier2);
        vm.assertEq(second, first + 1);
    }

    function test_RevertWhen_multicallHasOneBadMint() public {
        _attest(LOT, 1000);
        bytes[] memory calls = new bytes[](2);
        calls[0] = abi.encodeCall(wr.mint, (supplier, LOT, AL, 1000, 0, DETAILS));
        calls[1] = abi.encodeCall(wr.mint, (supplier, LOT2, AL, 1, 0, DETAILS)); // never attested
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LotNotAttested.selector, LOT2));
        vm.prank(warehouse);
        wr.multicall(calls);
        vm.assertEq(wr.lot(LOT).receipted, 0, "the whole batch reverts");
    }

    function test_RevertWhen_multicallMintsAsNonWarehouse() public {
        _attest(LOT, 1000);
        bytes[] memory calls = new bytes[](1);
        calls[0] = abi.encodeCall(wr.mint, (supplier, LOT, AL, 1000, 0, DETAILS));
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                supplier,
                uint8(IParticipantRegistry.Role.Supplier),
                uint8(IParticipantRegistry.Role.Warehouse)
            )
        );
        vm.prank(supplier); // delegatecall keeps the real caller: no privilege through the batch
        wr.multicall(calls);
    }

    function test_mint_idsCountUpAcrossLots() public {
        _attest(LOT, Q);
        _attestAt(warehouse2, LOT2, CU, 5);
        vm.assertEq(_mint(supplier, LOT, Q), 1);
        vm.prank(warehouse2);
        vm.assertEq(wr.mint(core, LOT2, CU, 5, 0, DETAILS), 2);
        vm.assertEq(wr.receipt(2).warehouse, warehouse2);
        vm.assertEq(wr.receipt(2).owner, core);
    }

    function test_RevertWhen_mintByNonWarehouse() public {
        _attest(LOT, Q);
        vm.expectRevert(_wrongRole(supplier, _SUPPLIER, _WAREHOUSE));
        vm.prank(supplier);
        wr.mint(supplier, LOT, AL, Q, 0, DETAILS);
        vm.expectRevert(_wrongRole(inspector, _INSPECTOR, _WAREHOUSE));
        vm.prank(inspector);
        wr.mint(supplier, LOT, AL, Q, 0, DETAILS);
        vm.expectRevert(_notMember(outsider));
        vm.prank(outsider);
        wr.mint(supplier, LOT, AL, Q, 0, DETAILS);
    }

    function test_RevertWhen_mintBySuspendedWarehouse() public {
        _attest(LOT, Q);
        _suspend(warehouse);
        vm.expectRevert(_suspended(warehouse));
        _mint(supplier, LOT, Q);
    }

    function test_RevertWhen_mintByKycExpiredWarehouse() public {
        _attest(LOT, Q);
        uint64 until = _expireKyc(warehouse);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.MemberKycExpired.selector, warehouse, until));
        _mint(supplier, LOT, Q);
    }

    function test_RevertWhen_mintByRevokedWarehouse() public {
        _attest(LOT, Q);
        vm.prank(admin);
        registry.revoke(warehouse, "licence withdrawn");
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberRevoked.selector, warehouse, uint64(_now()))
        );
        _mint(supplier, LOT, Q);
    }

    function test_RevertWhen_mintToNonMember() public {
        _attest(LOT, Q);
        vm.expectRevert(_notMember(outsider));
        _mint(outsider, LOT, Q);
        vm.expectRevert(_notMember(address(0)));
        _mint(address(0), LOT, Q);
    }

    function test_RevertWhen_mintToSuspendedMember() public {
        _attest(LOT, Q);
        _suspend(supplier);
        vm.expectRevert(_suspended(supplier));
        _mint(supplier, LOT, Q);
    }

    function test_RevertWhen_mintToKycExpiredMember() public {
        _attest(LOT, Q);
        uint64 until = _expireKyc(supplier);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.MemberKycExpired.selector, supplier, until));
        _mint(supplier, LOT, Q);
    }

    function test_RevertWhen_mintUnattestedLot() public {
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LotNotAttested.selector, LOT));
        _mint(supplier, LOT, Q);
    }

    function test_RevertWhen_mintLotAtOtherWarehouse() public {
        _attest(LOT, Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LotAtOtherWarehouse.selector, LOT, warehouse));
        vm.prank(warehouse2);
        wr.mint(supplier, LOT, AL, Q, 0, DETAILS);
    }

    function test_RevertWhen_mintOnStaleStocktake() public {
        _attest(LOT, Q);
        _skip(30 days + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.StocktakeTooOld.selector, LOT, T0, DEFAULT_MAX_AGE)
        );
        _mint(supplier, LOT, Q);
    }

    function test_mint_atExactlyMaxStocktakeAge() public {
        _attest(LOT, Q);
        _skip(30 days);
        vm.assertEq(_mint(supplier, LOT, Q), 1);
    }

    function test_mint_freshStocktakeAfterStaleOne() public {
        _attest(LOT, Q);
        _skip(40 days);
        _attest(LOT, Q);
        vm.assertEq(_mint(supplier, LOT, Q), 1);
    }

    function test_RevertWhen_mintCommodityMismatch() public {
        _attest(LOT, Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.CommodityMismatch.selector, LOT, AL, CU));
        vm.prank(warehouse);
        wr.mint(supplier, LOT, CU, Q, 0, DETAILS);
    }

    function test_RevertWhen_mintQuantityOutOfRange() public {
        _attest(LOT, MAX_QUANTITY);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.QuantityOutOfRange.selector, 0, MAX_QUANTITY));
        _mint(supplier, LOT, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IWarehouseReceipts.QuantityOutOfRange.selector, uint256(MAX_QUANTITY) + 1, MAX_QUANTITY
            )
        );
        _mint(supplier, LOT, MAX_QUANTITY + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IWarehouseReceipts.QuantityOutOfRange.selector, type(uint64).max, MAX_QUANTITY
            )
        );
        _mint(supplier, LOT, type(uint64).max);
        uint256 id = _mint(supplier, LOT, MAX_QUANTITY); // 2**48 - 1 fits
        vm.assertEq(wr.receipt(id).quantity, MAX_QUANTITY);
    }

    function test_RevertWhen_mintAboveAttestedQuantity() public {
        _attest(LOT, Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.InsufficientStockCover.selector, LOT, Q, 0, Q + 1));
        _mint(supplier, LOT, Q + 1);
    }

    /// Qingdao: the same metal pledged again and again. A second and a third receipt on a lot with a
    /// live receipt are refused, by the same warehouse, by another warehouse, and after a recount.
    function test_RevertWhen_secondReceiptOnSameLot_QingdaoPattern() public {
        _attest(LOT, Q);
        uint256 first = _mint(supplier, LOT, 100_000); // part of the lot: cover remains on paper
        bytes memory already =
            abi.encodeWithSelector(IWarehouseReceipts.LotAlreadyReceipted.selector, LOT, uint64(100_000));

        vm.expectRevert(already);
        _mint(supplier2, LOT, 100_000);
        vm.expectRevert(already);
        _mint(core, LOT, 100_000);
        vm.expectRevert(already);
        _mint(supplier, LOT, 1);

        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LotAtOtherWarehouse.selector, LOT, warehouse));
        vm.prank(warehouse2);
        wr.mint(supplier2, LOT, AL, 100_000, 0, DETAILS);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LotAtOtherWarehouse.selector, LOT, warehouse));
        _attestAt(warehouse2, LOT, AL, Q);

        _attest(LOT, Q); // a fresh recount does not reopen the lot either
        _split(supplier, first, _q(50_000, 50_000));
        vm.expectRevert(already);
        _mint(supplier2, LOT, 100_000);
        vm.assertEq(wr.lot(LOT).liveReceipts, 2);
        vm.assertEq(wr.lot(LOT).receipted, 100_000);
    }

    function test_RevertWhen_mintOnFrozenLot() public {
        uint256 id = _receipt(Q);
        _stocktake(LOT, 1, _ids(id));
        vm.expectRevert(_lotFrozen(LOT));
        _mint(supplier, LOT, 1);
    }

    function test_RevertWhen_mintExpiryNotInFuture() public {
        _attest(LOT, Q);
        uint64 nowTs = uint64(_now());
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotInFuture.selector, "expiry", nowTs));
        vm.prank(warehouse);
        wr.mint(supplier, LOT, AL, Q, nowTs, DETAILS);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotInFuture.selector, "expiry", uint64(1)));
        vm.prank(warehouse);
        wr.mint(supplier, LOT, AL, Q, 1, DETAILS);
    }

    function test_RevertWhen_mintExpiryBeyondDayRange() public {
        _attest(LOT, Q);
        uint64 tooLate = uint64(65_535) * 1 days + 1; // rounds up to day 65,536
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotInFuture.selector, "expiry", tooLate));
        vm.prank(warehouse);
        wr.mint(supplier, LOT, AL, Q, tooLate, DETAILS);
        vm.prank(warehouse);
        uint256 id = wr.mint(supplier, LOT, AL, Q, tooLate - 1, DETAILS); // the last representable day
        vm.assertEq(wr.receipt(id).expiresAt, uint64(65_535) * 1 days);
    }

    function test_mint_expiryRoundsUpToWholeDay() public {
        _attest(LOT, Q);
        uint64 expiresAt = T0 + 10 days; // T0 is mid-day
        uint64 rounded = (expiresAt / 1 days + 1) * 1 days;
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.ReceiptMinted(1, LOT, warehouse, supplier, Q, expiresAt, DETAILS, bytes32(0));
        vm.prank(warehouse);
        uint256 id = wr.mint(supplier, LOT, AL, Q, expiresAt, DETAILS);
        vm.assertEq(wr.receipt(id).expiresAt, rounded);
    }

    function test_mint_expiryOnDayBoundaryIsKept() public {
        _attest(LOT, Q);
        uint64 boundary = uint64((T0 / 1 days + 5) * 1 days);
        vm.prank(warehouse);
        uint256 id = wr.mint(supplier, LOT, AL, Q, boundary, DETAILS);
        vm.assertEq(wr.receipt(id).expiresAt, boundary);
    }

    function test_RevertWhen_mintPaused() public {
        _attest(LOT, Q);
        vm.prank(admin);
        wr.setPaused(true);
        vm.expectRevert(IWarehouseReceipts.ReceiptsPaused.selector);
        _mint(supplier, LOT, Q);
    }

    // ================================================================ mintSerialized

    function test_mintSerialized_bindsItemsToTheLot() public {
        bytes32[] memory items = _serials(1000, 3);
        _attest(LOT, Q);
        vm.expectEmit(true, true, true, true, address(wr));
        emit Transfer(address(0), supplier, 1);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.ReceiptMinted(1, LOT, warehouse, supplier, Q, 0, DETAILS, _hash(items));
        uint256 id = _mintSerialized(supplier, LOT, Q, items);

        vm.assertEq(wr.itemsRoot(id), _hash(items));
        vm.assertTrue(wr.receipt(id).serialized);
        for (uint256 i = 0; i < items.length; ++i) {
            vm.assertEq(wr.serialLot(items[i]), LOT);
        }
        vm.assertEq(wr.serialLot(bytes32(uint256(1003))), bytes32(0));
        vm.assertEq(wr.lot(LOT).receipted, Q);
    }

    function test_mintSerialized_acceptsTheMaximumItemCount() public {
        _attest(LOT, Q);
        uint256 id = _mintSerialized(supplier, LOT, Q, _serials(1, 256));
        vm.assertEq(wr.itemsRoot(id), _hash(_serials(1, 256)));
    }

    function test_RevertWhen_mintSerializedItemCountOutOfRange() public {
        _attest(LOT, Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.TooMany.selector, 0, 256));
        _mintSerialized(supplier, LOT, Q, new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.TooMany.selector, 257, 256));
        _mintSerialized(supplier, LOT, Q, _serials(1, 257));
    }

    function test_RevertWhen_mintSerializedItemsNotSorted() public {
        _attest(LOT, Q);
        bytes32[] memory items = _serials(1, 3);
        items[2] = items[1]; // duplicate
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.ItemsNotSorted.selector, 2));
        _mintSerialized(supplier, LOT, Q, items);
        (items[0], items[1], items[2]) = (bytes32(uint256(5)), bytes32(uint256(4)), bytes32(uint256(6)));
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.ItemsNotSorted.selector, 1));
        _mintSerialized(supplier, LOT, Q, items);
    }

    function test_RevertWhen_serialBacksAnotherLot_acrossWarehouses() public {
        _attest(LOT, Q);
        _mintSerialized(supplier, LOT, Q, _serials(10, 3)); // 10, 11, 12
        _attestAt(warehouse2, LOT2, AL, Q);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.SerialAlreadyReceipted.selector, bytes32(uint256(12)), LOT)
        );
        vm.prank(warehouse2);
        wr.mintSerialized(supplier2, LOT2, AL, Q, 0, DETAILS, _serials(12, 2));
        // and at the same warehouse
        _attest(keccak256("LOT3"), Q);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.SerialAlreadyReceipted.selector, bytes32(uint256(10)), LOT)
        );
        _mintSerialized(supplier, keccak256("LOT3"), Q, _serials(9, 2));
        vm.assertEq(wr.serialLot(bytes32(uint256(13))), bytes32(0), "nothing of the refused mint remains");
    }

    function test_RevertWhen_mintSerializedOnReceiptedLot() public {
        _attest(LOT, Q);
        _mintSerialized(supplier, LOT, 100, _serials(10, 3));
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LotAlreadyReceipted.selector, LOT, uint64(100)));
        _mintSerialized(supplier, LOT, 100, _serials(20, 3));
    }

    function test_RevertWhen_mintSerializedChecksLikeMint() public {
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LotNotAttested.selector, LOT));
        _mintSerialized(supplier, LOT, Q, _serials(1, 2));
        _attest(LOT, Q);
        vm.expectRevert(_notMember(outsider));
        _mintSerialized(outsider, LOT, Q, _serials(1, 2));
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.InsufficientStockCover.selector, LOT, Q, 0, Q + 1));
        _mintSerialized(supplier, LOT, Q + 1, _serials(1, 2));
    }

    // ================================================================ transfer

    function test_transferFrom_betweenActiveMembers() public {
        uint256 id = _receipt(Q);
        vm.expectEmit(true, true, true, true, address(wr));
        emit Transfer(supplier, core, id);
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id);
        vm.assertEq(wr.ownerOf(id), core);
        vm.assertEq(wr.receipt(id).owner, core);
        vm.assertEq(wr.balanceOf(supplier), 0);
        vm.assertEq(wr.balanceOf(core), 1);
    }

    function test_safeTransferFrom_betweenActiveMembers() public {
        uint256 id = _receipt(Q);
        vm.prank(supplier);
        wr.safeTransferFrom(supplier, core, id);
        vm.assertEq(wr.ownerOf(id), core);
        vm.prank(core);
        wr.safeTransferFrom(core, supplier2, id, "endorsed");
        vm.assertEq(wr.ownerOf(id), supplier2);
    }

    function test_RevertWhen_transferToNonMember() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(_notMember(outsider));
        vm.prank(supplier);
        wr.transferFrom(supplier, outsider, id);
        vm.expectRevert(_notMember(outsider));
        vm.prank(supplier);
        wr.safeTransferFrom(supplier, outsider, id);
        vm.expectRevert(_notMember(outsider));
        vm.prank(supplier);
        wr.safeTransferFrom(supplier, outsider, id, "");
    }

    function test_RevertWhen_transferToZeroAddress() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(ERC721.TransferToZeroAddress.selector);
        vm.prank(supplier);
        wr.transferFrom(supplier, address(0), id);
    }

    function test_RevertWhen_transferToSuspendedMember() public {
        uint256 id = _receipt(Q);
        _suspend(supplier2);
        vm.expectRevert(_suspended(supplier2));
        vm.prank(supplier);
        wr.transferFrom(supplier, supplier2, id);
    }

    function test_RevertWhen_transferToKycExpiredMember() public {
        uint256 id = _receipt(Q);
        uint64 until = _expireKyc(supplier2);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.MemberKycExpired.selector, supplier2, until));
        vm.prank(supplier);
        wr.transferFrom(supplier, supplier2, id);
    }

    function test_RevertWhen_transferFromSuspendedOwner() public {
        uint256 id = _receipt(Q);
        _suspend(supplier);
        vm.expectRevert(_suspended(supplier));
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id);
    }

    function test_RevertWhen_transferPledgedReceipt() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.expectRevert(_pledged(id, lender));
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id);
        vm.expectRevert(_pledged(id, lender));
        vm.prank(supplier);
        wr.safeTransferFrom(supplier, core, id);
    }

    function test_RevertWhen_transferPledgePendingReceipt() public {
        uint256 id = _receipt(Q);
        _requestPledge(supplier, id, lender);
        vm.expectRevert(_pending(id, lender));
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id);
    }

    function test_RevertWhen_transferJudiciallyFrozenReceipt() public {
        uint256 id = _receipt(Q);
        _freeze(id);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptIsFrozen.selector, id));
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id);
    }

    function test_RevertWhen_transferAwaitingDelivery() public {
        uint256 id = _receipt(Q);
        _requestDelivery(supplier, id, Q);
        vm.expectRevert(_err(IWarehouseReceipts.DeliveryPending.selector, id));
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id);
    }

    function test_RevertWhen_transferOnFrozenLot() public {
        uint256 id = _receipt(Q);
        _stocktake(LOT, Q - 1, _ids(id));
        vm.expectRevert(_lotFrozen(LOT));
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id);
    }

    function test_transferFrom_byApprovedActiveMemberClearsApproval() public {
        uint256 id = _receipt(Q);
        vm.expectEmit(true, true, true, true, address(wr));
        emit Approval(supplier, core, id);
        vm.prank(supplier);
        wr.approve(core, id);
        vm.assertEq(wr.getApproved(id), core);
        vm.prank(core);
        wr.transferFrom(supplier, supplier2, id);
        vm.assertEq(wr.ownerOf(id), supplier2);
        vm.assertEq(wr.getApproved(id), address(0));
    }

    function test_transferFrom_byOperatorApprovedForAll() public {
        uint256 id = _receipt(Q);
        vm.expectEmit(true, true, false, true, address(wr));
        emit ApprovalForAll(supplier, core, true);
        vm.prank(supplier);
        wr.setApprovalForAll(core, true);
        vm.prank(core);
        wr.transferFrom(supplier, lender, id);
        vm.assertEq(wr.ownerOf(id), lender);
    }

    function test_RevertWhen_transferByApprovedNonMember() public {
        uint256 id = _receipt(Q);
        vm.prank(supplier);
        wr.approve(outsider, id);
        vm.expectRevert(_notMember(outsider));
        vm.prank(outsider);
        wr.transferFrom(supplier, core, id);

        vm.prank(supplier);
        wr.setApprovalForAll(outsider, true);
        vm.expectRevert(_notMember(outsider));
        vm.prank(outsider);
        wr.safeTransferFrom(supplier, core, id);
    }

    function test_RevertWhen_transferBySuspendedOperator() public {
        uint256 id = _receipt(Q);
        vm.prank(supplier);
        wr.setApprovalForAll(core, true);
        _suspend(core);
        vm.expectRevert(_suspended(core));
        vm.prank(core);
        wr.transferFrom(supplier, supplier2, id);
    }

    function test_RevertWhen_transferByUnapprovedMember() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(ERC721.NotOwnerNorApproved.selector);
        vm.prank(core);
        wr.transferFrom(supplier, core, id);
    }

    function test_RevertWhen_transferFromWrongOwner() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(ERC721.TransferFromIncorrectOwner.selector);
        vm.prank(supplier2);
        wr.transferFrom(supplier2, core, id);
    }

    function test_RevertWhen_approveByInactiveOwner() public {
        uint256 id = _receipt(Q);
        _suspend(supplier);
        vm.expectRevert(_suspended(supplier));
        vm.prank(supplier);
        wr.approve(core, id);
        vm.expectRevert(_suspended(supplier));
        vm.prank(supplier);
        wr.setApprovalForAll(core, true);
        vm.expectRevert(_notMember(outsider));
        vm.prank(outsider);
        wr.setApprovalForAll(core, true);
    }

    function test_RevertWhen_approveByNonOwner() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(ERC721.NotOwnerNorApproved.selector);
        vm.prank(core);
        wr.approve(core, id);
    }

    // ================================================================ split

    function test_split_partitionsQuantityIntoNewReceipts() public {
        _attest(LOT, Q);
        vm.prank(warehouse);
        uint256 id = wr.mint(supplier, LOT, AL, Q, T0 + 60 days, DETAILS);
        uint64[] memory parts = _q(100_000, 150_000, 50_000);

        vm.expectEmit(true, true, true, true, address(wr));
        emit Transfer(address(0), supplier, 2);
        vm.expectEmit(true, true, true, true, address(wr));
        emit Transfer(address(0), supplier, 3);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.ReceiptSplit(id, LOT, 2, parts);
        uint256 firstNewId = _split(supplier, id, parts);

        vm.assertEq(firstNewId, 2);
        vm.assertEq(wr.receipt(1).quantity, 100_000);
        vm.assertEq(wr.receipt(2).quantity, 150_000);
        vm.assertEq(wr.receipt(3).quantity, 50_000);
        for (uint256 k = 1; k <= 3; ++k) {
            IWarehouseReceipts.Receipt memory r = wr.receipt(k);
            vm.assertEq(r.owner, supplier);
            vm.assertEq(r.lotId, LOT);
            vm.assertEq(r.warehouse, warehouse);
            vm.assertEq(r.expiresAt, wr.receipt(1).expiresAt, "parts keep the expiry");
            vm.assertFalse(r.serialized);
        }
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.receipted, Q);
        vm.assertEq(l.liveReceipts, 3);
        vm.assertEq(wr.balanceOf(supplier), 3);
        (,,, uint256 next) = wr.parameters();
        vm.assertEq(next, 4);
    }

    function test_split_intoThirtyTwoParts() public {
        uint256 id = _receipt(32 * 1000);
        uint64[] memory parts = new uint64[](32);
        for (uint256 k = 0; k < 32; ++k) {
            parts[k] = 1000;
        }
        vm.assertEq(_split(supplier, id, parts), 2);
        vm.assertEq(wr.lot(LOT).liveReceipts, 32);
        vm.assertEq(wr.ownerOf(32), supplier);
    }

    function test_RevertWhen_splitDoesNotConserve() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.SplitDoesNotConserve.selector, id, Q, uint64(200_000))
        );
        _split(supplier, id, _q(100_000, 100_000));
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.SplitDoesNotConserve.selector, id, Q, uint64(400_000))
        );
        _split(supplier, id, _q(200_000, 200_000));
    }

    function test_RevertWhen_splitPartCountOutOfRange() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.TooMany.selector, 0, 32));
        _split(supplier, id, new uint64[](0));
        uint64[] memory one = new uint64[](1);
        one[0] = Q;
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.TooMany.selector, 1, 32));
        _split(supplier, id, one);
        uint64[] memory many = new uint64[](33);
        for (uint256 k = 0; k < 33; ++k) {
            many[k] = k == 0 ? Q - 32 : 1;
        }
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.TooMany.selector, 33, 32));
        _split(supplier, id, many);
    }

    function test_RevertWhen_splitHasEmptyPart() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.QuantityOutOfRange.selector, 0, Q));
        _split(supplier, id, _q(Q, 0));
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.QuantityOutOfRange.selector, 0, Q));
        _split(supplier, id, _q(0, Q));
    }

    /// A lot carries at most 256 live receipts, so that a shortfall alert can always list them all.
    function test_RevertWhen_splitBeyondLiveReceiptLimit() public {
        uint64 unit = 1024;
        uint256 id = _receipt(32 * 32 * unit);
        uint64[] memory thirtyTwo = new uint64[](32);
        for (uint256 k = 0; k < 32; ++k) {
            thirtyTwo[k] = 32 * unit;
        }
        _split(supplier, id, thirtyTwo); // 32 live: ids 1..32, each 32 * unit
        for (uint256 k = 0; k < 32; ++k) {
            thirtyTwo[k] = unit;
        }
        for (uint256 r = 1; r <= 7; ++r) {
            _split(supplier, r, thirtyTwo); // +31 each: 249 live
        }
        uint64[] memory eight = new uint64[](8);
        for (uint256 k = 0; k < 8; ++k) {
            eight[k] = 4 * unit;
        }
        _split(supplier, 8, eight); // 256 live
        vm.assertEq(wr.lot(LOT).liveReceipts, 256);

        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.TooMany.selector, 257, 256));
        _split(supplier, 9, _q(16 * unit, 16 * unit));

        // after a merge there is room for one more
        vm.prank(supplier);
        wr.merge(1, 2, new bytes32[](0), new bytes32[](0));
        _split(supplier, 9, _q(16 * unit, 16 * unit));
        vm.assertEq(wr.lot(LOT).liveReceipts, 256);
    }

    function test_RevertWhen_splitSerializedReceiptByQuantity() public {
        (uint256 id,) = _serializedReceipt(4);
        vm.expectRevert(_err(IWarehouseReceipts.ItemsMismatch.selector, id));
        _split(supplier, id, _q(Q - 1, 1));
    }

    function test_RevertWhen_splitByNonOwner() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotReceiptOwner.selector, id, supplier2, supplier));
        _split(supplier2, id, _q(Q - 1, 1));
    }

    function test_RevertWhen_splitMissingReceipt() public {
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, 99));
        _split(supplier, 99, _q(1, 1));
    }

    function test_RevertWhen_splitBySuspendedOwner() public {
        uint256 id = _receipt(Q);
        _suspend(supplier);
        vm.expectRevert(_suspended(supplier));
        _split(supplier, id, _q(Q - 1, 1));
    }

    function test_RevertWhen_splitLockedReceipt() public {
        uint256[] memory ids = _threeParts();
        _pledge(supplier, ids[0], lender);
        _requestPledge(supplier, ids[1], lender2);
        _freeze(ids[2]);
        vm.expectRevert(_pledged(ids[0], lender));
        _split(supplier, ids[0], _q(50_000, 50_000));
        vm.expectRevert(_pending(ids[1], lender2));
        _split(supplier, ids[1], _q(50_000, 50_000));
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptIsFrozen.selector, ids[2]));
        _split(supplier, ids[2], _q(50_000, 50_000));
    }

    function test_RevertWhen_splitAwaitingDeliveryOrOnFrozenLot() public {
        uint256[] memory ids = _threeParts();
        _requestDelivery(supplier, ids[0], 100_000);
        vm.expectRevert(_err(IWarehouseReceipts.DeliveryPending.selector, ids[0]));
        _split(supplier, ids[0], _q(50_000, 50_000));
        _stocktake(LOT, 1, ids);
        vm.expectRevert(_lotFrozen(LOT));
        _split(supplier, ids[1], _q(50_000, 50_000));
    }

    // ================================================================ splitItems

    function test_splitItems_partitionsItemsByAssignment() public {
        (uint256 id, bytes32[] memory items) = _serializedReceipt(6); // 1000..1005
        uint8[] memory assignment = new uint8[](6);
        (assignment[0], assignment[1], assignment[2], assignment[3], assignment[4], assignment[5]) = (0, 1, 2, 0, 1, 2);
        uint64[] memory parts = _q(100_000, 120_000, 80_000);

        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.ReceiptSplit(id, LOT, 2, parts);
        vm.prank(supplier);
        uint256 firstNewId = wr.splitItems(id, parts, items, assignment);

        vm.assertEq(firstNewId, 2);
        bytes32[] memory p0 = new bytes32[](2);
        bytes32[] memory p1 = new bytes32[](2);
        bytes32[] memory p2 = new bytes32[](2);
        (p0[0], p0[1]) = (items[0], items[3]);
        (p1[0], p1[1]) = (items[1], items[4]);
        (p2[0], p2[1]) = (items[2], items[5]);
        vm.assertEq(wr.itemsRoot(1), _hash(p0));
        vm.assertEq(wr.itemsRoot(2), _hash(p1));
        vm.assertEq(wr.itemsRoot(3), _hash(p2));
        vm.assertEq(wr.receipt(2).quantity, 120_000);
        vm.assertTrue(wr.receipt(2).serialized && wr.receipt(3).serialized, "parts stay serialized");
        vm.assertEq(wr.lot(LOT).liveReceipts, 3);
        for (uint256 i = 0; i < items.length; ++i) {
            vm.assertEq(wr.serialLot(items[i]), LOT);
        }

        // a part delivers on its own items, and frees only those
        _requestDelivery(supplier, 2, 120_000);
        vm.prank(warehouse);
        wr.confirmDelivery(2, p1);
        vm.assertEq(wr.serialLot(items[1]), bytes32(0));
        vm.assertEq(wr.serialLot(items[4]), bytes32(0));
        vm.assertEq(wr.serialLot(items[0]), LOT);
        vm.assertEq(wr.lot(LOT).receipted, 180_000);
    }

    function test_RevertWhen_splitItemsOnBulkReceipt() public {
        uint256 id = _receipt(Q);
        uint8[] memory assignment = new uint8[](0);
        vm.expectRevert(_err(IWarehouseReceipts.ItemsMismatch.selector, id));
        vm.prank(supplier);
        wr.splitItems(id, _q(Q - 1, 1), new bytes32[](0), assignment);
    }

    function test_RevertWhen_splitItemsWithWrongItemList() public {
        (uint256 id, bytes32[] memory items) = _serializedReceipt(4);
        uint8[] memory assignment = new uint8[](3);
        (assignment[0], assignment[1], assignment[2]) = (0, 1, 1);
        bytes32[] memory subset = _serials(1000, 3);
        vm.expectRevert(_err(IWarehouseReceipts.ItemsMismatch.selector, id));
        vm.prank(supplier);
        wr.splitItems(id, _q(Q - 1, 1), subset, assignment);

        bytes32[] memory unsorted = _serials(1000, 4);
        (unsorted[0], unsorted[1]) = (items[1], items[0]);
        uint8[] memory four = new uint8[](4);
        four[3] = 1;
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.ItemsNotSorted.selector, 1));
        vm.prank(supplier);
        wr.splitItems(id, _q(Q - 1, 1), unsorted, four);
    }

    function test_RevertWhen_splitItemsAssignmentInvalid() public {
        (uint256 id, bytes32[] memory items) = _serializedReceipt(4);
        bytes memory mismatch = _err(IWarehouseReceipts.ItemsMismatch.selector, id);
        uint8[] memory short_ = new uint8[](3);
        short_[2] = 1;
        vm.expectRevert(mismatch);
        vm.prank(supplier);
        wr.splitItems(id, _q(Q - 1, 1), items, short_);

        uint8[] memory outOfRange = new uint8[](4);
        (outOfRange[1], outOfRange[3]) = (1, 2);
        vm.expectRevert(mismatch);
        vm.prank(supplier);
        wr.splitItems(id, _q(Q - 1, 1), items, outOfRange);

        uint8[] memory emptyPart = new uint8[](4); // every item to part 0, none to part 1
        vm.expectRevert(mismatch);
        vm.prank(supplier);
        wr.splitItems(id, _q(Q - 1, 1), items, emptyPart);
    }

    function test_RevertWhen_splitItemsDoesNotConserve() public {
        (uint256 id, bytes32[] memory items) = _serializedReceipt(4);
        uint8[] memory assignment = new uint8[](4);
        (assignment[2], assignment[3]) = (1, 1);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.SplitDoesNotConserve.selector, id, Q, uint64(Q - 1)));
        vm.prank(supplier);
        wr.splitItems(id, _q(Q - 2, 1), items, assignment);
    }

    function test_RevertWhen_splitItemsLockedOrByNonOwner() public {
        (uint256 id, bytes32[] memory items) = _serializedReceipt(2);
        uint8[] memory assignment = new uint8[](2);
        assignment[1] = 1;
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotReceiptOwner.selector, id, core, supplier));
        vm.prank(core);
        wr.splitItems(id, _q(Q - 1, 1), items, assignment);
        _pledge(supplier, id, lender);
        vm.expectRevert(_pledged(id, lender));
        vm.prank(supplier);
        wr.splitItems(id, _q(Q - 1, 1), items, assignment);
    }

    // ================================================================ merge

    function test_merge_combinesQuantitiesAndBurnsTheMergedReceipt() public {
        uint256 id = _receipt(Q);
        _split(supplier, id, _q(100_000, 150_000, 50_000)); // 1, 2, 3

        vm.expectEmit(true, true, true, true, address(wr));
        emit Transfer(supplier, address(0), 3);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.ReceiptsMerged(1, 3, LOT, 150_000);
        vm.prank(supplier);
        wr.merge(1, 3, new bytes32[](0), new bytes32[](0));

        vm.assertEq(wr.receipt(1).quantity, 150_000);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, 3));
        wr.receipt(3);
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.liveReceipts, 2);
        vm.assertEq(l.receipted, Q);
        vm.assertEq(wr.balanceOf(supplier), 2);
    }

    function test_merge_serializedUnitesItemLists() public {
        (uint256 id, bytes32[] memory items) = _serializedReceipt(6);
        uint8[] memory assignment = new uint8[](6);
        (assignment[1], assignment[3], assignment[5]) = (1, 1, 1);
        vm.prank(supplier);
        wr.splitItems(id, _q(100_000, 200_000), items, assignment);
        bytes32[] memory evens = new bytes32[](3);
        bytes32[] memory odds = new bytes32[](3);
        for (uint256 i = 0; i < 3; ++i) {
            (evens[i], odds[i]) = (items[2 * i], items[2 * i + 1]);
        }
        vm.prank(supplier);
        wr.merge(2, 1, odds, evens);

        vm.assertEq(wr.itemsRoot(2), _hash(items), "kept receipt lists every item, ascending");
        vm.assertEq(wr.itemsRoot(1), bytes32(0));
        vm.assertEq(wr.receipt(2).quantity, Q);
        vm.assertTrue(wr.receipt(2).serialized);

        _requestDelivery(supplier, 2, Q);
        vm.prank(warehouse);
        wr.confirmDelivery(2, items);
        for (uint256 i = 0; i < items.length; ++i) {
            vm.assertEq(wr.serialLot(items[i]), bytes32(0));
        }
    }

    /// Every receipt of a lot descends from its single mint and so shares its expiry; the rule that
    /// a merge keeps the earlier expiry is pinned on receipts whose expiry days are set in storage.
    function test_merge_keepsTheEarlierExpiry() public {
        uint256 id = _receipt(Q);
        _split(supplier, id, _q(100_000, 100_000, 100_000)); // 1, 2, 3
        _split(supplier, 3, _q(50_000, 50_000)); // 3, 4
        uint256 today = _now() / 1 days;
        _setExpiryDay(1, today + 90);
        _setExpiryDay(2, today + 30);
        // 3 has none
        _setExpiryDay(4, today + 60);

        vm.prank(supplier);
        wr.merge(1, 2, new bytes32[](0), new bytes32[](0));
        vm.assertEq(wr.receipt(1).expiresAt, (today + 30) * 1 days, "kept later, merged earlier");
        vm.prank(supplier);
        wr.merge(3, 4, new bytes32[](0), new bytes32[](0));
        vm.assertEq(wr.receipt(3).expiresAt, (today + 60) * 1 days, "kept none, merged dated");
        vm.prank(supplier);
        wr.merge(1, 3, new bytes32[](0), new bytes32[](0));
        vm.assertEq(wr.receipt(1).expiresAt, (today + 30) * 1 days, "kept earlier");
        vm.assertEq(wr.receipt(1).quantity, Q);
    }

    function test_merge_ofUndatedReceiptsStaysUndated() public {
        uint256 id = _receipt(Q);
        _split(supplier, id, _q(100_000, 200_000));
        vm.prank(supplier);
        wr.merge(2, 1, new bytes32[](0), new bytes32[](0));
        vm.assertEq(wr.receipt(2).expiresAt, 0);
        vm.assertEq(wr.receipt(2).quantity, Q);
    }

    function test_RevertWhen_mergeAcrossLots() public {
        _receipt(Q);
        _attest(LOT2, 10);
        uint256 other = _mint(supplier, LOT2, 10);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.MergeMismatch.selector, 1, other));
        vm.prank(supplier);
        wr.merge(1, other, new bytes32[](0), new bytes32[](0));
    }

    function test_RevertWhen_mergeWithItself() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.MergeMismatch.selector, id, id));
        vm.prank(supplier);
        wr.merge(id, id, new bytes32[](0), new bytes32[](0));
    }

    /// A lot is serialized or not from its single mint; the kind check is pinned on a part whose
    /// serialized flag is cleared in storage.
    function test_RevertWhen_mergeDifferentKinds() public {
        (uint256 id, bytes32[] memory items) = _serializedReceipt(2);
        uint8[] memory assignment = new uint8[](2);
        assignment[1] = 1;
        vm.prank(supplier);
        wr.splitItems(id, _q(Q - 1, 1), items, assignment);
        _setReceiptData(2, _receiptData(2) & ~(uint96(8) << 92));
        vm.assertFalse(wr.receipt(2).serialized);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.MergeMismatch.selector, 1, 2));
        vm.prank(supplier);
        wr.merge(1, 2, _serials(1000, 1), new bytes32[](0));
    }

    function test_RevertWhen_mergeDifferentOwners() public {
        uint256[] memory ids = _threeParts();
        vm.prank(supplier);
        wr.transferFrom(supplier, supplier2, ids[1]);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.NotReceiptOwner.selector, ids[1], supplier, supplier2)
        );
        vm.prank(supplier);
        wr.merge(ids[0], ids[1], new bytes32[](0), new bytes32[](0));
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.NotReceiptOwner.selector, ids[0], supplier2, supplier)
        );
        vm.prank(supplier2);
        wr.merge(ids[0], ids[1], new bytes32[](0), new bytes32[](0));
    }

    function test_RevertWhen_mergeSerializedWithWrongItems() public {
        (uint256 id, bytes32[] memory items) = _serializedReceipt(4);
        uint8[] memory assignment = new uint8[](4);
        (assignment[2], assignment[3]) = (1, 1);
        vm.prank(supplier);
        wr.splitItems(id, _q(Q - 1, 1), items, assignment);
        bytes32[] memory a = _serials(1000, 2);
        bytes32[] memory b = _serials(1002, 2);
        vm.expectRevert(_err(IWarehouseReceipts.ItemsMismatch.selector, 1));
        vm.prank(supplier);
        wr.merge(1, 2, b, b);
        vm.expectRevert(_err(IWarehouseReceipts.ItemsMismatch.selector, 2));
        vm.prank(supplier);
        wr.merge(1, 2, a, a);
        vm.prank(supplier);
        wr.merge(1, 2, a, b);
        vm.assertEq(wr.itemsRoot(1), _hash(items));
    }

    function test_RevertWhen_mergeLockedReceipt() public {
        uint256[] memory ids = _threeParts();
        _pledge(supplier, ids[1], lender);
        vm.expectRevert(_pledged(ids[1], lender));
        vm.prank(supplier);
        wr.merge(ids[0], ids[1], new bytes32[](0), new bytes32[](0));
        _freeze(ids[2]);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptIsFrozen.selector, ids[2]));
        vm.prank(supplier);
        wr.merge(ids[2], ids[0], new bytes32[](0), new bytes32[](0));
        _requestDelivery(supplier, ids[0], 1);
        vm.expectRevert(_err(IWarehouseReceipts.DeliveryPending.selector, ids[0]));
        vm.prank(supplier);
        wr.merge(ids[0], ids[2], new bytes32[](0), new bytes32[](0));
    }

    function test_RevertWhen_mergeOnFrozenLot() public {
        uint256[] memory ids = _threeParts();
        _stocktake(LOT, 1, ids);
        vm.expectRevert(_lotFrozen(LOT));
        vm.prank(supplier);
        wr.merge(ids[0], ids[1], new bytes32[](0), new bytes32[](0));
    }

    // ================================================================ requestDelivery / cancelDeliveryRequest

    function test_requestDelivery_locksReceiptAndEmits() public {
        uint256 id = _receipt(Q);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.DeliveryRequested(id, supplier, warehouse, Q);
        _requestDelivery(supplier, id, Q);
        vm.assertEq(wr.deliveryRequest(id), Q);
        vm.assertTrue(wr.receipt(id).deliveryRequested);
    }

    function test_RevertWhen_requestDeliveryQuantityInvalid() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.DeliveryQuantityInvalid.selector, id, 0, Q));
        _requestDelivery(supplier, id, 0);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.DeliveryQuantityInvalid.selector, id, Q + 1, Q));
        _requestDelivery(supplier, id, Q + 1);
    }

    function test_RevertWhen_partialDeliveryOfSerializedReceipt() public {
        (uint256 id,) = _serializedReceipt(3);
        vm.expectRevert(_err(IWarehouseReceipts.PartialDeliveryOfSerializedReceipt.selector, id));
        _requestDelivery(supplier, id, Q - 1);
        _requestDelivery(supplier, id, Q); // whole is fine
    }

    function test_RevertWhen_requestDeliveryTwice() public {
        uint256 id = _receipt(Q);
        _requestDelivery(supplier, id, 1);
        vm.expectRevert(_err(IWarehouseReceipts.DeliveryPending.selector, id));
        _requestDelivery(supplier, id, 2);
    }

    function test_RevertWhen_requestDeliveryByNonOwnerOrLocked() public {
        uint256[] memory ids = _threeParts();
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotReceiptOwner.selector, ids[0], core, supplier));
        _requestDelivery(core, ids[0], 1);
        _pledge(supplier, ids[0], lender);
        vm.expectRevert(_pledged(ids[0], lender));
        _requestDelivery(supplier, ids[0], 1);
        _freeze(ids[1]);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptIsFrozen.selector, ids[1]));
        _requestDelivery(supplier, ids[1], 1);
        _stocktake(LOT, 1, ids);
        vm.expectRevert(_lotFrozen(LOT));
        _requestDelivery(supplier, ids[2], 1);
    }

    function test_cancelDeliveryRequest_unlocksReceipt() public {
        uint256 id = _receipt(Q);
        _requestDelivery(supplier, id, 100);
        vm.expectEmit(true, true, false, true, address(wr));
        emit IWarehouseReceipts.DeliveryRequestCancelled(id, supplier);
        vm.prank(supplier);
        wr.cancelDeliveryRequest(id);
        vm.assertEq(wr.deliveryRequest(id), 0);
        vm.assertFalse(wr.receipt(id).deliveryRequested);
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id);
    }

    function test_cancelDeliveryRequest_worksOnFrozenLot() public {
        uint256 id = _receipt(Q);
        _requestDelivery(supplier, id, Q);
        _stocktake(LOT, 1, _ids(id));
        vm.prank(supplier);
        wr.cancelDeliveryRequest(id);
        vm.assertFalse(wr.receipt(id).deliveryRequested);
    }

    function test_RevertWhen_cancelDeliveryRequestInvalid() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(_err(IWarehouseReceipts.NoDeliveryRequested.selector, id));
        vm.prank(supplier);
        wr.cancelDeliveryRequest(id);
        _requestDelivery(supplier, id, Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotReceiptOwner.selector, id, core, supplier));
        vm.prank(core);
        wr.cancelDeliveryRequest(id);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, 99));
        vm.prank(supplier);
        wr.cancelDeliveryRequest(99);
    }

    // ================================================================ confirmDelivery

    function test_confirmDelivery_burnsWholeReceipt() public {
        uint256 id = _receipt(Q);
        _requestDelivery(supplier, id, Q);
        vm.expectEmit(true, true, true, true, address(wr));
        emit Transfer(supplier, address(0), id);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.Delivered(id, LOT, warehouse, supplier, Q, true);
        vm.prank(warehouse);
        wr.confirmDelivery(id, new bytes32[](0));

        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, id));
        wr.receipt(id);
        vm.expectRevert(ERC721.TokenDoesNotExist.selector);
        wr.ownerOf(id);
        vm.assertEq(wr.balanceOf(supplier), 0);
        vm.assertEq(wr.deliveryRequest(id), 0);
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.receipted, 0);
        vm.assertEq(l.liveReceipts, 0);
    }

    function test_confirmDelivery_reducesReceiptOnPartialDelivery() public {
        uint256 id = _receipt(Q);
        _requestDelivery(supplier, id, 100_000);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.Delivered(id, LOT, warehouse, supplier, 100_000, false);
        vm.prank(warehouse);
        wr.confirmDelivery(id, new bytes32[](0));

        IWarehouseReceipts.Receipt memory r = wr.receipt(id);
        vm.assertEq(r.quantity, 200_000);
        vm.assertFalse(r.deliveryRequested);
        vm.assertEq(wr.deliveryRequest(id), 0);
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.receipted, 200_000);
        vm.assertEq(l.liveReceipts, 1);
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id); // movable again
    }

    function test_confirmDelivery_freesSerialsForAnotherLot() public {
        (uint256 id, bytes32[] memory items) = _serializedReceipt(3);
        _requestDelivery(supplier, id, Q);
        vm.prank(warehouse);
        wr.confirmDelivery(id, items);
        vm.assertEq(wr.itemsRoot(id), bytes32(0));
        for (uint256 i = 0; i < items.length; ++i) {
            vm.assertEq(wr.serialLot(items[i]), bytes32(0));
        }
        // the coils moved on to another warehouse and back a new receipt there
        _attestAt(warehouse2, LOT2, AL, 50);
        vm.prank(warehouse2);
        uint256 again = wr.mintSerialized(supplier2, LOT2, AL, 50, 0, DETAILS, items);
        vm.assertEq(wr.serialLot(items[0]), LOT2);
        vm.assertEq(wr.itemsRoot(again), _hash(items));
    }

    function test_confirmDelivery_letsTheRestOfTheLotBeReceipted() public {
        _attest(LOT, 1000);
        uint256 id = _mint(supplier, LOT, 600);
        _deliver(supplier, id, 600);
        uint256 next = _mint(supplier2, LOT, 400);
        vm.assertEq(wr.receipt(next).quantity, 400);
        vm.assertEq(wr.lot(LOT).receipted, 400);
    }

    /// Delivered goods have left the warehouse: the count that covered them cannot cover a new
    /// receipt. Without this, a lot receipted and delivered in full could be receipted again at once
    /// on the strength of the same stocktake, for goods no longer there (the Qingdao pattern again).
    function test_RevertWhen_mintAgainstGoodsAlreadyDelivered() public {
        uint256 id = _receipt(Q);
        _deliver(supplier, id, Q);
        vm.assertEq(wr.lot(LOT).attested, 0, "delivered goods leave the attested stock");
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.InsufficientStockCover.selector, LOT, 0, 0, Q));
        _mint(supplier2, LOT, Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.InsufficientStockCover.selector, LOT, 0, 0, 1));
        _mint(supplier2, LOT, 1);
        // once the inspector has counted what is really there, the lot can be receipted again
        _attest(LOT, 50_000);
        vm.assertEq(wr.receipt(_mint(supplier2, LOT, 50_000)).quantity, 50_000);
    }

    function test_confirmDelivery_partialDeliveryReducesCoverToo() public {
        uint256 id = _receipt(Q);
        _deliver(supplier, id, 100_000);
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.attested, 200_000);
        vm.assertEq(l.receipted, 200_000);
        _deliver(supplier, id, 200_000);
        l = wr.lot(LOT);
        vm.assertEq(l.attested, 0);
        vm.assertEq(l.receipted, 0);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.InsufficientStockCover.selector, LOT, 0, 0, 1));
        _mint(supplier, LOT, 1);
    }

    function test_confirmDelivery_onlyTheUnreceiptedRestStaysCovered() public {
        _attest(LOT, 1000);
        uint256 id = _mint(supplier, LOT, 600);
        _deliver(supplier, id, 600);
        vm.assertEq(wr.lot(LOT).attested, 400);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.InsufficientStockCover.selector, LOT, 400, 0, 401));
        _mint(supplier2, LOT, 401);
        _mint(supplier2, LOT, 400);
    }

    /// After a regulator lifts a shortfall freeze the lot can hold more receipts than its count;
    /// delivering them must still work, and leaves no cover behind.
    function test_confirmDelivery_afterRegulatorUnfreezeOfShortLot() public {
        uint256 id = _receipt(Q);
        _stocktake(LOT, 1000, _ids(id));
        vm.prank(regulator);
        wr.unfreezeLot(LOT);
        _deliver(supplier, id, Q);
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.attested, 0);
        vm.assertEq(l.receipted, 0);
    }

    function test_RevertWhen_confirmDeliveryByOtherWarehouse() public {
        uint256 id = _receipt(Q);
        _requestDelivery(supplier, id, Q);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.NotIssuingWarehouse.selector, id, warehouse2, warehouse)
        );
        vm.prank(warehouse2);
        wr.confirmDelivery(id, new bytes32[](0));
    }

    function test_RevertWhen_confirmDeliveryByNonWarehouse() public {
        uint256 id = _receipt(Q);
        _requestDelivery(supplier, id, Q);
        vm.expectRevert(_wrongRole(supplier, _SUPPLIER, _WAREHOUSE));
        vm.prank(supplier);
        wr.confirmDelivery(id, new bytes32[](0));
        _suspend(warehouse);
        vm.expectRevert(_suspended(warehouse));
        vm.prank(warehouse);
        wr.confirmDelivery(id, new bytes32[](0));
    }

    function test_RevertWhen_confirmDeliveryWithoutRequest() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(_err(IWarehouseReceipts.NoDeliveryRequested.selector, id));
        vm.prank(warehouse);
        wr.confirmDelivery(id, new bytes32[](0));
        _requestDelivery(supplier, id, Q);
        vm.prank(supplier);
        wr.cancelDeliveryRequest(id);
        vm.expectRevert(_err(IWarehouseReceipts.NoDeliveryRequested.selector, id));
        vm.prank(warehouse);
        wr.confirmDelivery(id, new bytes32[](0));
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, 99));
        vm.prank(warehouse);
        wr.confirmDelivery(99, new bytes32[](0));
    }

    function test_RevertWhen_confirmDeliveryOfFrozenReceipt() public {
        uint256 id = _receipt(Q);
        _requestDelivery(supplier, id, Q);
        _freeze(id);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptIsFrozen.selector, id));
        vm.prank(warehouse);
        wr.confirmDelivery(id, new bytes32[](0));
    }

    function test_RevertWhen_confirmDeliveryOnFrozenLot() public {
        uint256 id = _receipt(Q);
        _requestDelivery(supplier, id, Q);
        _stocktake(LOT, 1, _ids(id));
        vm.expectRevert(_lotFrozen(LOT));
        vm.prank(warehouse);
        wr.confirmDelivery(id, new bytes32[](0));
    }

    function test_RevertWhen_confirmDeliveryWithWrongItems() public {
        (uint256 id,) = _serializedReceipt(3);
        _requestDelivery(supplier, id, Q);
        vm.expectRevert(_err(IWarehouseReceipts.ItemsMismatch.selector, id));
        vm.prank(warehouse);
        wr.confirmDelivery(id, _serials(1000, 2));
        vm.expectRevert(_err(IWarehouseReceipts.ItemsMismatch.selector, id));
        vm.prank(warehouse);
        wr.confirmDelivery(id, new bytes32[](0));
    }

    // ================================================================ requestPledge / cancelPledgeRequest

    function test_requestPledge_locksReceiptAndEmits() public {
        uint256 id = _receipt(Q);
        uint64 maturity = uint64(_now() + 90 days);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.PledgeRequested(id, lender, supplier, 1, 5_000_000_00, CNY, LOAN, maturity);
        vm.prank(supplier);
        uint48 seq = wr.requestPledge(id, lender, 5_000_000_00, CNY, LOAN, maturity);

        vm.assertEq(seq, 1);
        IWarehouseReceipts.Lien memory l = wr.lien(id);
        vm.assertEq(l.lender, lender);
        vm.assertEq(l.loanMaturity, maturity);
        vm.assertEq(uint256(l.state), uint256(IWarehouseReceipts.LienState.Requested));
        vm.assertEq(l.requestSeq, 1);
        vm.assertTrue(wr.receipt(id).pledgeLocked);
    }

    function test_RevertWhen_requestPledgeOnExpiredReceipt() public {
        _attest(LOT, Q);
        vm.prank(warehouse);
        uint256 id = wr.mint(supplier, LOT, AL, Q, T0 + 10 days, DETAILS);
        uint64 expiry = wr.receipt(id).expiresAt;
        vm.warp(expiry - 1);
        _requestPledge(supplier, id, lender); // the last second is fine
        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        vm.warp(expiry);
        uint64 maturity = uint64(expiry + 90 days);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.ReceiptExpired.selector, id, expiry));
        vm.prank(supplier);
        wr.requestPledge(id, lender, 1, CNY, LOAN, maturity);
    }

    function test_RevertWhen_requestPledgeMaturityNotInFuture() public {
        uint256 id = _receipt(Q);
        uint64 nowTs = uint64(_now());
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotInFuture.selector, "loan maturity", nowTs));
        vm.prank(supplier);
        wr.requestPledge(id, lender, 1, CNY, LOAN, nowTs);
        uint64 tooFar = uint64(type(uint40).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotInFuture.selector, "loan maturity", tooFar));
        vm.prank(supplier);
        wr.requestPledge(id, lender, 1, CNY, LOAN, tooFar);
        vm.prank(supplier);
        wr.requestPledge(id, lender, 1, CNY, LOAN, type(uint40).max); // the furthest date that fits
    }

    function test_RevertWhen_requestPledgeWhileRequestPending() public {
        uint256 id = _receipt(Q);
        _requestPledge(supplier, id, lender);
        vm.expectRevert(_pending(id, lender));
        _requestPledge(supplier, id, lender2);
    }

    function test_RevertWhen_requestPledgeOnPledgedReceipt() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.expectRevert(_pledged(id, lender));
        _requestPledge(supplier, id, lender2);
        vm.expectRevert(_pledged(id, lender));
        _requestPledge(supplier, id, lender);
    }

    function test_RevertWhen_requestPledgeByNonOwnerOrLocked() public {
        uint256[] memory ids = _threeParts();
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotReceiptOwner.selector, ids[0], lender, supplier));
        _requestPledge(lender, ids[0], lender);
        _freeze(ids[0]);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptIsFrozen.selector, ids[0]));
        _requestPledge(supplier, ids[0], lender);
        _requestDelivery(supplier, ids[1], 1);
        vm.expectRevert(_err(IWarehouseReceipts.DeliveryPending.selector, ids[1]));
        _requestPledge(supplier, ids[1], lender);
        _stocktake(LOT, 1, ids);
        vm.expectRevert(_lotFrozen(LOT));
        _requestPledge(supplier, ids[2], lender);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, 99));
        _requestPledge(supplier, 99, lender);
    }

    function test_RevertWhen_requestPledgeBySuspendedOwner() public {
        uint256 id = _receipt(Q);
        _suspend(supplier);
        vm.expectRevert(_suspended(supplier));
        _requestPledge(supplier, id, lender);
    }

    function test_cancelPledgeRequest_unlocksReceipt() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        vm.expectEmit(true, true, false, true, address(wr));
        emit IWarehouseReceipts.PledgeRequestCancelled(id, lender, seq);
        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        vm.assertEq(uint256(wr.lien(id).state), uint256(IWarehouseReceipts.LienState.None));
        vm.assertFalse(wr.receipt(id).pledgeLocked);
        vm.expectRevert(_err(IWarehouseReceipts.PledgeNotRequested.selector, id));
        vm.prank(lender);
        wr.acceptPledge(id, seq);
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id);
    }

    function test_RevertWhen_cancelPledgeRequestInvalid() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(_err(IWarehouseReceipts.PledgeNotRequested.selector, id));
        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        _requestPledge(supplier, id, lender);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotReceiptOwner.selector, id, lender, supplier));
        vm.prank(lender);
        wr.cancelPledgeRequest(id);
        vm.prank(lender);
        wr.acceptPledge(id, 1);
        vm.expectRevert(_err(IWarehouseReceipts.PledgeNotRequested.selector, id)); // active: only the lender releases
        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, 99));
        vm.prank(supplier);
        wr.cancelPledgeRequest(99);
    }

    // ================================================================ acceptPledge

    function test_acceptPledge_activatesLien() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        vm.expectEmit(true, true, false, true, address(wr));
        emit IWarehouseReceipts.PledgeAccepted(id, lender, seq);
        vm.prank(lender);
        wr.acceptPledge(id, seq);
        IWarehouseReceipts.Lien memory l = wr.lien(id);
        vm.assertEq(uint256(l.state), uint256(IWarehouseReceipts.LienState.Active));
        vm.assertEq(l.lender, lender);
        vm.assertTrue(wr.receipt(id).pledgeLocked);
    }

    /// Issue 15, item 4: a judicial freeze ordered after the request stops the acceptance.
    function test_RevertWhen_acceptPledge_receiptFrozenSinceRequest() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        _freeze(id);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptIsFrozen.selector, id));
        vm.prank(lender);
        wr.acceptPledge(id, seq);
    }

    /// Issue 15, item 4: a shortfall freeze after the request stops the acceptance (else the lien
    /// would be on a frozen lot that the shortfall alert never named).
    function test_RevertWhen_acceptPledge_lotFrozenSinceRequest() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        _stocktake(LOT, Q - 1, _ids(id));
        vm.expectRevert(_lotFrozen(LOT));
        vm.prank(lender);
        wr.acceptPledge(id, seq);
    }

    /// Issue 15, item 4: an owner suspended, revoked or with lapsed KYC since the request cannot
    /// have the pledge accepted.
    function test_RevertWhen_acceptPledge_ownerNoLongerActive() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        _suspend(supplier);
        vm.expectRevert(_suspended(supplier));
        vm.prank(lender);
        wr.acceptPledge(id, seq);
        vm.prank(admin);
        registry.revoke(supplier, "fraud");
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberRevoked.selector, supplier, uint64(_now()))
        );
        vm.prank(lender);
        wr.acceptPledge(id, seq);
    }

    /// Issue 15, item 4: a receipt that expired between request and acceptance cannot be accepted.
    function test_RevertWhen_acceptPledge_receiptExpiredSinceRequest() public {
        uint256 id = _receipt(Q);
        uint256 day = _now() / 1 days + 2;
        _setExpiryDay(id, day);
        uint48 seq = _requestPledge(supplier, id, lender);
        _skip(3 days);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.ReceiptExpired.selector, id, uint64(day * 1 days))
        );
        vm.prank(lender);
        wr.acceptPledge(id, seq);
    }

    /// Issue 15, item 5: an inspector of the warehouse's own legal entity cannot attest there.
    function test_RevertWhen_inspectorIsTheWarehousesOwnEntity() public {
        address captive = address(0x2005);
        bytes32 entity = keccak256(bytes("Qingdao Bonded Logistics Warehouse"));
        vm.prank(admin);
        registry.admit(captive, uint8(IParticipantRegistry.Role.Inspector), entity, "Qingdao Inspection", validUntil);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.SameEntity.selector, captive, warehouse, entity));
        vm.prank(captive);
        wr.recordStocktake(warehouse, LOT, AL, KG, DECIMALS, Q, EVIDENCE, new uint256[](0));
        // At another warehouse it is independent.
        vm.prank(captive);
        wr.recordStocktake(warehouse2, LOT, AL, KG, DECIMALS, Q, EVIDENCE, new uint256[](0));
    }

    function test_RevertWhen_acceptPledgeWithStaleRequestSeq() public {
        uint256 id = _receipt(Q);
        uint48 first = _requestPledge(supplier, id, lender);
        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        uint48 second = _requestPledge(supplier, id, lender); // new terms
        vm.assertEq(second, first + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.PledgeRequestMismatch.selector, id, second, first)
        );
        vm.prank(lender);
        wr.acceptPledge(id, first);
    }

    function test_RevertWhen_acceptPledgeByAnotherLender() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, id, lender2, lender));
        vm.prank(lender2);
        wr.acceptPledge(id, seq);
    }

    function test_RevertWhen_acceptPledgeNotRequested() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(_err(IWarehouseReceipts.PledgeNotRequested.selector, id));
        vm.prank(lender);
        wr.acceptPledge(id, 1);
        vm.expectRevert(_err(IWarehouseReceipts.PledgeNotRequested.selector, 99));
        vm.prank(lender);
        wr.acceptPledge(99, 1);
    }

    function test_RevertWhen_acceptPledgeTwice() public {
        uint256 id = _receipt(Q);
        uint48 seq = _pledge(supplier, id, lender);
        vm.expectRevert(_pledged(id, lender));
        vm.prank(lender);
        wr.acceptPledge(id, seq);
        vm.expectRevert(_pledged(id, lender));
        vm.prank(lender2);
        wr.acceptPledge(id, seq);
    }

    function test_RevertWhen_acceptPledgeByInactiveOrNonLender() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        _suspend(lender);
        vm.expectRevert(_suspended(lender));
        vm.prank(lender);
        wr.acceptPledge(id, seq);

        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        seq = _requestPledge(supplier, id, core);
        vm.expectRevert(_wrongRole(core, _CORE, _LENDER));
        vm.prank(core);
        wr.acceptPledge(id, seq);
    }

    // ================================================================ releasePledge

    function test_releasePledge_unlocksReceipt() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.expectEmit(true, true, false, true, address(wr));
        emit IWarehouseReceipts.PledgeReleased(id, lender);
        vm.prank(lender);
        wr.releasePledge(id);
        vm.assertEq(uint256(wr.lien(id).state), uint256(IWarehouseReceipts.LienState.None));
        vm.assertFalse(wr.receipt(id).pledgeLocked);
        vm.assertEq(_pledge(supplier, id, lender2), 2, "pledge again, next request number");
        vm.assertEq(wr.lien(id).lender, lender2);
    }

    function test_releasePledge_bySuspendedLender() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        _suspend(lender);
        vm.prank(lender);
        wr.releasePledge(id);
        vm.assertFalse(wr.receipt(id).pledgeLocked);
    }

    function test_releasePledge_onFrozenReceiptOrLot() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        _freeze(id);
        _stocktake(LOT, 1, _ids(id));
        vm.prank(lender);
        wr.releasePledge(id);
        vm.assertFalse(wr.receipt(id).pledgeLocked);
    }

    function test_RevertWhen_releasePledgeByNonLienholder() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, id, lender2, lender));
        vm.prank(lender2);
        wr.releasePledge(id);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, id, supplier, lender));
        vm.prank(supplier);
        wr.releasePledge(id);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, id, admin, lender));
        vm.prank(admin);
        wr.releasePledge(id);
    }

    function test_RevertWhen_releasePledgeNotPledged() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(_err(IWarehouseReceipts.NotPledged.selector, id));
        vm.prank(lender);
        wr.releasePledge(id);
        _requestPledge(supplier, id, lender);
        vm.expectRevert(_err(IWarehouseReceipts.NotPledged.selector, id));
        vm.prank(lender);
        wr.releasePledge(id);
    }

    // ================================================================ foreclose

    function test_foreclose_lienholderTakesReceiptAfterMaturityAndGrace() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        uint64 maturity = wr.lien(id).loanMaturity;
        vm.warp(maturity + DEFAULT_GRACE);
        vm.expectEmit(true, true, true, true, address(wr));
        emit Transfer(supplier, lender, id);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.Foreclosed(id, lender, lender, supplier);
        vm.prank(lender);
        wr.foreclose(id, lender);

        IWarehouseReceipts.Receipt memory r = wr.receipt(id);
        vm.assertEq(r.owner, lender);
        vm.assertFalse(r.pledgeLocked);
        vm.assertEq(uint256(wr.lien(id).state), uint256(IWarehouseReceipts.LienState.None));
        vm.prank(lender);
        wr.transferFrom(lender, core, id); // the bank can sell it on
    }

    function test_foreclose_sellsToActiveMember() public {
        uint256 id = _receipt(Q);
        vm.prank(supplier);
        wr.approve(supplier2, id);
        _pledge(supplier, id, lender);
        vm.warp(wr.lien(id).loanMaturity + DEFAULT_GRACE + 1);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.Foreclosed(id, lender, core, supplier);
        vm.prank(lender);
        wr.foreclose(id, core);
        vm.assertEq(wr.ownerOf(id), core);
        vm.assertEq(wr.getApproved(id), address(0), "the former owner's approval goes with it");
    }

    function test_foreclose_toFormerOwnerOnlyLiftsTheLien() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.warp(wr.lien(id).loanMaturity + DEFAULT_GRACE);
        vm.recordLogs();
        vm.prank(lender);
        wr.foreclose(id, supplier);
        vm.assertEq(vm.getRecordedLogs().length, 1, "Foreclosed only, no Transfer");
        vm.assertEq(wr.ownerOf(id), supplier);
        vm.assertFalse(wr.receipt(id).pledgeLocked);
    }

    function test_RevertWhen_forecloseBeforeMaturityPlusGrace() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        uint64 foreclosableAt = wr.lien(id).loanMaturity + DEFAULT_GRACE;
        vm.warp(foreclosableAt - 1);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LoanNotMatured.selector, id, foreclosableAt));
        vm.prank(lender);
        wr.foreclose(id, lender);
    }

    function test_foreclose_usesTheConfiguredGrace() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.prank(admin);
        wr.setParameters(DEFAULT_MAX_AGE, 0);
        vm.warp(wr.lien(id).loanMaturity);
        vm.prank(lender);
        wr.foreclose(id, lender);
        vm.assertEq(wr.ownerOf(id), lender);
    }

    function test_RevertWhen_forecloseToNonMember() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.warp(wr.lien(id).loanMaturity + DEFAULT_GRACE);
        vm.expectRevert(_notMember(outsider));
        vm.prank(lender);
        wr.foreclose(id, outsider);
        vm.expectRevert(_notMember(address(0)));
        vm.prank(lender);
        wr.foreclose(id, address(0));
        _suspend(core);
        vm.expectRevert(_suspended(core));
        vm.prank(lender);
        wr.foreclose(id, core);
    }

    function test_RevertWhen_forecloseByNonLienholder() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.warp(wr.lien(id).loanMaturity + DEFAULT_GRACE);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, id, lender2, lender));
        vm.prank(lender2);
        wr.foreclose(id, lender2);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, id, supplier, lender));
        vm.prank(supplier);
        wr.foreclose(id, supplier);
    }

    function test_RevertWhen_forecloseNotPledged() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(_err(IWarehouseReceipts.NotPledged.selector, id));
        vm.prank(lender);
        wr.foreclose(id, lender);
        _requestPledge(supplier, id, lender);
        _skip(200 days);
        vm.expectRevert(_err(IWarehouseReceipts.NotPledged.selector, id));
        vm.prank(lender);
        wr.foreclose(id, lender);
    }

    function test_RevertWhen_forecloseBySuspendedLender() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.warp(wr.lien(id).loanMaturity + DEFAULT_GRACE);
        _suspend(lender);
        vm.expectRevert(_suspended(lender));
        vm.prank(lender);
        wr.foreclose(id, lender);
    }

    function test_RevertWhen_forecloseFrozenReceiptOrLot() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.warp(wr.lien(id).loanMaturity + DEFAULT_GRACE);
        _freeze(id);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptIsFrozen.selector, id));
        vm.prank(lender);
        wr.foreclose(id, lender);
        vm.prank(regulator);
        wr.unfreezeReceipt(id, "lifted");
        _stocktake(LOT, 1, _ids(id));
        vm.expectRevert(_lotFrozen(LOT));
        vm.prank(lender);
        wr.foreclose(id, lender);
    }

    // ================================================================ regulator

    function test_freezeReceipt_ordersJudicialFreeze() public {
        uint256 id = _receipt(Q);
        vm.expectEmit(true, true, false, true, address(wr));
        emit IWarehouseReceipts.ReceiptFreezeOrdered(id, regulator, "court order 2026-17");
        vm.prank(regulator);
        wr.freezeReceipt(id, "court order 2026-17");
        vm.assertTrue(wr.receipt(id).frozen);
        vm.assertFalse(wr.lot(LOT).frozen, "only the receipt");
    }

    function test_unfreezeReceipt_liftsJudicialFreeze() public {
        uint256 id = _receipt(Q);
        _freeze(id);
        vm.expectEmit(true, true, false, true, address(wr));
        emit IWarehouseReceipts.ReceiptFreezeLifted(id, regulator, "case closed");
        vm.prank(regulator);
        wr.unfreezeReceipt(id, "case closed");
        vm.assertFalse(wr.receipt(id).frozen);
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id);
    }

    function test_freezeReceipt_keepsPledgeAndDeliveryState() public {
        uint256[] memory ids = _threeParts();
        _pledge(supplier, ids[0], lender);
        _requestDelivery(supplier, ids[1], 100_000);
        _freeze(ids[0]);
        _freeze(ids[1]);
        vm.assertTrue(wr.receipt(ids[0]).pledgeLocked && wr.receipt(ids[0]).frozen, "pledged and frozen");
        vm.assertTrue(wr.receipt(ids[1]).deliveryRequested && wr.receipt(ids[1]).frozen, "awaiting and frozen");
        vm.prank(regulator);
        wr.unfreezeReceipt(ids[0], "x");
        vm.assertTrue(wr.receipt(ids[0]).pledgeLocked);
        vm.expectRevert(_pledged(ids[0], lender));
        vm.prank(supplier);
        wr.transferFrom(supplier, core, ids[0]);
    }

    function test_RevertWhen_freezeOrUnfreezeByNonRegulator() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(_wrongRole(auditor, _AUDITOR, _REGULATOR));
        vm.prank(auditor);
        wr.freezeReceipt(id, "x");
        vm.expectRevert(_wrongRole(inspector, _INSPECTOR, _REGULATOR));
        vm.prank(inspector);
        wr.unfreezeReceipt(id, "x");
        vm.expectRevert(_notMember(admin));
        vm.prank(admin);
        wr.freezeReceipt(id, "x");
        _suspend(regulator);
        vm.expectRevert(_suspended(regulator));
        vm.prank(regulator);
        wr.freezeReceipt(id, "x");
    }

    function test_RevertWhen_freezeTwiceOrUnfreezeUnfrozen() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFrozen.selector, id));
        vm.prank(regulator);
        wr.unfreezeReceipt(id, "x");
        _freeze(id);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptIsFrozen.selector, id));
        vm.prank(regulator);
        wr.freezeReceipt(id, "again");
    }

    function test_RevertWhen_freezeMissingReceipt() public {
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, 99));
        vm.prank(regulator);
        wr.freezeReceipt(99, "x");
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, 99));
        vm.prank(regulator);
        wr.unfreezeReceipt(99, "x");
    }

    function test_unfreezeLot_byRegulator() public {
        uint256 id = _receipt(Q);
        _stocktake(LOT, 1, _ids(id));
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.LotUnfrozen(LOT, warehouse, regulator);
        vm.prank(regulator);
        wr.unfreezeLot(LOT);
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertFalse(l.frozen);
        vm.assertEq(l.attested, 1, "the count stands");
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id);
    }

    function test_RevertWhen_unfreezeLotInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LotNotFrozen.selector, LOT));
        vm.prank(regulator);
        wr.unfreezeLot(LOT); // unknown lot
        uint256 id = _receipt(Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LotNotFrozen.selector, LOT));
        vm.prank(regulator);
        wr.unfreezeLot(LOT);
        _stocktake(LOT, 1, _ids(id));
        vm.expectRevert(_wrongRole(inspector, _INSPECTOR, _REGULATOR));
        vm.prank(inspector);
        wr.unfreezeLot(LOT);
    }

    // ================================================================ admin

    function test_setPaused_stopsEveryStateChangeButNotReads() public {
        uint256[] memory ids = _threeParts(); // 1, 2, 3
        _pledge(supplier, ids[0], lender);
        _requestPledge(supplier, ids[1], lender);
        _requestDelivery(supplier, ids[2], 100_000);
        _attest(LOT2, 10);

        vm.expectEmit(true, false, false, true, address(wr));
        emit IWarehouseReceipts.PauseChanged(admin, true);
        vm.prank(admin);
        wr.setPaused(true);

        bytes4 paused = IWarehouseReceipts.ReceiptsPaused.selector;
        vm.startPrank(supplier);
        vm.expectRevert(paused);
        wr.transferFrom(supplier, core, ids[0]);
        vm.expectRevert(paused);
        wr.safeTransferFrom(supplier, core, ids[0]);
        vm.expectRevert(paused);
        wr.safeTransferFrom(supplier, core, ids[0], "");
        vm.expectRevert(paused);
        wr.approve(core, ids[0]);
        vm.expectRevert(paused);
        wr.setApprovalForAll(core, true);
        vm.expectRevert(paused);
        wr.split(ids[0], _q(1, 99_999));
        vm.expectRevert(paused);
        wr.splitItems(ids[0], _q(1, 99_999), new bytes32[](0), new uint8[](0));
        vm.expectRevert(paused);
        wr.merge(ids[0], ids[1], new bytes32[](0), new bytes32[](0));
        vm.expectRevert(paused);
        wr.requestDelivery(ids[0], 1);
        vm.expectRevert(paused);
        wr.cancelDeliveryRequest(ids[2]);
        vm.expectRevert(paused);
        wr.requestPledge(ids[0], lender, 1, CNY, LOAN, T0 + 400 days);
        vm.expectRevert(paused);
        wr.cancelPledgeRequest(ids[1]);
        vm.stopPrank();

        vm.startPrank(lender);
        vm.expectRevert(paused);
        wr.acceptPledge(ids[1], 1);
        vm.expectRevert(paused);
        wr.releasePledge(ids[0]);
        vm.expectRevert(paused);
        wr.foreclose(ids[0], lender);
        vm.stopPrank();

        vm.startPrank(warehouse);
        vm.expectRevert(paused);
        wr.mint(supplier, LOT2, AL, 10, 0, DETAILS);
        vm.expectRevert(paused);
        wr.mintSerialized(supplier, LOT2, AL, 10, 0, DETAILS, _serials(1, 2));
        vm.expectRevert(paused);
        wr.confirmDelivery(ids[2], new bytes32[](0));
        vm.stopPrank();

        vm.expectRevert(paused);
        _stocktake(LOT, 1, ids);
        vm.startPrank(regulator);
        vm.expectRevert(paused);
        wr.freezeReceipt(ids[0], "x");
        vm.expectRevert(paused);
        wr.unfreezeReceipt(ids[0], "x");
        vm.expectRevert(paused);
        wr.unfreezeLot(LOT);
        vm.stopPrank();

        // reads go on
        vm.assertEq(wr.receipt(ids[0]).owner, supplier);
        vm.assertEq(wr.lot(LOT).receipted, Q);
        vm.assertEq(wr.lien(ids[0]).lender, lender);
        vm.assertEq(wr.deliveryRequest(ids[2]), 100_000);
        vm.assertEq(wr.ownerOf(ids[0]), supplier);
        (,, bool isPaused,) = wr.parameters();
        vm.assertTrue(isPaused);

        vm.prank(admin);
        wr.setPaused(false);
        vm.prank(warehouse);
        wr.confirmDelivery(ids[2], new bytes32[](0));
        vm.assertEq(wr.lot(LOT).receipted, 200_000);
    }

    function test_RevertWhen_setPausedByNonAdmin() public {
        address[5] memory others = [regulator, warehouse, inspector, lender, outsider];
        for (uint256 i = 0; i < others.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotConsortiumAdmin.selector, others[i]));
            vm.prank(others[i]);
            wr.setPaused(true);
        }
    }

    function test_setPaused_followsTheRegistryDefaultAdmin() public {
        address newAdmin = address(0xAD2);
        vm.prank(admin);
        IAccessControlDefaultAdminRules(address(registry)).beginDefaultAdminTransfer(newAdmin);
        _skip(2 days + 1);
        vm.prank(newAdmin);
        IAccessControlDefaultAdminRules(address(registry)).acceptDefaultAdminTransfer();

        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotConsortiumAdmin.selector, admin));
        vm.prank(admin);
        wr.setPaused(true);
        vm.prank(newAdmin);
        wr.setPaused(true);
        (,, bool isPaused,) = wr.parameters();
        vm.assertTrue(isPaused);
    }

    function test_setParameters_appliesAndEmits() public {
        vm.expectEmit(true, false, false, true, address(wr));
        emit IWarehouseReceipts.ParametersChanged(admin, 1 days, 0);
        vm.prank(admin);
        wr.setParameters(1 days, 0);
        (uint64 maxAge, uint64 grace,,) = wr.parameters();
        vm.assertEq(maxAge, 1 days);
        vm.assertEq(grace, 0);

        _attest(LOT, Q);
        _skip(1 days + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.StocktakeTooOld.selector, LOT, T0, uint64(1 days))
        );
        _mint(supplier, LOT, Q);

        vm.prank(admin);
        wr.setParameters(3650 days, 3650 days); // the upper bounds are allowed
        _mint(supplier, LOT, Q);
    }

    function test_RevertWhen_setParametersOutOfRange() public {
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.QuantityOutOfRange.selector, 0, 3650 days));
        wr.setParameters(0, 1 days);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.QuantityOutOfRange.selector, 3650 days + 1, 3650 days)
        );
        wr.setParameters(3650 days + 1, 1 days);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.QuantityOutOfRange.selector, 3650 days + 1, 3650 days)
        );
        wr.setParameters(1 days, 3650 days + 1);
        vm.stopPrank();
    }

    function test_RevertWhen_setParametersByNonAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotConsortiumAdmin.selector, regulator));
        vm.prank(regulator);
        wr.setParameters(1 days, 1 days);
    }

    function test_setParameters_worksWhilePaused() public {
        vm.startPrank(admin);
        wr.setPaused(true);
        wr.setParameters(2 days, 2 days);
        wr.setPaused(false);
        vm.stopPrank();
        (uint64 maxAge,, bool isPaused,) = wr.parameters();
        vm.assertEq(maxAge, 2 days);
        vm.assertFalse(isPaused);
    }

    // ================================================================ fuzz

    /// Any split into 2..32 positive parts that add up keeps the lot's quantity exactly.
    function testFuzz_split_conservesQuantity(uint64 total, uint256 partCount, uint256 seed) public {
        uint256 n = bound(partCount, 2, 32);
        total = uint64(bound(total, n, MAX_QUANTITY));
        uint64[] memory parts = new uint64[](n);
        uint256 remaining = total;
        for (uint256 k = 0; k < n - 1; ++k) {
            uint256 r = uint256(keccak256(abi.encode(seed, k)));
            // leave at least 1 for each part still to come
            parts[k] = uint64(bound(r, 1, remaining - (n - 1 - k)));
            remaining -= parts[k];
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- remaining <= total, a uint64
        parts[n - 1] = uint64(remaining);

        uint256 id = _receipt(total);
        uint256 firstNewId = _split(supplier, id, parts);
        uint256 sum = wr.receipt(id).quantity;
        vm.assertEq(sum, parts[0]);
        for (uint256 k = 1; k < n; ++k) {
            uint64 q = wr.receipt(firstNewId + k - 1).quantity;
            vm.assertEq(q, parts[k]);
            sum += q;
        }
        vm.assertEq(sum, total);
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.receipted, total);
        vm.assertEq(l.liveReceipts, n);
    }

    /// Parts that do not add up to the receipt are refused, whatever they are.
    function testFuzz_RevertWhen_splitDoesNotConserve(uint64 total, uint64 a, uint64 b, uint64 c) public {
        total = uint64(bound(total, 1, MAX_QUANTITY));
        a = uint64(bound(a, 1, MAX_QUANTITY));
        b = uint64(bound(b, 1, MAX_QUANTITY));
        c = uint64(bound(c, 1, MAX_QUANTITY));
        uint256 sum = uint256(a) + b + c;
        if (sum == total) c += 1;
        sum = uint256(a) + b + c;
        uint256 id = _receipt(total);
        // forge-lint: disable-next-line(unsafe-typecast) -- three 48-bit values fit 64 bits
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.SplitDoesNotConserve.selector, id, total, uint64(sum)));
        _split(supplier, id, _q(a, b, c));
    }

    /// A mint goes through exactly when 0 < quantity <= attested (<= 2**48 - 1), else names the reason.
    function testFuzz_mint_coverAgainstAttested(uint64 attested, uint64 quantity) public {
        attested = uint64(bound(attested, 0, MAX_QUANTITY));
        _attest(LOT, attested);
        if (quantity == 0 || quantity > MAX_QUANTITY) {
            vm.expectRevert(
                abi.encodeWithSelector(IWarehouseReceipts.QuantityOutOfRange.selector, quantity, MAX_QUANTITY)
            );
            _mint(supplier, LOT, quantity);
        } else if (quantity > attested) {
            vm.expectRevert(
                abi.encodeWithSelector(IWarehouseReceipts.InsufficientStockCover.selector, LOT, attested, 0, quantity)
            );
            _mint(supplier, LOT, quantity);
        } else {
            uint256 id = _mint(supplier, LOT, quantity);
            vm.assertEq(wr.receipt(id).quantity, quantity);
            vm.assertEq(wr.lot(LOT).receipted, quantity);
            vm.assertLe(wr.lot(LOT).receipted, wr.lot(LOT).attested, "covered");
            // and no second receipt, whatever cover is left
            vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LotAlreadyReceipted.selector, LOT, quantity));
            _mint(supplier2, LOT, 1);
        }
    }

    /// Expiry is stored as a whole UTC day, rounded up: never earlier than asked, less than a day later.
    function testFuzz_mint_expiryRoundsUpToWholeDay(uint64 expiresAt) public {
        _attest(LOT, Q);
        uint256 nowTs = _now();
        if (expiresAt == 0) {
            uint256 undated = _mint(supplier, LOT, Q);
            vm.assertEq(wr.receipt(undated).expiresAt, 0);
            return;
        }
        uint256 day = (uint256(expiresAt) + 1 days - 1) / 1 days;
        if (expiresAt <= nowTs || day > type(uint16).max) {
            vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotInFuture.selector, "expiry", expiresAt));
            vm.prank(warehouse);
            wr.mint(supplier, LOT, AL, Q, expiresAt, DETAILS);
            return;
        }
        vm.prank(warehouse);
        uint256 id = wr.mint(supplier, LOT, AL, Q, expiresAt, DETAILS);
        uint64 stored = wr.receipt(id).expiresAt;
        vm.assertEq(stored % 1 days, 0, "a whole day");
        vm.assertGe(stored, expiresAt, "never earlier than asked");
        vm.assertLt(stored, uint256(expiresAt) + 1 days, "less than a day later");
    }

    /// Expiry rounding, the other way round: from a bounded date, and pledging stops exactly at the stored expiry.
    function testFuzz_requestPledge_stopsAtTheRoundedExpiry(uint256 offset) public {
        offset = bound(offset, 1, 3 * 365 days);
        _attest(LOT, Q);
        // forge-lint: disable-next-line(unsafe-typecast) -- a date a few years ahead
        uint64 expiresAt = uint64(_now() + offset);
        vm.prank(warehouse);
        uint256 id = wr.mint(supplier, LOT, AL, Q, expiresAt, DETAILS);
        uint64 stored = wr.receipt(id).expiresAt;
        vm.warp(stored - 1);
        _requestPledge(supplier, id, lender);
        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        vm.warp(stored);
        uint64 maturity = stored + 30 days;
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.ReceiptExpired.selector, id, stored));
        vm.prank(supplier);
        wr.requestPledge(id, lender, 1, CNY, LOAN, maturity);
    }

    /// Two serial sets drawn from one universe of 64 serials: the second lot is refused exactly when
    /// they overlap, naming the first shared serial; after delivery of the first, it goes through.
    function testFuzz_serialSets_backOneLotOnly(uint64 maskA, uint64 maskB) public {
        maskA = maskA == 0 ? 1 : maskA;
        maskB = maskB == 0 ? 2 : maskB;
        bytes32[] memory a = _fromMask(maskA);
        bytes32[] memory b = _fromMask(maskB);
        _attest(LOT, Q);
        _mintSerialized(supplier, LOT, Q, a);
        _attestAt(warehouse2, LOT2, AL, Q);

        uint64 common = maskA & maskB;
        if (common != 0) {
            uint256 first = 0;
            while ((uint256(common) >> first) & 1 == 0) ++first;
            vm.expectRevert(
                abi.encodeWithSelector(IWarehouseReceipts.SerialAlreadyReceipted.selector, _serial(first), LOT)
            );
            vm.prank(warehouse2);
            wr.mintSerialized(supplier2, LOT2, AL, Q, 0, DETAILS, b);
            _requestDelivery(supplier, 1, Q);
            vm.prank(warehouse);
            wr.confirmDelivery(1, a);
        }
        vm.prank(warehouse2);
        uint256 id = wr.mintSerialized(supplier2, LOT2, AL, Q, 0, DETAILS, b);
        for (uint256 i = 0; i < b.length; ++i) {
            vm.assertEq(wr.serialLot(b[i]), LOT2);
        }
        for (uint256 i = 0; i < a.length; ++i) {
            if ((uint256(maskB) >> (uint256(a[i]) & 63)) & 1 == 0) {
                vm.assertEq(wr.serialLot(a[i]), common == 0 ? LOT : bytes32(0));
            }
        }
        vm.assertEq(wr.itemsRoot(id), _hash(b));
    }

    /// An item list is accepted only strictly ascending; the first offending position is named.
    function testFuzz_RevertWhen_itemsNotStrictlyAscending(uint256 n, uint256 at, bool duplicate) public {
        n = bound(n, 2, 40);
        at = bound(at, 1, n - 1);
        bytes32[] memory items = _serials(500, n);
        if (duplicate) items[at] = items[at - 1];
        else (items[at], items[at - 1]) = (items[at - 1], items[at]);
        _attest(LOT, Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.ItemsNotSorted.selector, at));
        _mintSerialized(supplier, LOT, Q, items);
    }

    /// splitItems hands every item to exactly one part, keeping each part's list ascending.
    function testFuzz_splitItems_partitionsItems(uint256 n, uint256 parts, uint256 seed) public {
        n = bound(n, 2, 48);
        parts = bound(parts, 2, n < 8 ? n : 8);
        bytes32[] memory items = _serials(7000, n);
        uint8[] memory assignment = new uint8[](n);
        uint256[] memory counts = new uint256[](parts);
        for (uint256 i = 0; i < n; ++i) {
            // the first `parts` items seed every part, the rest go anywhere
            // forge-lint: disable-next-line(unsafe-typecast) -- parts <= 8
            assignment[i] = uint8(i < parts ? i : uint256(keccak256(abi.encode(seed, i))) % parts);
            counts[assignment[i]]++;
        }
        uint64[] memory quantities = new uint64[](parts);
        for (uint256 k = 0; k < parts; ++k) {
            quantities[k] = uint64(counts[k] * 10);
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- n <= 48
        uint64 total = uint64(n * 10);
        _attest(LOT, total);
        uint256 id = _mintSerialized(supplier, LOT, total, items);
        vm.prank(supplier);
        uint256 firstNewId = wr.splitItems(id, quantities, items, assignment);

        uint256 covered = 0;
        for (uint256 k = 0; k < parts; ++k) {
            bytes32[] memory expected = new bytes32[](counts[k]);
            uint256 j = 0;
            for (uint256 i = 0; i < n; ++i) {
                if (assignment[i] == k) expected[j++] = items[i];
            }
            covered += j;
            uint256 partId = k == 0 ? id : firstNewId + k - 1;
            vm.assertEq(wr.itemsRoot(partId), _hash(expected));
            vm.assertEq(wr.receipt(partId).quantity, quantities[k]);
        }
        vm.assertEq(covered, n);
        vm.assertEq(wr.lot(LOT).liveReceipts, parts);
    }

    /// A count freezes the lot exactly when it is below what is receipted.
    function testFuzz_stocktake_freezesOnlyBelowReceipted(uint64 receipted, uint64 found) public {
        receipted = uint64(bound(receipted, 1, MAX_QUANTITY));
        found = uint64(bound(found, 0, MAX_QUANTITY));
        uint256 id = _receipt(receipted);
        _stocktake(LOT, found, _ids(id));
        vm.assertEq(wr.lot(LOT).frozen, found < receipted);
        vm.assertEq(wr.lot(LOT).attested, found);
    }

    /// Partial delivery takes exactly what was asked from the receipt and the lot.
    function testFuzz_delivery_reducesReceiptAndLot(uint64 total, uint64 delivered) public {
        total = uint64(bound(total, 1, MAX_QUANTITY));
        delivered = uint64(bound(delivered, 1, total));
        uint256 id = _receipt(total);
        _deliver(supplier, id, delivered);
        vm.assertEq(wr.lot(LOT).receipted, total - delivered);
        if (delivered == total) {
            vm.assertEq(wr.lot(LOT).liveReceipts, 0);
            vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, id));
            wr.receipt(id);
        } else {
            vm.assertEq(wr.receipt(id).quantity, total - delivered);
            vm.assertEq(wr.lot(LOT).liveReceipts, 1);
        }
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

    // ================================================================ the standing mirror


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

    function test_standingFeed_subscribedBeforeAnyAdmission() public view {
        (bool subscribed, uint32 epoch) = wr.standingFeed();
        vm.assertTrue(subscribed);
        vm.assertEq(epoch, 1);
        address[9] memory members =
            [warehouse, warehouse2, lender, lender2, core, supplier, supplier2, inspector, regulator];
        for (uint256 i = 0; i < members.length; ++i) {
            _assertMirrors(members[i]);
        }
        (bool current, IParticipantRegistry.Standing memory s) = wr.mirroredStanding(outsider);
        vm.assertFalse(current, "never pushed");
        vm.assertEq(uint256(s.role), 0);
    }

    function test_mirroredStanding_followsEveryRegistryChange() public {
        address fresh = address(0x2000);
        vm.startPrank(admin);
        registry.admit(fresh, uint8(IParticipantRegistry.Role.Supplier), 0, "Fresh", validUntil);
        _assertMirrors(fresh);
        _skip(1 days);
        registry.suspend(fresh, "review");
        _assertMirrors(fresh);
        _skip(1 days);
        registry.renewKyc(fresh, validUntil + 1 days);
        _assertMirrors(fresh);
        registry.reinstate(fresh);
        _assertMirrors(fresh);
        _skip(1 days);
        registry.revoke(fresh, "fraud");
        _assertMirrors(fresh);
        vm.stopPrank();
    }

    function test_activeMembers_transferPledgeAndMintWithoutAskingTheRegistry() public {
        (uint256 a,) = _twoHolders();
        _expectNoRegistryChecks();
        vm.prank(supplier);
        wr.transferFrom(supplier, core, a);
        uint48 seq = _requestPledge(core, a, lender);
        vm.prank(lender);
        wr.acceptPledge(a, seq);
        _attest(keccak256("third"), Q);
        _mint(supplier, keccak256("third"), Q);
        vm.assertEq(wr.lien(a).lender, lender);
    }

    function test_RevertWhen_suspendedMember_sendsReceivesOrPledges() public {
        (uint256 a, uint256 b) = _twoHolders();
        _suspend(supplier);
        _assertSupplierRefusedLocally(a, b, _suspended(supplier));
    }

    function test_RevertWhen_revokedMember_sendsReceivesOrPledges() public {
        (uint256 a, uint256 b) = _twoHolders();
        vm.prank(admin);
        registry.revoke(supplier, "fraud");
        _assertSupplierRefusedLocally(
            a, b, abi.encodeWithSelector(IParticipantRegistry.MemberRevoked.selector, supplier, uint64(_now()))
        );
    }

    function test_RevertWhen_kycExpiredMember_sendsReceivesOrPledges() public {
        (uint256 a, uint256 b) = _twoHolders();
        // No push happens when KYC lapses: the mirror holds the date and compares it with block time.
        uint64 until = _expireKyc(supplier);
        _assertSupplierRefusedLocally(
            a, b, abi.encodeWithSelector(IParticipantRegistry.MemberKycExpired.selector, supplier, until)
        );
    }

    function test_RevertWhen_suspendedLender_acceptsOrForecloses() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        _suspend(lender);
        _expectNoRegistryChecks();
        vm.expectRevert(_suspended(lender));
        vm.prank(lender);
        wr.acceptPledge(id, seq);
        vm.prank(admin);
        registry.reinstate(lender);
        vm.prank(lender);
        wr.acceptPledge(id, seq);
        _skip(90 days + DEFAULT_GRACE);
        uint64 until = _expireKyc(lender);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.MemberKycExpired.selector, lender, until));
        vm.prank(lender);
        wr.foreclose(id, lender);
    }



    function test_RevertWhen_multicallForgesAPush() public {
        bytes[] memory calls = new bytes[](1);
        calls[0] = abi.encodeCall(
            wr.onStandingChanged,
            (outsider, _standing(IParticipantRegistry.Role.Warehouse, IParticipantRegistry.Status.Active))
        );
        vm.expectRevert(abi.encodeWithSelector(IStandingSubscriber.NotParticipantRegistry.selector, outsider));
        vm.prank(outsider);
        wr.multicall(calls);
    }


    /// Removed from the feed, the contract stops trusting its mirror: a suspension it never heard of
    /// still stops the member, because it asks the registry again.
    function test_unsubscribed_asksTheRegistryAndMissesNoChange() public {
        (uint256 a,) = _twoHolders();
        vm.prank(admin);
        registry.removeSubscriber(address(wr));
        _suspend(supplier);
        (bool current, IParticipantRegistry.Standing memory stale) = wr.mirroredStanding(supplier);
        vm.assertFalse(current);
        vm.assertEq(uint256(stale.status), uint256(IParticipantRegistry.Status.Active), "not pushed");
        vm.expectRevert(_suspended(supplier));
        vm.prank(supplier);
        wr.transferFrom(supplier, core, a);
        vm.expectCall(address(registry), abi.encodeWithSelector(IParticipantRegistry.requireActiveMember.selector), 2);
        vm.prank(supplier2);
        wr.transferFrom(supplier2, core, 2);
        vm.assertEq(wr.ownerOf(2), core);
    }

    /// Subscribed again, the contract trusts only what is pushed under the new subscription: entries
    /// from before (which missed what happened in between) send it to the registry until synced.
    function test_resubscribed_distrustsOlderEntriesUntilSynced() public {
        (uint256 a,) = _twoHolders();
        vm.startPrank(admin);
        registry.removeSubscriber(address(wr));
        registry.suspend(supplier, "review");
        registry.addSubscriber(address(wr));
        vm.stopPrank();
        (bool current, IParticipantRegistry.Standing memory stale) = wr.mirroredStanding(supplier);
        vm.assertFalse(current, "an entry of epoch 1 under epoch 2");
        vm.assertEq(uint256(stale.status), uint256(IParticipantRegistry.Status.Active));
        vm.expectRevert(_suspended(supplier));
        vm.prank(supplier);
        wr.transferFrom(supplier, core, a);

        uint256 members = registry.memberCount();
        vm.prank(admin);
        registry.syncMembers(0, members);
        _assertMirrors(supplier);
        _assertMirrors(core);
        vm.prank(admin);
        registry.reinstate(supplier);
        _expectNoRegistryChecks();
        vm.prank(supplier);
        wr.transferFrom(supplier, core, a);
        vm.assertEq(wr.ownerOf(a), core);
    }

    function test_neverSubscribed_everyCheckAsksTheRegistry() public {
        WarehouseReceipts fresh = new WarehouseReceipts(IParticipantRegistry(address(registry)));
        (bool subscribed, uint32 epoch) = fresh.standingFeed();
        vm.assertFalse(subscribed);
        vm.assertEq(epoch, 0);
        (bool current,) = fresh.mirroredStanding(inspector);
        vm.assertFalse(current);
        vm.expectRevert(_notMember(outsider));
        vm.prank(outsider);
        fresh.recordStocktake(warehouse, LOT, AL, KG, DECIMALS, Q, EVIDENCE, new uint256[](0));
        vm.expectRevert(_wrongRole(supplier, _SUPPLIER, _INSPECTOR));
        vm.prank(supplier);
        fresh.recordStocktake(warehouse, LOT, AL, KG, DECIMALS, Q, EVIDENCE, new uint256[](0));
        vm.expectCall(address(registry), abi.encodeWithSelector(IParticipantRegistry.requireActive.selector), 2);
        vm.prank(inspector);
        fresh.recordStocktake(warehouse, LOT, AL, KG, DECIMALS, Q, EVIDENCE, new uint256[](0));
        vm.assertEq(fresh.lot(LOT).attested, Q);
    }

    function test_setPaused_doesNotStopStandingPushes() public {
        vm.prank(admin);
        wr.setPaused(true);
        _suspend(supplier);
        _assertMirrors(supplier);
        vm.prank(admin);
        registry.renewKyc(supplier, validUntil + 1 days);
        _assertMirrors(supplier);
    }

    function test_mint_preAllocatesTheLienSlot() public {
        uint256 id = _receipt(Q);
        vm.assertTrue(vm.load(address(wr), _lienSlot(id)) != bytes32(0), "lien slot not allocated");
        IWarehouseReceipts.Lien memory l = wr.lien(id);
        vm.assertEq(l.lender, address(0));
        vm.assertEq(l.loanMaturity, 0);
        vm.assertEq(uint256(l.state), uint256(IWarehouseReceipts.LienState.None));
        vm.assertEq(l.requestSeq, 0);
        // A part from a split is not pre-allocated: its first request allocates, and behaves the same.
        uint256 part = _split(supplier, id, _q(100, Q - 100));
        vm.assertEq(vm.load(address(wr), _lienSlot(part)), bytes32(0));
        vm.assertEq(_requestPledge(supplier, part, lender), 1);
        vm.assertEq(_requestPledge(supplier, id, lender), 1);
        vm.assertEq(wr.lien(part).lender, lender);
    }

    function _lienSlot(uint256 id) internal pure returns (bytes32) {
        return keccak256(abi.encode(id, uint256(5))); // `_liens` is slot 5 (forge inspect storageLayout)
    }


    function _assertSameAnswer(address m) internal override {
        // Any role: approving an operator checks only the caller's standing.
        (bool okRegistry, bytes memory registryRet) =
            address(registry).staticcall(abi.encodeCall(registry.requireActiveMember, (m)));
        vm.prank(m);
        (bool ok, bytes memory ret) = address(wr).call(abi.encodeCall(wr.setApprovalForAll, (supplier, true)));
        vm.assertEq(ok, okRegistry, "active member check");
        if (!ok) vm.assertEq(ret, registryRet);
        // A role: unfreezing a lot checks the caller is an active regulator first (then finds it unfrozen).
        (okRegistry, registryRet) = address(registry).staticcall(
            abi.encodeCall(registry.requireActive, (m, IParticipantRegistry.Role.Regulator))
        );
        vm.prank(m);
        (, ret) = address(wr).call(abi.encodeCall(wr.unfreezeLot, (LOT)));
        if (okRegistry) vm.assertEq(ret, abi.encodeWithSelector(IWarehouseReceipts.LotNotFrozen.selector, LOT));
        else vm.assertEq(ret, registryRet);
    }
}
