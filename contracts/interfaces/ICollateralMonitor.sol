// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ICollateralMonitor
/// @notice Loan-to-value of loans secured by warehouse receipts, margin calls, cures and early
/// default. A lender opens a loan over one or more receipts pledged to it (active liens in
/// {IWarehouseReceipts}), all of one commodity and owned by one borrower, with its terms: amount
/// outstanding, advance rate, margin-call LTV, liquidation LTV and cure window (or the defaults it
/// set for the commodity). Only the lender records repayments, and never more than is outstanding.
///
/// LTV = outstanding / Σ(quantity × reference price), in basis points, in integer arithmetic:
/// quantities are normalised to 18 decimals (`quantity × 10^(18 − lot decimals)`), the collateral
/// value is `Σ normalised quantity × price / 10^18` rounded down, and LTV is
/// `⌈outstanding × 10^4 × 10^18 / (Σ normalised quantity × price)⌉` rounded up: both roundings
/// favour the lender. Loan amounts are in the price feed's decimals (the currency's minor units).
/// An LTV is only ever computed from a fresh reference price ({IPriceFeed-latestPrice}).
///
/// Anyone (a keeper) may run {checkMargin}: above the margin-call LTV it opens a margin call with a
/// cure deadline ({MarginCalled}); the call is cured when a repayment, added collateral or a
/// recovered price brings LTV back to the margin-call LTV or below ({MarginCallCured}). Past the cure
/// deadline and above the liquidation LTV the loan is in default and its receipts are foreclosable
/// before maturity ({isForeclosable}).
interface ICollateralMonitor {
    /// @notice A lien's terms, in basis points of LTV and seconds. 0 < advance rate ≤ margin-call
    /// LTV ≤ liquidation LTV ≤ 10000; a cure window of 1 s to 90 days.
    struct Terms {
        uint16 advanceRateBps;
        uint16 marginCallLtvBps;
        uint16 liquidationLtvBps;
        uint32 cureWindow;
    }

    /// @notice A loan as stored. `collateral` is Σ quantity normalised to 18 decimals;
    /// `cureDeadline` is 0 when no margin call is open.
    struct Loan {
        address lender;
        address borrower;
        bytes16 commodity;
        bytes3 currency;
        bytes32 loanRef;
        uint128 outstanding;
        uint128 collateral;
        uint64 cureDeadline;
        uint8 receiptCount;
        Terms terms;
    }

    /// @notice Where a loan stands against its terms at the current fresh price.
    enum MarginStatus {
        Healthy, // at or below the margin-call LTV
        AboveMarginCall, // above the margin-call LTV, no call open yet (a check opens one)
        MarginCalled, // a call is open, within the cure window
        CureWindowExpired, // past the cure deadline, above the margin-call LTV but not the liquidation LTV
        Default, // past the cure deadline and above the liquidation LTV: foreclosable early
        Repaid // nothing outstanding
    }

    /// @notice How a margin call was cured.
    enum Cure {
        Repayment,
        Collateral,
        PriceRecovered
    }

    // ---------------------------------------------------------------- errors

