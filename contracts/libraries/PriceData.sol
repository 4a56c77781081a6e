// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title PriceData
/// @notice The two words the price feed reads on every post: a publisher's latest post and a
/// commodity's reference price, each packed into one storage slot so that recomputing the median of
/// up to eight publishers reads eight slots and writes two.
/// @dev Post, low to high: price (64 bits) | as-of (40) | posted at (40) | flags (8) | source (96).
/// Reference, low to high: price (64) | as-of (40) | round id (64) | updated at (40) | contributors (8).
/// A word of zero is "no post" / "no price": a posted price is never zero.
library PriceData {
    uint256 internal constant MAX_PRICE = type(uint64).max;
    uint256 private constant _TIME_MASK = (1 << 40) - 1;
    uint256 private constant _PENDING = 1;

    // ------------------------------------------------------------ posts

    function packPost(uint256 price_, uint256 asOf_, uint256 postedAt_, bool pending_, bytes12 source_)
        internal
        pure
        returns (uint256)
    {
        // Callers bound price and times first; the masks keep a bug from spilling into a neighbour.
        return (price_ & MAX_PRICE) | ((asOf_ & _TIME_MASK) << 64) | ((postedAt_ & _TIME_MASK) << 104)
            | ((pending_ ? _PENDING : 0) << 144) | (uint256(uint96(source_)) << 152);
    }

    function price(uint256 word) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) -- the low 64 bits are the price field
        return uint64(word);
    }

    function asOf(uint256 word) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) -- masked to the field's 40 bits
        return uint64((word >> 64) & _TIME_MASK);
    }

    function postedAt(uint256 word) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) -- masked to the field's 40 bits
        return uint64((word >> 104) & _TIME_MASK);
    }

    function pending(uint256 word) internal pure returns (bool) {
        return (word >> 144) & _PENDING != 0;
    }

    function withoutPending(uint256 word) internal pure returns (uint256) {
        return word & ~(_PENDING << 144);
    }

    function source(uint256 word) internal pure returns (bytes12) {
        // forge-lint: disable-next-line(unsafe-typecast) -- the top field, 96 bits
        return bytes12(uint96(word >> 152));
    }

    /// @dev True when the post counts: posted, confirmed, and no older than `maxAge` at `now_`.
    function counts(uint256 word, uint256 now_, uint256 maxAge) internal pure returns (bool) {
        return word != 0 && !pending(word) && now_ - asOf(word) <= maxAge;
    }

    // ------------------------------------------------------------ reference

    function packReference(uint256 price_, uint256 asOf_, uint256 roundId_, uint256 updatedAt_, uint256 contributors_)
        internal
        pure
        returns (uint256)
    {
        return (price_ & MAX_PRICE) | ((asOf_ & _TIME_MASK) << 64) | ((roundId_ & type(uint64).max) << 104)
            | ((updatedAt_ & _TIME_MASK) << 168) | ((contributors_ & 0xFF) << 208);
    }

    function roundId(uint256 word) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) -- masked to the field's 64 bits
        return uint64((word >> 104) & type(uint64).max);
    }

    function updatedAt(uint256 word) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) -- masked to the field's 40 bits
        return uint64((word >> 168) & _TIME_MASK);
    }

    function contributors(uint256 word) internal pure returns (uint8) {
        // forge-lint: disable-next-line(unsafe-typecast) -- the top field, 8 bits
        return uint8(word >> 208);
    }

    // ------------------------------------------------------------ arithmetic

    /// @dev |a - b| * 10000 > bps * b: `a` is more than `bps` basis points away from `b` (b > 0).
    function deviates(uint256 a, uint256 b, uint256 bps) internal pure returns (bool) {
        uint256 diff = a > b ? a - b : b - a;
        return diff * 10_000 > bps * b;
    }

    /// @dev The text of a left-aligned, zero-padded code (e.g. bytes16 "CU-CATH"), without the padding.
    function text(bytes32 code) internal pure returns (string memory s) {
        uint256 n = 0;
        while (n < 32 && code[n] != 0) ++n;
        bytes memory b = new bytes(n);
        for (uint256 i = 0; i < n; ++i) {
            b[i] = code[i];
        }
        s = string(b);
    }
}
