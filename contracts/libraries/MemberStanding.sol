// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "../interfaces/IParticipantRegistry.sol";

/// @title MemberStanding
/// @notice A member's standing as a subscriber mirrors it, packed into 128 bits so that it fits the
/// 224-bit auxiliary word Solady's ERC-721 keeps in each address's balance slot: the slot a transfer
/// or mint touches anyway, so checking the parties costs no extra cold storage read.
/// @dev Layout, low to high: role (8 bits) | status (8) | KYC valid until (40) | status changed at
/// (40) | subscription epoch (32). A word of zero has epoch 0, which no subscription has: never current.
library MemberStanding {
    uint256 private constant _TIME_MASK = (1 << 40) - 1;

    function pack(IParticipantRegistry.Standing calldata s, uint32 epoch_) internal pure returns (uint224) {
        return uint224(
            uint256(uint8(s.role)) | (uint256(uint8(s.status)) << 8) | (uint256(s.validUntil) << 16)
                | (uint256(s.statusChangedAt) << 56) | (uint256(epoch_) << 96)
        );
    }

    function unpack(uint256 word) internal pure returns (IParticipantRegistry.Standing memory s) {
        // forge-lint: disable-next-line(unsafe-typecast) -- each field masked to its width
        s.role = IParticipantRegistry.Role(uint8(word) & 15);
        // forge-lint: disable-next-line(unsafe-typecast) -- each field masked to its width
        s.status = IParticipantRegistry.Status(uint8(word >> 8) & 3);
        // forge-lint: disable-next-line(unsafe-typecast) -- each field masked to its width
        s.validUntil = uint40((word >> 16) & _TIME_MASK);
        // forge-lint: disable-next-line(unsafe-typecast) -- each field masked to its width
        s.statusChangedAt = uint40((word >> 56) & _TIME_MASK);
    }

    function epoch(uint256 word) internal pure returns (uint32) {
        // forge-lint: disable-next-line(unsafe-typecast) -- the top field, 32 bits
        return uint32(word >> 96);
    }

    /// @dev Reverts exactly as {IParticipantRegistry-requireActive} does for a member of this
    /// standing (any role when `role` is None, as {IParticipantRegistry-requireActiveMember}): the
    /// same errors, in the same order, with the same arguments.
    function check(uint256 word, address account, IParticipantRegistry.Role role) internal view {
        // forge-lint: disable-next-line(unsafe-typecast) -- the low byte is the role field
        uint8 held = uint8(word);
        // forge-lint: disable-next-line(unsafe-typecast) -- the second byte is the status field
        uint8 status = uint8(word >> 8);
        // forge-lint: disable-next-line(unsafe-typecast) -- masked to the field's 40 bits
        uint64 validUntil = uint64((word >> 16) & _TIME_MASK);
        // forge-lint: disable-next-line(unsafe-typecast) -- masked to the field's 40 bits
        uint64 since = uint64((word >> 56) & _TIME_MASK);
        if (held == uint8(IParticipantRegistry.Role.None)) revert IParticipantRegistry.NotAMember(account);
        if (status == uint8(IParticipantRegistry.Status.Suspended)) {
            revert IParticipantRegistry.MemberSuspended(account, since);
        }
        if (status == uint8(IParticipantRegistry.Status.Revoked)) {
            revert IParticipantRegistry.MemberRevoked(account, since);
        }
        if (block.timestamp > validUntil) revert IParticipantRegistry.MemberKycExpired(account, validUntil);
        if (role != IParticipantRegistry.Role.None && held != uint8(role)) {
            revert IParticipantRegistry.WrongRole(account, held, uint8(role));
        }
    }
}
