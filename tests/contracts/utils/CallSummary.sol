// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Cheatcodes the call summary needs beyond utils/Vm.sol, served by forge at the same address.
interface VmEnv {
    function setEnv(string calldata name, string calldata value) external;
    function envOr(string calldata name, uint256 defaultValue) external view returns (uint256 value);
    function toString(uint256 value) external pure returns (string memory);
    function assertGe(uint256 left, uint256 right, string calldata error) external pure;
}

/// @notice The campaign-level call summary of an invariant suite: after each run (forge's
/// `afterInvariant` hook) the suite hands over how many times each handler action succeeded in that
/// run; the tallies add up over the runs, and from {SUMMARY_FROM_RUN} runs on every action must have
/// succeeded at least its minimum number of times per thousand runs, on average over them. A
/// handler whose action never (or hardly ever) succeeds, because its inputs are not bounded to a
/// state where it can or the set-up makes it impossible, fails the campaign instead of letting every
/// invariant pass vacuously; `fail_on_revert = false` would otherwise hide it. Minimums are set at
/// about a quarter of the rates measured, so that chance alone does not fail a campaign.
/// @dev forge resets the EVM state before every run, so the tallies live in the forge process's
/// environment (`setEnv`), keyed by suite and action. The invariants of one suite run in parallel
/// and add to the same tallies; a read-modify-write race between two of them can lose a few counts
/// (of an action or of runs), far below the margin the minimums leave. A suite's campaign starts
/// from zero in every `forge test` process.
abstract contract CallSummary {
    VmEnv private constant _VM_ENV = VmEnv(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev Runs tallied (over all the suite's invariants) before the minimums are asserted: fewer
    /// runs say too little about rates of rare actions. The CI campaign (512 runs per invariant) and
    /// `make test-deep` (4,096) reach it; `make coverage` (32 runs of 50 calls) does not, and checks none.
    uint256 internal constant SUMMARY_FROM_RUN = 256;

    /// @dev Adds one run's successes to the campaign's tallies and, once {SUMMARY_FROM_RUN} runs are
    /// in, asserts that action i succeeded at least `minPerThousandRuns[i]` times per thousand runs.
    function _tallyRun(
        string memory suite,
        string[] memory actions,
        uint256[] memory succeeded,
        uint256[] memory minPerThousandRuns
    ) internal {
        string memory runsKey = string.concat("LH_CALL_SUMMARY_", suite, "_RUNS");
        uint256 runs = _VM_ENV.envOr(runsKey, uint256(0)) + 1;
        _VM_ENV.setEnv(runsKey, _VM_ENV.toString(runs));
        uint256[] memory totals = new uint256[](actions.length);
        string memory summary = string.concat(suite, " after ", _VM_ENV.toString(runs), " runs:");
        for (uint256 i = 0; i < actions.length; ++i) {
            string memory key = string.concat("LH_CALL_SUMMARY_", suite, "_", actions[i]);
            totals[i] = _VM_ENV.envOr(key, uint256(0)) + succeeded[i];
            _VM_ENV.setEnv(key, _VM_ENV.toString(totals[i]));
            summary = string.concat(summary, " ", actions[i], "=", _VM_ENV.toString(totals[i]));
        }
        if (runs < SUMMARY_FROM_RUN) return;
        for (uint256 i = 0; i < actions.length; ++i) {
            // total / runs >= min / 1000, without division.
            _VM_ENV.assertGe(
                totals[i] * 1000,
                minPerThousandRuns[i] * runs,
                string.concat("too few successful `", actions[i], "` (successes x 1000 vs minimum per thousand runs x runs); ", summary)
            );
        }
    }
}
