// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "./IParticipantRegistry.sol";
import {IStandingSubscriber} from "./IStandingSubscriber.sol";

/// @title IReceivables
/// @notice Payable vouchers that carry a core enterprise's credit down its supply chain.
///
/// A lender grants a core enterprise a credit line. Drawing on it, the core enterprise issues a
/// voucher (a confirmed payable) to a supplier against one trade document. Holders split the
/// voucher into pieces and pass them down to their own suppliers, discount a piece at a bank, or
/// pledge it as collateral for a loan.
///
/// Tier. A piece's tier is its split depth: how many splits separate it from the issued piece
/// (tier 0). The root's `maxDepth` bounds that depth, i.e. how finely and through how many
/// generations of parents its credit is divided; it does not count hands. A whole-piece
/// {transfer} endorses the same claim to another active member and keeps the tier, as an endorsed
/// bill keeps its terms; every holder is in the events ({VoucherTransferred}). At maturity the core enterprise (or the paying bank
/// it designates) pays each piece, or funds the whole root at once after which every piece is
/// redeemed on its own. Money moves off chain; this contract records who is owed what.
///
/// Identifiers. The first piece of a tree (the voucher the core enterprise issued) has the id of
/// its root: `rootId = n * 1_000_000` for the n-th issue. Pieces split from it get
/// `rootId + 1`, `rootId + 2`, ... in order of creation, so `voucherId - voucherId % 1_000_000`
/// is always the root, without a storage read, and "voucher 3000017" reads as piece 17 of root 3.
/// A root therefore has at most 999,999 split-off pieces besides itself.
///
/// Amounts are integer minor units (fen for CNY). The API takes and returns uint128; a voucher's
/// face value must fit in 64 bits (1.8e19 minor units), which keeps each piece in one storage slot.
///
/// Members are checked against the participant registry's standing, mirrored here as the registry
/// pushes it (see {IStandingSubscriber}); while the mirror is not current the registry is asked.
interface IReceivables is IStandingSubscriber {
    // ---------------------------------------------------------------- types

    /// @notice Where a voucher piece stands.
    /// `Active`: held and movable (before maturity). `OfferedForDiscount` / `PledgeRequested`: an
    /// offer to a lender is open; the piece is frozen until accepted or cancelled. `Pledged`: a lien
    /// is registered; frozen until released or settled. `Settled`: paid (terminal). `Merged`: its
    /// value was merged into another piece of the same root (terminal, value 0).
    enum VoucherStatus {
        None,
        Active,
        OfferedForDiscount,
        PledgeRequested,
        Pledged,
        Settled,
        Merged
    }

    /// @notice One voucher piece, as returned by {voucher}.
    /// @dev `parentId` is 0 for a root piece. `value` of a settled piece is the value it was paid at.
    struct Voucher {
        address holder;
        uint128 value;
        uint256 rootId;
        uint256 parentId;
        uint8 tier;
        VoucherStatus status;
        bool overdue;
    }

    /// @notice One root (everything the pieces of one issued voucher share), as returned by {root}.
    /// @dev `outstanding` = `faceValue` - `settled` = the value of the live pieces. Once `funded`, the
    /// obligor has paid all of it at once and the live pieces are only waiting to be redeemed.
    struct Root {
        address obligor;
        address lender;
        address payer;
        bytes3 currency;
        uint128 faceValue;
        uint128 settled;
        uint128 outstanding;
        uint40 issuedAt;
        uint40 maturity;
        uint128 minDenomination;
        uint8 maxDepth;
        uint32 pieceCount;
        bool funded;
        bytes32 document;
    }

    /// @notice A lender's credit line for one core enterprise.
    /// @dev `outstanding` is the unpaid, unfunded value of the vouchers drawn on the line; it never
    /// exceeds `limit`. `open` is false once the lender closed the line (no further issues).
    struct CreditLine {
        uint128 limit;
        uint128 outstanding;
        bytes3 currency;
        uint40 expiry;
        bool open;
    }

    /// @notice What a core enterprise issues. See {issue}.
    struct IssueParams {
        address holder;
        address lender;
        uint128 faceValue;
        bytes3 currency;
        uint64 maturity;
        bytes32 document;
        uint128 minDenomination;
        uint8 maxDepth;
    }

