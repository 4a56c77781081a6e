// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IStandingSubscriber} from "./IStandingSubscriber.sol";

/// @title IWarehouseReceipts
/// @notice Warehouse receipts as ERC-721 tokens: one lot of goods, one live receipt family; one
/// receipt, one lien. An independent inspector attests the stock of every lot; receipts can never
/// cover more than the last attested quantity, and a stocktake that finds less freezes the lot and
/// names every lender exposed to it. Every party must be an active member: the contract checks them
/// against the standing the participant registry pushes to it ({IStandingSubscriber}).
interface IWarehouseReceipts is IStandingSubscriber {
    /// @notice A receipt as stored, decoded. Descriptive terms (grade, location, documents) are
    /// committed in `details` and published in the {ReceiptMinted} event.
    struct Receipt {
        address owner;
        address warehouse;
        bytes32 lotId;
        uint64 quantity;
        uint64 expiresAt;
        bool pledgeLocked;
        bool frozen;
        bool deliveryRequested;
        bool serialized;
    }

    /// @notice A lot of goods at one warehouse, as the inspector last attested it, less what has
    /// been delivered from it since.
    struct Lot {
        bytes32 lotId;
        address warehouse;
        bytes16 commodity;
        bytes8 unit;
        uint8 decimals;
        uint64 attested;
        uint64 receipted;
        uint64 lastStocktakeAt;
        bool frozen;
        uint32 liveReceipts;
    }

    /// @notice Where a pledge stands: requested by the owner, or accepted (active) by the lender.
    enum LienState {
        None,
        Requested,
        Active
    }

    /// @notice The enforceable part of a lien; amount, currency and loan reference are in the events.
    struct Lien {
        address lender;
        uint64 loanMaturity;
        LienState state;
        uint48 requestSeq;
    }

    // ---------------------------------------------------------------- errors

