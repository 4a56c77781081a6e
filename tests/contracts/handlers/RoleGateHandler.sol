// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ParticipantRegistry} from "../../../contracts/ParticipantRegistry.sol";
import {Receivables} from "../../../contracts/Receivables.sol";
import {WarehouseReceipts} from "../../../contracts/WarehouseReceipts.sol";
import {IParticipantRegistry} from "../../../contracts/interfaces/IParticipantRegistry.sol";
import {IReceivables} from "../../../contracts/interfaces/IReceivables.sol";
import {Test} from "../utils/Test.sol";

/// @notice Drives the four gated actions the issue names — mint, settle, freeze, admit — from a
/// random caller out of a pool holding every role (and none), while membership churns underneath:
/// suspensions, reinstatements, revocations, lapsed KYC, registrar appointments and dismissals,
/// designated paying banks and the passage of time. Before each attempt it records whether the
/// caller was entitled at that moment (by the registry's standing, read independently of the gated
/// contract); a success by a caller who was not entitled is a violation.
contract RoleGateHandler is Test {
    ParticipantRegistry public immutable registry;
    WarehouseReceipts public immutable wr;
    Receivables public immutable receivables;
    address public immutable admin;
    address public immutable inspector;

    /// @dev Callers: two of each member role, plus two non-members. Index / 2 is the role (0 = none).
    uint256 public constant POOL = 16;
    bytes16 internal constant _AL = "AL-A00";
    bytes8 internal constant _KG = "kg";

    bytes32 internal immutable _registrarRole;

    uint256[] internal _receipts;
    uint256[] internal _roots;
    uint256 internal _lotNonce;
    uint256 internal _admitNonce;

    /// @dev Every member's standing was pushed under the receipts contract's current subscription.
    bool public fullySynced = true;

    /// @dev Successful gated actions, by kind, and by callers that were not entitled.
    mapping(bytes32 action => uint256) public succeeded;
    string[] public violations;

    constructor(
        ParticipantRegistry registry_,
        WarehouseReceipts wr_,
        Receivables receivables_,
        address admin_,
        address inspector_,
        uint256[] memory roots_
    ) {
        registry = registry_;
        wr = wr_;
        receivables = receivables_;
        admin = admin_;
        inspector = inspector_;
        _registrarRole = registry_.REGISTRAR_ROLE();
        _roots = roots_;
    }

    /// @dev Member i of the pool: roles 1..7 at indexes 2..15 (two each); 0 and 1 are non-members.
    function poolAt(uint256 i) public pure returns (address) {
        // forge-lint: disable-next-line(unsafe-typecast) -- i < POOL, far below 2**160
        return address(uint160(0x7000 + i));
    }

    function roleOf(uint256 i) public pure returns (IParticipantRegistry.Role) {
        // forge-lint: disable-next-line(unsafe-typecast) -- i / 2 < 8
        return IParticipantRegistry.Role(uint8(i / 2));
    }

    function violationCount() external view returns (uint256) {
        return violations.length;
    }

    function _caller(uint256 seed) internal pure returns (address) {
        return poolAt(seed % POOL);
    }

    function _entitled(address caller, IParticipantRegistry.Role role) internal view returns (bool) {
        return registry.hasActiveRole(caller, role);
    }

    // ------------------------------------------------------------ the gated actions

    /// A warehouse of the pool (or anyone, one time in two) mints on a freshly counted lot.
    function mint(uint256 whSeed, uint256 callerSeed, uint64 quantity) external {
        address wh = poolAt(2 + (whSeed % 2)); // the two warehouses
        bytes32 lotId = keccak256(abi.encode("gate lot", ++_lotNonce));
        quantity = uint64(bound(quantity, 1, 1e9));
        vm.prank(inspector);
        try wr.recordStocktake(wh, lotId, _AL, _KG, 3, quantity, bytes32(0), new uint256[](0)) {} catch {}
        address caller = callerSeed % 2 == 0 ? wh : _caller(callerSeed >> 1);
        address to = poolAt(8 + (callerSeed % 2)); // a supplier
        bool entitled = _entitled(caller, IParticipantRegistry.Role.Warehouse);
        vm.prank(caller);
        try wr.mint(to, lotId, _AL, quantity, 0, bytes32(0)) returns (uint256 id) {
            succeeded["mint"]++;
            _receipts.push(id);
            if (!entitled) violations.push("mint by a caller that is not an active warehouse");
        } catch {}
    }

    function freeze(uint256 idSeed, uint256 callerSeed, bool lift) external {
        if (_receipts.length == 0) return;
        uint256 id = _receipts[idSeed % _receipts.length];
        address caller = callerSeed % 3 == 0 ? poolAt(14 + (callerSeed >> 8) % 2) : _caller(callerSeed >> 2);
        bool entitled = _entitled(caller, IParticipantRegistry.Role.Regulator);
        vm.prank(caller);
        if (lift) {
            try wr.unfreezeReceipt(id, "gate") {
                succeeded["unfreeze"]++;
                if (!entitled) violations.push("unfreeze by a caller that is not an active regulator");
            } catch {}
        } else {
            try wr.freezeReceipt(id, "gate") {
                succeeded["freeze"]++;
                if (!entitled) violations.push("freeze by a caller that is not an active regulator");
            } catch {}
        }
    }

    /// Settles a piece (the root) as the obligor, the designated paying bank or anyone.
    function settle(uint256 rootSeed, uint256 callerSeed) external {
        uint256 rootId = _roots[rootSeed % _roots.length];
        IReceivables.Root memory r = receivables.root(rootId);
        if (block.timestamp < r.maturity) vm.warp(r.maturity);
        uint256 pick = callerSeed % 4;
        address caller = pick == 0 ? r.obligor : pick == 1 && r.payer != address(0) ? r.payer : _caller(callerSeed >> 2);
        bool entitled = (caller == r.obligor && _entitled(caller, IParticipantRegistry.Role.CoreEnterprise))
            || (caller == r.payer && _entitled(caller, IParticipantRegistry.Role.Lender));
        vm.prank(caller);
        try receivables.settle(rootId, bytes32(0)) {
            succeeded["settle"]++;
            if (!entitled) violations.push("settle by a caller that is neither the active obligor nor its paying bank");
        } catch {}
        vm.prank(caller);
        try receivables.fundRoot(rootId, bytes32(0)) {
            succeeded["fundRoot"]++;
            if (!entitled) violations.push("fundRoot by a caller that is neither the active obligor nor its paying bank");
        } catch {}
    }

    /// Admits a fresh address as the admin, a pool registrar or anyone.
    function admit(uint256 callerSeed, uint8 role) external {
        address caller = callerSeed % 3 == 0 ? admin : _caller(callerSeed >> 2);
        bool entitled = registry.hasRole(_registrarRole, caller);
        address account = address(uint160(0x9000000 + ++_admitNonce));
        role = uint8(bound(role, 2, 7));
        vm.prank(caller);
        try registry.admit(account, role, bytes32(0), "gate", uint64(block.timestamp + 365 days)) {
            succeeded["admit"]++;
            if (!entitled) violations.push("admit by a caller without REGISTRAR_ROLE");
        } catch {}
    }

    // ------------------------------------------------------------ churn underneath

    function suspendOrReinstate(uint256 who, bool reinstate) external {
        address account = _caller(who);
        vm.prank(admin);
        if (reinstate) {
            try registry.reinstate(account) {} catch {}
        } else {
            try registry.suspend(account, "gate") {} catch {}
        }
    }

    /// Rarely (one time in eight), revokes a member for good.
    function revoke(uint256 who) external {
        if (who % 8 != 0) return;
        vm.prank(admin);
        try registry.revoke(_caller(who >> 3), "gate") {} catch {}
    }

    /// Lets a member's KYC lapse within a day, or renews it.
    function setKyc(uint256 who, bool lapse) external {
        uint64 until = uint64(block.timestamp + (lapse ? 1 hours : 20 * 365 days));
        vm.prank(admin);
        try registry.renewKyc(_caller(who), until) {} catch {}
    }

    /// Appoints or dismisses a registrar from the pool (the admin stays one).
    function setRegistrar(uint256 who, bool appoint) external {
        address account = _caller(who);
        vm.prank(admin);
        if (appoint) registry.grantRole(_registrarRole, account);
        else registry.revokeRole(_registrarRole, account);
    }

    /// Takes the receipts and receivables contracts off the registry's standing feed (rarely),
    /// subscribes them again, or has the registrar push all members or a random range of them, so
    /// that runs go through detached mirrors, stale epochs and partly synced members (where the
    /// contracts ask the registry).
    function churnStandingFeed(uint8 mode, uint256 fromSeed, uint256 countSeed) external {
        (bool subscribed,) = wr.standingFeed();
        uint256 total = registry.memberCount();
        mode = mode % 8;
        vm.startPrank(admin);
        // Both mirrors (receipts and receivables) leave and rejoin the feed together.
        if (!subscribed) {
            registry.addSubscriber(address(wr));
            registry.addSubscriber(address(receivables));
            fullySynced = false;
        } else if (mode == 0) {
            registry.removeSubscriber(address(wr));
            registry.removeSubscriber(address(receivables));
            fullySynced = false;
        } else if (mode < 4) {
            uint256 batch = registry.MAX_SYNC_BATCH();
            for (uint256 start = 0; start < total; start += batch) {
                registry.syncMembers(start, total - start < batch ? total - start : batch);
            }
            fullySynced = true;
        } else {
            uint256 from = fromSeed % total;
            uint256 room = total - from < 64 ? total - from : 64;
            registry.syncMembers(from, bound(countSeed, 1, room));
        }
        vm.stopPrank();
    }

    /// Accounts admitted by {admit} so far (and the ones it tried), after the pool.
    function admittedAt(uint256 i) public pure returns (address) {
        // forge-lint: disable-next-line(unsafe-typecast) -- a small nonce above 0x9000000
        return address(uint160(0x9000000 + 1 + i));
    }

    function admitAttempts() external view returns (uint256) {
        return _admitNonce;
    }

    function designatePayer(uint256 rootSeed, uint256 bankSeed) external {
        uint256 rootId = _roots[rootSeed % _roots.length];
        address payer = bankSeed % 3 == 0 ? address(0) : poolAt(4 + bankSeed % 2);
        vm.prank(receivables.root(rootId).obligor);
        try receivables.designatePayer(rootId, payer) {} catch {}
    }

    function passTime(uint32 secondsForward) external {
        vm.warp(block.timestamp + bound(secondsForward, 1, 2 days));
    }
}