    /// @notice An open offer to sell a piece to a lender at a price.
    struct DiscountOffer {
        address lender;
        uint128 price;
    }

    /// @notice The last discount of a piece: who sold it to which lender, on what terms.
    /// @dev `rateBps` is the annualised bank-discount rate on the value, ACT/360, in basis points,
    /// rounded down: (value - price) * 360 * 10_000 / (value * daysToMaturity). `daysToMaturity`
    /// counts whole days from acceptance to maturity, a started day counting as one.
    struct Discount {
        address lender;
        address seller;
        uint128 value;
        uint128 price;
        uint32 rateBps;
        uint32 daysToMaturity;
        bytes32 paymentRef;
    }

    /// @notice A pledge of a piece to a lender (requested, or accepted when `accepted`).
    struct Lien {
        address lienholder;
        uint128 securedAmount;
        uint40 loanMaturity;
        bool accepted;
        bytes32 loanRef;
    }

    // ---------------------------------------------------------------- errors

    /// @notice the participant registry {registry:address} is not a contract
    error RegistryNotAContract(address registry);
    /// @notice {account:address} does not hold the consortium's default admin role and cannot pause or unpause receivables
    error CallerNotConsortiumAdmin(address account);

    /// @notice {lender:address} has granted {core:address} no credit line
    error CreditLineNotFound(address lender, address core);
    /// @notice the credit line of {lender:address} for {core:address} is closed
    error CreditLineNotOpen(address lender, address core);
    /// @notice the credit line of {lender:address} for {core:address} expired on {expiry:date}
    error CreditLineExpired(address lender, address core, uint64 expiry);
    /// @notice a credit line of {lender:address} for {core:address} needs a currency code
    error CreditLineCurrencyMissing(address lender, address core);
    /// @notice credit line expiry {expiry:date} of {lender:address} for {core:address} is not in the future
    error CreditLineExpiryNotInFuture(address lender, address core, uint64 expiry);
    /// @notice the credit line of {lender:address} for {core:address} cannot go below its outstanding {outstanding}: asked for limit {limit}
    error CreditLimitBelowOutstanding(address lender, address core, uint128 limit, uint128 outstanding);
    /// @notice the credit line of {lender:address} for {core:address} still has {outstanding} outstanding in {currency}, so its currency cannot change
    error CreditLineCurrencyLocked(address lender, address core, bytes3 currency, uint128 outstanding);
    /// @notice the credit line of {lender:address} for {core:address} is in {lineCurrency}, not {currency}
    error CreditLineCurrencyMismatch(address lender, address core, bytes3 lineCurrency, bytes3 currency);
    /// @notice the credit line of {lender:address} for {core:address} has only {available} available, {requested} was asked for
    error CreditLimitExceeded(address lender, address core, uint128 requested, uint128 available);

    /// @notice trade document {document} already backs voucher {voucherId}
    error DocumentAlreadyFinanced(bytes32 document, uint256 voucherId);
    /// @notice a voucher issued by {obligor:address} must commit to its trade document
    error TradeDocumentMissing(address obligor);
    /// @notice voucher maturity {maturity:date} is not in the future
    error VoucherMaturityNotInFuture(uint64 maturity);
    /// @notice face value {faceValue} must be at least the minimum denomination {minDenomination} (at least 1) and at most {maxFaceValue}
    error VoucherFaceValueOutOfRange(uint128 faceValue, uint128 minDenomination, uint128 maxFaceValue);

    /// @notice there is no voucher {voucherId}
    error VoucherNotFound(uint256 voucherId);
    /// @notice there is no root voucher {rootId}
    error RootNotFound(uint256 rootId);
    /// @notice {caller:address} does not hold voucher {voucherId}; {holder:address} does
    error NotVoucherHolder(uint256 voucherId, address caller, address holder);
    /// @notice voucher {voucherId} is pledged to {lienholder:address}
    error VoucherPledged(uint256 voucherId, address lienholder);
    /// @notice voucher {voucherId} has a pending pledge request to {lender:address}
    error VoucherPledgeRequestPending(uint256 voucherId, address lender);
    /// @notice voucher {voucherId} is offered for discount to {lender:address}
    error VoucherOfferedForDiscount(uint256 voucherId, address lender);
    /// @notice voucher {voucherId} is already settled
    error VoucherAlreadySettled(uint256 voucherId);
    /// @notice voucher {voucherId} was merged into another piece and is closed
    error VoucherClosedByMerge(uint256 voucherId);
    /// @notice voucher {voucherId} matured on {maturity:datetime} and can no longer move
    error VoucherMatured(uint256 voucherId, uint64 maturity);