    /// @notice loan {loanId} does not exist
    error LoanNotFound(uint256 loanId);
    /// @notice loan {loanId} is repaid: nothing is outstanding
    error LoanRepaid(uint256 loanId);
    /// @notice {caller:address} is not the lender of loan {loanId}; {lender:address} is
    error NotLoanLender(uint256 loanId, address caller, address lender);
    /// @notice {caller:address} is neither the lender nor the borrower of loan {loanId}
    error NotLoanParty(uint256 loanId, address caller);
    /// @notice receipt {receiptId} has no active lien held by {lender:address}
    error NoActiveLien(uint256 receiptId, address lender);
    /// @notice receipt {receiptId} is held by {owner:address}, not by the loan's borrower {borrower:address}
    error NotBorrowersReceipt(uint256 receiptId, address owner, address borrower);
    /// @notice receipt {receiptId} already secures loan {loanId}
    error ReceiptAlreadySecures(uint256 receiptId, uint256 loanId);
    /// @notice receipt {receiptId} does not secure any loan
    error ReceiptNotCollateral(uint256 receiptId);
    /// @notice receipt {receiptId} still secures loan {loanId} under an active lien: the lender releases the lien first
    error CollateralStillPledged(uint256 receiptId, uint256 loanId);
    /// @notice receipt {receiptId} holds {given:text}; loan {loanId} is secured by {expected:text}
    error CollateralCommodityMismatch(uint256 receiptId, uint256 loanId, bytes16 expected, bytes16 given);
    /// @notice receipt {receiptId} is counted in {given:text}; the {commodity:text} price is per {expected:text}
    error CollateralUnitMismatch(uint256 receiptId, bytes16 commodity, bytes8 expected, bytes8 given);
    /// @notice a loan in {given:text} cannot be valued by the {commodity:text} feed, which is in {expected:text}
    error LoanCurrencyMismatch(bytes16 commodity, bytes3 expected, bytes3 given);
    /// @notice lot decimals {decimals} of receipt {receiptId} are more than 18
    error UnsupportedLotDecimals(uint256 receiptId, uint8 decimals);
    /// @notice a loan is secured by 1 to {max} receipts, not {count}
    error CollateralCountOutOfBounds(uint256 count, uint256 max);
    /// @notice terms are invalid: advance rate {advanceRateBps} bps, margin call at {marginCallLtvBps} bps, liquidation at {liquidationLtvBps} bps (need 0 < advance ≤ margin call ≤ liquidation ≤ 10000) and a cure window of {cureWindow} s (1 s to 90 days)
    error InvalidTerms(uint16 advanceRateBps, uint16 marginCallLtvBps, uint16 liquidationLtvBps, uint32 cureWindow);
    /// @notice {lender:address} has set no default terms for {commodity:text}: give the terms
    error NoDefaultTerms(address lender, bytes16 commodity);
    /// @notice an amount must be positive and at most {max} (got {amount})
    error AmountOutOfRange(uint256 amount, uint256 max);
    /// @notice loan {loanId} would start at LTV {ltvBps} bps, above its advance rate of {advanceRateBps} bps
    error AdvanceRateExceeded(uint256 loanId, uint256 ltvBps, uint16 advanceRateBps);
    /// @notice a repayment of {amount} on loan {loanId} is more than the {outstanding} outstanding
    error RepaymentExceedsOutstanding(uint256 loanId, uint256 amount, uint256 outstanding);

    // ---------------------------------------------------------------- events

    /// @notice `lender` opened loan `loanId` to `borrower` for `outstanding` (in `currency` minor units),
    /// valued by the `commodity` feed, with these terms (flat, so that indexers decode plain types).
    event LoanOpened(
        uint256 indexed loanId,
        address indexed lender,
        address indexed borrower,
        bytes16 commodity,
        bytes3 currency,
        bytes32 loanRef,
        uint128 outstanding,
        uint16 advanceRateBps,
        uint16 marginCallLtvBps,
        uint16 liquidationLtvBps,
        uint32 cureWindow
    );
    /// @notice Receipt `receiptId` now secures loan `loanId`; `quantity` in the lot's base units,
    /// `collateral` the loan's normalised total after it.
    event CollateralAdded(uint256 indexed loanId, uint256 indexed receiptId, uint64 quantity, uint128 collateral);
    /// @notice Receipt `receiptId` no longer secures loan `loanId` (its lien ended).
    event CollateralRemoved(uint256 indexed loanId, uint256 indexed receiptId, uint128 collateral);
    /// @notice The lender recorded a repayment; `outstanding` is what remains.
    event RepaymentRecorded(uint256 indexed loanId, address indexed lender, uint128 amount, uint128 outstanding);
    /// @notice A margin check ran: LTV in basis points at the fresh `price` (as of `priceAsOf`), and
    /// where the loan stands.
    event MarginChecked(
        uint256 indexed loanId, uint256 ltvBps, uint256 price, uint64 priceAsOf, MarginStatus status
    );
    /// @notice LTV passed the margin-call LTV: the borrower has until `cureDeadline` to cure.
    event MarginCalled(
        uint256 indexed loanId, address indexed lender, uint256 ltvBps, uint256 price, uint64 cureDeadline
    );
    /// @notice LTV is back at or below the margin-call LTV: the margin call is closed.
    event MarginCallCured(uint256 indexed loanId, address indexed lender, uint256 ltvBps, uint256 price, Cure how);
    /// @notice A lender set its default terms for a commodity.
    event DefaultTermsSet(
        address indexed lender,
        bytes16 indexed commodity,
        uint16 advanceRateBps,
        uint16 marginCallLtvBps,
        uint16 liquidationLtvBps,
        uint32 cureWindow
    );

