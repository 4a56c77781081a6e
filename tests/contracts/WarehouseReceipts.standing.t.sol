// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {WarehouseReceipts} from "../../contracts/WarehouseReceipts.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IStandingSubscriber} from "../../contracts/interfaces/IStandingSubscriber.sol";
import {IWarehouseReceipts} from "../../contracts/interfaces/IWarehouseReceipts.sol";
import {StandingSubscriberChecks} from "./utils/StandingSubscriberChecks.sol";
import {WarehouseReceiptsBase} from "./utils/WarehouseReceiptsBase.sol";

/// @notice The mirrored member standing: every member check decided locally exactly as the registry would.
contract WarehouseReceiptsStandingTest is WarehouseReceiptsBase, StandingSubscriberChecks {
    // ================================================================ the standing mirror

    function test_standingFeed_subscribedBeforeAnyAdmission() public view {
        (bool subscribed, uint32 epoch) = wr.standingFeed();
        vm.assertTrue(subscribed);
        vm.assertEq(epoch, 1);
        address[9] memory members =
            [warehouse, warehouse2, lender, lender2, core, supplier, supplier2, inspector, regulator];
        for (uint256 i = 0; i < members.length; ++i) {
            _assertMirrors(members[i]);
        }
        (bool current, IParticipantRegistry.Standing memory s) = wr.mirroredStanding(outsider);
        vm.assertFalse(current, "never pushed");
        vm.assertEq(uint256(s.role), 0);
    }

    function test_mirroredStanding_followsEveryRegistryChange() public {
        address fresh = address(0x2000);
        vm.startPrank(admin);
        registry.admit(fresh, uint8(IParticipantRegistry.Role.Supplier), 0, "Fresh", validUntil);
        _assertMirrors(fresh);
        _skip(1 days);
        registry.suspend(fresh, "review");
        _assertMirrors(fresh);
        _skip(1 days);
        registry.renewKyc(fresh, validUntil + 1 days);
        _assertMirrors(fresh);
        registry.reinstate(fresh);
        _assertMirrors(fresh);
        _skip(1 days);
        registry.revoke(fresh, "fraud");
        _assertMirrors(fresh);
        vm.stopPrank();
    }

    function test_activeMembers_transferPledgeAndMintWithoutAskingTheRegistry() public {
        (uint256 a,) = _twoHolders();
        _expectNoRegistryChecks();
        vm.prank(supplier);
        wr.transferFrom(supplier, core, a);
        uint48 seq = _requestPledge(core, a, lender);
        vm.prank(lender);
        wr.acceptPledge(a, seq);
        _attest(keccak256("third"), Q);
        _mint(supplier, keccak256("third"), Q);
        vm.assertEq(wr.lien(a).lender, lender);
    }

    function test_RevertWhen_suspendedMember_sendsReceivesOrPledges() public {
        (uint256 a, uint256 b) = _twoHolders();
        _suspend(supplier);
        _assertSupplierRefusedLocally(a, b, _suspended(supplier));
    }

    function test_RevertWhen_revokedMember_sendsReceivesOrPledges() public {
        (uint256 a, uint256 b) = _twoHolders();
        vm.prank(admin);
        registry.revoke(supplier, "fraud");
        _assertSupplierRefusedLocally(
            a, b, abi.encodeWithSelector(IParticipantRegistry.MemberRevoked.selector, supplier, uint64(_now()))
        );
    }

    function test_RevertWhen_kycExpiredMember_sendsReceivesOrPledges() public {
        (uint256 a, uint256 b) = _twoHolders();
        // No push happens when KYC lapses: the mirror holds the date and compares it with block time.
        uint64 until = _expireKyc(supplier);
        _assertSupplierRefusedLocally(
            a, b, abi.encodeWithSelector(IParticipantRegistry.MemberKycExpired.selector, supplier, until)
        );
    }

    function test_RevertWhen_suspendedLender_acceptsOrForecloses() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        _suspend(lender);
        _expectNoRegistryChecks();
        vm.expectRevert(_suspended(lender));
        vm.prank(lender);
        wr.acceptPledge(id, seq);
        vm.prank(admin);
        registry.reinstate(lender);
        vm.prank(lender);
        wr.acceptPledge(id, seq);
        _skip(90 days + DEFAULT_GRACE);
        uint64 until = _expireKyc(lender);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.MemberKycExpired.selector, lender, until));
        vm.prank(lender);
        wr.foreclose(id, lender);
    }

    function test_RevertWhen_multicallForgesAPush() public {
        bytes[] memory calls = new bytes[](1);
        calls[0] = abi.encodeCall(
            wr.onStandingChanged,
            (outsider, _standing(IParticipantRegistry.Role.Warehouse, IParticipantRegistry.Status.Active))
        );
        vm.expectRevert(abi.encodeWithSelector(IStandingSubscriber.NotParticipantRegistry.selector, outsider));
        vm.prank(outsider);
        wr.multicall(calls);
    }

    /// Removed from the feed, the contract stops trusting its mirror: a suspension it never heard of
    /// still stops the member, because it asks the registry again.
    function test_unsubscribed_asksTheRegistryAndMissesNoChange() public {
        (uint256 a,) = _twoHolders();
        vm.prank(admin);
        registry.removeSubscriber(address(wr));
        _suspend(supplier);
        (bool current, IParticipantRegistry.Standing memory stale) = wr.mirroredStanding(supplier);
        vm.assertFalse(current);
        vm.assertEq(uint256(stale.status), uint256(IParticipantRegistry.Status.Active), "not pushed");
        vm.expectRevert(_suspended(supplier));
        vm.prank(supplier);
        wr.transferFrom(supplier, core, a);
        vm.expectCall(address(registry), abi.encodeWithSelector(IParticipantRegistry.requireActiveMember.selector), 2);
        vm.prank(supplier2);
        wr.transferFrom(supplier2, core, 2);
        vm.assertEq(wr.ownerOf(2), core);
    }

    /// Subscribed again, the contract trusts only what is pushed under the new subscription: entries
    /// from before (which missed what happened in between) send it to the registry until synced.
    function test_resubscribed_distrustsOlderEntriesUntilSynced() public {
        (uint256 a,) = _twoHolders();
        vm.startPrank(admin);
        registry.removeSubscriber(address(wr));
        registry.suspend(supplier, "review");
        registry.addSubscriber(address(wr));
        vm.stopPrank();
        (bool current, IParticipantRegistry.Standing memory stale) = wr.mirroredStanding(supplier);
        vm.assertFalse(current, "an entry of epoch 1 under epoch 2");
        vm.assertEq(uint256(stale.status), uint256(IParticipantRegistry.Status.Active));
        vm.expectRevert(_suspended(supplier));
        vm.prank(supplier);
        wr.transferFrom(supplier, core, a);

        uint256 members = registry.memberCount();
        vm.prank(admin);
        registry.syncMembers(0, members);
        _assertMirrors(supplier);
        _assertMirrors(core);
        vm.prank(admin);
        registry.reinstate(supplier);
        _expectNoRegistryChecks();
        vm.prank(supplier);
        wr.transferFrom(supplier, core, a);
        vm.assertEq(wr.ownerOf(a), core);
    }

    function test_neverSubscribed_everyCheckAsksTheRegistry() public {
        WarehouseReceipts fresh = new WarehouseReceipts(IParticipantRegistry(address(registry)));
        (bool subscribed, uint32 epoch) = fresh.standingFeed();
        vm.assertFalse(subscribed);
        vm.assertEq(epoch, 0);
        (bool current,) = fresh.mirroredStanding(inspector);
        vm.assertFalse(current);
        vm.expectRevert(_notMember(outsider));
        vm.prank(outsider);
        fresh.recordStocktake(warehouse, LOT, AL, KG, DECIMALS, Q, EVIDENCE, new uint256[](0));
        vm.expectRevert(_wrongRole(supplier, _SUPPLIER, _INSPECTOR));
        vm.prank(supplier);
        fresh.recordStocktake(warehouse, LOT, AL, KG, DECIMALS, Q, EVIDENCE, new uint256[](0));
        vm.expectCall(address(registry), abi.encodeWithSelector(IParticipantRegistry.requireActive.selector), 2);
        vm.prank(inspector);
        fresh.recordStocktake(warehouse, LOT, AL, KG, DECIMALS, Q, EVIDENCE, new uint256[](0));
        vm.assertEq(fresh.lot(LOT).attested, Q);
    }

    function test_setPaused_doesNotStopStandingPushes() public {
        vm.prank(admin);
        wr.setPaused(true);
        _suspend(supplier);
        _assertMirrors(supplier);
        vm.prank(admin);
        registry.renewKyc(supplier, validUntil + 1 days);
        _assertMirrors(supplier);
    }

    function test_mint_preAllocatesTheLienSlot() public {
        uint256 id = _receipt(Q);
        vm.assertTrue(vm.load(address(wr), _lienSlot(id)) != bytes32(0), "lien slot not allocated");
        IWarehouseReceipts.Lien memory l = wr.lien(id);
        vm.assertEq(l.lender, address(0));
        vm.assertEq(l.loanMaturity, 0);
        vm.assertEq(uint256(l.state), uint256(IWarehouseReceipts.LienState.None));
        vm.assertEq(l.requestSeq, 0);
        // A part from a split is not pre-allocated: its first request allocates, and behaves the same.
        uint256 part = _split(supplier, id, _q(100, Q - 100));
        vm.assertEq(vm.load(address(wr), _lienSlot(part)), bytes32(0));
        vm.assertEq(_requestPledge(supplier, part, lender), 1);
        vm.assertEq(_requestPledge(supplier, id, lender), 1);
        vm.assertEq(wr.lien(part).lender, lender);
    }

    function _assertSameAnswer(address m) internal override {
        // Any role: approving an operator checks only the caller's standing.
        (bool okRegistry, bytes memory registryRet) =
            address(registry).staticcall(abi.encodeCall(registry.requireActiveMember, (m)));
        vm.prank(m);
        (bool ok, bytes memory ret) = address(wr).call(abi.encodeCall(wr.setApprovalForAll, (supplier, true)));
        vm.assertEq(ok, okRegistry, "active member check");
        if (!ok) vm.assertEq(ret, registryRet);
        // A role: unfreezing a lot checks the caller is an active regulator first (then finds it unfrozen).
        (okRegistry, registryRet) = address(registry).staticcall(
            abi.encodeCall(registry.requireActive, (m, IParticipantRegistry.Role.Regulator))
        );
        vm.prank(m);
        (, ret) = address(wr).call(abi.encodeCall(wr.unfreezeLot, (LOT)));
        if (okRegistry) vm.assertEq(ret, abi.encodeWithSelector(IWarehouseReceipts.LotNotFrozen.selector, LOT));
        else vm.assertEq(ret, registryRet);
    }
}