    /// @notice voucher {voucherId} holds {value}: a split must move less than that (transfer moves all of it), not {amount}
    error SplitExceedsValue(uint256 voucherId, uint128 amount, uint128 value);
    /// @notice splitting {amount} off voucher {voucherId} would leave {remainder}; both must be at least the minimum denomination {minDenomination}
    error SplitBelowMinimumDenomination(uint256 voucherId, uint128 amount, uint128 remainder, uint128 minDenomination);
    /// @notice splitting voucher {voucherId} would create tier {tier}, deeper than its root allows ({maxDepth})
    error VoucherTierTooDeep(uint256 voucherId, uint256 tier, uint8 maxDepth);
    /// @notice root {rootId} already has the most pieces a root can have ({maxPieces})
    error RootPieceLimitReached(uint256 rootId, uint256 maxPieces);
    /// @notice voucher {voucherId} cannot be merged with itself
    error MergeWithItself(uint256 voucherId);
    /// @notice vouchers {voucherId} and {otherId} belong to different roots and cannot be merged
    error MergeAcrossRoots(uint256 voucherId, uint256 otherId);

    /// @notice discount price {price} for voucher {voucherId} must be above zero and at most its value {value}
    error DiscountPriceOutOfRange(uint256 voucherId, uint128 price, uint128 value);
    /// @notice voucher {voucherId} is not offered for discount
    error NoDiscountOffer(uint256 voucherId);
    /// @notice voucher {voucherId} is offered to {lender:address}, not to {caller:address}
    error NotDiscountOfferee(uint256 voucherId, address caller, address lender);
    /// @notice voucher {voucherId} is offered at {offeredPrice}, not at {price}
    error DiscountPriceMismatch(uint256 voucherId, uint128 price, uint128 offeredPrice);

    /// @notice secured amount {securedAmount} for voucher {voucherId} must be above zero and at most its value {value}
    error VoucherSecuredAmountOutOfRange(uint256 voucherId, uint128 securedAmount, uint128 value);
    /// @notice loan maturity {loanMaturity:date} for the pledge of voucher {voucherId} is not in the future
    error VoucherLoanMaturityNotInFuture(uint256 voucherId, uint64 loanMaturity);
    /// @notice voucher {voucherId} has no pending pledge request
    error VoucherPledgeNotRequested(uint256 voucherId);
    /// @notice the pledge of voucher {voucherId} was requested from {lender:address}, not from {caller:address}
    error NotVoucherPledgee(uint256 voucherId, address caller, address lender);
    /// @notice the pledge request for voucher {voucherId} secures {requestedAmount} under loan {requestedLoanRef}, not {securedAmount} under {loanRef}
    error VoucherPledgeTermsMismatch(
        uint256 voucherId, uint128 securedAmount, bytes32 loanRef, uint128 requestedAmount, bytes32 requestedLoanRef
    );
    /// @notice voucher {voucherId} is not pledged
    error VoucherNotPledged(uint256 voucherId);
    /// @notice only the lienholder {lienholder:address} can release voucher {voucherId}, not {caller:address}
    error NotVoucherLienholder(uint256 voucherId, address caller, address lienholder);

    /// @notice {caller:address} is not the obligor {obligor:address} of root {rootId}
    error NotVoucherObligor(uint256 rootId, address caller, address obligor);
    /// @notice {caller:address} neither owes root {rootId} (obligor {obligor:address}) nor is its designated paying bank
    error NotVoucherPayer(uint256 rootId, address caller, address obligor);
    /// @notice voucher {voucherId} matures on {maturity:datetime} and cannot be paid before
    error VoucherNotMatured(uint256 voucherId, uint64 maturity);
    /// @notice root {rootId} matures on {maturity:datetime} and cannot be funded before
    error RootNotMatured(uint256 rootId, uint64 maturity);
    /// @notice root {rootId} is already funded: its pieces are redeemed, not settled one by one
    error RootAlreadyFunded(uint256 rootId);
    /// @notice root {rootId} is not funded yet, so its pieces cannot be redeemed
    error RootNotFunded(uint256 rootId);
    /// @notice every piece of root {rootId} is already settled
    error RootFullySettled(uint256 rootId);
    /// @notice voucher {voucherId} becomes overdue only after {overdueFrom:datetime}
    error VoucherGracePeriodRunning(uint256 voucherId, uint64 overdueFrom);
    /// @notice voucher {voucherId} is already marked overdue
    error VoucherAlreadyOverdue(uint256 voucherId);

