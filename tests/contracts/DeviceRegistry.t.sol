// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DeviceRegistry} from "../../contracts/DeviceRegistry.sol";
import {IDeviceRegistry} from "../../contracts/interfaces/IDeviceRegistry.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {ReceiptsFixture} from "./utils/ReceiptsFixture.sol";

contract DeviceRegistryTest is ReceiptsFixture {
    DeviceRegistry internal devices;

    address internal cell = address(0xCE11);
    address internal camera = address(0xCA3);
    address internal inspector2 = address(0x1015);
    bytes16 internal constant LOAD_CELL = "load-cell";

    function setUp() public override {
        super.setUp();
        devices = new DeviceRegistry(IParticipantRegistry(address(registry)));
        vm.prank(admin);
        _admit(inspector2, IParticipantRegistry.Role.Inspector, "Inspector Two");
        vm.label(address(devices), "DeviceRegistry");
    }

    function _register(address by, address device, address at) internal {
        vm.prank(by);
        devices.registerDevice(device, at, LOAD_CELL);
    }

    // ------------------------------------------------------------ registerDevice

    function test_registerDevice_recordsTheVouchingInspectorAndWarehouse() public {
        vm.expectEmit(address(devices));
        emit IDeviceRegistry.DeviceRegistered(cell, inspector, warehouse, LOAD_CELL);
        _register(inspector, cell, warehouse);
        IDeviceRegistry.Device memory d = devices.device(cell);
        vm.assertEq(d.inspector, inspector);
        vm.assertEq(d.warehouse, warehouse);
        vm.assertEq(d.registeredAt, _now());
        vm.assertEq(d.revokedAt, 0);
        vm.assertEq(bytes32(d.kind), bytes32(LOAD_CELL));
        vm.assertTrue(devices.isTrusted(cell));
    }

    function test_RevertWhen_registerDevice_byANonInspector() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                warehouse,
                uint8(IParticipantRegistry.Role.Warehouse),
                uint8(IParticipantRegistry.Role.Inspector)
            )
        );
        _register(warehouse, cell, warehouse);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, outsider));
        _register(outsider, cell, warehouse);
    }

    function test_RevertWhen_registerDevice_byASuspendedInspector() public {
        _suspend(inspector);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, inspector, uint64(_now()))
        );
        _register(inspector, cell, warehouse);
    }

    function test_RevertWhen_registerDevice_atANonWarehouse() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                lender,
                uint8(IParticipantRegistry.Role.Lender),
                uint8(IParticipantRegistry.Role.Warehouse)
            )
        );
        _register(inspector, cell, lender);
    }

    function test_RevertWhen_registerDevice_atTheInspectorsOwnEntity() public {
        address captive = address(0xC0FFEE);
        bytes32 entity = keccak256(bytes("Qingdao Bonded Logistics Warehouse"));
        vm.prank(admin);
        registry.admit(
            captive, uint8(IParticipantRegistry.Role.Inspector), entity, "Qingdao Inspection", validUntil
        );
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.SameEntity.selector, captive, warehouse, entity));
        _register(captive, cell, warehouse);
    }

    function test_RevertWhen_registerDevice_zeroKey() public {
        vm.expectRevert(IDeviceRegistry.ZeroDeviceKey.selector);
        _register(inspector, address(0), warehouse);
    }

    function test_RevertWhen_registerDevice_keyAlreadyVouchedForByAnother() public {
        _register(inspector, cell, warehouse);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceAlreadyRegistered.selector, cell, inspector));
        _register(inspector2, cell, warehouse2);
    }

    function test_RevertWhen_registerDevice_revokedKeyRegisteredAgain() public {
        _register(inspector, cell, warehouse);
        vm.prank(inspector);
        devices.revokeDevice(cell, "tampered");
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceAlreadyRegistered.selector, cell, inspector));
        _register(inspector, cell, warehouse);
    }

    // ------------------------------------------------------------ revokeDevice

    function test_revokeDevice_byItsInspector() public {
        _register(inspector, cell, warehouse);
        _skip(60);
        vm.expectEmit(address(devices));
        emit IDeviceRegistry.DeviceRevoked(cell, inspector, inspector, "replaced");
        vm.prank(inspector);
        devices.revokeDevice(cell, "replaced");
        vm.assertEq(devices.device(cell).revokedAt, _now());
        vm.assertFalse(devices.isTrusted(cell));
    }

    function test_revokeDevice_byTheConsortiumAdmin() public {
        _register(inspector, cell, warehouse);
        vm.expectEmit(address(devices));
        emit IDeviceRegistry.DeviceRevoked(cell, inspector, admin, "inspector under investigation");
        vm.prank(admin);
        devices.revokeDevice(cell, "inspector under investigation");
        vm.assertFalse(devices.isTrusted(cell));
    }

    function test_RevertWhen_revokeDevice_byAnotherInspector() public {
        _register(inspector, cell, warehouse);
        vm.expectRevert(
            abi.encodeWithSelector(IDeviceRegistry.NotDeviceInspector.selector, cell, inspector2, inspector)
        );
        vm.prank(inspector2);
        devices.revokeDevice(cell, "not mine");
        vm.assertTrue(devices.isTrusted(cell));
    }

    function test_RevertWhen_revokeDevice_twice() public {
        _register(inspector, cell, warehouse);
        vm.prank(inspector);
        devices.revokeDevice(cell, "tampered");
        uint64 since = uint64(_now());
        _skip(5);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceAlreadyRevoked.selector, cell, since));
        vm.prank(inspector);
        devices.revokeDevice(cell, "again");
    }

    function test_RevertWhen_revokeDevice_unknown() public {
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceNotRegistered.selector, camera));
        vm.prank(inspector);
        devices.revokeDevice(camera, "?");
    }

    // ------------------------------------------------------------ trust follows the inspector's standing

    function test_isTrusted_falseOnceTheInspectorIsSuspendedAndBackOnReinstatement() public {
        _register(inspector, cell, warehouse);
        _suspend(inspector);
        vm.assertFalse(devices.isTrusted(cell), "a suspended inspector's devices are not trusted");
        vm.prank(admin);
        registry.reinstate(inspector);
        vm.assertTrue(devices.isTrusted(cell));
    }

    function test_isTrusted_falseForeverOnceTheInspectorIsRevoked() public {
        _register(inspector, cell, warehouse);
        vm.prank(admin);
        registry.revoke(inspector, "licence withdrawn");
        vm.assertFalse(devices.isTrusted(cell));
    }

    function test_isTrusted_falseForAnUnknownKey() public view {
        vm.assertFalse(devices.isTrusted(camera));
    }

    function test_RevertWhen_device_unknown() public {
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceNotRegistered.selector, camera));
        devices.device(camera);
    }

    function testFuzz_registerDevice_anyKeyOnce(address key, bytes16 kind) public {
        vm.assume(key != address(0));
        vm.prank(inspector);
        devices.registerDevice(key, warehouse2, kind);
        vm.assertTrue(devices.isTrusted(key));
        vm.assertEq(devices.device(key).warehouse, warehouse2);
        vm.expectRevert(abi.encodeWithSelector(IDeviceRegistry.DeviceAlreadyRegistered.selector, key, inspector));
        vm.prank(inspector2);
        devices.registerDevice(key, warehouse, kind);
    }
}
