// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {FeedAggregator} from "../../contracts/FeedAggregator.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IPriceFeed} from "../../contracts/interfaces/IPriceFeed.sol";
import {ValuationFixture} from "./utils/ValuationFixture.sol";

contract PriceFeedTest is ValuationFixture {
    // ------------------------------------------------------------ posting and the median

    function test_post_firstPriceSetsReference() public {
        vm.expectEmit(address(feed));
        emit IPriceFeed.PricePosted(CU, pub1, uint64(uint256(P60K)), uint64(_now()), SHFE, false);
        vm.expectEmit(address(feed));
        emit IPriceFeed.ReferencePriceUpdated(CU, 1, uint64(uint256(P60K)), uint64(_now()), 1);
        _post(pub1, P60K);
        (uint256 price, uint64 asOf, uint64 round) = feed.latestPrice(CU);
        vm.assertEq(price, uint256(P60K));
        vm.assertEq(asOf, _now());
        vm.assertEq(round, 1);
    }

    function test_median_ofThreeIsTheMiddleAndAsOfTheOldest() public {
        uint64 t0 = uint64(_now());
        _post(pub1, 6_000_000);
        _skip(10);
        _post(pub2, 6_100_000);
        _skip(10);
        _post(pub3, 5_950_000);
        (uint256 price, uint64 asOf,) = feed.latestPrice(CU);
        vm.assertEq(price, 6_000_000);
        vm.assertEq(asOf, t0, "as fresh as the stalest contributor");
        vm.assertEq(feed.referencePrice(CU).contributors, 3);
    }

    function test_median_ofTwoIsTheMeanRoundedDown() public {
        _post(pub1, 6_000_001);
        _post(pub2, 6_000_004);
        (uint256 price,,) = feed.latestPrice(CU);
        vm.assertEq(price, 6_000_002);
    }

    function test_deviationGuard_outlierAmongThreeDoesNotMoveTheMedian() public {
        _postAll(P60K);
        _post(pub1, P48K); // counted, but the median of 48k, 60k, 60k is 60k
        (uint256 price,,) = feed.latestPrice(CU);
        vm.assertEq(price, uint256(P60K));
        vm.assertFalse(feed.posts(CU)[0].pending);
    }

    function test_deviationGuard_holdsASinglePostUntilASecondPublisherConfirms() public {
        vm.prank(admin);
        feed.removePublisher(CU, pub3);
        _post(pub1, P60K);
        _post(pub2, P60K);
        // pub1 alone would move the median (mean of 48k and 60k = 54k) by 10 % > ... it waits.
        vm.prank(admin);
        feed.setFeedParameters(CU, MAX_AGE, 500);
        vm.expectEmit(address(feed));
        emit IPriceFeed.PricePosted(CU, pub1, uint64(uint256(P48K)), uint64(_now()), SHFE, true);
        _post(pub1, P48K);
        vm.assertTrue(feed.posts(CU)[0].pending);
        (uint256 price,,) = feed.latestPrice(CU);
        vm.assertEq(price, uint256(P60K), "a pending post does not count");
        // A second publisher within the bound of it confirms it; both count.
        vm.expectEmit(address(feed));
        emit IPriceFeed.PriceConfirmed(CU, pub1, pub2);
        _post(pub2, 4_810_000);
        vm.assertFalse(feed.posts(CU)[0].pending);
        (price,,) = feed.latestPrice(CU);
        vm.assertEq(price, (uint256(P48K) + 4_810_000) / 2);
    }

    function test_deviationGuard_disabledWithZeroBound() public {
        vm.prank(admin);
        feed.setFeedParameters(CU, MAX_AGE, 0);
        _post(pub1, P60K);
        _post(pub1, P48K);
        (uint256 price,,) = feed.latestPrice(CU);
        vm.assertEq(price, uint256(P48K));
    }

    function test_stalePostsDropOutOfTheMedian() public {
        _post(pub1, 6_000_000);
        _skip(MAX_AGE);
        _post(pub2, 6_200_000); // pub1's post is exactly MAX_AGE old: still counts
        (uint256 price,,) = feed.latestPrice(CU);
        vm.assertEq(price, 6_100_000);
        _skip(1);
        _post(pub3, 6_300_000); // now pub1's is stale: median of 6.2m and 6.3m
        (price,,) = feed.latestPrice(CU);
        vm.assertEq(price, 6_250_000);
        vm.assertEq(feed.referencePrice(CU).contributors, 2);
    }

    function test_latestPrice_staleNamesTheAge() public {
        _postAll(P60K);
        uint64 asOf = uint64(_now());
        _skip(MAX_AGE + 5);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.StalePrice.selector, CU, asOf, MAX_AGE + 5, MAX_AGE));
        feed.latestPrice(CU);
        (uint256 price,, bool fresh) = feed.peekPrice(CU);
        vm.assertEq(price, uint256(P60K));
        vm.assertFalse(fresh);
    }

    function test_latestPrice_revertsWithoutAPriceOrFeed() public {
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.NoPrice.selector, CU));
        feed.latestPrice(CU);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.FeedNotFound.selector, AL));
        feed.latestPrice(AL);
    }

    function test_post_aBackdatedPriceWithinTheBoundCounts() public {
        _post(pub1, P60K);
        vm.prank(pub2);
        feed.post(_one(CU, 6_010_000, uint64(_now() - 3600)));
        vm.assertEq(feed.posts(CU)[1].price, 6_010_000);
        (uint256 price, uint64 asOf,) = feed.latestPrice(CU);
        vm.assertEq(price, 6_005_000);
        vm.assertEq(asOf, _now() - 3600);
    }

    function test_removePublisher_recomputesWithoutItsPost() public {
        _post(pub1, 6_000_000);
        _post(pub2, 6_100_000);
        _post(pub3, 6_200_000);
        vm.prank(admin);
        feed.removePublisher(CU, pub1);
        (uint256 price,,) = feed.latestPrice(CU);
        vm.assertEq(price, 6_150_000);
        vm.assertFalse(feed.isPublisher(CU, pub1));
        vm.assertEq(feed.posts(CU).length, 2);
        vm.prank(pub1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.PublisherNotAdmitted.selector, CU, pub1));
        feed.post(_one(CU, P60K, uint64(_now())));
    }

    // ------------------------------------------------------------ the role

    /// A price publisher is a member like any other: the subscribers' mirrors (which pack the role
    /// into a few bits) report it with its own role, not as "never admitted".
    function test_publisherStandingIsMirroredWithItsRole() public view {
        (bool current, IParticipantRegistry.Standing memory s) = wr.mirroredStanding(pub1);
        vm.assertTrue(current);
        vm.assertEq(uint256(s.role), uint256(IParticipantRegistry.Role.PricePublisher));
        vm.assertTrue(registry.hasActiveRole(pub1, IParticipantRegistry.Role.PricePublisher));
    }

    // ------------------------------------------------------------ Chainlink aggregator

    function test_aggregator_readsTheReferencePrice() public {
        FeedAggregator agg = FeedAggregator(feed.feed(CU).aggregator);
        vm.assertEq(agg.decimals(), PRICE_DECIMALS);
        vm.assertEq(agg.description(), "CU-CATH / CNY per t");
        vm.assertEq(agg.version(), 1);
        _postAll(P60K);
        (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredIn) = agg.latestRoundData();
        vm.assertEq(roundId, 3);
        vm.assertEq(uint256(answer), uint256(P60K));
        vm.assertEq(startedAt, _now());
        vm.assertEq(updatedAt, _now());
        vm.assertEq(answeredIn, 3);
        (roundId,,,,) = agg.getRoundData(3);
        vm.assertEq(roundId, 3);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.RoundNotAvailable.selector, CU, uint80(2), uint80(3)));
        agg.getRoundData(2);
        _skip(MAX_AGE + 1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.StalePrice.selector, CU, uint64(_now() - MAX_AGE - 1), MAX_AGE + 1, MAX_AGE));
        agg.latestRoundData();
        (address src, bytes16 c) = agg.source();
        vm.assertEq(src, address(feed));
        vm.assertEq(bytes32(c), bytes32(CU));
    }

    // ------------------------------------------------------------ refusals: posts

    function test_RevertWhen_priceZeroNegativeOrTooLarge() public {
        int256[3] memory bad = [int256(0), -1, int256(uint256(type(uint64).max)) + 1];
        for (uint256 i = 0; i < 3; ++i) {
            vm.prank(pub1);
            vm.expectRevert(
                abi.encodeWithSelector(IPriceFeed.PriceOutOfRange.selector, CU, bad[i], uint256(type(uint64).max))
            );
            feed.post(_one(CU, bad[i], uint64(_now())));
        }
        vm.assertEq(feed.referencePrice(CU).price, 0, "nothing recorded");
    }

    function test_RevertWhen_unitOrCurrencyMismatch() public {
        IPriceFeed.PricePost[] memory p = _one(CU, P60K, uint64(_now()));
        p[0].unit = KG;
        vm.prank(pub1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.PriceUnitMismatch.selector, CU, TONNE, KG));
        feed.post(p);
        p[0].unit = TONNE;
        p[0].currency = "USD";
        vm.prank(pub1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.PriceCurrencyMismatch.selector, CU, CNY, bytes3("USD")));
        feed.post(p);
    }

    function test_RevertWhen_postByNonPublisherMember() public {
        vm.prank(lender);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                lender,
                uint8(IParticipantRegistry.Role.Lender),
                uint8(IParticipantRegistry.Role.PricePublisher)
            )
        );
        feed.post(_one(CU, P60K, uint64(_now())));
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        feed.post(_one(CU, P60K, uint64(_now())));
    }

    function test_RevertWhen_postBySuspendedPublisher() public {
        _suspend(pub1);
        vm.prank(pub1);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, pub1, uint64(_now())));
        feed.post(_one(CU, P60K, uint64(_now())));
    }

    function test_RevertWhen_publisherNotAdmittedForCommodity() public {
        vm.prank(admin);
        feed.createFeed(AL, TONNE, CNY, 2, MAX_AGE, MAX_DEV);
        vm.prank(pub1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.PublisherNotAdmitted.selector, AL, pub1));
        feed.post(_one(AL, 2_000_000, uint64(_now())));
    }

    function test_RevertWhen_postForUnknownCommodity() public {
        vm.prank(pub1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.FeedNotFound.selector, AL));
        feed.post(_one(AL, 2_000_000, uint64(_now())));
    }

    function test_RevertWhen_asOfInFutureOrOlderThanCurrent() public {
        vm.prank(pub1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.PriceAsOfInFuture.selector, CU, uint64(_now() + 1)));
        feed.post(_one(CU, P60K, uint64(_now() + 1)));
        _post(pub1, P60K);
        uint64 current = uint64(_now());
        vm.prank(pub1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.PriceOlderThanCurrent.selector, CU, current - 1, current));
        feed.post(_one(CU, P60K, current - 1));
    }

    function test_RevertWhen_batchEmptyOrTooLarge() public {
        vm.prank(pub1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.PriceBatchOutOfBounds.selector, 0, 32));
        feed.post(new IPriceFeed.PricePost[](0));
        vm.prank(pub1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.PriceBatchOutOfBounds.selector, 33, 32));
        feed.post(new IPriceFeed.PricePost[](33));
    }

    function test_RevertWhen_oneBadPriceInABatch_nothingRecorded() public {
        IPriceFeed.PricePost[] memory p = new IPriceFeed.PricePost[](2);
        p[0] = IPriceFeed.PricePost(CU, TONNE, CNY, P60K, uint64(_now()), SHFE);
        p[1] = IPriceFeed.PricePost(CU, TONNE, CNY, 0, uint64(_now()), SHFE);
        vm.prank(pub1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.PriceOutOfRange.selector, CU, int256(0), uint256(type(uint64).max)));
        feed.post(p);
        vm.assertEq(feed.posts(CU)[0].price, 0);
    }

    // ------------------------------------------------------------ refusals: admin

    function test_RevertWhen_feedAdminActionsByNonAdmin() public {
        vm.startPrank(pub1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.NotConsortiumAdmin.selector, pub1));
        feed.createFeed(AL, TONNE, CNY, 2, MAX_AGE, MAX_DEV);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.NotConsortiumAdmin.selector, pub1));
        feed.setFeedParameters(CU, MAX_AGE, MAX_DEV);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.NotConsortiumAdmin.selector, pub1));
        feed.admitPublisher(CU, pub1);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.NotConsortiumAdmin.selector, pub1));
        feed.removePublisher(CU, pub1);
        vm.stopPrank();
    }

    function test_RevertWhen_feedExistsOrParametersInvalid() public {
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.FeedAlreadyExists.selector, CU));
        feed.createFeed(CU, TONNE, CNY, 2, MAX_AGE, MAX_DEV);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.InvalidFeedParameters.selector, uint8(19), MAX_AGE, MAX_DEV));
        feed.createFeed(AL, TONNE, CNY, 19, MAX_AGE, MAX_DEV);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.InvalidFeedParameters.selector, uint8(2), uint32(0), MAX_DEV));
        feed.createFeed(AL, TONNE, CNY, 2, 0, MAX_DEV);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.InvalidFeedParameters.selector, uint8(2), MAX_AGE, uint16(10_001)));
        feed.setFeedParameters(CU, MAX_AGE, 10_001);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.FeedNotFound.selector, AL));
        feed.setFeedParameters(AL, MAX_AGE, MAX_DEV);
        vm.stopPrank();
    }

    function test_RevertWhen_admittingAPublisherWrongly() public {
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.PublisherAlreadyAdmitted.selector, CU, pub1));
        feed.admitPublisher(CU, pub1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                lender,
                uint8(IParticipantRegistry.Role.Lender),
                uint8(IParticipantRegistry.Role.PricePublisher)
            )
        );
        feed.admitPublisher(CU, lender);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.PublisherNotAdmitted.selector, CU, lender));
        feed.removePublisher(CU, lender);
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.FeedNotFound.selector, AL));
        feed.removePublisher(AL, pub1);
        for (uint160 i = 0; i < 5; ++i) {
            address p = address(0x3000 + i);
            _admit(p, IParticipantRegistry.Role.PricePublisher, "Extra");
            feed.admitPublisher(CU, p);
        }
        address ninth = address(0x3100);
        _admit(ninth, IParticipantRegistry.Role.PricePublisher, "Ninth");
        vm.expectRevert(abi.encodeWithSelector(IPriceFeed.TooManyPublishers.selector, CU, 8));
        feed.admitPublisher(CU, ninth);
        vm.stopPrank();
    }

    // ------------------------------------------------------------ fuzz

    /// The reference is always the median of the fresh, counted posts, never older than the bound
    /// when read, and a read of an older one reverts.
    function testFuzz_referenceIsTheMedianAndNeverStale(uint64[3] memory prices, uint32[3] memory gaps, uint32 wait)
        public
    {
        vm.prank(admin);
        feed.setFeedParameters(CU, MAX_AGE, 0); // no guard: every post counts
        address[3] memory pubs = [pub1, pub2, pub3];
        uint256[3] memory asOfs;
        for (uint256 i = 0; i < 3; ++i) {
            _skip(bound(gaps[i], 0, 2 days));
            prices[i] = uint64(bound(prices[i], 1, type(uint64).max));
            _post(pubs[i], int256(uint256(prices[i])));
            asOfs[i] = _now();
        }
        _skip(bound(wait, 0, 2 days));
        // The model: the median of posts fresh at the last post, as old as the oldest of them.
        uint256 last = asOfs[2];
        uint256[] memory fresh = new uint256[](3);
        uint256 k = 0;
        uint256 oldest = type(uint256).max;
        for (uint256 i = 0; i < 3; ++i) {
            if (last - asOfs[i] <= MAX_AGE) {
                fresh[k++] = prices[i];
                if (asOfs[i] < oldest) oldest = asOfs[i];
            }
        }
        for (uint256 i = 1; i < k; ++i) {
            for (uint256 j = i; j > 0 && fresh[j - 1] > fresh[j]; --j) {
                (fresh[j - 1], fresh[j]) = (fresh[j], fresh[j - 1]);
            }
        }
        uint256 median = k % 2 == 1 ? fresh[k / 2] : (fresh[k / 2 - 1] + fresh[k / 2]) / 2;
        if (_now() - oldest > MAX_AGE) {
            vm.expectRevert(
                abi.encodeWithSelector(IPriceFeed.StalePrice.selector, CU, uint64(oldest), _now() - oldest, MAX_AGE)
            );
            feed.latestPrice(CU);
        } else {
            (uint256 price, uint64 asOf,) = feed.latestPrice(CU);
            vm.assertEq(price, median);
            vm.assertEq(asOf, oldest);
        }
    }
}

