// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IReceivables} from "../../contracts/interfaces/IReceivables.sol";
import {ReceivablesFixture} from "./utils/ReceivablesFixture.sol";

/// @notice Settlement (per piece or by funding the root), redemption, overdue marking, and the emergency pause.
/// {ReceivablesSettlementRegistryFallbackTest} runs them again with the contract off the standing feed.
contract ReceivablesSettlementTest is ReceivablesFixture {
    // ------------------------------------------------------------ settlement

    function test_settle_paysPieceAndRestoresLine() public {
        uint256 rootId = _issue(FACE);
        uint256 child = _split(supplier, rootId, supplier2, 30_000_000);
        vm.warp(maturity);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherSettled(rootId, child, supplier2, 30_000_000, core, address(0), keccak256("p1"));
        vm.prank(core);
        receivables.settle(child, keccak256("p1"));

        vm.assertEq(_status(child), SETTLED);
        vm.assertEq(_value(child), 30_000_000, "a settled piece keeps the value it was paid at");
        IReceivables.Root memory r = receivables.root(rootId);
        vm.assertEq(r.settled, 30_000_000);
        vm.assertEq(r.outstanding, 70_000_000);
        vm.assertEq(_lineOutstanding(), 70_000_000);

        vm.prank(core);
        receivables.settle(rootId, keccak256("p2"));
        vm.assertEq(receivables.root(rootId).settled, FACE);
        vm.assertEq(_lineOutstanding(), 0);
    }

    function test_settle_byDesignatedPayingBank() public {
        uint256 rootId = _issue(FACE);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.PayerDesignated(rootId, core, lender2);
        vm.prank(core);
        receivables.designatePayer(rootId, lender2);
        vm.assertEq(receivables.root(rootId).payer, lender2);
        vm.warp(maturity);
        vm.prank(lender2);
        receivables.settle(rootId, keccak256("p"));
        vm.assertEq(_status(rootId), SETTLED);
    }

    function test_settle_pledgedPieceDischargesLienAndNamesLienholder() public {
        uint256 rootId = _issue(FACE);
        _pledge(rootId, supplier, lender2, FACE / 2);
        vm.warp(maturity);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherSettled(rootId, rootId, supplier, FACE, core, lender2, keccak256("p"));
        vm.prank(core);
        receivables.settle(rootId, keccak256("p"));
        vm.assertEq(_status(rootId), SETTLED);
        vm.assertEq(receivables.lien(rootId).lienholder, address(0));
    }

    function test_settle_voidsOpenOfferAndPledgeRequest() public {
        uint256 rootId = _issue(FACE);
        uint256 child = _split(supplier, rootId, supplier2, 1_000);
        _offer(rootId, supplier, lender, FACE - 1_000);
        vm.prank(supplier2);
        receivables.requestPledge(child, lender2, 1_000, keccak256("loan"), maturity + 1);
        vm.warp(maturity);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.DiscountOfferCancelled(rootId, rootId, lender);
        vm.prank(core);
        receivables.settle(rootId, keccak256("p"));
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherPledgeRequestCancelled(rootId, child, lender2);
        vm.prank(core);
        receivables.settle(child, keccak256("p"));
        vm.assertEq(receivables.discountOffer(rootId).lender, address(0));
        vm.assertEq(receivables.lien(child).lienholder, address(0));
    }

    function test_settle_holderNeedNotBeActive() public {
        uint256 rootId = _issue(FACE);
        _suspend(supplier);
        vm.warp(maturity);
        vm.prank(core);
        receivables.settle(rootId, keccak256("p"));
        vm.assertEq(_status(rootId), SETTLED);
    }

    function test_RevertWhen_settleBeforeMaturity() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity - 1);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherNotMatured.selector, rootId, maturity));
        vm.prank(core);
        receivables.settle(rootId, keccak256("p"));
    }

    function test_RevertWhen_settleByNeitherObligorNorPayer() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.NotVoucherPayer.selector, rootId, lender, core));
        vm.prank(lender);
        receivables.settle(rootId, keccak256("p"));
        vm.expectRevert(abi.encodeWithSelector(IReceivables.NotVoucherPayer.selector, rootId, core2, core));
        vm.prank(core2);
        receivables.settle(rootId, keccak256("p"));
    }

    function test_RevertWhen_settleBySuspendedObligor() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        _suspend(core);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, core, uint64(block.timestamp))
        );
        vm.prank(core);
        receivables.settle(rootId, keccak256("p"));
    }

    function test_RevertWhen_settleTwiceOrMergedPiece() public {
        uint256 rootId = _issue(FACE);
        uint256 child = _split(supplier, rootId, supplier, 1_000);
        vm.prank(supplier);
        receivables.merge(rootId, child);
        vm.warp(maturity);
        vm.expectRevert(_err(IReceivables.VoucherClosedByMerge.selector, child));
        vm.prank(core);
        receivables.settle(child, keccak256("p"));
        vm.prank(core);
        receivables.settle(rootId, keccak256("p"));
        vm.expectRevert(_err(IReceivables.VoucherAlreadySettled.selector, rootId));
        vm.prank(core);
        receivables.settle(rootId, keccak256("p"));
    }

    function test_RevertWhen_settleUnknownVoucher() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        vm.expectRevert(_err(IReceivables.VoucherNotFound.selector, rootId + 1));
        vm.prank(core);
        receivables.settle(rootId + 1, keccak256("p"));
        vm.expectRevert(_err(IReceivables.VoucherNotFound.selector, 9 * PIECES));
        vm.prank(core);
        receivables.settle(9 * PIECES, keccak256("p"));
    }

    function test_RevertWhen_settleOnFundedRoot() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        vm.prank(core);
        receivables.fundRoot(rootId, keccak256("p"));
        vm.expectRevert(_err(IReceivables.RootAlreadyFunded.selector, rootId));
        vm.prank(core);
        receivables.settle(rootId, keccak256("p"));
    }

    function test_fundRoot_fundsOutstandingOnceAndRestoresLine() public {
        uint256 rootId = _issue(FACE);
        uint256 child = _split(supplier, rootId, supplier2, 30_000_000);
        vm.warp(maturity);
        vm.prank(core);
        receivables.settle(child, keccak256("p1"));
        vm.expectEmit(true, true, false, true);
        emit IReceivables.RootFunded(rootId, core, 70_000_000, keccak256("p2"));
        vm.prank(core);
        receivables.fundRoot(rootId, keccak256("p2"));
        IReceivables.Root memory r = receivables.root(rootId);
        vm.assertTrue(r.funded);
        vm.assertEq(r.settled, 30_000_000, "funding does not mark pieces paid");
        vm.assertEq(_lineOutstanding(), 0);
    }

    function test_fundRoot_byDesignatedPayingBank() public {
        uint256 rootId = _issue(FACE);
        vm.prank(core);
        receivables.designatePayer(rootId, lender);
        vm.warp(maturity);
        vm.prank(lender);
        receivables.fundRoot(rootId, keccak256("p"));
        vm.assertTrue(receivables.root(rootId).funded);
    }

    function test_RevertWhen_fundRootTwice() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        vm.startPrank(core);
        receivables.fundRoot(rootId, keccak256("p"));
        vm.expectRevert(_err(IReceivables.RootAlreadyFunded.selector, rootId));
        receivables.fundRoot(rootId, keccak256("p"));
        vm.stopPrank();
    }

    function test_RevertWhen_fundRootBeforeMaturity() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.RootNotMatured.selector, rootId, maturity));
        vm.prank(core);
        receivables.fundRoot(rootId, keccak256("p"));
    }

    function test_RevertWhen_fundRootUnknownOrByStranger() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        vm.expectRevert(_err(IReceivables.RootNotFound.selector, rootId + 1));
        vm.prank(core);
        receivables.fundRoot(rootId + 1, keccak256("p"));
        vm.expectRevert(abi.encodeWithSelector(IReceivables.NotVoucherPayer.selector, rootId, supplier, core));
        vm.prank(supplier);
        receivables.fundRoot(rootId, keccak256("p"));
    }

    function test_RevertWhen_fundRootFullySettled() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        vm.startPrank(core);
        receivables.settle(rootId, keccak256("p"));
        vm.expectRevert(_err(IReceivables.RootFullySettled.selector, rootId));
        receivables.fundRoot(rootId, keccak256("p"));
        vm.stopPrank();
    }

    function test_redeem_marksPiecesOfFundedRootPaid() public {
        uint256 rootId = _issue(FACE);
        uint256 child = _split(supplier, rootId, supplier2, 30_000_000);
        _pledge(child, supplier2, lender2, 1_000);
        vm.warp(maturity);
        vm.prank(core);
        receivables.fundRoot(rootId, keccak256("p"));

        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherRedeemed(rootId, child, supplier2, 30_000_000, lender2);
        vm.prank(supplier3); // anyone who is an active member
        receivables.redeem(child);
        vm.assertEq(receivables.lien(child).lienholder, address(0));
        vm.prank(supplier);
        receivables.redeem(rootId);
        vm.assertEq(_status(rootId), SETTLED);
        vm.assertEq(receivables.root(rootId).settled, FACE);
        vm.assertEq(receivables.root(rootId).outstanding, 0);
    }

    function test_RevertWhen_redeemUnfundedRootTwiceOrByNonMember() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        vm.expectRevert(_err(IReceivables.RootNotFunded.selector, rootId));
        vm.prank(supplier);
        receivables.redeem(rootId);
        vm.prank(core);
        receivables.fundRoot(rootId, keccak256("p"));
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        vm.prank(outsider);
        receivables.redeem(rootId);
        vm.prank(supplier);
        receivables.redeem(rootId);
        vm.expectRevert(_err(IReceivables.VoucherAlreadySettled.selector, rootId));
        vm.prank(supplier);
        receivables.redeem(rootId);
        vm.expectRevert(_err(IReceivables.VoucherNotFound.selector, rootId + 1));
        vm.prank(supplier);
        receivables.redeem(rootId + 1);
    }

    function test_markOverdue_flagsUnpaidPieceAfterGrace() public {
        uint256 rootId = _issue(FACE);
        uint256 child = _split(supplier, rootId, supplier2, 1_000);
        vm.warp(uint256(maturity) + GRACE + 1);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherMarkedOverdue(rootId, child, supplier2, 1_000, maturity);
        vm.prank(supplier2);
        receivables.markOverdue(child);
        vm.assertTrue(receivables.voucher(child).overdue);
        vm.assertFalse(receivables.voucher(rootId).overdue);
        // Late payment is still recorded.
        vm.prank(core);
        receivables.settle(child, keccak256("late"));
        vm.assertEq(_status(child), SETTLED);
        vm.assertTrue(receivables.voucher(child).overdue, "the record keeps that it was paid late");
    }

    function test_RevertWhen_markOverdueWithinGrace() public {
        uint256 rootId = _issue(FACE);
        uint64 overdueFrom = maturity + GRACE;
        vm.warp(overdueFrom);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.VoucherGracePeriodRunning.selector, rootId, overdueFrom)
        );
        vm.prank(supplier);
        receivables.markOverdue(rootId);
    }

    function test_RevertWhen_markOverdueTwiceSettledOrFunded() public {
        uint256 rootId = _issue(FACE);
        uint256 a = _split(supplier, rootId, supplier, 1_000);
        uint256 b = _split(supplier, rootId, supplier, 1_000);
        vm.warp(uint256(maturity) + GRACE + 1);
        vm.startPrank(supplier);
        receivables.markOverdue(a);
        vm.expectRevert(_err(IReceivables.VoucherAlreadyOverdue.selector, a));
        receivables.markOverdue(a);
        vm.stopPrank();
        vm.prank(core);
        receivables.settle(b, keccak256("p"));
        vm.expectRevert(_err(IReceivables.VoucherAlreadySettled.selector, b));
        vm.prank(supplier);
        receivables.markOverdue(b);
        vm.prank(core);
        receivables.fundRoot(rootId, keccak256("p"));
        vm.expectRevert(_err(IReceivables.RootAlreadyFunded.selector, rootId));
        vm.prank(supplier);
        receivables.markOverdue(rootId);
    }

    function test_RevertWhen_markOverdueByNonMember() public {
        uint256 rootId = _issue(FACE);
        vm.warp(uint256(maturity) + GRACE + 1);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        vm.prank(outsider);
        receivables.markOverdue(rootId);
    }

    function test_designatePayer_canBeRemoved() public {
        uint256 rootId = _issue(FACE);
        vm.startPrank(core);
        receivables.designatePayer(rootId, lender2);
        receivables.designatePayer(rootId, address(0));
        vm.stopPrank();
        vm.assertEq(receivables.root(rootId).payer, address(0));
        vm.warp(maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.NotVoucherPayer.selector, rootId, lender2, core));
        vm.prank(lender2);
        receivables.settle(rootId, keccak256("p"));
    }

    function test_RevertWhen_designatePayerByNonObligor() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.NotVoucherObligor.selector, rootId, core2, core));
        vm.prank(core2);
        receivables.designatePayer(rootId, lender);
    }

    function test_RevertWhen_designatePayerNotALender() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                supplier,
                uint8(IParticipantRegistry.Role.Supplier),
                uint8(IParticipantRegistry.Role.Lender)
            )
        );
        vm.prank(core);
        receivables.designatePayer(rootId, supplier);
    }

    function test_RevertWhen_designatePayerForUnknownRoot() public {
        vm.expectRevert(_err(IReceivables.RootNotFound.selector, PIECES));
        vm.prank(core);
        receivables.designatePayer(PIECES, lender);
    }

    // ------------------------------------------------------------ pause

    function test_pause_stopsEveryStateChangeButNotReads() public {
        uint256 rootId = _issue(FACE);
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        vm.prank(admin);
        receivables.pause();
        vm.assertTrue(receivables.paused());

        bytes4 paused = Pausable.EnforcedPause.selector;
        vm.startPrank(lender);
        vm.expectRevert(paused);
        receivables.setCreditLine(core, LIMIT, CNY, lineExpiry);
        vm.expectRevert(paused);
        receivables.closeCreditLine(core);
        vm.expectRevert(paused);
        receivables.acceptDiscount(rootId, 1, bytes32(0));
        vm.expectRevert(paused);
        receivables.acceptPledge(rootId, 1, bytes32(0));
        vm.expectRevert(paused);
        receivables.releasePledge(rootId);
        vm.stopPrank();

        vm.startPrank(core);
        vm.expectRevert(paused);
        receivables.issue(p);
        vm.expectRevert(paused);
        receivables.designatePayer(rootId, lender);
        vm.expectRevert(paused);
        receivables.settle(rootId, bytes32(0));
        vm.expectRevert(paused);
        receivables.fundRoot(rootId, bytes32(0));
        vm.stopPrank();

        vm.startPrank(supplier);
        vm.expectRevert(paused);
        receivables.split(rootId, supplier2, 1);
        vm.expectRevert(paused);
        receivables.transfer(rootId, supplier2);
        vm.expectRevert(paused);
        receivables.merge(rootId, rootId + 1);
        vm.expectRevert(paused);
        receivables.offerDiscount(rootId, lender, 1);
        vm.expectRevert(paused);
        receivables.cancelDiscountOffer(rootId);
        vm.expectRevert(paused);
        receivables.requestPledge(rootId, lender, 1, bytes32(0), maturity);
        vm.expectRevert(paused);
        receivables.cancelPledgeRequest(rootId);
        vm.expectRevert(paused);
        receivables.redeem(rootId);
        vm.expectRevert(paused);
        receivables.markOverdue(rootId);
        vm.stopPrank();

        vm.assertEq(receivables.voucher(rootId).holder, supplier);
        vm.assertEq(receivables.root(rootId).faceValue, FACE);
        vm.assertEq(_lineOutstanding(), FACE);
    }

    function test_unpause_resumes() public {
        uint256 rootId = _issue(FACE);
        vm.startPrank(admin);
        vm.expectEmit(true, true, true, true);
        emit Pausable.Paused(admin);
        receivables.pause();
        vm.expectEmit(true, true, true, true);
        emit Pausable.Unpaused(admin);
        receivables.unpause();
        vm.stopPrank();
        vm.assertFalse(receivables.paused());
        _split(supplier, rootId, supplier2, 1);
    }

    function test_RevertWhen_pauseOrUnpauseByNonAdmin() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivables.CallerNotConsortiumAdmin.selector, lender));
        vm.prank(lender);
        receivables.pause();
        vm.prank(admin);
        receivables.pause();
        vm.expectRevert(abi.encodeWithSelector(IReceivables.CallerNotConsortiumAdmin.selector, core));
        vm.prank(core);
        receivables.unpause();
    }

    function test_RevertWhen_pauseTwiceOrUnpauseWhenRunning() public {
        vm.startPrank(admin);
        vm.expectRevert(Pausable.ExpectedPause.selector);
        receivables.unpause();
        receivables.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        receivables.pause();
        vm.stopPrank();
    }
}

/// @notice ReceivablesSettlementTest's tests again with the receivables contract off the registry's standing feed:
/// every member check is then the registry's own, and must refuse and allow exactly the same.
contract ReceivablesSettlementRegistryFallbackTest is ReceivablesSettlementTest {
    function setUp() public override {
        super.setUp();
        _leaveStandingFeed();
    }
}