    /// @notice receipt {receiptId} does not exist (never minted, or delivered and burned)
    error ReceiptNotFound(uint256 receiptId);
    /// @notice {caller:address} does not own receipt {receiptId}; {owner:address} does
    error NotReceiptOwner(uint256 receiptId, address caller, address owner);
    /// @notice receipt {receiptId} is pledged to {lienholder:address}
    error ReceiptPledged(uint256 receiptId, address lienholder);
    /// @notice receipt {receiptId} has a pledge request pending with {lender:address}
    error PledgePending(uint256 receiptId, address lender);
    /// @notice receipt {receiptId} is under a judicial freeze
    error ReceiptIsFrozen(uint256 receiptId);
    /// @notice lot {lotId} at {warehouse:address} is frozen after a stocktake shortfall
    error LotIsFrozen(bytes32 lotId, address warehouse);
    /// @notice receipt {receiptId} has a delivery request pending
    error DeliveryPending(uint256 receiptId);
    /// @notice receipt {receiptId} expired on {expiredAt:date}
    error ReceiptExpired(uint256 receiptId, uint64 expiredAt);
    /// @notice no inspector has attested lot {lotId}: a receipt needs an independent stocktake first
    error LotNotAttested(bytes32 lotId);
    /// @notice lot {lotId} is held at {warehouse:address}, not by the caller
    error LotAtOtherWarehouse(bytes32 lotId, address warehouse);
    /// @notice the last stocktake of lot {lotId} was on {lastStocktakeAt:datetime}, older than the {maxAgeSeconds} s allowed
    error StocktakeTooOld(bytes32 lotId, uint64 lastStocktakeAt, uint64 maxAgeSeconds);
    /// @notice lot {lotId} has {attested} base units attested and {receipted} receipted: {requested} more are not covered
    error InsufficientStockCover(bytes32 lotId, uint64 attested, uint64 receipted, uint64 requested);
    /// @notice lot {lotId} already backs a live receipt for {receipted} base units: one lot, one receipt
    error LotAlreadyReceipted(bytes32 lotId, uint64 receipted);
    /// @notice lot {lotId} was attested as {attested} but the receipt says {given}
    error CommodityMismatch(bytes32 lotId, bytes16 attested, bytes16 given);
    /// @notice lot {lotId} was attested in {attested} but the stocktake says {given}
    error UnitMismatch(bytes32 lotId, bytes8 attested, bytes8 given);
    /// @notice item serial {serial} already backs lot {lotId}
    error SerialAlreadyReceipted(bytes32 serial, bytes32 lotId);
    /// @notice item list is not strictly ascending at position {index} (duplicates are not allowed)
    error ItemsNotSorted(uint256 index);
    /// @notice the items given do not match those committed for receipt {receiptId}
    error ItemsMismatch(uint256 receiptId);
    /// @notice {count} entries given, at most {max} allowed
    error TooMany(uint256 count, uint256 max);
    /// @notice the parts of receipt {receiptId} add up to {partsTotal}, not its quantity {quantity}
    error SplitDoesNotConserve(uint256 receiptId, uint64 quantity, uint64 partsTotal);
    /// @notice a quantity must be positive and at most {max} base units (got {quantity})
    error QuantityOutOfRange(uint256 quantity, uint256 max);
    /// @notice receipts {keptId} and {mergedId} are not of the same lot, owner and kind
    error MergeMismatch(uint256 keptId, uint256 mergedId);
    /// @notice receipt {receiptId} has no pledge request pending
    error PledgeNotRequested(uint256 receiptId);
    /// @notice pledge request {given} of receipt {receiptId} is not the pending one ({expected})
    error PledgeRequestMismatch(uint256 receiptId, uint48 expected, uint48 given);
    /// @notice {caller:address} is not the lienholder of receipt {receiptId}; {lienholder:address} is
    error NotLienholder(uint256 receiptId, address caller, address lienholder);
    /// @notice receipt {receiptId} is not pledged
    error NotPledged(uint256 receiptId);
    /// @notice receipt {receiptId} can be foreclosed only from {foreclosableAt:datetime}
    error LoanNotMatured(uint256 receiptId, uint64 foreclosableAt);
    /// @notice {caller:address} did not issue receipt {receiptId}; {warehouse:address} did
    error NotIssuingWarehouse(uint256 receiptId, address caller, address warehouse);
    /// @notice receipt {receiptId} has no delivery request
    error NoDeliveryRequested(uint256 receiptId);
    /// @notice delivery of {requested} from receipt {receiptId} holding {quantity} is not possible
    error DeliveryQuantityInvalid(uint256 receiptId, uint64 requested, uint64 quantity);
    /// @notice receipt {receiptId} lists item serials: split it by items first, then deliver a whole part
    error PartialDeliveryOfSerializedReceipt(uint256 receiptId);
    /// @notice {what} {value:datetime} is not in the future
    error NotInFuture(string what, uint64 value);
    /// @notice warehouse receipts are paused by the consortium admin
    error ReceiptsPaused();
    /// @notice {caller:address} is not the consortium admin
    error NotConsortiumAdmin(address caller);
    /// @notice lot {lotId} is not frozen
    error LotNotFrozen(bytes32 lotId);
    /// @notice receipt {receiptId} is not frozen
    error ReceiptNotFrozen(uint256 receiptId);

    // ---------------------------------------------------------------- events

