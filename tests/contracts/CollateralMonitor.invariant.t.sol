// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ValuationHandler} from "./handlers/ValuationHandler.sol";
import {ValuationFixture} from "./utils/ValuationFixture.sol";

/// @notice Whatever sequence of price posts, waiting, margin checks, repayments, top-ups and
/// releases the handler throws at the feed and the monitor: an LTV is never computed from a stale
/// price; a receipt is foreclosable early exactly when its loan is past its cure deadline and above
/// its liquidation LTV at a fresh price; repayments never exceed what is outstanding; each loan's
/// collateral is the sum of the receipts securing it.
contract CollateralMonitorInvariantTest is ValuationFixture {
    /// @dev forge reads {targetSelectors}: only the handler's actions are fuzzed, not its set-up or views.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    ValuationHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new ValuationHandler(feed, monitor, wr, lender, supplier, warehouse, inspector, [pub1, pub2, pub3]);
        _postAll(P60K);
        // 5,000 t, 2,000 t and 1,000 t of copper at 60,000 CNY/t, lent at 70 %, 75 % and 80 %.
        handler.openLoan(5_000_000, 21_000_000_000);
        handler.openLoan(2_000_000, 9_000_000_000);
        handler.openLoan(1_000_000, 4_800_000_000);
        targetContract(address(handler));
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory actions = new bytes4[](6);
        actions[0] = handler.postPrice.selector;
        actions[1] = handler.wait.selector;
        actions[2] = handler.checkMargin.selector;
        actions[3] = handler.repay.selector;
        actions[4] = handler.addCollateral.selector;
        actions[5] = handler.releaseAndRemove.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), actions);
    }

    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_nothingForbiddenSucceeded() public view {
        if (handler.violationCount() != 0) vm.assertTrue(false, handler.violations(0));
    }

    /// Outstanding + recorded repayments = the amount opened, for every loan: nothing repaid twice,
    /// nothing repaid beyond what was owed.
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_repaymentsNeverExceedOutstanding() public view {
        for (uint256 i = 0; i < handler.loanCount(); ++i) {
            uint256 loanId = handler.loans(i);
            vm.assertEq(
                uint256(monitor.loan(loanId).outstanding) + handler.repaid(loanId), handler.opened(loanId), "books"
            );
        }
    }

    /// Early foreclosure is open for a receipt exactly when the model says its loan is in default.
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_foreclosableExactlyInDefault() public view {
        for (uint256 i = 0; i < handler.receiptCount(); ++i) {
            uint256 id = handler.receipts(i);
            vm.assertEq(monitor.isForeclosable(id), handler.expectedForeclosable(id), "isForeclosable");
        }
    }

    /// A loan's collateral is the normalised sum of the receipts securing it.
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_collateralIsTheSumOfItsReceipts() public view {
        for (uint256 i = 0; i < handler.loanCount(); ++i) {
            uint256 loanId = handler.loans(i);
            vm.assertEq(monitor.loan(loanId).collateral, handler.ghostCollateral(loanId), "collateral");
            uint256[] memory ids = monitor.loanReceipts(loanId);
            for (uint256 k = 0; k < ids.length; ++k) {
                vm.assertEq(monitor.loanOf(ids[k]), loanId, "listed receipt points back at its loan");
            }
        }
    }

    /// After every run: each action was attempted, attempts and outcomes add up, and the run did
    /// more than wait (prices were posted and margin checks ran to an answer).
    function afterInvariant() public view {
        bytes32[6] memory actions = [bytes32("post"), "wait", "check", "repay", "add", "release"];
        uint256 total = 0;
        for (uint256 i = 0; i < actions.length; ++i) {
            total += handler.calls(actions[i]);
            vm.assertLe(handler.succeeded(actions[i]), handler.calls(actions[i]), "more successes than attempts");
        }
        vm.assertTrue(total > 0, "the handler was called");
        vm.assertEq(handler.succeeded("post"), handler.calls("post"), "every post went through");
        vm.assertEq(handler.succeeded("wait"), handler.calls("wait"), "every wait went through");
        vm.assertEq(
            handler.succeeded("check") + handler.succeeded("check refused: stale")
                + handler.succeeded("check refused: repaid"),
            handler.calls("check"),
            "every margin check either ran or was refused for a stale price or a repaid loan"
        );
    }
}
