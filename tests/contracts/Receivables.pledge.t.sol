// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IReceivables} from "../../contracts/interfaces/IReceivables.sol";
import {ReceivablesFixture} from "./utils/ReceivablesFixture.sol";

/// @notice Pledging a piece to a lender: request, cancel, accept, release.
/// {ReceivablesPledgeRegistryFallbackTest} runs them again with the contract off the standing feed.
contract ReceivablesPledgeTest is ReceivablesFixture {
    // ------------------------------------------------------------ pledge

    function test_requestPledge_freezesPieceAndEmits() public {
        uint256 rootId = _issue(FACE);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherPledgeRequested(
            rootId, rootId, lender, supplier, 80_000_000, keccak256("loan"), maturity + 30 days
        );
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, 80_000_000, keccak256("loan"), maturity + 30 days);
        vm.assertEq(_status(rootId), REQUESTED);
        IReceivables.Lien memory l = receivables.lien(rootId);
        vm.assertEq(l.lienholder, lender);
        vm.assertEq(l.securedAmount, 80_000_000);
        vm.assertEq(l.loanMaturity, maturity + 30 days);
        vm.assertEq(l.loanRef, keccak256("loan"));
        vm.assertFalse(l.accepted);
    }

    function test_acceptPledge_registersLien() public {
        uint256 rootId = _issue(FACE);
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, 80_000_000, keccak256("loan"), maturity + 30 days);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherPledgeAccepted(rootId, rootId, lender, supplier, 80_000_000, keccak256("loan"));
        vm.prank(lender);
        receivables.acceptPledge(rootId, 80_000_000, keccak256("loan"));
        vm.assertEq(_status(rootId), PLEDGED);
        vm.assertTrue(receivables.lien(rootId).accepted);
        vm.assertEq(receivables.voucher(rootId).holder, supplier); // a pledge does not move the voucher
    }

    function test_releasePledge_unfreezesPiece() public {
        uint256 rootId = _issue(FACE);
        _pledge(rootId, supplier, lender, FACE);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherPledgeReleased(rootId, rootId, lender);
        vm.prank(lender);
        receivables.releasePledge(rootId);
        vm.assertEq(_status(rootId), ACTIVE);
        vm.assertEq(receivables.lien(rootId).lienholder, address(0));
        vm.prank(supplier);
        receivables.transfer(rootId, supplier2);
        _pledge(rootId, supplier2, lender2, 1);
        vm.assertEq(receivables.lien(rootId).lienholder, lender2);
    }

    function test_cancelPledgeRequest_unfreezesPiece() public {
        uint256 rootId = _issue(FACE);
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, FACE, keccak256("loan"), maturity);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherPledgeRequestCancelled(rootId, rootId, lender);
        vm.prank(supplier);
        receivables.cancelPledgeRequest(rootId);
        vm.assertEq(_status(rootId), ACTIVE);
        vm.assertEq(receivables.lien(rootId).lienholder, address(0));
    }

    function test_RevertWhen_requestPledgeOnPledgedPiece_namesLienholder() public {
        uint256 rootId = _issue(FACE);
        _pledge(rootId, supplier, lender, FACE);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherPledged.selector, rootId, lender));
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender2, FACE, keccak256("loan-2"), maturity);
    }

    function test_RevertWhen_requestPledgeWhileRequestPending() public {
        uint256 rootId = _issue(FACE);
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, FACE, keccak256("loan"), maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherPledgeRequestPending.selector, rootId, lender));
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender2, FACE, keccak256("loan-2"), maturity);
    }

    function test_RevertWhen_requestPledgeOfOfferedPiece() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherOfferedForDiscount.selector, rootId, lender));
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender2, FACE, keccak256("loan"), maturity);
    }

    function test_RevertWhen_requestPledgeSecuredAmountOutOfRange() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.VoucherSecuredAmountOutOfRange.selector, rootId, 0, FACE)
        );
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, 0, keccak256("loan"), maturity);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.VoucherSecuredAmountOutOfRange.selector, rootId, FACE + 1, FACE)
        );
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, FACE + 1, keccak256("loan"), maturity);
    }

    function test_RevertWhen_requestPledgeLoanMaturityNotInFuture() public {
        uint256 rootId = _issue(FACE);
        uint64 nowTs = uint64(block.timestamp);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.VoucherLoanMaturityNotInFuture.selector, rootId, nowTs)
        );
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, FACE, keccak256("loan"), nowTs);
        uint64 tooFar = uint64(type(uint40).max) + 1;
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.VoucherLoanMaturityNotInFuture.selector, rootId, tooFar)
        );
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, FACE, keccak256("loan"), tooFar);
    }

    function test_RevertWhen_requestPledgeToNonLenderOrAfterMaturity() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                core,
                uint8(IParticipantRegistry.Role.CoreEnterprise),
                uint8(IParticipantRegistry.Role.Lender)
            )
        );
        vm.prank(supplier);
        receivables.requestPledge(rootId, core, FACE, keccak256("loan"), maturity);
        vm.warp(maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherMatured.selector, rootId, maturity));
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, FACE, keccak256("loan"), maturity + 1);
    }

    function test_RevertWhen_requestPledgeByNonHolder() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.NotVoucherHolder.selector, rootId, lender, supplier));
        vm.prank(lender);
        receivables.requestPledge(rootId, lender, FACE, keccak256("loan"), maturity);
    }

    function test_RevertWhen_acceptPledgeTwice_namesLienholder() public {
        uint256 rootId = _issue(FACE);
        _pledge(rootId, supplier, lender, FACE);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherPledged.selector, rootId, lender));
        vm.prank(lender2);
        receivables.acceptPledge(rootId, FACE, keccak256("loan"));
    }

    function test_RevertWhen_acceptPledgeByOtherLender() public {
        uint256 rootId = _issue(FACE);
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, FACE, keccak256("loan"), maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.NotVoucherPledgee.selector, rootId, lender2, lender));
        vm.prank(lender2);
        receivables.acceptPledge(rootId, FACE, keccak256("loan"));
    }

    function test_RevertWhen_acceptPledgeByNonLender() public {
        uint256 rootId = _issue(FACE);
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, FACE, keccak256("loan"), maturity);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                supplier2,
                uint8(IParticipantRegistry.Role.Supplier),
                uint8(IParticipantRegistry.Role.Lender)
            )
        );
        vm.prank(supplier2);
        receivables.acceptPledge(rootId, FACE, keccak256("loan"));
    }

    function test_RevertWhen_acceptPledgeOnOtherTerms() public {
        uint256 rootId = _issue(FACE);
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, FACE, keccak256("loan"), maturity);
        vm.expectRevert(
            abi.encodeWithSelector(
                IReceivables.VoucherPledgeTermsMismatch.selector,
                rootId,
                FACE - 1,
                keccak256("loan"),
                FACE,
                keccak256("loan")
            )
        );
        vm.prank(lender);
        receivables.acceptPledge(rootId, FACE - 1, keccak256("loan"));
        vm.expectRevert(
            abi.encodeWithSelector(
                IReceivables.VoucherPledgeTermsMismatch.selector,
                rootId,
                FACE,
                keccak256("other"),
                FACE,
                keccak256("loan")
            )
        );
        vm.prank(lender);
        receivables.acceptPledge(rootId, FACE, keccak256("other"));
    }

    function test_RevertWhen_acceptPledgeNotRequested() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(_err(IReceivables.VoucherPledgeNotRequested.selector, rootId));
        vm.prank(lender);
        receivables.acceptPledge(rootId, FACE, keccak256("loan"));
        vm.expectRevert(_err(IReceivables.VoucherNotFound.selector, rootId + 9));
        vm.prank(lender);
        receivables.acceptPledge(rootId + 9, FACE, keccak256("loan"));
    }

    function test_RevertWhen_acceptPledgeAtMaturityOrFromSuspendedHolder() public {
        uint256 rootId = _issue(FACE);
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, FACE, keccak256("loan"), maturity + 1 days);
        _suspend(supplier);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, supplier, uint64(block.timestamp))
        );
        vm.prank(lender);
        receivables.acceptPledge(rootId, FACE, keccak256("loan"));
        vm.warp(maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherMatured.selector, rootId, maturity));
        vm.prank(lender);
        receivables.acceptPledge(rootId, FACE, keccak256("loan"));
    }

    function test_RevertWhen_releasePledgeByNonLienholder() public {
        uint256 rootId = _issue(FACE);
        _pledge(rootId, supplier, lender, FACE);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.NotVoucherLienholder.selector, rootId, lender2, lender)
        );
        vm.prank(lender2);
        receivables.releasePledge(rootId);
        // Only the lienholder releases; anyone else, whatever their role, is told who holds the lien.
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.NotVoucherLienholder.selector, rootId, supplier, lender)
        );
        vm.prank(supplier);
        receivables.releasePledge(rootId);
    }

    /// Issue 15, item 4: a suspended or revoked lienholder can still let go of its lien (it could
    /// not: releasePledge required an active lender, so the supplier's piece stayed locked).
    function test_releasePledge_bySuspendedOrRevokedLienholder() public {
        uint256 rootId = _issue(FACE);
        uint256 child = _split(supplier, rootId, supplier, FACE / 2);
        _pledge(rootId, supplier, lender, FACE / 2);
        _pledge(child, supplier, lender, FACE / 2);
        _suspend(lender);
        vm.prank(lender);
        receivables.releasePledge(rootId);
        vm.assertEq(uint256(receivables.voucher(rootId).status), uint256(IReceivables.VoucherStatus.Active));
        vm.prank(admin);
        registry.revoke(lender, "licence withdrawn");
        vm.prank(lender);
        receivables.releasePledge(child);
        vm.assertEq(uint256(receivables.voucher(child).status), uint256(IReceivables.VoucherStatus.Active));
        vm.prank(supplier);
        receivables.transfer(child, supplier2); // movable again
    }

    /// Issue 15, item 5: a lender cannot finance its own legal entity (discount or pledge).
    function test_RevertWhen_lenderFinancesItsOwnEntity() public {
        address captiveBank = address(0x2002);
        vm.prank(admin);
        registry.admit(
            captiveBank, uint8(IParticipantRegistry.Role.Lender), keccak256(bytes("Tier1 Co")), "Tier1 Finance", validUntil
        );
        uint256 rootId = _issue(FACE);
        bytes memory same = abi.encodeWithSelector(
            IParticipantRegistry.SameEntity.selector, captiveBank, supplier, keccak256(bytes("Tier1 Co"))
        );
        _offer(rootId, supplier, captiveBank, FACE - 1);
        vm.expectRevert(same);
        vm.prank(captiveBank);
        receivables.acceptDiscount(rootId, FACE - 1, keccak256("pay"));
        vm.prank(supplier);
        receivables.cancelDiscountOffer(rootId);

        vm.prank(supplier);
        receivables.requestPledge(rootId, captiveBank, FACE, keccak256("loan"), maturity);
        vm.expectRevert(same);
        vm.prank(captiveBank);
        receivables.acceptPledge(rootId, FACE, keccak256("loan"));
        // An independent bank is not affected.
        vm.prank(supplier);
        receivables.cancelPledgeRequest(rootId);
        _pledge(rootId, supplier, lender, FACE);
    }

    /// Issue 15, item 4: a tier is a split depth. A piece at the root's maximum depth cannot be split
    /// again, but passes whole through any number of holders, keeping its tier.
    function test_transfer_wholePieceKeepsItsTierAtMaxDepth() public {
        uint256 rootId = _issue(FACE, 1, 1);
        uint256 child = _split(supplier, rootId, supplier2, FACE / 2);
        vm.assertEq(receivables.voucher(child).tier, 1);
        address[4] memory hands = [supplier3, supplier, supplier2, supplier3];
        address from = supplier2;
        for (uint256 i = 0; i < hands.length; ++i) {
            vm.prank(from);
            receivables.transfer(child, hands[i]);
            from = hands[i];
            vm.assertEq(receivables.voucher(child).tier, 1, "a whole transfer keeps the tier");
        }
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherTierTooDeep.selector, child, 2, uint8(1)));
        vm.prank(from);
        receivables.split(child, supplier, 1);
    }

    function test_RevertWhen_releasePledgeNotPledged() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(_err(IReceivables.VoucherNotPledged.selector, rootId));
        vm.prank(lender);
        receivables.releasePledge(rootId);
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, FACE, keccak256("loan"), maturity);
        vm.expectRevert(_err(IReceivables.VoucherNotPledged.selector, rootId));
        vm.prank(lender);
        receivables.releasePledge(rootId);
        vm.expectRevert(_err(IReceivables.VoucherNotFound.selector, rootId + 1));
        vm.prank(lender);
        receivables.releasePledge(rootId + 1);
    }

    function test_RevertWhen_cancelPledgeRequestNotRequested() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(_err(IReceivables.VoucherPledgeNotRequested.selector, rootId));
        vm.prank(supplier);
        receivables.cancelPledgeRequest(rootId);
        _pledge(rootId, supplier, lender, FACE);
        vm.expectRevert(_err(IReceivables.VoucherPledgeNotRequested.selector, rootId));
        vm.prank(supplier);
        receivables.cancelPledgeRequest(rootId);
    }

    function test_RevertWhen_cancelPledgeRequestByNonHolder() public {
        uint256 rootId = _issue(FACE);
        vm.prank(supplier);
        receivables.requestPledge(rootId, lender, FACE, keccak256("loan"), maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.NotVoucherHolder.selector, rootId, lender, supplier));
        vm.prank(lender);
        receivables.cancelPledgeRequest(rootId);
    }
}

/// @notice ReceivablesPledgeTest's tests again with the receivables contract off the registry's standing feed:
/// every member check is then the registry's own, and must refuse and allow exactly the same.
contract ReceivablesPledgeRegistryFallbackTest is ReceivablesPledgeTest {
    function setUp() public override {
        super.setUp();
        _leaveStandingFeed();
    }
}
