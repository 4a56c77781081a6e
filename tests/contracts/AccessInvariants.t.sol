// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ParticipantRegistry} from "../../contracts/ParticipantRegistry.sol";
import {Receivables} from "../../contracts/Receivables.sol";
import {WarehouseReceipts} from "../../contracts/WarehouseReceipts.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IReceivables} from "../../contracts/interfaces/IReceivables.sol";
import {IStandingSubscriber} from "../../contracts/interfaces/IStandingSubscriber.sol";
import {AdminTransferHandler} from "./handlers/AdminTransferHandler.sol";
import {RoleGateHandler} from "./handlers/RoleGateHandler.sol";
import {Test} from "./utils/Test.sol";

/// @notice Only role holders mint, settle, freeze or admit: whatever membership churn and callers
/// the handler throws at the contracts, every successful mint was by an active warehouse, every
/// settlement or funding by the root's active obligor or its designated active paying bank, every
/// freeze or unfreeze by an active regulator, and every admission by a REGISTRAR_ROLE holder.
contract RoleGateInvariantsTest is Test {
    ParticipantRegistry internal registry;
    WarehouseReceipts internal wr;
    Receivables internal receivables;
    RoleGateHandler internal handler;

    address internal constant ADMIN = address(0xA11CE);
    address internal constant INSPECTOR = address(0x15);

    function setUp() public {
        vm.warp(1_790_000_000);
        registry = new ParticipantRegistry(ADMIN, 2 days);
        wr = new WarehouseReceipts(registry);
        receivables = new Receivables(registry, 7 days);
        uint64 validUntil = uint64(block.timestamp + 20 * 365 days);
        vm.prank(ADMIN);
        registry.addSubscriber(address(wr)); // the handler takes both off the feed and back at times
        vm.prank(ADMIN);
        registry.addSubscriber(address(receivables));

        // The handler's pool: two members of each role at 0x7002..0x700f (0x7000, 0x7001: none).
        vm.startPrank(ADMIN);
        registry.admit(INSPECTOR, uint8(IParticipantRegistry.Role.Inspector), 0, "inspector", validUntil);
        for (uint256 i = 2; i < 16; ++i) {
            address account = _poolAt(i);
            IParticipantRegistry.Role role = IParticipantRegistry.Role(uint8(i / 2));
            if (role == IParticipantRegistry.Role.Warehouse) {
                registry.admitWarehouse(
                    account,
                    0,
                    "warehouse",
                    validUntil,
                    IParticipantRegistry.WarehouseAdmission(keccak256("licence"), 10, 100_000)
                );
            } else {
                registry.admit(account, uint8(role), 0, "member", validUntil);
            }
        }
        vm.stopPrank();

        // Four roots: each core on each bank's line, held by a supplier, maturing within a week.
        uint256[] memory roots = new uint256[](4);
        for (uint256 l = 0; l < 2; ++l) {
            for (uint256 c = 0; c < 2; ++c) {
                vm.prank(_poolAt(4 + l));
                receivables.setCreditLine(_poolAt(6 + c), 1e15, "CNY", uint64(block.timestamp + 10 * 365 days));
                vm.prank(_poolAt(6 + c));
                roots[l * 2 + c] = receivables.issue(
                    IReceivables.IssueParams({
                        holder: _poolAt(8 + c),
                        lender: _poolAt(4 + l),
                        faceValue: 1e9,
                        currency: "CNY",
                        maturity: uint64(block.timestamp + (l * 2 + c + 1) * 1 days),
                        document: keccak256(abi.encode("gate invoice", l, c)),
                        minDenomination: 1,
                        maxDepth: 3
                    })
                );
            }
        }

        handler = new RoleGateHandler(registry, wr, receivables, ADMIN, INSPECTOR, roots);
        targetContract(address(handler));
    }

    function _poolAt(uint256 i) internal pure returns (address) {
        return address(uint160(0x7000 + i));
    }

    function invariant_onlyRoleHoldersMintSettleFreezeOrAdmit() public view {
        if (handler.violationCount() != 0) vm.assertTrue(false, handler.violations(0));
    }

    /// The mirrors the receipts and receivables contracts check callers against never lie: any entry it trusts
    /// (current) is exactly the registry's record, whatever membership churn, removals from and
    /// returns to the standing feed, and partial syncs happened; a non-member has none; and once
    /// every member was synced under the current subscription, every member has one.
    function invariant_mirroredStandingIsTheRegistrys() public view {
        _assertMirrorIsTheRegistrys(wr);
        _assertMirrorIsTheRegistrys(receivables);
    }

    function _assertMirrorIsTheRegistrys(IStandingSubscriber mirror) internal view {
        (bool subscribed,) = mirror.standingFeed();
        uint256 n = handler.POOL() + handler.admitAttempts();
        for (uint256 i = 0; i < n; ++i) {
            address account = i < handler.POOL() ? handler.poolAt(i) : handler.admittedAt(i - handler.POOL());
            IParticipantRegistry.Member memory m = registry.member(account);
            (bool current, IParticipantRegistry.Standing memory s) = mirror.mirroredStanding(account);
            if (m.role == IParticipantRegistry.Role.None) {
                vm.assertFalse(current, "a trusted entry for a non-member");
                continue;
            }
            if (subscribed && handler.fullySynced()) vm.assertTrue(current, "a synced member without an entry");
            if (!current) continue;
            vm.assertEq(uint256(s.role), uint256(m.role), "mirrored role");
            vm.assertEq(uint256(s.status), uint256(m.status), "mirrored status");
            vm.assertEq(s.validUntil, m.validUntil, "mirrored KYC validity");
            vm.assertEq(s.statusChangedAt, m.statusChangedAt, "mirrored status time");
        }
    }

    /// The pool's registrars are exactly those the admin appointed; no member holds the admin role.
    function invariant_noMemberHoldsTheAdminRole() public view {
        for (uint256 i = 0; i < handler.POOL(); ++i) {
            vm.assertFalse(registry.hasRole(bytes32(0), handler.poolAt(i)), "a member holds DEFAULT_ADMIN_ROLE");
        }
        vm.assertEq(registry.defaultAdmin(), ADMIN);
    }
}

