// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {IWarehouseReceipts} from "../../contracts/interfaces/IWarehouseReceipts.sol";
import {WarehouseReceiptsBase} from "./utils/WarehouseReceiptsBase.sol";

/// @notice Deployment and reads, the regulator's freezes and the admin's powers.
contract WarehouseReceiptsTest is WarehouseReceiptsBase {
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
}
