// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {FeedAggregator} from "./FeedAggregator.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {IPriceFeed} from "./interfaces/IPriceFeed.sol";
import {PriceData} from "./libraries/PriceData.sol";

/// @title PriceFeed
/// @notice Commodity reference prices: see {IPriceFeed}.
/// @dev One post reads the feed's slot, the caller's index and the posts of the commodity's (at most
/// {MAX_PUBLISHERS}) publishers, and writes the caller's post and the reference: the median is
/// computed when a price is posted, so that a read (a margin check) costs two slots.
contract PriceFeed is IPriceFeed {
    using PriceData for uint256;

    /// @inheritdoc IPriceFeed
    string public constant VERSION = "1.0.0";

    /// @notice Most publishers per commodity: bounds the median's loop.
    uint256 public constant MAX_PUBLISHERS = 8;

    /// @notice Most prices in one {post} batch.
    uint256 public constant MAX_BATCH = 32;

    /// @notice Longest staleness bound a feed may have.
    uint32 public constant MAX_STALENESS = 400 days;

    /// @dev The hot part of a feed: what every post and read checks, in one slot.
    struct FeedSlot {
        bytes8 unit;
        bytes3 currency;
        uint8 decimals;
        uint32 maxAge;
        uint16 maxDeviationBps;
        uint8 publisherCount;
        bool exists;
    }

    IParticipantRegistry private immutable _registry;

    mapping(bytes16 commodity => FeedSlot) private _feeds;
    mapping(bytes16 commodity => address) private _aggregators;
    mapping(bytes16 commodity => uint256 word) private _references;
    mapping(bytes16 commodity => mapping(uint256 index => uint256 word)) private _posts;
    mapping(bytes16 commodity => mapping(uint256 index => address)) private _publisherAt;
    mapping(bytes16 commodity => mapping(address publisher => uint256 indexPlusOne)) private _publisherIndex;
    bytes16[] private _commodities;

    /// @param registry_ The participant registry: publishers must be its active PRICE_PUBLISHER
    /// members, and its default admin is the consortium admin.
    constructor(IParticipantRegistry registry_) {
        _registry = registry_;
    }

    // ------------------------------------------------------------ publisher

    /// @inheritdoc IPriceFeed
    function post(PricePost[] calldata prices) external {
        uint256 n = prices.length;
        if (n == 0 || n > MAX_BATCH) revert PriceBatchOutOfBounds(n, MAX_BATCH);
        _registry.requireActive(msg.sender, IParticipantRegistry.Role.PricePublisher);
        for (uint256 i = 0; i < n; ++i) {
            _postOne(prices[i]);
        }
    }

    // ------------------------------------------------------------ consortium admin

    /// @inheritdoc IPriceFeed
    function createFeed(
        bytes16 commodity,
        bytes8 unit,
        bytes3 currency,
        uint8 decimals,
        uint32 maxAge,
        uint16 maxDeviationBps
    ) external returns (address aggregator) {
        _requireConsortiumAdmin();
        if (_feeds[commodity].exists) revert FeedAlreadyExists(commodity);
        _checkParameters(decimals, maxAge, maxDeviationBps);
        _feeds[commodity] = FeedSlot(unit, currency, decimals, maxAge, maxDeviationBps, 0, true);
        _commodities.push(commodity);
        aggregator = address(new FeedAggregator(IPriceFeed(address(this)), commodity));
        _aggregators[commodity] = aggregator;
        emit FeedCreated(commodity, aggregator, unit, currency, decimals, maxAge, maxDeviationBps);
    }

    /// @inheritdoc IPriceFeed
    function setFeedParameters(bytes16 commodity, uint32 maxAge, uint16 maxDeviationBps) external {
        _requireConsortiumAdmin();
        FeedSlot storage f = _existingFeed(commodity);
        _checkParameters(f.decimals, maxAge, maxDeviationBps);
        f.maxAge = maxAge;
        f.maxDeviationBps = maxDeviationBps;
        emit FeedParametersChanged(commodity, maxAge, maxDeviationBps);
    }

    /// @inheritdoc IPriceFeed
    function admitPublisher(bytes16 commodity, address publisher) external {
        _requireConsortiumAdmin();
        FeedSlot storage f = _existingFeed(commodity);
        _registry.requireActive(publisher, IParticipantRegistry.Role.PricePublisher);
        if (_publisherIndex[commodity][publisher] != 0) revert PublisherAlreadyAdmitted(commodity, publisher);
        uint256 n = f.publisherCount;
        if (n == MAX_PUBLISHERS) revert TooManyPublishers(commodity, MAX_PUBLISHERS);
        _publisherAt[commodity][n] = publisher;
        _publisherIndex[commodity][publisher] = n + 1;
        // forge-lint: disable-next-line(unsafe-typecast) -- at most MAX_PUBLISHERS (8)
        f.publisherCount = uint8(n + 1);
        emit PublisherAdmitted(commodity, publisher);
    }

    /// @inheritdoc IPriceFeed
    function removePublisher(bytes16 commodity, address publisher) external {
        _requireConsortiumAdmin();
        FeedSlot storage f = _existingFeed(commodity);
        uint256 index = _publisherIndex[commodity][publisher];
        if (index == 0) revert PublisherNotAdmitted(commodity, publisher);
        uint256 last = f.publisherCount - 1;
        --index;
        if (index != last) {
            address moved = _publisherAt[commodity][last];
            _publisherAt[commodity][index] = moved;
            _publisherIndex[commodity][moved] = index + 1;
            _posts[commodity][index] = _posts[commodity][last];
        }
        delete _publisherAt[commodity][last];
        delete _posts[commodity][last];
        delete _publisherIndex[commodity][publisher];
        // forge-lint: disable-next-line(unsafe-typecast) -- below MAX_PUBLISHERS (8)
        f.publisherCount = uint8(last);
        emit PublisherRemoved(commodity, publisher);
        // Its post no longer counts: the reference is the median of the others (if any still count).
        FeedSlot memory fm = f;
        // slither-disable-next-line uninitialized-local -- memory starts zeroed; filled just below
        uint256[MAX_PUBLISHERS] memory words;
        for (uint256 i = 0; i < last; ++i) {
            words[i] = _posts[commodity][i];
        }
        _updateReference(commodity, fm, words);
    }

    // ------------------------------------------------------------ reads

    // slither-disable-start incorrect-equality
    // A word of zero is "no price" (a posted price is never zero); no time is compared for equality.

    /// @inheritdoc IPriceFeed
    function latestPrice(bytes16 commodity) external view returns (uint256 price, uint64 asOf, uint64 roundId) {
        FeedSlot memory f = _feeds[commodity];
        if (!f.exists) revert FeedNotFound(commodity);
        uint256 ref = _references[commodity];
        if (ref == 0) revert NoPrice(commodity);
        asOf = ref.asOf();
        uint256 age = block.timestamp - asOf;
        if (age > f.maxAge) revert StalePrice(commodity, asOf, age, f.maxAge);
        return (ref.price(), asOf, ref.roundId());
    }

    /// @inheritdoc IPriceFeed
    function peekPrice(bytes16 commodity) external view returns (uint256 price, uint64 asOf, bool fresh) {
        uint256 ref = _references[commodity];
        if (ref == 0) return (0, 0, false);
        asOf = ref.asOf();
        return (ref.price(), asOf, block.timestamp - asOf <= _feeds[commodity].maxAge);
    }

    // slither-disable-end incorrect-equality

    /// @inheritdoc IPriceFeed
    function referencePrice(bytes16 commodity) external view returns (Reference memory r) {
        uint256 ref = _references[commodity];
        r = Reference(ref.price(), ref.asOf(), ref.roundId(), ref.updatedAt(), ref.contributors());
    }

    /// @inheritdoc IPriceFeed
    function feed(bytes16 commodity) external view returns (Feed memory) {
        FeedSlot memory f = _feeds[commodity];
        if (!f.exists) revert FeedNotFound(commodity);
        return Feed(
            f.unit, f.currency, f.decimals, f.maxAge, f.maxDeviationBps, f.publisherCount, _aggregators[commodity]
        );
    }

    /// @inheritdoc IPriceFeed
    function commodities() external view returns (bytes16[] memory) {
        return _commodities;
    }

    /// @inheritdoc IPriceFeed
    function posts(bytes16 commodity) external view returns (Post[] memory list) {
        uint256 n = _feeds[commodity].publisherCount;
        list = new Post[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 w = _posts[commodity][i];
            list[i] = Post(_publisherAt[commodity][i], w.price(), w.asOf(), w.postedAt(), w.pending(), w.source());
        }
    }

    /// @inheritdoc IPriceFeed
    function isPublisher(bytes16 commodity, address publisher) external view returns (bool) {
        return _publisherIndex[commodity][publisher] != 0;
    }

    /// @inheritdoc IPriceFeed
    function registry() external view returns (address) {
        return address(_registry);
    }

    // ------------------------------------------------------------ internals

    function _postOne(PricePost calldata p) private {
        bytes16 commodity = p.commodity;
        FeedSlot memory f = _feeds[commodity];
        if (!f.exists) revert FeedNotFound(commodity);
        if (p.unit != f.unit) revert PriceUnitMismatch(commodity, f.unit, p.unit);
        if (p.currency != f.currency) revert PriceCurrencyMismatch(commodity, f.currency, p.currency);
        if (p.price <= 0 || uint256(p.price) > PriceData.MAX_PRICE) {
            revert PriceOutOfRange(commodity, p.price, PriceData.MAX_PRICE);
        }
        if (p.asOf > block.timestamp) revert PriceAsOfInFuture(commodity, p.asOf);
        uint256 mine = _publisherIndex[commodity][msg.sender];
        if (mine == 0) revert PublisherNotAdmitted(commodity, msg.sender);
        --mine;

        uint256 n = f.publisherCount;
        // slither-disable-next-line uninitialized-local -- memory starts zeroed; filled just below
        uint256[MAX_PUBLISHERS] memory words;
        mapping(uint256 => uint256) storage stored = _posts[commodity];
        for (uint256 i = 0; i < n; ++i) {
            words[i] = stored[i];
        }
        uint256 own = words[mine];
        if (own != 0 && p.asOf < own.asOf()) revert PriceOlderThanCurrent(commodity, p.asOf, own.asOf());

        uint256 price = uint256(p.price);
        words[mine] = PriceData.packPost(price, p.asOf, block.timestamp, false, p.source);
        bool pending = f.maxDeviationBps != 0 && _needsConfirmation(commodity, f, words, mine, price);
        if (pending) words[mine] = PriceData.packPost(price, p.asOf, block.timestamp, true, p.source);
        stored[mine] = words[mine];
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded by MAX_PRICE (64 bits) above
        emit PricePosted(commodity, msg.sender, uint64(price), p.asOf, p.source, pending);
        _updateReference(commodity, f, words);
    }

    // slither-disable-start incorrect-equality,uninitialized-local
    // Zero words and prices mean "none" (a posted price is never zero); no time is compared for
    // equality. Memory arrays start zeroed: `words` and `sorted` are filled up to the publisher count.

    /// @dev The deviation guard. With the new post counted, would the median move more than the
    /// feed's bound from the current reference? If so, the post counts only when another publisher's
    /// fresh post (counted or pending) is within the bound of it; such a pending post is confirmed
    /// (its flag cleared in `words` and in storage). Returns true when the new post must wait.
    function _needsConfirmation(
        bytes16 commodity,
        FeedSlot memory f,
        uint256[MAX_PUBLISHERS] memory words,
        uint256 mine,
        uint256 price
    ) private returns (bool) {
        uint256 refPrice = _references[commodity].price();
        if (refPrice == 0) return false; // the first price sets the reference
        (uint256 median,, uint256 count) = _median(words, f.publisherCount, f.maxAge);
        if (count != 0 && !median.deviates(refPrice, f.maxDeviationBps)) return false;
        bool corroborated = false;
        for (uint256 j = 0; j < f.publisherCount; ++j) {
            uint256 w = words[j];
            if (j == mine || w == 0 || block.timestamp - w.asOf() > f.maxAge) continue;
            if (uint256(w.price()).deviates(price, f.maxDeviationBps)) continue;
            corroborated = true;
            if (w.pending()) {
                words[j] = w.withoutPending();
                _posts[commodity][j] = words[j];
                emit PriceConfirmed(commodity, _publisherAt[commodity][j], msg.sender);
            }
        }
        return !corroborated;
    }

    /// @dev Stores the median of the counted posts in `words` as the new reference round; keeps the
    /// old reference (which then ages into staleness) when no post counts.
    function _updateReference(bytes16 commodity, FeedSlot memory f, uint256[MAX_PUBLISHERS] memory words) private {
        (uint256 median, uint256 oldestAsOf, uint256 count) = _median(words, f.publisherCount, f.maxAge);
        if (count == 0) return;
        uint64 round = _references[commodity].roundId() + 1;
        _references[commodity] = PriceData.packReference(median, oldestAsOf, round, block.timestamp, count);
        // forge-lint: disable-next-line(unsafe-typecast) -- the median of 64-bit prices, a time, at most 8
        emit ReferencePriceUpdated(commodity, round, uint64(median), uint64(oldestAsOf), uint8(count));
    }

    /// @dev Median of the counted posts among the first `n` words (the mean of the two middle ones,
    /// rounded down, for an even count), the oldest as-of among them, and how many there are.
    function _median(uint256[MAX_PUBLISHERS] memory words, uint256 n, uint256 maxAge)
        private
        view
        returns (uint256 median, uint256 oldestAsOf, uint256 count)
    {
        uint256[MAX_PUBLISHERS] memory sorted;
        oldestAsOf = type(uint256).max;
        for (uint256 i = 0; i < n; ++i) {
            uint256 w = words[i];
            if (!w.counts(block.timestamp, maxAge)) continue;
            uint256 p = w.price();
            if (w.asOf() < oldestAsOf) oldestAsOf = w.asOf();
            uint256 k = count;
            while (k != 0 && sorted[k - 1] > p) {
                sorted[k] = sorted[k - 1];
                --k;
            }
            sorted[k] = p;
            ++count;
        }
        if (count == 0) return (0, 0, 0);
        median = count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
    }

    // slither-disable-end incorrect-equality,uninitialized-local

    function _existingFeed(bytes16 commodity) private view returns (FeedSlot storage f) {
        f = _feeds[commodity];
        if (!f.exists) revert FeedNotFound(commodity);
    }

    function _checkParameters(uint8 decimals, uint32 maxAge, uint16 maxDeviationBps) private pure {
        if (decimals > 18 || maxAge == 0 || maxAge > MAX_STALENESS || maxDeviationBps > 10_000) {
            revert InvalidFeedParameters(decimals, maxAge, maxDeviationBps);
        }
    }

    function _requireConsortiumAdmin() private view {
        if (!IAccessControl(address(_registry)).hasRole(bytes32(0), msg.sender)) revert NotConsortiumAdmin(msg.sender);
    }
}
