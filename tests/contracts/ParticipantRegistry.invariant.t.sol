// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ParticipantRegistry} from "../../contracts/ParticipantRegistry.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {MembershipHandler} from "./handlers/MembershipHandler.sol";
import {Test} from "./utils/Test.sol";

contract ParticipantRegistryInvariantTest is Test {
    ParticipantRegistry internal registry;
    MembershipHandler internal handler;

    function setUp() public {
        vm.warp(1_790_000_000);
        address registrar = address(0xA11CE);
        registry = new ParticipantRegistry(registrar, 2 days);
        handler = new MembershipHandler(registry, registrar);
        targetContract(address(handler));
    }

    /// Revocation is final: no sequence of registrar actions brings a revoked member back.
    function invariant_revokedStaysRevoked() public view {
        for (uint256 i = 0; i < handler.POOL(); i++) {
            address account = handler.poolAt(i);
            if (handler.ghostRevoked(account)) {
                vm.assertEq(uint256(registry.member(account).status), uint256(IParticipantRegistry.Status.Revoked));
                vm.assertFalse(registry.isActive(account), "revoked member is active");
            }
        }
    }

    /// Active means: admitted, status Active, and KYC still valid at this moment.
    function invariant_activeImpliesValidStanding() public view {
        for (uint256 i = 0; i < handler.POOL(); i++) {
            address account = handler.poolAt(i);
            IParticipantRegistry.Member memory m = registry.member(account);
            if (registry.isActive(account)) {
                vm.assertEq(uint256(m.status), uint256(IParticipantRegistry.Status.Active));
                vm.assertTrue(m.role != IParticipantRegistry.Role.None, "active without a role");
                vm.assertLe(block.timestamp, m.validUntil, "active past KYC validity");
            }
        }
    }

    /// Every admission is listed exactly once, and an address is admitted at most once.
    function invariant_memberListMatchesAdmissions() public view {
        vm.assertEq(registry.memberCount(), handler.ghostAdmitted());
        vm.assertLe(registry.memberCount(), handler.POOL(), "an address was admitted twice");
    }
}
