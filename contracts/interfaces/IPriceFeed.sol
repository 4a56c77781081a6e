// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IPriceFeed
/// @notice Commodity reference prices posted on chain by the consortium's price publishers (exchange
/// data vendors, the valuation agent). One feed per commodity code, quoted per unit of the lots'
/// unit in one currency. Each publisher the consortium admin admitted for a commodity posts its
/// latest price with the as-of time and a source tag, in batches. The reference price is the median
/// of the latest counted posts no older than the feed's staleness bound; a post that would move it
/// by more than the feed's deviation bound waits (pending) until a second publisher posts a price
/// within that bound of it. A reference price older than the bound is no price: every read that
/// needs one reverts with {StalePrice}, naming the age. Each feed is also exposed through
/// Chainlink's `AggregatorV3Interface` by its own {FeedAggregator}.
/// @dev Prices are integers with the feed's `decimals`; create a feed with the currency's minor-unit
/// exponent (ISO 4217: 2 for CNY) so that prices and loan amounts are in the same minor units.
interface IPriceFeed {
    /// @notice One price in a {post} batch.
    /// @param commodity Commodity code, as in the lots (e.g. "CU-CATH").
    /// @param unit Unit the price is quoted per; must be the feed's (e.g. "t").
    /// @param currency ISO 4217 code; must be the feed's (e.g. "CNY").
    /// @param price Price per whole `unit`, with the feed's decimals; positive.
    /// @param asOf When the price was observed (unix time); not in the future, not older than the
    /// publisher's current post for the commodity.
    /// @param source Source tag, e.g. "SHFE-SETTLE".
    struct PricePost {
        bytes16 commodity;
        bytes8 unit;
        bytes3 currency;
        int256 price;
        uint64 asOf;
        bytes12 source;
    }

    /// @notice A feed's fixed terms and parameters.
    struct Feed {
        bytes8 unit;
        bytes3 currency;
        uint8 decimals;
        uint32 maxAge;
        uint16 maxDeviationBps;
        uint8 publisherCount;
        address aggregator;
    }

    /// @notice A publisher's latest post for a commodity. `pending` posts wait for a second
    /// publisher's confirmation and do not count in the median.
    struct Post {
        address publisher;
        uint64 price;
        uint64 asOf;
        uint64 postedAt;
        bool pending;
        bytes12 source;
    }

    /// @notice The reference price as last computed: the median of `contributors` counted posts;
    /// `asOf` is the oldest of their as-of times (the price is as fresh as its stalest part).
    struct Reference {
        uint64 price;
        uint64 asOf;
        uint64 roundId;
        uint64 updatedAt;
        uint8 contributors;
    }

    // ---------------------------------------------------------------- errors

    /// @notice there is no price feed for commodity {commodity:text}
    error FeedNotFound(bytes16 commodity);
    /// @notice a price feed for commodity {commodity:text} already exists
    error FeedAlreadyExists(bytes16 commodity);
    /// @notice feed parameters are invalid: decimals {decimals} (at most 18), staleness bound {maxAge} s (1 s to 400 days), deviation bound {maxDeviationBps} bps (at most 10000)
    error InvalidFeedParameters(uint8 decimals, uint32 maxAge, uint16 maxDeviationBps);
    /// @notice {publisher:address} is not admitted to post prices for {commodity:text}
    error PublisherNotAdmitted(bytes16 commodity, address publisher);
    /// @notice {publisher:address} is already admitted for {commodity:text}
    error PublisherAlreadyAdmitted(bytes16 commodity, address publisher);
    /// @notice {commodity:text} already has the most publishers allowed ({max})
    error TooManyPublishers(bytes16 commodity, uint256 max);
    /// @notice a price for {commodity:text} must be positive and at most {max} (got {price})
    error PriceOutOfRange(bytes16 commodity, int256 price, uint256 max);
    /// @notice {commodity:text} is priced per {expected:text}, not per {given:text}
    error PriceUnitMismatch(bytes16 commodity, bytes8 expected, bytes8 given);
    /// @notice {commodity:text} is priced in {expected:text}, not in {given:text}
    error PriceCurrencyMismatch(bytes16 commodity, bytes3 expected, bytes3 given);
    /// @notice a price for {commodity:text} as of {asOf:datetime} is in the future
    error PriceAsOfInFuture(bytes16 commodity, uint64 asOf);
    /// @notice a price for {commodity:text} as of {asOf:datetime} is older than this publisher's current post, as of {currentAsOf:datetime}
    error PriceOlderThanCurrent(bytes16 commodity, uint64 asOf, uint64 currentAsOf);
    /// @notice a batch holds 1 to {max} prices, not {count}
    error PriceBatchOutOfBounds(uint256 count, uint256 max);
    /// @notice commodity {commodity:text} has no price yet
    error NoPrice(bytes16 commodity);
    /// @notice the price of {commodity:text} is stale: as of {asOf:datetime}, {age} s old, more than the {maxAge} s allowed
    error StalePrice(bytes16 commodity, uint64 asOf, uint256 age, uint32 maxAge);
    /// @notice round {roundId} of {commodity:text} is not available (the latest is {latestRoundId}; history is in the events)
    error RoundNotAvailable(bytes16 commodity, uint80 roundId, uint80 latestRoundId);
    /// @notice {caller:address} is not the consortium admin
    error NotConsortiumAdmin(address caller);

