// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Cheatcodes the security suites need beyond utils/Vm.sol, served by forge at the same address.
interface VmExtra {
    function roll(uint256 newHeight) external;
    function getBlockNumber() external view returns (uint256 height);
    function snapshotState() external returns (uint256 snapshotId);
    function revertToState(uint256 snapshotId) external returns (bool success);
    function deal(address account, uint256 newBalance) external;
    function cool(address target) external;
}
