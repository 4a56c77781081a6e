// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ParticipantRegistry} from "../../../contracts/ParticipantRegistry.sol";
import {Test} from "../utils/Test.sol";

/// @notice Drives the consortium's default admin (which is also the receipts' and receivables'
/// consortium admin) through random begin / cancel / accept of a transfer, delay changes and
/// rollbacks, direct grants, revocations and renunciations of DEFAULT_ADMIN_ROLE, from the admin
/// and from anyone, while time passes. It keeps its own model of who the admin is, who is pending
/// and from when, and what the delay is (the rules of AccessControlDefaultAdminRules, written out
/// independently); a success the model does not allow is a violation.
contract AdminTransferHandler is Test {
    ParticipantRegistry public immutable registry;

    uint256 public constant POOL = 6;
    uint48 internal constant _INCREASE_WAIT = 5 days; // defaultAdminDelayIncreaseWait()

    // ------------------------------------------------------------ the model

    address public ghostAdmin;
    address public ghostPending;
    uint48 public ghostSchedule; // 0 = no transfer begun
    uint48 internal _currentDelay;
    uint48 internal _pendingDelay;
    uint48 internal _delaySchedule;
    uint256 public adminChanges;

    mapping(bytes32 action => uint256) public succeeded;
    string[] public violations;

    constructor(ParticipantRegistry registry_, address admin_, uint48 delay_) {
        registry = registry_;
        ghostAdmin = admin_;
        _currentDelay = delay_;
    }

    function poolAt(uint256 i) public view returns (address) {
        // forge-lint: disable-next-line(unsafe-typecast) -- small constants
        return i == 0 ? _firstAdmin() : address(uint160(0xAD00 + i));
    }

    function _firstAdmin() internal pure returns (address) {
        return address(0xA11CE);
    }

    function violationCount() external view returns (uint256) {
        return violations.length;
    }

    function _now() internal view returns (uint48) {
        // forge-lint: disable-next-line(unsafe-typecast) -- timestamps fit 48 bits
        return uint48(block.timestamp);
    }

    function _passed(uint48 schedule) internal view returns (bool) {
        return schedule != 0 && schedule < _now();
    }

    /// @notice The delay in force now, by the model.
    function ghostDelay() public view returns (uint48) {
        return _passed(_delaySchedule) ? _pendingDelay : _currentDelay;
    }

    function _setPendingDelay(uint48 newDelay, uint48 schedule) internal {
        if (_passed(_delaySchedule)) _currentDelay = _pendingDelay;
        _pendingDelay = newDelay;
        _delaySchedule = schedule;
    }

    function _caller(uint256 seed) internal view returns (address) {
        // Half the time the admin (so that transfers do begin), otherwise anyone in the pool.
        return seed % 2 == 0 && ghostAdmin != address(0) ? ghostAdmin : poolAt((seed >> 1) % POOL);
    }

    // ------------------------------------------------------------ actions

    function begin(uint256 callerSeed, uint256 newSeed) external {
        address caller = _caller(callerSeed);
        // One time in eight, a transfer to nobody: the first step of a renunciation.
        address newAdmin = newSeed % 8 == 0 ? address(0) : poolAt(1 + (newSeed >> 3) % (POOL - 1));
        uint48 schedule = _now() + ghostDelay();
        vm.prank(caller);
        try registry.beginDefaultAdminTransfer(newAdmin) {
            succeeded["begin"]++;
            if (caller != ghostAdmin) violations.push("transfer begun by someone other than the admin");
            (ghostPending, ghostSchedule) = (newAdmin, schedule);
        } catch {}
    }

    function cancel(uint256 callerSeed) external {
        address caller = _caller(callerSeed);
        vm.prank(caller);
        try registry.cancelDefaultAdminTransfer() {
            succeeded["cancel"]++;
            if (caller != ghostAdmin) violations.push("transfer cancelled by someone other than the admin");
            (ghostPending, ghostSchedule) = (address(0), 0);
        } catch {}
    }

    /// Accepts as the pending admin (mostly) or anyone, sometimes after waiting out the delay.
    function accept(uint256 callerSeed, bool wait) external {
        if (wait && ghostSchedule != 0 && ghostSchedule >= _now()) vm.warp(uint256(ghostSchedule) + 1);
        address caller = callerSeed % 4 != 0 && ghostPending != address(0) ? ghostPending : _caller(callerSeed >> 2);
        vm.prank(caller);
        try registry.acceptDefaultAdminTransfer() {
            succeeded["accept"]++;
            if (caller != ghostPending || ghostPending == address(0)) {
                violations.push("admin taken by someone who was not pending");
            }
            if (!_passed(ghostSchedule)) violations.push("admin taken before the delay passed");
            ghostAdmin = caller;
            (ghostPending, ghostSchedule) = (address(0), 0);
            adminChanges++;
        } catch {}
    }

    function changeDelay(uint256 callerSeed, uint32 newDelay) external {
        address caller = _caller(callerSeed);
        // forge-lint: disable-next-line(unsafe-typecast) -- bounded to ten days
        uint48 d = uint48(bound(newDelay, 0, 10 days));
        uint48 current = ghostDelay();
        uint48 wait = d > current ? (d < _INCREASE_WAIT ? d : _INCREASE_WAIT) : current - d;
        uint48 schedule = _now() + wait;
        vm.prank(caller);
        try registry.changeDefaultAdminDelay(d) {
            succeeded["changeDelay"]++;
            if (caller != ghostAdmin) violations.push("delay changed by someone other than the admin");
            _setPendingDelay(d, schedule);
        } catch {}
    }

    function rollbackDelay(uint256 callerSeed) external {
        address caller = _caller(callerSeed);
        vm.prank(caller);
        try registry.rollbackDefaultAdminDelay() {
            succeeded["rollbackDelay"]++;
            if (caller != ghostAdmin) violations.push("delay change rolled back by someone other than the admin");
            _setPendingDelay(0, 0);
        } catch {}
    }

    /// The one-step paths, which must never work for DEFAULT_ADMIN_ROLE.
    function grant(uint256 callerSeed, uint256 whoSeed) external {
        address caller = _caller(callerSeed);
        vm.prank(caller);
        try registry.grantRole(bytes32(0), poolAt(whoSeed % POOL)) {
            violations.push("DEFAULT_ADMIN_ROLE granted in one step");
        } catch {}
    }

    function revoke(uint256 callerSeed) external {
        address caller = _caller(callerSeed);
        vm.prank(caller);
        try registry.revokeRole(bytes32(0), ghostAdmin) {
            violations.push("DEFAULT_ADMIN_ROLE revoked in one step");
        } catch {}
    }

    /// Renunciation is allowed only after a transfer to nobody has waited out its delay. Tried
    /// rarely (one time in sixteen), as it ends the run's admin.
    function renounce(uint256 callerSeed) external {
        if (callerSeed % 16 != 0) return;
        address caller = _caller(callerSeed >> 4);
        vm.prank(caller);
        try registry.renounceRole(bytes32(0), caller) {
            if (caller != ghostAdmin) return; // renouncing a role one does not hold changes nothing
            succeeded["renounce"]++;
            if (ghostPending != address(0) || !_passed(ghostSchedule)) {
                violations.push("admin renounced without a waited-out transfer to nobody");
            }
            ghostAdmin = address(0);
            (ghostPending, ghostSchedule) = (address(0), 0);
            adminChanges++;
        } catch {}
    }

    function passTime(uint32 secondsForward) external {
        vm.warp(block.timestamp + bound(secondsForward, 1, 3 days));
    }
}
