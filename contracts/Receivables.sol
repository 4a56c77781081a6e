// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {IReceivables} from "./interfaces/IReceivables.sol";
import {IStandingSubscriber} from "./interfaces/IStandingSubscriber.sol";
import {MemberStanding} from "./libraries/MemberStanding.sol";
import {RootTerms, VoucherWord, VoucherWordLibrary, RootTermsLibrary} from "./libraries/VoucherWord.sol";

/// @title Receivables
/// @notice Supply-chain payable vouchers: credit lines, issue, split-down, discount, pledge and
/// settlement; see {IReceivables}.
/// @dev Storage is laid out for the hot path (suppliers splitting and passing pieces down):
///
/// * A piece is ONE storage word (`_vouchers`), a {VoucherWord}: holder, value, tier, status,
///   overdue flag and the parent's index within its root (layout in libraries/VoucherWord.sol).
///   The root id is not stored: it is `voucherId - voucherId % 1_000_000` (see {IReceivables}), and
///   the parent id is `rootId + parentIndex`, so the parent link costs no slot of its own.
/// * A root's terms that the per-piece paths need are ONE word (`_rootTerms`), a {RootTerms}:
///   maturity, minimum denomination, settled total, piece counter, max depth, funded flag.
/// * The rest of a root (obligor, face, lender, currency, paying bank, document) is in `_roots`,
///   read only by settlement and views.
///
/// A split therefore reads the pause flag, the piece and the root terms, writes the piece, the
/// terms and one fresh slot for the child, and asks the registry about the two parties.
///
/// Members are checked locally: the participant registry pushes every member's standing to this
/// contract (see {IStandingSubscriber}), which keeps it in one word per member (`_standing`, laid
/// out by {MemberStanding}); KYC validity is stored as a date and compared with the block's time.
/// The feed's state (live, epoch) shares the pause flag's slot, which every state change reads
/// anyway, so a member check costs one cold storage read instead of a call to the registry. No slot
/// keyed by a member is touched here otherwise (pieces and roots are keyed by id), so the mirror
/// has a word of its own. A mirrored entry is trusted only while subscribed and only if pushed
/// under the current subscription; otherwise the registry is asked, as before.
///
/// No function loops. The only external calls are static calls to the participant registry (a
/// trusted, immutable contract whose code is checked at construction), made before any state
/// change when the mirror is not current; they are low-level so that no code-size check is paid on
/// each call, and they bubble the registry's typed errors unchanged.
contract Receivables is IReceivables, Pausable {
    /// @inheritdoc IReceivables
    string public constant VERSION = "1.0.0";

    /// @dev Voucher ids of one root are rootId + 0 .. rootId + 999_999.
    uint256 private constant _PIECES_PER_ROOT = 1_000_000;
    uint64 private constant _MAX_FACE_VALUE = type(uint64).max;
    uint256 private constant _BPS = 10_000;
    uint256 private constant _DAY_COUNT_BASIS = 360;

    // Selectors of the registry's checks, for the low-level calls; test_registrySelectors_matchInterface
    // pins them to IParticipantRegistry, and every registry-rejection test would fail if they drifted.
    uint256 private constant _REQUIRE_ACTIVE_MEMBER = 0x0bb0cf0d; // requireActiveMember(address)
    uint256 private constant _REQUIRE_ACTIVE = 0x3bdb04c9; // requireActive(address,uint8)

    /// @dev A piece's word and a root's terms, each wrapped in a struct so that a function can hold a
    /// storage pointer and compute the mapping slot once for read and write (same slot as the bare word).
    struct PieceSlot {
        VoucherWord word;
    }

    struct TermsSlot {
        RootTerms word;
    }

    /// @dev What only settlement and the views read. Two fields per slot where they fit.
    struct RootRecord {
        address obligor;
        uint64 faceValue;
        address lender;
        uint40 issuedAt;
        bytes3 currency;
        address payer;
        bytes32 document;
    }

    struct CreditLineRecord {
        uint128 limit;
        uint128 outstanding;
        bytes3 currency;
        uint40 expiry;
        bool open;
    }

    struct OfferRecord {
        address lender;
        uint64 price;
    }

    struct DiscountRecord {
        address seller;
        uint64 price;
        uint32 daysToMaturity;
        address lender;
        uint64 value;
        uint32 rateBps;
        bytes32 paymentRef;
    }

    /// @dev Requested or accepted; which one is the piece's status (PledgeRequested / Pledged).
    struct LienRecord {
        address lienholder;
        uint40 loanMaturity;
        uint64 securedAmount;
        bytes32 loanRef;
    }

    IParticipantRegistry private immutable _registry;
    uint32 private immutable _gracePeriod;

    // The standing feed's state, declared first so that it packs into slot 0 beside Pausable's
    // `_paused` (checked by test_storage_feedSharesThePauseSlot): one slot for every state change.
    bool private _standingLive;
    uint32 private _standingEpoch;

    uint256 private _rootCount;
    mapping(uint256 voucherId => PieceSlot) private _vouchers;
    mapping(uint256 rootId => TermsSlot) private _rootTerms;
    mapping(uint256 rootId => RootRecord) private _roots;
    mapping(address lender => mapping(address core => CreditLineRecord)) private _creditLines;
    /// @dev Keyed by {_documentKey}: the obligor's legal entity and the document commitment.
    mapping(bytes32 documentKey => uint256 rootId) private _documentUsedBy;
    mapping(uint256 voucherId => OfferRecord) private _offers;
    mapping(uint256 voucherId => DiscountRecord) private _discounts;
    mapping(uint256 voucherId => LienRecord) private _liens;
    /// @dev Each member's standing as last pushed by the registry ({MemberStanding} layout).
    mapping(address account => uint256 standing) private _standing;

    /// @param registry_ The participant registry every party is checked against.
    /// @param gracePeriod_ Seconds after maturity before an unpaid piece can be marked overdue.
    constructor(IParticipantRegistry registry_, uint32 gracePeriod_) {
        // The registry is called with low-level static calls, which succeed on an address without
        // code; so it must be a contract.
        if (address(registry_).code.length == 0) revert RegistryNotAContract(address(registry_));
        _registry = registry_;
        _gracePeriod = gracePeriod_;
    }

    // ------------------------------------------------------------ standing feed (registry only)

    /// @inheritdoc IStandingSubscriber
    /// @dev Works while paused: standing must always reach the mirror.
    /// The word also keeps, above the standing's 128 bits, a 128-bit tag of the member's legal entity
    /// (an admission's entity id never changes), so that {issue} keys a trade document by the
    /// obligor's entity without a call to the registry (see {_documentKey}).
    function onStandingChanged(address account, IParticipantRegistry.Standing calldata standing) external {
        if (msg.sender != address(_registry)) revert NotParticipantRegistry(msg.sender);
        _standing[account] = MemberStanding.pack(standing, _standingEpoch) | (_entityTag(account) << 128);
    }

    /// @inheritdoc IStandingSubscriber
    /// @dev A new subscription starts a new epoch, so entries pushed under an earlier one (which may
    /// have missed changes while unsubscribed) are not trusted until pushed again.
    function onSubscriptionChanged(bool subscribed) external {
        if (msg.sender != address(_registry)) revert NotParticipantRegistry(msg.sender);
        uint32 epoch = _standingEpoch;
        if (subscribed) {
            ++epoch;
            _standingEpoch = epoch;
        }
        _standingLive = subscribed;
        emit StandingFeedChanged(subscribed, epoch);
    }

    // ------------------------------------------------------------ credit lines

    /// @inheritdoc IReceivables
    function setCreditLine(address core, uint128 limit, bytes3 currency, uint64 expiry) external whenNotPaused {
        _requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        CreditLineRecord storage line = _creditLines[msg.sender][core];
        // Granting or raising credit needs an active core enterprise; cutting exposure never does.
        if (line.currency == bytes3(0) || limit > line.limit) {
            _requireActive(core, IParticipantRegistry.Role.CoreEnterprise);
        }
        if (currency == bytes3(0)) revert CreditLineCurrencyMissing(msg.sender, core);
        if (expiry <= block.timestamp || expiry > type(uint40).max) {
            revert CreditLineExpiryNotInFuture(msg.sender, core, expiry);
        }
        uint128 outstanding = line.outstanding;
        if (limit < outstanding) revert CreditLimitBelowOutstanding(msg.sender, core, limit, outstanding);
        if (outstanding != 0 && currency != line.currency) {
            revert CreditLineCurrencyLocked(msg.sender, core, line.currency, outstanding);
        }

        line.limit = limit;
        line.currency = currency;
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded by type(uint40).max just above
        line.expiry = uint40(expiry);
        line.open = true;
        emit CreditLineSet(msg.sender, core, limit, currency, expiry);
    }

    /// @inheritdoc IReceivables
    function closeCreditLine(address core) external whenNotPaused {
        _requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        CreditLineRecord storage line = _creditLines[msg.sender][core];
        if (line.currency == bytes3(0)) revert CreditLineNotFound(msg.sender, core);
        if (!line.open) revert CreditLineNotOpen(msg.sender, core);

        line.open = false;
        emit CreditLineClosed(msg.sender, core, line.outstanding);
    }

    // ------------------------------------------------------------ vouchers

    /// @inheritdoc IReceivables
    function issue(IssueParams calldata p) external whenNotPaused returns (uint256 rootId) {
        _requireActive(msg.sender, IParticipantRegistry.Role.CoreEnterprise);
        if (p.document == bytes32(0)) revert TradeDocumentMissing(msg.sender);
        bytes32 documentKey = _documentKey(msg.sender, p.document);
        uint256 usedBy = _documentUsedBy[documentKey];
        if (usedBy != 0) revert DocumentAlreadyFinanced(p.document, usedBy);
        if (p.minDenomination == 0 || p.faceValue < p.minDenomination || p.faceValue > _MAX_FACE_VALUE) {
            revert VoucherFaceValueOutOfRange(p.faceValue, p.minDenomination, _MAX_FACE_VALUE);
        }
        if (p.maturity <= block.timestamp || p.maturity > type(uint40).max) {
            revert VoucherMaturityNotInFuture(p.maturity);
        }
        CreditLineRecord storage line = _drawableLine(p.lender, p.currency, p.faceValue);
        _requireActive(p.lender, IParticipantRegistry.Role.Lender);
        _requireActive(p.holder, IParticipantRegistry.Role.Supplier);

        line.outstanding += p.faceValue;
        rootId = ++_rootCount * _PIECES_PER_ROOT;
        _documentUsedBy[documentKey] = rootId;
        // All three values are bounded above: maturity < 2^40, minDenomination <= face < 2^64.
        _rootTerms[rootId].word = RootTermsLibrary.create(p.maturity, p.minDenomination, p.maxDepth);
        _roots[rootId] = RootRecord({
            obligor: msg.sender,
            // forge-lint: disable-next-line(unsafe-typecast) -- faceValue <= 2^64-1, checked above
            faceValue: uint64(p.faceValue),
            lender: p.lender,
            issuedAt: uint40(block.timestamp),
            currency: p.currency,
            payer: address(0),
            document: p.document
        });
        _vouchers[rootId].word = VoucherWordLibrary.issued(p.holder, p.faceValue);
        emit VoucherIssued(
            rootId,
            msg.sender,
            p.holder,
            p.lender,
            p.faceValue,
            p.currency,
            p.maturity,
            p.document,
            p.minDenomination,
            p.maxDepth
        );
        emit Transfer(address(0), p.holder, rootId);
    }

    /// @inheritdoc IReceivables
    function split(uint256 voucherId, address to, uint128 amount) external whenNotPaused returns (uint256 childId) {
        _requireActiveMember(msg.sender);
        PieceSlot storage piece = _vouchers[voucherId];
        VoucherWord word = piece.word;
        uint256 rootId = _rootOf(voucherId);
        TermsSlot storage rootTerms = _rootTerms[rootId];
        RootTerms terms = rootTerms.word;
        _checkSplit(voucherId, word, terms, amount);
        _requireActiveMember(to);

        rootTerms.word = terms.withOneMorePiece();
        // No overflow or borrow, all checked in _checkSplit: the new index is below 1,000,000,
        // amount < value, and the new tier fits 8 bits.
        unchecked {
            childId = rootId + terms.pieceCount() + 1;
            piece.word = word.withValueLess(amount);
            _vouchers[childId].word = VoucherWordLibrary.splitOff(to, amount, word.tier() + 1, voucherId - rootId);
        }
        emit VoucherSplit(rootId, voucherId, to, childId, amount);
        emit Transfer(address(0), to, childId);
    }

    /// @inheritdoc IReceivables
    function transfer(uint256 voucherId, address to) external whenNotPaused {
        _requireActiveMember(msg.sender);
        PieceSlot storage piece = _vouchers[voucherId];
        VoucherWord word = piece.word;
        _checkMovable(voucherId, word);
        uint256 rootId = _rootOf(voucherId);
        _checkNotMatured(voucherId, _rootTerms[rootId].word);
        _requireActiveMember(to);

        piece.word = word.withHolder(to);
        emit VoucherTransferred(rootId, voucherId, to, msg.sender, word.value());
        emit Transfer(msg.sender, to, voucherId);
    }

    /// @inheritdoc IReceivables
    function merge(uint256 voucherId, uint256 otherId) external whenNotPaused returns (uint256 survivorId) {
        _requireActiveMember(msg.sender);
        if (voucherId == otherId) revert MergeWithItself(voucherId);
        uint256 closedId;
        (survivorId, closedId) = voucherId < otherId ? (voucherId, otherId) : (otherId, voucherId);
        PieceSlot storage keptPiece = _vouchers[survivorId];
        VoucherWord kept = keptPiece.word;
        _checkMovable(survivorId, kept);
        PieceSlot storage closedPiece = _vouchers[closedId];
        VoucherWord closed = closedPiece.word;
        _checkMovable(closedId, closed);
        uint256 rootId = _rootOf(survivorId);
        if (_rootOf(closedId) != rootId) revert MergeAcrossRoots(voucherId, otherId);
        _checkNotMatured(survivorId, _rootTerms[rootId].word);

        // Both values are pieces of one face value <= 2^64-1, so the sum fits the field.
        uint64 value = kept.value() + closed.value();
        uint256 tier = kept.tier() > closed.tier() ? kept.tier() : closed.tier();
        keptPiece.word = kept.withValueAndTier(value, tier);
        closedPiece.word = closed.withoutValue().withStatus(VoucherStatus.Merged);
        emit VouchersMerged(rootId, survivorId, closedId, msg.sender, value);
        emit Transfer(msg.sender, address(0), closedId);
    }

    // ------------------------------------------------------------ discount

    /// @inheritdoc IReceivables
    function offerDiscount(uint256 voucherId, address lender, uint128 price) external whenNotPaused {
        _requireActiveMember(msg.sender);
        PieceSlot storage piece = _vouchers[voucherId];
        VoucherWord word = piece.word;
        _checkMovable(voucherId, word);
        uint256 rootId = _rootOf(voucherId);
        _checkNotMatured(voucherId, _rootTerms[rootId].word);
        uint64 value = word.value();
        if (price == 0 || price > value) revert DiscountPriceOutOfRange(voucherId, price, value);
        _requireActive(lender, IParticipantRegistry.Role.Lender);

        // forge-lint: disable-next-line(unsafe-typecast) -- price <= value <= 2^64-1, checked above
        _offers[voucherId] = OfferRecord(lender, uint64(price));
        piece.word = word.withStatus(VoucherStatus.OfferedForDiscount);
        emit DiscountOffered(rootId, voucherId, lender, msg.sender, price);
    }

    /// @inheritdoc IReceivables
    function cancelDiscountOffer(uint256 voucherId) external whenNotPaused {
        _requireActiveMember(msg.sender);
        PieceSlot storage piece = _vouchers[voucherId];
        VoucherWord word = piece.word;
        _checkHolder(voucherId, word);
        if (word.status() != VoucherStatus.OfferedForDiscount) revert NoDiscountOffer(voucherId);

        address lender = _offers[voucherId].lender;
        delete _offers[voucherId];
        piece.word = word.withStatus(VoucherStatus.Active);
        emit DiscountOfferCancelled(_rootOf(voucherId), voucherId, lender);
    }

    /// @inheritdoc IReceivables
    function acceptDiscount(uint256 voucherId, uint128 price, bytes32 paymentRef) external whenNotPaused {
        _requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        VoucherWord word = _vouchers[voucherId].word;
        _checkExists(voucherId, word);
        if (word.status() != VoucherStatus.OfferedForDiscount) revert NoDiscountOffer(voucherId);
        OfferRecord memory offer = _offers[voucherId];
        if (offer.lender != msg.sender) revert NotDiscountOfferee(voucherId, msg.sender, offer.lender);
        if (price != offer.price) revert DiscountPriceMismatch(voucherId, price, offer.price);
        uint256 rootId = _rootOf(voucherId);
        RootTerms terms = _rootTerms[rootId].word;
        _checkNotMatured(voucherId, terms);
        address seller = word.holder();
        _requireActiveMember(seller);
        _requireOtherEntity(msg.sender, seller);

        DiscountRecord memory d = _discountTerms(seller, word.value(), offer.price, terms.maturity(), paymentRef);
        delete _offers[voucherId];
        _discounts[voucherId] = d;
        _vouchers[voucherId].word = word.withHolder(msg.sender).withStatus(VoucherStatus.Active);
        emit VoucherDiscounted(
            rootId, voucherId, msg.sender, seller, d.value, d.price, d.rateBps, d.daysToMaturity, paymentRef
        );
        emit Transfer(seller, msg.sender, voucherId);
    }

    // ------------------------------------------------------------ pledge

    /// @inheritdoc IReceivables
    function requestPledge(
        uint256 voucherId,
        address lender,
        uint128 securedAmount,
        bytes32 loanRef,
        uint64 loanMaturity
    ) external whenNotPaused {
        _requireActiveMember(msg.sender);
        PieceSlot storage piece = _vouchers[voucherId];
        VoucherWord word = piece.word;
        _checkMovable(voucherId, word);
        uint256 rootId = _rootOf(voucherId);
        _checkNotMatured(voucherId, _rootTerms[rootId].word);
        uint64 value = word.value();
        if (securedAmount == 0 || securedAmount > value) {
            revert VoucherSecuredAmountOutOfRange(voucherId, securedAmount, value);
        }
        if (loanMaturity <= block.timestamp || loanMaturity > type(uint40).max) {
            revert VoucherLoanMaturityNotInFuture(voucherId, loanMaturity);
        }
        _requireActive(lender, IParticipantRegistry.Role.Lender);

        _liens[voucherId] = LienRecord({
            lienholder: lender,
            // forge-lint: disable-next-line(unsafe-typecast) -- bounded by type(uint40).max above
            loanMaturity: uint40(loanMaturity),
            // forge-lint: disable-next-line(unsafe-typecast) -- securedAmount <= value <= 2^64-1, checked above
            securedAmount: uint64(securedAmount),
            loanRef: loanRef
        });
        piece.word = word.withStatus(VoucherStatus.PledgeRequested);
        emit VoucherPledgeRequested(rootId, voucherId, lender, msg.sender, securedAmount, loanRef, loanMaturity);
    }

    /// @inheritdoc IReceivables
    function cancelPledgeRequest(uint256 voucherId) external whenNotPaused {
        _requireActiveMember(msg.sender);
        PieceSlot storage piece = _vouchers[voucherId];
        VoucherWord word = piece.word;
        _checkHolder(voucherId, word);
        if (word.status() != VoucherStatus.PledgeRequested) revert VoucherPledgeNotRequested(voucherId);

        address lender = _liens[voucherId].lienholder;
        delete _liens[voucherId];
        piece.word = word.withStatus(VoucherStatus.Active);
        emit VoucherPledgeRequestCancelled(_rootOf(voucherId), voucherId, lender);
    }

    /// @inheritdoc IReceivables
    function acceptPledge(uint256 voucherId, uint128 securedAmount, bytes32 loanRef) external whenNotPaused {
        _requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        PieceSlot storage piece = _vouchers[voucherId];
        VoucherWord word = piece.word;
        _checkExists(voucherId, word);
        VoucherStatus status = word.status();
        if (status == VoucherStatus.Pledged) revert VoucherPledged(voucherId, _liens[voucherId].lienholder);
        if (status != VoucherStatus.PledgeRequested) revert VoucherPledgeNotRequested(voucherId);
        LienRecord storage request = _liens[voucherId];
        if (request.lienholder != msg.sender) revert NotVoucherPledgee(voucherId, msg.sender, request.lienholder);
        if (securedAmount != request.securedAmount || loanRef != request.loanRef) {
            revert VoucherPledgeTermsMismatch(voucherId, securedAmount, loanRef, request.securedAmount, request.loanRef);
        }
        uint256 rootId = _rootOf(voucherId);
        _checkNotMatured(voucherId, _rootTerms[rootId].word);
        address holder = word.holder();
        _requireActiveMember(holder);
        _requireOtherEntity(msg.sender, holder);

        piece.word = word.withStatus(VoucherStatus.Pledged);
        emit VoucherPledgeAccepted(rootId, voucherId, msg.sender, holder, securedAmount, loanRef);
    }

    /// @inheritdoc IReceivables
    /// @dev The lienholder's own standing is not checked (as for receipts): a release only frees the
    /// holder's piece, and a suspended or revoked bank must still be able to let go of it.
    function releasePledge(uint256 voucherId) external whenNotPaused {
        PieceSlot storage piece = _vouchers[voucherId];
        VoucherWord word = piece.word;
        _checkExists(voucherId, word);
        if (word.status() != VoucherStatus.Pledged) revert VoucherNotPledged(voucherId);
        address lienholder = _liens[voucherId].lienholder;
        if (lienholder != msg.sender) revert NotVoucherLienholder(voucherId, msg.sender, lienholder);

        delete _liens[voucherId];
        piece.word = word.withStatus(VoucherStatus.Active);
        emit VoucherPledgeReleased(_rootOf(voucherId), voucherId, msg.sender);
    }

    // ------------------------------------------------------------ settlement

    /// @inheritdoc IReceivables
    function designatePayer(uint256 rootId, address payer) external whenNotPaused {
        _requireActive(msg.sender, IParticipantRegistry.Role.CoreEnterprise);
        RootRecord storage r = _existingRoot(rootId);
        address obligor = r.obligor;
        if (msg.sender != obligor) revert NotVoucherObligor(rootId, msg.sender, obligor);
        if (payer != address(0)) _requireActive(payer, IParticipantRegistry.Role.Lender);

        r.payer = payer;
        emit PayerDesignated(rootId, msg.sender, payer);
    }

    /// @inheritdoc IReceivables
    function settle(uint256 voucherId, bytes32 paymentRef) external whenNotPaused {
        uint256 rootId = _rootOf(voucherId);
        RootRecord storage r = _roots[rootId];
        address obligor = r.obligor;
        if (obligor == address(0)) revert VoucherNotFound(voucherId);
        _checkPayer(rootId, r, obligor);
        VoucherWord word = _vouchers[voucherId].word;
        _checkUnpaid(voucherId, word);
        TermsSlot storage rootTerms = _rootTerms[rootId];
        RootTerms terms = rootTerms.word;
        if (terms.funded()) revert RootAlreadyFunded(rootId);
        if (block.timestamp < terms.maturity()) revert VoucherNotMatured(voucherId, terms.maturity());

        uint64 value = word.value();
        address lienholder = _discharge(rootId, voucherId, word);
        rootTerms.word = terms.withSettled(value);
        _creditLines[r.lender][obligor].outstanding -= value;
        _vouchers[voucherId].word = word.withStatus(VoucherStatus.Settled);
        emit VoucherSettled(rootId, voucherId, word.holder(), value, msg.sender, lienholder, paymentRef);
        emit Transfer(word.holder(), address(0), voucherId);
    }

    /// @inheritdoc IReceivables
    function fundRoot(uint256 rootId, bytes32 paymentRef) external whenNotPaused {
        RootRecord storage r = _existingRoot(rootId);
        address obligor = r.obligor;
        _checkPayer(rootId, r, obligor);
        TermsSlot storage rootTerms = _rootTerms[rootId];
        RootTerms terms = rootTerms.word;
        if (terms.funded()) revert RootAlreadyFunded(rootId);
        if (block.timestamp < terms.maturity()) revert RootNotMatured(rootId, terms.maturity());
        uint64 amount = r.faceValue - terms.settled();
        if (amount == 0) revert RootFullySettled(rootId);

        rootTerms.word = terms.withFunded();
        _creditLines[r.lender][obligor].outstanding -= amount;
        emit RootFunded(rootId, msg.sender, amount, paymentRef);
    }

    /// @inheritdoc IReceivables
    function redeem(uint256 voucherId) external whenNotPaused {
        _requireActiveMember(msg.sender);
        PieceSlot storage piece = _vouchers[voucherId];
        VoucherWord word = piece.word;
        _checkUnpaid(voucherId, word);
        uint256 rootId = _rootOf(voucherId);
        TermsSlot storage rootTerms = _rootTerms[rootId];
        RootTerms terms = rootTerms.word;
        if (!terms.funded()) revert RootNotFunded(rootId);

        uint64 value = word.value();
        address lienholder = _discharge(rootId, voucherId, word);
        rootTerms.word = terms.withSettled(value);
        piece.word = word.withStatus(VoucherStatus.Settled);
        emit VoucherRedeemed(rootId, voucherId, word.holder(), value, lienholder);
        emit Transfer(word.holder(), address(0), voucherId);
    }

    /// @inheritdoc IReceivables
    function markOverdue(uint256 voucherId) external whenNotPaused {
        _requireActiveMember(msg.sender);
        PieceSlot storage piece = _vouchers[voucherId];
        VoucherWord word = piece.word;
        _checkUnpaid(voucherId, word);
        if (word.overdue()) revert VoucherAlreadyOverdue(voucherId);
        uint256 rootId = _rootOf(voucherId);
        TermsSlot storage rootTerms = _rootTerms[rootId];
        RootTerms terms = rootTerms.word;
        if (terms.funded()) revert RootAlreadyFunded(rootId);
        uint64 overdueFrom = uint64(terms.maturity()) + _gracePeriod;
        if (block.timestamp <= overdueFrom) revert VoucherGracePeriodRunning(voucherId, overdueFrom);

        piece.word = word.withOverdue();
        emit VoucherMarkedOverdue(rootId, voucherId, word.holder(), word.value(), terms.maturity());
    }

    // ------------------------------------------------------------ emergency stop

    /// @inheritdoc IReceivables
    function pause() external {
        _checkConsortiumAdmin();
        _pause();
    }

    /// @inheritdoc IReceivables
    function unpause() external {
        _checkConsortiumAdmin();
        _unpause();
    }

    // ------------------------------------------------------------ reads

    /// @inheritdoc IReceivables
    function voucher(uint256 voucherId) external view returns (Voucher memory v) {
        PieceSlot storage piece = _vouchers[voucherId];
        VoucherWord word = piece.word;
        VoucherStatus status = word.status();
        if (status == VoucherStatus.None) return v;
        uint256 rootId = _rootOf(voucherId);
        v.holder = word.holder();
        v.value = word.value();
        v.rootId = rootId;
        v.parentId = voucherId == rootId ? 0 : rootId + word.parentIndex();
        // forge-lint: disable-next-line(unsafe-typecast) -- the tier field is 8 bits wide
        v.tier = uint8(word.tier());
        v.status = status;
        v.overdue = word.overdue();
    }

    /// @inheritdoc IReceivables
    function root(uint256 rootId) external view returns (Root memory out) {
        RootRecord storage r = _roots[rootId];
        if (r.obligor == address(0)) return out;
        TermsSlot storage rootTerms = _rootTerms[rootId];
        RootTerms terms = rootTerms.word;
        out.obligor = r.obligor;
        out.lender = r.lender;
        out.payer = r.payer;
        out.currency = r.currency;
        out.faceValue = r.faceValue;
        out.settled = terms.settled();
        out.outstanding = r.faceValue - terms.settled();
        out.issuedAt = r.issuedAt;
        out.maturity = terms.maturity();
        out.minDenomination = terms.minDenomination();
        out.maxDepth = terms.maxDepth();
        // forge-lint: disable-next-line(unsafe-typecast) -- the counter stays below 1,000,000
        out.pieceCount = uint32(terms.pieceCount() + 1);
        out.funded = terms.funded();
        out.document = r.document;
    }

    /// @inheritdoc IReceivables
    function creditLine(address lender, address core) external view returns (CreditLine memory) {
        CreditLineRecord storage line = _creditLines[lender][core];
        return CreditLine(line.limit, line.outstanding, line.currency, line.expiry, line.open);
    }

    /// @inheritdoc IReceivables
    function documentUsedBy(address obligor, bytes32 document) external view returns (uint256) {
        return _documentUsedBy[_documentKey(obligor, document)];
    }

    /// @inheritdoc IReceivables
    function lien(uint256 voucherId) external view returns (Lien memory) {
        LienRecord storage l = _liens[voucherId];
        bool accepted = _vouchers[voucherId].word.status() == VoucherStatus.Pledged;
        return Lien(l.lienholder, l.securedAmount, l.loanMaturity, accepted, l.loanRef);
    }

    /// @inheritdoc IReceivables
    function discountOffer(uint256 voucherId) external view returns (DiscountOffer memory) {
        OfferRecord storage o = _offers[voucherId];
        return DiscountOffer(o.lender, o.price);
    }

    /// @inheritdoc IReceivables
    function discount(uint256 voucherId) external view returns (Discount memory) {
        DiscountRecord storage d = _discounts[voucherId];
        return Discount(d.lender, d.seller, d.value, d.price, d.rateBps, d.daysToMaturity, d.paymentRef);
    }

    /// @inheritdoc IReceivables
    function paused() public view override(IReceivables, Pausable) returns (bool) {
        return super.paused();
    }

    /// @inheritdoc IReceivables
    function registry() external view returns (IParticipantRegistry) {
        return _registry;
    }

    /// @inheritdoc IReceivables
    function gracePeriod() external view returns (uint32) {
        return _gracePeriod;
    }

    /// @inheritdoc IStandingSubscriber
    function mirroredStanding(address account)
        external
        view
        returns (bool current, IParticipantRegistry.Standing memory standing)
    {
        uint256 word = _standing[account];
        current = _standingLive && MemberStanding.epoch(word) == _standingEpoch;
        standing = MemberStanding.unpack(word);
    }

    /// @inheritdoc IStandingSubscriber
    function standingFeed() external view returns (bool subscribed, uint32 epoch) {
        return (_standingLive, _standingEpoch);
    }

    // ------------------------------------------------------------ internals: registry

    /// @dev `_registry.requireActiveMember(account)`: answered from the mirrored standing when it is
    /// current (same errors, same order), else by the registry, bubbling its error.
    function _requireActiveMember(address account) private view {
        uint256 word = _standing[account];
        if (_standingLive && MemberStanding.epoch(word) == _standingEpoch) {
            MemberStanding.check(word, account, IParticipantRegistry.Role.None);
            return;
        }
        address target = address(_registry);
        assembly ("memory-safe") {
            // Calldata in scratch space (0x00-0x3f): selector, then the address. Values narrower
            // than a word may carry dirty high bits in assembly, so the address is cleaned.
            mstore(0x00, shl(224, _REQUIRE_ACTIVE_MEMBER))
            mstore(0x04, and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            if iszero(staticcall(gas(), target, 0x00, 0x24, 0x00, 0x00)) {
                let ptr := mload(0x40)
                returndatacopy(ptr, 0x00, returndatasize())
                revert(ptr, returndatasize())
            }
        }
    }

    /// @dev `_registry.requireActive(account, role)`: answered from the mirrored standing when it is
    /// current (same errors, same order), else by the registry, bubbling its error.
    function _requireActive(address account, IParticipantRegistry.Role role) private view {
        uint256 word = _standing[account];
        if (_standingLive && MemberStanding.epoch(word) == _standingEpoch) {
            MemberStanding.check(word, account, role);
            return;
        }
        address target = address(_registry);
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, shl(224, _REQUIRE_ACTIVE))
            mstore(add(ptr, 0x04), and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x24), and(role, 0xff))
            if iszero(staticcall(gas(), target, ptr, 0x44, 0x00, 0x00)) {
                returndatacopy(ptr, 0x00, returndatasize())
                revert(ptr, returndatasize())
            }
        }
    }

    /// @dev A trade document is "already financed" per obligor entity: another core enterprise
    /// committing the same hash does not block the real obligor, while the same entity under a
    /// second address still collides with itself. The key hashes the obligor's entity tag (from
    /// its mirrored standing word; from the registry when none was pushed) with the document; an
    /// obligor admitted without an entity id stands for itself (its address).
    function _documentKey(address obligor, bytes32 document) private view returns (bytes32 key) {
        uint256 entity = _standing[obligor] >> 128;
        if (entity == 0) entity = _entityTag(obligor);
        if (entity == 0) entity = uint160(obligor);
        assembly ("memory-safe") {
            mstore(0x00, entity)
            mstore(0x20, document)
            key := keccak256(0x00, 0x40)
        }
    }

    /// @dev 128 bits of the hash of `account`'s entity id; 0 when it has none (or is no member).
    function _entityTag(address account) private view returns (uint256) {
        bytes32 entity = _registry.entityOf(account);
        return entity == bytes32(0) ? 0 : uint256(keccak256(abi.encode(entity))) >> 128;
    }

    /// @dev A lender must not finance (discount or take a pledge from) its own legal entity
    /// ({IParticipantRegistry-SameEntity}; a zero entity id means none was declared).
    function _requireOtherEntity(address lender, address counterparty) private view {
        _registry.requireIndependent(lender, counterparty);
    }

    // ------------------------------------------------------------ internals: checks

    /// @dev The caller's line from `lender`, checked to take `amount` more in `currency`.
    function _drawableLine(address lender, bytes3 currency, uint128 amount)
        private
        view
        returns (CreditLineRecord storage line)
    {
        line = _creditLines[lender][msg.sender];
        if (line.currency == bytes3(0)) revert CreditLineNotFound(lender, msg.sender);
        if (!line.open) revert CreditLineNotOpen(lender, msg.sender);
        if (block.timestamp > line.expiry) revert CreditLineExpired(lender, msg.sender, line.expiry);
        if (line.currency != currency) revert CreditLineCurrencyMismatch(lender, msg.sender, line.currency, currency);
        uint128 available = line.limit - line.outstanding;
        if (amount > available) revert CreditLimitExceeded(lender, msg.sender, amount, available);
    }

    function _existingRoot(uint256 rootId) private view returns (RootRecord storage r) {
        r = _roots[rootId];
        if (r.obligor == address(0)) revert RootNotFound(rootId);
    }

    /// @dev The caller must be the root's obligor (active core enterprise) or its paying bank
    /// (active lender).
    function _checkPayer(uint256 rootId, RootRecord storage r, address obligor) private view {
        if (msg.sender == obligor) {
            _requireActive(msg.sender, IParticipantRegistry.Role.CoreEnterprise);
        } else if (msg.sender == r.payer) {
            _requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        } else {
            revert NotVoucherPayer(rootId, msg.sender, obligor);
        }
    }

    function _checkConsortiumAdmin() private view {
        if (!IAccessControl(address(_registry)).hasRole(0x00, msg.sender)) {
            revert CallerNotConsortiumAdmin(msg.sender);
        }
    }

    function _checkExists(uint256 voucherId, VoucherWord word) private pure {
        if (word.status() == VoucherStatus.None) revert VoucherNotFound(voucherId);
    }

    function _checkHolder(uint256 voucherId, VoucherWord word) private view {
        _checkExists(voucherId, word);
        address holder = word.holder();
        if (holder != msg.sender) revert NotVoucherHolder(voucherId, msg.sender, holder);
    }

    /// @dev The caller holds the piece and it is free to move: not offered, pledged or closed.
    function _checkMovable(uint256 voucherId, VoucherWord word) private view {
        // Fast path, one comparison: held by the caller and Active. Otherwise one of the checks
        // below reverts with the precise reason.
        if (word.isActiveHeldBy(msg.sender)) return;
        _checkHolder(voucherId, word);
        VoucherStatus status = word.status();
        if (status == VoucherStatus.Active) return;
        if (status == VoucherStatus.Pledged) revert VoucherPledged(voucherId, _liens[voucherId].lienholder);
        if (status == VoucherStatus.PledgeRequested) {
            revert VoucherPledgeRequestPending(voucherId, _liens[voucherId].lienholder);
        }
        if (status == VoucherStatus.OfferedForDiscount) {
            revert VoucherOfferedForDiscount(voucherId, _offers[voucherId].lender);
        }
        _checkUnpaid(voucherId, word);
    }

    /// @dev The piece exists and is neither settled nor merged away.
    function _checkUnpaid(uint256 voucherId, VoucherWord word) private pure {
        VoucherStatus status = word.status();
        if (status == VoucherStatus.None) revert VoucherNotFound(voucherId);
        if (status == VoucherStatus.Settled) revert VoucherAlreadySettled(voucherId);
        if (status == VoucherStatus.Merged) revert VoucherClosedByMerge(voucherId);
    }

    function _checkNotMatured(uint256 voucherId, RootTerms terms) private view {
        uint40 maturity = terms.maturity();
        if (block.timestamp >= maturity) revert VoucherMatured(voucherId, maturity);
    }

    // ------------------------------------------------------------ internals: computations

    /// @dev Reverts unless the caller may split `amount` off piece `word` of a root with `terms`:
    /// movable by the caller, before maturity, both parts at least the minimum denomination, the
    /// child within the root's depth, and an index left for the child.
    function _checkSplit(uint256 voucherId, VoucherWord word, RootTerms terms, uint128 amount) private view {
        _checkMovable(voucherId, word);
        _checkNotMatured(voucherId, terms);
        uint64 value = word.value();
        if (amount >= value) revert SplitExceedsValue(voucherId, amount, value);
        uint256 remainder;
        uint256 tier;
        unchecked {
            // amount < value: no borrow; the tier field is 8 bits, so tier + 1 <= 256.
            remainder = value - amount;
            tier = word.tier() + 1;
        }
        uint64 minDenomination = terms.minDenomination();
        if (amount < minDenomination || remainder < minDenomination) {
            // forge-lint: disable-next-line(unsafe-typecast) -- remainder < value <= 2^64-1
            revert SplitBelowMinimumDenomination(voucherId, amount, uint128(remainder), minDenomination);
        }
        if (tier > terms.maxDepth()) revert VoucherTierTooDeep(voucherId, tier, terms.maxDepth());
        if (terms.pieceCount() + 1 >= _PIECES_PER_ROOT) {
            revert RootPieceLimitReached(_rootOf(voucherId), _PIECES_PER_ROOT - 1);
        }
    }

    /// @dev The terms of a discount accepted now by the caller; see {IReceivables-Discount}.
    function _discountTerms(address seller, uint64 value, uint64 price, uint40 maturity, bytes32 paymentRef)
        private
        view
        returns (DiscountRecord memory)
    {
        // A started day counts as a whole day; maturity is in the future, so days >= 1. The whole-day
        // count is the business quantity the rate is defined on, so dividing first is the
        // specification (security/slither-triage.md).
        // slither-disable-next-line divide-before-multiply
        uint256 daysToMaturity = (uint256(maturity) - block.timestamp + 1 days - 1) / 1 days;
        // (value - price) / value < 1, so the rate is below 360 * 10_000 and fits 32 bits.
        // slither-disable-next-line divide-before-multiply
        uint256 rateBps = (uint256(value - price) * _DAY_COUNT_BASIS * _BPS) / (uint256(value) * daysToMaturity);
        return DiscountRecord({
            seller: seller,
            price: price,
            // forge-lint: disable-next-line(unsafe-typecast) -- maturity < 2^40 s, so days < 2^24
            daysToMaturity: uint32(daysToMaturity),
            lender: msg.sender,
            value: value,
            // forge-lint: disable-next-line(unsafe-typecast) -- rateBps < 3_600_000, see above
            rateBps: uint32(rateBps),
            paymentRef: paymentRef
        });
    }

    // ------------------------------------------------------------ internals: effects

    /// @dev On payment: discharges a lien (returning the lienholder), or voids an open pledge
    /// request or discount offer (emitting its cancellation).
    function _discharge(uint256 rootId, uint256 voucherId, VoucherWord word) private returns (address lienholder) {
        VoucherStatus status = word.status();
        if (status == VoucherStatus.Pledged) {
            lienholder = _liens[voucherId].lienholder;
            delete _liens[voucherId];
        } else if (status == VoucherStatus.PledgeRequested) {
            address lender = _liens[voucherId].lienholder;
            delete _liens[voucherId];
            emit VoucherPledgeRequestCancelled(rootId, voucherId, lender);
        } else if (status == VoucherStatus.OfferedForDiscount) {
            address lender = _offers[voucherId].lender;
            delete _offers[voucherId];
            emit DiscountOfferCancelled(rootId, voucherId, lender);
        }
    }

    // ------------------------------------------------------------ internals: packed words

    function _rootOf(uint256 voucherId) private pure returns (uint256) {
        return voucherId - (voucherId % _PIECES_PER_ROOT);
    }
}