    // ---------------------------------------------------------------- events

    /// @notice A lender granted or changed a credit line (and reopened it if it was closed).
    event CreditLineSet(address indexed lender, address indexed core, uint128 limit, bytes3 currency, uint64 expiry);
    /// @notice A lender closed a credit line; vouchers already drawn on it run off as usual.
    event CreditLineClosed(address indexed lender, address indexed core, uint128 outstanding);
    /// @notice A core enterprise issued a voucher; `rootId` is also the id of its first piece.
    event VoucherIssued(
        uint256 indexed rootId,
        address indexed obligor,
        address indexed holder,
        address lender,
        uint128 faceValue,
        bytes3 currency,
        uint64 maturity,
        bytes32 document,
        uint128 minDenomination,
        uint8 maxDepth
    );
    /// @notice ERC-721's Transfer event, so that any EVM explorer (Otterscan, Blockscout) and any
    /// wallet's token list follows vouchers and their holders without this ABI: a piece is minted
    /// (from the zero address) when issued or split off, moves on transfer and discount, and is
    /// burned (to the zero address) when merged away or paid. The domain events beside it carry the
    /// amounts and parties. Vouchers are not ERC-721 tokens otherwise: no approvals, no safe
    /// transfers, and `supportsInterface` does not claim ERC-721.
    event Transfer(address indexed from, address indexed to, uint256 indexed id);
    /// @notice `amount` moved from piece `voucherId` into new piece `childId` held by `to`; the
    /// holder of `voucherId` (unchanged by a split) keeps the rest. The sender and the child's tier
    /// (one more than `voucherId`'s) are known from earlier events and {voucher}; they are left out
    /// here to keep a split within its gas budget.
    event VoucherSplit(
        uint256 indexed rootId, uint256 indexed voucherId, address indexed to, uint256 childId, uint128 amount
    );
    /// @notice A whole piece changed hands.
    event VoucherTransferred(
        uint256 indexed rootId, uint256 indexed voucherId, address indexed to, address from, uint128 value
    );
    /// @notice Piece `closedId` was merged into `voucherId`, which now holds `value`.
    event VouchersMerged(
        uint256 indexed rootId, uint256 indexed voucherId, uint256 indexed closedId, address holder, uint128 value
    );
    /// @notice A holder offered a piece to a lender for discount.
    event DiscountOffered(
        uint256 indexed rootId, uint256 indexed voucherId, address indexed lender, address holder, uint128 price
    );
    /// @notice A discount offer ended without a sale (cancelled by the holder, or voided by settlement).
    event DiscountOfferCancelled(uint256 indexed rootId, uint256 indexed voucherId, address indexed lender);
    /// @notice A lender bought a piece at a discount and now holds it.
    event VoucherDiscounted(
        uint256 indexed rootId,
        uint256 indexed voucherId,
        address indexed lender,
        address seller,
        uint128 value,
        uint128 price,
        uint32 rateBps,
        uint32 daysToMaturity,
        bytes32 paymentRef
    );
    /// @notice A holder asked a lender to take a lien on a piece.
    event VoucherPledgeRequested(
        uint256 indexed rootId,
        uint256 indexed voucherId,
        address indexed lender,
        address holder,
        uint128 securedAmount,
        bytes32 loanRef,
        uint64 loanMaturity
    );
    /// @notice A pledge request ended without a lien (cancelled by the holder, or voided by settlement).
    event VoucherPledgeRequestCancelled(uint256 indexed rootId, uint256 indexed voucherId, address indexed lender);
    /// @notice A lender accepted a pledge: it now holds the lien on the piece.
    event VoucherPledgeAccepted(
        uint256 indexed rootId,
        uint256 indexed voucherId,
        address indexed lienholder,
        address holder,
        uint128 securedAmount,
        bytes32 loanRef
    );
    /// @notice The lienholder released its lien.
    event VoucherPledgeReleased(uint256 indexed rootId, uint256 indexed voucherId, address indexed lienholder);
    /// @notice The obligor designated (or, with address zero, removed) a paying bank for a root.
    event PayerDesignated(uint256 indexed rootId, address indexed obligor, address indexed payer);
    /// @notice A piece was paid. `lienholder` is non-zero when the piece was pledged: the lien is
    /// discharged by this payment and the lienholder has the claim on the proceeds.
    event VoucherSettled(
        uint256 indexed rootId,
        uint256 indexed voucherId,
        address indexed holder,
        uint128 value,
        address payer,
        address lienholder,
        bytes32 paymentRef
    );
    /// @notice The obligor (or its paying bank) paid the whole outstanding `amount` of a root at once.
    event RootFunded(uint256 indexed rootId, address indexed payer, uint128 amount, bytes32 paymentRef);
    /// @notice A piece of a funded root was marked paid. `lienholder` as in {VoucherSettled}.
    event VoucherRedeemed(
        uint256 indexed rootId, uint256 indexed voucherId, address indexed holder, uint128 value, address lienholder
    );
    /// @notice An unpaid piece was flagged overdue after maturity plus the grace period.
    event VoucherMarkedOverdue(
        uint256 indexed rootId, uint256 indexed voucherId, address indexed holder, uint128 value, uint64 maturity
    );

