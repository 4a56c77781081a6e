// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICollateralMonitor} from "./interfaces/ICollateralMonitor.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {IPriceFeed} from "./interfaces/IPriceFeed.sol";
import {IWarehouseReceipts} from "./interfaces/IWarehouseReceipts.sol";

/// @title CollateralMonitor
/// @notice Loan-to-value, margin calls, cures and early default of receipt-secured loans: see
/// {ICollateralMonitor}.
/// @dev A pledged receipt cannot be moved, split, merged or delivered while its lien is active, so
/// its quantity is read once, when it is added, and kept in the loan's running total: a margin check
/// reads two of the loan's slots and the feed's two, and makes no call to the receipts contract.
/// Every receipt keeps the lien (its request number) it was added under; a receipt whose lien ended
/// no longer counts towards {isForeclosable} and anyone may take it off the loan ({removeCollateral}).
contract CollateralMonitor is ICollateralMonitor {
    /// @inheritdoc ICollateralMonitor
    string public constant VERSION = "1.0.0";

    /// @notice Most receipts securing one loan.
    uint256 public constant MAX_RECEIPTS = 32;

    /// @notice The LTV reported for a loan with nothing left securing it.
    uint256 public constant MAX_LTV_BPS = type(uint32).max;

    /// @notice Longest cure window a lien may have.
    uint32 public constant MAX_CURE_WINDOW = 90 days;

    /// @dev 10^4 (basis points) × 10^18 (normalised quantity decimals).
    uint256 private constant _LTV_SCALE = 1e22;

    /// @dev Slot 0 is what a check and a repayment read and write; slot 1 what a check values.
    struct LoanSlot {
        uint128 outstanding;
        uint40 cureDeadline;
        uint16 advanceRateBps;
        uint16 marginCallLtvBps;
        uint16 liquidationLtvBps;
        uint32 cureWindow;
        uint8 receiptCount;
        bytes16 commodity;
        uint128 collateral;
        address lender;
        bytes3 currency;
        address borrower;
        bytes32 loanRef;
    }

    /// @dev One receipt securing a loan: under which lien, at which position, for how much.
    struct Attachment {
        uint64 loanId;
        uint48 requestSeq;
        uint8 index;
        uint128 collateral;
    }

    IWarehouseReceipts private immutable _receipts;
    IPriceFeed private immutable _feed;
    IParticipantRegistry private immutable _registry;

    uint256 private _loanCount;
    mapping(uint256 loanId => LoanSlot) private _loans;
    mapping(uint256 loanId => mapping(uint256 index => uint256 receiptId)) private _loanReceipts;
    mapping(uint256 receiptId => Attachment) private _attachments;
    mapping(address lender => mapping(bytes16 commodity => Terms)) private _defaultTerms;

    /// @param receipts_ The warehouse receipts contract whose liens secure the loans.
    /// @param feed_ The price feed that values them.
    /// @param registry_ The participant registry (lenders must be its active members).
    constructor(IWarehouseReceipts receipts_, IPriceFeed feed_, IParticipantRegistry registry_) {
        _receipts = receipts_;
        _feed = feed_;
        _registry = registry_;
    }

    // ------------------------------------------------------------ lender

    /// @inheritdoc ICollateralMonitor
    function setDefaultTerms(bytes16 commodity, Terms calldata terms) external {
        _registry.requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        _checkTerms(terms);
        _defaultTerms[msg.sender][commodity] = terms;
        emit DefaultTermsSet(
            msg.sender,
            commodity,
            terms.advanceRateBps,
            terms.marginCallLtvBps,
            terms.liquidationLtvBps,
            terms.cureWindow
        );
    }

    /// @inheritdoc ICollateralMonitor
    function openLoan(
        bytes16 commodity,
        bytes3 currency,
        bytes32 loanRef,
        uint128 outstanding,
        Terms calldata terms,
        uint256[] calldata receiptIds
    ) external returns (uint256 loanId) {
        _registry.requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        IPriceFeed.Feed memory f = _feed.feed(commodity);
        if (currency != f.currency) revert LoanCurrencyMismatch(commodity, f.currency, currency);
        if (outstanding == 0) revert AmountOutOfRange(0, type(uint128).max);
        uint256 n = receiptIds.length;
        if (n == 0 || n > MAX_RECEIPTS) revert CollateralCountOutOfBounds(n, MAX_RECEIPTS);
        Terms memory t = _termsFor(commodity, terms);
        loanId = _createLoan(commodity, currency, loanRef, outstanding, t, _receipts.receipt(receiptIds[0]).owner);
        LoanSlot storage l = _loans[loanId];
        for (uint256 i = 0; i < n; ++i) {
            _attach(loanId, l, receiptIds[i], f.unit);
        }
        // slither-disable-next-line unused-return -- latestPrice reverts unless the price is fresh; as-of and round are not needed here
        (uint256 price,,) = _feed.latestPrice(commodity);
        uint256 ltvBps = _ltvBps(outstanding, l.collateral, price);
        if (ltvBps > t.advanceRateBps) revert AdvanceRateExceeded(loanId, ltvBps, t.advanceRateBps);
    }

    /// @inheritdoc ICollateralMonitor
    /// @dev The lender's standing is not checked: a repayment only reduces its claim.
    function recordRepayment(uint256 loanId, uint128 amount) external {
        LoanSlot storage l = _existingLoan(loanId);
        address lender = l.lender;
        if (msg.sender != lender) revert NotLoanLender(loanId, msg.sender, lender);
        uint128 outstanding = l.outstanding;
        if (outstanding == 0) revert LoanRepaid(loanId);
        if (amount == 0) revert AmountOutOfRange(0, outstanding);
        if (amount > outstanding) revert RepaymentExceedsOutstanding(loanId, amount, outstanding);
        unchecked {
            outstanding -= amount;
        }
        l.outstanding = outstanding;
        emit RepaymentRecorded(loanId, lender, amount, outstanding);
        if (l.cureDeadline != 0) _tryCure(loanId, l, lender, Cure.Repayment);
    }

    // ------------------------------------------------------------ borrower or lender

    /// @inheritdoc ICollateralMonitor
    function addCollateral(uint256 loanId, uint256[] calldata receiptIds) external {
        LoanSlot storage l = _existingLoan(loanId);
        address lender = l.lender;
        if (msg.sender != lender && msg.sender != l.borrower) revert NotLoanParty(loanId, msg.sender);
        if (l.outstanding == 0) revert LoanRepaid(loanId);
        uint256 n = receiptIds.length;
        if (n == 0 || n > MAX_RECEIPTS - l.receiptCount) {
            revert CollateralCountOutOfBounds(l.receiptCount + n, MAX_RECEIPTS);
        }
        bytes8 unit = _feed.feed(l.commodity).unit;
        for (uint256 i = 0; i < n; ++i) {
            _attach(loanId, l, receiptIds[i], unit);
        }
        if (l.cureDeadline != 0) _tryCure(loanId, l, lender, Cure.Collateral);
    }

    // ------------------------------------------------------------ anyone

    /// @inheritdoc ICollateralMonitor
    function checkMargin(uint256 loanId) external returns (uint256 ltvBps, MarginStatus status) {
        LoanSlot storage l = _existingLoan(loanId);
        uint256 outstanding = l.outstanding;
        if (outstanding == 0) revert LoanRepaid(loanId);
        // slither-disable-next-line unused-return -- latestPrice reverts unless the price is fresh; as-of and round are not needed here
        (uint256 price, uint64 asOf,) = _feed.latestPrice(l.commodity);
        ltvBps = _ltvBps(outstanding, l.collateral, price);
        uint256 deadline = l.cureDeadline;
        if (ltvBps > l.marginCallLtvBps) {
            if (deadline == 0) {
                deadline = block.timestamp + l.cureWindow;
                // forge-lint: disable-next-line(unsafe-typecast) -- a block time plus at most 90 days
                l.cureDeadline = uint40(deadline);
                // forge-lint: disable-next-line(unsafe-typecast) -- as above
                emit MarginCalled(loanId, l.lender, ltvBps, price, uint64(deadline));
            }
        } else if (deadline != 0) {
            l.cureDeadline = 0;
            deadline = 0;
            emit MarginCallCured(loanId, l.lender, ltvBps, price, Cure.PriceRecovered);
        }
        status = _status(outstanding, deadline, ltvBps, l.marginCallLtvBps, l.liquidationLtvBps);
        emit MarginChecked(loanId, ltvBps, price, asOf, status);
    }

    /// @inheritdoc ICollateralMonitor
    function removeCollateral(uint256 receiptId) external {
        Attachment memory a = _attachments[receiptId];
        if (a.loanId == 0) revert ReceiptNotCollateral(receiptId);
        if (_liveAttachment(receiptId, a, _loans[a.loanId].lender)) {
            revert CollateralStillPledged(receiptId, a.loanId);
        }
        _detach(receiptId, a);
    }

    // ------------------------------------------------------------ reads

    /// @inheritdoc ICollateralMonitor
    function isForeclosable(uint256 receiptId) external view returns (bool) {
        Attachment memory a = _attachments[receiptId];
        if (a.loanId == 0) return false;
        LoanSlot storage l = _loans[a.loanId];
        uint256 deadline = l.cureDeadline;
        if (deadline == 0 || block.timestamp <= deadline || l.outstanding == 0) return false;
        if (!_liveAttachment(receiptId, a, l.lender)) return false;
        // slither-disable-next-line unused-return -- freshness is the third value; the as-of is not needed
        (uint256 price,, bool fresh) = _feed.peekPrice(l.commodity);
        if (!fresh) return false;
        return _ltvBps(l.outstanding, l.collateral, price) > l.liquidationLtvBps;
    }

    /// @inheritdoc ICollateralMonitor
    function ltv(uint256 loanId)
        external
        view
        returns (uint256 ltvBps, uint256 value, uint256 price, uint64 priceAsOf)
    {
        LoanSlot storage l = _existingLoan(loanId);
        // slither-disable-next-line unused-return -- latestPrice reverts unless the price is fresh; as-of and round are not needed here
        (price, priceAsOf,) = _feed.latestPrice(l.commodity);
        ltvBps = _ltvBps(l.outstanding, l.collateral, price);
        value = uint256(l.collateral) * price / 1e18;
    }

    /// @inheritdoc ICollateralMonitor
    function marginStatus(uint256 loanId) external view returns (MarginStatus) {
        LoanSlot storage l = _existingLoan(loanId);
        if (l.outstanding == 0) return MarginStatus.Repaid;
        // slither-disable-next-line unused-return -- latestPrice reverts unless the price is fresh; as-of and round are not needed here
        (uint256 price,,) = _feed.latestPrice(l.commodity);
        uint256 ltvBps = _ltvBps(l.outstanding, l.collateral, price);
        return _status(l.outstanding, l.cureDeadline, ltvBps, l.marginCallLtvBps, l.liquidationLtvBps);
    }

    /// @inheritdoc ICollateralMonitor
    function loan(uint256 loanId) external view returns (Loan memory) {
        LoanSlot storage l = _existingLoan(loanId);
        return Loan(
            l.lender,
            l.borrower,
            l.commodity,
            l.currency,
            l.loanRef,
            l.outstanding,
            l.collateral,
            l.cureDeadline,
            l.receiptCount,
            Terms(l.advanceRateBps, l.marginCallLtvBps, l.liquidationLtvBps, l.cureWindow)
        );
    }

    /// @inheritdoc ICollateralMonitor
    function loanReceipts(uint256 loanId) external view returns (uint256[] memory ids) {
        uint256 n = _existingLoan(loanId).receiptCount;
        ids = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            ids[i] = _loanReceipts[loanId][i];
        }
    }

    /// @inheritdoc ICollateralMonitor
    function loanOf(uint256 receiptId) external view returns (uint256) {
        return _attachments[receiptId].loanId;
    }

    /// @inheritdoc ICollateralMonitor
    function defaultTerms(address lender, bytes16 commodity) external view returns (Terms memory) {
        return _defaultTerms[lender][commodity];
    }

    /// @inheritdoc ICollateralMonitor
    function sources() external view returns (address receipts, address priceFeed, address registry) {
        return (address(_receipts), address(_feed), address(_registry));
    }

    /// @inheritdoc ICollateralMonitor
    function loanCount() external view returns (uint256) {
        return _loanCount;
    }

    // ------------------------------------------------------------ internals

    /// @dev The given terms, checked; or, when all zero, the caller's defaults for `commodity`.
    function _termsFor(bytes16 commodity, Terms calldata terms) private view returns (Terms memory t) {
        t = terms;
        if (t.advanceRateBps == 0 && t.marginCallLtvBps == 0 && t.liquidationLtvBps == 0 && t.cureWindow == 0) {
            t = _defaultTerms[msg.sender][commodity];
            if (t.cureWindow == 0) revert NoDefaultTerms(msg.sender, commodity);
        } else {
            _checkTerms(t);
        }
    }

    function _createLoan(
        bytes16 commodity,
        bytes3 currency,
        bytes32 loanRef,
        uint128 outstanding,
        Terms memory t,
        address borrower
    ) private returns (uint256 loanId) {
        loanId = ++_loanCount;
        LoanSlot storage l = _loans[loanId];
        l.outstanding = outstanding;
        l.advanceRateBps = t.advanceRateBps;
        l.marginCallLtvBps = t.marginCallLtvBps;
        l.liquidationLtvBps = t.liquidationLtvBps;
        l.cureWindow = t.cureWindow;
        l.commodity = commodity;
        l.lender = msg.sender;
        l.currency = currency;
        l.borrower = borrower;
        l.loanRef = loanRef;
        emit LoanOpened(
            loanId,
            msg.sender,
            borrower,
            commodity,
            currency,
            loanRef,
            outstanding,
            t.advanceRateBps,
            t.marginCallLtvBps,
            t.liquidationLtvBps,
            t.cureWindow
        );
    }

    /// @dev Adds `receiptId` to loan `loanId`: an active lien of the loan's lender, owned by its
    /// borrower, of its commodity and the feed's unit. A receipt still listed on a loan under a lien
    /// that has ended is taken off that loan first.
    function _attach(uint256 loanId, LoanSlot storage l, uint256 receiptId, bytes8 unit) private {
        address lender = l.lender;
        IWarehouseReceipts.Lien memory li = _receipts.lien(receiptId);
        if (li.state != IWarehouseReceipts.LienState.Active || li.lender != lender) {
            revert NoActiveLien(receiptId, lender);
        }
        IWarehouseReceipts.Receipt memory r = _receipts.receipt(receiptId);
        if (r.owner != l.borrower) revert NotBorrowersReceipt(receiptId, r.owner, l.borrower);
        IWarehouseReceipts.Lot memory lot_ = _receipts.lot(r.lotId);
        if (lot_.commodity != l.commodity) {
            revert CollateralCommodityMismatch(receiptId, loanId, l.commodity, lot_.commodity);
        }
        if (lot_.unit != unit) revert CollateralUnitMismatch(receiptId, l.commodity, unit, lot_.unit);
        if (lot_.decimals > 18) revert UnsupportedLotDecimals(receiptId, lot_.decimals);
        Attachment memory previous = _attachments[receiptId];
        if (previous.loanId != 0) {
            if (_liveAttachment(receiptId, previous, _loans[previous.loanId].lender)) {
                revert ReceiptAlreadySecures(receiptId, previous.loanId);
            }
            _detach(receiptId, previous);
        }
        uint256 index = l.receiptCount;
        // A quantity below 2^48 times 10^18 fits 128 bits; 32 of them too.
        uint128 collateral = uint128(uint256(r.quantity) * 10 ** (18 - lot_.decimals));
        uint128 total = l.collateral + collateral;
        l.collateral = total;
        // forge-lint: disable-next-line(unsafe-typecast) -- below MAX_RECEIPTS (32)
        l.receiptCount = uint8(index + 1);
        _loanReceipts[loanId][index] = receiptId;
        // forge-lint: disable-next-line(unsafe-typecast) -- loan ids count up from 1; index below 32
        _attachments[receiptId] = Attachment(uint64(loanId), li.requestSeq, uint8(index), collateral);
        emit CollateralAdded(loanId, receiptId, r.quantity, total);
    }

    function _detach(uint256 receiptId, Attachment memory a) private {
        LoanSlot storage l = _loans[a.loanId];
        uint128 total = l.collateral - a.collateral;
        l.collateral = total;
        uint256 last = l.receiptCount - 1;
        if (a.index != last) {
            uint256 moved = _loanReceipts[a.loanId][last];
            _loanReceipts[a.loanId][a.index] = moved;
            _attachments[moved].index = a.index;
        }
        delete _loanReceipts[a.loanId][last];
        // forge-lint: disable-next-line(unsafe-typecast) -- below MAX_RECEIPTS (32)
        l.receiptCount = uint8(last);
        delete _attachments[receiptId];
        emit CollateralRemoved(a.loanId, receiptId, total);
    }

    /// @dev True when `receiptId` is still under the lien it was added with: active, held by the
    /// loan's lender, same request number.
    function _liveAttachment(uint256 receiptId, Attachment memory a, address lender) private view returns (bool) {
        IWarehouseReceipts.Lien memory li = _receipts.lien(receiptId);
        return li.state == IWarehouseReceipts.LienState.Active && li.lender == lender && li.requestSeq == a.requestSeq;
    }

    /// @dev Closes an open margin call when nothing is outstanding, or when LTV at a fresh price is
    /// back at or below the margin-call LTV. A stale price cures nothing: the call stays open until a
    /// check at a fresh price.
    function _tryCure(uint256 loanId, LoanSlot storage l, address lender, Cure how) private {
        uint256 outstanding = l.outstanding;
        // slither-disable-next-line unused-return -- freshness is the third value; the as-of is not needed
        (uint256 price,, bool fresh) = _feed.peekPrice(l.commodity);
        if (outstanding != 0 && !fresh) return;
        uint256 ltvBps = outstanding == 0 ? 0 : _ltvBps(outstanding, l.collateral, price);
        if (ltvBps > l.marginCallLtvBps) return;
        l.cureDeadline = 0;
        emit MarginCallCured(loanId, lender, ltvBps, price, how);
    }

    /// @dev ⌈outstanding × 10^22 / (collateral × price)⌉, capped at {MAX_LTV_BPS} (also for no collateral).
    function _ltvBps(uint256 outstanding, uint256 collateral, uint256 price) private pure returns (uint256) {
        uint256 denominator = collateral * price;
        if (denominator == 0) return MAX_LTV_BPS;
        uint256 bps = (outstanding * _LTV_SCALE + denominator - 1) / denominator;
        return bps > MAX_LTV_BPS ? MAX_LTV_BPS : bps;
    }

    // slither-disable-start incorrect-equality
    // Zero means "nothing outstanding" / "no margin call open"; times are compared with <=, never ==.
    function _status(uint256 outstanding, uint256 deadline, uint256 ltvBps, uint16 marginCall, uint16 liquidation)
        private
        view
        returns (MarginStatus)
    {
        if (outstanding == 0) return MarginStatus.Repaid;
        if (ltvBps <= marginCall) return MarginStatus.Healthy;
        if (deadline == 0) return MarginStatus.AboveMarginCall;
        if (block.timestamp <= deadline) return MarginStatus.MarginCalled;
        return ltvBps > liquidation ? MarginStatus.Default : MarginStatus.CureWindowExpired;
    }

    // slither-disable-end incorrect-equality

    function _existingLoan(uint256 loanId) private view returns (LoanSlot storage l) {
        l = _loans[loanId];
        // Every loan has a cure window of at least one second, in the slot every caller reads anyway.
        if (l.cureWindow == 0) revert LoanNotFound(loanId);
    }

    function _checkTerms(Terms memory t) private pure {
        if (
            t.advanceRateBps == 0 || t.advanceRateBps > t.marginCallLtvBps || t.marginCallLtvBps > t.liquidationLtvBps
                || t.liquidationLtvBps > 10_000 || t.cureWindow == 0 || t.cureWindow > MAX_CURE_WINDOW
        ) revert InvalidTerms(t.advanceRateBps, t.marginCallLtvBps, t.liquidationLtvBps, t.cureWindow);
    }
}
