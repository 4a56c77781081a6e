// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IReceivables} from "../interfaces/IReceivables.sol";

/// @notice One voucher piece in one storage word: what a split, transfer, pledge or payment of the
/// piece reads and writes, so that each touches the piece's slot once.
/// @dev Layout, low to high: holder (160 bits) | value (64) | tier (8) | status (3) | overdue (1) |
/// index of the parent piece within its root (20 bits; indexes are < 1,000,000).
/// The root id is not stored: it is `voucherId - voucherId % 1_000_000` (see {IReceivables}), and
/// the parent id is `rootId + parentIndex`, so the parent link costs no slot of its own.
type VoucherWord is uint256;

/// @notice A root's terms that the per-piece paths need, in one storage word.
/// @dev Layout, low to high: maturity (40 bits) | minimum denomination (64) | settled total (64) |
/// piece counter (32) | max depth (8) | funded (1).
/// Counter and settled total change by adding to the word: the counter stays below 1,000,000 and
/// the settled total below the face value (< 2^64), so neither carries into the next field.
type RootTerms is uint256;

using VoucherWordLibrary for VoucherWord global;
using RootTermsLibrary for RootTerms global;

/// @title VoucherWordLibrary
/// @notice Reads and writes the fields of a {VoucherWord}. Every writer keeps the other fields as
/// they are; callers bound each field to its width first (see each function).
library VoucherWordLibrary {
    uint256 private constant _VALUE_SHIFT = 160;
    uint256 private constant _TIER_SHIFT = 224;
    uint256 private constant _STATUS_SHIFT = 232;
    uint256 private constant _OVERDUE_BIT = 1 << 235;
    uint256 private constant _PARENT_SHIFT = 236;
    uint256 private constant _HOLDER_MASK = type(uint160).max;
    uint256 private constant _VALUE_MASK = uint256(type(uint64).max) << _VALUE_SHIFT;
    uint256 private constant _TIER_MASK = uint256(type(uint8).max) << _TIER_SHIFT;
    uint256 private constant _STATUS_MASK = uint256(7) << _STATUS_SHIFT;
    uint256 private constant _ACTIVE_BITS = uint256(uint8(IReceivables.VoucherStatus.Active)) << _STATUS_SHIFT;

    /// @dev The piece a root is issued as: Active, tier 0, no parent. Callers guarantee value < 2^64.
    function issued(address holder_, uint128 value_) internal pure returns (VoucherWord) {
        return VoucherWord.wrap(uint256(uint160(holder_)) | (uint256(value_) << _VALUE_SHIFT) | _ACTIVE_BITS);
    }

    /// @dev A piece split off another: Active. Callers guarantee each field fits: value < 2^64,
    /// tier < 2^8, parentIndex < 2^20.
    function splitOff(address holder_, uint256 value_, uint256 tier_, uint256 parentIndex_)
        internal
        pure
        returns (VoucherWord)
    {
        return VoucherWord.wrap(
            uint256(uint160(holder_)) | (value_ << _VALUE_SHIFT) | (tier_ << _TIER_SHIFT) | _ACTIVE_BITS
                | (parentIndex_ << _PARENT_SHIFT)
        );
    }

    function holder(VoucherWord word) internal pure returns (address) {
        // forge-lint: disable-next-line(unsafe-typecast) -- extracting the low 160-bit field is the point
        return address(uint160(VoucherWord.unwrap(word)));
    }

    function value(VoucherWord word) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) -- extracting the 64-bit value field is the point
        return uint64(VoucherWord.unwrap(word) >> _VALUE_SHIFT);
    }

    function tier(VoucherWord word) internal pure returns (uint256) {
        return (VoucherWord.unwrap(word) & _TIER_MASK) >> _TIER_SHIFT;
    }

    function status(VoucherWord word) internal pure returns (IReceivables.VoucherStatus) {
        return IReceivables.VoucherStatus((VoucherWord.unwrap(word) & _STATUS_MASK) >> _STATUS_SHIFT);
    }

    function overdue(VoucherWord word) internal pure returns (bool) {
        return VoucherWord.unwrap(word) & _OVERDUE_BIT != 0;
    }

    /// @dev The parent's index within the root (0 for the root piece itself).
    function parentIndex(VoucherWord word) internal pure returns (uint256) {
        return VoucherWord.unwrap(word) >> _PARENT_SHIFT;
    }

    /// @dev True when `account` holds the piece and it is Active: the fast path of every move, one
    /// comparison for both checks.
    function isActiveHeldBy(VoucherWord word, address account) internal pure returns (bool) {
        return VoucherWord.unwrap(word) & (_HOLDER_MASK | _STATUS_MASK) == uint256(uint160(account)) | _ACTIVE_BITS;
    }

    function withStatus(VoucherWord word, IReceivables.VoucherStatus status_) internal pure returns (VoucherWord) {
        return VoucherWord.wrap((VoucherWord.unwrap(word) & ~_STATUS_MASK) | (uint256(status_) << _STATUS_SHIFT));
    }

    function withHolder(VoucherWord word, address holder_) internal pure returns (VoucherWord) {
        return VoucherWord.wrap((VoucherWord.unwrap(word) & ~_HOLDER_MASK) | uint256(uint160(holder_)));
    }

    function withOverdue(VoucherWord word) internal pure returns (VoucherWord) {
        return VoucherWord.wrap(VoucherWord.unwrap(word) | _OVERDUE_BIT);
    }

    /// @dev The piece with `amount` taken off its value. Callers guarantee amount <= value.
    function withValueLess(VoucherWord word, uint256 amount) internal pure returns (VoucherWord) {
        unchecked {
            return VoucherWord.wrap(VoucherWord.unwrap(word) - (amount << _VALUE_SHIFT));
        }
    }

    /// @dev Callers guarantee value_ < 2^64 and tier_ < 2^8.
    function withValueAndTier(VoucherWord word, uint256 value_, uint256 tier_) internal pure returns (VoucherWord) {
        return VoucherWord.wrap(
            (VoucherWord.unwrap(word) & ~(_VALUE_MASK | _TIER_MASK)) | (value_ << _VALUE_SHIFT) | (tier_ << _TIER_SHIFT)
        );
    }

    function withoutValue(VoucherWord word) internal pure returns (VoucherWord) {
        return VoucherWord.wrap(VoucherWord.unwrap(word) & ~_VALUE_MASK);
    }
}