    /// @notice An inspector attested the quantity of a lot physically present at a warehouse.
    event StocktakeRecorded(
        bytes32 indexed lotId,
        address indexed warehouse,
        address indexed inspector,
        bytes16 commodity,
        bytes8 unit,
        uint8 decimals,
        uint64 attested,
        uint64 receipted,
        bytes32 evidence
    );
    /// @notice A stocktake found less than is receipted: the lot is frozen. The lenders with a lien on
    /// the receipts the inspector listed are named; the freeze itself never depends on that list, and
    /// since no lien on a frozen lot can be accepted, the lot's lienholders (read from state) are fixed.
    event StockShortfall(
        bytes32 indexed lotId,
        address indexed warehouse,
        address indexed inspector,
        uint64 attested,
        uint64 receipted,
        uint64 shortfall,
        address[] lenders,
        uint256[] pledgedReceipts
    );
    /// @notice A frozen lot was unfrozen, by a covering stocktake or by the regulator.
    event LotUnfrozen(bytes32 indexed lotId, address indexed warehouse, address indexed by);
    /// @notice A receipt was issued (the ERC-721 Transfer event accompanies it).
    event ReceiptMinted(
        uint256 indexed receiptId,
        bytes32 indexed lotId,
        address indexed warehouse,
        address owner,
        uint64 quantity,
        uint64 expiresAt,
        bytes32 details,
        bytes32 itemsRoot
    );
    /// @notice A receipt was split; it keeps `quantities[0]`, new ids from `firstNewId` take the rest.
    event ReceiptSplit(uint256 indexed receiptId, bytes32 indexed lotId, uint256 firstNewId, uint64[] quantities);
    /// @notice Two receipts of one lot and owner were merged into `keptId`; `mergedId` was burned.
    event ReceiptsMerged(uint256 indexed keptId, uint256 indexed mergedId, bytes32 indexed lotId, uint64 quantity);
    /// @notice The owner asked `lender` to accept a pledge; the receipt is locked until accepted or cancelled.
    event PledgeRequested(
        uint256 indexed receiptId,
        address indexed lender,
        address indexed owner,
        uint48 requestSeq,
        uint128 securedAmount,
        bytes3 currency,
        bytes32 loanRef,
        uint64 loanMaturity
    );
    /// @notice The owner withdrew a pledge request.
    event PledgeRequestCancelled(uint256 indexed receiptId, address indexed lender, uint48 requestSeq);
    /// @notice The lender accepted: the lien is active.
    event PledgeAccepted(uint256 indexed receiptId, address indexed lender, uint48 requestSeq);
    /// @notice The lienholder released the lien.
    event PledgeReleased(uint256 indexed receiptId, address indexed lender);
    /// @notice After loan maturity plus grace the lienholder took the receipt or sold it to `to`.
    event Foreclosed(uint256 indexed receiptId, address indexed lender, address indexed to, address formerOwner);
    /// @notice A regulator froze a receipt (judicial freeze).
    event ReceiptFreezeOrdered(uint256 indexed receiptId, address indexed regulator, string reason);
    /// @notice A regulator lifted a judicial freeze.
    event ReceiptFreezeLifted(uint256 indexed receiptId, address indexed regulator, string reason);
    /// @notice The owner asked the issuing warehouse to release `quantity` of the goods.
    event DeliveryRequested(uint256 indexed receiptId, address indexed owner, address indexed warehouse, uint64 quantity);
    /// @notice The owner withdrew a delivery request.
    event DeliveryRequestCancelled(uint256 indexed receiptId, address indexed owner);
    /// @notice The warehouse released the goods; the receipt was burned (or reduced, for a partial delivery).
    event Delivered(
        uint256 indexed receiptId, bytes32 indexed lotId, address indexed warehouse, address owner, uint64 quantity, bool burned
    );
    /// @notice The consortium admin paused or unpaused every state change.
    event PauseChanged(address indexed by, bool paused);
    /// @notice The consortium admin changed the maximum stocktake age or the foreclosure grace period.
    event ParametersChanged(address indexed by, uint64 maxStocktakeAge, uint64 foreclosureGrace);

    // ---------------------------------------------------------------- inspector

