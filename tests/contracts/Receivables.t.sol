// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ParticipantRegistry} from "../../contracts/ParticipantRegistry.sol";
import {Receivables} from "../../contracts/Receivables.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IReceivables} from "../../contracts/interfaces/IReceivables.sol";
import {IStandingSubscriber} from "../../contracts/interfaces/IStandingSubscriber.sol";
import {StandingSubscriberChecks} from "./utils/StandingSubscriberChecks.sol";
import {Test} from "./utils/Test.sol";
import {Vm} from "./utils/Vm.sol";

/// @notice Cheatcodes this suite needs beyond utils/Vm.sol, served by forge at the same address.
interface VmStorage {
    struct Gas {
        uint64 gasLimit;
        uint64 gasTotalUsed;
        uint64 gasMemoryUsed;
        int64 gasRefunded;
        uint64 gasRemaining;
    }

    function load(address target, bytes32 slot) external view returns (bytes32);
    function store(address target, bytes32 slot, bytes32 value) external;
    function cool(address target) external;
    function lastCallGas() external view returns (Gas memory);
}

/// @notice Shared fixture: a registry with members of every relevant role, a receivables contract,
/// and a CNY credit line from `lender` to `core`.
abstract contract ReceivablesFixture is Test {
    VmStorage internal constant vms = VmStorage(address(uint160(uint256(keccak256("hevm cheat code")))));

    ParticipantRegistry internal registry;
    Receivables internal receivables;

    address internal admin = address(0xA11CE);
    address internal lender = address(0x1002);
    address internal lender2 = address(0x1012);
    address internal core = address(0x1003);
    address internal core2 = address(0x1013);
    address internal supplier = address(0x1004);
    address internal supplier2 = address(0x1014);
    address internal supplier3 = address(0x1024);
    address internal inspector = address(0x1005);
    address internal outsider = address(0xBAD);

    bytes3 internal constant CNY = "CNY";
    bytes3 internal constant USD = "USD";
    uint32 internal constant GRACE = 30 days;
    uint128 internal constant FACE = 100_000_000; // 1,000,000.00 CNY in fen
    uint128 internal constant LIMIT = 10 * FACE;
    uint256 internal constant PIECES = 1_000_000;

    uint64 internal validUntil;
    uint64 internal lineExpiry;
    uint64 internal maturity;
    uint256 private _documentNonce;

    function setUp() public virtual {
        vm.warp(1_790_000_000); // 2026-09
        validUntil = uint64(block.timestamp + 3 * 365 days);
        lineExpiry = uint64(block.timestamp + 365 days);
        maturity = uint64(block.timestamp + 90 days);
        registry = new ParticipantRegistry(admin, 2 days);
        receivables = new Receivables(registry, GRACE);
        vm.startPrank(admin);
        // Subscribed before anyone is admitted, as `ledgerhouse deploy` does: every member is mirrored.
        // ReceivablesRegistryFallbackTest runs the whole suite again with the contract off the feed.
        registry.addSubscriber(address(receivables));
        _admit(lender, IParticipantRegistry.Role.Lender, "Bank One");
        _admit(lender2, IParticipantRegistry.Role.Lender, "Bank Two");
        _admit(core, IParticipantRegistry.Role.CoreEnterprise, "Core One");
        _admit(core2, IParticipantRegistry.Role.CoreEnterprise, "Core Two");
        _admit(supplier, IParticipantRegistry.Role.Supplier, "Tier1 Co");
        _admit(supplier2, IParticipantRegistry.Role.Supplier, "Tier2 Co");
        _admit(supplier3, IParticipantRegistry.Role.Supplier, "Tier3 Co");
        _admit(inspector, IParticipantRegistry.Role.Inspector, "Inspector");
        vm.stopPrank();

        vm.prank(lender);
        receivables.setCreditLine(core, LIMIT, CNY, lineExpiry);
    }

    function _admit(address account, IParticipantRegistry.Role role, string memory name) internal {
        registry.admit(account, uint8(role), keccak256(bytes(name)), name, validUntil);
    }

    function _newDocument() internal returns (bytes32) {
        return keccak256(abi.encode("invoice", ++_documentNonce));
    }

    function _params(uint128 face, uint128 minDenomination, uint8 maxDepth)
        internal
        returns (IReceivables.IssueParams memory)
    {
        return IReceivables.IssueParams({
            holder: supplier,
            lender: lender,
            faceValue: face,
            currency: CNY,
            maturity: maturity,
            document: _newDocument(),
            minDenomination: minDenomination,
            maxDepth: maxDepth
        });
    }

    function _issue(uint128 face) internal returns (uint256) {
        return _issue(face, 1, 5);
    }

    function _issue(uint128 face, uint128 minDenomination, uint8 maxDepth) internal returns (uint256) {
        IReceivables.IssueParams memory p = _params(face, minDenomination, maxDepth);
        vm.prank(core);
        return receivables.issue(p);
    }

    function _split(address holder, uint256 voucherId, address to, uint128 amount) internal returns (uint256) {
        vm.prank(holder);
        return receivables.split(voucherId, to, amount);
    }

    function _pledge(uint256 voucherId, address holder, address by, uint128 secured) internal {
        vm.prank(holder);
        receivables.requestPledge(voucherId, by, secured, keccak256("loan"), maturity + 30 days);
        vm.prank(by);
        receivables.acceptPledge(voucherId, secured, keccak256("loan"));
    }

    function _offer(uint256 voucherId, address holder, address to, uint128 price) internal {
        vm.prank(holder);
        receivables.offerDiscount(voucherId, to, price);
    }

    function _suspend(address account) internal {
        vm.prank(admin);
        registry.suspend(account, "test");
    }

    function _err(bytes4 selector, uint256 id) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id);
    }

    function _value(uint256 voucherId) internal view returns (uint256) {
        return receivables.voucher(voucherId).value;
    }

    function _status(uint256 voucherId) internal view returns (uint256) {
        return uint256(receivables.voucher(voucherId).status);
    }

    function _lineOutstanding() internal view returns (uint256) {
        return receivables.creditLine(lender, core).outstanding;
    }
}

