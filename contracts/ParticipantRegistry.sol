// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";
import {IStandingSubscriber} from "./interfaces/IStandingSubscriber.sol";

/// @title ParticipantRegistry
/// @notice The consortium's membership list; see {IParticipantRegistry}.
/// @dev Permissioning lives here rather than in the node (Besu dropped on-chain node permissioning
/// in 25.6). The default admin can only be handed over in two steps with a delay
/// (AccessControlDefaultAdminRules), and day-to-day admission is done by REGISTRAR_ROLE holders it
/// appoints, so no single hot key can silently grant itself everything.
///
/// Standing is pushed, not only asked for: every change of a member's role, status or KYC validity
/// is passed, in the same transaction, to each subscriber contract the default admin added (at most
/// {MAX_SUBSCRIBERS}), which mirrors it for its own checks. A subscriber that reverts reverts the
/// change, so no mirror can miss one; the registry stays the single source of truth.
contract ParticipantRegistry is IParticipantRegistry, AccessControlDefaultAdminRules {
    /// @notice Role allowed to admit, suspend, reinstate and revoke members.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @inheritdoc IParticipantRegistry
    string public constant VERSION = "1.0.0";

    /// @notice Most standing subscribers: bounds the loop of pushes on every standing change.
    uint256 public constant MAX_SUBSCRIBERS = 4;

    /// @notice Most members one {syncMembers} call pushes.
    uint256 public constant MAX_SYNC_BATCH = 64;

    uint8 private constant _MAX_ROLE = uint8(Role.PricePublisher);

    mapping(address account => Member) private _members;
    mapping(address warehouse => WarehouseAdmission) private _warehouseAdmissions;
    address[] private _memberList;

    uint16 private _minYearsInOperation;
    uint64 private _minRatedCapacityTonnes;

    address[] private _subscribers;

    /// @param initialAdmin Holder of DEFAULT_ADMIN_ROLE (two-step transfer) and first registrar.
    /// @param adminTransferDelay Seconds a new default admin must wait before accepting.
    constructor(address initialAdmin, uint48 adminTransferDelay)
        AccessControlDefaultAdminRules(adminTransferDelay, initialAdmin)
    {
        _grantRole(REGISTRAR_ROLE, initialAdmin);
    }

    // ------------------------------------------------------------ registrar actions

    /// @inheritdoc IParticipantRegistry
    function admit(address account, uint8 role, bytes32 entityId, string calldata name, uint64 validUntil)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        if (role == 0 || role > _MAX_ROLE) revert UnknownRole(role);
        if (Role(role) == Role.Warehouse) revert WarehouseAdmissionRequired(account);
        _admit(account, Role(role), entityId, name, validUntil);
        _push(account, _members[account]);
    }

    /// @inheritdoc IParticipantRegistry
    function admitWarehouse(
        address account,
        bytes32 entityId,
        string calldata name,
        uint64 validUntil,
        WarehouseAdmission calldata admission
    ) external onlyRole(REGISTRAR_ROLE) {
        _checkWarehouseStandard(account, admission);
        _admit(account, Role.Warehouse, entityId, name, validUntil);
        _recordWarehouseAdmission(account, admission);
        _push(account, _members[account]);
    }

    /// @inheritdoc IParticipantRegistry
    function updateWarehouseAdmission(address account, WarehouseAdmission calldata admission)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        Member storage m = _existingMember(account);
        if (m.role != Role.Warehouse) revert WrongRole(account, uint8(m.role), uint8(Role.Warehouse));
        if (m.status == Status.Revoked) revert MemberRevoked(account, m.statusChangedAt);
        _checkWarehouseStandard(account, admission);
        _recordWarehouseAdmission(account, admission);
    }

    /// @inheritdoc IParticipantRegistry
    function suspend(address account, string calldata reason) external onlyRole(REGISTRAR_ROLE) {
        Member storage m = _existingMember(account);
        if (m.status == Status.Revoked) revert MemberRevoked(account, m.statusChangedAt);
        if (m.status == Status.Suspended) revert MemberSuspended(account, m.statusChangedAt);
        m.status = Status.Suspended;
        m.statusChangedAt = uint40(block.timestamp);
        emit MembershipSuspended(account, msg.sender, reason);
        _push(account, m);
    }

    /// @inheritdoc IParticipantRegistry
    function reinstate(address account) external onlyRole(REGISTRAR_ROLE) {
        Member storage m = _existingMember(account);
        if (m.status == Status.Revoked) revert MemberRevoked(account, m.statusChangedAt);
        if (m.status != Status.Suspended) revert MemberNotSuspended(account, uint8(m.status));
        m.status = Status.Active;
        m.statusChangedAt = uint40(block.timestamp);
        emit MembershipReinstated(account, msg.sender);
        _push(account, m);
    }

    /// @inheritdoc IParticipantRegistry
    function revoke(address account, string calldata reason) external onlyRole(REGISTRAR_ROLE) {
        Member storage m = _existingMember(account);
        if (m.status == Status.Revoked) revert MemberRevoked(account, m.statusChangedAt);
        m.status = Status.Revoked;
        m.statusChangedAt = uint40(block.timestamp);
        emit MembershipRevoked(account, msg.sender, reason);
        _push(account, m);
    }

    /// @inheritdoc IParticipantRegistry
    function renewKyc(address account, uint64 validUntil) external onlyRole(REGISTRAR_ROLE) {
        Member storage m = _existingMember(account);
        if (m.status == Status.Revoked) revert MemberRevoked(account, m.statusChangedAt);
        if (validUntil <= block.timestamp || validUntil > type(uint40).max) {
            revert ValidityNotInFuture(account, validUntil);
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded by type(uint40).max just above
        m.validUntil = uint40(validUntil);
        emit KycRenewed(account, msg.sender, validUntil);
        _push(account, m);
    }

    /// @inheritdoc IParticipantRegistry
    function setWarehouseStandards(uint16 minYearsInOperation, uint64 minRatedCapacityTonnes)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _minYearsInOperation = minYearsInOperation;
        _minRatedCapacityTonnes = minRatedCapacityTonnes;
        emit WarehouseStandardsChanged(msg.sender, minYearsInOperation, minRatedCapacityTonnes);
    }

    // ------------------------------------------------------------ standing subscribers

    /// @inheritdoc IParticipantRegistry
    function addSubscriber(address subscriber) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (subscriber.code.length == 0) revert SubscriberNotAContract(subscriber);
        uint256 n = _subscribers.length;
        for (uint256 i = 0; i < n; ++i) {
            if (_subscribers[i] == subscriber) revert SubscriberAlreadyAdded(subscriber);
        }
        if (n == MAX_SUBSCRIBERS) revert TooManySubscribers(MAX_SUBSCRIBERS);
        _subscribers.push(subscriber);
        emit SubscriberAdded(subscriber, msg.sender);
        // A contract that does not take this registry as its source reverts here.
        IStandingSubscriber(subscriber).onSubscriptionChanged(true);
    }

    /// @inheritdoc IParticipantRegistry
    function removeSubscriber(address subscriber) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 n = _subscribers.length;
        uint256 i = 0;
        while (i < n && _subscribers[i] != subscriber) ++i;
        if (i == n) revert SubscriberNotFound(subscriber);
        _subscribers[i] = _subscribers[n - 1];
        _subscribers.pop();
        bool acknowledged = false;
        // Best effort: a subscriber that reverts here must not keep itself on the list.
        try IStandingSubscriber(subscriber).onSubscriptionChanged(false) {
            acknowledged = true;
        } catch {}
        emit SubscriberRemoved(subscriber, msg.sender, acknowledged);
    }

    /// @inheritdoc IParticipantRegistry
    function syncMembers(uint256 fromIndex, uint256 count) external onlyRole(REGISTRAR_ROLE) {
        if (count == 0 || count > MAX_SYNC_BATCH) revert SyncBatchOutOfBounds(count, MAX_SYNC_BATCH);
        uint256 total = _memberList.length;
        if (fromIndex > total || count > total - fromIndex) revert SyncRangeBeyondMembers(fromIndex, count, total);
        emit MembersSynced(msg.sender, fromIndex, count);
        for (uint256 i = fromIndex; i < fromIndex + count; ++i) {
            address account = _memberList[i];
            _push(account, _members[account]);
        }
    }

    /// @inheritdoc IParticipantRegistry
    function subscribers() external view returns (address[] memory) {
        return _subscribers;
    }

    // ------------------------------------------------------------ reads

    /// @inheritdoc IParticipantRegistry
    function member(address account) external view returns (Member memory) {
        return _members[account];
    }

    /// @inheritdoc IParticipantRegistry
    function warehouseAdmission(address account) external view returns (WarehouseAdmission memory) {
        return _warehouseAdmissions[account];
    }

    /// @inheritdoc IParticipantRegistry
    function warehouseStandards() external view returns (uint16, uint64) {
        return (_minYearsInOperation, _minRatedCapacityTonnes);
    }

    /// @inheritdoc IParticipantRegistry
    function entityOf(address account) external view returns (bytes32) {
        return _members[account].entityId;
    }

    /// @inheritdoc IParticipantRegistry
    function isActive(address account) public view returns (bool) {
        Member storage m = _members[account];
        return m.status == Status.Active && block.timestamp <= m.validUntil;
    }

    /// @inheritdoc IParticipantRegistry
    // slither-disable-next-line incorrect-equality -- two enum values; no time or balance compared
    function hasActiveRole(address account, Role role) external view returns (bool) {
        // slither-disable-next-line incorrect-equality
        return _members[account].role == role && isActive(account);
    }

    /// @inheritdoc IParticipantRegistry
    function requireActive(address account, Role role) external view {
        Member storage m = _checkActive(account);
        if (m.role != role) revert WrongRole(account, uint8(m.role), uint8(role));
    }

    /// @inheritdoc IParticipantRegistry
    function requireActiveMember(address account) external view {
        _checkActive(account);
    }

    /// @inheritdoc IParticipantRegistry
    // slither-disable-next-line incorrect-equality -- two entity ids (bytes32); no time or balance compared
    function requireIndependent(address party, address counterparty) external view {
        bytes32 entity = _members[party].entityId;
        // slither-disable-next-line incorrect-equality
        if (entity != bytes32(0) && entity == _members[counterparty].entityId) {
            revert SameEntity(party, counterparty, entity);
        }
    }

    /// @inheritdoc IParticipantRegistry
    function memberCount() external view returns (uint256) {
        return _memberList.length;
    }

    /// @inheritdoc IParticipantRegistry
    function memberAt(uint256 index) external view returns (address) {
        return _memberList[index];
    }

    // ------------------------------------------------------------ internals

    /// @dev The delayed two-step handover moves every power the outgoing admin holds, not only the
    /// default admin role: the registrar role it was granted at deployment goes with it, so the former
    /// admin cannot go on admitting, suspending or revoking members. (Registrars the admin appointed
    /// keep their role; the new admin can revoke them.)
    function _acceptDefaultAdminTransfer() internal override {
        address former = defaultAdmin();
        (address successor,) = pendingDefaultAdmin();
        super._acceptDefaultAdminTransfer();
        if (former != address(0) && former != successor && hasRole(REGISTRAR_ROLE, former)) {
            _revokeRole(REGISTRAR_ROLE, former);
            _grantRole(REGISTRAR_ROLE, successor);
        }
    }

    function _admit(address account, Role role, bytes32 entityId, string calldata name, uint64 validUntil) private {
        if (account == address(0)) revert ZeroAddress();
        Member storage m = _members[account];
        if (m.status == Status.Revoked) revert MemberRevoked(account, m.statusChangedAt);
        if (m.role != Role.None) revert AlreadyAdmitted(account, uint8(m.role), uint8(m.status));
        if (bytes(name).length == 0) revert EmptyName(account);
        if (validUntil <= block.timestamp || validUntil > type(uint40).max) {
            revert ValidityNotInFuture(account, validUntil);
        }
        m.role = role;
        m.status = Status.Active;
        m.admittedAt = uint40(block.timestamp);
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded by type(uint40).max just above
        m.validUntil = uint40(validUntil);
        m.statusChangedAt = uint40(block.timestamp);
        m.entityId = entityId;
        m.name = name;
        _memberList.push(account);
        emit MemberAdmitted(account, role, entityId, name, validUntil);
    }

    /// @dev Passes `account`'s standing to every subscriber, after the change and its event. Bounded
    /// by {MAX_SUBSCRIBERS}; the subscribers are contracts the default admin chose, and a revert in
    /// one reverts the change, so a mirror is never left behind the registry.
    function _push(address account, Member storage m) private {
        uint256 n = _subscribers.length;
        if (n == 0) return;
        Standing memory standing = Standing(m.role, m.status, m.validUntil, m.statusChangedAt);
        for (uint256 i = 0; i < n; ++i) {
            IStandingSubscriber(_subscribers[i]).onStandingChanged(account, standing);
        }
    }

    function _recordWarehouseAdmission(address account, WarehouseAdmission calldata admission) private {
        _warehouseAdmissions[account] = admission;
        emit WarehouseAdmissionRecorded(
            account, admission.licenceCommitment, admission.yearsInOperation, admission.ratedCapacityTonnes
        );
    }

    function _checkWarehouseStandard(address account, WarehouseAdmission calldata admission) private view {
        if (admission.licenceCommitment == bytes32(0)) revert MissingLicence(account);
        if (
            admission.yearsInOperation < _minYearsInOperation
                || admission.ratedCapacityTonnes < _minRatedCapacityTonnes
        ) {
            revert BelowWarehouseStandard(
                account,
                admission.yearsInOperation,
                admission.ratedCapacityTonnes,
                _minYearsInOperation,
                _minRatedCapacityTonnes
            );
        }
    }

    function _existingMember(address account) private view returns (Member storage m) {
        m = _members[account];
        if (m.role == Role.None) revert NotAMember(account);
    }

    function _checkActive(address account) private view returns (Member storage m) {
        m = _existingMember(account);
        if (m.status == Status.Suspended) revert MemberSuspended(account, m.statusChangedAt);
        if (m.status == Status.Revoked) revert MemberRevoked(account, m.statusChangedAt);
        if (block.timestamp > m.validUntil) revert MemberKycExpired(account, m.validUntil);
    }
}
