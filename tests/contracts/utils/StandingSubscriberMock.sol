// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "../../../contracts/interfaces/IParticipantRegistry.sol";
import {IStandingSubscriber} from "../../../contracts/interfaces/IStandingSubscriber.sol";

/// @notice A standing subscriber that records what the registry pushes, and can be told to refuse
/// pushes or (un)subscriptions, to test the registry's side of the feed.
contract StandingSubscriberMock is IStandingSubscriber {
    error MockRefused();

    address public immutable source;
    bool public refusePushes;
    bool public refuseSubscriptionChanges;
    bool public subscribed;
    uint32 public epoch;
    uint256 public pushes;
    mapping(address account => IParticipantRegistry.Standing) internal _standing;

    constructor(address source_) {
        source = source_;
    }

    function setRefusals(bool pushes_, bool subscriptionChanges_) external {
        (refusePushes, refuseSubscriptionChanges) = (pushes_, subscriptionChanges_);
    }

    function onStandingChanged(address account, IParticipantRegistry.Standing calldata standing) external {
        if (msg.sender != source) revert NotParticipantRegistry(msg.sender);
        if (refusePushes) revert MockRefused();
        _standing[account] = standing;
        ++pushes;
    }

    function onSubscriptionChanged(bool subscribed_) external {
        if (msg.sender != source) revert NotParticipantRegistry(msg.sender);
        if (refuseSubscriptionChanges) revert MockRefused();
        subscribed = subscribed_;
        if (subscribed_) ++epoch;
        emit StandingFeedChanged(subscribed_, epoch);
    }

    function mirroredStanding(address account)
        external
        view
        returns (bool current, IParticipantRegistry.Standing memory standing)
    {
        standing = _standing[account];
        current = subscribed && standing.role != IParticipantRegistry.Role.None;
    }

    function standingFeed() external view returns (bool, uint32) {
        return (subscribed, epoch);
    }
}
