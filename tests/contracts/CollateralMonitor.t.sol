// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICollateralMonitor} from "../../contracts/interfaces/ICollateralMonitor.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IPriceFeed} from "../../contracts/interfaces/IPriceFeed.sol";
import {ValuationFixture} from "./utils/ValuationFixture.sol";

contract CollateralMonitorTest is ValuationFixture {
    /// @dev Shown by `forge test -vvvv`; the figure the gas target is checked against.
    event GasMeasured(string what, uint256 gas);

    // ------------------------------------------------------------ the demo story

    function test_demo_priceFallMarginCallNotCuredForeclosable() public {
        (uint256 loanId, uint256 id) = _demoLoan();
        (uint256 ltvBps, uint256 value,,) = monitor.ltv(loanId);
        vm.assertEq(ltvBps, 7000);
        vm.assertEq(value, 30_000_000_000, "300,000,000.00 CNY");
        (, ICollateralMonitor.MarginStatus status) = monitor.checkMargin(loanId);
        vm.assertEq(uint8(status), uint8(ICollateralMonitor.MarginStatus.Healthy));

        _movePrice(P48K);
        uint64 deadline = uint64(_now() + 3 days);
        vm.expectEmit(address(monitor));
        emit ICollateralMonitor.MarginCalled(loanId, lender, 8750, uint256(P48K), deadline);
        vm.prank(outsider); // anyone: a keeper
        (ltvBps, status) = monitor.checkMargin(loanId);
        vm.assertEq(ltvBps, 8750);
        vm.assertEq(uint8(status), uint8(ICollateralMonitor.MarginStatus.MarginCalled));
        vm.assertEq(monitor.loan(loanId).cureDeadline, deadline);
        vm.assertFalse(monitor.isForeclosable(id), "not before the cure deadline");

        _skip(3 days);
        _postAll(P48K);
        vm.assertFalse(monitor.isForeclosable(id), "not at the deadline itself");
        _skip(1);
        vm.assertTrue(monitor.isForeclosable(id), "past the deadline, 87.5 % > 85 %");
        vm.assertEq(uint8(monitor.marginStatus(loanId)), uint8(ICollateralMonitor.MarginStatus.Default));
        // A second check does not move the deadline.
        monitor.checkMargin(loanId);
        vm.assertEq(monitor.loan(loanId).cureDeadline, deadline);
    }

    function test_cure_byRepayment() public {
        (uint256 loanId, uint256 id) = _demoLoan();
        _movePrice(P48K);
        monitor.checkMargin(loanId);
        // 8750 -> at most 8000: repay 21,000,000,000 - 0.8 * 24,000,000,000 = 1,800,000,000.
        vm.expectEmit(address(monitor));
        emit ICollateralMonitor.RepaymentRecorded(loanId, lender, 1_800_000_000, 19_200_000_000);
        vm.expectEmit(address(monitor));
        emit ICollateralMonitor.MarginCallCured(loanId, lender, 8000, uint256(P48K), ICollateralMonitor.Cure.Repayment);
        vm.prank(lender);
        monitor.recordRepayment(loanId, 1_800_000_000);
        vm.assertEq(monitor.loan(loanId).cureDeadline, 0);
        _skip(4 days);
        _postAll(P48K);
        vm.assertFalse(monitor.isForeclosable(id));
    }

    function test_cure_byRepaymentTooSmallLeavesTheCallOpen() public {
        (uint256 loanId,) = _demoLoan();
        _movePrice(P48K);
        monitor.checkMargin(loanId);
        vm.prank(lender);
        monitor.recordRepayment(loanId, 1_799_999_999);
        vm.assertTrue(monitor.loan(loanId).cureDeadline != 0);
    }

    function test_cure_byAddedCollateral() public {
        (uint256 loanId, uint256 id) = _demoLoan();
        _movePrice(P48K);
        monitor.checkMargin(loanId);
        uint256 topUp = _copper(supplier, CU_LOT2, 500_000); // 500 t: 8750 -> 21e9 / 26.4e9 = 7955 bps
        _pledge(supplier, topUp, lender);
        vm.expectEmit(address(monitor));
        emit ICollateralMonitor.MarginCallCured(loanId, lender, 7955, uint256(P48K), ICollateralMonitor.Cure.Collateral);
        vm.prank(supplier); // the borrower may add it
        monitor.addCollateral(loanId, _ids(topUp));
        vm.assertEq(monitor.loanReceipts(loanId).length, 2);
        vm.assertEq(monitor.loanOf(topUp), loanId);
        _skip(4 days);
        _postAll(P48K);
        vm.assertFalse(monitor.isForeclosable(id));
        vm.assertFalse(monitor.isForeclosable(topUp));
    }

    function test_cure_byPriceRecovery() public {
        (uint256 loanId,) = _demoLoan();
        _movePrice(P48K);
        monitor.checkMargin(loanId);
        _movePrice(5_500_000); // 21e9 / 27.5e9 = 7637 bps
        vm.expectEmit(address(monitor));
        emit ICollateralMonitor.MarginCallCured(
            loanId, lender, 7637, 5_500_000, ICollateralMonitor.Cure.PriceRecovered
        );
        (, ICollateralMonitor.MarginStatus status) = monitor.checkMargin(loanId);
        vm.assertEq(uint8(status), uint8(ICollateralMonitor.MarginStatus.Healthy));
    }

    function test_pastDeadlineBetweenMarginAndLiquidationIsNotForeclosable() public {
        (uint256 loanId, uint256 id) = _demoLoan();
        _movePrice(5_000_000); // 21e9 / 25e9 = 8400: above 8000, not above 8500
        monitor.checkMargin(loanId);
        _skip(3 days + 1);
        _postAll(5_000_000);
        vm.assertFalse(monitor.isForeclosable(id));
        vm.assertEq(uint8(monitor.marginStatus(loanId)), uint8(ICollateralMonitor.MarginStatus.CureWindowExpired));
    }

    function test_stalePrice_checkRevertsNamingTheAge_andNothingIsForeclosable() public {
        (uint256 loanId, uint256 id) = _demoLoan();
        _movePrice(P48K);
        monitor.checkMargin(loanId);
        uint64 asOf = uint64(_now());
        _skip(3 days + 1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.StalePrice.selector, CU, asOf, 3 days + 1, MAX_AGE));
        monitor.checkMargin(loanId);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.StalePrice.selector, CU, asOf, 3 days + 1, MAX_AGE));
        monitor.ltv(loanId);
        vm.assertFalse(monitor.isForeclosable(id), "never on a stale price");
    }

    function test_stalePrice_repaymentIsRecordedButCuresNothing() public {
        (uint256 loanId,) = _demoLoan();
        _movePrice(P48K);
        monitor.checkMargin(loanId);
        _skip(MAX_AGE + 1);
        vm.prank(lender);
        monitor.recordRepayment(loanId, 5_000_000_000);
        vm.assertEq(monitor.loan(loanId).outstanding, 16_000_000_000);
        vm.assertTrue(monitor.loan(loanId).cureDeadline != 0, "no cure without a fresh price");
        _postAll(P48K);
        (, ICollateralMonitor.MarginStatus status) = monitor.checkMargin(loanId);
        vm.assertEq(uint8(status), uint8(ICollateralMonitor.MarginStatus.Healthy));
    }

    function test_fullRepaymentCuresAndCloses() public {
        (uint256 loanId, uint256 id) = _demoLoan();
        _movePrice(P48K);
        monitor.checkMargin(loanId);
        vm.prank(lender);
        monitor.recordRepayment(loanId, LOAN_210M);
        vm.assertEq(uint8(monitor.marginStatus(loanId)), uint8(ICollateralMonitor.MarginStatus.Repaid));
        vm.assertFalse(monitor.isForeclosable(id));
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.LoanRepaid.selector, loanId));
        monitor.checkMargin(loanId);
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.LoanRepaid.selector, loanId));
        monitor.recordRepayment(loanId, 1);
    }

    // ------------------------------------------------------------ a lien that changed hands

    function test_releasedAndRepledgedReceiptIsNotForeclosableByTheNewLender() public {
        (uint256 loanId, uint256 id) = _demoLoan();
        _movePrice(P48K);
        monitor.checkMargin(loanId);
        _skip(3 days + 1);
        _postAll(P48K);
        vm.assertTrue(monitor.isForeclosable(id));
        vm.prank(lender);
        wr.releasePledge(id);
        vm.assertFalse(monitor.isForeclosable(id), "the lien it was added under ended");
        _pledge(supplier, id, lender2);
        vm.assertFalse(monitor.isForeclosable(id), "another lender's lien is not in default");
        // Anyone may drop it from the old loan; the new lender may then open its own loan on it.
        vm.expectEmit(address(monitor));
        emit ICollateralMonitor.CollateralRemoved(loanId, id, 0);
        monitor.removeCollateral(id);
        vm.assertEq(monitor.loanOf(id), 0);
        (uint256 ltvBps,,,) = monitor.ltv(loanId);
        vm.assertEq(ltvBps, monitor.MAX_LTV_BPS());
    }

    function test_sameLenderNewPledgeMakesTheOldAttachmentStale() public {
        (uint256 loanId, uint256 id) = _demoLoan();
        vm.prank(lender);
        wr.releasePledge(id);
        _pledge(supplier, id, lender);
        // A new lien: the old loan may not count it; a new loan takes it over.
        vm.prank(lender);
        uint256 second = monitor.openLoan(CU, CNY, LOAN, LOAN_210M, _terms(), _ids(id));
        vm.assertEq(monitor.loanOf(id), second);
        vm.assertEq(monitor.loanReceipts(loanId).length, 0);
    }

    // ------------------------------------------------------------ terms

    function test_defaultTermsApplyToAllZeroTerms() public {
        ICollateralMonitor.Terms memory t = ICollateralMonitor.Terms(6000, 7500, 9000, 1 days);
        vm.expectEmit(address(monitor));
        emit ICollateralMonitor.DefaultTermsSet(lender, CU, 6000, 7500, 9000, 1 days);
        vm.prank(lender);
        monitor.setDefaultTerms(CU, t);
        _postAll(P60K);
        uint256 id = _copper(supplier, CU_LOT, Q5000T);
        _pledge(supplier, id, lender);
        vm.prank(lender);
        uint256 loanId =
            monitor.openLoan(CU, CNY, LOAN, 18_000_000_000, ICollateralMonitor.Terms(0, 0, 0, 0), _ids(id));
        ICollateralMonitor.Loan memory l = monitor.loan(loanId);
        vm.assertEq(l.terms.marginCallLtvBps, 7500);
        vm.assertEq(l.terms.cureWindow, 1 days);
        vm.assertEq(l.borrower, supplier);
        vm.assertEq(l.lender, lender);
        ICollateralMonitor.Terms memory d = monitor.defaultTerms(lender, CU);
        vm.assertEq(d.liquidationLtvBps, 9000);
    }

    // ------------------------------------------------------------ refusals

    function test_RevertWhen_repaymentAboveOutstandingOrZero() public {
        (uint256 loanId,) = _demoLoan();
        vm.startPrank(lender);
        vm.expectRevert(
            abi.encodeWithSelector(
                ICollateralMonitor.RepaymentExceedsOutstanding.selector, loanId, uint256(LOAN_210M) + 1, LOAN_210M
            )
        );
        monitor.recordRepayment(loanId, LOAN_210M + 1);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.AmountOutOfRange.selector, 0, LOAN_210M));
        monitor.recordRepayment(loanId, 0);
        vm.stopPrank();
        vm.assertEq(monitor.loan(loanId).outstanding, LOAN_210M, "nothing recorded");
    }

    function test_RevertWhen_repaymentByOtherThanTheLender() public {
        (uint256 loanId,) = _demoLoan();
        vm.prank(supplier);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.NotLoanLender.selector, loanId, supplier, lender));
        monitor.recordRepayment(loanId, 1);
    }

    function test_RevertWhen_loanNotFound() public {
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.LoanNotFound.selector, 7));
        monitor.checkMargin(7);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.LoanNotFound.selector, 7));
        monitor.recordRepayment(7, 1);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.LoanNotFound.selector, 0));
        monitor.loan(0);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.LoanNotFound.selector, 7));
        monitor.addCollateral(7, _ids(1));
    }

    function test_RevertWhen_openLoanByNonLender() public {
        _postAll(P60K);
        uint256 id = _copper(supplier, CU_LOT, Q5000T);
        vm.prank(supplier);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                supplier,
                uint8(IParticipantRegistry.Role.Supplier),
                uint8(IParticipantRegistry.Role.Lender)
            )
        );
        monitor.openLoan(CU, CNY, LOAN, LOAN_210M, _terms(), _ids(id));
    }

    function test_RevertWhen_openLoanWithoutActiveLien() public {
        _postAll(P60K);
        uint256 id = _copper(supplier, CU_LOT, Q5000T);
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.NoActiveLien.selector, id, lender));
        monitor.openLoan(CU, CNY, LOAN, LOAN_210M, _terms(), _ids(id));
        _requestPledge(supplier, id, lender); // requested, not accepted
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.NoActiveLien.selector, id, lender));
        monitor.openLoan(CU, CNY, LOAN, LOAN_210M, _terms(), _ids(id));
        vm.prank(lender2); // another lender's lien
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.NoActiveLien.selector, id, lender2));
        monitor.openLoan(CU, CNY, LOAN, LOAN_210M, _terms(), _ids(id));
    }

    function test_RevertWhen_openLoanCurrencyOrFeedWrong() public {
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.LoanCurrencyMismatch.selector, CU, CNY, bytes3("USD")));
        monitor.openLoan(CU, "USD", LOAN, LOAN_210M, _terms(), _ids(1));
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.FeedNotFound.selector, AL));
        monitor.openLoan(AL, CNY, LOAN, LOAN_210M, _terms(), _ids(1));
    }

    function test_RevertWhen_openLoanAmountCountOrTermsInvalid() public {
        vm.startPrank(lender);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.AmountOutOfRange.selector, 0, type(uint128).max));
        monitor.openLoan(CU, CNY, LOAN, 0, _terms(), _ids(1));
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.CollateralCountOutOfBounds.selector, 0, 32));
        monitor.openLoan(CU, CNY, LOAN, 1, _terms(), new uint256[](0));
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.CollateralCountOutOfBounds.selector, 33, 32));
        monitor.openLoan(CU, CNY, LOAN, 1, _terms(), new uint256[](33));
        ICollateralMonitor.Terms[4] memory bad = [
            ICollateralMonitor.Terms(8100, 8000, 8500, 1 days),
            ICollateralMonitor.Terms(7000, 8600, 8500, 1 days),
            ICollateralMonitor.Terms(7000, 8000, 10_001, 1 days),
            ICollateralMonitor.Terms(7000, 8000, 8500, 91 days)
        ];
        for (uint256 i = 0; i < 4; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ICollateralMonitor.InvalidTerms.selector,
                    bad[i].advanceRateBps,
                    bad[i].marginCallLtvBps,
                    bad[i].liquidationLtvBps,
                    bad[i].cureWindow
                )
            );
            monitor.openLoan(CU, CNY, LOAN, 1, bad[i], _ids(1));
        }
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.InvalidTerms.selector, 0, 8000, 8500, 0));
        monitor.setDefaultTerms(CU, ICollateralMonitor.Terms(0, 8000, 8500, 0));
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.NoDefaultTerms.selector, lender, CU));
        monitor.openLoan(CU, CNY, LOAN, 1, ICollateralMonitor.Terms(0, 0, 0, 0), _ids(1));
        vm.stopPrank();
    }

    function test_RevertWhen_openLoanAboveAdvanceRate() public {
        _postAll(P60K);
        uint256 id = _copper(supplier, CU_LOT, Q5000T);
        _pledge(supplier, id, lender);
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.AdvanceRateExceeded.selector, 1, 7001, uint16(7000)));
        monitor.openLoan(CU, CNY, LOAN, LOAN_210M + 1, _terms(), _ids(id));
    }

    function test_RevertWhen_openLoanWithAStalePrice() public {
        _postAll(P60K);
        uint256 id = _copper(supplier, CU_LOT, Q5000T);
        _pledge(supplier, id, lender);
        _skip(MAX_AGE + 1);
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.StalePrice.selector, CU, uint64(_now() - MAX_AGE - 1), MAX_AGE + 1, MAX_AGE));
        monitor.openLoan(CU, CNY, LOAN, LOAN_210M, _terms(), _ids(id));
    }

    function test_RevertWhen_collateralOfAnotherBorrowerCommodityOrUnit() public {
        (uint256 loanId,) = _demoLoan();
        // Another owner's receipt.
        uint256 other = _copper(supplier2, CU_LOT2, 1000);
        _pledge(supplier2, other, lender);
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.NotBorrowersReceipt.selector, other, supplier2, supplier));
        monitor.addCollateral(loanId, _ids(other));
        // Aluminium.
        uint256 al = _receipt(1000);
        _pledge(supplier, al, lender);
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.CollateralCommodityMismatch.selector, al, loanId, CU, AL));
        monitor.addCollateral(loanId, _ids(al));
        // Copper counted in kg against a per-tonne price.
        _attestAt(warehouse2, keccak256("kg copper"), CU, 1000);
        vm.prank(warehouse2);
        uint256 kgCopper = wr.mint(supplier, keccak256("kg copper"), CU, 1000, 0, DETAILS);
        _pledge(supplier, kgCopper, lender);
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.CollateralUnitMismatch.selector, kgCopper, CU, TONNE, KG));
        monitor.addCollateral(loanId, _ids(kgCopper));
    }

    function test_RevertWhen_collateralAddedTwiceOrByAStranger() public {
        (uint256 loanId, uint256 id) = _demoLoan();
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.ReceiptAlreadySecures.selector, id, loanId));
        monitor.addCollateral(loanId, _ids(id));
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.NotLoanParty.selector, loanId, outsider));
        monitor.addCollateral(loanId, _ids(id));
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.CollateralCountOutOfBounds.selector, 1, 32));
        monitor.addCollateral(loanId, new uint256[](0));
    }

    function test_RevertWhen_removingPledgedOrUnknownCollateral() public {
        (uint256 loanId, uint256 id) = _demoLoan();
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.CollateralStillPledged.selector, id, loanId));
        monitor.removeCollateral(id);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.ReceiptNotCollateral.selector, 99));
        monitor.removeCollateral(99);
    }

    function test_RevertWhen_addingToARepaidLoan() public {
        (uint256 loanId, uint256 id) = _demoLoan();
        vm.prank(lender);
        monitor.recordRepayment(loanId, LOAN_210M);
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.LoanRepaid.selector, loanId));
        monitor.addCollateral(loanId, _ids(id));
    }

    // ------------------------------------------------------------ fuzz

    /// LTV is the exact ceiling of outstanding / value in basis points: never below the true ratio,
    /// less than one basis point above it.
    function testFuzz_ltvRoundsUp(uint64 quantity, uint64 price, uint128 outstanding) public {
        quantity = uint64(bound(quantity, 1, (1 << 48) - 1));
        price = uint64(bound(price, 1, type(uint64).max));
        vm.prank(admin);
        feed.setFeedParameters(CU, MAX_AGE, 0);
        _post(pub1, int256(uint256(price)));
        uint256 id = _copper(supplier, CU_LOT, quantity);
        _pledge(supplier, id, lender);
        uint256 collateral = uint256(quantity) * 1e15;
        // Open within the advance rate (100 %), then move the outstanding anywhere through repayments.
        uint256 value = collateral * price / 1e18;
        vm.assume(value != 0);
        uint128 opened = uint128(value > type(uint128).max ? type(uint128).max : value);
        vm.prank(lender);
        uint256 loanId = monitor.openLoan(
            CU, CNY, LOAN, opened, ICollateralMonitor.Terms(10_000, 10_000, 10_000, 1 days), _ids(id)
        );
        outstanding = uint128(bound(outstanding, 1, opened));
        if (outstanding < opened) {
            vm.prank(lender);
            monitor.recordRepayment(loanId, opened - outstanding);
        }
        (uint256 ltvBps,,,) = monitor.ltv(loanId);
        uint256 num = uint256(outstanding) * 1e22;
        uint256 den = collateral * price;
        vm.assertGe(ltvBps * den, num, "LTV rounded down");
        vm.assertLt((ltvBps - 1) * den, num, "LTV more than one bps above");
    }

    /// No sequence of repayments takes the outstanding amount below zero or records more than it:
    /// each accepted repayment is at most what was outstanding, and the rest is refused, unrecorded.
    function testFuzz_repaymentsNeverExceedOutstanding(uint128[6] memory amounts) public {
        (uint256 loanId,) = _demoLoan();
        uint256 repaid = 0;
        for (uint256 i = 0; i < amounts.length; ++i) {
            uint128 outstanding = monitor.loan(loanId).outstanding;
            uint128 amount = uint128(bound(amounts[i], 0, uint256(LOAN_210M) * 2));
            vm.prank(lender);
            if (outstanding == 0) {
                vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.LoanRepaid.selector, loanId));
            } else if (amount == 0) {
                vm.expectRevert(abi.encodeWithSelector(ICollateralMonitor.AmountOutOfRange.selector, 0, outstanding));
            } else if (amount > outstanding) {
                vm.expectRevert(
                    abi.encodeWithSelector(
                        ICollateralMonitor.RepaymentExceedsOutstanding.selector, loanId, amount, outstanding
                    )
                );
            } else {
                repaid += amount;
            }
            monitor.recordRepayment(loanId, amount);
            vm.assertEq(uint256(monitor.loan(loanId).outstanding) + repaid, LOAN_210M);
        }
    }

    /// Early foreclosure is open exactly when a margin call's deadline has passed and LTV at a
    /// fresh price is above the liquidation LTV; never otherwise.
    function testFuzz_foreclosableExactlyInDefault(uint64 newPrice, uint32 wait, bool refresh) public {
        (uint256 loanId, uint256 id) = _demoLoan();
        vm.prank(admin);
        feed.setFeedParameters(CU, MAX_AGE, 0);
        newPrice = uint64(bound(newPrice, 3_000_000, 9_000_000));
        _post(pub1, int256(uint256(newPrice)));
        _post(pub2, int256(uint256(newPrice)));
        _post(pub3, int256(uint256(newPrice)));
        (uint256 ltvBps,) = monitor.checkMargin(loanId);
        uint64 deadline = monitor.loan(loanId).cureDeadline;
        _skip(bound(wait, 0, 6 days));
        if (refresh) _postAll(int256(uint256(newPrice)));
        (,, bool fresh) = feed.peekPrice(CU);
        bool expected = deadline != 0 && _now() > deadline && fresh && ltvBps > 8500;
        vm.assertEq(monitor.isForeclosable(id), expected);
    }
}

