// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Receivables} from "../../contracts/Receivables.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IReceivables} from "../../contracts/interfaces/IReceivables.sol";
import {ReceivablesFixture} from "./utils/ReceivablesFixture.sol";

/// @notice Construction, reads, credit lines and issuance of vouchers.
/// {ReceivablesIssueRegistryFallbackTest} runs them again with the contract off the standing feed.
contract ReceivablesIssueTest is ReceivablesFixture {
    // ------------------------------------------------------------ construction and reads

    function test_constructor_setsRegistryGraceAndVersion() public view {
        vm.assertEq(address(receivables.registry()), address(registry));
        vm.assertEq(receivables.gracePeriod(), GRACE);
        vm.assertEq(receivables.VERSION(), "1.0.0");
        vm.assertFalse(receivables.paused());
    }

    function test_RevertWhen_constructedWithoutRegistryContract() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivables.RegistryNotAContract.selector, address(0)));
        new Receivables(IParticipantRegistry(address(0)), GRACE);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.RegistryNotAContract.selector, outsider));
        new Receivables(IParticipantRegistry(outsider), GRACE);
    }

    function test_registrySelectors_matchInterface() public pure {
        // Receivables calls the registry with these selectors hard-coded (low-level static calls).
        vm.assertEq(bytes32(IParticipantRegistry.requireActiveMember.selector), bytes32(bytes4(0x0bb0cf0d)));
        vm.assertEq(bytes32(IParticipantRegistry.requireActive.selector), bytes32(bytes4(0x3bdb04c9)));
    }

    function test_views_unknownIdsAreEmpty() public view {
        IReceivables.Voucher memory v = receivables.voucher(1_000_000);
        vm.assertEq(v.holder, address(0));
        vm.assertEq(v.rootId, 0);
        vm.assertEq(uint256(v.status), 0);
        IReceivables.Root memory r = receivables.root(1_000_000);
        vm.assertEq(r.obligor, address(0));
        vm.assertEq(r.faceValue, 0);
        vm.assertEq(receivables.documentUsedBy(core, keccak256("nothing")), 0);
        vm.assertEq(receivables.lien(1_000_000).lienholder, address(0));
        vm.assertEq(receivables.discountOffer(1_000_000).lender, address(0));
        vm.assertEq(receivables.discount(1_000_000).lender, address(0));
        vm.assertEq(receivables.creditLine(lender2, core2).limit, 0);
    }

    // ------------------------------------------------------------ credit lines

    function test_setCreditLine_grantsLineAndEmits() public {
        vm.expectEmit(true, true, false, true);
        emit IReceivables.CreditLineSet(lender2, core, 5 * FACE, CNY, lineExpiry);
        vm.prank(lender2);
        receivables.setCreditLine(core, 5 * FACE, CNY, lineExpiry);
        IReceivables.CreditLine memory line = receivables.creditLine(lender2, core);
        vm.assertEq(line.limit, 5 * FACE);
        vm.assertEq(line.outstanding, 0);
        vm.assertEq(bytes32(line.currency), bytes32(CNY));
        vm.assertEq(line.expiry, lineExpiry);
        vm.assertTrue(line.open);
    }

    function test_setCreditLine_changesLimitAndReopensClosedLine() public {
        _issue(FACE);
        vm.startPrank(lender);
        receivables.closeCreditLine(core);
        receivables.setCreditLine(core, FACE, CNY, lineExpiry + 1 days);
        vm.stopPrank();
        IReceivables.CreditLine memory line = receivables.creditLine(lender, core);
        vm.assertEq(line.limit, FACE);
        vm.assertEq(line.outstanding, FACE);
        vm.assertEq(line.expiry, lineExpiry + 1 days);
        vm.assertTrue(line.open);
    }

    function test_setCreditLine_currencyChangesWhenNothingOutstanding() public {
        vm.prank(lender);
        receivables.setCreditLine(core, LIMIT, USD, lineExpiry);
        vm.assertEq(bytes32(receivables.creditLine(lender, core).currency), bytes32(USD));
    }

    function test_setCreditLine_lenderCanCutExposureToSuspendedCore() public {
        _suspend(core);
        vm.prank(lender);
        receivables.setCreditLine(core, FACE, CNY, lineExpiry);
        vm.assertEq(receivables.creditLine(lender, core).limit, FACE);
    }

    function test_RevertWhen_setCreditLineRaisesLimitOfSuspendedCore() public {
        _suspend(core);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, core, uint64(block.timestamp))
        );
        vm.prank(lender);
        receivables.setCreditLine(core, LIMIT + 1, CNY, lineExpiry);
    }

    function test_RevertWhen_setCreditLineByNonLender() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                core,
                uint8(IParticipantRegistry.Role.CoreEnterprise),
                uint8(IParticipantRegistry.Role.Lender)
            )
        );
        vm.prank(core);
        receivables.setCreditLine(core2, LIMIT, CNY, lineExpiry);
    }

    function test_RevertWhen_setCreditLineBySuspendedLender() public {
        _suspend(lender);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, lender, uint64(block.timestamp))
        );
        vm.prank(lender);
        receivables.setCreditLine(core, LIMIT, CNY, lineExpiry);
    }

    function test_RevertWhen_setCreditLineForNonCoreEnterprise() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                supplier,
                uint8(IParticipantRegistry.Role.Supplier),
                uint8(IParticipantRegistry.Role.CoreEnterprise)
            )
        );
        vm.prank(lender);
        receivables.setCreditLine(supplier, LIMIT, CNY, lineExpiry);
    }

    function test_RevertWhen_setCreditLineForNonMember() public {
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        vm.prank(lender);
        receivables.setCreditLine(outsider, LIMIT, CNY, lineExpiry);
    }

    function test_RevertWhen_setCreditLineWithoutCurrency() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivables.CreditLineCurrencyMissing.selector, lender2, core));
        vm.prank(lender2);
        receivables.setCreditLine(core, LIMIT, bytes3(0), lineExpiry);
    }

    function test_RevertWhen_setCreditLineExpiryNotInFuture() public {
        uint64 nowTs = uint64(block.timestamp);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.CreditLineExpiryNotInFuture.selector, lender2, core, nowTs)
        );
        vm.prank(lender2);
        receivables.setCreditLine(core, LIMIT, CNY, nowTs);
        uint64 tooFar = uint64(type(uint40).max) + 1;
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.CreditLineExpiryNotInFuture.selector, lender2, core, tooFar)
        );
        vm.prank(lender2);
        receivables.setCreditLine(core, LIMIT, CNY, tooFar);
    }

    function test_RevertWhen_setCreditLineBelowOutstanding() public {
        _issue(FACE);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.CreditLimitBelowOutstanding.selector, lender, core, FACE - 1, FACE)
        );
        vm.prank(lender);
        receivables.setCreditLine(core, FACE - 1, CNY, lineExpiry);
    }

    function test_RevertWhen_setCreditLineChangesCurrencyWithOutstanding() public {
        _issue(FACE);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.CreditLineCurrencyLocked.selector, lender, core, CNY, FACE)
        );
        vm.prank(lender);
        receivables.setCreditLine(core, LIMIT, USD, lineExpiry);
    }

    function test_closeCreditLine_stopsIssuesButSettlementStillRestores() public {
        uint256 rootId = _issue(FACE);
        vm.expectEmit(true, true, false, true);
        emit IReceivables.CreditLineClosed(lender, core, FACE);
        vm.prank(lender);
        receivables.closeCreditLine(core);
        vm.assertFalse(receivables.creditLine(lender, core).open);

        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.CreditLineNotOpen.selector, lender, core));
        vm.prank(core);
        receivables.issue(p);

        vm.warp(maturity);
        vm.prank(core);
        receivables.settle(rootId, keccak256("pay"));
        vm.assertEq(_lineOutstanding(), 0);
    }

    function test_RevertWhen_closeCreditLineNeverGranted() public {
        vm.expectRevert(abi.encodeWithSelector(IReceivables.CreditLineNotFound.selector, lender2, core));
        vm.prank(lender2);
        receivables.closeCreditLine(core);
    }

    function test_RevertWhen_closeCreditLineTwice() public {
        vm.startPrank(lender);
        receivables.closeCreditLine(core);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.CreditLineNotOpen.selector, lender, core));
        receivables.closeCreditLine(core);
        vm.stopPrank();
    }

    function test_RevertWhen_closeCreditLineByNonLender() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                supplier,
                uint8(IParticipantRegistry.Role.Supplier),
                uint8(IParticipantRegistry.Role.Lender)
            )
        );
        vm.prank(supplier);
        receivables.closeCreditLine(core);
    }

    // ------------------------------------------------------------ issue

    function test_issue_createsRootDrawsLineAndEmits() public {
        IReceivables.IssueParams memory p = _params(FACE, 100, 3);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherIssued(
            PIECES, core, supplier, lender, FACE, CNY, maturity, p.document, 100, 3
        );
        vm.prank(core);
        uint256 rootId = receivables.issue(p);
        vm.assertEq(rootId, PIECES);

        IReceivables.Voucher memory v = receivables.voucher(rootId);
        vm.assertEq(v.holder, supplier);
        vm.assertEq(v.value, FACE);
        vm.assertEq(v.rootId, rootId);
        vm.assertEq(v.parentId, 0);
        vm.assertEq(v.tier, 0);
        vm.assertEq(uint256(v.status), ACTIVE);
        vm.assertFalse(v.overdue);

        IReceivables.Root memory r = receivables.root(rootId);
        vm.assertEq(r.obligor, core);
        vm.assertEq(r.lender, lender);
        vm.assertEq(r.payer, address(0));
        vm.assertEq(bytes32(r.currency), bytes32(CNY));
        vm.assertEq(r.faceValue, FACE);
        vm.assertEq(r.settled, 0);
        vm.assertEq(r.outstanding, FACE);
        vm.assertEq(r.issuedAt, block.timestamp);
        vm.assertEq(r.maturity, maturity);
        vm.assertEq(r.minDenomination, 100);
        vm.assertEq(r.maxDepth, 3);
        vm.assertEq(r.pieceCount, 1);
        vm.assertFalse(r.funded);
        vm.assertEq(r.document, p.document);

        vm.assertEq(receivables.documentUsedBy(core, p.document), rootId);
        vm.assertEq(receivables.documentUsedBy(core2, p.document), 0, "keyed by the obligor's entity");
        vm.assertEq(_lineOutstanding(), FACE);
        vm.assertEq(_issue(FACE), 2 * PIECES, "second root id");
    }

    function test_issue_maturityMayFallAfterLineExpiry() public {
        maturity = lineExpiry + 180 days;
        uint256 rootId = _issue(FACE);
        vm.assertEq(receivables.root(rootId).maturity, maturity);
    }

    function test_issue_fillsLineExactly() public {
        _issue(LIMIT - 1);
        _issue(1);
        vm.assertEq(_lineOutstanding(), LIMIT);
    }

    function test_RevertWhen_issueByNonCoreEnterprise() public {
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                supplier,
                uint8(IParticipantRegistry.Role.Supplier),
                uint8(IParticipantRegistry.Role.CoreEnterprise)
            )
        );
        vm.prank(supplier);
        receivables.issue(p);
    }

    function test_RevertWhen_issueByNonMember() public {
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        vm.prank(outsider);
        receivables.issue(p);
    }

    function test_RevertWhen_issueBySuspendedCore() public {
        _suspend(core);
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, core, uint64(block.timestamp))
        );
        vm.prank(core);
        receivables.issue(p);
    }

    function test_RevertWhen_issueByRevokedCore() public {
        vm.prank(admin);
        registry.revoke(core, "fraud");
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberRevoked.selector, core, uint64(block.timestamp))
        );
        vm.prank(core);
        receivables.issue(p);
    }

    function test_RevertWhen_issueByCoreWithExpiredKyc() public {
        vm.prank(admin);
        registry.renewKyc(core, uint64(block.timestamp + 1 days));
        vm.warp(block.timestamp + 2 days);
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberKycExpired.selector, core, uint64(block.timestamp - 1 days))
        );
        vm.prank(core);
        receivables.issue(p);
    }

    function test_RevertWhen_issueToNonSupplier() public {
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        p.holder = inspector;
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                inspector,
                uint8(IParticipantRegistry.Role.Inspector),
                uint8(IParticipantRegistry.Role.Supplier)
            )
        );
        vm.prank(core);
        receivables.issue(p);
    }

    function test_RevertWhen_issueToSuspendedSupplier() public {
        _suspend(supplier);
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, supplier, uint64(block.timestamp))
        );
        vm.prank(core);
        receivables.issue(p);
    }

    function test_RevertWhen_issueOnLineOfSuspendedLender() public {
        _suspend(lender);
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, lender, uint64(block.timestamp))
        );
        vm.prank(core);
        receivables.issue(p);
    }

    function test_RevertWhen_issueWithoutTradeDocument() public {
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        p.document = bytes32(0);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.TradeDocumentMissing.selector, core));
        vm.prank(core);
        receivables.issue(p);
    }

    /// A document is financed once per obligor entity: again by the same core, on any lender's
    /// line, even after payment, and by the same entity under a second address.
    function test_RevertWhen_issueAgainstFinancedDocument_sameEntityAnyAddressAnyLender() public {
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        vm.prank(core);
        uint256 rootId = receivables.issue(p);

        vm.expectRevert(abi.encodeWithSelector(IReceivables.DocumentAlreadyFinanced.selector, p.document, rootId));
        vm.prank(core);
        receivables.issue(p);

        // The same legal entity under a second address, on another lender's line, after payment.
        address coreAlias = address(0x2003);
        vm.prank(admin);
        registry.admit(
            coreAlias, uint8(IParticipantRegistry.Role.CoreEnterprise), keccak256(bytes("Core One")), "Core One (2)", validUntil
        );
        vm.prank(lender2);
        receivables.setCreditLine(coreAlias, LIMIT, CNY, lineExpiry);
        vm.warp(maturity);
        vm.prank(core);
        receivables.settle(rootId, keccak256("pay"));
        p.lender = lender2;
        p.maturity = maturity + 90 days;
        vm.expectRevert(abi.encodeWithSelector(IReceivables.DocumentAlreadyFinanced.selector, p.document, rootId));
        vm.prank(coreAlias);
        receivables.issue(p);
    }

    /// Issue 15, item 3: another core enterprise committing a competitor's document hash (a 1-fen
    /// voucher on its invoice) no longer blocks the real obligor's financing.
    function test_issue_otherEntityCommittingTheSameDocumentDoesNotBlockTheObligor() public {
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        vm.prank(lender2);
        receivables.setCreditLine(core2, LIMIT, CNY, lineExpiry);
        IReceivables.IssueParams memory squat = p;
        squat.lender = lender2;
        squat.faceValue = 1;
        vm.prank(core2);
        uint256 squatted = receivables.issue(squat);
        vm.assertEq(receivables.documentUsedBy(core2, p.document), squatted);
        vm.assertEq(receivables.documentUsedBy(core, p.document), 0);

        p.faceValue = FACE;
        p.lender = lender;
        vm.prank(core);
        uint256 real = receivables.issue(p);
        vm.assertEq(receivables.documentUsedBy(core, p.document), real);
    }

    function test_RevertWhen_issueFaceValueOutOfRange() public {
        uint128 maxFace = type(uint64).max;
        IReceivables.IssueParams memory p = _params(0, 1, 5);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherFaceValueOutOfRange.selector, 0, 1, maxFace));
        vm.prank(core);
        receivables.issue(p);

        p.faceValue = 99;
        p.minDenomination = 100;
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherFaceValueOutOfRange.selector, 99, 100, maxFace));
        vm.prank(core);
        receivables.issue(p);

        p.faceValue = FACE;
        p.minDenomination = 0;
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherFaceValueOutOfRange.selector, FACE, 0, maxFace));
        vm.prank(core);
        receivables.issue(p);

        p.faceValue = maxFace + 1;
        p.minDenomination = 1;
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.VoucherFaceValueOutOfRange.selector, maxFace + 1, 1, maxFace)
        );
        vm.prank(core);
        receivables.issue(p);
    }

    function test_RevertWhen_issueMaturityNotInFuture() public {
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        p.maturity = uint64(block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherMaturityNotInFuture.selector, p.maturity));
        vm.prank(core);
        receivables.issue(p);
        p.maturity = uint64(type(uint40).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherMaturityNotInFuture.selector, p.maturity));
        vm.prank(core);
        receivables.issue(p);
    }

    function test_RevertWhen_issueWithoutCreditLine() public {
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        p.lender = lender2;
        vm.expectRevert(abi.encodeWithSelector(IReceivables.CreditLineNotFound.selector, lender2, core));
        vm.prank(core);
        receivables.issue(p);
    }

    function test_RevertWhen_issueOnExpiredLine() public {
        vm.warp(lineExpiry + 1);
        maturity = lineExpiry + 90 days;
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.CreditLineExpired.selector, lender, core, lineExpiry));
        vm.prank(core);
        receivables.issue(p);
    }

    function test_RevertWhen_issueInOtherCurrencyThanLine() public {
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        p.currency = USD;
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.CreditLineCurrencyMismatch.selector, lender, core, CNY, USD)
        );
        vm.prank(core);
        receivables.issue(p);
    }

    function test_RevertWhen_issueBeyondCreditLimit() public {
        _issue(LIMIT - FACE);
        IReceivables.IssueParams memory p = _params(FACE + 1, 1, 5);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.CreditLimitExceeded.selector, lender, core, FACE + 1, FACE)
        );
        vm.prank(core);
        receivables.issue(p);
    }
}

/// @notice ReceivablesIssueTest's tests again with the receivables contract off the registry's standing feed:
/// every member check is then the registry's own, and must refuse and allow exactly the same.
contract ReceivablesIssueRegistryFallbackTest is ReceivablesIssueTest {
    function setUp() public override {
        super.setUp();
        _leaveStandingFeed();
    }
}