/// @title RootTermsLibrary
/// @notice Reads and writes the fields of a {RootTerms} word.
library RootTermsLibrary {
    uint256 private constant _MIN_DENOMINATION_SHIFT = 40;
    uint256 private constant _SETTLED_SHIFT = 104;
    uint256 private constant _PIECE_COUNT_SHIFT = 168;
    uint256 private constant _ONE_MORE_PIECE = uint256(1) << _PIECE_COUNT_SHIFT;
    uint256 private constant _MAX_DEPTH_SHIFT = 200;
    uint256 private constant _FUNDED_BIT = 1 << 208;

    /// @dev A new root's terms: no piece split off, nothing settled, not funded. Callers guarantee
    /// maturity_ < 2^40 and minDenomination_ < 2^64.
    function create(uint64 maturity_, uint128 minDenomination_, uint8 maxDepth_) internal pure returns (RootTerms) {
        return RootTerms.wrap(
            uint256(maturity_) | (uint256(minDenomination_) << _MIN_DENOMINATION_SHIFT)
                | (uint256(maxDepth_) << _MAX_DEPTH_SHIFT)
        );
    }

    function maturity(RootTerms terms) internal pure returns (uint40) {
        // forge-lint: disable-next-line(unsafe-typecast) -- extracting the low 40-bit field is the point
        return uint40(RootTerms.unwrap(terms));
    }

    function minDenomination(RootTerms terms) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) -- extracting a 64-bit field is the point
        return uint64(RootTerms.unwrap(terms) >> _MIN_DENOMINATION_SHIFT);
    }

    function settled(RootTerms terms) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) -- extracting a 64-bit field is the point
        return uint64(RootTerms.unwrap(terms) >> _SETTLED_SHIFT);
    }

    /// @dev Pieces split off the root so far (the root piece itself not counted).
    function pieceCount(RootTerms terms) internal pure returns (uint256) {
        return (RootTerms.unwrap(terms) >> _PIECE_COUNT_SHIFT) & type(uint32).max;
    }

    function maxDepth(RootTerms terms) internal pure returns (uint8) {
        // forge-lint: disable-next-line(unsafe-typecast) -- extracting an 8-bit field is the point
        return uint8(RootTerms.unwrap(terms) >> _MAX_DEPTH_SHIFT);
    }

    function funded(RootTerms terms) internal pure returns (bool) {
        return RootTerms.unwrap(terms) & _FUNDED_BIT != 0;
    }

    /// @dev One more piece counted. Callers guarantee the counter stays below 1,000,000.
    function withOneMorePiece(RootTerms terms) internal pure returns (RootTerms) {
        unchecked {
            return RootTerms.wrap(RootTerms.unwrap(terms) + _ONE_MORE_PIECE);
        }
    }

    /// @dev `amount` more settled. Callers guarantee the settled total stays within the face value.
    function withSettled(RootTerms terms, uint256 amount) internal pure returns (RootTerms) {
        unchecked {
            return RootTerms.wrap(RootTerms.unwrap(terms) + (amount << _SETTLED_SHIFT));
        }
    }

    function withFunded(RootTerms terms) internal pure returns (RootTerms) {
        return RootTerms.wrap(RootTerms.unwrap(terms) | _FUNDED_BIT);
    }
}