    // ---------------------------------------------------------------- events

    /// @notice The consortium admin created the feed of `commodity`, exposed through `aggregator`.
    event FeedCreated(
        bytes16 indexed commodity,
        address indexed aggregator,
        bytes8 unit,
        bytes3 currency,
        uint8 decimals,
        uint32 maxAge,
        uint16 maxDeviationBps
    );
    /// @notice The consortium admin changed a feed's staleness or deviation bound.
    event FeedParametersChanged(bytes16 indexed commodity, uint32 maxAge, uint16 maxDeviationBps);
    /// @notice The consortium admin admitted `publisher` to post prices for `commodity`.
    event PublisherAdmitted(bytes16 indexed commodity, address indexed publisher);
    /// @notice The consortium admin removed `publisher` from `commodity`; its post no longer counts.
    event PublisherRemoved(bytes16 indexed commodity, address indexed publisher);
    /// @notice `publisher` posted a price; `pending` when it waits for a second publisher to confirm it.
    event PricePosted(
        bytes16 indexed commodity,
        address indexed publisher,
        uint64 price,
        uint64 asOf,
        bytes12 source,
        bool pending
    );
    /// @notice A pending post of `publisher` was confirmed by `confirmedBy`'s post and now counts.
    event PriceConfirmed(bytes16 indexed commodity, address indexed publisher, address indexed confirmedBy);
    /// @notice The reference price was recomputed (round `roundId`): the median of `contributors`
    /// counted posts, as fresh as the oldest of them (`asOf`).
    event ReferencePriceUpdated(
        bytes16 indexed commodity, uint64 indexed roundId, uint64 price, uint64 asOf, uint8 contributors
    );

    // ---------------------------------------------------------------- publisher

    /// @notice Posts a batch of prices (an active PRICE_PUBLISHER member, admitted for each commodity).
    /// Each price replaces the caller's previous one for its commodity and recomputes the reference.
    /// @param prices 1 to `MAX_BATCH` prices; the whole batch is refused if any is.
    function post(PricePost[] calldata prices) external;

    // ---------------------------------------------------------------- consortium admin

    /// @notice Creates the feed of `commodity` and deploys its Chainlink aggregator (consortium admin).
    /// @param commodity Commodity code, as in the lots.
    /// @param unit Unit prices are quoted per, as in the lots (e.g. "t").
    /// @param currency ISO 4217 code.
    /// @param decimals Decimals of the prices (the currency's minor-unit exponent, e.g. 2).
    /// @param maxAge Staleness bound in seconds: an older reference price is no price.
    /// @param maxDeviationBps Deviation bound: a post moving the median by more needs a second
    /// publisher; 0 disables the guard.
    /// @return aggregator The feed's `AggregatorV3Interface`.
    function createFeed(
        bytes16 commodity,
        bytes8 unit,
        bytes3 currency,
        uint8 decimals,
        uint32 maxAge,
        uint16 maxDeviationBps
    ) external returns (address aggregator);

    /// @notice Changes a feed's staleness and deviation bounds (consortium admin).
    function setFeedParameters(bytes16 commodity, uint32 maxAge, uint16 maxDeviationBps) external;

    /// @notice Admits an active PRICE_PUBLISHER member to post prices for `commodity` (consortium admin).
    function admitPublisher(bytes16 commodity, address publisher) external;

    /// @notice Removes a publisher from `commodity` (consortium admin); the reference is recomputed without it.
    function removePublisher(bytes16 commodity, address publisher) external;

    // ---------------------------------------------------------------- reads

    /// @notice The fresh reference price of `commodity`: reverts {NoPrice} or {StalePrice} otherwise.
    /// @return price Price per unit, with the feed's decimals.
    /// @return asOf The oldest as-of time of the posts it is the median of.
    /// @return roundId The round it was computed in.
    function latestPrice(bytes16 commodity) external view returns (uint256 price, uint64 asOf, uint64 roundId);

    /// @notice The reference price of `commodity` and whether it is fresh; never reverts for a stale
    /// or missing price (price 0 when none).
    function peekPrice(bytes16 commodity) external view returns (uint256 price, uint64 asOf, bool fresh);

    /// @notice The reference record of `commodity` as last computed (zero if none).
    function referencePrice(bytes16 commodity) external view returns (Reference memory);

    /// @notice The feed of `commodity`; reverts {FeedNotFound}.
    function feed(bytes16 commodity) external view returns (Feed memory);

    /// @notice Every commodity with a feed, in creation order.
    function commodities() external view returns (bytes16[] memory);

    /// @notice The publishers admitted for `commodity` and their latest posts.
    function posts(bytes16 commodity) external view returns (Post[] memory);

    /// @notice True when `publisher` is admitted for `commodity`.
    function isPublisher(bytes16 commodity, address publisher) external view returns (bool);

    /// @notice The participant registry whose members may publish and whose admin is the consortium admin.
    function registry() external view returns (address);

    /// @notice The contract's version, recorded in deployment manifests.
    function VERSION() external view returns (string memory);
}
