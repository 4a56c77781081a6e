// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC721} from "solady/src/tokens/ERC721.sol";
import {Multicallable} from "solady/src/utils/Multicallable.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {IStandingSubscriber} from "./interfaces/IStandingSubscriber.sol";
import {IWarehouseReceipts} from "./interfaces/IWarehouseReceipts.sol";
import {MemberStanding} from "./libraries/MemberStanding.sol";
import {ReceiptData} from "./libraries/ReceiptData.sol";

/// @title WarehouseReceipts
/// @notice Tokenized warehouse receipts; see {IWarehouseReceipts}.
/// @dev Built on Solady's ERC-721, whose ownership slot carries 96 bits beside the owner: quantity,
/// expiry, lot and status flags live there (see {ReceiptData}), so minting writes two new slots
/// (ownership, balance) and a transfer checks pledge, freeze and delivery locks without an extra read.
/// Solady's {Multicallable} lets a warehouse mint a batch of receipts in one transaction (each call
/// keeps the caller and every check; one failure reverts the batch).
///
/// Members are checked locally: the participant registry pushes every member's standing to this
/// contract (see {IStandingSubscriber}), which keeps it in Solady's per-address auxiliary word, in the
/// balance slot a mint or transfer writes anyway (see {MemberStanding}); KYC validity is stored as a
/// date and compared with the block's time. An entry is trusted only while subscribed and only if it
/// was pushed under the current subscription; otherwise the registry is asked, as before.
///
/// A mint also pre-allocates the receipt's lien slot, so that the first pledge request rewrites a
/// slot (2,900 gas) instead of creating one (20,000).
contract WarehouseReceipts is IWarehouseReceipts, ERC721, Multicallable {
    using ReceiptData for uint96;

    /// @inheritdoc IWarehouseReceipts
    string public constant VERSION = "1.0.0";

    uint256 private constant _MAX_ITEMS = 256;
    uint256 private constant _MAX_PARTS = 32;
    /// @dev Bounds the shortfall alert's loop over a lot's live receipts (splits cannot exceed it).
    uint256 private constant _MAX_LIVE_RECEIPTS_PER_LOT = 256;
    uint40 private constant _DEFAULT_MAX_STOCKTAKE_AGE = 30 days;
    uint40 private constant _DEFAULT_FORECLOSURE_GRACE = 7 days;

    IParticipantRegistry private immutable _registry;

    /// @dev Read by every state change (pause, standing feed), written by every mint (next id): one slot.
    struct Config {
        uint64 nextReceiptId;
        uint32 lotCount;
        uint40 maxStocktakeAge;
        uint40 foreclosureGrace;
        bool paused;
        bool standingLive;
        uint32 standingEpoch;
    }

    /// @dev The lot fields a mint, transfer or pledge checks: one slot.
    struct LotStanding {
        address warehouse;
        uint40 lastStocktakeAt;
        bool frozen;
        uint8 decimals;
    }

    /// @dev Stock cover, and how many live receipts share it: one slot.
    struct LotCover {
        uint48 attested;
        uint48 receipted;
        uint32 liveReceipts;
        bytes16 commodity;
    }

    struct LotLabel {
        bytes32 lotId;
        bytes8 unit;
    }

    /// @dev `allocated` is set at mint so that the slot is never zero when a pledge is first
    /// requested; the request counter is 40 bits here (a trillion requests) to make room for it.
    struct LienSlot {
        address lender;
        uint40 loanMaturity;
        LienState state;
        uint40 requestSeq;
        bool allocated;
    }

    Config private _config;
    mapping(bytes32 lotId => uint256 lotIndex) private _lotIndexOf;
    mapping(uint256 lotIndex => LotStanding) private _lotStanding;
    mapping(uint256 lotIndex => LotCover) private _lotCover;
    mapping(uint256 lotIndex => LotLabel) private _lotLabel;
    mapping(uint256 receiptId => LienSlot) private _liens;
    mapping(uint256 receiptId => bytes32) private _itemsRoots;
    mapping(bytes32 serial => uint256 lotIndex) private _serialLot;
    mapping(uint256 receiptId => uint64) private _deliveryRequests;

    /// @param registry_ The participant registry every action is checked against.
    constructor(IParticipantRegistry registry_) {
        _registry = registry_;
        _config = Config({
            nextReceiptId: 1,
            lotCount: 0,
            maxStocktakeAge: _DEFAULT_MAX_STOCKTAKE_AGE,
            foreclosureGrace: _DEFAULT_FORECLOSURE_GRACE,
            paused: false,
            standingLive: false,
            standingEpoch: 0
        });
    }

    // ------------------------------------------------------------ standing feed (registry only)

    /// @inheritdoc IStandingSubscriber
    /// @dev Works while paused: standing must always reach the mirror.
    function onStandingChanged(address account, IParticipantRegistry.Standing calldata standing) external {
        if (msg.sender != address(_registry)) revert NotParticipantRegistry(msg.sender);
        _setAux(account, MemberStanding.pack(standing, _config.standingEpoch));
    }

    /// @inheritdoc IStandingSubscriber
    /// @dev A new subscription starts a new epoch, so entries pushed under an earlier one (which may
    /// have missed changes while unsubscribed) are not trusted until pushed again.
    function onSubscriptionChanged(bool subscribed) external {
        if (msg.sender != address(_registry)) revert NotParticipantRegistry(msg.sender);
        uint32 epoch = _config.standingEpoch;
        if (subscribed) {
            ++epoch;
            _config.standingEpoch = epoch;
        }
        _config.standingLive = subscribed;
        emit StandingFeedChanged(subscribed, epoch);
    }

    // ------------------------------------------------------------ ERC-721 metadata

    /// @notice The token collection's name.
    function name() public pure override returns (string memory) {
        return "Ledgerhouse Warehouse Receipt";
    }

    /// @notice The token collection's symbol.
    function symbol() public pure override returns (string memory) {
        return "LHWR";
    }

    /// @notice Receipts carry no URI: their terms are on chain and in the registry service.
    function tokenURI(uint256 receiptId) public view override returns (string memory) {
        if (!_exists(receiptId)) revert ReceiptNotFound(receiptId);
        return "";
    }

    // ------------------------------------------------------------ inspector

    /// @inheritdoc IWarehouseReceipts
    function recordStocktake(
        address warehouse,
        bytes32 lotId,
        bytes16 commodity,
        bytes8 unit,
        uint8 decimals,
        uint64 quantity,
        bytes32 evidence,
        uint256[] calldata liveReceipts
    ) external {
        _whenNotPaused();
        _requireActive(msg.sender, IParticipantRegistry.Role.Inspector);
        _requireActive(warehouse, IParticipantRegistry.Role.Warehouse);
        _requireOtherEntity(msg.sender, warehouse);
        if (quantity > ReceiptData.MAX_QUANTITY) revert QuantityOutOfRange(quantity, ReceiptData.MAX_QUANTITY);

        uint256 lotIndex = _lotIndexOf[lotId];
        if (lotIndex == 0) {
            lotIndex = ++_config.lotCount;
            // Receipts carry the lot index in 28 bits (see {ReceiptData}).
            if (lotIndex > ReceiptData.MAX_LOT_INDEX) revert TooMany(lotIndex, ReceiptData.MAX_LOT_INDEX);
            _lotIndexOf[lotId] = lotIndex;
            _lotLabel[lotIndex] = LotLabel(lotId, unit);
            _lotStanding[lotIndex] = LotStanding(warehouse, uint40(block.timestamp), false, decimals);
            // forge-lint: disable-next-line(unsafe-typecast) -- quantity <= MAX_QUANTITY (48 bits), checked above
            _lotCover[lotIndex] = LotCover(uint48(quantity), 0, 0, commodity);
            emit StocktakeRecorded(lotId, warehouse, msg.sender, commodity, unit, decimals, quantity, 0, evidence);
            return;
        }

        LotStanding storage standing = _lotStanding[lotIndex];
        LotCover storage cover = _lotCover[lotIndex];
        uint64 receipted = cover.receipted;
        if (receipted != 0) {
            // Live receipts pin the lot to its warehouse and description.
            if (standing.warehouse != warehouse) revert LotAtOtherWarehouse(lotId, standing.warehouse);
            if (cover.commodity != commodity) revert CommodityMismatch(lotId, cover.commodity, commodity);
            bytes8 attestedUnit = _lotLabel[lotIndex].unit;
            if (attestedUnit != unit || standing.decimals != decimals) {
                revert UnitMismatch(lotId, attestedUnit, unit);
            }
        } else {
            // No live receipts: the goods may have moved, or been re-described.
            standing.warehouse = warehouse;
            standing.decimals = decimals;
            cover.commodity = commodity;
            _lotLabel[lotIndex].unit = unit;
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- quantity <= MAX_QUANTITY (48 bits), checked above
        cover.attested = uint48(quantity);
        standing.lastStocktakeAt = uint40(block.timestamp);

        if (quantity < receipted) {
            // The freeze is the lot's own state, which every receipt of the lot checks on every move,
            // pledge (request and acceptance), split, merge and delivery: it never depends on the
            // list below, so no holder can dodge it by reshuffling receipts in the same block.
            standing.frozen = true;
            (address[] memory lenders, uint256[] memory ids) = _exposedLenders(lotIndex, liveReceipts);
            emit StockShortfall(lotId, warehouse, msg.sender, quantity, receipted, receipted - quantity, lenders, ids);
        } else if (standing.frozen) {
            standing.frozen = false;
            emit LotUnfrozen(lotId, warehouse, msg.sender);
        }
        emit StocktakeRecorded(lotId, warehouse, msg.sender, commodity, unit, decimals, quantity, receipted, evidence);
    }

    /// @dev The pledged receipts among `given` that are still live receipts of the lot, with their
    /// lienholders, for the shortfall alert. Ids that are gone (merged or delivered in the same block),
    /// of another lot, or not ascending are skipped, never a revert: the list is the alert's hint, not
    /// a condition of the freeze. Once the lot is frozen no lien on it can be accepted and no receipt
    /// of it split, merged, moved or delivered, so its lienholders are fixed from then on and can be
    /// read back from state ({lien} of each live receipt; `Receipts.exposed_lenders` in the SDK).
    function _exposedLenders(uint256 lotIndex, uint256[] calldata given)
        private
        view
        returns (address[] memory lenders, uint256[] memory pledged)
    {
        if (given.length > _MAX_LIVE_RECEIPTS_PER_LOT) revert TooMany(given.length, _MAX_LIVE_RECEIPTS_PER_LOT);
        lenders = new address[](given.length);
        pledged = new uint256[](given.length);
        uint256 count = 0;
        uint256 previous = 0;
        for (uint256 i = 0; i < given.length; ++i) {
            uint256 id = given[i];
            if (id <= previous || !_exists(id) || _getExtraData(id).lotIndex() != lotIndex) continue;
            previous = id;
            LienSlot storage l = _liens[id];
            if (l.state == LienState.Active) {
                lenders[count] = l.lender;
                pledged[count++] = id;
            }
        }
        assembly ("memory-safe") {
            // Trim both arrays to the pledged receipts found.
            mstore(lenders, count)
            mstore(pledged, count)
        }
    }

    // ------------------------------------------------------------ warehouse

    /// @inheritdoc IWarehouseReceipts
    function mint(address to, bytes32 lotId, bytes16 commodity, uint64 quantity, uint64 expiresAt, bytes32 details)
        external
        returns (uint256 receiptId)
    {
        return _issue(to, lotId, commodity, quantity, expiresAt, details, bytes32(0));
    }

    /// @inheritdoc IWarehouseReceipts
    function mintSerialized(
        address to,
        bytes32 lotId,
        bytes16 commodity,
        uint64 quantity,
        uint64 expiresAt,
        bytes32 details,
        bytes32[] calldata items
    ) external returns (uint256 receiptId) {
        if (items.length == 0 || items.length > _MAX_ITEMS) revert TooMany(items.length, _MAX_ITEMS);
        bytes32 root = _itemsHash(items);
        receiptId = _issue(to, lotId, commodity, quantity, expiresAt, details, root);
        uint256 lotIndex = _lotIndexOf[lotId];
        for (uint256 i = 0; i < items.length; ++i) {
            uint256 taken = _serialLot[items[i]];
            if (taken != 0) revert SerialAlreadyReceipted(items[i], _lotLabel[taken].lotId);
            _serialLot[items[i]] = lotIndex;
        }
        _itemsRoots[receiptId] = root;
    }

    function _issue(
        address to,
        bytes32 lotId,
        bytes16 commodity,
        uint64 quantity,
        uint64 expiresAt,
        bytes32 details,
        bytes32 root
    ) private returns (uint256 receiptId) {
        uint256 lotIndex;
        (lotIndex, receiptId) = _checkIssuable(to, lotId, commodity, quantity);
        uint256 expiryDay = _expiryDay(expiresAt);

        // forge-lint: disable-next-line(unsafe-typecast) -- quantity <= MAX_QUANTITY (48 bits), checked
        (_lotCover[lotIndex].receipted, _lotCover[lotIndex].liveReceipts) = (uint48(quantity), 1);
        // forge-lint: disable-next-line(unsafe-typecast) -- ids count up by one from a uint64
        _config.nextReceiptId = uint64(receiptId + 1);
        uint8 flags = root == bytes32(0) ? 0 : ReceiptData.SERIALIZED;
        _mintAndSetExtraDataUnchecked(to, receiptId, ReceiptData.pack(quantity, expiryDay, lotIndex, flags));
        _liens[receiptId].allocated = true;
        emit ReceiptMinted(receiptId, lotId, msg.sender, to, quantity, expiresAt, details, root);
    }

    /// @dev Every check a mint makes, apart from the expiry's; kept out of `_issue` so that the
    /// contracts also compile without the IR pipeline (forge's test and coverage builds).
    function _checkIssuable(address to, bytes32 lotId, bytes16 commodity, uint64 quantity)
        private
        view
        returns (uint256 lotIndex, uint256 receiptId)
    {
        Config memory config = _config;
        if (config.paused) revert ReceiptsPaused();
        _requireActive(msg.sender, IParticipantRegistry.Role.Warehouse);
        _requireActiveMember(to);

        lotIndex = _lotIndexOf[lotId];
        if (lotIndex == 0) revert LotNotAttested(lotId);
        LotStanding memory standing = _lotStanding[lotIndex];
        if (standing.warehouse != msg.sender) revert LotAtOtherWarehouse(lotId, standing.warehouse);
        if (standing.frozen) revert LotIsFrozen(lotId, standing.warehouse);
        if (block.timestamp > uint256(standing.lastStocktakeAt) + config.maxStocktakeAge) {
            revert StocktakeTooOld(lotId, standing.lastStocktakeAt, config.maxStocktakeAge);
        }
        LotCover memory cover = _lotCover[lotIndex];
        if (cover.commodity != commodity) revert CommodityMismatch(lotId, cover.commodity, commodity);
        if (cover.receipted != 0) revert LotAlreadyReceipted(lotId, cover.receipted);
        if (quantity == 0 || quantity > ReceiptData.MAX_QUANTITY) {
            revert QuantityOutOfRange(quantity, ReceiptData.MAX_QUANTITY);
        }
        if (quantity > cover.attested) revert InsufficientStockCover(lotId, cover.attested, 0, quantity);
        receiptId = config.nextReceiptId;
    }

    /// @inheritdoc IWarehouseReceipts
    function confirmDelivery(uint256 receiptId, bytes32[] calldata items) external {
        _whenNotPaused();
        _requireActive(msg.sender, IParticipantRegistry.Role.Warehouse);
        uint96 data = _existingData(receiptId);
        uint256 lotIndex = data.lotIndex();
        LotStanding storage standing = _lotStanding[lotIndex];
        if (standing.warehouse != msg.sender) revert NotIssuingWarehouse(receiptId, msg.sender, standing.warehouse);
        if (!data.has(ReceiptData.DELIVERY_REQUESTED)) revert NoDeliveryRequested(receiptId);
        if (data.has(ReceiptData.FROZEN)) revert ReceiptIsFrozen(receiptId);
        bytes32 lotId = _lotLabel[lotIndex].lotId;
        if (standing.frozen) revert LotIsFrozen(lotId, standing.warehouse);

        uint64 requested = _deliveryRequests[receiptId];
        uint64 quantity = data.quantity();
        address owner = _ownerOf(receiptId);
        delete _deliveryRequests[receiptId];
        LotCover storage cover = _lotCover[lotIndex];
        // forge-lint: disable-next-line(unsafe-typecast) -- requested <= the receipt's 48-bit quantity
        cover.receipted -= uint48(requested);
        // The goods have left: the count that covered them must not cover a new receipt. (After a
        // regulator lifted a shortfall freeze, less may be attested than is delivered.)
        uint64 attested = cover.attested;
        // forge-lint: disable-next-line(unsafe-typecast) -- at most the 48-bit attested quantity
        cover.attested = attested > requested ? uint48(attested - requested) : 0;
        bool burned = requested == quantity;
        if (burned) {
            --cover.liveReceipts;
            if (data.has(ReceiptData.SERIALIZED)) _releaseItems(receiptId, items);
            _burn(receiptId);
            _setExtraData(receiptId, 0);
        } else {
            _setExtraData(
                receiptId, data.withQuantity(quantity - requested).withoutFlag(ReceiptData.DELIVERY_REQUESTED)
            );
        }
        emit Delivered(receiptId, lotId, msg.sender, owner, requested, burned);
    }

    // ------------------------------------------------------------ owner

    /// @inheritdoc IWarehouseReceipts
    function split(uint256 receiptId, uint64[] calldata quantities) external returns (uint256 firstNewId) {
        uint96 data = _movableByOwner(receiptId);
        if (data.has(ReceiptData.SERIALIZED)) revert ItemsMismatch(receiptId);
        _checkParts(receiptId, data.quantity(), quantities);
        firstNewId = _mintParts(receiptId, data, quantities);
    }

    /// @inheritdoc IWarehouseReceipts
    function splitItems(
        uint256 receiptId,
        uint64[] calldata quantities,
        bytes32[] calldata items,
        uint8[] calldata assignment
    ) external returns (uint256 firstNewId) {
        uint96 data = _movableByOwner(receiptId);
        if (!data.has(ReceiptData.SERIALIZED) || _itemsHash(items) != _itemsRoots[receiptId]) {
            revert ItemsMismatch(receiptId);
        }
        _checkParts(receiptId, data.quantity(), quantities);
        if (assignment.length != items.length) revert ItemsMismatch(receiptId);
        bytes32[] memory roots = _partRoots(receiptId, quantities.length, items, assignment);
        firstNewId = _mintParts(receiptId, data, quantities);
        _itemsRoots[receiptId] = roots[0];
        for (uint256 k = 1; k < roots.length; ++k) {
            _itemsRoots[firstNewId + k - 1] = roots[k];
        }
    }

    /// @inheritdoc IWarehouseReceipts
    function merge(uint256 keptId, uint256 mergedId, bytes32[] calldata keptItems, bytes32[] calldata mergedItems)
        external
    {
        uint96 kept = _movableByOwner(keptId);
        uint96 merged = _movableByOwner(mergedId);
        if (
            keptId == mergedId || kept.lotIndex() != merged.lotIndex()
                || kept.has(ReceiptData.SERIALIZED) != merged.has(ReceiptData.SERIALIZED)
        ) revert MergeMismatch(keptId, mergedId);
        uint256 total = uint256(kept.quantity()) + merged.quantity();
        if (total > ReceiptData.MAX_QUANTITY) revert QuantityOutOfRange(total, ReceiptData.MAX_QUANTITY);

        if (kept.has(ReceiptData.SERIALIZED)) {
            if (_itemsHash(keptItems) != _itemsRoots[keptId]) revert ItemsMismatch(keptId);
            if (_itemsHash(mergedItems) != _itemsRoots[mergedId]) revert ItemsMismatch(mergedId);
            _itemsRoots[keptId] = _mergedItemsHash(keptItems, mergedItems);
            delete _itemsRoots[mergedId];
        }
        // The merged receipt is good only as long as the shorter-lived of the two.
        uint256 expiry = _earlierExpiry(kept.expiryDay(), merged.expiryDay());
        _setExtraData(keptId, ReceiptData.pack(total, expiry, kept.lotIndex(), kept.flags()));
        _burn(mergedId);
        _setExtraData(mergedId, 0);
        --_lotCover[kept.lotIndex()].liveReceipts;
        // forge-lint: disable-next-line(unsafe-typecast) -- total <= MAX_QUANTITY, checked above
        emit ReceiptsMerged(keptId, mergedId, _lotLabel[kept.lotIndex()].lotId, uint64(total));
    }

    /// @inheritdoc IWarehouseReceipts
    function requestDelivery(uint256 receiptId, uint64 quantity) external {
        uint96 data = _movableByOwner(receiptId);
        if (quantity == 0 || quantity > data.quantity()) {
            revert DeliveryQuantityInvalid(receiptId, quantity, data.quantity());
        }
        if (data.has(ReceiptData.SERIALIZED) && quantity != data.quantity()) {
            revert PartialDeliveryOfSerializedReceipt(receiptId);
        }
        _deliveryRequests[receiptId] = quantity;
        _setExtraData(receiptId, data.withFlag(ReceiptData.DELIVERY_REQUESTED));
        emit DeliveryRequested(receiptId, msg.sender, _lotStanding[data.lotIndex()].warehouse, quantity);
    }

    /// @inheritdoc IWarehouseReceipts
    function cancelDeliveryRequest(uint256 receiptId) external {
        _whenNotPaused();
        uint96 data = _existingData(receiptId);
        _requireOwner(receiptId);
        if (!data.has(ReceiptData.DELIVERY_REQUESTED)) revert NoDeliveryRequested(receiptId);
        delete _deliveryRequests[receiptId];
        _setExtraData(receiptId, data.withoutFlag(ReceiptData.DELIVERY_REQUESTED));
        emit DeliveryRequestCancelled(receiptId, msg.sender);
    }

    /// @inheritdoc IWarehouseReceipts
    function requestPledge(
        uint256 receiptId,
        address lender,
        uint128 securedAmount,
        bytes3 currency,
        bytes32 loanRef,
        uint64 loanMaturity
    ) external returns (uint48 requestSeq) {
        uint96 data = _movableByOwner(receiptId);
        _requireNotExpired(receiptId, data);
        if (loanMaturity <= block.timestamp || loanMaturity > type(uint40).max) {
            revert NotInFuture("loan maturity", loanMaturity);
        }
        uint40 seq = _liens[receiptId].requestSeq + 1;
        requestSeq = seq;
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded by type(uint40).max just above
        _liens[receiptId] = LienSlot(lender, uint40(loanMaturity), LienState.Requested, seq, true);
        _setExtraData(receiptId, data.withFlag(ReceiptData.PLEDGE_LOCK));
        emit PledgeRequested(receiptId, lender, msg.sender, requestSeq, securedAmount, currency, loanRef, loanMaturity);
    }

    /// @inheritdoc IWarehouseReceipts
    function cancelPledgeRequest(uint256 receiptId) external {
        _whenNotPaused();
        uint96 data = _existingData(receiptId);
        _requireOwner(receiptId);
        LienSlot storage l = _liens[receiptId];
        if (l.state != LienState.Requested) revert PledgeNotRequested(receiptId);
        l.state = LienState.None;
        _setExtraData(receiptId, data.withoutFlag(ReceiptData.PLEDGE_LOCK));
        emit PledgeRequestCancelled(receiptId, l.lender, l.requestSeq);
    }

    // ------------------------------------------------------------ lender

    /// @inheritdoc IWarehouseReceipts
    function acceptPledge(uint256 receiptId, uint48 requestSeq) external {
        _whenNotPaused();
        LienSlot memory l = _liens[receiptId];
        if (l.state == LienState.Active) revert ReceiptPledged(receiptId, l.lender);
        if (l.state != LienState.Requested) revert PledgeNotRequested(receiptId);
        if (l.lender != msg.sender) revert NotLienholder(receiptId, msg.sender, l.lender);
        if (l.requestSeq != requestSeq) revert PledgeRequestMismatch(receiptId, l.requestSeq, requestSeq);
        _requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        // Re-checked at acceptance, not only at the request: a judicial or shortfall freeze, the
        // owner's suspension or revocation and the receipt's expiry may all have come since.
        uint96 data = _getExtraData(receiptId);
        _requireNotFrozen(receiptId, data);
        _requireNotExpired(receiptId, data);
        _requireActiveMember(_ownerOf(receiptId));
        _liens[receiptId].state = LienState.Active;
        emit PledgeAccepted(receiptId, msg.sender, requestSeq);
    }

    /// @inheritdoc IWarehouseReceipts
    /// @dev The lienholder's own standing is not checked: a release only frees the owner's goods,
    /// and a suspended bank must still be able to let go of its collateral.
    function releasePledge(uint256 receiptId) external {
        _whenNotPaused();
        address lender = _requireLienholder(receiptId);
        uint96 data = _getExtraData(receiptId);
        _liens[receiptId].state = LienState.None;
        _setExtraData(receiptId, data.withoutFlag(ReceiptData.PLEDGE_LOCK));
        emit PledgeReleased(receiptId, lender);
    }

    /// @inheritdoc IWarehouseReceipts
    function foreclose(uint256 receiptId, address to) external {
        _whenNotPaused();
        address lender = _requireLienholder(receiptId);
        _requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        if (to != msg.sender) _requireActiveMember(to);
        uint256 foreclosableAt = uint256(_liens[receiptId].loanMaturity) + _config.foreclosureGrace;
        // forge-lint: disable-next-line(unsafe-typecast) -- a uint40 time plus a uint40 grace fits 64 bits
        if (block.timestamp < foreclosableAt) revert LoanNotMatured(receiptId, uint64(foreclosableAt));
        uint96 data = _getExtraData(receiptId);
        _requireNotFrozen(receiptId, data);

        address formerOwner = _ownerOf(receiptId);
        _liens[receiptId].state = LienState.None;
        _setExtraData(receiptId, data.withoutFlag(ReceiptData.PLEDGE_LOCK));
        // The contract's own move: `by` = 0 skips approval, and the internal path skips the holder
        // checks of {transferFrom} (the former owner may be suspended; the lien is why it moves).
        if (to != formerOwner) _transfer(address(0), formerOwner, to, receiptId);
        emit Foreclosed(receiptId, lender, to, formerOwner);
    }

    // ------------------------------------------------------------ regulator and admin

    /// @inheritdoc IWarehouseReceipts
    function freezeReceipt(uint256 receiptId, string calldata reason) external {
        _whenNotPaused();
        _requireActive(msg.sender, IParticipantRegistry.Role.Regulator);
        uint96 data = _existingData(receiptId);
        if (data.has(ReceiptData.FROZEN)) revert ReceiptIsFrozen(receiptId);
        _setExtraData(receiptId, data.withFlag(ReceiptData.FROZEN));
        emit ReceiptFreezeOrdered(receiptId, msg.sender, reason);
    }

    /// @inheritdoc IWarehouseReceipts
    function unfreezeReceipt(uint256 receiptId, string calldata reason) external {
        _whenNotPaused();
        _requireActive(msg.sender, IParticipantRegistry.Role.Regulator);
        uint96 data = _existingData(receiptId);
        if (!data.has(ReceiptData.FROZEN)) revert ReceiptNotFrozen(receiptId);
        _setExtraData(receiptId, data.withoutFlag(ReceiptData.FROZEN));
        emit ReceiptFreezeLifted(receiptId, msg.sender, reason);
    }

    /// @inheritdoc IWarehouseReceipts
    function unfreezeLot(bytes32 lotId) external {
        _whenNotPaused();
        _requireActive(msg.sender, IParticipantRegistry.Role.Regulator);
        LotStanding storage standing = _lotStanding[_lotIndexOf[lotId]];
        if (!standing.frozen) revert LotNotFrozen(lotId);
        standing.frozen = false;
        emit LotUnfrozen(lotId, standing.warehouse, msg.sender);
    }

    /// @inheritdoc IWarehouseReceipts
    function setPaused(bool paused) external {
        _requireConsortiumAdmin();
        _config.paused = paused;
        emit PauseChanged(msg.sender, paused);
    }

    /// @inheritdoc IWarehouseReceipts
    function setParameters(uint64 maxStocktakeAge, uint64 foreclosureGrace) external {
        _requireConsortiumAdmin();
        if (maxStocktakeAge == 0 || maxStocktakeAge > 3650 days) {
            revert QuantityOutOfRange(maxStocktakeAge, 3650 days);
        }
        if (foreclosureGrace > 3650 days) revert QuantityOutOfRange(foreclosureGrace, 3650 days);
        // forge-lint: disable-next-line(unsafe-typecast) -- both bounded by ten years just above
        (_config.maxStocktakeAge, _config.foreclosureGrace) = (uint40(maxStocktakeAge), uint40(foreclosureGrace));
        emit ParametersChanged(msg.sender, maxStocktakeAge, foreclosureGrace);
    }

    // ------------------------------------------------------------ ERC-721 approvals under the same rules

    /// @notice Approves `account` to move receipt `id`; the owner must be an active member.
    function approve(address account, uint256 id) public payable override {
        _whenNotPaused();
        _requireActiveMember(msg.sender);
        super.approve(account, id);
    }

    /// @notice Approves or revokes `operator` for all of the caller's receipts.
    function setApprovalForAll(address operator, bool isApproved) public override {
        _whenNotPaused();
        _requireActiveMember(msg.sender);
        super.setApprovalForAll(operator, isApproved);
    }

    /// @notice Endorses receipt `id` from `from` to `to` (ERC-721): only between active members (and
    /// an active operator), never while pledged, pledge-pending, frozen (receipt or lot) or awaiting
    /// delivery. Both `safeTransferFrom` variants come through here.
    /// @dev The holder checks sit in the public entry point, not in a transfer hook: the contract's own
    /// moves (burns by merge and delivery, foreclosure) use the internal `_burn`/`_transfer` and never
    /// reach them, so no "internal move" flag (and no transient storage) is needed: the build runs on
    /// a paris EVM.
    function transferFrom(address from, address to, uint256 id) public payable override {
        if (from != address(0) && to != address(0)) {
            // (Solady refuses a move from or to the zero address with its own errors.)
            _whenNotPaused();
            _requireUnlocked(id, _getExtraData(id));
            _requireActiveMember(from);
            _requireActiveMember(to);
            if (msg.sender != from) _requireActiveMember(msg.sender);
        }
        super.transferFrom(from, to, id);
    }

    // ------------------------------------------------------------ reads

    /// @inheritdoc IWarehouseReceipts
    function receipt(uint256 receiptId) external view returns (Receipt memory r) {
        uint96 data = _existingData(receiptId);
        uint256 lotIndex = data.lotIndex();
        r.owner = _ownerOf(receiptId);
        r.warehouse = _lotStanding[lotIndex].warehouse;
        r.lotId = _lotLabel[lotIndex].lotId;
        r.quantity = data.quantity();
        r.expiresAt = uint64(data.expiryDay()) * 1 days;
        r.pledgeLocked = data.has(ReceiptData.PLEDGE_LOCK);
        r.frozen = data.has(ReceiptData.FROZEN) || _lotStanding[lotIndex].frozen;
        r.deliveryRequested = data.has(ReceiptData.DELIVERY_REQUESTED);
        r.serialized = data.has(ReceiptData.SERIALIZED);
    }

    /// @inheritdoc IWarehouseReceipts
    function lot(bytes32 lotId) external view returns (Lot memory l) {
        uint256 lotIndex = _lotIndexOf[lotId];
        if (lotIndex == 0) return l;
        LotStanding memory standing = _lotStanding[lotIndex];
        LotCover memory cover = _lotCover[lotIndex];
        LotLabel memory label = _lotLabel[lotIndex];
        l = Lot({
            lotId: label.lotId,
            warehouse: standing.warehouse,
            commodity: cover.commodity,
            unit: label.unit,
            decimals: standing.decimals,
            attested: cover.attested,
            receipted: cover.receipted,
            lastStocktakeAt: standing.lastStocktakeAt,
            frozen: standing.frozen,
            liveReceipts: cover.liveReceipts
        });
    }

    /// @inheritdoc IWarehouseReceipts
    function lien(uint256 receiptId) external view returns (Lien memory) {
        LienSlot memory l = _liens[receiptId];
        return Lien(l.lender, l.loanMaturity, l.state, l.requestSeq);
    }

    /// @inheritdoc IWarehouseReceipts
    function itemsRoot(uint256 receiptId) external view returns (bytes32) {
        return _itemsRoots[receiptId];
    }

    /// @inheritdoc IWarehouseReceipts
    function serialLot(bytes32 serial) external view returns (bytes32) {
        uint256 lotIndex = _serialLot[serial];
        return lotIndex == 0 ? bytes32(0) : _lotLabel[lotIndex].lotId;
    }

    /// @inheritdoc IWarehouseReceipts
    function deliveryRequest(uint256 receiptId) external view returns (uint64) {
        return _deliveryRequests[receiptId];
    }

    /// @inheritdoc IWarehouseReceipts
    function parameters()
        external
        view
        returns (uint64 maxStocktakeAge, uint64 foreclosureGrace, bool paused, uint256 nextReceiptId)
    {
        Config memory config = _config;
        return (config.maxStocktakeAge, config.foreclosureGrace, config.paused, config.nextReceiptId);
    }

    /// @inheritdoc IWarehouseReceipts
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IStandingSubscriber
    function mirroredStanding(address account)
        external
        view
        returns (bool current, IParticipantRegistry.Standing memory standing)
    {
        uint256 word = _getAux(account);
        Config memory config = _config;
        current = config.standingLive && MemberStanding.epoch(word) == config.standingEpoch;
        standing = MemberStanding.unpack(word);
    }

    /// @inheritdoc IStandingSubscriber
    function standingFeed() external view returns (bool subscribed, uint32 epoch) {
        return (_config.standingLive, _config.standingEpoch);
    }

    // ------------------------------------------------------------ internals

    function _whenNotPaused() private view {
        if (_config.paused) revert ReceiptsPaused();
    }

    /// @dev `_registry.requireActive(account, role)`, answered from the mirrored standing when it is
    /// current (same errors, same order), else by the registry itself.
    function _requireActive(address account, IParticipantRegistry.Role role) private view {
        uint256 word = _getAux(account);
        if (_config.standingLive && MemberStanding.epoch(word) == _config.standingEpoch) {
            MemberStanding.check(word, account, role);
        } else if (role == IParticipantRegistry.Role.None) {
            _registry.requireActiveMember(account);
        } else {
            _registry.requireActive(account, role);
        }
    }

    /// @dev `_registry.requireActiveMember(account)`, answered as {_requireActive} answers.
    function _requireActiveMember(address account) private view {
        _requireActive(account, IParticipantRegistry.Role.None);
    }

    function _requireConsortiumAdmin() private view {
        if (!IAccessControl(address(_registry)).hasRole(bytes32(0), msg.sender)) revert NotConsortiumAdmin(msg.sender);
    }

    function _existingData(uint256 receiptId) private view returns (uint96) {
        if (!_exists(receiptId)) revert ReceiptNotFound(receiptId);
        return _getExtraData(receiptId);
    }

    function _requireOwner(uint256 receiptId) private view {
        address owner = _ownerOf(receiptId);
        if (owner != msg.sender) revert NotReceiptOwner(receiptId, msg.sender, owner);
    }

    /// @dev The checks every owner action shares: not paused, caller owns it and is active, and the
    /// receipt is neither pledged (or pledge-pending), frozen, awaiting delivery, nor of a frozen lot.
    function _movableByOwner(uint256 receiptId) private view returns (uint96 data) {
        _whenNotPaused();
        data = _existingData(receiptId);
        _requireOwner(receiptId);
        _requireActiveMember(msg.sender);
        _requireUnlocked(receiptId, data);
    }

    function _requireUnlocked(uint256 receiptId, uint96 data) private view {
        if (data.flags() != 0 && data.flags() != ReceiptData.SERIALIZED) {
            if (data.has(ReceiptData.PLEDGE_LOCK)) {
                LienSlot memory l = _liens[receiptId];
                if (l.state == LienState.Active) revert ReceiptPledged(receiptId, l.lender);
                revert PledgePending(receiptId, l.lender);
            }
            if (data.has(ReceiptData.FROZEN)) revert ReceiptIsFrozen(receiptId);
            revert DeliveryPending(receiptId);
        }
        _requireLotNotFrozen(data.lotIndex());
    }

    /// @dev Neither under a judicial freeze nor of a lot frozen by a shortfall.
    function _requireNotFrozen(uint256 receiptId, uint96 data) private view {
        if (data.has(ReceiptData.FROZEN)) revert ReceiptIsFrozen(receiptId);
        _requireLotNotFrozen(data.lotIndex());
    }

    function _requireLotNotFrozen(uint256 lotIndex) private view {
        LotStanding memory standing = _lotStanding[lotIndex];
        if (standing.frozen) revert LotIsFrozen(_lotLabel[lotIndex].lotId, standing.warehouse);
    }

    function _requireNotExpired(uint256 receiptId, uint96 data) private view {
        uint16 expiryDay = data.expiryDay();
        if (expiryDay != 0 && block.timestamp >= uint256(expiryDay) * 1 days) {
            revert ReceiptExpired(receiptId, uint64(expiryDay) * 1 days);
        }
    }

    /// @dev Independence: `party` (an inspector) must not be of the same legal entity as
    /// `counterparty` (the warehouse it attests at): `_registry.requireIndependent`, its
    /// {IParticipantRegistry-SameEntity} bubbled. A bare static call keeps the runtime small.
    function _requireOtherEntity(address party, address counterparty) private view {
        address target = address(_registry);
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, shl(224, 0xc4e3bc00)) // requireIndependent(address,address)
            mstore(add(ptr, 0x04), and(party, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x24), and(counterparty, 0xffffffffffffffffffffffffffffffffffffffff))
            if iszero(staticcall(gas(), target, ptr, 0x44, 0x00, 0x00)) {
                returndatacopy(ptr, 0x00, returndatasize())
                revert(ptr, returndatasize())
            }
        }
    }

    function _requireLienholder(uint256 receiptId) private view returns (address lender) {
        LienSlot memory l = _liens[receiptId];
        if (l.state != LienState.Active) revert NotPledged(receiptId);
        if (l.lender != msg.sender) revert NotLienholder(receiptId, msg.sender, l.lender);
        return l.lender;
    }

    function _checkParts(uint256 receiptId, uint64 quantity, uint64[] calldata quantities) private pure {
        if (quantities.length < 2 || quantities.length > _MAX_PARTS) revert TooMany(quantities.length, _MAX_PARTS);
        uint256 total = 0;
        for (uint256 k = 0; k < quantities.length; ++k) {
            if (quantities[k] == 0) revert QuantityOutOfRange(0, quantity);
            total += quantities[k];
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- reported only; equality is checked on uint256
        if (total != quantity) revert SplitDoesNotConserve(receiptId, quantity, uint64(total));
    }

    /// @dev The original keeps part 0; parts 1.. become consecutive new receipts of the same owner and lot.
    function _mintParts(uint256 receiptId, uint96 data, uint64[] calldata quantities)
        private
        returns (uint256 firstNewId)
    {
        address owner = _ownerOf(receiptId);
        LotCover storage cover = _lotCover[data.lotIndex()];
        uint256 live = cover.liveReceipts + quantities.length - 1;
        if (live > _MAX_LIVE_RECEIPTS_PER_LOT) revert TooMany(live, _MAX_LIVE_RECEIPTS_PER_LOT);
        // forge-lint: disable-next-line(unsafe-typecast) -- live <= 256, checked just above
        cover.liveReceipts = uint32(live);
        firstNewId = _config.nextReceiptId;
        // forge-lint: disable-next-line(unsafe-typecast) -- at most 31 more ids than a uint64 counter
        _config.nextReceiptId = uint64(firstNewId + quantities.length - 1);
        _setExtraData(receiptId, data.withQuantity(quantities[0]));
        for (uint256 k = 1; k < quantities.length; ++k) {
            _mintAndSetExtraDataUnchecked(owner, firstNewId + k - 1, data.withQuantity(quantities[k]));
        }
        emit ReceiptSplit(receiptId, _lotLabel[data.lotIndex()].lotId, firstNewId, quantities);
    }

    function _partRoots(uint256 receiptId, uint256 parts, bytes32[] calldata items, uint8[] calldata assignment)
        private
        pure
        returns (bytes32[] memory roots)
    {
        uint256[] memory counts = new uint256[](parts);
        for (uint256 i = 0; i < assignment.length; ++i) {
            if (assignment[i] >= parts) revert ItemsMismatch(receiptId);
            ++counts[assignment[i]];
        }
        bytes32[][] memory lists = new bytes32[][](parts);
        for (uint256 k = 0; k < parts; ++k) {
            if (counts[k] == 0) revert ItemsMismatch(receiptId);
            lists[k] = new bytes32[](counts[k]);
            counts[k] = 0;
        }
        // The parent list is ascending, so each part's subsequence is ascending too.
        for (uint256 i = 0; i < items.length; ++i) {
            uint8 k = assignment[i];
            lists[k][counts[k]++] = items[i];
        }
        roots = new bytes32[](parts);
        for (uint256 k = 0; k < parts; ++k) {
            roots[k] = keccak256(abi.encodePacked(lists[k]));
        }
    }

    function _releaseItems(uint256 receiptId, bytes32[] calldata items) private {
        if (_itemsHash(items) != _itemsRoots[receiptId]) revert ItemsMismatch(receiptId);
        for (uint256 i = 0; i < items.length; ++i) {
            delete _serialLot[items[i]];
        }
        delete _itemsRoots[receiptId];
    }

    /// @dev Hash of a strictly ascending item list; reverts on disorder or duplicates.
    function _itemsHash(bytes32[] calldata items) private pure returns (bytes32) {
        if (items.length > _MAX_ITEMS) revert TooMany(items.length, _MAX_ITEMS);
        for (uint256 i = 1; i < items.length; ++i) {
            if (items[i] <= items[i - 1]) revert ItemsNotSorted(i);
        }
        return keccak256(abi.encodePacked(items));
    }

    function _mergedItemsHash(bytes32[] calldata a, bytes32[] calldata b) private pure returns (bytes32) {
        bytes32[] memory merged = new bytes32[](a.length + b.length);
        uint256 i = 0;
        uint256 j = 0;
        for (uint256 k = 0; k < merged.length; ++k) {
            if (j == b.length || (i < a.length && a[i] < b[j])) merged[k] = a[i++];
            else merged[k] = b[j++];
            if (k > 0 && merged[k] <= merged[k - 1]) revert ItemsNotSorted(k);
        }
        return keccak256(abi.encodePacked(merged));
    }

    function _expiryDay(uint64 expiresAt) private view returns (uint256 day) {
        if (expiresAt == 0) return 0;
        if (expiresAt <= block.timestamp) revert NotInFuture("expiry", expiresAt);
        day = (uint256(expiresAt) + 1 days - 1) / 1 days; // rounded up to a whole UTC day
        if (day > ReceiptData.MAX_EXPIRY_DAY) revert NotInFuture("expiry", expiresAt);
    }

    function _earlierExpiry(uint16 a, uint16 b) private pure returns (uint256) {
        if (a == 0) return b;
        if (b == 0) return a;
        return a < b ? a : b;
    }
}
