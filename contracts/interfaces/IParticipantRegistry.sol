// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IParticipantRegistry
/// @notice Who may act in Ledgerhouse. The consortium's registrar admits members with one role each,
/// a commitment to their legal-entity id, a display name and a KYC validity date; suspends, reinstates
/// and revokes them. Every other Ledgerhouse contract asks this registry before it lets anyone act,
/// so a suspended or expired member is stopped everywhere at once: either by calling it, or from a
/// mirror of each member's {Standing} that the registry pushes, in the same transaction as every
/// change, to the few subscriber contracts the consortium admin names (see {addSubscriber}).
interface IParticipantRegistry {
    /// @notice The role a member plays. `None` marks an address that was never admitted. A
    /// `PricePublisher` (an exchange-data vendor or the consortium's valuation agent) posts commodity
    /// prices to the {PriceFeed}, for the commodities the feed's admin admits it for.
    enum Role {
        None,
        Warehouse,
        Lender,
        CoreEnterprise,
        Supplier,
        Inspector,
        Auditor,
        Regulator,
        PricePublisher
    }

    /// @notice A member's standing. Revoked is final: the address can never be admitted again.
    enum Status {
        None,
        Active,
        Suspended,
        Revoked
    }

    /// @notice One member. `role`, `status` and the three timestamps share one storage slot.
    struct Member {
        Role role;
        Status status;
        uint40 admittedAt;
        uint40 validUntil;
        uint40 statusChangedAt;
        bytes32 entityId;
        string name;
    }

    /// @notice What {requireActive} decides on, as pushed to subscribers: role, status, KYC validity
    /// and when the status last changed (for the reasons a refusal gives).
    struct Standing {
        Role role;
        Status status;
        uint40 validUntil;
        uint40 statusChangedAt;
    }

    /// @notice A warehouse's admission record, checked against the consortium's standards on admission.
    struct WarehouseAdmission {
        bytes32 licenceCommitment;
        uint16 yearsInOperation;
        uint64 ratedCapacityTonnes;
    }

    // ---------------------------------------------------------------- errors

    /// @notice the zero address cannot be a member
    error ZeroAddress();
    /// @notice role number {role} is not a Ledgerhouse role (1-8: warehouse, lender, core enterprise, supplier, inspector, auditor, regulator, price publisher)
    error UnknownRole(uint8 role);
    /// @notice {account:address} is already admitted as {role:role} (status {status:status})
    error AlreadyAdmitted(address account, uint8 role, uint8 status);
    /// @notice {account:address} was revoked on {since:date} and can never be admitted again
    error MemberRevoked(address account, uint64 since);
    /// @notice {account:address} is not an admitted member
    error NotAMember(address account);
    /// @notice {account:address} is suspended since {since:date}
    error MemberSuspended(address account, uint64 since);
    /// @notice {account:address} has KYC valid only until {validUntil:date}
    error MemberKycExpired(address account, uint64 validUntil);
    /// @notice {account:address} is not suspended (status {status:status})
    error MemberNotSuspended(address account, uint8 status);
    /// @notice {account:address} acts as {role:role} but this needs {required:role}
    error WrongRole(address account, uint8 role, uint8 required);
    /// @notice KYC validity {validUntil:date} for {account:address} is not in the future
    error ValidityNotInFuture(address account, uint64 validUntil);
    /// @notice a member needs a display name ({account:address} has none)
    error EmptyName(address account);
    /// @notice a warehouse is admitted with its admission record: use admitWarehouse for {account:address}
    error WarehouseAdmissionRequired(address account);
    /// @notice warehouse {account:address} is below the admission standard: {yearsInOperation} years and {ratedCapacityTonnes} t rated capacity, the consortium requires {minYears} years and {minCapacityTonnes} t
    error BelowWarehouseStandard(
        address account, uint16 yearsInOperation, uint64 ratedCapacityTonnes, uint16 minYears, uint64 minCapacityTonnes
    );
    /// @notice warehouse {account:address} needs a licence commitment
    error MissingLicence(address account);
    /// @notice standing subscriber {subscriber:address} is not a contract
    error SubscriberNotAContract(address subscriber);
    /// @notice {subscriber:address} is already a standing subscriber
    error SubscriberAlreadyAdded(address subscriber);
    /// @notice {subscriber:address} is not a standing subscriber
    error SubscriberNotFound(address subscriber);
    /// @notice the registry pushes standing to at most {max} subscribers
    error TooManySubscribers(uint256 max);
    /// @notice a standing sync covers 1 to {max} members per call, not {count}
    error SyncBatchOutOfBounds(uint256 count, uint256 max);
    /// @notice {party:address} and {counterparty:address} are the same legal entity ({entityId}): an inspector cannot attest at, nor a lender finance, its own entity
    error SameEntity(address party, address counterparty, bytes32 entityId);
    /// @notice members {fromIndex} to {fromIndex}+{count} are beyond the {memberCount} ever admitted
    error SyncRangeBeyondMembers(uint256 fromIndex, uint256 count, uint256 memberCount);

