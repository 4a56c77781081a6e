// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IAccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {ParticipantRegistry} from "../../contracts/ParticipantRegistry.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IStandingSubscriber} from "../../contracts/interfaces/IStandingSubscriber.sol";
import {StandingSubscriberMock} from "./utils/StandingSubscriberMock.sol";
import {Test} from "./utils/Test.sol";

contract ParticipantRegistryTest is Test {
    ParticipantRegistry internal registry;

    address internal admin = address(0xA11CE);
    address internal warehouse = address(0x1001);
    address internal lender = address(0x1002);
    address internal core = address(0x1003);
    address internal supplier = address(0x1004);
    address internal inspector = address(0x1005);
    address internal auditor = address(0x1006);
    address internal regulator = address(0x1007);
    address internal outsider = address(0xBAD);

    uint48 internal constant ADMIN_DELAY = 2 days;
    uint64 internal validUntil;
    bytes32 internal constant LICENCE = keccak256("licence-WH-001");

    function setUp() public {
        vm.warp(1_790_000_000); // 2026-09
        validUntil = uint64(block.timestamp + 365 days);
        registry = new ParticipantRegistry(admin, ADMIN_DELAY);
        vm.startPrank(admin);
        registry.admitWarehouse(warehouse, keccak256("wh"), "Warehouse One", validUntil, _admission(5, 50_000));
        registry.admit(lender, uint8(IParticipantRegistry.Role.Lender), keccak256("bank"), "Bank One", validUntil);
        registry.admit(core, uint8(IParticipantRegistry.Role.CoreEnterprise), keccak256("core"), "Core", validUntil);
        registry.admit(supplier, uint8(IParticipantRegistry.Role.Supplier), keccak256("s1"), "Supplier", validUntil);
        registry.admit(inspector, uint8(IParticipantRegistry.Role.Inspector), keccak256("i1"), "Insp", validUntil);
        registry.admit(auditor, uint8(IParticipantRegistry.Role.Auditor), keccak256("a1"), "Auditor", validUntil);
        registry.admit(regulator, uint8(IParticipantRegistry.Role.Regulator), keccak256("r1"), "Reg", validUntil);
        vm.stopPrank();
    }

    function _admission(uint16 yearsInOperation, uint64 capacity)
        internal
        pure
        returns (IParticipantRegistry.WarehouseAdmission memory)
    {
        return IParticipantRegistry.WarehouseAdmission(LICENCE, yearsInOperation, capacity);
    }

    function _nonRegistrars() internal view returns (address[8] memory) {
        return [warehouse, lender, core, supplier, inspector, auditor, regulator, outsider];
    }

    // ------------------------------------------------------------ admit

    function test_admit_recordsMemberAndEmits() public {
        address fresh = address(0x2000);
        vm.expectEmit(true, true, true, true);
        emit IParticipantRegistry.MemberAdmitted(
            fresh, IParticipantRegistry.Role.Supplier, keccak256("uscc"), "Tier2 Co", validUntil
        );
        vm.prank(admin);
        registry.admit(fresh, uint8(IParticipantRegistry.Role.Supplier), keccak256("uscc"), "Tier2 Co", validUntil);

        IParticipantRegistry.Member memory m = registry.member(fresh);
        vm.assertEq(uint256(m.role), uint256(IParticipantRegistry.Role.Supplier));
        vm.assertEq(uint256(m.status), uint256(IParticipantRegistry.Status.Active));
        vm.assertEq(m.admittedAt, block.timestamp);
        vm.assertEq(m.validUntil, validUntil);
        vm.assertEq(m.entityId, keccak256("uscc"));
        vm.assertEq(m.name, "Tier2 Co");
        vm.assertTrue(registry.isActive(fresh));
        vm.assertTrue(registry.hasActiveRole(fresh, IParticipantRegistry.Role.Supplier));
        vm.assertFalse(registry.hasActiveRole(fresh, IParticipantRegistry.Role.Lender));
        vm.assertEq(registry.memberCount(), 8);
        vm.assertEq(registry.memberAt(7), fresh);
    }

    function test_admitWarehouse_recordsAdmission() public view {
        IParticipantRegistry.WarehouseAdmission memory a = registry.warehouseAdmission(warehouse);
        vm.assertEq(a.licenceCommitment, LICENCE);
        vm.assertEq(a.yearsInOperation, 5);
        vm.assertEq(a.ratedCapacityTonnes, 50_000);
        vm.assertTrue(registry.hasActiveRole(warehouse, IParticipantRegistry.Role.Warehouse));
    }

    function test_RevertWhen_admitTwice() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.AlreadyAdmitted.selector,
                lender,
                uint8(IParticipantRegistry.Role.Lender),
                uint8(IParticipantRegistry.Status.Active)
            )
        );
        vm.prank(admin);
        registry.admit(lender, uint8(IParticipantRegistry.Role.Supplier), bytes32(0), "Again", validUntil);
    }

    function test_RevertWhen_admitZeroAddress() public {
        vm.expectRevert(IParticipantRegistry.ZeroAddress.selector);
        vm.prank(admin);
        registry.admit(address(0), uint8(IParticipantRegistry.Role.Supplier), bytes32(0), "Zero", validUntil);
    }

    function test_RevertWhen_admitWithValidityInPast() public {
        uint64 past = uint64(block.timestamp - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.ValidityNotInFuture.selector, address(0x2000), past)
        );
        vm.prank(admin);
        registry.admit(address(0x2000), uint8(IParticipantRegistry.Role.Supplier), bytes32(0), "Late", past);
    }

    function test_RevertWhen_admitWithValidityNow() public {
        uint64 nowTs = uint64(block.timestamp);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.ValidityNotInFuture.selector, address(0x2000), nowTs)
        );
        vm.prank(admin);
        registry.admit(address(0x2000), uint8(IParticipantRegistry.Role.Supplier), bytes32(0), "Now", nowTs);
    }

    function test_RevertWhen_admitUnknownRole() public {
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.UnknownRole.selector, uint8(9)));
        vm.prank(admin);
        registry.admit(address(0x2000), 9, bytes32(0), "Who", validUntil);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.UnknownRole.selector, uint8(0)));
        vm.prank(admin);
        registry.admit(address(0x2000), 0, bytes32(0), "Nobody", validUntil);
    }

    function test_RevertWhen_admitEmptyName() public {
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.EmptyName.selector, address(0x2000)));
        vm.prank(admin);
        registry.admit(address(0x2000), uint8(IParticipantRegistry.Role.Supplier), bytes32(0), "", validUntil);
    }

    function test_RevertWhen_admitWarehouseWithoutAdmissionRecord() public {
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.WarehouseAdmissionRequired.selector, address(0x2000))
        );
        vm.prank(admin);
        registry.admit(address(0x2000), uint8(IParticipantRegistry.Role.Warehouse), bytes32(0), "WH", validUntil);
    }

    function test_RevertWhen_admitWarehouseWithoutLicence() public {
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.MissingLicence.selector, address(0x2000)));
        vm.prank(admin);
        registry.admitWarehouse(
            address(0x2000), bytes32(0), "WH", validUntil, IParticipantRegistry.WarehouseAdmission(bytes32(0), 9, 9)
        );
    }

    function test_RevertWhen_admitWarehouseBelowStandard() public {
        vm.prank(admin);
        registry.setWarehouseStandards(3, 10_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.BelowWarehouseStandard.selector, address(0x2000), 2, 20_000, 3, 10_000
            )
        );
        vm.prank(admin);
        registry.admitWarehouse(address(0x2000), bytes32(0), "Young WH", validUntil, _admission(2, 20_000));
    }

    function test_setWarehouseStandards_emitsAndApplies() public {
        vm.expectEmit(true, false, false, true);
        emit IParticipantRegistry.WarehouseStandardsChanged(admin, 3, 10_000);
        vm.prank(admin);
        registry.setWarehouseStandards(3, 10_000);
        (uint16 y, uint64 c) = registry.warehouseStandards();
        vm.assertEq(y, 3);
        vm.assertEq(c, 10_000);
        vm.prank(admin);
        registry.admitWarehouse(address(0x2000), bytes32(0), "Old WH", validUntil, _admission(3, 10_000));
        vm.assertTrue(registry.isActive(address(0x2000)));
    }

    function test_updateWarehouseAdmission_replacesRecord() public {
        bytes32 newLicence = keccak256("licence-renewed");
        vm.expectEmit(true, true, false, true);
        emit IParticipantRegistry.WarehouseAdmissionRecorded(warehouse, newLicence, 6, 80_000);
        vm.prank(admin);
        registry.updateWarehouseAdmission(warehouse, IParticipantRegistry.WarehouseAdmission(newLicence, 6, 80_000));
        vm.assertEq(registry.warehouseAdmission(warehouse).ratedCapacityTonnes, 80_000);
    }

    function test_RevertWhen_updateWarehouseAdmissionOfRevokedWarehouse() public {
        vm.warp(block.timestamp + 100);
        vm.startPrank(admin);
        registry.revoke(warehouse, "licence withdrawn");
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberRevoked.selector, warehouse, uint64(block.timestamp))
        );
        registry.updateWarehouseAdmission(
            warehouse, IParticipantRegistry.WarehouseAdmission(keccak256("licence-renewed"), 6, 80_000)
        );
        vm.stopPrank();
    }

    function test_RevertWhen_updateWarehouseAdmissionOfNonWarehouse() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                lender,
                uint8(IParticipantRegistry.Role.Lender),
                uint8(IParticipantRegistry.Role.Warehouse)
            )
        );
        vm.prank(admin);
        registry.updateWarehouseAdmission(lender, _admission(9, 9));
    }

    // ------------------------------------------------------------ suspend / reinstate / revoke / renew

    function test_suspend_stopsMemberEverywhere() public {
        vm.warp(block.timestamp + 10);
        vm.expectEmit(true, true, false, true);
        emit IParticipantRegistry.MembershipSuspended(warehouse, admin, "stock shortfall");
        vm.prank(admin);
        registry.suspend(warehouse, "stock shortfall");

        vm.assertFalse(registry.isActive(warehouse));
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, warehouse, uint64(block.timestamp))
        );
        registry.requireActive(warehouse, IParticipantRegistry.Role.Warehouse);
    }

    function test_reinstate_restoresMember() public {
        vm.startPrank(admin);
        registry.suspend(supplier, "late KYC documents");
        vm.expectEmit(true, true, false, true);
        emit IParticipantRegistry.MembershipReinstated(supplier, admin);
        registry.reinstate(supplier);
        vm.stopPrank();
        vm.assertTrue(registry.isActive(supplier));
        registry.requireActive(supplier, IParticipantRegistry.Role.Supplier);
    }

    function test_RevertWhen_suspendTwice() public {
        vm.startPrank(admin);
        registry.suspend(supplier, "first");
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, supplier, uint64(block.timestamp))
        );
        registry.suspend(supplier, "second");
        vm.stopPrank();
    }

    function test_RevertWhen_reinstateActiveMember() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.MemberNotSuspended.selector, supplier, uint8(IParticipantRegistry.Status.Active)
            )
        );
        vm.prank(admin);
        registry.reinstate(supplier);
    }

    function test_RevertWhen_actingOnNonMember() public {
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        registry.suspend(outsider, "x");
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        registry.reinstate(outsider);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        registry.revoke(outsider, "x");
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        registry.renewKyc(outsider, validUntil);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        registry.requireActiveMember(outsider);
    }

    function test_revoke_isFinal() public {
        vm.warp(block.timestamp + 100);
        uint64 revokedAt = uint64(block.timestamp);
        vm.startPrank(admin);
        vm.expectEmit(true, true, false, true);
        emit IParticipantRegistry.MembershipRevoked(core, admin, "fraud");
        registry.revoke(core, "fraud");

        bytes memory revoked = abi.encodeWithSelector(IParticipantRegistry.MemberRevoked.selector, core, revokedAt);
        vm.expectRevert(revoked);
        registry.reinstate(core);
        vm.expectRevert(revoked);
        registry.admit(core, uint8(IParticipantRegistry.Role.Supplier), bytes32(0), "Reborn", validUntil);
        vm.expectRevert(revoked);
        registry.suspend(core, "again");
        vm.expectRevert(revoked);
        registry.revoke(core, "again");
        vm.expectRevert(revoked);
        registry.renewKyc(core, validUntil);
        vm.stopPrank();
        vm.expectRevert(revoked);
        registry.requireActiveMember(core);
    }

    function test_renewKyc_extendsValidity() public {
        uint64 later = validUntil + 365 days;
        vm.expectEmit(true, true, false, true);
        emit IParticipantRegistry.KycRenewed(inspector, admin, later);
        vm.prank(admin);
        registry.renewKyc(inspector, later);
        vm.warp(validUntil + 1);
        vm.assertTrue(registry.isActive(inspector));
    }

    function test_RevertWhen_renewKycToPast() public {
        uint64 past = uint64(block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.ValidityNotInFuture.selector, inspector, past));
        vm.prank(admin);
        registry.renewKyc(inspector, past);
    }

    function test_expiredKyc_stopsMember() public {
        vm.warp(validUntil + 1);
        vm.assertFalse(registry.isActive(lender));
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.MemberKycExpired.selector, lender, validUntil));
        registry.requireActive(lender, IParticipantRegistry.Role.Lender);
    }

    function test_RevertWhen_requireActiveWithWrongRole() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                supplier,
                uint8(IParticipantRegistry.Role.Supplier),
                uint8(IParticipantRegistry.Role.Warehouse)
            )
        );
        registry.requireActive(supplier, IParticipantRegistry.Role.Warehouse);
    }

    // ------------------------------------------------------------ access control

    function test_RevertWhen_nonRegistrarCallsAnyAdminFunction() public {
        address[8] memory callers = _nonRegistrars();
        bytes32 registrarRole = registry.REGISTRAR_ROLE();
        bytes32 adminRole = registry.DEFAULT_ADMIN_ROLE();
        for (uint256 i = 0; i < callers.length; i++) {
            address caller = callers[i];
            bytes memory notRegistrar = abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, caller, registrarRole
            );
            vm.startPrank(caller);
            vm.expectRevert(notRegistrar);
            registry.admit(address(0x3000), uint8(IParticipantRegistry.Role.Supplier), bytes32(0), "X", validUntil);
            vm.expectRevert(notRegistrar);
            registry.admitWarehouse(address(0x3000), bytes32(0), "X", validUntil, _admission(9, 9));
            vm.expectRevert(notRegistrar);
            registry.updateWarehouseAdmission(warehouse, _admission(9, 9));
            vm.expectRevert(notRegistrar);
            registry.suspend(supplier, "x");
            vm.expectRevert(notRegistrar);
            registry.reinstate(supplier);
            vm.expectRevert(notRegistrar);
            registry.revoke(supplier, "x");
            vm.expectRevert(notRegistrar);
            registry.renewKyc(supplier, validUntil);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, adminRole)
            );
            registry.setWarehouseStandards(1, 1);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, adminRole)
            );
            registry.grantRole(registrarRole, caller);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, adminRole)
            );
            registry.beginDefaultAdminTransfer(caller);
            vm.stopPrank();
        }
    }

    function test_defaultAdmin_cannotGrantItselfTheAdminRoleDirectly() public {
        bytes32 adminRole = registry.DEFAULT_ADMIN_ROLE();
        vm.expectRevert(IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminRules.selector);
        vm.prank(admin);
        registry.grantRole(adminRole, outsider);
    }

    function test_defaultAdminTransfer_needsDelayAndAcceptance() public {
        address newAdmin = address(0xB0B);
        vm.prank(admin);
        registry.beginDefaultAdminTransfer(newAdmin);
        (, uint48 schedule) = registry.pendingDefaultAdmin();
        vm.assertEq(schedule, block.timestamp + ADMIN_DELAY);

        vm.expectRevert(
            abi.encodeWithSelector(IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminDelay.selector, schedule)
        );
        vm.prank(newAdmin);
        registry.acceptDefaultAdminTransfer();

        vm.warp(uint256(schedule) + 1);
        vm.prank(newAdmin);
        registry.acceptDefaultAdminTransfer();
        vm.assertEq(registry.defaultAdmin(), newAdmin);
    }

    /// Issue 15, item 5: the handover moves every power. The whole role table, before and after:
    /// the former admin kept REGISTRAR_ROLE (granted at deployment) and could go on admitting.
    function test_defaultAdminTransfer_movesEveryRoleOfTheFormerAdmin() public {
        address newAdmin = address(0xB0B);
        address appointed = address(0xEE);
        bytes32 registrarRole = registry.REGISTRAR_ROLE();
        bytes32 adminRole = registry.DEFAULT_ADMIN_ROLE();
        vm.prank(admin);
        registry.grantRole(registrarRole, appointed);
        address[3] memory holders = [admin, newAdmin, appointed];
        bool[3] memory adminBefore = [true, false, false];
        bool[3] memory registrarBefore = [true, false, true];
        for (uint256 i = 0; i < 3; ++i) {
            vm.assertEq(registry.hasRole(adminRole, holders[i]), adminBefore[i], "admin role before");
            vm.assertEq(registry.hasRole(registrarRole, holders[i]), registrarBefore[i], "registrar role before");
        }

        vm.prank(admin);
        registry.beginDefaultAdminTransfer(newAdmin);
        (, uint48 schedule) = registry.pendingDefaultAdmin();
        vm.warp(uint256(schedule) + 1);
        vm.prank(newAdmin);
        registry.acceptDefaultAdminTransfer();

        bool[3] memory adminAfter = [false, true, false];
        bool[3] memory registrarAfter = [false, true, true]; // the appointed registrar keeps its role
        for (uint256 i = 0; i < 3; ++i) {
            vm.assertEq(registry.hasRole(adminRole, holders[i]), adminAfter[i], "admin role after");
            vm.assertEq(registry.hasRole(registrarRole, holders[i]), registrarAfter[i], "registrar role after");
        }
        vm.assertEq(registry.defaultAdmin(), newAdmin);
        vm.expectRevert(_unauthorized(admin, registrarRole));
        vm.prank(admin);
        registry.revoke(supplier, "the former admin is powerless");
        vm.prank(newAdmin);
        registry.admit(address(0x2000), uint8(IParticipantRegistry.Role.Auditor), bytes32(0), "Audit Co", validUntil);
    }

    function test_entityOf_returnsTheAdmittedEntity() public view {
        vm.assertEq(registry.entityOf(address(0xDEAD0)), bytes32(0));
        vm.assertEq(registry.entityOf(supplier), registry.member(supplier).entityId);
    }

    function test_registrarAppointedByAdmin_canAdmit() public {
        address registrar = address(0xEE);
        bytes32 registrarRole = registry.REGISTRAR_ROLE();
        vm.prank(admin);
        registry.grantRole(registrarRole, registrar);
        vm.prank(registrar);
        registry.admit(address(0x2000), uint8(IParticipantRegistry.Role.Auditor), bytes32(0), "Audit Co", validUntil);
        vm.assertTrue(registry.hasActiveRole(address(0x2000), IParticipantRegistry.Role.Auditor));
    }

    // ------------------------------------------------------------ fuzz

    function testFuzz_admit_validityMustBeFuture(uint64 offset, bool past) public {
        offset = uint64(bound(offset, 1, 100 * 365 days));
        uint64 until = past ? uint64(block.timestamp) - (offset % uint64(block.timestamp)) : uint64(block.timestamp) + offset;
        address fresh = address(0x4000);
        if (past) {
            vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.ValidityNotInFuture.selector, fresh, until));
        }
        vm.prank(admin);
        registry.admit(fresh, uint8(IParticipantRegistry.Role.Supplier), bytes32(0), "F", until);
        if (!past) {
            vm.assertTrue(registry.isActive(fresh));
            vm.warp(uint256(until) + 1);
            vm.assertFalse(registry.isActive(fresh));
        }
    }

    function testFuzz_admit_onlyKnownRoles(uint8 role) public {
        address fresh = address(0x4000);
        if (role == 0 || role > 8) {
            vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.UnknownRole.selector, role));
        } else if (role == uint8(IParticipantRegistry.Role.Warehouse)) {
            vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.WarehouseAdmissionRequired.selector, fresh));
        }
        vm.prank(admin);
        registry.admit(fresh, role, bytes32(0), "F", validUntil);
        if (role >= 2 && role <= 8) {
            vm.assertTrue(registry.hasActiveRole(fresh, IParticipantRegistry.Role(role)));
        }
    }

    function testFuzz_nonRegistrarCannotAdmit(address caller) public {
        vm.assume(caller != admin);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, caller, registry.REGISTRAR_ROLE()
            )
        );
        vm.prank(caller);
        registry.admit(address(0x4000), uint8(IParticipantRegistry.Role.Supplier), bytes32(0), "F", validUntil);
    }

    // ------------------------------------------------------------ standing subscribers

    function _newSubscriber() internal returns (StandingSubscriberMock s) {
        s = new StandingSubscriberMock(address(registry));
        vm.prank(admin);
        registry.addSubscriber(address(s));
    }

    /// @dev `s` holds exactly what the registry holds for `account`.
    function _assertMirrors(StandingSubscriberMock s, address account) internal view {
        IParticipantRegistry.Member memory m = registry.member(account);
        (, IParticipantRegistry.Standing memory st) = s.mirroredStanding(account);
        vm.assertEq(uint256(st.role), uint256(m.role), "role");
        vm.assertEq(uint256(st.status), uint256(m.status), "status");
        vm.assertEq(st.validUntil, m.validUntil, "valid until");
        vm.assertEq(st.statusChangedAt, m.statusChangedAt, "status changed at");
    }

    function _unauthorized(address caller, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role);
    }

    function test_addSubscriber_listsItEmitsAndTellsIt() public {
        StandingSubscriberMock s = new StandingSubscriberMock(address(registry));
        vm.expectEmit(true, true, true, true, address(registry));
        emit IParticipantRegistry.SubscriberAdded(address(s), admin);
        vm.prank(admin);
        registry.addSubscriber(address(s));
        address[] memory subs = registry.subscribers();
        vm.assertEq(subs.length, 1);
        vm.assertEq(subs[0], address(s));
        vm.assertTrue(s.subscribed());
        vm.assertEq(s.epoch(), 1);
        vm.assertEq(s.pushes(), 0, "members admitted before are pushed by syncMembers");
    }

    function test_standingChanges_arePushedToEverySubscriber() public {
        StandingSubscriberMock a = _newSubscriber();
        StandingSubscriberMock b = _newSubscriber();
        address fresh = address(0x2000);
        address wh = address(0x2001);
        vm.startPrank(admin);
        registry.admit(fresh, uint8(IParticipantRegistry.Role.Supplier), 0, "Fresh", validUntil);
        _assertMirrors(a, fresh);
        vm.warp(block.timestamp + 1 days);
        registry.suspend(fresh, "review");
        _assertMirrors(a, fresh);
        vm.warp(block.timestamp + 1 days);
        registry.reinstate(fresh);
        _assertMirrors(a, fresh);
        registry.renewKyc(fresh, validUntil + 30 days);
        _assertMirrors(a, fresh);
        vm.warp(block.timestamp + 1 days);
        registry.revoke(fresh, "fraud");
        _assertMirrors(a, fresh);
        registry.admitWarehouse(wh, 0, "WH", validUntil, _admission(5, 50_000));
        _assertMirrors(a, wh);
        registry.updateWarehouseAdmission(wh, _admission(6, 60_000)); // no standing change: no push
        vm.stopPrank();
        _assertMirrors(b, fresh);
        _assertMirrors(b, wh);
        vm.assertEq(a.pushes(), 6);
        vm.assertEq(b.pushes(), 6);
    }

    function test_RevertWhen_aSubscriberRefusesAPush_theChangeIsUndone() public {
        StandingSubscriberMock s = _newSubscriber();
        s.setRefusals(true, false);
        vm.expectRevert(StandingSubscriberMock.MockRefused.selector);
        vm.prank(admin);
        registry.suspend(lender, "review");
        vm.assertEq(uint256(registry.member(lender).status), uint256(IParticipantRegistry.Status.Active));
        vm.expectRevert(StandingSubscriberMock.MockRefused.selector);
        vm.prank(admin);
        registry.admit(address(0x2000), uint8(IParticipantRegistry.Role.Supplier), 0, "Fresh", validUntil);
        vm.assertEq(registry.memberCount(), 7);
    }

    function test_RevertWhen_addSubscriber_callerIsNotTheAdmin() public {
        address registrar = address(0x3000);
        bytes32 registrarRole = registry.REGISTRAR_ROLE();
        vm.prank(admin);
        registry.grantRole(registrarRole, registrar);
        StandingSubscriberMock s = new StandingSubscriberMock(address(registry));
        address[3] memory callers = [registrar, lender, outsider];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(_unauthorized(callers[i], bytes32(0)));
            vm.prank(callers[i]);
            registry.addSubscriber(address(s));
        }
        vm.assertEq(registry.subscribers().length, 0);
    }

    function test_RevertWhen_addSubscriber_notAContract() public {
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.SubscriberNotAContract.selector, address(0)));
        registry.addSubscriber(address(0));
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.SubscriberNotAContract.selector, outsider));
        registry.addSubscriber(outsider);
        vm.stopPrank();
    }

    function test_RevertWhen_addSubscriber_alreadySubscribed() public {
        StandingSubscriberMock s = _newSubscriber();
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.SubscriberAlreadyAdded.selector, address(s)));
        vm.prank(admin);
        registry.addSubscriber(address(s));
        vm.assertEq(s.epoch(), 1);
    }

    function test_RevertWhen_addSubscriber_fifth() public {
        for (uint256 i = 0; i < registry.MAX_SUBSCRIBERS(); ++i) {
            _newSubscriber();
        }
        StandingSubscriberMock fifth = new StandingSubscriberMock(address(registry));
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.TooManySubscribers.selector, 4));
        vm.prank(admin);
        registry.addSubscriber(address(fifth));
        vm.assertEq(registry.subscribers().length, 4);
    }

    function test_RevertWhen_addSubscriber_itServesAnotherRegistry() public {
        StandingSubscriberMock s = new StandingSubscriberMock(address(0xDEAD));
        vm.expectRevert(abi.encodeWithSelector(IStandingSubscriber.NotParticipantRegistry.selector, address(registry)));
        vm.prank(admin);
        registry.addSubscriber(address(s));
        vm.assertEq(registry.subscribers().length, 0);
    }

    function test_removeSubscriber_stopsPushesEmitsAndTellsIt() public {
        StandingSubscriberMock a = _newSubscriber();
        StandingSubscriberMock b = _newSubscriber();
        vm.expectEmit(true, true, true, true, address(registry));
        emit IParticipantRegistry.SubscriberRemoved(address(a), admin, true);
        vm.prank(admin);
        registry.removeSubscriber(address(a));
        vm.assertFalse(a.subscribed());
        address[] memory subs = registry.subscribers();
        vm.assertEq(subs.length, 1);
        vm.assertEq(subs[0], address(b));
        vm.prank(admin);
        registry.suspend(lender, "review");
        vm.assertEq(a.pushes(), 0);
        vm.assertEq(b.pushes(), 1);
        // It can be subscribed again (a new epoch).
        vm.prank(admin);
        registry.addSubscriber(address(a));
        vm.assertEq(a.epoch(), 2);
    }

    function test_removeSubscriber_evenWhenItReverts() public {
        StandingSubscriberMock s = _newSubscriber();
        s.setRefusals(true, true);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IParticipantRegistry.SubscriberRemoved(address(s), admin, false);
        vm.prank(admin);
        registry.removeSubscriber(address(s));
        vm.assertEq(registry.subscribers().length, 0);
        vm.prank(admin);
        registry.suspend(lender, "review"); // no longer blocked by the broken subscriber
        vm.assertFalse(registry.isActive(lender));
    }

    function test_RevertWhen_removeSubscriber_notASubscriber() public {
        _newSubscriber();
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.SubscriberNotFound.selector, outsider));
        vm.prank(admin);
        registry.removeSubscriber(outsider);
    }

    function test_RevertWhen_removeSubscriber_callerIsNotTheAdmin() public {
        StandingSubscriberMock s = _newSubscriber();
        vm.expectRevert(_unauthorized(lender, bytes32(0)));
        vm.prank(lender);
        registry.removeSubscriber(address(s));
        vm.assertEq(registry.subscribers().length, 1);
    }

    function test_syncMembers_pushesTheRangeToEverySubscriber() public {
        vm.startPrank(admin);
        registry.suspend(core, "review"); // before anyone subscribed: only a sync carries it
        vm.stopPrank();
        StandingSubscriberMock a = _newSubscriber();
        StandingSubscriberMock b = _newSubscriber();
        vm.expectEmit(true, true, true, true, address(registry));
        emit IParticipantRegistry.MembersSynced(admin, 1, 3);
        vm.prank(admin);
        registry.syncMembers(1, 3); // lender, core, supplier
        vm.assertEq(a.pushes(), 3);
        (bool current,) = a.mirroredStanding(warehouse);
        vm.assertFalse(current, "member 0 is outside the range");
        _assertMirrors(a, core);
        _assertMirrors(b, core);
        vm.prank(admin);
        registry.syncMembers(0, 7);
        for (uint256 i = 0; i < 7; ++i) {
            _assertMirrors(a, registry.memberAt(i));
        }
        vm.assertEq(b.pushes(), 10);
    }

    function test_syncMembers_byAnAppointedRegistrar() public {
        StandingSubscriberMock s = _newSubscriber();
        address registrar = address(0x3000);
        bytes32 registrarRole = registry.REGISTRAR_ROLE();
        vm.prank(admin);
        registry.grantRole(registrarRole, registrar);
        vm.prank(registrar);
        registry.syncMembers(0, 7);
        vm.assertEq(s.pushes(), 7);
    }

    function test_syncMembers_withoutSubscribersPushesNothing() public {
        vm.prank(admin);
        registry.syncMembers(0, 7);
    }

    function test_RevertWhen_syncMembers_batchEmptyOrTooLarge() public {
        uint256 max = registry.MAX_SYNC_BATCH();
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.SyncBatchOutOfBounds.selector, 0, max));
        registry.syncMembers(0, 0);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.SyncBatchOutOfBounds.selector, max + 1, max));
        registry.syncMembers(0, max + 1);
        vm.stopPrank();
    }

    function test_RevertWhen_syncMembers_rangeBeyondMembers() public {
        vm.startPrank(admin);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.SyncRangeBeyondMembers.selector, 0, 8, 7));
        registry.syncMembers(0, 8);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.SyncRangeBeyondMembers.selector, 7, 1, 7));
        registry.syncMembers(7, 1);
        uint256 huge = type(uint256).max;
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.SyncRangeBeyondMembers.selector, huge, 1, 7));
        registry.syncMembers(huge, 1);
        vm.stopPrank();
    }

    function test_RevertWhen_syncMembers_callerIsNotARegistrar() public {
        _newSubscriber();
        bytes32 registrarRole = registry.REGISTRAR_ROLE();
        address[8] memory callers = _nonRegistrars();
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(_unauthorized(callers[i], registrarRole));
            vm.prank(callers[i]);
            registry.syncMembers(0, 1);
        }
    }

    /// A full batch to the most subscribers fits comfortably in a block (30M gas on Besu's default).
    function test_syncMembers_fullBatchToFourSubscribersIsBounded() public {
        vm.startPrank(admin);
        for (uint256 i = 0; i < 64; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) -- i < 64
            registry.admit(address(uint160(0x6000 + i)), uint8(IParticipantRegistry.Role.Supplier), 0, "S", validUntil);
        }
        vm.stopPrank();
        StandingSubscriberMock[4] memory subs;
        for (uint256 i = 0; i < 4; ++i) {
            subs[i] = _newSubscriber();
        }
        vm.prank(admin);
        uint256 before = gasleft();
        registry.syncMembers(7, 64);
        uint256 used = before - gasleft();
        vm.assertLt(used, 15_000_000, "a full sync batch must fit half a block");
        for (uint256 i = 0; i < 4; ++i) {
            vm.assertEq(subs[i].pushes(), 64);
        }
    }

    function testFuzz_syncMembers_pushesExactlyTheRangeGiven(uint256 fromIndex, uint256 count) public {
        fromIndex = bound(fromIndex, 0, 6);
        count = bound(count, 1, 7 - fromIndex);
        StandingSubscriberMock s = _newSubscriber();
        vm.prank(admin);
        registry.syncMembers(fromIndex, count);
        vm.assertEq(s.pushes(), count);
        for (uint256 i = 0; i < 7; ++i) {
            (bool current,) = s.mirroredStanding(registry.memberAt(i));
            vm.assertEq(current, i >= fromIndex && i < fromIndex + count, "pushed outside the range");
        }
    }
}
