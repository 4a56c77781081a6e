// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CollateralMonitor} from "../../../contracts/CollateralMonitor.sol";
import {PriceFeed} from "../../../contracts/PriceFeed.sol";
import {WarehouseReceipts} from "../../../contracts/WarehouseReceipts.sol";
import {ICollateralMonitor} from "../../../contracts/interfaces/ICollateralMonitor.sol";
import {IPriceFeed} from "../../../contracts/interfaces/IPriceFeed.sol";
import {IWarehouseReceipts} from "../../../contracts/interfaces/IWarehouseReceipts.sol";
import {Test} from "../utils/Test.sol";

/// @notice Drives the price feed and the collateral monitor through random price posts (up and
/// down, by three publishers), the passage of time (prices go stale), margin checks by a keeper,
/// repayments of any size (most above what is outstanding at some point), collateral top-ups and
/// releases, over three copper loans. Every action is attempted with try/catch; the handler keeps
/// ghost books (amounts opened and repaid, each loan's receipts and quantities) and raises a flag
/// whenever something succeeds that must not: an LTV from a stale price, a repayment above the
/// outstanding amount.
contract ValuationHandler is Test {
    PriceFeed public immutable feed;
    CollateralMonitor public immutable monitor;
    WarehouseReceipts public immutable wr;

    address internal immutable _owner;
    address internal immutable _lender;
    address internal immutable _borrower;
    address internal immutable _warehouse;
    address internal immutable _inspector;
    address[3] internal _publishers;

    bytes16 internal constant _CU = "CU-CATH";
    bytes8 internal constant _T = "t";
    bytes3 internal constant _CNY = "CNY";
    uint256 internal constant _MAX_ADDED = 12;

    // ------------------------------------------------------------ ghost books

    uint256[] public loans;
    mapping(uint256 loanId => uint256) public opened;
    mapping(uint256 loanId => uint256) public repaid;
    /// @dev Every receipt ever added to a loan, and the quantity it counts for while it does.
    uint256[] public receipts;
    mapping(uint256 receiptId => uint256) public ghostLoanOf;
    mapping(uint256 receiptId => uint64) public quantityOf;
    mapping(uint256 loanId => uint256) public ghostCollateral; // normalised to 18 decimals
    uint256 internal _lots;

    string[] public violations;

    /// @dev Attempts and successes by action, asserted after each run.
    mapping(bytes32 name => uint256) public calls;
    mapping(bytes32 name => uint256) public succeeded;

    constructor(
        PriceFeed feed_,
        CollateralMonitor monitor_,
        WarehouseReceipts wr_,
        address lender_,
        address borrower_,
        address warehouse_,
        address inspector_,
        address[3] memory publishers_
    ) {
        _owner = msg.sender;
        feed = feed_;
        monitor = monitor_;
        wr = wr_;
        _lender = lender_;
        _borrower = borrower_;
        _warehouse = warehouse_;
        _inspector = inspector_;
        _publishers = publishers_;
    }

    /// @dev Called by the test's setUp (anyone else, the fuzzer, is ignored): a copper receipt of
    /// `quantity` pledged and a loan of `amount` on it.
    function openLoan(uint64 quantity, uint128 amount) external returns (uint256 loanId) {
        if (msg.sender != _owner) return 0;
        uint256 id = _pledgedCopper(quantity);
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        vm.prank(_lender);
        loanId = monitor.openLoan(_CU, _CNY, keccak256("loan"), amount, ICollateralMonitor.Terms(8000, 8000, 8500, 2 days), ids);
        loans.push(loanId);
        opened[loanId] = amount;
        _track(loanId, id, quantity);
    }

    // ------------------------------------------------------------ actions

    function postPrice(uint256 publisherSeed, uint256 price) external {
        calls["post"]++;
        price = bound(price, 3_000_000, 9_000_000);
        IPriceFeed.PricePost[] memory p = new IPriceFeed.PricePost[](1);
        p[0] = IPriceFeed.PricePost(_CU, _T, _CNY, int256(price), uint64(vm.getBlockTimestamp()), "HANDLER");
        vm.prank(_publishers[publisherSeed % 3]);
        try feed.post(p) {
            succeeded["post"]++;
        } catch {
            _violation("a valid post was refused");
        }
    }

    function wait(uint256 secondsForward) external {
        calls["wait"]++;
        vm.warp(vm.getBlockTimestamp() + bound(secondsForward, 1, 20 hours));
        succeeded["wait"]++;
    }

    function checkMargin(uint256 loanSeed) external {
        calls["check"]++;
        uint256 loanId = loans[loanSeed % loans.length];
        (,, bool fresh) = feed.peekPrice(_CU);
        bool repaidInFull = monitor.loan(loanId).outstanding == 0;
        try monitor.checkMargin(loanId) returns (uint256, ICollateralMonitor.MarginStatus status) {
            succeeded["check"]++;
            if (status == ICollateralMonitor.MarginStatus.MarginCalled) succeeded["check: margin called"]++;
            if (status == ICollateralMonitor.MarginStatus.Default) succeeded["check: default"]++;
            if (!fresh) _violation("a margin check used a stale price");
            if (repaidInFull) _violation("a margin check ran on a repaid loan");
        } catch {
            if (fresh && !repaidInFull) _violation("a margin check at a fresh price was refused");
            if (repaidInFull) succeeded["check refused: repaid"]++;
            else if (!fresh) succeeded["check refused: stale"]++;
        }
    }

    function repay(uint256 loanSeed, uint256 amount) external {
        calls["repay"]++;
        uint256 loanId = loans[loanSeed % loans.length];
        uint256 outstanding = monitor.loan(loanId).outstanding;
        amount = bound(amount, 0, outstanding * 2 + 1);
        vm.prank(_lender);
        try monitor.recordRepayment(loanId, uint128(amount)) {
            succeeded["repay"]++;
            if (amount > outstanding || amount == 0) _violation("a repayment above the outstanding amount was recorded");
            repaid[loanId] += amount;
        } catch {
            if (amount != 0 && amount <= outstanding) _violation("a valid repayment was refused");
            if (amount > outstanding) succeeded["repay refused: above outstanding"]++;
        }
    }

    function addCollateral(uint256 loanSeed, uint64 quantity) external {
        calls["add"]++;
        if (receipts.length >= _MAX_ADDED + 3) return;
        uint256 loanId = loans[loanSeed % loans.length];
        if (monitor.loan(loanId).outstanding == 0) return;
        quantity = uint64(bound(quantity, 1000, 3_000_000));
        uint256 id = _pledgedCopper(quantity);
        uint256[] memory ids = new uint256[](1);
        ids[0] = id;
        vm.prank(_borrower);
        try monitor.addCollateral(loanId, ids) {
            succeeded["add"]++;
            _track(loanId, id, quantity);
        } catch {
            _violation("a valid top-up was refused");
        }
    }

    function releaseAndRemove(uint256 receiptSeed) external {
        calls["release"]++;
        if (receipts.length == 0) return;
        uint256 id = receipts[receiptSeed % receipts.length];
        uint256 loanId = ghostLoanOf[id];
        if (loanId == 0) return;
        vm.prank(_lender);
        wr.releasePledge(id);
        try monitor.removeCollateral(id) {
            succeeded["release"]++;
            ghostCollateral[loanId] -= uint256(quantityOf[id]) * 1e15;
            ghostLoanOf[id] = 0;
        } catch {
            _violation("a released receipt could not be removed");
        }
    }

    // ------------------------------------------------------------ model

    /// @dev Whether `receiptId` must be foreclosable early, computed from the ghost books and the
    /// feed's own reference, independently of the monitor's arithmetic.
    function expectedForeclosable(uint256 receiptId) external view returns (bool) {
        uint256 loanId = ghostLoanOf[receiptId];
        if (loanId == 0) return false;
        ICollateralMonitor.Loan memory l = monitor.loan(loanId);
        if (l.cureDeadline == 0 || vm.getBlockTimestamp() <= l.cureDeadline || l.outstanding == 0) return false;
        IPriceFeed.Reference memory r = feed.referencePrice(_CU);
        if (r.price == 0 || vm.getBlockTimestamp() - r.asOf > feed.feed(_CU).maxAge) return false;
        uint256 den = ghostCollateral[loanId] * r.price;
        if (den == 0) return true;
        // LTV > liquidation  <=>  outstanding * 10^22 > liquidation * den (LTV is a ceiling).
        return uint256(l.outstanding) * 1e22 > uint256(l.terms.liquidationLtvBps) * den;
    }

    function loanCount() external view returns (uint256) {
        return loans.length;
    }

    function receiptCount() external view returns (uint256) {
        return receipts.length;
    }

    function violationCount() external view returns (uint256) {
        return violations.length;
    }

    // ------------------------------------------------------------ internals

    function _pledgedCopper(uint64 quantity) internal returns (uint256 id) {
        bytes32 lotId = keccak256(abi.encode("handler copper lot", ++_lots));
        vm.prank(_inspector);
        wr.recordStocktake(_warehouse, lotId, _CU, _T, 3, quantity, bytes32(0), new uint256[](0));
        vm.prank(_warehouse);
        id = wr.mint(_borrower, lotId, _CU, quantity, 0, bytes32(0));
        vm.prank(_borrower);
        uint48 seq = wr.requestPledge(id, _lender, 1, _CNY, keccak256("loan"), uint64(vm.getBlockTimestamp() + 3650 days));
        vm.prank(_lender);
        wr.acceptPledge(id, seq);
    }

    function _track(uint256 loanId, uint256 id, uint64 quantity) internal {
        receipts.push(id);
        ghostLoanOf[id] = loanId;
        quantityOf[id] = quantity;
        ghostCollateral[loanId] += uint256(quantity) * 1e15;
    }

    function _violation(string memory what) internal {
        violations.push(what);
    }
}
