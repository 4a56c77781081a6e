// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IWarehouseReceipts} from "../../contracts/interfaces/IWarehouseReceipts.sol";
import {WarehouseReceiptsBase} from "./utils/WarehouseReceiptsBase.sol";

/// @notice Issuing receipts against attested goods: mint and mintSerialized.
contract WarehouseReceiptsMintTest is WarehouseReceiptsBase {
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
}