contract ReceivablesTest is ReceivablesFixture {
    uint256 internal constant ACTIVE = uint256(IReceivables.VoucherStatus.Active);
    uint256 internal constant OFFERED = uint256(IReceivables.VoucherStatus.OfferedForDiscount);
    uint256 internal constant REQUESTED = uint256(IReceivables.VoucherStatus.PledgeRequested);
    uint256 internal constant PLEDGED = uint256(IReceivables.VoucherStatus.Pledged);
    uint256 internal constant SETTLED = uint256(IReceivables.VoucherStatus.Settled);
    uint256 internal constant MERGED = uint256(IReceivables.VoucherStatus.Merged);

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

    // ------------------------------------------------------------ discount

    function test_offerDiscount_freezesPieceAndEmits() public {
        uint256 rootId = _issue(FACE);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.DiscountOffered(rootId, rootId, lender, supplier, 98_000_000);
        _offer(rootId, supplier, lender, 98_000_000);
        vm.assertEq(_status(rootId), OFFERED);
        IReceivables.DiscountOffer memory o = receivables.discountOffer(rootId);
        vm.assertEq(o.lender, lender);
        vm.assertEq(o.price, 98_000_000);
    }

    /// Vouchers emit ERC-721's Transfer so that explorers follow them: minted on issue and split,
    /// moved on transfer and discount, burned when merged away or paid. The whole sequence of a
    /// voucher family's life, in order, and nothing else.
    function test_erc721Transfers_followEveryPieceFromMintToBurn() public {
        vm.recordLogs();
        uint256 rootId = _issue(FACE);
        uint256 a = _split(supplier, rootId, supplier2, 30_000_000);
        uint256 b = _split(supplier2, a, supplier3, 10_000_000);
        vm.prank(supplier3);
        receivables.transfer(b, supplier2);
        vm.prank(supplier2);
        receivables.merge(b, a);
        _offer(a, supplier2, lender2, 29_000_000);
        vm.prank(lender2);
        receivables.acceptDiscount(a, 29_000_000, keccak256("wire"));
        vm.warp(maturity);
        vm.startPrank(core);
        receivables.settle(a, keccak256("p1"));
        receivables.settle(rootId, keccak256("p2"));
        vm.stopPrank();

        address[3][9] memory expected = [
            [address(0), supplier, address(uint160(rootId))],
            [address(0), supplier2, address(uint160(a))],
            [address(0), supplier3, address(uint160(b))],
            [supplier3, supplier2, address(uint160(b))],
            [supplier2, address(0), address(uint160(b))], // merged into a
            [supplier2, lender2, address(uint160(a))], // discounted
            [lender2, address(0), address(uint160(a))], // paid
            [supplier, address(0), address(uint160(rootId))], // paid
            [address(0), address(0), address(0)]
        ];
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 transferTopic = keccak256("Transfer(address,address,uint256)");
        uint256 seen = 0;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].emitter != address(receivables) || logs[i].topics[0] != transferTopic) continue;
            vm.assertEq(logs[i].topics.length, 4);
            vm.assertEq(logs[i].data.length, 0);
            vm.assertEq(address(uint160(uint256(logs[i].topics[1]))), expected[seen][0], "from");
            vm.assertEq(address(uint160(uint256(logs[i].topics[2]))), expected[seen][1], "to");
            vm.assertEq(uint256(logs[i].topics[3]), uint256(uint160(expected[seen][2])), "id");
            seen++;
        }
        vm.assertEq(seen, 8);
    }

    function test_erc721Transfer_burnsARedeemedPiece() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        vm.prank(core);
        receivables.fundRoot(rootId, keccak256("p"));
        vm.expectEmit(true, true, true, true);
        emit IReceivables.Transfer(supplier, address(0), rootId);
        vm.prank(supplier2);
        receivables.redeem(rootId);
    }

    function test_acceptDiscount_lenderBecomesHolderAndTermsAreRecorded() public {
        uint256 rootId = _issue(FACE);
        uint256 piece = _split(supplier, rootId, supplier2, 10_000_000);
        // 90 days to maturity, 2% off the face: 0.02 * 360 / 90 = 8.00% a year = 800 bps.
        _offer(piece, supplier2, lender2, 9_800_000);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherDiscounted(
            rootId, piece, lender2, supplier2, 10_000_000, 9_800_000, 800, 90, keccak256("wire-1")
        );
        vm.prank(lender2);
        receivables.acceptDiscount(piece, 9_800_000, keccak256("wire-1"));

        IReceivables.Voucher memory v = receivables.voucher(piece);
        vm.assertEq(v.holder, lender2);
        vm.assertEq(uint256(v.status), ACTIVE);
        vm.assertEq(v.value, 10_000_000);
        IReceivables.Discount memory d = receivables.discount(piece);
        vm.assertEq(d.lender, lender2);
        vm.assertEq(d.seller, supplier2);
        vm.assertEq(d.value, 10_000_000);
        vm.assertEq(d.price, 9_800_000);
        vm.assertEq(d.rateBps, 800);
        vm.assertEq(d.daysToMaturity, 90);
        vm.assertEq(d.paymentRef, keccak256("wire-1"));
        vm.assertEq(receivables.discountOffer(piece).lender, address(0));

        // The bank may pass it on (rediscount) like any holder.
        vm.prank(lender2);
        receivables.transfer(piece, lender);
        vm.assertEq(receivables.voucher(piece).holder, lender);
    }

    function test_acceptDiscount_startedDayCountsWhole() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE);
        vm.warp(maturity - 1 days - 1);
        vm.prank(lender);
        receivables.acceptDiscount(rootId, FACE, bytes32(0));
        vm.assertEq(receivables.discount(rootId).daysToMaturity, 2);
        vm.assertEq(receivables.discount(rootId).rateBps, 0);
    }

    function test_cancelDiscountOffer_unfreezesPiece() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE - 1);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.DiscountOfferCancelled(rootId, rootId, lender);
        vm.prank(supplier);
        receivables.cancelDiscountOffer(rootId);
        vm.assertEq(_status(rootId), ACTIVE);
        vm.assertEq(receivables.discountOffer(rootId).lender, address(0));
        _split(supplier, rootId, supplier2, 100);
    }

    function test_RevertWhen_offerDiscountPriceOutOfRange() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.DiscountPriceOutOfRange.selector, rootId, 0, FACE));
        _offer(rootId, supplier, lender, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.DiscountPriceOutOfRange.selector, rootId, FACE + 1, FACE)
        );
        _offer(rootId, supplier, lender, FACE + 1);
    }

    function test_RevertWhen_offerDiscountToNonLender() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                supplier2,
                uint8(IParticipantRegistry.Role.Supplier),
                uint8(IParticipantRegistry.Role.Lender)
            )
        );
        _offer(rootId, supplier, supplier2, FACE);
    }

    function test_RevertWhen_offerDiscountByNonHolder() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.NotVoucherHolder.selector, rootId, supplier2, supplier)
        );
        _offer(rootId, supplier2, lender, FACE);
    }

    function test_RevertWhen_offerDiscountTwiceOrWhilePledged() public {
        uint256 rootId = _issue(FACE);
        uint256 other = _split(supplier, rootId, supplier, 1_000);
        _offer(rootId, supplier, lender, FACE / 2);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherOfferedForDiscount.selector, rootId, lender));
        _offer(rootId, supplier, lender2, FACE / 2);
        _pledge(other, supplier, lender2, 1_000);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherPledged.selector, other, lender2));
        _offer(other, supplier, lender, 900);
    }

    function test_RevertWhen_offerDiscountAfterMaturity() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherMatured.selector, rootId, maturity));
        _offer(rootId, supplier, lender, FACE);
    }

    function test_RevertWhen_acceptDiscountByOtherLender() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.NotDiscountOfferee.selector, rootId, lender2, lender)
        );
        vm.prank(lender2);
        receivables.acceptDiscount(rootId, FACE - 1, bytes32(0));
    }

    function test_RevertWhen_acceptDiscountByNonLender() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                supplier2,
                uint8(IParticipantRegistry.Role.Supplier),
                uint8(IParticipantRegistry.Role.Lender)
            )
        );
        vm.prank(supplier2);
        receivables.acceptDiscount(rootId, FACE - 1, bytes32(0));
    }

    function test_RevertWhen_acceptDiscountAtChangedPrice() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.DiscountPriceMismatch.selector, rootId, FACE - 2, FACE - 1)
        );
        vm.prank(lender);
        receivables.acceptDiscount(rootId, FACE - 2, bytes32(0));
    }

    function test_RevertWhen_acceptDiscountWithoutOffer() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(_err(IReceivables.NoDiscountOffer.selector, rootId));
        vm.prank(lender);
        receivables.acceptDiscount(rootId, FACE, bytes32(0));
        vm.expectRevert(_err(IReceivables.VoucherNotFound.selector, rootId + 1));
        vm.prank(lender);
        receivables.acceptDiscount(rootId + 1, FACE, bytes32(0));
    }

    function test_RevertWhen_acceptDiscountAtMaturity() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE - 1);
        vm.warp(maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherMatured.selector, rootId, maturity));
        vm.prank(lender);
        receivables.acceptDiscount(rootId, FACE - 1, bytes32(0));
    }

    function test_RevertWhen_acceptDiscountFromSuspendedSeller() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE - 1);
        _suspend(supplier);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, supplier, uint64(block.timestamp))
        );
        vm.prank(lender);
        receivables.acceptDiscount(rootId, FACE - 1, bytes32(0));
    }

    function test_RevertWhen_cancelDiscountOfferWithoutOfferOrByNonHolder() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(_err(IReceivables.NoDiscountOffer.selector, rootId));
        vm.prank(supplier);
        receivables.cancelDiscountOffer(rootId);
        _offer(rootId, supplier, lender, FACE - 1);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.NotVoucherHolder.selector, rootId, lender, supplier));
        vm.prank(lender);
        receivables.cancelDiscountOffer(rootId);
    }

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

    // ------------------------------------------------------------ fuzz

    /// Splitting off a single minor unit works at any face value and conserves value exactly.
    function testFuzz_split_oneMinorUnit(uint128 face) public {
        face = uint128(bound(face, 2, LIMIT));
        uint256 rootId = _issue(face);
        uint256 child = _split(supplier, rootId, supplier2, 1);
        vm.assertEq(_value(child), 1);
        vm.assertEq(_value(rootId), face - 1);
    }

    /// At the largest face value a voucher can have (2^64-1 minor units), any split conserves value.
    function testFuzz_split_atMaximumFaceValue(uint128 amount) public {
        uint128 maxFace = type(uint64).max;
        vm.prank(lender);
        receivables.setCreditLine(core, maxFace, CNY, lineExpiry);
        amount = uint128(bound(amount, 1, maxFace - 1));
        uint256 rootId = _issue(maxFace);
        uint256 child = _split(supplier, rootId, supplier2, amount);
        vm.assertEq(_value(child), amount);
        vm.assertEq(_value(rootId), maxFace - amount);
        vm.assertEq(_value(child) + _value(rootId), maxFace);
        vm.assertEq(receivables.voucher(child).holder, supplier2); // value bits do not spill into the holder
        vm.assertEq(receivables.voucher(child).tier, 1, "value bits do not spill into the tier");
    }

    /// Prime face values cannot be split evenly; explicit integer amounts still conserve every unit.
    function testFuzz_split_primeFaceValues(uint256 which, uint128 amount, uint128 second) public {
        uint128[8] memory primes = [
            uint128(2), 3, 7, 7919, 1_000_003, 99_999_989, 4_294_967_291, 18_446_744_073_709_551_557
        ];
        uint128 face = primes[bound(which, 0, primes.length - 1)];
        vm.prank(lender);
        receivables.setCreditLine(core, type(uint64).max, CNY, lineExpiry);
        uint256 rootId = _issue(face);
        amount = uint128(bound(amount, 1, face - 1));
        uint256 child = _split(supplier, rootId, supplier2, amount);
        uint256 total = _value(rootId) + _value(child);
        if (amount > 1) {
            second = uint128(bound(second, 1, amount - 1));
            uint256 grandchild = _split(supplier2, child, supplier3, second);
            vm.assertEq(receivables.voucher(grandchild).parentId, child);
            total = _value(rootId) + _value(child) + _value(grandchild);
        }
        vm.assertEq(total, face);
    }

    /// A split succeeds exactly when both parts reach the minimum denomination and it moves less
    /// than the whole value.
    function testFuzz_split_respectsMinimumDenomination(uint128 face, uint128 minDenomination, uint128 amount)
        public
    {
        face = uint128(bound(face, 1, LIMIT));
        minDenomination = uint128(bound(minDenomination, 1, face));
        amount = uint128(bound(amount, 0, face + 1));
        uint256 rootId = _issue(face, minDenomination, 5);
        if (amount >= face) {
            vm.expectRevert(abi.encodeWithSelector(IReceivables.SplitExceedsValue.selector, rootId, amount, face));
        } else if (amount < minDenomination || face - amount < minDenomination) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IReceivables.SplitBelowMinimumDenomination.selector, rootId, amount, face - amount, minDenomination
                )
            );
        }
        vm.prank(supplier);
        receivables.split(rootId, supplier2, amount);
        vm.assertEq(receivables.root(rootId).outstanding, face);
    }

    /// Splitting down the chain never goes deeper than the root's maximum depth.
    function testFuzz_split_depthBoundedByPolicy(uint8 maxDepth, uint8 attempts) public {
        maxDepth = uint8(bound(maxDepth, 0, 12));
        attempts = uint8(bound(attempts, 1, 14));
        uint256 rootId = _issue(FACE, 1, maxDepth);
        uint256 current = rootId;
        for (uint256 i = 1; i <= attempts; i++) {
            uint128 half = uint128(_value(current) / 2);
            if (i > maxDepth) {
                vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherTierTooDeep.selector, current, i, maxDepth));
                _split(supplier, current, supplier, half);
                break;
            }
            current = _split(supplier, current, supplier, half);
            vm.assertEq(receivables.voucher(current).tier, i);
        }
    }

    /// Issues never take a credit line past its limit.
    function testFuzz_issue_neverExceedsCreditLimit(uint128 first, uint128 second) public {
        first = uint128(bound(first, 1, LIMIT));
        second = uint128(bound(second, 1, LIMIT));
        _issue(first);
        if (first + second > LIMIT) {
            IReceivables.IssueParams memory p = _params(second, 1, 5);
            vm.expectRevert(
                abi.encodeWithSelector(IReceivables.CreditLimitExceeded.selector, lender, core, second, LIMIT - first)
            );
            vm.prank(core);
            receivables.issue(p);
        } else {
            _issue(second);
        }
        vm.assertLe(_lineOutstanding(), LIMIT, "line exceeded");
    }

    /// Settling pieces in any split restores the line by exactly the settled value.
    function testFuzz_settle_restoresLineBySettledValue(uint128 face, uint128 amount, bool settleChildFirst)
        public
    {
        face = uint128(bound(face, 2, LIMIT));
        amount = uint128(bound(amount, 1, face - 1));
        uint256 rootId = _issue(face);
        uint256 child = _split(supplier, rootId, supplier2, amount);
        vm.warp(maturity);
        uint256 first = settleChildFirst ? child : rootId;
        vm.prank(core);
        receivables.settle(first, keccak256("p"));
        vm.assertEq(_lineOutstanding(), face - _value(first));
        vm.assertEq(receivables.root(rootId).settled + receivables.root(rootId).outstanding, face);
    }

    /// The recorded discount rate is the ACT/360 bank-discount rate, rounded down.
    function testFuzz_acceptDiscount_recordsRate(uint128 value, uint128 price, uint256 secondsToMaturity) public {
        value = uint128(bound(value, 1, LIMIT));
        price = uint128(bound(price, 1, value));
        secondsToMaturity = bound(secondsToMaturity, 1, 365 days);
        // forge-lint: disable-next-line(unsafe-typecast) -- timestamp + at most a year fits 64 bits
        maturity = uint64(block.timestamp + secondsToMaturity);
        uint256 rootId = _issue(value);
        _offer(rootId, supplier, lender, price);
        vm.prank(lender);
        receivables.acceptDiscount(rootId, price, bytes32(0));
        IReceivables.Discount memory d = receivables.discount(rootId);
        uint256 expectedDays = (secondsToMaturity + 1 days - 1) / 1 days;
        vm.assertEq(d.daysToMaturity, expectedDays);
        vm.assertEq(d.rateBps, (uint256(value - price) * 360 * 10_000) / (uint256(value) * expectedDays));
        vm.assertLe(d.rateBps, 3_600_000, "rate bound");
    }

    /// Nobody but the holder moves a piece.
    function testFuzz_onlyHolderMoves(address caller) public {
        uint256 rootId = _issue(FACE);
        caller = address(uint160(bound(uint160(caller), 1, type(uint160).max)));
        if (caller == supplier) caller = supplier2;
        vm.prank(caller);
        vm.expectRevert();
        receivables.transfer(rootId, supplier3);
        vm.assertEq(receivables.voucher(rootId).holder, supplier);
    }
}