    /// @notice Attests the quantity of `lotId` physically present at `warehouse` (IoT / AI-vision stocktake).
    /// A first stocktake registers the lot. A count below what is receipted freezes the lot (a state of
    /// the lot that every receipt of it checks: none can then be pledged, moved, split, merged or
    /// delivered, whatever its holders do in the same block) and emits {StockShortfall} naming the
    /// lenders with a lien on the listed receipts; a covering count unfreezes it. Refused when the
    /// inspector is of the warehouse's own legal entity ({IParticipantRegistry-SameEntity}).
    /// @param warehouse The warehouse holding the lot.
    /// @param lotId Identity of the goods (e.g. keccak256 of the producer's batch or bill-of-lading number).
    /// @param commodity Commodity code, e.g. "AL-A00", "STEEL-HRC".
    /// @param unit Unit of the base quantity, e.g. "kg".
    /// @param decimals Decimals of the unit as displayed (quantity 1500 with decimals 3 reads 1.500).
    /// @param quantity Base units found.
    /// @param evidence Hash of the evidence (sensor log, images, report).
    /// @param liveReceipts Ids of the lot's live receipts, ascending (at most 256), used only when the
    /// count is below what is receipted, to name the exposed lenders in {StockShortfall}. A hint, not a
    /// condition: ids merged, delivered or of another lot are skipped, and the freeze happens whatever
    /// the list says. The SDK derives the ids from the events.
    function recordStocktake(
        address warehouse,
        bytes32 lotId,
        bytes16 commodity,
        bytes8 unit,
        uint8 decimals,
        uint64 quantity,
        bytes32 evidence,
        uint256[] calldata liveReceipts
    ) external;

    // ---------------------------------------------------------------- warehouse

    /// @notice Issues a receipt for part or all of an attested lot to an active member.
    /// @param to The first holder.
    /// @param lotId The lot, attested at the caller's warehouse within the maximum stocktake age.
    /// @param commodity Must match the attested commodity.
    /// @param quantity Base units; with the lot's live receipts, at most the attested quantity.
    /// @param expiresAt Validity or shelf-life end (unix time), 0 for none.
    /// @param details Commitment to the descriptive terms and documents (grade, location, inspection report).
    /// @return receiptId The new receipt's id.
    function mint(address to, bytes32 lotId, bytes16 commodity, uint64 quantity, uint64 expiresAt, bytes32 details)
        external
        returns (uint256 receiptId);

    /// @notice Like {mint}, for serialized goods: `items` (strictly ascending serial commitments) are
    /// bound to the lot, and no serial can back another lot while this one is live.
    function mintSerialized(
        address to,
        bytes32 lotId,
        bytes16 commodity,
        uint64 quantity,
        uint64 expiresAt,
        bytes32 details,
        bytes32[] calldata items
    ) external returns (uint256 receiptId);

    /// @notice Releases the goods of a delivery request: burns the receipt, or reduces it for a
    /// partial delivery; takes the quantity off the lot's receipted and attested stock (the goods
    /// have left), and frees the item serials.
    /// @param receiptId The receipt.
    /// @param items For a serialized receipt, its full item list; empty otherwise.
    function confirmDelivery(uint256 receiptId, bytes32[] calldata items) external;

    // ---------------------------------------------------------------- owner

    /// @notice Splits a bulk receipt: it keeps `quantities[0]`; each further quantity becomes a new receipt.
    /// @return firstNewId The id of the receipt for `quantities[1]`; the rest follow consecutively.
    function split(uint256 receiptId, uint64[] calldata quantities) external returns (uint256 firstNewId);

    /// @notice Splits a serialized receipt by items: `items` is its full list, `assignment[i]` the part
    /// (0 = the original) that takes `items[i]`, and `quantities[k]` the quantity of part k.
    function splitItems(
        uint256 receiptId,
        uint64[] calldata quantities,
        bytes32[] calldata items,
        uint8[] calldata assignment
    ) external returns (uint256 firstNewId);

    /// @notice Merges `mergedId` into `keptId` (same lot, owner and kind); `mergedId` is burned.
    /// @param keptItems For serialized receipts, the item list of `keptId` (else empty).
    /// @param mergedItems For serialized receipts, the item list of `mergedId` (else empty).
    function merge(uint256 keptId, uint256 mergedId, bytes32[] calldata keptItems, bytes32[] calldata mergedItems)
        external;