    // ---------------------------------------------------------------- credit lines

    /// @notice Grants `core` a credit line of the calling lender, or changes it, and (re)opens it.
    /// @dev Caller must be an active lender and `core` an active core enterprise. The limit cannot go
    /// below what is outstanding; the currency cannot change while anything is outstanding.
    /// @param core The core enterprise.
    /// @param limit Most value of unpaid vouchers the core enterprise may have drawn on this line.
    /// @param currency ISO 4217 code, e.g. "CNY".
    /// @param expiry Unix time after which no voucher can be issued on the line; must be in the future.
    function setCreditLine(address core, uint128 limit, bytes3 currency, uint64 expiry) external;

    /// @notice Closes the calling lender's credit line for `core`: no further vouchers can be issued
    /// on it. Vouchers already issued are unaffected and still restore the line when paid.
    /// @param core The core enterprise.
    function closeCreditLine(address core) external;

    // ---------------------------------------------------------------- vouchers

    /// @notice Issues a voucher: the calling core enterprise confirms it owes `p.faceValue` to
    /// `p.holder` at `p.maturity`, drawing on the credit line of `p.lender`.
    /// @dev Caller must be an active core enterprise, `p.holder` an active supplier, `p.lender` an
    /// active lender whose line for the caller is open, unexpired, in `p.currency` and has room.
    /// `p.document` can back only one voucher ever per obligor entity: the key is the caller's legal
    /// entity id (from the participant registry) with the document commitment, so another core
    /// enterprise committing the same hash does not block it, while the same entity under a second
    /// address collides with itself.
    /// @param p Holder, lender, face value, currency, maturity (future unix time; it need not be
    /// before the line's expiry), trade-document commitment, minimum denomination (>= 1) of any
    /// piece, and the deepest tier pieces may reach (the issued piece is tier 0).
    /// @return rootId The id of the new root, which is also the id of its first piece.
    function issue(IssueParams calldata p) external returns (uint256 rootId);

    /// @notice Moves `amount` of the caller's piece `voucherId` into a new piece held by `to`; the
    /// caller keeps the rest under `voucherId`.
    /// @dev Caller and `to` must be active members; `to` may be the caller (to discount or pledge
    /// part of a piece). The new piece's tier is one more than `voucherId`'s and must not exceed the
    /// root's maximum depth. Both `amount` and the remainder must be at least the root's minimum
    /// denomination, so `amount` must be below the piece's value: a split never moves the whole
    /// value (use {transfer}) and never leaves dust. Only before maturity, and only while the piece
    /// is neither pledged nor offered.
    /// @param voucherId The piece to split.
    /// @param to Holder of the new piece.
    /// @param amount Value of the new piece, in minor units.
    /// @return childId The new piece's id.
    function split(uint256 voucherId, address to, uint128 amount) external returns (uint256 childId);

