// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IDeviceRegistry} from "./interfaces/IDeviceRegistry.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";

/// @title DeviceRegistry
/// @notice The IoT devices inspectors vouch for: see {IDeviceRegistry}.
contract DeviceRegistry is IDeviceRegistry {
    /// @inheritdoc IDeviceRegistry
    string public constant VERSION = "1.0.0";

    IParticipantRegistry private immutable _registry;

    mapping(address device => Device) private _devices;

    /// @param registry_ The participant registry: inspectors and warehouses must be its active
    /// members, and its default admin is the consortium admin.
    constructor(IParticipantRegistry registry_) {
        _registry = registry_;
    }

    // ------------------------------------------------------------ inspector

    /// @inheritdoc IDeviceRegistry
    function registerDevice(address device_, address warehouse, bytes16 kind) external {
        if (device_ == address(0)) revert ZeroDeviceKey();
        Device storage d = _devices[device_];
        if (d.inspector != address(0)) revert DeviceAlreadyRegistered(device_, d.inspector);
        _registry.requireActive(msg.sender, IParticipantRegistry.Role.Inspector);
        _registry.requireActive(warehouse, IParticipantRegistry.Role.Warehouse);
        _registry.requireIndependent(msg.sender, warehouse);
        _devices[device_] = Device(msg.sender, uint64(block.timestamp), warehouse, 0, kind);
        emit DeviceRegistered(device_, msg.sender, warehouse, kind);
    }

    /// @inheritdoc IDeviceRegistry
    function revokeDevice(address device_, string calldata reason) external {
        Device storage d = _existing(device_);
        address inspector = d.inspector;
        if (msg.sender != inspector && !IAccessControl(address(_registry)).hasRole(bytes32(0), msg.sender)) {
            revert NotDeviceInspector(device_, msg.sender, inspector);
        }
        if (d.revokedAt != 0) revert DeviceAlreadyRevoked(device_, d.revokedAt);
        d.revokedAt = uint64(block.timestamp);
        emit DeviceRevoked(device_, inspector, msg.sender, reason);
    }

    // ------------------------------------------------------------ views

    /// @inheritdoc IDeviceRegistry
    function device(address device_) external view returns (Device memory) {
        return _existing(device_);
    }

    /// @inheritdoc IDeviceRegistry
    function isTrusted(address device_) external view returns (bool) {
        Device storage d = _devices[device_];
        return d.inspector != address(0) && d.revokedAt == 0
            && _registry.hasActiveRole(d.inspector, IParticipantRegistry.Role.Inspector);
    }

    function _existing(address device_) private view returns (Device storage d) {
        d = _devices[device_];
        if (d.inspector == address(0)) revert DeviceNotRegistered(device_);
    }
}
