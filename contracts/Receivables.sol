// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {IReceivables} from "./interfaces/IReceivables.sol";

/// @title Receivables
/// @notice Supply-chain payable vouchers: credit lines, issue, split-down, discount, pledge and
/// settlement; see {IReceivables}.
/// @dev Storage is laid out for the hot path (split and transfer by suppliers):
///
/// * A piece is ONE storage word (`_vouchers`), packed by hand:
///   bits   0-159 holder | 160-223 value (uint64) | 224-231 tier | 232-234 status |
///   bit  235 overdue    | 236-255 index of the parent piece within its root (20 bits).
///   The root id is not stored: it is `voucherId - voucherId % 1_000_000` (see {IReceivables}), and
///   the parent id is `rootId + parentIndex`, so the parent link costs no extra slot. A split writes
///   the parent's word, the child's (new) word and the root's piece counter: one fresh slot.
/// * A root's record spans five slots; slot 0 holds everything split/transfer/settle need
///   (maturity, minimum denomination, settled total, piece counter, max depth, funded flag,
///   currency); obligor+face, lender, paying bank and document commitment are read only when needed.
/// * Face values are capped at 2^64-1 minor units so that every value fits the 64-bit field.
///
/// No function loops. Settlement is per piece ({settle}/{redeem}) or per root ({fundRoot}).
/// The only external calls go to the trusted participant registry's view functions (STATICCALL),
/// before any state change.
contract Receivables is IReceivables, Pausable {
    /// @inheritdoc IReceivables
    string public constant VERSION = "1.0.0";

    /// @dev Voucher ids of one root are rootId + 0 .. rootId + 999_999.
    uint256 private constant _PIECES_PER_ROOT = 1_000_000;
    uint64 private constant _MAX_FACE_VALUE = type(uint64).max;
    uint256 private constant _BPS = 10_000;
    uint256 private constant _DAY_COUNT_BASIS = 360;

    uint256 private constant _VALUE_SHIFT = 160;
    uint256 private constant _TIER_SHIFT = 224;
    uint256 private constant _STATUS_SHIFT = 232;
    uint256 private constant _OVERDUE_BIT = 1 << 235;
    uint256 private constant _PARENT_SHIFT = 236;
    uint256 private constant _HOLDER_MASK = type(uint160).max;
    uint256 private constant _VALUE_MASK = uint256(type(uint64).max) << _VALUE_SHIFT;
    uint256 private constant _TIER_MASK = uint256(0xff) << _TIER_SHIFT;
    uint256 private constant _STATUS_MASK = uint256(7) << _STATUS_SHIFT;

    /// @dev Field order packs slot 0 with what the hot paths read; see the contract's @dev.
    struct RootRecord {
        // slot 0
        uint40 maturity;
        uint64 minDenomination;
        uint64 settled;
        uint32 pieceCount;
        uint8 maxDepth;
        bool funded;
        bytes3 currency;
        // slot 1
        address obligor;
        uint64 faceValue;
        // slot 2
        address lender;
        uint40 issuedAt;
        // slot 3
        address payer;
        // slot 4
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

    uint256 private _rootCount;
    mapping(uint256 voucherId => uint256 packed) private _vouchers;
    mapping(uint256 rootId => RootRecord) private _roots;
    mapping(address lender => mapping(address core => CreditLineRecord)) private _creditLines;
    mapping(bytes32 document => uint256 rootId) private _documentUsedBy;
    mapping(uint256 voucherId => OfferRecord) private _offers;
    mapping(uint256 voucherId => DiscountRecord) private _discounts;
    mapping(uint256 voucherId => LienRecord) private _liens;

    /// @param registry_ The participant registry every party is checked against.
    /// @param gracePeriod_ Seconds after maturity before an unpaid piece can be marked overdue.
    constructor(IParticipantRegistry registry_, uint32 gracePeriod_) {
        if (address(registry_) == address(0)) revert RegistryAddressZero();
        _registry = registry_;
        _gracePeriod = gracePeriod_;
    }

    // ------------------------------------------------------------ credit lines

    /// @inheritdoc IReceivables
    function setCreditLine(address core, uint128 limit, bytes3 currency, uint64 expiry) external whenNotPaused {
        _registry.requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        CreditLineRecord storage line = _creditLines[msg.sender][core];
        // Granting or raising credit needs an active core enterprise; cutting exposure never does.
        if (line.currency == bytes3(0) || limit > line.limit) {
            _registry.requireActive(core, IParticipantRegistry.Role.CoreEnterprise);
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
        _registry.requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        CreditLineRecord storage line = _creditLines[msg.sender][core];
        if (line.currency == bytes3(0)) revert CreditLineNotFound(msg.sender, core);
        if (!line.open) revert CreditLineNotOpen(msg.sender, core);
        line.open = false;
        emit CreditLineClosed(msg.sender, core, line.outstanding);
    }

    // ------------------------------------------------------------ vouchers

    /// @inheritdoc IReceivables
    function issue(IssueParams calldata p) external whenNotPaused returns (uint256 rootId) {
        _registry.requireActive(msg.sender, IParticipantRegistry.Role.CoreEnterprise);
        if (p.document == bytes32(0)) revert TradeDocumentMissing(msg.sender);
        uint256 usedBy = _documentUsedBy[p.document];
        if (usedBy != 0) revert DocumentAlreadyFinanced(p.document, usedBy);
        if (p.minDenomination == 0 || p.faceValue < p.minDenomination || p.faceValue > _MAX_FACE_VALUE) {
            revert VoucherFaceValueOutOfRange(p.faceValue, p.minDenomination, _MAX_FACE_VALUE);
        }
        if (p.maturity <= block.timestamp || p.maturity > type(uint40).max) {
            revert VoucherMaturityNotInFuture(p.maturity);
        }
        CreditLineRecord storage line = _drawableLine(p.lender, p.currency, p.faceValue);
        _registry.requireActive(p.lender, IParticipantRegistry.Role.Lender);
        _registry.requireActive(p.holder, IParticipantRegistry.Role.Supplier);

        line.outstanding += p.faceValue;
        rootId = ++_rootCount * _PIECES_PER_ROOT;
        _documentUsedBy[p.document] = rootId;
        RootRecord storage r = _roots[rootId];
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded by type(uint40).max above
        r.maturity = uint40(p.maturity);
        // forge-lint: disable-next-line(unsafe-typecast) -- minDenomination <= faceValue <= 2^64-1, checked above
        r.minDenomination = uint64(p.minDenomination);
        r.maxDepth = p.maxDepth;
        r.currency = p.currency;
        r.obligor = msg.sender;
        // forge-lint: disable-next-line(unsafe-typecast) -- faceValue <= 2^64-1, checked above
        r.faceValue = uint64(p.faceValue);
        r.lender = p.lender;
        r.issuedAt = uint40(block.timestamp);
        r.document = p.document;
        _vouchers[rootId] = _pack(p.holder, p.faceValue, 0, VoucherStatus.Active, 0);
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
    }

    /// @inheritdoc IReceivables
    function split(uint256 voucherId, address to, uint128 amount) external whenNotPaused returns (uint256 childId) {
        _registry.requireActiveMember(msg.sender);
        uint256 rootId = _rootOf(voucherId);
        RootRecord storage r = _roots[rootId];
        (uint256 parentWord, uint256 childWord, uint256 index) = _splitWords(voucherId, rootId, r, to, amount);
        _registry.requireActiveMember(to);

        // forge-lint: disable-next-line(unsafe-typecast) -- index < 1_000_000, checked in _splitWords
        r.pieceCount = uint32(index);
        childId = rootId + index;
        _vouchers[voucherId] = parentWord;
        _vouchers[childId] = childWord;
        // forge-lint: disable-next-line(unsafe-typecast) -- the tier field is 8 bits wide
        emit VoucherSplit(rootId, voucherId, to, childId, msg.sender, _value(childWord), uint8(_tier(childWord)));
    }

    /// @inheritdoc IReceivables
    function transfer(uint256 voucherId, address to) external whenNotPaused {
        _registry.requireActiveMember(msg.sender);
        uint256 word = _vouchers[voucherId];
        _checkMovable(voucherId, word);
        uint256 rootId = _rootOf(voucherId);
        _checkNotMatured(voucherId, _roots[rootId].maturity);
        _registry.requireActiveMember(to);

        _vouchers[voucherId] = (word & ~_HOLDER_MASK) | uint256(uint160(to));
        emit VoucherTransferred(rootId, voucherId, to, msg.sender, _value(word));
    }

    /// @inheritdoc IReceivables
    function merge(uint256 voucherId, uint256 otherId) external whenNotPaused returns (uint256 survivorId) {
        _registry.requireActiveMember(msg.sender);
        if (voucherId == otherId) revert MergeWithItself(voucherId);
        uint256 closedId;
        (survivorId, closedId) = voucherId < otherId ? (voucherId, otherId) : (otherId, voucherId);
        uint256 kept = _vouchers[survivorId];
        _checkMovable(survivorId, kept);
        uint256 closed = _vouchers[closedId];
        _checkMovable(closedId, closed);
        uint256 rootId = _rootOf(survivorId);
        if (_rootOf(closedId) != rootId) revert MergeAcrossRoots(voucherId, otherId);
        _checkNotMatured(survivorId, _roots[rootId].maturity);

        // Both values are pieces of one face value <= 2^64-1, so the sum fits the field.
        uint64 value = _value(kept) + _value(closed);
        uint256 tier = _tier(kept) > _tier(closed) ? _tier(kept) : _tier(closed);
        _vouchers[survivorId] =
            (kept & ~(_VALUE_MASK | _TIER_MASK)) | (uint256(value) << _VALUE_SHIFT) | (tier << _TIER_SHIFT);
        _vouchers[closedId] = _withStatus(closed & ~_VALUE_MASK, VoucherStatus.Merged);
        emit VouchersMerged(rootId, survivorId, closedId, msg.sender, value);
    }

    // ------------------------------------------------------------ discount

    /// @inheritdoc IReceivables
    function offerDiscount(uint256 voucherId, address lender, uint128 price) external whenNotPaused {
        _registry.requireActiveMember(msg.sender);
        uint256 word = _vouchers[voucherId];
        _checkMovable(voucherId, word);
        uint256 rootId = _rootOf(voucherId);
        _checkNotMatured(voucherId, _roots[rootId].maturity);
        uint64 value = _value(word);
        if (price == 0 || price > value) revert DiscountPriceOutOfRange(voucherId, price, value);
        _registry.requireActive(lender, IParticipantRegistry.Role.Lender);

        // forge-lint: disable-next-line(unsafe-typecast) -- price <= value <= 2^64-1, checked above
        _offers[voucherId] = OfferRecord(lender, uint64(price));
        _vouchers[voucherId] = _withStatus(word, VoucherStatus.OfferedForDiscount);
        emit DiscountOffered(rootId, voucherId, lender, msg.sender, price);
    }

    /// @inheritdoc IReceivables
    function cancelDiscountOffer(uint256 voucherId) external whenNotPaused {
        _registry.requireActiveMember(msg.sender);
        uint256 word = _vouchers[voucherId];
        _checkHolder(voucherId, word);
        if (_status(word) != VoucherStatus.OfferedForDiscount) revert NoDiscountOffer(voucherId);

        address lender = _offers[voucherId].lender;
        delete _offers[voucherId];
        _vouchers[voucherId] = _withStatus(word, VoucherStatus.Active);
        emit DiscountOfferCancelled(_rootOf(voucherId), voucherId, lender);
    }

    /// @inheritdoc IReceivables
    function acceptDiscount(uint256 voucherId, uint128 price, bytes32 paymentRef) external whenNotPaused {
        _registry.requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        uint256 word = _vouchers[voucherId];
        _checkExists(voucherId, word);
        if (_status(word) != VoucherStatus.OfferedForDiscount) revert NoDiscountOffer(voucherId);
        OfferRecord memory offer = _offers[voucherId];
        if (offer.lender != msg.sender) revert NotDiscountOfferee(voucherId, msg.sender, offer.lender);
        if (price != offer.price) revert DiscountPriceMismatch(voucherId, price, offer.price);
        uint256 rootId = _rootOf(voucherId);
        uint40 maturity = _roots[rootId].maturity;
        _checkNotMatured(voucherId, maturity);
        address seller = _holder(word);
        _registry.requireActiveMember(seller);

        DiscountRecord memory d = _discountTerms(seller, _value(word), offer.price, maturity, paymentRef);
        delete _offers[voucherId];
        _discounts[voucherId] = d;
        _vouchers[voucherId] = _withStatus((word & ~_HOLDER_MASK) | uint256(uint160(msg.sender)), VoucherStatus.Active);
        emit VoucherDiscounted(
            rootId, voucherId, msg.sender, seller, d.value, d.price, d.rateBps, d.daysToMaturity, paymentRef
        );
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
        _registry.requireActiveMember(msg.sender);
        uint256 word = _vouchers[voucherId];
        _checkMovable(voucherId, word);
        uint256 rootId = _rootOf(voucherId);
        _checkNotMatured(voucherId, _roots[rootId].maturity);
        uint64 value = _value(word);
        if (securedAmount == 0 || securedAmount > value) {
            revert VoucherSecuredAmountOutOfRange(voucherId, securedAmount, value);
        }
        if (loanMaturity <= block.timestamp || loanMaturity > type(uint40).max) {
            revert VoucherLoanMaturityNotInFuture(voucherId, loanMaturity);
        }
        _registry.requireActive(lender, IParticipantRegistry.Role.Lender);

        _liens[voucherId] = LienRecord({
            lienholder: lender,
            // forge-lint: disable-next-line(unsafe-typecast) -- bounded by type(uint40).max above
            loanMaturity: uint40(loanMaturity),
            // forge-lint: disable-next-line(unsafe-typecast) -- securedAmount <= value <= 2^64-1, checked above
            securedAmount: uint64(securedAmount),
            loanRef: loanRef
        });
        _vouchers[voucherId] = _withStatus(word, VoucherStatus.PledgeRequested);
        emit VoucherPledgeRequested(rootId, voucherId, lender, msg.sender, securedAmount, loanRef, loanMaturity);
    }

    /// @inheritdoc IReceivables
    function cancelPledgeRequest(uint256 voucherId) external whenNotPaused {
        _registry.requireActiveMember(msg.sender);
        uint256 word = _vouchers[voucherId];
        _checkHolder(voucherId, word);
        if (_status(word) != VoucherStatus.PledgeRequested) revert VoucherPledgeNotRequested(voucherId);

        address lender = _liens[voucherId].lienholder;
        delete _liens[voucherId];
        _vouchers[voucherId] = _withStatus(word, VoucherStatus.Active);
        emit VoucherPledgeRequestCancelled(_rootOf(voucherId), voucherId, lender);
    }

    /// @inheritdoc IReceivables
    function acceptPledge(uint256 voucherId, uint128 securedAmount, bytes32 loanRef) external whenNotPaused {
        _registry.requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        uint256 word = _vouchers[voucherId];
        _checkExists(voucherId, word);
        VoucherStatus status = _status(word);
        if (status == VoucherStatus.Pledged) revert VoucherPledged(voucherId, _liens[voucherId].lienholder);
        if (status != VoucherStatus.PledgeRequested) revert VoucherPledgeNotRequested(voucherId);
        LienRecord storage request = _liens[voucherId];
        if (request.lienholder != msg.sender) revert NotVoucherPledgee(voucherId, msg.sender, request.lienholder);
        if (securedAmount != request.securedAmount || loanRef != request.loanRef) {
            revert VoucherPledgeTermsMismatch(voucherId, securedAmount, loanRef, request.securedAmount, request.loanRef);
        }
        uint256 rootId = _rootOf(voucherId);
        _checkNotMatured(voucherId, _roots[rootId].maturity);
        address holder = _holder(word);
        _registry.requireActiveMember(holder);

        _vouchers[voucherId] = _withStatus(word, VoucherStatus.Pledged);
        emit VoucherPledgeAccepted(rootId, voucherId, msg.sender, holder, securedAmount, loanRef);
    }

    /// @inheritdoc IReceivables
    function releasePledge(uint256 voucherId) external whenNotPaused {
        _registry.requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        uint256 word = _vouchers[voucherId];
        _checkExists(voucherId, word);
        if (_status(word) != VoucherStatus.Pledged) revert VoucherNotPledged(voucherId);
        address lienholder = _liens[voucherId].lienholder;
        if (lienholder != msg.sender) revert NotVoucherLienholder(voucherId, msg.sender, lienholder);

        delete _liens[voucherId];
        _vouchers[voucherId] = _withStatus(word, VoucherStatus.Active);
        emit VoucherPledgeReleased(_rootOf(voucherId), voucherId, msg.sender);
    }

    // ------------------------------------------------------------ settlement

    /// @inheritdoc IReceivables
    function designatePayer(uint256 rootId, address payer) external whenNotPaused {
        _registry.requireActive(msg.sender, IParticipantRegistry.Role.CoreEnterprise);
        RootRecord storage r = _existingRoot(rootId);
        address obligor = r.obligor;
        if (msg.sender != obligor) revert NotVoucherObligor(rootId, msg.sender, obligor);
        if (payer != address(0)) _registry.requireActive(payer, IParticipantRegistry.Role.Lender);

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
        uint256 word = _vouchers[voucherId];
        _checkUnpaid(voucherId, word);
        if (r.funded) revert RootAlreadyFunded(rootId);
        uint40 maturity = r.maturity;
        if (block.timestamp < maturity) revert VoucherNotMatured(voucherId, maturity);

        uint64 value = _value(word);
        address lienholder = _discharge(rootId, voucherId, word);
        r.settled += value;
        _creditLines[r.lender][obligor].outstanding -= value;
        _vouchers[voucherId] = _withStatus(word, VoucherStatus.Settled);
        emit VoucherSettled(rootId, voucherId, _holder(word), value, msg.sender, lienholder, paymentRef);
    }

    /// @inheritdoc IReceivables
    function fundRoot(uint256 rootId, bytes32 paymentRef) external whenNotPaused {
        RootRecord storage r = _existingRoot(rootId);
        address obligor = r.obligor;
        _checkPayer(rootId, r, obligor);
        if (r.funded) revert RootAlreadyFunded(rootId);
        uint40 maturity = r.maturity;
        if (block.timestamp < maturity) revert RootNotMatured(rootId, maturity);
        uint64 amount = r.faceValue - r.settled;
        if (amount == 0) revert RootFullySettled(rootId);

        r.funded = true;
        _creditLines[r.lender][obligor].outstanding -= amount;
        emit RootFunded(rootId, msg.sender, amount, paymentRef);
    }

    /// @inheritdoc IReceivables
    function redeem(uint256 voucherId) external whenNotPaused {
        _registry.requireActiveMember(msg.sender);
        uint256 word = _vouchers[voucherId];
        _checkUnpaid(voucherId, word);
        uint256 rootId = _rootOf(voucherId);
        RootRecord storage r = _roots[rootId];
        if (!r.funded) revert RootNotFunded(rootId);

        uint64 value = _value(word);
        address lienholder = _discharge(rootId, voucherId, word);
        r.settled += value;
        _vouchers[voucherId] = _withStatus(word, VoucherStatus.Settled);
        emit VoucherRedeemed(rootId, voucherId, _holder(word), value, lienholder);
    }

    /// @inheritdoc IReceivables
    function markOverdue(uint256 voucherId) external whenNotPaused {
        _registry.requireActiveMember(msg.sender);
        uint256 word = _vouchers[voucherId];
        _checkUnpaid(voucherId, word);
        if (word & _OVERDUE_BIT != 0) revert VoucherAlreadyOverdue(voucherId);
        uint256 rootId = _rootOf(voucherId);
        RootRecord storage r = _roots[rootId];
        if (r.funded) revert RootAlreadyFunded(rootId);
        uint40 maturity = r.maturity;
        uint64 overdueFrom = uint64(maturity) + _gracePeriod;
        if (block.timestamp <= overdueFrom) revert VoucherGracePeriodRunning(voucherId, overdueFrom);

        _vouchers[voucherId] = word | _OVERDUE_BIT;
        emit VoucherMarkedOverdue(rootId, voucherId, _holder(word), _value(word), maturity);
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
        uint256 word = _vouchers[voucherId];
        VoucherStatus status = _status(word);
        if (status == VoucherStatus.None) return v;
        uint256 rootId = _rootOf(voucherId);
        v.holder = _holder(word);
        v.value = _value(word);
        v.rootId = rootId;
        v.parentId = voucherId == rootId ? 0 : rootId + (word >> _PARENT_SHIFT);
        // forge-lint: disable-next-line(unsafe-typecast) -- the tier field is 8 bits wide
        v.tier = uint8(_tier(word));
        v.status = status;
        v.overdue = word & _OVERDUE_BIT != 0;
    }

    /// @inheritdoc IReceivables
    function root(uint256 rootId) external view returns (Root memory out) {
        RootRecord storage r = _roots[rootId];
        if (r.obligor == address(0)) return out;
        out.obligor = r.obligor;
        out.lender = r.lender;
        out.payer = r.payer;
        out.currency = r.currency;
        out.faceValue = r.faceValue;
        out.settled = r.settled;
        out.outstanding = r.faceValue - r.settled;
        out.issuedAt = r.issuedAt;
        out.maturity = r.maturity;
        out.minDenomination = r.minDenomination;
        out.maxDepth = r.maxDepth;
        out.pieceCount = r.pieceCount + 1;
        out.funded = r.funded;
        out.document = r.document;
    }

    /// @inheritdoc IReceivables
    function creditLine(address lender, address core) external view returns (CreditLine memory) {
        CreditLineRecord storage line = _creditLines[lender][core];
        return CreditLine(line.limit, line.outstanding, line.currency, line.expiry, line.open);
    }

    /// @inheritdoc IReceivables
    function documentUsedBy(bytes32 document) external view returns (uint256) {
        return _documentUsedBy[document];
    }

    /// @inheritdoc IReceivables
    function lien(uint256 voucherId) external view returns (Lien memory) {
        LienRecord storage l = _liens[voucherId];
        bool accepted = _status(_vouchers[voucherId]) == VoucherStatus.Pledged;
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
            _registry.requireActive(msg.sender, IParticipantRegistry.Role.CoreEnterprise);
        } else if (msg.sender == r.payer) {
            _registry.requireActive(msg.sender, IParticipantRegistry.Role.Lender);
        } else {
            revert NotVoucherPayer(rootId, msg.sender, obligor);
        }
    }

    function _checkConsortiumAdmin() private view {
        if (!IAccessControl(address(_registry)).hasRole(0x00, msg.sender)) {
            revert CallerNotConsortiumAdmin(msg.sender);
        }
    }

    function _checkExists(uint256 voucherId, uint256 word) private pure {
        if (_status(word) == VoucherStatus.None) revert VoucherNotFound(voucherId);
    }

    function _checkHolder(uint256 voucherId, uint256 word) private view {
        _checkExists(voucherId, word);
        address holder = _holder(word);
        if (holder != msg.sender) revert NotVoucherHolder(voucherId, msg.sender, holder);
    }

    /// @dev The caller holds the piece and it is free to move: not offered, pledged or closed.
    function _checkMovable(uint256 voucherId, uint256 word) private view {
        _checkHolder(voucherId, word);
        VoucherStatus status = _status(word);
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
    function _checkUnpaid(uint256 voucherId, uint256 word) private pure {
        VoucherStatus status = _status(word);
        if (status == VoucherStatus.None) revert VoucherNotFound(voucherId);
        if (status == VoucherStatus.Settled) revert VoucherAlreadySettled(voucherId);
        if (status == VoucherStatus.Merged) revert VoucherClosedByMerge(voucherId);
    }

    function _checkNotMatured(uint256 voucherId, uint40 maturity) private view {
        if (block.timestamp >= maturity) revert VoucherMatured(voucherId, maturity);
    }

    // ------------------------------------------------------------ internals: effects

    /// @dev Checks a split of `amount` off the caller's piece `voucherId` and returns the parent's
    /// and the child's new words and the child's index within the root. Writes nothing.
    function _splitWords(uint256 voucherId, uint256 rootId, RootRecord storage r, address to, uint128 amount)
        private
        view
        returns (uint256 parentWord, uint256 childWord, uint256 index)
    {
        uint256 word = _vouchers[voucherId];
        _checkMovable(voucherId, word);
        _checkNotMatured(voucherId, r.maturity);
        {
            uint64 value = _value(word);
            if (amount >= value) revert SplitExceedsValue(voucherId, amount, value);
            // forge-lint: disable-next-line(unsafe-typecast) -- amount < value <= 2^64-1, checked above
            uint64 remainder = value - uint64(amount);
            uint64 minDenomination = r.minDenomination;
            if (amount < minDenomination || remainder < minDenomination) {
                revert SplitBelowMinimumDenomination(voucherId, amount, remainder, minDenomination);
            }
            parentWord = (word & ~_VALUE_MASK) | (uint256(remainder) << _VALUE_SHIFT);
        }
        uint256 tier = _tier(word) + 1;
        if (tier > r.maxDepth) revert VoucherTierTooDeep(voucherId, tier, r.maxDepth);
        index = uint256(r.pieceCount) + 1;
        if (index >= _PIECES_PER_ROOT) revert RootPieceLimitReached(rootId, _PIECES_PER_ROOT - 1);
        childWord = _pack(to, amount, tier, VoucherStatus.Active, voucherId - rootId);
    }

    /// @dev The terms of a discount accepted now by the caller; see {IReceivables-Discount}.
    function _discountTerms(address seller, uint64 value, uint64 price, uint40 maturity, bytes32 paymentRef)
        private
        view
        returns (DiscountRecord memory)
    {
        // A started day counts as a whole day; maturity is in the future, so days >= 1.
        uint256 daysToMaturity = (uint256(maturity) - block.timestamp + 1 days - 1) / 1 days;
        // (value - price) / value < 1, so the rate is below 360 * 10_000 and fits 32 bits.
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

    /// @dev On payment: discharges a lien (returning the lienholder), or voids an open pledge
    /// request or discount offer (emitting its cancellation).
    function _discharge(uint256 rootId, uint256 voucherId, uint256 word) private returns (address lienholder) {
        VoucherStatus status = _status(word);
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

    // ------------------------------------------------------------ internals: packed voucher word

    function _rootOf(uint256 voucherId) private pure returns (uint256) {
        return voucherId - (voucherId % _PIECES_PER_ROOT);
    }

    function _pack(address holder, uint256 value, uint256 tier, VoucherStatus status, uint256 parentIndex)
        private
        pure
        returns (uint256)
    {
        return uint256(uint160(holder)) | (value << _VALUE_SHIFT) | (tier << _TIER_SHIFT)
            | (uint256(status) << _STATUS_SHIFT) | (parentIndex << _PARENT_SHIFT);
    }

    function _holder(uint256 word) private pure returns (address) {
        // forge-lint: disable-next-line(unsafe-typecast) -- extracting the low 160-bit field is the point
        return address(uint160(word));
    }

    function _value(uint256 word) private pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) -- extracting the 64-bit value field is the point
        return uint64(word >> _VALUE_SHIFT);
    }

    function _tier(uint256 word) private pure returns (uint256) {
        return (word & _TIER_MASK) >> _TIER_SHIFT;
    }

    function _status(uint256 word) private pure returns (VoucherStatus) {
        return VoucherStatus((word & _STATUS_MASK) >> _STATUS_SHIFT);
    }

    function _withStatus(uint256 word, VoucherStatus status) private pure returns (uint256) {
        return (word & ~_STATUS_MASK) | (uint256(status) << _STATUS_SHIFT);
    }
}
