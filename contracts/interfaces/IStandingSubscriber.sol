// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "./IParticipantRegistry.sol";

/// @title IStandingSubscriber
/// @notice A contract that keeps a mirror of every member's standing, pushed by the participant
/// registry in the same transaction as each change, so that it can check its callers without an
/// external call. Only the registry may push. A subscriber trusts its mirror only while subscribed
/// and only for entries pushed since it was last subscribed; for anyone else it asks the registry,
/// so a missing entry costs gas but never lets anyone act who should not.
interface IStandingSubscriber {
    /// @notice {caller:address} is not the participant registry: only the registry pushes member standing
    error NotParticipantRegistry(address caller);

    /// @notice The registry subscribed (or unsubscribed) this contract to its standing pushes.
    /// `epoch` counts subscriptions; entries pushed under an earlier one are no longer trusted.
    event StandingFeedChanged(bool subscribed, uint32 epoch);

    /// @notice The registry pushes `account`'s standing after it changed (or on a sync).
    /// @param account The member.
    /// @param standing Its role, status, KYC validity and status change time, as the registry holds them.
    function onStandingChanged(address account, IParticipantRegistry.Standing calldata standing) external;

    /// @notice The registry subscribed (`true`) or unsubscribed (`false`) this contract.
    /// @param subscribed Whether the registry pushes to this contract from now on.
    function onSubscriptionChanged(bool subscribed) external;

    /// @notice The standing mirrored for `account`, and whether it is `current` (pushed under the
    /// present subscription, so it is what the registry holds); when it is not, the contract asks
    /// the registry instead.
    /// @param account Any address (one never pushed has a zero standing, not current).
    /// @return current Whether this contract decides on `standing` rather than asking the registry.
    /// @return standing Role, status, KYC validity and status change time as last pushed.
    function mirroredStanding(address account)
        external
        view
        returns (bool current, IParticipantRegistry.Standing memory standing);

    /// @notice Whether the registry pushes to this contract, and the number of its subscription.
    /// @return subscribed Whether the registry pushes every standing change to this contract.
    /// @return epoch How many times it was subscribed (0: never); entries of earlier epochs are not trusted.
    function standingFeed() external view returns (bool subscribed, uint32 epoch);
}