/// @notice Gas of each state change, measured the way a transaction pays it. Everything the
/// measured call touches is written in setUp, so it is clean (not yet modified in this transaction)
/// as on chain, and `cool` makes all storage of both contracts cold. Full-transaction gas =
/// 21,000 + calldata (4 per zero byte, 16 per other byte) + the call frame's gas (vm.lastCallGas)
/// + 2,500 for the first access to the registry account (cold in a real transaction; warmed here
/// before every measurement so that all measurements start alike) - the refund (capped at 1/5).
/// Recipients have full 20-byte addresses, as real keys do, so calldata is not undercounted.
contract ReceivablesGasTest is ReceivablesFixture {
    /// forge prints these with -vv (the ds-test log event).
    event log_named_uint(string key, uint256 val);

    uint256 internal constant COLD_ACCOUNT_SURCHARGE = 2_600 - 100;

    address internal tier2 = vm.addr(0x7132);
    address internal tier3 = vm.addr(0x7133);
    uint256 internal single; // a root with one piece, on lender's line
    uint256 internal wide; // a root split into 100 pieces, on lender2's line
    uint256 internal lastPiece; // the 100th piece of `wide`, held by tier2
    uint256 internal offered; // a piece of `single` offered to lender
    uint256 internal requested; // a piece of `single` whose pledge to lender2 is requested

    function setUp() public override {
        super.setUp();
        vm.startPrank(admin);
        _admit(tier2, IParticipantRegistry.Role.Supplier, "Tier2 Ltd");
        _admit(tier3, IParticipantRegistry.Role.Supplier, "Tier3 Ltd");
        vm.stopPrank();
        vm.prank(lender2);
        receivables.setCreditLine(core, LIMIT, CNY, lineExpiry);
        single = _issue(FACE);
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        p.lender = lender2;
        vm.prank(core);
        wide = receivables.issue(p);
        for (uint256 i = 0; i < 99; i++) {
            lastPiece = _split(supplier, wide, tier2, 10_000);
        }
        offered = _split(supplier, single, supplier, 1_000_000);
        _offer(offered, supplier, lender, 990_000);
        requested = _split(supplier, single, supplier, 1_000_000);
        vm.prank(supplier);
        receivables.requestPledge(requested, lender2, 500_000, keccak256("loan"), maturity + 30 days);
    }

    /// Makes all storage cold and both accounts warm (see the contract notice).
    function _cold() private {
        vms.cool(address(receivables));
        vms.cool(address(registry));
        vm.assertEq(address(receivables).balance + address(registry).balance, 0);
    }

    /// Calls `data` as `caller` on cold storage. Returns the full-transaction gas (logged under
    /// `name`) and the gas measured with gasleft() around the call.
    function _measure(string memory name, address caller, bytes memory data)
        private
        returns (uint256 full, uint256 measured)
    {
        _cold();
        vm.prank(caller);
        uint256 before = gasleft();
        (bool ok,) = address(receivables).call(data);
        measured = before - gasleft();
        vm.assertTrue(ok, name);
        VmStorage.Gas memory frame = vms.lastCallGas();
        uint256 calldataGas;
        for (uint256 i = 0; i < data.length; i++) {
            calldataGas += data[i] == 0 ? 4 : 16;
        }
        full = 21_000 + calldataGas + frame.gasTotalUsed + COLD_ACCOUNT_SURCHARGE;
        if (frame.gasRefunded > 0) {
            // forge-lint: disable-next-line(unsafe-typecast) -- positive int64, checked just above
            uint256 refund = uint256(int256(frame.gasRefunded));
            full -= refund < full / 5 ? refund : full / 5;
        }
        emit log_named_uint(name, full);
    }

    function test_gas_split_fullTransactionWithinTarget() public {
        (uint256 full,) =
            _measure("split (full tx)", supplier, abi.encodeCall(receivables.split, (wide, tier3, 25_000_000)));
        // A regression guard on forge's legacy-pipeline test build (about 3,650 gas above the shipped
        // via-IR bytecode: 70,600 here). The 70,000 target itself is judged on the shipped bytecode by
        // scripts/bench_gas.py, where split measures 66,948 (70,316 before the members' standing was
        // mirrored here instead of asked of the registry twice).
        vm.assertLe(full, 71_500, "split full-transaction gas over its regression guard");
    }

    function test_gas_transfer() public {
        (uint256 full,) =
            _measure("transfer (full tx)", tier2, abi.encodeCall(receivables.transfer, (lastPiece, tier3)));
        vm.assertLe(full, 50_000, "transfer");
    }

    function test_gas_issue() public {
        IReceivables.IssueParams memory p = _params(FACE, 100, 5);
        p.holder = tier2;
        (uint256 full,) = _measure("issue (full tx)", core, abi.encodeCall(receivables.issue, (p)));
        vm.assertLe(full, 200_000, "issue");
    }

    function test_gas_merge() public {
        vm.prank(tier2);
        receivables.transfer(lastPiece, supplier);
        (uint256 full,) = _measure("merge (full tx)", supplier, abi.encodeCall(receivables.merge, (wide, lastPiece)));
        vm.assertLe(full, 50_000, "merge");
    }

    function test_gas_offerDiscount() public {
        (uint256 full,) = _measure(
            "offerDiscount (full tx)", tier2, abi.encodeCall(receivables.offerDiscount, (lastPiece, lender, 9_900))
        );
        vm.assertLe(full, 75_000, "offerDiscount");
    }

    function test_gas_acceptDiscount() public {
        (uint256 full,) = _measure(
            "acceptDiscount (full tx)",
            lender,
            abi.encodeCall(receivables.acceptDiscount, (offered, 990_000, keccak256("wire")))
        );
        vm.assertLe(full, 125_000, "acceptDiscount");
    }

    function test_gas_requestPledge() public {
        (uint256 full,) = _measure(
            "requestPledge (full tx)",
            tier2,
            abi.encodeCall(receivables.requestPledge, (lastPiece, lender, 5_000, keccak256("loan"), maturity + 1))
        );
        vm.assertLe(full, 120_000, "requestPledge");
    }

    function test_gas_acceptPledge() public {
        (uint256 full,) = _measure(
            "acceptPledge (full tx)",
            lender2,
            abi.encodeCall(receivables.acceptPledge, (requested, 500_000, keccak256("loan")))
        );
        vm.assertLe(full, 60_000, "acceptPledge");
    }

    /// Settling one piece costs the same whether its root has 1 piece or 100: no loop over pieces.
    function test_settle_gasIsFlatInPieceCount() public {
        vm.assertEq(receivables.root(wide).pieceCount, 100);
        vm.warp(maturity);
        // Each root draws on its own line, so neither measurement sees a slot the other wrote.
        (uint256 fullSingle, uint256 gasSingle) = _measure(
            "settle, root of 1 piece (full tx)", core, abi.encodeCall(receivables.settle, (single, keccak256("p")))
        );
        (, uint256 gasWide) = _measure(
            "settle, piece of 100-piece root (full tx)",
            core,
            abi.encodeCall(receivables.settle, (lastPiece, keccak256("p")))
        );
        _assertFlat(gasSingle, gasWide, "settle: 1-piece root vs piece of a 100-piece root");
        vm.assertLe(fullSingle, 57_000, "settle"); // 55,820 here, 52,977 on the shipped bytecode
    }

    /// Redeeming one piece of a funded root costs the same whether the root has 1 piece or 100.
    function test_redeem_gasIsFlatInPieceCount() public {
        vm.warp(maturity);
        (uint256 fund,) =
            _measure("fundRoot (full tx)", core, abi.encodeCall(receivables.fundRoot, (single, keccak256("p"))));
        vm.prank(core);
        receivables.fundRoot(wide, keccak256("p"));
        // Both roots' terms and lines were just written by fundRoot: the same starting point.
        (, uint256 gasSingle) =
            _measure("redeem, root of 1 piece (full tx)", supplier, abi.encodeCall(receivables.redeem, (single)));
        (, uint256 gasWide) = _measure(
            "redeem, piece of 100-piece root (full tx)", supplier, abi.encodeCall(receivables.redeem, (lastPiece))
        );
        _assertFlat(gasSingle, gasWide, "redeem: 1-piece root vs piece of a 100-piece root");
        vm.assertLe(fund, 55_000, "fundRoot");
    }

    /// gasleft() around the two calls may differ only by a few dozen gas (memory for different ids).
    function _assertFlat(uint256 a, uint256 b, string memory what) private pure {
        uint256 diff = a > b ? a - b : b - a;
        vm.assertLe(diff, 100, what);
    }
}