/// @notice The gas targets, measured on whole transactions (21,000 intrinsic, calldata, execution)
/// against cold storage: the loan, the price and any margin call are set up in `setUp`, a
/// transaction of its own, so the measured call finds every slot cold as a keeper's would.
abstract contract MonitorGasBase is ValuationFixture {
    /// @dev Shown by `forge test -vvvv`; the figure the gas target is checked against.
    event GasMeasured(string what, uint256 gas);

    uint256 internal loanId;

    function setUp() public virtual override {
        super.setUp();
        (loanId,) = _demoLoan();
        _movePrice(P48K);
    }

    function _txGas(address to, bytes memory data, address from) internal returns (uint256) {
        vm.prank(from);
        uint256 before = gasleft();
        (bool ok,) = to.call(data);
        uint256 execution = before - gasleft();
        vm.assertTrue(ok, "call succeeded");
        uint256 calldataGas = 0;
        for (uint256 i = 0; i < data.length; ++i) {
            calldataGas += data[i] == 0 ? 4 : 16;
        }
        return 21_000 + calldataGas + execution;
    }
}

contract MarginCheckGasTest is MonitorGasBase {
    /// A margin check that opens a margin call costs at most 60,000 gas.
    function test_gas_marginCheckOpeningACall() public {
        uint256 check = _txGas(address(monitor), abi.encodeCall(monitor.checkMargin, (loanId)), outsider);
        emit GasMeasured("margin check opening a call", check);
        vm.assertTrue(monitor.loan(loanId).cureDeadline != 0, "called");
        vm.assertLe(check, 60_000, "margin check over 60,000 gas");
    }
}

contract CureByRepaymentGasTest is MonitorGasBase {
    function setUp() public override {
        super.setUp();
        monitor.checkMargin(loanId);
    }

    /// A repayment that cures an open margin call costs at most 50,000 gas.
    function test_gas_cureByRepayment() public {
        uint256 cure =
            _txGas(address(monitor), abi.encodeCall(monitor.recordRepayment, (loanId, 1_800_000_000)), lender);
        emit GasMeasured("repayment curing a call", cure);
        vm.assertEq(monitor.loan(loanId).cureDeadline, 0, "cured");
        vm.assertLe(cure, 50_000, "cure by repayment over 50,000 gas");
    }
}
