// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IPriceFeed} from "./interfaces/IPriceFeed.sol";
import {PriceData} from "./libraries/PriceData.sol";

/// @title FeedAggregator
/// @notice One commodity's reference price from the {PriceFeed}, behind Chainlink's
/// `AggregatorV3Interface`, so that standard tooling reads it as it reads any Chainlink feed. The
/// {PriceFeed} deploys one per feed ({IPriceFeed-FeedCreated} names it).
/// @dev Unlike a Chainlink aggregator, a read of a stale or missing price reverts ({IPriceFeed-StalePrice},
/// {IPriceFeed-NoPrice}): an older price is no price. `startedAt` and `updatedAt` are the price's
/// as-of time (the oldest of the posts it is the median of), so a consumer's own staleness check sees
/// the data's age. Only the latest round is kept on chain; earlier rounds are in the
/// {IPriceFeed-ReferencePriceUpdated} events.
contract FeedAggregator is AggregatorV3Interface {
    IPriceFeed private immutable _feed;
    bytes16 private immutable _commodity;

    /// @param feed_ The price feed.
    /// @param commodity_ The commodity whose reference price this aggregator exposes.
    constructor(IPriceFeed feed_, bytes16 commodity_) {
        _feed = feed_;
        _commodity = commodity_;
    }

    /// @notice Decimals of the answer (the feed's).
    function decimals() external view returns (uint8) {
        return _feed.feed(_commodity).decimals;
    }

    /// @notice "<commodity> / <currency> per <unit>", e.g. "CU-CATH / CNY per t".
    function description() external view returns (string memory) {
        IPriceFeed.Feed memory f = _feed.feed(_commodity);
        return string.concat(
            PriceData.text(bytes32(_commodity)),
            " / ",
            PriceData.text(bytes32(f.currency)),
            " per ",
            PriceData.text(bytes32(f.unit))
        );
    }

    /// @notice Version of this aggregator's interface implementation.
    function version() external pure returns (uint256) {
        return 1;
    }

    /// @notice The latest round, as {latestRoundData}; any other round reverts {IPriceFeed-RoundNotAvailable}.
    function getRoundData(uint80 roundId_)
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        (roundId, answer, startedAt, updatedAt, answeredInRound) = _latest();
        if (roundId_ != roundId) revert IPriceFeed.RoundNotAvailable(_commodity, roundId_, roundId);
    }

    /// @notice The fresh reference price: reverts {IPriceFeed-StalePrice} or {IPriceFeed-NoPrice} otherwise.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return _latest();
    }

    /// @notice The feed this aggregator reads and its commodity.
    function source() external view returns (address priceFeed, bytes16 commodity) {
        return (address(_feed), _commodity);
    }

    function _latest() private view returns (uint80, int256, uint256, uint256, uint80) {
        (uint256 price, uint64 asOf, uint64 round) = _feed.latestPrice(_commodity);
        // forge-lint: disable-next-line(unsafe-typecast) -- a 64-bit price fits int256
        return (round, int256(price), asOf, asOf, round);
    }
}