    // ---------------------------------------------------------------- events

    /// @notice A member was admitted.
    event MemberAdmitted(
        address indexed account, Role indexed role, bytes32 indexed entityId, string name, uint64 validUntil
    );
    /// @notice A warehouse's admission record was stored (on admission or on update).
    event WarehouseAdmissionRecorded(
        address indexed warehouse, bytes32 indexed licenceCommitment, uint16 yearsInOperation, uint64 ratedCapacityTonnes
    );
    /// @notice A member was suspended; it can no longer act until reinstated.
    event MembershipSuspended(address indexed account, address indexed by, string reason);
    /// @notice A suspended member was reinstated.
    event MembershipReinstated(address indexed account, address indexed by);
    /// @notice A member was revoked for good.
    event MembershipRevoked(address indexed account, address indexed by, string reason);
    /// @notice A member's KYC validity was renewed (or shortened).
    event KycRenewed(address indexed account, address indexed by, uint64 validUntil);
    /// @notice The consortium changed its minimum standards for admitting warehouses.
    event WarehouseStandardsChanged(address indexed by, uint16 minYearsInOperation, uint64 minRatedCapacityTonnes);
    /// @notice The consortium admin added a contract that is pushed every member's standing from now on.
    event SubscriberAdded(address indexed subscriber, address indexed by);
    /// @notice The consortium admin removed a standing subscriber. `acknowledged` is false when the
    /// subscriber failed to take note (it then may trust a mirror that no longer follows the registry).
    event SubscriberRemoved(address indexed subscriber, address indexed by, bool acknowledged);
    /// @notice A registrar pushed the standing of members `fromIndex` .. `fromIndex + count - 1` (in
    /// admission order, see {memberAt}) to every subscriber.
    event MembersSynced(address indexed by, uint256 fromIndex, uint256 count);

    // ---------------------------------------------------------------- registrar actions

    /// @notice Admits `account` with a role other than warehouse.
    /// @param account The member's address.
    /// @param role One of `Role` (1-8) as a number, so that an unknown role gets {UnknownRole}.
    /// @param entityId Commitment to the legal-entity id (e.g. keccak256 of the unified social credit code).
    /// @param name Display name.
    /// @param validUntil Unix time until which the member's KYC is valid; must be in the future.
    function admit(address account, uint8 role, bytes32 entityId, string calldata name, uint64 validUntil) external;

    /// @notice Admits a warehouse together with its admission record, checked against the standards.
    /// @param account The warehouse's address.
    /// @param entityId Commitment to the legal-entity id.
    /// @param name Display name.
    /// @param validUntil Unix time until which the warehouse's KYC is valid.
    /// @param admission Licence commitment, years in operation and rated capacity.
    function admitWarehouse(
        address account,
        bytes32 entityId,
        string calldata name,
        uint64 validUntil,
        WarehouseAdmission calldata admission
    ) external;

    /// @notice Replaces an admitted warehouse's admission record (e.g. after a licence renewal).
    /// @param account The warehouse.
    /// @param admission The new record; it must meet the current standards.
    function updateWarehouseAdmission(address account, WarehouseAdmission calldata admission) external;

    /// @notice Suspends an active member. It can no longer act anywhere in Ledgerhouse.
    /// @param account The member.
    /// @param reason Why, for the record.
    function suspend(address account, string calldata reason) external;

    /// @notice Reinstates a suspended member.
    /// @param account The member.
    function reinstate(address account) external;

