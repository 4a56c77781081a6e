// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC721} from "solady/src/tokens/ERC721.sol";
import {IWarehouseReceipts} from "../../contracts/interfaces/IWarehouseReceipts.sol";
import {WarehouseReceiptsBase} from "./utils/WarehouseReceiptsBase.sol";

/// @notice Taking the goods out: delivery request, cancellation and confirmation.
contract WarehouseReceiptsDeliveryTest is WarehouseReceiptsBase {
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
}