    /// @notice Transfers the caller's whole piece `voucherId` to `to`.
    /// @dev Caller and `to` must be active members. Only before maturity, and only while the piece
    /// is neither pledged nor offered. The tier does not change.
    /// @param voucherId The piece.
    /// @param to The new holder.
    function transfer(uint256 voucherId, address to) external;

    /// @notice Merges two pieces of the same root held by the caller into the lower id; the other
    /// piece is closed with value 0.
    /// @dev Both pieces must be movable (before maturity, not pledged or offered). The surviving
    /// piece keeps its parent and takes the deeper of the two tiers, so merging never lets value
    /// travel further down than the root allows.
    /// @param voucherId One piece.
    /// @param otherId The other piece.
    /// @return survivorId The lower of the two ids, which now holds both values.
    function merge(uint256 voucherId, uint256 otherId) external returns (uint256 survivorId);

    // ---------------------------------------------------------------- discount

    /// @notice Offers the caller's piece to `lender` for discount at `price`; the piece is frozen
    /// until the lender accepts or the caller cancels.
    /// @dev Caller must be an active member, `lender` an active lender; before maturity only.
    /// @param voucherId The piece (split first to discount only part of a piece).
    /// @param lender The lender asked to buy.
    /// @param price What the lender pays, in minor units; above 0 and at most the piece's value.
    function offerDiscount(uint256 voucherId, address lender, uint128 price) external;

    /// @notice Withdraws the caller's open discount offer on `voucherId`.
    /// @param voucherId The piece.
    function cancelDiscountOffer(uint256 voucherId) external;

    /// @notice The offered lender buys the piece: it becomes the holder, and the price, rate, days to
    /// maturity and payment reference are recorded (see {Discount}).
    /// @dev Caller must be the active lender the piece was offered to, the seller must still be an
    /// active member, and maturity must not have passed. `price` must equal the offered price, so a
    /// re-offer between the lender's read and its acceptance cannot change the deal. A lender cannot
    /// discount a piece held by its own legal entity ({IParticipantRegistry-SameEntity}).
    /// @param voucherId The piece.
    /// @param price The offered price the lender agrees to.
    /// @param paymentRef Commitment to the off-chain payment of the price to the seller.
    function acceptDiscount(uint256 voucherId, uint128 price, bytes32 paymentRef) external;

    // ---------------------------------------------------------------- pledge

    /// @notice Asks `lender` to take a lien on the caller's piece as collateral for a loan; the piece
    /// is frozen until the lender accepts or the caller cancels.
    /// @dev Caller must be an active member and `lender` an active lender; before maturity only. A
    /// pledged piece cannot be pledged again ({VoucherPledged} names the lienholder).
    /// @param voucherId The piece.
    /// @param lender The lender asked to take the lien.
    /// @param securedAmount The loan amount the lien secures; above 0 and at most the piece's value.
    /// @param loanRef Commitment to the loan agreement.
    /// @param loanMaturity Unix time the loan falls due; must be in the future.
    function requestPledge(
        uint256 voucherId,
        address lender,
        uint128 securedAmount,
        bytes32 loanRef,
        uint64 loanMaturity
    ) external;

    /// @notice Withdraws the caller's pending pledge request on `voucherId`.
    /// @param voucherId The piece.
    function cancelPledgeRequest(uint256 voucherId) external;

    /// @notice The requested lender accepts the pledge and becomes the lienholder. While pledged the
    /// piece cannot be transferred, split, merged, offered or pledged again.
    /// @dev Caller must be the active lender the pledge was requested from; before maturity only.
    /// `securedAmount` and `loanRef` must equal the request's; the holder must still be an active
    /// member and not of the lender's own legal entity ({IParticipantRegistry-SameEntity}).
    /// @param voucherId The piece.
    /// @param securedAmount The requested secured amount the lender agrees to.
    /// @param loanRef The requested loan reference the lender agrees to.
    function acceptPledge(uint256 voucherId, uint128 securedAmount, bytes32 loanRef) external;