    /// @notice Asks the issuing warehouse to release `quantity` (the whole receipt or part of a bulk one).
    function requestDelivery(uint256 receiptId, uint64 quantity) external;

    /// @notice Withdraws a delivery request.
    function cancelDeliveryRequest(uint256 receiptId) external;

    /// @notice Asks `lender` to accept a pledge of the receipt; locks it until accepted or cancelled.
    /// @param securedAmount Loan amount secured, in minor units of `currency`.
    /// @param currency ISO 4217 code, e.g. "CNY".
    /// @param loanRef Commitment to the loan agreement.
    /// @param loanMaturity Unix time when the loan falls due; foreclosure opens after it plus the grace period.
    /// @return requestSeq The request number the lender accepts.
    function requestPledge(
        uint256 receiptId,
        address lender,
        uint128 securedAmount,
        bytes3 currency,
        bytes32 loanRef,
        uint64 loanMaturity
    ) external returns (uint48 requestSeq);

    /// @notice Withdraws a pending pledge request.
    function cancelPledgeRequest(uint256 receiptId) external;

    // ---------------------------------------------------------------- lender

    /// @notice Accepts pledge request `requestSeq`: the lien becomes active. Everything that can have
    /// changed since the request is checked again: the receipt's judicial freeze, its lot's shortfall
    /// freeze, its expiry and its owner's standing.
    function acceptPledge(uint256 receiptId, uint48 requestSeq) external;

    /// @notice Releases the caller's lien.
    function releasePledge(uint256 receiptId) external;

    /// @notice After loan maturity plus grace, takes the receipt (`to` = caller) or sells it to member `to`.
    function foreclose(uint256 receiptId, address to) external;

    // ---------------------------------------------------------------- regulator and admin

    /// @notice Judicial freeze of a receipt (REGULATOR).
    function freezeReceipt(uint256 receiptId, string calldata reason) external;

    /// @notice Lifts a judicial freeze (REGULATOR).
    function unfreezeReceipt(uint256 receiptId, string calldata reason) external;

    /// @notice Unfreezes a lot frozen by a shortfall without a covering stocktake (REGULATOR).
    function unfreezeLot(bytes32 lotId) external;

    /// @notice Stops (or resumes) every state change (consortium admin).
    function setPaused(bool paused) external;

    /// @notice Sets the maximum stocktake age for minting and the foreclosure grace period (consortium admin).
    function setParameters(uint64 maxStocktakeAge, uint64 foreclosureGrace) external;

    // ---------------------------------------------------------------- reads

    /// @notice The receipt `receiptId`; reverts {ReceiptNotFound} if it does not exist.
    function receipt(uint256 receiptId) external view returns (Receipt memory);

    /// @notice The lot `lotId` (lotId zero if never attested).
    function lot(bytes32 lotId) external view returns (Lot memory);

    /// @notice The lien record of a receipt (state None if none).
    function lien(uint256 receiptId) external view returns (Lien memory);

    /// @notice The committed item list hash of a serialized receipt.
    function itemsRoot(uint256 receiptId) external view returns (bytes32);

    /// @notice The lot an item serial backs (zero if none).
    function serialLot(bytes32 serial) external view returns (bytes32);

    /// @notice The quantity a pending delivery request asks for (0 if none).
    function deliveryRequest(uint256 receiptId) external view returns (uint64);

    /// @notice Max stocktake age (s), foreclosure grace (s), paused flag and the next receipt id.
    function parameters()
        external
        view
        returns (uint64 maxStocktakeAge, uint64 foreclosureGrace, bool paused, uint256 nextReceiptId);

    /// @notice The participant registry whose standing this contract mirrors (and asks when its
    /// mirror has no current entry).
    function registry() external view returns (address);

    /// @notice The contract's version, recorded in deployment manifests.
    function VERSION() external view returns (string memory);
}
