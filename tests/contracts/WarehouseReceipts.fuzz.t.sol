// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IWarehouseReceipts} from "../../contracts/interfaces/IWarehouseReceipts.sol";
import {WarehouseReceiptsBase} from "./utils/WarehouseReceiptsBase.sol";

/// @notice Property tests of {WarehouseReceipts} over quantities, splits and item sets.
contract WarehouseReceiptsFuzzTest is WarehouseReceiptsBase {
    // ================================================================ fuzz

    /// Any split into 2..32 positive parts that add up keeps the lot's quantity exactly.
    function testFuzz_split_conservesQuantity(uint64 total, uint256 partCount, uint256 seed) public {
        uint256 n = bound(partCount, 2, 32);
        total = uint64(bound(total, n, MAX_QUANTITY));
        uint64[] memory parts = new uint64[](n);
        uint256 remaining = total;
        for (uint256 k = 0; k < n - 1; ++k) {
            uint256 r = uint256(keccak256(abi.encode(seed, k)));
            // leave at least 1 for each part still to come
            parts[k] = uint64(bound(r, 1, remaining - (n - 1 - k)));
            remaining -= parts[k];
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- remaining <= total, a uint64
        parts[n - 1] = uint64(remaining);

        uint256 id = _receipt(total);
        uint256 firstNewId = _split(supplier, id, parts);
        uint256 sum = wr.receipt(id).quantity;
        vm.assertEq(sum, parts[0]);
        for (uint256 k = 1; k < n; ++k) {
            uint64 q = wr.receipt(firstNewId + k - 1).quantity;
            vm.assertEq(q, parts[k]);
            sum += q;
        }
        vm.assertEq(sum, total);
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.receipted, total);
        vm.assertEq(l.liveReceipts, n);
    }

    /// Parts that do not add up to the receipt are refused, whatever they are.
    function testFuzz_RevertWhen_splitDoesNotConserve(uint64 total, uint64 a, uint64 b, uint64 c) public {
        total = uint64(bound(total, 1, MAX_QUANTITY));
        a = uint64(bound(a, 1, MAX_QUANTITY));
        b = uint64(bound(b, 1, MAX_QUANTITY));
        c = uint64(bound(c, 1, MAX_QUANTITY));
        uint256 sum = uint256(a) + b + c;
        if (sum == total) c += 1;
        sum = uint256(a) + b + c;
        uint256 id = _receipt(total);
        // forge-lint: disable-next-line(unsafe-typecast) -- three 48-bit values fit 64 bits
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.SplitDoesNotConserve.selector, id, total, uint64(sum)));
        _split(supplier, id, _q(a, b, c));
    }

    /// A mint goes through exactly when 0 < quantity <= attested (<= 2**48 - 1), else names the reason.
    function testFuzz_mint_coverAgainstAttested(uint64 attested, uint64 quantity) public {
        attested = uint64(bound(attested, 0, MAX_QUANTITY));
        _attest(LOT, attested);
        if (quantity == 0 || quantity > MAX_QUANTITY) {
            vm.expectRevert(
                abi.encodeWithSelector(IWarehouseReceipts.QuantityOutOfRange.selector, quantity, MAX_QUANTITY)
            );
            _mint(supplier, LOT, quantity);
        } else if (quantity > attested) {
            vm.expectRevert(
                abi.encodeWithSelector(IWarehouseReceipts.InsufficientStockCover.selector, LOT, attested, 0, quantity)
            );
            _mint(supplier, LOT, quantity);
        } else {
            uint256 id = _mint(supplier, LOT, quantity);
            vm.assertEq(wr.receipt(id).quantity, quantity);
            vm.assertEq(wr.lot(LOT).receipted, quantity);
            vm.assertLe(wr.lot(LOT).receipted, wr.lot(LOT).attested, "covered");
            // and no second receipt, whatever cover is left
            vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LotAlreadyReceipted.selector, LOT, quantity));
            _mint(supplier2, LOT, 1);
        }
    }

    /// Expiry is stored as a whole UTC day, rounded up: never earlier than asked, less than a day later.
    function testFuzz_mint_expiryRoundsUpToWholeDay(uint64 expiresAt) public {
        _attest(LOT, Q);
        uint256 nowTs = _now();
        if (expiresAt == 0) {
            uint256 undated = _mint(supplier, LOT, Q);
            vm.assertEq(wr.receipt(undated).expiresAt, 0);
            return;
        }
        uint256 day = (uint256(expiresAt) + 1 days - 1) / 1 days;
        if (expiresAt <= nowTs || day > type(uint16).max) {
            vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotInFuture.selector, "expiry", expiresAt));
            vm.prank(warehouse);
            wr.mint(supplier, LOT, AL, Q, expiresAt, DETAILS);
            return;
        }
        vm.prank(warehouse);
        uint256 id = wr.mint(supplier, LOT, AL, Q, expiresAt, DETAILS);
        uint64 stored = wr.receipt(id).expiresAt;
        vm.assertEq(stored % 1 days, 0, "a whole day");
        vm.assertGe(stored, expiresAt, "never earlier than asked");
        vm.assertLt(stored, uint256(expiresAt) + 1 days, "less than a day later");
    }

    /// Expiry rounding, the other way round: from a bounded date, and pledging stops exactly at the stored expiry.
    function testFuzz_requestPledge_stopsAtTheRoundedExpiry(uint256 offset) public {
        offset = bound(offset, 1, 3 * 365 days);
        _attest(LOT, Q);
        // forge-lint: disable-next-line(unsafe-typecast) -- a date a few years ahead
        uint64 expiresAt = uint64(_now() + offset);
        vm.prank(warehouse);
        uint256 id = wr.mint(supplier, LOT, AL, Q, expiresAt, DETAILS);
        uint64 stored = wr.receipt(id).expiresAt;
        vm.warp(stored - 1);
        _requestPledge(supplier, id, lender);
        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        vm.warp(stored);
        uint64 maturity = stored + 30 days;
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.ReceiptExpired.selector, id, stored));
        vm.prank(supplier);
        wr.requestPledge(id, lender, 1, CNY, LOAN, maturity);
    }

    /// Two serial sets drawn from one universe of 64 serials: the second lot is refused exactly when
    /// they overlap, naming the first shared serial; after delivery of the first, it goes through.
    function testFuzz_serialSets_backOneLotOnly(uint64 maskA, uint64 maskB) public {
        maskA = maskA == 0 ? 1 : maskA;
        maskB = maskB == 0 ? 2 : maskB;
        bytes32[] memory a = _fromMask(maskA);
        bytes32[] memory b = _fromMask(maskB);
        _attest(LOT, Q);
        _mintSerialized(supplier, LOT, Q, a);
        _attestAt(warehouse2, LOT2, AL, Q);

        uint64 common = maskA & maskB;
        if (common != 0) {
            uint256 first = 0;
            while ((uint256(common) >> first) & 1 == 0) ++first;
            vm.expectRevert(
                abi.encodeWithSelector(IWarehouseReceipts.SerialAlreadyReceipted.selector, _serial(first), LOT)
            );
            vm.prank(warehouse2);
            wr.mintSerialized(supplier2, LOT2, AL, Q, 0, DETAILS, b);
            _requestDelivery(supplier, 1, Q);
            vm.prank(warehouse);
            wr.confirmDelivery(1, a);
        }
        vm.prank(warehouse2);
        uint256 id = wr.mintSerialized(supplier2, LOT2, AL, Q, 0, DETAILS, b);
        for (uint256 i = 0; i < b.length; ++i) {
            vm.assertEq(wr.serialLot(b[i]), LOT2);
        }
        for (uint256 i = 0; i < a.length; ++i) {
            if ((uint256(maskB) >> (uint256(a[i]) & 63)) & 1 == 0) {
                vm.assertEq(wr.serialLot(a[i]), common == 0 ? LOT : bytes32(0));
            }
        }
        vm.assertEq(wr.itemsRoot(id), _hash(b));
    }

    /// An item list is accepted only strictly ascending; the first offending position is named.
    function testFuzz_RevertWhen_itemsNotStrictlyAscending(uint256 n, uint256 at, bool duplicate) public {
        n = bound(n, 2, 40);
        at = bound(at, 1, n - 1);
        bytes32[] memory items = _serials(500, n);
        if (duplicate) items[at] = items[at - 1];
        else (items[at], items[at - 1]) = (items[at - 1], items[at]);
        _attest(LOT, Q);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.ItemsNotSorted.selector, at));
        _mintSerialized(supplier, LOT, Q, items);
    }

    /// splitItems hands every item to exactly one part, keeping each part's list ascending.
    function testFuzz_splitItems_partitionsItems(uint256 n, uint256 parts, uint256 seed) public {
        n = bound(n, 2, 48);
        parts = bound(parts, 2, n < 8 ? n : 8);
        bytes32[] memory items = _serials(7000, n);
        uint8[] memory assignment = new uint8[](n);
        uint256[] memory counts = new uint256[](parts);
        for (uint256 i = 0; i < n; ++i) {
            // the first `parts` items seed every part, the rest go anywhere
            // forge-lint: disable-next-line(unsafe-typecast) -- parts <= 8
            assignment[i] = uint8(i < parts ? i : uint256(keccak256(abi.encode(seed, i))) % parts);
            counts[assignment[i]]++;
        }
        uint64[] memory quantities = new uint64[](parts);
        for (uint256 k = 0; k < parts; ++k) {
            quantities[k] = uint64(counts[k] * 10);
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- n <= 48
        uint64 total = uint64(n * 10);
        _attest(LOT, total);
        uint256 id = _mintSerialized(supplier, LOT, total, items);
        vm.prank(supplier);
        uint256 firstNewId = wr.splitItems(id, quantities, items, assignment);

        uint256 covered = 0;
        for (uint256 k = 0; k < parts; ++k) {
            bytes32[] memory expected = new bytes32[](counts[k]);
            uint256 j = 0;
            for (uint256 i = 0; i < n; ++i) {
                if (assignment[i] == k) expected[j++] = items[i];
            }
            covered += j;
            uint256 partId = k == 0 ? id : firstNewId + k - 1;
            vm.assertEq(wr.itemsRoot(partId), _hash(expected));
            vm.assertEq(wr.receipt(partId).quantity, quantities[k]);
        }
        vm.assertEq(covered, n);
        vm.assertEq(wr.lot(LOT).liveReceipts, parts);
    }

    /// A count freezes the lot exactly when it is below what is receipted.
    function testFuzz_stocktake_freezesOnlyBelowReceipted(uint64 receipted, uint64 found) public {
        receipted = uint64(bound(receipted, 1, MAX_QUANTITY));
        found = uint64(bound(found, 0, MAX_QUANTITY));
        uint256 id = _receipt(receipted);
        _stocktake(LOT, found, _ids(id));
        vm.assertEq(wr.lot(LOT).frozen, found < receipted);
        vm.assertEq(wr.lot(LOT).attested, found);
    }

    /// Partial delivery takes exactly what was asked from the receipt and the lot.
    function testFuzz_delivery_reducesReceiptAndLot(uint64 total, uint64 delivered) public {
        total = uint64(bound(total, 1, MAX_QUANTITY));
        delivered = uint64(bound(delivered, 1, total));
        uint256 id = _receipt(total);
        _deliver(supplier, id, delivered);
        vm.assertEq(wr.lot(LOT).receipted, total - delivered);
        if (delivered == total) {
            vm.assertEq(wr.lot(LOT).liveReceipts, 0);
            vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, id));
            wr.receipt(id);
        } else {
            vm.assertEq(wr.receipt(id).quantity, total - delivered);
            vm.assertEq(wr.lot(LOT).liveReceipts, 1);
        }
    }
}
