// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ParticipantRegistry} from "../../../contracts/ParticipantRegistry.sol";
import {IParticipantRegistry} from "../../../contracts/interfaces/IParticipantRegistry.sol";
import {Test} from "../utils/Test.sol";

/// @notice Drives the registrar through random admissions, suspensions, reinstatements,
/// revocations, renewals and the passage of time, over a fixed pool of addresses, and keeps
/// ghost records that the invariants compare with the contract.
contract MembershipHandler is Test {
    ParticipantRegistry public immutable registry;
    address public immutable registrar;

    uint256 public constant POOL = 16;
    uint256 public ghostAdmitted;
    mapping(address account => bool) public ghostRevoked;

    constructor(ParticipantRegistry registry_, address registrar_) {
        registry = registry_;
        registrar = registrar_;
    }

    function poolAt(uint256 i) public pure returns (address) {
        // forge-lint: disable-next-line(unsafe-typecast) -- i < POOL, far below 2**160
        return address(uint160(0x5000 + i));
    }

    function admit(uint256 who, uint8 role, uint64 validFor) external {
        address account = poolAt(who % POOL);
        role = uint8(bound(role, 2, 7));
        uint64 until = uint64(block.timestamp + bound(validFor, 1, 3 * 365 days));
        vm.prank(registrar);
        try registry.admit(account, role, bytes32(0), "member", until) {
            ghostAdmitted++;
        } catch {}
    }

    function suspend(uint256 who) external {
        vm.prank(registrar);
        try registry.suspend(poolAt(who % POOL), "handler") {} catch {}
    }

    function reinstate(uint256 who) external {
        vm.prank(registrar);
        try registry.reinstate(poolAt(who % POOL)) {} catch {}
    }

    function revoke(uint256 who) external {
        address account = poolAt(who % POOL);
        vm.prank(registrar);
        try registry.revoke(account, "handler") {
            ghostRevoked[account] = true;
        } catch {}
    }

    function renew(uint256 who, uint64 validFor) external {
        uint64 until = uint64(block.timestamp + bound(validFor, 1, 3 * 365 days));
        vm.prank(registrar);
        try registry.renewKyc(poolAt(who % POOL), until) {} catch {}
    }

    function passTime(uint32 secondsForward) external {
        vm.warp(block.timestamp + bound(secondsForward, 1, 120 days));
    }
}
