// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IReceivables} from "../../contracts/interfaces/IReceivables.sol";
import {ReceivablesFixture} from "./utils/ReceivablesFixture.sol";

/// @notice Property tests over amounts, depths and orders of operations.
/// {ReceivablesFuzzRegistryFallbackTest} runs them again with the contract off the standing feed.
contract ReceivablesFuzzTest is ReceivablesFixture {
    // ------------------------------------------------------------ fuzz

    /// Splitting off a single minor unit works at any face value and conserves value exactly.
    function testFuzz_split_oneMinorUnit(uint128 face) public {
        face = uint128(bound(face, 2, LIMIT));
        uint256 rootId = _issue(face);
        uint256 child = _split(supplier, rootId, supplier2, 1);
        vm.assertEq(_value(child), 1);
        vm.assertEq(_value(rootId), face - 1);
    }

    /// At the largest face value a voucher can have (2^64-1 minor units), any split conserves value.
    function testFuzz_split_atMaximumFaceValue(uint128 amount) public {
        uint128 maxFace = type(uint64).max;
        vm.prank(lender);
        receivables.setCreditLine(core, maxFace, CNY, lineExpiry);
        amount = uint128(bound(amount, 1, maxFace - 1));
        uint256 rootId = _issue(maxFace);
        uint256 child = _split(supplier, rootId, supplier2, amount);
        vm.assertEq(_value(child), amount);
        vm.assertEq(_value(rootId), maxFace - amount);
        vm.assertEq(_value(child) + _value(rootId), maxFace);
        vm.assertEq(receivables.voucher(child).holder, supplier2); // value bits do not spill into the holder
        vm.assertEq(receivables.voucher(child).tier, 1, "value bits do not spill into the tier");
    }

    /// Prime face values cannot be split evenly; explicit integer amounts still conserve every unit.
    function testFuzz_split_primeFaceValues(uint256 which, uint128 amount, uint128 second) public {
        uint128[8] memory primes = [
            uint128(2), 3, 7, 7919, 1_000_003, 99_999_989, 4_294_967_291, 18_446_744_073_709_551_557
        ];
        uint128 face = primes[bound(which, 0, primes.length - 1)];
        vm.prank(lender);
        receivables.setCreditLine(core, type(uint64).max, CNY, lineExpiry);
        uint256 rootId = _issue(face);
        amount = uint128(bound(amount, 1, face - 1));
        uint256 child = _split(supplier, rootId, supplier2, amount);
        uint256 total = _value(rootId) + _value(child);
        if (amount > 1) {
            second = uint128(bound(second, 1, amount - 1));
            uint256 grandchild = _split(supplier2, child, supplier3, second);
            vm.assertEq(receivables.voucher(grandchild).parentId, child);
            total = _value(rootId) + _value(child) + _value(grandchild);
        }
        vm.assertEq(total, face);
    }

    /// A split succeeds exactly when both parts reach the minimum denomination and it moves less
    /// than the whole value.
    function testFuzz_split_respectsMinimumDenomination(uint128 face, uint128 minDenomination, uint128 amount)
        public
    {
        face = uint128(bound(face, 1, LIMIT));
        minDenomination = uint128(bound(minDenomination, 1, face));
        amount = uint128(bound(amount, 0, face + 1));
        uint256 rootId = _issue(face, minDenomination, 5);
        if (amount >= face) {
            vm.expectRevert(abi.encodeWithSelector(IReceivables.SplitExceedsValue.selector, rootId, amount, face));
        } else if (amount < minDenomination || face - amount < minDenomination) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IReceivables.SplitBelowMinimumDenomination.selector, rootId, amount, face - amount, minDenomination
                )
            );
        }
        vm.prank(supplier);
        receivables.split(rootId, supplier2, amount);
        vm.assertEq(receivables.root(rootId).outstanding, face);
    }

    /// Splitting down the chain never goes deeper than the root's maximum depth.
    function testFuzz_split_depthBoundedByPolicy(uint8 maxDepth, uint8 attempts) public {
        maxDepth = uint8(bound(maxDepth, 0, 12));
        attempts = uint8(bound(attempts, 1, 14));
        uint256 rootId = _issue(FACE, 1, maxDepth);
        uint256 current = rootId;
        for (uint256 i = 1; i <= attempts; i++) {
            uint128 half = uint128(_value(current) / 2);
            if (i > maxDepth) {
                vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherTierTooDeep.selector, current, i, maxDepth));
                _split(supplier, current, supplier, half);
                break;
            }
            current = _split(supplier, current, supplier, half);
            vm.assertEq(receivables.voucher(current).tier, i);
        }
    }

    /// Issues never take a credit line past its limit.
    function testFuzz_issue_neverExceedsCreditLimit(uint128 first, uint128 second) public {
        first = uint128(bound(first, 1, LIMIT));
        second = uint128(bound(second, 1, LIMIT));
        _issue(first);
        if (first + second > LIMIT) {
            IReceivables.IssueParams memory p = _params(second, 1, 5);
            vm.expectRevert(
                abi.encodeWithSelector(IReceivables.CreditLimitExceeded.selector, lender, core, second, LIMIT - first)
            );
            vm.prank(core);
            receivables.issue(p);
        } else {
            _issue(second);
        }
        vm.assertLe(_lineOutstanding(), LIMIT, "line exceeded");
    }

    /// Settling pieces in any split restores the line by exactly the settled value.
    function testFuzz_settle_restoresLineBySettledValue(uint128 face, uint128 amount, bool settleChildFirst)
        public
    {
        face = uint128(bound(face, 2, LIMIT));
        amount = uint128(bound(amount, 1, face - 1));
        uint256 rootId = _issue(face);
        uint256 child = _split(supplier, rootId, supplier2, amount);
        vm.warp(maturity);
        uint256 first = settleChildFirst ? child : rootId;
        vm.prank(core);
        receivables.settle(first, keccak256("p"));
        vm.assertEq(_lineOutstanding(), face - _value(first));
        vm.assertEq(receivables.root(rootId).settled + receivables.root(rootId).outstanding, face);
    }

    /// The recorded discount rate is the ACT/360 bank-discount rate, rounded down.
    function testFuzz_acceptDiscount_recordsRate(uint128 value, uint128 price, uint256 secondsToMaturity) public {
        value = uint128(bound(value, 1, LIMIT));
        price = uint128(bound(price, 1, value));
        secondsToMaturity = bound(secondsToMaturity, 1, 365 days);
        // forge-lint: disable-next-line(unsafe-typecast) -- timestamp + at most a year fits 64 bits
        maturity = uint64(block.timestamp + secondsToMaturity);
        uint256 rootId = _issue(value);
        _offer(rootId, supplier, lender, price);
        vm.prank(lender);
        receivables.acceptDiscount(rootId, price, bytes32(0));
        IReceivables.Discount memory d = receivables.discount(rootId);
        uint256 expectedDays = (secondsToMaturity + 1 days - 1) / 1 days;
        vm.assertEq(d.daysToMaturity, expectedDays);
        vm.assertEq(d.rateBps, (uint256(value - price) * 360 * 10_000) / (uint256(value) * expectedDays));
        vm.assertLe(d.rateBps, 3_600_000, "rate bound");
    }

    /// Nobody but the holder moves a piece.
    function testFuzz_onlyHolderMoves(address caller) public {
        uint256 rootId = _issue(FACE);
        caller = address(uint160(bound(uint160(caller), 1, type(uint160).max)));
        if (caller == supplier) caller = supplier2;
        vm.prank(caller);
        vm.expectRevert();
        receivables.transfer(rootId, supplier3);
        vm.assertEq(receivables.voucher(rootId).holder, supplier);
    }
}

/// @notice ReceivablesFuzzTest's tests again with the receivables contract off the registry's standing feed:
/// every member check is then the registry's own, and must refuse and allow exactly the same.
contract ReceivablesFuzzRegistryFallbackTest is ReceivablesFuzzTest {
    function setUp() public override {
        super.setUp();
        _leaveStandingFeed();
    }
}
