// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IDeviceRegistry
/// @notice The sensors that watch warehouses (a load cell under a bay, a weighbridge, a camera that
/// counts coils), each known by the key it signs its readings with. An admitted inspector registers a
/// device at a warehouse it is independent of and so vouches for it; the inspector's IoT gateway
/// accepts readings only from devices it vouched for, at the warehouse they were registered at, and
/// turns them into stocktakes on the receipts contract. The vouching inspector or the consortium
/// admin can revoke a device; a revoked key is never registered again. A device is trusted only while
/// it is registered, not revoked, and its inspector is an active inspector: a device outlives no
/// handover of its inspector's role.
interface IDeviceRegistry {
    /// @notice A device as registered. `revokedAt` is zero while the device is not revoked.
    struct Device {
        address inspector;
        uint64 registeredAt;
        address warehouse;
        uint64 revokedAt;
        bytes16 kind;
    }

    // ---------------------------------------------------------------- errors

    /// @notice a device key cannot be the zero address
    error ZeroDeviceKey();
    /// @notice device {device:address} is already registered, vouched for by {inspector:address}
    error DeviceAlreadyRegistered(address device, address inspector);
    /// @notice device {device:address} is not registered
    error DeviceNotRegistered(address device);
    /// @notice device {device:address} was revoked on {since:datetime}
    error DeviceAlreadyRevoked(address device, uint64 since);
    /// @notice {caller:address} cannot revoke device {device:address}: only its inspector {inspector:address} or the consortium admin can
    error NotDeviceInspector(address device, address caller, address inspector);

    // ---------------------------------------------------------------- events

    /// @notice An inspector registered a device at a warehouse and vouches for its readings.
    event DeviceRegistered(
        address indexed device, address indexed inspector, address indexed warehouse, bytes16 kind
    );
    /// @notice A device was revoked by its inspector or the consortium admin; its readings are refused.
    event DeviceRevoked(address indexed device, address indexed inspector, address indexed by, string reason);

    // ---------------------------------------------------------------- inspector

    /// @notice Registers `device` at `warehouse`, vouched for by the caller (an active INSPECTOR,
    /// independent of the warehouse's legal entity).
    /// @param device_ The address of the key the device signs its readings with.
    /// @param warehouse The active warehouse the device watches.
    /// @param kind What the device is, e.g. "load-cell", "weighbridge", "vision-count".
    function registerDevice(address device_, address warehouse, bytes16 kind) external;

    /// @notice Revokes `device` (its inspector or the consortium admin): its readings are refused from now on.
    /// @param device_ The device key.
    /// @param reason Why, for the record (e.g. "tampered", "replaced").
    function revokeDevice(address device_, string calldata reason) external;

    // ---------------------------------------------------------------- views

    /// @notice The registration of `device`; reverts {DeviceNotRegistered} for an unknown key.
    function device(address device_) external view returns (Device memory);

    /// @notice True when `device_` is registered, not revoked, and its inspector is an active INSPECTOR.
    function isTrusted(address device_) external view returns (bool);

    /// @notice The contract's version.
    function VERSION() external view returns (string memory);
}