    /// @notice The lienholder releases its lien (e.g. the loan was repaid); the piece is movable again.
    /// @dev Always open to the lienholder, whatever its own standing: a suspended or revoked bank can
    /// still let go of a lien, so the holder's piece is not locked until maturity.
    /// @param voucherId The piece.
    function releasePledge(uint256 voucherId) external;

    // ---------------------------------------------------------------- settlement

    /// @notice The obligor designates a bank that may record payments for root `rootId` on its
    /// behalf ({settle}, {fundRoot}); address zero removes the designation.
    /// @dev Caller must be the root's obligor and an active core enterprise; `payer` an active lender.
    /// @param rootId The root.
    /// @param payer The paying bank, or address zero.
    function designatePayer(uint256 rootId, address payer) external;

    /// @notice Records that piece `voucherId` was paid at or after maturity, and restores the
    /// credit line by its value. Constant cost: no other piece of the root is read.
    /// @dev Caller must be the root's obligor (active core enterprise) or its designated payer
    /// (active lender). The holder need not be active: a frozen holder is still owed. A pledged piece
    /// may be settled: the lien is discharged and {VoucherSettled} names the lienholder. An open
    /// discount offer or pledge request on the piece is voided. Not for funded roots (use {redeem}).
    /// @param voucherId The piece.
    /// @param paymentRef Commitment to the off-chain payment.
    function settle(uint256 voucherId, bytes32 paymentRef) external;

    /// @notice Records that the obligor paid the whole outstanding value of root `rootId` at once
    /// (at or after maturity), and restores the credit line by it. Each live piece is then marked
    /// paid with {redeem}; nothing here loops over the pieces.
    /// @dev Caller as for {settle}.
    /// @param rootId The root.
    /// @param paymentRef Commitment to the off-chain payment.
    function fundRoot(uint256 rootId, bytes32 paymentRef) external;

    /// @notice Marks piece `voucherId` of a funded root paid. Constant cost.
    /// @dev Caller may be any active member (typically the holder). Liens, offers and requests are
    /// handled as in {settle}.
    /// @param voucherId The piece.
    function redeem(uint256 voucherId) external;

    /// @notice Flags an unpaid piece of an unfunded root as overdue, once its maturity plus the grace
    /// period has passed. The piece can still be settled afterwards.
    /// @dev Caller may be any active member.
    /// @param voucherId The piece.
    function markOverdue(uint256 voucherId) external;

    // ---------------------------------------------------------------- emergency stop

    /// @notice Stops every state change of this contract; reads keep working.
    /// @dev Caller must hold DEFAULT_ADMIN_ROLE in the participant registry.
    function pause() external;

    /// @notice Lifts the emergency stop.
    /// @dev Caller must hold DEFAULT_ADMIN_ROLE in the participant registry.
    function unpause() external;

    // ---------------------------------------------------------------- reads

    /// @notice The piece `voucherId` (all fields zero if there is none).
    function voucher(uint256 voucherId) external view returns (Voucher memory);

    /// @notice The root `rootId` (all fields zero if there is none).
    function root(uint256 rootId) external view returns (Root memory);

    /// @notice The credit line of `lender` for `core` (all fields zero if never granted).
    function creditLine(address lender, address core) external view returns (CreditLine memory);

    /// @notice The voucher (root id) that trade document `document` backs for `obligor`'s legal
    /// entity (any of its addresses), or 0.
    function documentUsedBy(address obligor, bytes32 document) external view returns (uint256);

    /// @notice The lien, accepted or requested, on piece `voucherId` (zero if none).
    function lien(uint256 voucherId) external view returns (Lien memory);

    /// @notice The open discount offer on piece `voucherId` (zero if none).
    function discountOffer(uint256 voucherId) external view returns (DiscountOffer memory);

    /// @notice The last discount of piece `voucherId` (zero if never discounted).
    function discount(uint256 voucherId) external view returns (Discount memory);

    /// @notice True while the emergency stop is on.
    function paused() external view returns (bool);

    /// @notice The participant registry every party is checked against.
    function registry() external view returns (IParticipantRegistry);

    /// @notice Seconds after maturity before an unpaid piece can be marked overdue.
    function gracePeriod() external view returns (uint32);

    /// @notice The contract's version, recorded in deployment manifests.
    function VERSION() external view returns (string memory);
}
