// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Receivables} from "../../contracts/Receivables.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IReceivables} from "../../contracts/interfaces/IReceivables.sol";
import {StandingSubscriberChecks} from "./utils/StandingSubscriberChecks.sol";
import {ReceivablesFixture} from "./utils/ReceivablesFixture.sol";

/// @notice The mirrored member standing: pushed only by the registry, trusted only while current,
/// refusing exactly as the registry does.
contract ReceivablesStandingTest is ReceivablesFixture, StandingSubscriberChecks {
    function setUp() public override {
        super.setUp();
        _onStandingFeed(registry, receivables, admin, supplier, outsider, IParticipantRegistry.Role.Lender);
    }

    function test_standingFeed_subscribedBeforeAnyAdmission() public view {
        (bool subscribed, uint32 epoch) = receivables.standingFeed();
        vm.assertTrue(subscribed);
        vm.assertEq(epoch, 1);
        address[8] memory members = [lender, lender2, core, core2, supplier, supplier2, supplier3, inspector];
        for (uint256 i = 0; i < members.length; ++i) {
            _assertMirrors(members[i]);
        }
        (bool current, IParticipantRegistry.Standing memory s) = receivables.mirroredStanding(outsider);
        vm.assertFalse(current, "never pushed");
        vm.assertEq(uint256(s.role), 0);
    }

    /// The feed's state shares slot 0 with Pausable's flag, which every state change reads anyway.
    function test_storage_feedSharesThePauseSlot() public {
        // byte 0: paused; byte 1: live; bytes 2-5: epoch.
        vm.assertEq(uint256(vms.load(address(receivables), 0)), (1 << 8) | (1 << 16));
        vm.prank(admin);
        receivables.pause();
        vm.assertEq(uint256(vms.load(address(receivables), 0)), 1 | (1 << 8) | (1 << 16));
        vm.prank(admin);
        registry.removeSubscriber(address(receivables));
        vm.assertEq(uint256(vms.load(address(receivables), 0)), 1 | (1 << 16));
    }

    function test_mirroredStanding_followsEveryRegistryChange() public {
        address fresh = address(0x2000);
        vm.startPrank(admin);
        registry.admit(fresh, uint8(IParticipantRegistry.Role.Supplier), 0, "Fresh", validUntil);
        _assertMirrors(fresh);
        vm.warp(block.timestamp + 1 days);
        registry.suspend(fresh, "review");
        _assertMirrors(fresh);
        vm.warp(block.timestamp + 1 days);
        registry.renewKyc(fresh, validUntil + 1 days);
        _assertMirrors(fresh);
        registry.reinstate(fresh);
        _assertMirrors(fresh);
        vm.warp(block.timestamp + 1 days);
        registry.revoke(fresh, "fraud");
        _assertMirrors(fresh);
        vm.stopPrank();
    }

    /// Issue, split, transfer, discount, pledge, settle and redeem: no call to the registry.
    function test_activeMembers_wholeLifecycleWithoutAskingTheRegistry() public {
        _expectNoRegistryChecks();
        uint256 rootId = _issue(FACE);
        uint256 second = _issue(FACE);
        uint256 child = _split(supplier, rootId, supplier2, 1_000);
        vm.prank(supplier2);
        receivables.transfer(child, supplier3);
        _offer(child, supplier3, lender, 990);
        vm.prank(lender);
        receivables.acceptDiscount(child, 990, keccak256("wire"));
        uint256 pledged = _split(supplier, rootId, supplier, 2_000);
        _pledge(pledged, supplier, lender2, 1_000);
        vm.warp(maturity);
        vm.startPrank(core);
        receivables.settle(child, keccak256("pay"));
        receivables.settle(pledged, keccak256("pay"));
        receivables.fundRoot(second, keccak256("fund"));
        vm.stopPrank();
        vm.prank(supplier);
        receivables.redeem(second);
        vm.assertEq(_status(child), uint256(IReceivables.VoucherStatus.Settled));
        vm.assertEq(_status(second), uint256(IReceivables.VoucherStatus.Settled));
    }

    function test_RevertWhen_suspendedOrRevokedObligorSettles() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        _suspend(core);
        _expectNoRegistryChecks();
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, core, uint64(block.timestamp))
        );
        vm.prank(core);
        receivables.settle(rootId, keccak256("pay"));
        vm.prank(admin);
        registry.revoke(core, "fraud");
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberRevoked.selector, core, uint64(block.timestamp))
        );
        vm.prank(core);
        receivables.settle(rootId, keccak256("pay"));
    }

    function test_RevertWhen_kycExpiredHolderSplitsOrReceives() public {
        uint256 rootId = _issue(FACE);
        vm.prank(admin);
        registry.renewKyc(supplier2, uint64(block.timestamp + 1 days));
        vm.warp(block.timestamp + 1 days + 1);
        // No push happens when KYC lapses: the mirror holds the date and compares it with block time.
        _expectNoRegistryChecks();
        bytes memory expired = abi.encodeWithSelector(
            IParticipantRegistry.MemberKycExpired.selector, supplier2, uint64(block.timestamp - 1)
        );
        vm.expectRevert(expired);
        _split(supplier, rootId, supplier2, 1_000);
    }




    /// Removed from the feed, the contract stops trusting its mirror: a suspension it never heard of
    /// still stops the member, because it asks the registry again.
    function test_unsubscribed_asksTheRegistryAndMissesNoChange() public {
        uint256 rootId = _issue(FACE);
        vm.prank(admin);
        registry.removeSubscriber(address(receivables));
        _suspend(supplier);
        (bool current, IParticipantRegistry.Standing memory stale) = receivables.mirroredStanding(supplier);
        vm.assertFalse(current);
        vm.assertEq(uint256(stale.status), uint256(IParticipantRegistry.Status.Active), "not pushed");
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, supplier, uint64(block.timestamp))
        );
        _split(supplier, rootId, supplier2, 1_000);
        vm.prank(admin);
        registry.reinstate(supplier);
        vm.expectCall(address(registry), abi.encodeWithSelector(IParticipantRegistry.requireActiveMember.selector), 2);
        _split(supplier, rootId, supplier2, 1_000);
    }

    /// Subscribed again, the contract trusts only what is pushed under the new subscription: entries
    /// from before (which missed what happened in between) send it to the registry until synced.
    function test_resubscribed_distrustsOlderEntriesUntilSynced() public {
        uint256 rootId = _issue(FACE);
        vm.startPrank(admin);
        registry.removeSubscriber(address(receivables));
        registry.suspend(supplier, "review");
        registry.addSubscriber(address(receivables));
        vm.stopPrank();
        (bool current, IParticipantRegistry.Standing memory stale) = receivables.mirroredStanding(supplier);
        vm.assertFalse(current, "an entry of epoch 1 under epoch 2");
        vm.assertEq(uint256(stale.status), uint256(IParticipantRegistry.Status.Active));
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, supplier, uint64(block.timestamp))
        );
        _split(supplier, rootId, supplier2, 1_000);

        uint256 members = registry.memberCount();
        vm.prank(admin);
        registry.syncMembers(0, members);
        _assertMirrors(supplier);
        _assertMirrors(supplier2);
        vm.prank(admin);
        registry.reinstate(supplier);
        _expectNoRegistryChecks();
        _split(supplier, rootId, supplier2, 1_000);
    }

    function test_neverSubscribed_everyCheckAsksTheRegistry() public {
        Receivables fresh = new Receivables(registry, GRACE);
        (bool subscribed, uint32 epoch) = fresh.standingFeed();
        vm.assertFalse(subscribed);
        vm.assertEq(epoch, 0);
        (bool current,) = fresh.mirroredStanding(lender);
        vm.assertFalse(current);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        vm.prank(outsider);
        fresh.setCreditLine(core, LIMIT, CNY, lineExpiry);
        vm.expectCall(address(registry), abi.encodeWithSelector(IParticipantRegistry.requireActive.selector), 2);
        vm.prank(lender);
        fresh.setCreditLine(core, LIMIT, CNY, lineExpiry);
        vm.assertEq(fresh.creditLine(lender, core).limit, LIMIT);
    }

    function test_pause_doesNotStopStandingPushes() public {
        vm.prank(admin);
        receivables.pause();
        _suspend(supplier);
        _assertMirrors(supplier);
        vm.prank(admin);
        registry.renewKyc(supplier, validUntil + 1 days);
        _assertMirrors(supplier);
    }


    function _assertSameAnswer(address m) internal override {
        // Any role: cancelling an offer checks the caller's standing first, then finds no voucher.
        (bool okRegistry, bytes memory registryRet) =
            address(registry).staticcall(abi.encodeCall(registry.requireActiveMember, (m)));
        vm.prank(m);
        (bool ok, bytes memory ret) = address(receivables).call(abi.encodeCall(receivables.cancelDiscountOffer, (1)));
        vm.assertFalse(ok);
        vm.assertEq(ret, okRegistry ? _err(IReceivables.VoucherNotFound.selector, 1) : registryRet);
        // The lender role: closing a line checks the caller is an active lender, then finds no line.
        (okRegistry, registryRet) = address(registry).staticcall(
            abi.encodeCall(registry.requireActive, (m, IParticipantRegistry.Role.Lender))
        );
        vm.prank(m);
        (ok, ret) = address(receivables).call(abi.encodeCall(receivables.closeCreditLine, (outsider)));
        vm.assertFalse(ok);
        bytes memory noLine = abi.encodeWithSelector(IReceivables.CreditLineNotFound.selector, m, outsider);
        vm.assertEq(ret, okRegistry ? noLine : registryRet);
    }
}
