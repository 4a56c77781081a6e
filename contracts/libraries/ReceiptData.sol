// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ReceiptData
/// @notice The 96 bits a receipt keeps beside its owner in Solady's ERC-721 ownership slot, so that
/// a transfer reads everything it must check in the one slot it touches anyway.
/// @dev Layout, low to high: quantity (48 bits) | expiry day (16 bits, days since 1970-01-01,
/// 0 = none) | lot index (28 bits) | flags (4 bits).
library ReceiptData {
    uint256 internal constant MAX_QUANTITY = (1 << 48) - 1;
    uint256 internal constant MAX_LOT_INDEX = (1 << 28) - 1;
    uint256 internal constant MAX_EXPIRY_DAY = (1 << 16) - 1;

    /// @dev Set from a pledge request until release: no transfer, split, merge, delivery or second pledge.
    uint8 internal constant PLEDGE_LOCK = 1;
    /// @dev Judicial freeze by a regulator.
    uint8 internal constant FROZEN = 2;
    /// @dev The owner asked the warehouse to release the goods.
    uint8 internal constant DELIVERY_REQUESTED = 4;
    /// @dev The receipt lists item serials (its item list hash is stored separately).
    uint8 internal constant SERIALIZED = 8;

    function pack(uint256 quantity_, uint256 expiryDay_, uint256 lotIndex_, uint256 flags_)
        internal
        pure
        returns (uint96)
    {
        // Callers bound every field first; the masks keep a bug from spilling into a neighbour.
        // forge-lint: disable-next-line(unsafe-typecast) -- the fields are masked to 92 + 4 bits
        return uint96(
            (quantity_ & MAX_QUANTITY) | ((expiryDay_ & MAX_EXPIRY_DAY) << 48)
                | ((lotIndex_ & MAX_LOT_INDEX) << 64) | ((flags_ & 0xF) << 92)
        );
    }

    function quantity(uint96 data) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast) -- masked to the field's width
        return uint64(data & MAX_QUANTITY);
    }

    function expiryDay(uint96 data) internal pure returns (uint16) {
        // forge-lint: disable-next-line(unsafe-typecast) -- masked to the field's width
        return uint16((data >> 48) & MAX_EXPIRY_DAY);
    }

    function lotIndex(uint96 data) internal pure returns (uint32) {
        // forge-lint: disable-next-line(unsafe-typecast) -- masked to the field's width
        return uint32((data >> 64) & MAX_LOT_INDEX);
    }

    function flags(uint96 data) internal pure returns (uint8) {
        // forge-lint: disable-next-line(unsafe-typecast) -- masked to the field's width
        return uint8(data >> 92);
    }

    function withQuantity(uint96 data, uint256 newQuantity) internal pure returns (uint96) {
        // forge-lint: disable-next-line(unsafe-typecast) -- masked to the field's width
        return uint96((data & ~uint96(MAX_QUANTITY)) | (newQuantity & MAX_QUANTITY));
    }

    function withFlag(uint96 data, uint8 flag) internal pure returns (uint96) {
        return data | (uint96(flag) << 92);
    }

    function withoutFlag(uint96 data, uint8 flag) internal pure returns (uint96) {
        return data & ~(uint96(flag) << 92);
    }

    function has(uint96 data, uint8 flag) internal pure returns (bool) {
        return (flags(data) & flag) != 0;
    }
}