/// @notice The admin changes only through the delayed two-step: whatever the admin and anyone
/// else try (begin, cancel, accept, delay changes, grants, revocations, renunciations) and however
/// time passes, the admin is the one the model says — the last pending admin that accepted after
/// its delay — at most one account holds DEFAULT_ADMIN_ROLE, and the pending transfer and the delay
/// are what the rules give.
contract AdminTransferInvariantsTest is Test {
    ParticipantRegistry internal registry;
    WarehouseReceipts internal wr;
    Receivables internal receivables;
    AdminTransferHandler internal handler;

    address internal constant ADMIN = address(0xA11CE);

    function setUp() public {
        vm.warp(1_790_000_000);
        registry = new ParticipantRegistry(ADMIN, 2 days);
        wr = new WarehouseReceipts(registry);
        receivables = new Receivables(registry, 7 days);
        handler = new AdminTransferHandler(registry, ADMIN, 2 days);
        targetContract(address(handler));
    }

    function invariant_adminChangesOnlyThroughTheDelayedTwoStep() public view {
        if (handler.violationCount() != 0) vm.assertTrue(false, handler.violations(0));
        address admin = handler.ghostAdmin();
        vm.assertEq(registry.defaultAdmin(), admin, "admin differs from the two-step model");
        vm.assertEq(registry.owner(), admin);
        uint256 holders = 0;
        for (uint256 i = 0; i < handler.POOL(); ++i) {
            address account = handler.poolAt(i);
            bool holds = registry.hasRole(bytes32(0), account);
            if (holds) ++holders;
            vm.assertEq(holds, account == admin, "DEFAULT_ADMIN_ROLE held by someone other than the admin");
        }
        vm.assertLe(holders, 1, "two admins");
    }

    function invariant_pendingTransferAndDelayFollowTheRules() public view {
        (address pending, uint48 schedule) = registry.pendingDefaultAdmin();
        vm.assertEq(pending, handler.ghostPending(), "pending admin");
        vm.assertEq(uint256(schedule), uint256(handler.ghostSchedule()), "accept schedule");
        vm.assertEq(uint256(registry.defaultAdminDelay()), uint256(handler.ghostDelay()), "delay");
    }
}
