// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IReceivables} from "../../contracts/interfaces/IReceivables.sol";
import {ReceivablesFixture} from "./utils/ReceivablesFixture.sol";

/// @notice Moving pieces of a voucher: split, whole-piece transfer and merge.
/// {ReceivablesPiecesRegistryFallbackTest} runs them again with the contract off the standing feed.
contract ReceivablesPiecesTest is ReceivablesFixture {
    // ------------------------------------------------------------ split

    function test_split_createsChildWithParentLinkAndConservesValue() public {
        uint256 rootId = _issue(FACE);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherSplit(rootId, rootId, supplier2, rootId + 1, 30_000_000);
        uint256 childId = _split(supplier, rootId, supplier2, 30_000_000);
        vm.assertEq(childId, rootId + 1);

        IReceivables.Voucher memory child = receivables.voucher(childId);
        vm.assertEq(child.holder, supplier2);
        vm.assertEq(child.value, 30_000_000);
        vm.assertEq(child.rootId, rootId);
        vm.assertEq(child.parentId, rootId);
        vm.assertEq(child.tier, 1);
        vm.assertEq(uint256(child.status), ACTIVE);
        vm.assertEq(_value(rootId), 70_000_000);
        vm.assertEq(receivables.voucher(rootId).holder, supplier);
        vm.assertEq(receivables.root(rootId).pieceCount, 2);
        vm.assertEq(receivables.root(rootId).outstanding, FACE);
    }

    function test_split_downTheChainRecordsTiersAndParents() public {
        uint256 rootId = _issue(FACE);
        uint256 t1 = _split(supplier, rootId, supplier2, 40_000_000);
        uint256 t2 = _split(supplier2, t1, supplier3, 10_000_000);
        uint256 t1b = _split(supplier, rootId, supplier3, 5_000_000);
        vm.assertEq(t2, rootId + 2);
        vm.assertEq(t1b, rootId + 3);
        IReceivables.Voucher memory v2 = receivables.voucher(t2);
        vm.assertEq(v2.parentId, t1);
        vm.assertEq(v2.rootId, rootId);
        vm.assertEq(v2.tier, 2);
        vm.assertEq(receivables.voucher(t1b).parentId, rootId);
        vm.assertEq(receivables.voucher(t1b).tier, 1);
        vm.assertEq(_value(rootId) + _value(t1) + _value(t2) + _value(t1b), FACE);
    }

    function test_split_toSelfAndByLenderHolder() public {
        uint256 rootId = _issue(FACE);
        uint256 own = _split(supplier, rootId, supplier, 1_000);
        vm.assertEq(receivables.voucher(own).holder, supplier);
        // A lender (any admitted member) may hold and split a piece.
        vm.prank(supplier);
        receivables.transfer(own, lender);
        uint256 piece = _split(lender, own, lender2, 400);
        vm.assertEq(receivables.voucher(piece).holder, lender2);
    }

    function test_split_exactlyMinimumDenominationOnBothSides() public {
        uint256 rootId = _issue(200, 100, 5);
        uint256 childId = _split(supplier, rootId, supplier2, 100);
        vm.assertEq(_value(childId), 100);
        vm.assertEq(_value(rootId), 100);
    }

    function test_RevertWhen_splitMovesWholeValue() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.SplitExceedsValue.selector, rootId, FACE, FACE));
        _split(supplier, rootId, supplier2, FACE);
    }

    function test_RevertWhen_splitMoreThanValue() public {
        uint256 rootId = _issue(FACE);
        uint128 tooMuch = type(uint128).max;
        vm.expectRevert(abi.encodeWithSelector(IReceivables.SplitExceedsValue.selector, rootId, tooMuch, FACE));
        _split(supplier, rootId, supplier2, tooMuch);
    }

    function test_RevertWhen_splitZero() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.SplitBelowMinimumDenomination.selector, rootId, 0, FACE, 1)
        );
        _split(supplier, rootId, supplier2, 0);
    }

    function test_RevertWhen_splitChildBelowMinimumDenomination() public {
        uint256 rootId = _issue(FACE, 10_000, 5);
        vm.expectRevert(
            abi.encodeWithSelector(
                IReceivables.SplitBelowMinimumDenomination.selector, rootId, 9_999, FACE - 9_999, 10_000
            )
        );
        _split(supplier, rootId, supplier2, 9_999);
    }

    function test_RevertWhen_splitLeavesDustRemainder() public {
        uint256 rootId = _issue(FACE, 10_000, 5);
        vm.expectRevert(
            abi.encodeWithSelector(
                IReceivables.SplitBelowMinimumDenomination.selector, rootId, FACE - 1, 1, 10_000
            )
        );
        _split(supplier, rootId, supplier2, FACE - 1);
    }

    function test_RevertWhen_splitBeyondMaxDepth() public {
        uint256 rootId = _issue(FACE, 1, 1);
        uint256 t1 = _split(supplier, rootId, supplier2, 1_000);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherTierTooDeep.selector, t1, 2, 1));
        _split(supplier2, t1, supplier3, 100);
    }

    function test_RevertWhen_splitRootWithMaxDepthZero() public {
        uint256 rootId = _issue(FACE, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherTierTooDeep.selector, rootId, 1, 0));
        _split(supplier, rootId, supplier2, 100);
    }

    function test_split_reachesTier255WhenAllowed() public {
        uint256 rootId = _issue(FACE, 1, type(uint8).max);
        // Walking 254 splits down is slow; set the root piece's 8-bit tier field to 254 directly.
        bytes32 slot = keccak256(abi.encode(rootId, uint256(2)));
        uint256 word = uint256(vms.load(address(receivables), slot));
        word = (word & ~(uint256(0xff) << 224)) | (uint256(254) << 224);
        vms.store(address(receivables), slot, bytes32(word));
        uint256 deepest = _split(supplier, rootId, supplier2, 2);
        vm.assertEq(receivables.voucher(deepest).tier, 255);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherTierTooDeep.selector, deepest, 256, 255));
        _split(supplier2, deepest, supplier3, 1);
    }

    function test_RevertWhen_splitPastPieceLimit() public {
        uint256 rootId = _issue(FACE);
        // Set the piece counter (bits 168-199 of the root terms word, mapping slot 3) to the last index.
        bytes32 slot = keccak256(abi.encode(rootId, uint256(3)));
        uint256 word = uint256(vms.load(address(receivables), slot));
        word = (word & ~(uint256(type(uint32).max) << 168)) | (uint256(PIECES - 2) << 168);
        vms.store(address(receivables), slot, bytes32(word));
        uint256 last = _split(supplier, rootId, supplier2, 1);
        vm.assertEq(last, rootId + PIECES - 1);
        vm.assertEq(receivables.voucher(last).rootId, rootId);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.RootPieceLimitReached.selector, rootId, PIECES - 1));
        _split(supplier, rootId, supplier2, 1);
    }

    function test_RevertWhen_splitByNonHolder() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.NotVoucherHolder.selector, rootId, supplier2, supplier)
        );
        _split(supplier2, rootId, supplier3, 100);
    }

    function test_RevertWhen_splitUnknownVoucher() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(_err(IReceivables.VoucherNotFound.selector, rootId + 1));
        _split(supplier, rootId + 1, supplier2, 100);
        vm.expectRevert(_err(IReceivables.VoucherNotFound.selector, 7));
        _split(supplier, 7, supplier2, 100);
    }

    function test_RevertWhen_splitAtOrAfterMaturity() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherMatured.selector, rootId, maturity));
        _split(supplier, rootId, supplier2, 100);
    }

    function test_RevertWhen_splitPledgedRequestedOrOfferedPiece() public {
        uint256 a = _issue(FACE);
        uint256 b = _split(supplier, a, supplier, 1_000_000);
        uint256 c = _split(supplier, a, supplier, 1_000_000);
        _pledge(a, supplier, lender, 500);
        vm.prank(supplier);
        receivables.requestPledge(b, lender2, 500, keccak256("loan-b"), maturity);
        _offer(c, supplier, lender, 900_000);

        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherPledged.selector, a, lender));
        _split(supplier, a, supplier2, 100);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherPledgeRequestPending.selector, b, lender2));
        _split(supplier, b, supplier2, 100);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherOfferedForDiscount.selector, c, lender));
        _split(supplier, c, supplier2, 100);
    }

    function test_RevertWhen_splitSettledOrMergedPiece() public {
        uint256 rootId = _issue(FACE);
        uint256 child = _split(supplier, rootId, supplier, 1_000);
        vm.prank(supplier);
        receivables.merge(rootId, child);
        vm.expectRevert(_err(IReceivables.VoucherClosedByMerge.selector, child));
        _split(supplier, child, supplier2, 100);

        vm.warp(maturity);
        vm.prank(core);
        receivables.settle(rootId, keccak256("pay"));
        vm.expectRevert(_err(IReceivables.VoucherAlreadySettled.selector, rootId));
        _split(supplier, rootId, supplier2, 100);
    }

    function test_RevertWhen_splitToNonMemberOrSuspendedMember() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        _split(supplier, rootId, outsider, 100);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, address(0)));
        _split(supplier, rootId, address(0), 100);
        _suspend(supplier2);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, supplier2, uint64(block.timestamp))
        );
        _split(supplier, rootId, supplier2, 100);
    }

    function test_RevertWhen_splitBySuspendedHolder() public {
        uint256 rootId = _issue(FACE);
        _suspend(supplier);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, supplier, uint64(block.timestamp))
        );
        _split(supplier, rootId, supplier2, 100);
    }

    // ------------------------------------------------------------ transfer

    function test_transfer_movesWholePieceKeepingTier() public {
        uint256 rootId = _issue(FACE);
        uint256 child = _split(supplier, rootId, supplier2, 1_000);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherTransferred(rootId, child, supplier3, supplier2, 1_000);
        vm.prank(supplier2);
        receivables.transfer(child, supplier3);
        IReceivables.Voucher memory v = receivables.voucher(child);
        vm.assertEq(v.holder, supplier3);
        vm.assertEq(v.value, 1_000);
        vm.assertEq(v.tier, 1);
        vm.assertEq(v.parentId, rootId);
    }

    function test_RevertWhen_transferByNonHolder() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.NotVoucherHolder.selector, rootId, core, supplier));
        vm.prank(core);
        receivables.transfer(rootId, supplier2);
    }

    function test_RevertWhen_transferToNonMember() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        vm.prank(supplier);
        receivables.transfer(rootId, outsider);
    }

    function test_RevertWhen_transferAfterMaturity() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity + 1);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherMatured.selector, rootId, maturity));
        vm.prank(supplier);
        receivables.transfer(rootId, supplier2);
    }

    function test_RevertWhen_transferPledgedPiece() public {
        uint256 rootId = _issue(FACE);
        _pledge(rootId, supplier, lender, FACE);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherPledged.selector, rootId, lender));
        vm.prank(supplier);
        receivables.transfer(rootId, supplier2);
    }

    function test_RevertWhen_transferOfferedPiece() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE - 1);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherOfferedForDiscount.selector, rootId, lender));
        vm.prank(supplier);
        receivables.transfer(rootId, supplier2);
    }

    function test_RevertWhen_transferUnknownVoucher() public {
        vm.expectRevert(_err(IReceivables.VoucherNotFound.selector, 5_000_000));
        vm.prank(supplier);
        receivables.transfer(5_000_000, supplier2);
    }

    // ------------------------------------------------------------ merge

    function test_merge_intoLowerIdKeepingDeepestTier() public {
        uint256 rootId = _issue(FACE);
        uint256 t1 = _split(supplier, rootId, supplier2, 40_000_000);
        uint256 t2 = _split(supplier2, t1, supplier2, 10_000_000);
        vm.prank(supplier2);
        receivables.transfer(t2, supplier);
        // supplier holds root (60M, tier 0) and t2 (10M, tier 2); argument order does not matter.
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VouchersMerged(rootId, rootId, t2, supplier, 70_000_000);
        vm.prank(supplier);
        uint256 survivor = receivables.merge(t2, rootId);
        vm.assertEq(survivor, rootId);
        IReceivables.Voucher memory kept = receivables.voucher(rootId);
        vm.assertEq(kept.value, 70_000_000);
        vm.assertEq(kept.tier, 2);
        vm.assertEq(kept.parentId, 0);
        IReceivables.Voucher memory closed = receivables.voucher(t2);
        vm.assertEq(closed.value, 0);
        vm.assertEq(uint256(closed.status), MERGED);
        vm.assertEq(closed.parentId, t1);
        vm.assertEq(_value(rootId) + _value(t1) + _value(t2), FACE);
    }

    function test_RevertWhen_mergeWithItself() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(_err(IReceivables.MergeWithItself.selector, rootId));
        vm.prank(supplier);
        receivables.merge(rootId, rootId);
    }

    function test_RevertWhen_mergeAcrossRoots() public {
        uint256 a = _issue(FACE);
        uint256 b = _issue(FACE);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.MergeAcrossRoots.selector, b, a));
        vm.prank(supplier);
        receivables.merge(b, a);
    }

    function test_RevertWhen_mergePiecesOfDifferentHolders() public {
        uint256 rootId = _issue(FACE);
        uint256 child = _split(supplier, rootId, supplier2, 1_000);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.NotVoucherHolder.selector, child, supplier, supplier2));
        vm.prank(supplier);
        receivables.merge(rootId, child);
    }

    function test_RevertWhen_mergeClosedOrPledgedPiece() public {
        uint256 rootId = _issue(FACE);
        uint256 a = _split(supplier, rootId, supplier, 1_000);
        uint256 b = _split(supplier, rootId, supplier, 1_000);
        vm.prank(supplier);
        receivables.merge(a, b);
        vm.expectRevert(_err(IReceivables.VoucherClosedByMerge.selector, b));
        vm.prank(supplier);
        receivables.merge(a, b);
        _pledge(a, supplier, lender, 100);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherPledged.selector, a, lender));
        vm.prank(supplier);
        receivables.merge(rootId, a);
    }

    function test_RevertWhen_mergeAfterMaturity() public {
        uint256 rootId = _issue(FACE);
        uint256 a = _split(supplier, rootId, supplier, 1_000);
        vm.warp(maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherMatured.selector, rootId, maturity));
        vm.prank(supplier);
        receivables.merge(rootId, a);
    }
}

/// @notice ReceivablesPiecesTest's tests again with the receivables contract off the registry's standing feed:
/// every member check is then the registry's own, and must refuse and allow exactly the same.
contract ReceivablesPiecesRegistryFallbackTest is ReceivablesPiecesTest {
    function setUp() public override {
        super.setUp();
        _leaveStandingFeed();
    }
}