    // ---------------------------------------------------------------- lender

    /// @notice Sets the caller's default terms for `commodity` (an active lender), used by
    /// {openLoan} when it is given all-zero terms.
    function setDefaultTerms(bytes16 commodity, Terms calldata terms) external;

    /// @notice Opens a loan secured by `receiptIds` (an active lender holding an active lien on each,
    /// all of `commodity`, owned by one borrower, none securing another loan). Needs a fresh price;
    /// the opening LTV must be within the advance rate.
    /// @param commodity The receipts' commodity; its feed values the loan.
    /// @param currency The loan's currency; must be the feed's.
    /// @param loanRef Commitment to the loan agreement (as in the pledge requests).
    /// @param outstanding Amount outstanding, in the feed's decimals of `currency`.
    /// @param terms The loan's terms; all zero for the caller's defaults for `commodity`.
    /// @param receiptIds 1 to `MAX_RECEIPTS` receipts.
    /// @return loanId The new loan's id.
    function openLoan(
        bytes16 commodity,
        bytes3 currency,
        bytes32 loanRef,
        uint128 outstanding,
        Terms calldata terms,
        uint256[] calldata receiptIds
    ) external returns (uint256 loanId);

    /// @notice Records a repayment (the lender only): at most what is outstanding. Cures an open
    /// margin call when LTV, at a fresh price, is back within the margin-call LTV (or nothing is left).
    function recordRepayment(uint256 loanId, uint128 amount) external;

    // ---------------------------------------------------------------- borrower or lender

    /// @notice Adds receipts to a loan's collateral (the lender or the borrower): each pledged to the
    /// loan's lender, owned by the borrower, of the loan's commodity. Cures an open margin call when
    /// LTV, at a fresh price, is back within the margin-call LTV.
    function addCollateral(uint256 loanId, uint256[] calldata receiptIds) external;

    // ---------------------------------------------------------------- anyone

    /// @notice Checks a loan's margin at the fresh price (anyone; a keeper). Opens a margin call
    /// above the margin-call LTV; closes an open one at or below it (the price recovered).
    /// @return ltvBps The LTV in basis points (rounded up).
    /// @return status Where the loan stands after the check.
    function checkMargin(uint256 loanId) external returns (uint256 ltvBps, MarginStatus status);

    /// @notice Drops a receipt whose lien ended (released or foreclosed) from its loan's collateral (anyone).
    function removeCollateral(uint256 receiptId) external;

    // ---------------------------------------------------------------- reads

    /// @notice True when receipt `receiptId` secures a loan, under the same active lien it was added
    /// with, that is in default: past its cure deadline and, at a fresh price, above its liquidation
    /// LTV. The receipts contract asks this before a foreclosure ahead of the loan's maturity.
    function isForeclosable(uint256 receiptId) external view returns (bool);

    /// @notice The loan's LTV at the fresh reference price; reverts {IPriceFeed-StalePrice} or
    /// {IPriceFeed-NoPrice} otherwise.
    /// @return ltvBps LTV in basis points, rounded up (type(uint32).max when no collateral is left).
    /// @return value Collateral value in the feed's decimals, rounded down.
    /// @return price The reference price used.
    /// @return priceAsOf Its as-of time.
    function ltv(uint256 loanId) external view returns (uint256 ltvBps, uint256 value, uint256 price, uint64 priceAsOf);

    /// @notice Where the loan stands at the fresh price (reverts on a stale price, as {ltv}).
    function marginStatus(uint256 loanId) external view returns (MarginStatus);

    /// @notice The loan `loanId`; reverts {LoanNotFound}.
    function loan(uint256 loanId) external view returns (Loan memory);

    /// @notice The receipts securing loan `loanId`.
    function loanReceipts(uint256 loanId) external view returns (uint256[] memory);

    /// @notice The loan receipt `receiptId` secures (0 if none).
    function loanOf(uint256 receiptId) external view returns (uint256);

    /// @notice `lender`'s default terms for `commodity` (all zero if none).
    function defaultTerms(address lender, bytes16 commodity) external view returns (Terms memory);

    /// @notice The receipts contract, price feed and participant registry this monitor reads.
    function sources() external view returns (address receipts, address priceFeed, address registry);

    /// @notice Number of loans ever opened (ids run from 1).
    function loanCount() external view returns (uint256);

    /// @notice The contract's version, recorded in deployment manifests.
    function VERSION() external view returns (string memory);
}