    /// @notice Revokes a member for good (active or suspended).
    /// @param account The member.
    /// @param reason Why, for the record.
    function revoke(address account, string calldata reason) external;

    /// @notice Sets a member's KYC validity date.
    /// @param account The member.
    /// @param validUntil New validity; must be in the future.
    function renewKyc(address account, uint64 validUntil) external;

    /// @notice Sets the minimum standards a warehouse must meet to be admitted.
    /// @param minYearsInOperation Minimum years in operation.
    /// @param minRatedCapacityTonnes Minimum rated capacity in tonnes.
    function setWarehouseStandards(uint16 minYearsInOperation, uint64 minRatedCapacityTonnes) external;

    // ---------------------------------------------------------------- standing subscribers

    /// @notice Adds `subscriber` (consortium admin): from this transaction on, every admission,
    /// suspension, reinstatement, revocation and KYC change is pushed to it synchronously through
    /// {IStandingSubscriber-onStandingChanged}, and a subscriber that reverts reverts the change, so
    /// its mirror never falls behind. The subscriber is told through
    /// {IStandingSubscriber-onSubscriptionChanged}; members admitted before are pushed with {syncMembers}
    /// (until then the subscriber asks the registry about them). At most a handful of subscribers.
    /// @param subscriber A contract that takes this registry as its source (it reverts otherwise).
    function addSubscriber(address subscriber) external;

    /// @notice Removes `subscriber` (consortium admin): nothing more is pushed to it, and it is told so,
    /// so that it stops trusting its mirror and asks the registry again. The removal succeeds even if
    /// the subscriber reverts (a broken subscriber must not block the registry); the event says whether
    /// it took note.
    /// @param subscriber A current subscriber.
    function removeSubscriber(address subscriber) external;

    /// @notice Pushes the current standing of the members admitted at positions `fromIndex` ..
    /// `fromIndex + count - 1` (see {memberAt}) to every subscriber (registrar). Used after
    /// {addSubscriber} for members admitted before it; pushing again is harmless (the registry's
    /// answer replaces the mirrored one).
    /// @param fromIndex First position, in admission order.
    /// @param count Members to push, 1 to `MAX_SYNC_BATCH`.
    function syncMembers(uint256 fromIndex, uint256 count) external;

    /// @notice The contracts every standing change is pushed to, in no particular order.
    function subscribers() external view returns (address[] memory);

    // ---------------------------------------------------------------- reads

    /// @notice The member record of `account` (role None if never admitted).
    function member(address account) external view returns (Member memory);

    /// @notice The legal entity `account` was admitted for (zero if none was given or never admitted).
    /// One entity may hold several addresses (its {MemberAdmitted} events share the indexed entity
    /// id); the contracts refuse an inspector attesting for, or a lender financing, its own entity.
    function entityOf(address account) external view returns (bytes32);

    /// @notice Reverts {SameEntity} when `party` and `counterparty` were admitted for the same legal
    /// entity (a zero entity id, none declared, matches nothing): an inspector and the warehouse it
    /// attests at, a lender and the member it finances.
    function requireIndependent(address party, address counterparty) external view;

    /// @notice The admission record of warehouse `account`.
    function warehouseAdmission(address account) external view returns (WarehouseAdmission memory);

    /// @notice The current warehouse admission standards.
    function warehouseStandards() external view returns (uint16 minYearsInOperation, uint64 minRatedCapacityTonnes);

    /// @notice True when `account` is admitted, active and within its KYC validity.
    function isActive(address account) external view returns (bool);

    /// @notice True when `account` is active (see {isActive}) in role `role`.
    function hasActiveRole(address account, Role role) external view returns (bool);

    /// @notice Reverts with the precise reason unless `account` is active in role `role`; other
    /// contracts call this so that their callers see why they were refused.
    function requireActive(address account, Role role) external view;

    /// @notice Reverts with the precise reason unless `account` is active in any role.
    function requireActiveMember(address account) external view;

    /// @notice Number of addresses ever admitted (including suspended and revoked ones).
    function memberCount() external view returns (uint256);

    /// @notice The `index`-th address ever admitted, in admission order.
    function memberAt(uint256 index) external view returns (address);

    /// @notice The contract's version, recorded in deployment manifests.
    function VERSION() external view returns (string memory);
}