/// @notice The whole unit suite again with the receivables contract off the registry's standing
/// feed: every member check is then the registry's own, and must refuse and allow exactly the same.
contract ReceivablesRegistryFallbackTest is ReceivablesTest {
    function setUp() public override {
        super.setUp();
        vm.prank(admin);
        registry.removeSubscriber(address(receivables));
        (bool subscribed,) = receivables.standingFeed();
        vm.assertFalse(subscribed);
    }
}

/// @notice The mirrored member standing: pushed only by the registry, trusted only while current,
/// refusing exactly as the registry does.
contract ReceivablesStandingTest is ReceivablesFixture, StandingSubscriberChecks {
    function setUp() public override {
        super.setUp();
        _onStandingFeed(registry, receivables, admin, supplier, outsider, IParticipantRegistry.Role.Lender);
    }

    function test_standingFeed_subscribedBeforeAnyAdmission() public view {
        (bool subscribed, uint32 epoch) = receivables.standingFeed();
        vm.assertTrue(subscribed);
        vm.assertEq(epoch, 1);
        address[8] memory members = [lender, lender2, core, core2, supplier, supplier2, supplier3, inspector];
        for (uint256 i = 0; i < members.length; ++i) {
            _assertMirrors(members[i]);
        }
        (bool current, IParticipantRegistry.Standing memory s) = receivables.mirroredStanding(outsider);
        vm.assertFalse(current, "never pushed");
        vm.assertEq(uint256(s.role), 0);
    }

    /// The feed's state shares slot 0 with Pausable's flag, which every state change reads anyway.
    function test_storage_feedSharesThePauseSlot() public {
        // byte 0: paused; byte 1: live; bytes 2-5: epoch.
        vm.assertEq(uint256(vms.load(address(receivables), 0)), (1 << 8) | (1 << 16));
        vm.prank(admin);
        receivables.pause();
        vm.assertEq(uint256(vms.load(address(receivables), 0)), 1 | (1 << 8) | (1 << 16));
        vm.prank(admin);
        registry.removeSubscriber(address(receivables));
        vm.assertEq(uint256(vms.load(address(receivables), 0)), 1 | (1 << 16));
    }

    function test_mirroredStanding_followsEveryRegistryChange() public {
        address fresh = address(0x2000);
        vm.startPrank(admin);
        registry.admit(fresh, uint8(IParticipantRegistry.Role.Supplier), 0, "Fresh", validUntil);
        _assertMirrors(fresh);
        vm.warp(block.timestamp + 1 days);
        registry.suspend(fresh, "review");
        _assertMirrors(fresh);
        vm.warp(block.timestamp + 1 days);
        registry.renewKyc(fresh, validUntil + 1 days);
        _assertMirrors(fresh);
        registry.reinstate(fresh);
        _assertMirrors(fresh);
        vm.warp(block.timestamp + 1 days);
        registry.revoke(fresh, "fraud");
        _assertMirrors(fresh);
        vm.stopPrank();
    }

    /// Issue, split, transfer, discount, pledge, settle and redeem: no call to the registry.
    function test_activeMembers_wholeLifecycleWithoutAskingTheRegistry() public {
        _expectNoRegistryChecks();
        uint256 rootId = _issue(FACE);
        uint256 second = _issue(FACE);
        uint256 child = _split(supplier, rootId, supplier2, 1_000);
        vm.prank(supplier2);
        receivables.transfer(child, supplier3);
        _offer(child, supplier3, lender, 990);
        vm.prank(lender);
        receivables.acceptDiscount(child, 990, keccak256("wire"));
        uint256 pledged = _split(supplier, rootId, supplier, 2_000);
        _pledge(pledged, supplier, lender2, 1_000);
        vm.warp(maturity);
        vm.startPrank(core);
        receivables.settle(child, keccak256("pay"));
        receivables.settle(pledged, keccak256("pay"));
        receivables.fundRoot(second, keccak256("fund"));
        vm.stopPrank();
        vm.prank(supplier);
        receivables.redeem(second);
        vm.assertEq(_status(child), uint256(IReceivables.VoucherStatus.Settled));
        vm.assertEq(_status(second), uint256(IReceivables.VoucherStatus.Settled));
    }

    function test_RevertWhen_suspendedOrRevokedObligorSettles() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        _suspend(core);
        _expectNoRegistryChecks();
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, core, uint64(block.timestamp))
        );
        vm.prank(core);
        receivables.settle(rootId, keccak256("pay"));
        vm.prank(admin);
        registry.revoke(core, "fraud");
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberRevoked.selector, core, uint64(block.timestamp))
        );
        vm.prank(core);
        receivables.settle(rootId, keccak256("pay"));
    }

    function test_RevertWhen_kycExpiredHolderSplitsOrReceives() public {
        uint256 rootId = _issue(FACE);
        vm.prank(admin);
        registry.renewKyc(supplier2, uint64(block.timestamp + 1 days));
        vm.warp(block.timestamp + 1 days + 1);
        // No push happens when KYC lapses: the mirror holds the date and compares it with block time.
        _expectNoRegistryChecks();
        bytes memory expired = abi.encodeWithSelector(
            IParticipantRegistry.MemberKycExpired.selector, supplier2, uint64(block.timestamp - 1)
        );
        vm.expectRevert(expired);
        _split(supplier, rootId, supplier2, 1_000);
    }




    /// Removed from the feed, the contract stops trusting its mirror: a suspension it never heard of
    /// still stops the member, because it asks the registry again.
    function test_unsubscribed_asksTheRegistryAndMissesNoChange() public {
        uint256 rootId = _issue(FACE);
        vm.prank(admin);
        registry.removeSubscriber(address(receivables));
        _suspend(supplier);
        (bool current, IParticipantRegistry.Standing memory stale) = receivables.mirroredStanding(supplier);
        vm.assertFalse(current);
        vm.assertEq(uint256(stale.status), uint256(IParticipantRegistry.Status.Active), "not pushed");
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, supplier, uint64(block.timestamp))
        );
        _split(supplier, rootId, supplier2, 1_000);
        vm.prank(admin);
        registry.reinstate(supplier);
        vm.expectCall(address(registry), abi.encodeWithSelector(IParticipantRegistry.requireActiveMember.selector), 2);
        _split(supplier, rootId, supplier2, 1_000);
    }

    /// Subscribed again, the contract trusts only what is pushed under the new subscription: entries
    /// from before (which missed what happened in between) send it to the registry until synced.
    function test_resubscribed_distrustsOlderEntriesUntilSynced() public {
        uint256 rootId = _issue(FACE);
        vm.startPrank(admin);
        registry.removeSubscriber(address(receivables));
        registry.suspend(supplier, "review");
        registry.addSubscriber(address(receivables));
        vm.stopPrank();
        (bool current, IParticipantRegistry.Standing memory stale) = receivables.mirroredStanding(supplier);
        vm.assertFalse(current, "an entry of epoch 1 under epoch 2");
        vm.assertEq(uint256(stale.status), uint256(IParticipantRegistry.Status.Active));
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, supplier, uint64(block.timestamp))
        );
        _split(supplier, rootId, supplier2, 1_000);

        uint256 members = registry.memberCount();
        vm.prank(admin);
        registry.syncMembers(0, members);
        _assertMirrors(supplier);
        _assertMirrors(supplier2);
        vm.prank(admin);
        registry.reinstate(supplier);
        _expectNoRegistryChecks();
        _split(supplier, rootId, supplier2, 1_000);
    }

    function test_neverSubscribed_everyCheckAsksTheRegistry() public {
        Receivables fresh = new Receivables(registry, GRACE);
        (bool subscribed, uint32 epoch) = fresh.standingFeed();
        vm.assertFalse(subscribed);
        vm.assertEq(epoch, 0);
        (bool current,) = fresh.mirroredStanding(lender);
        vm.assertFalse(current);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        vm.prank(outsider);
        fresh.setCreditLine(core, LIMIT, CNY, lineExpiry);
        vm.expectCall(address(registry), abi.encodeWithSelector(IParticipantRegistry.requireActive.selector), 2);
        vm.prank(lender);
        fresh.setCreditLine(core, LIMIT, CNY, lineExpiry);
        vm.assertEq(fresh.creditLine(lender, core).limit, LIMIT);
    }

    function test_pause_doesNotStopStandingPushes() public {
        vm.prank(admin);
        receivables.pause();
        _suspend(supplier);
        _assertMirrors(supplier);
        vm.prank(admin);
        registry.renewKyc(supplier, validUntil + 1 days);
        _assertMirrors(supplier);
    }


    function _assertSameAnswer(address m) internal override {
        // Any role: cancelling an offer checks the caller's standing first, then finds no voucher.
        (bool okRegistry, bytes memory registryRet) =
            address(registry).staticcall(abi.encodeCall(registry.requireActiveMember, (m)));
        vm.prank(m);
        (bool ok, bytes memory ret) = address(receivables).call(abi.encodeCall(receivables.cancelDiscountOffer, (1)));
        vm.assertFalse(ok);
        vm.assertEq(ret, okRegistry ? _err(IReceivables.VoucherNotFound.selector, 1) : registryRet);
        // The lender role: closing a line checks the caller is an active lender, then finds no line.
        (okRegistry, registryRet) = address(registry).staticcall(
            abi.encodeCall(registry.requireActive, (m, IParticipantRegistry.Role.Lender))
        );
        vm.prank(m);
        (ok, ret) = address(receivables).call(abi.encodeCall(receivables.closeCreditLine, (outsider)));
        vm.assertFalse(ok);
        bytes memory noLine = abi.encodeWithSelector(IReceivables.CreditLineNotFound.selector, m, outsider);
        vm.assertEq(ret, okRegistry ? noLine : registryRet);
    }
}
