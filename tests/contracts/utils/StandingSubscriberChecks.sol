// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ParticipantRegistry} from "../../../contracts/ParticipantRegistry.sol";
import {IParticipantRegistry} from "../../../contracts/interfaces/IParticipantRegistry.sol";
import {IStandingSubscriber} from "../../../contracts/interfaces/IStandingSubscriber.sol";
import {Test} from "./Test.sol";

/// @notice What a suite of a contract on the registry's standing feed needs to check the mirror: a
/// suite names its feed with {_onStandingFeed} in its setUp. {StandingSubscriberChecks} adds the tests.
abstract contract StandingSubscriberHelpers is Test {
    ParticipantRegistry internal _feedRegistry;
    IStandingSubscriber internal _feedSubscriber;
    address internal _feedAdmin;
    address internal _feedMember;
    address internal _feedOutsider;
    IParticipantRegistry.Role internal _forgedRole;

    /// @dev `subscriber` is on `registry_`'s feed (subscribed once, epoch 1), managed by `admin_`;
    /// `member` is an admitted member and `outsider` none; a forged push claims `forgedRole`.
    function _onStandingFeed(
        ParticipantRegistry registry_,
        IStandingSubscriber subscriber,
        address admin_,
        address member,
        address outsider_,
        IParticipantRegistry.Role forgedRole
    ) internal {
        _feedRegistry = registry_;
        _feedSubscriber = subscriber;
        _feedAdmin = admin_;
        _feedMember = member;
        _feedOutsider = outsider_;
        _forgedRole = forgedRole;
    }

    /// @dev Expects the next call to reach no member check of the registry.
    function _expectNoRegistryChecks() internal {
        vm.expectCall(
            address(_feedRegistry), abi.encodeWithSelector(IParticipantRegistry.requireActiveMember.selector), 0
        );
        vm.expectCall(address(_feedRegistry), abi.encodeWithSelector(IParticipantRegistry.requireActive.selector), 0);
    }

    /// @dev The contract's mirror of `account` is current and holds exactly the registry's record.
    function _assertMirrors(address account) internal view {
        IParticipantRegistry.Member memory m = _feedRegistry.member(account);
        (bool current, IParticipantRegistry.Standing memory s) = _feedSubscriber.mirroredStanding(account);
        vm.assertTrue(current, "mirror entry not current");
        vm.assertEq(uint256(s.role), uint256(m.role), "role");
        vm.assertEq(uint256(s.status), uint256(m.status), "status");
        vm.assertEq(s.validUntil, m.validUntil, "valid until");
        vm.assertEq(s.statusChangedAt, m.statusChangedAt, "status changed at");
    }
}

/// @notice The tests every contract on the registry's standing feed must pass, written once for
/// all of them ({WarehouseReceipts}, {Receivables}): only the registry pushes, subscriptions start
/// epochs, the mirror holds the registry's record, and a check from the mirror refuses exactly as the
/// registry would. A suite names its feed with {_onStandingFeed} in its setUp and says, in
/// {_assertSameAnswer}, how its contract answers a member check.
abstract contract StandingSubscriberChecks is StandingSubscriberHelpers {
    /// @dev Calls as `m` one function that checks only that `m` is an active member and one that
    /// checks a role, and asserts each refuses with the registry's own error (or passes the check).
    function _assertSameAnswer(address m) internal virtual;

    function test_RevertWhen_onStandingChanged_callerIsNotTheRegistry() public {
        address[4] memory callers = [_feedAdmin, _feedMember, _feedOutsider, address(_feedSubscriber)];
        IParticipantRegistry.Standing memory forged = IParticipantRegistry.Standing(
            _forgedRole,
            IParticipantRegistry.Status.Active,
            uint40(vm.getBlockTimestamp() + 365 days),
            uint40(vm.getBlockTimestamp())
        );
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IStandingSubscriber.NotParticipantRegistry.selector, callers[i]));
            vm.prank(callers[i]);
            _feedSubscriber.onStandingChanged(_feedOutsider, forged);
        }
        (bool current,) = _feedSubscriber.mirroredStanding(_feedOutsider);
        vm.assertFalse(current);
    }

    function test_RevertWhen_onSubscriptionChanged_callerIsNotTheRegistry() public {
        address[3] memory callers = [_feedAdmin, _feedMember, _feedOutsider];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IStandingSubscriber.NotParticipantRegistry.selector, callers[i]));
            vm.prank(callers[i]);
            _feedSubscriber.onSubscriptionChanged(false);
        }
        (bool subscribed, uint32 epoch) = _feedSubscriber.standingFeed();
        vm.assertTrue(subscribed);
        vm.assertEq(epoch, 1);
    }

    function test_onSubscriptionChanged_removalAndReadditionStartANewEpoch() public {
        vm.expectEmit(true, true, true, true, address(_feedSubscriber));
        emit IStandingSubscriber.StandingFeedChanged(false, 1);
        vm.prank(_feedAdmin);
        _feedRegistry.removeSubscriber(address(_feedSubscriber));
        vm.expectEmit(true, true, true, true, address(_feedSubscriber));
        emit IStandingSubscriber.StandingFeedChanged(true, 2);
        vm.prank(_feedAdmin);
        _feedRegistry.addSubscriber(address(_feedSubscriber));
        (bool subscribed, uint32 epoch) = _feedSubscriber.standingFeed();
        vm.assertTrue(subscribed);
        vm.assertEq(epoch, 2);
    }

    function testFuzz_mirror_refusesExactlyAsTheRegistry(uint8 role, uint8[6] calldata steps, uint32[6] calldata gaps)
        public
    {
        address m = address(0x7777);
        role = uint8(bound(role, 2, 7)); // any role but warehouse
        vm.prank(_feedAdmin);
        _feedRegistry.admit(m, role, 0, "M", uint64(vm.getBlockTimestamp() + 10 days));
        for (uint256 i = 0; i < steps.length; ++i) {
            uint8 step = steps[i] % 8;
            vm.startPrank(_feedAdmin);
            if (step == 0 || step == 1) {
                try _feedRegistry.suspend(m, "fuzz") {} catch {}
            } else if (step == 2 || step == 3) {
                try _feedRegistry.reinstate(m) {} catch {}
            } else if (step == 4 || step == 5) {
                uint64 until = uint64(vm.getBlockTimestamp() + bound(gaps[i], 1, 10 days));
                try _feedRegistry.renewKyc(m, until) {} catch {}
            } else if (step == 6) {
                try _feedRegistry.revoke(m, "fuzz") {} catch {}
            }
            vm.stopPrank();
            vm.warp(vm.getBlockTimestamp() + bound(gaps[i], 0, 6 days));
            _assertMirrors(m);
            _assertSameAnswer(m);
        }
    }
}
