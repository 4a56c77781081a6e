// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC721} from "solady/src/tokens/ERC721.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IWarehouseReceipts} from "../../contracts/interfaces/IWarehouseReceipts.sol";
import {WarehouseReceiptsBase} from "./utils/WarehouseReceiptsBase.sol";

/// @notice Moving receipts: transfer, split, splitItems and merge.
contract WarehouseReceiptsTransferTest is WarehouseReceiptsBase {
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
}