/// @notice The price post gas target, measured against cold storage: the ten feeds and every
/// publisher's first post are set up in `setUp`, a transaction of its own.
contract PriceFeedGasTest is ValuationFixture {
    /// @dev Shown by `forge test -vvvv`; the figure the gas target is checked against.
    event GasMeasured(string what, uint256 gas);

    bytes16[10] internal gasCommodities =
        [bytes16("CU-CATH"), "AL-A00", "ZN-0", "NI-1", "PB-1", "SN-1", "AU-9999", "AG-9999", "RB-HRB400", "HC-Q235"];

    /// One price post costs at most 40,000 gas per commodity in a batch of ten commodities, with
    /// three publishers each: the transaction's whole cost (intrinsic 21,000, calldata, execution)
    /// divided by ten, in the steady state (every publisher has posted before).
    function test_gas_batchOfTenCommodities() public {
        IPriceFeed.PricePost[] memory batch = _gasBatch(6_010_000);
        bytes memory data = abi.encodeCall(feed.post, (batch));
        vm.prank(pub1);
        uint256 before = gasleft();
        (bool ok,) = address(feed).call(data);
        uint256 execution = before - gasleft();
        vm.assertTrue(ok, "batch posted");
        uint256 perCommodity = (21_000 + _calldataGas(data) + execution) / 10;
        vm.assertLe(perCommodity, 40_000, "one post in a batch of 10 over 40,000 gas");
        emit GasMeasured("post per commodity, batch of 10", perCommodity);
    }

    function setUp() public override {
        super.setUp();
        vm.startPrank(admin);
        for (uint256 i = 1; i < 10; ++i) {
            feed.createFeed(gasCommodities[i], TONNE, CNY, 2, MAX_AGE, MAX_DEV);
            feed.admitPublisher(gasCommodities[i], pub1);
            feed.admitPublisher(gasCommodities[i], pub2);
            feed.admitPublisher(gasCommodities[i], pub3);
        }
        vm.stopPrank();
        IPriceFeed.PricePost[] memory batch = _gasBatch(6_000_000);
        vm.prank(pub1);
        feed.post(batch);
        vm.prank(pub2);
        feed.post(batch);
        vm.prank(pub3);
        feed.post(batch);
        _skip(3600);
    }

    function _gasBatch(int256 price) internal view returns (IPriceFeed.PricePost[] memory batch) {
        batch = new IPriceFeed.PricePost[](10);
        for (uint256 i = 0; i < 10; ++i) {
            batch[i] = IPriceFeed.PricePost(gasCommodities[i], TONNE, CNY, price, uint64(_now()), SHFE);
        }
    }

    function _calldataGas(bytes memory data) internal pure returns (uint256 g) {
        for (uint256 i = 0; i < data.length; ++i) {
            g += data[i] == 0 ? 4 : 16;
        }
    }
}
