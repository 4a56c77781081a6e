// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IReceivables} from "../../contracts/interfaces/IReceivables.sol";
import {ReceivablesFixture, VmStorage} from "./utils/ReceivablesFixture.sol";

/// @notice Gas of each state change, measured the way a transaction pays it. Everything the
/// measured call touches is written in setUp, so it is clean (not yet modified in this transaction)
/// as on chain, and `cool` makes all storage of both contracts cold. Full-transaction gas =
/// 21,000 + calldata (4 per zero byte, 16 per other byte) + the call frame's gas (vm.lastCallGas)
/// + 2,500 for the first access to the registry account (cold in a real transaction; warmed here
/// before every measurement so that all measurements start alike) - the refund (capped at 1/5).
/// Recipients have full 20-byte addresses, as real keys do, so calldata is not undercounted.
contract ReceivablesGasTest is ReceivablesFixture {
    /// forge prints these with -vv (the ds-test log event).
    event log_named_uint(string key, uint256 val);

    uint256 internal constant COLD_ACCOUNT_SURCHARGE = 2_600 - 100;

    address internal tier2 = vm.addr(0x7132);
    address internal tier3 = vm.addr(0x7133);
    uint256 internal single; // a root with one piece, on lender's line
    uint256 internal wide; // a root split into 100 pieces, on lender2's line
    uint256 internal lastPiece; // the 100th piece of `wide`, held by tier2
    uint256 internal offered; // a piece of `single` offered to lender
    uint256 internal requested; // a piece of `single` whose pledge to lender2 is requested

    function setUp() public override {
        super.setUp();
        vm.startPrank(admin);
        _admit(tier2, IParticipantRegistry.Role.Supplier, "Tier2 Ltd");
        _admit(tier3, IParticipantRegistry.Role.Supplier, "Tier3 Ltd");
        vm.stopPrank();
        vm.prank(lender2);
        receivables.setCreditLine(core, LIMIT, CNY, lineExpiry);
        single = _issue(FACE);
        IReceivables.IssueParams memory p = _params(FACE, 1, 5);
        p.lender = lender2;
        vm.prank(core);
        wide = receivables.issue(p);
        for (uint256 i = 0; i < 99; i++) {
            lastPiece = _split(supplier, wide, tier2, 10_000);
        }
        offered = _split(supplier, single, supplier, 1_000_000);
        _offer(offered, supplier, lender, 990_000);
        requested = _split(supplier, single, supplier, 1_000_000);
        vm.prank(supplier);
        receivables.requestPledge(requested, lender2, 500_000, keccak256("loan"), maturity + 30 days);
    }

    /// Makes all storage cold and both accounts warm (see the contract notice).
    function _cold() private {
        vms.cool(address(receivables));
        vms.cool(address(registry));
        vm.assertEq(address(receivables).balance + address(registry).balance, 0);
    }

    /// Calls `data` as `caller` on cold storage. Returns the full-transaction gas (logged under
    /// `name`) and the gas measured with gasleft() around the call.
    function _measure(string memory name, address caller, bytes memory data)
        private
        returns (uint256 full, uint256 measured)
    {
        _cold();
        vm.prank(caller);
        uint256 before = gasleft();
        (bool ok,) = address(receivables).call(data);
        measured = before - gasleft();
        vm.assertTrue(ok, name);
        VmStorage.Gas memory frame = vms.lastCallGas();
        uint256 calldataGas;
        for (uint256 i = 0; i < data.length; i++) {
            calldataGas += data[i] == 0 ? 4 : 16;
        }
        full = 21_000 + calldataGas + frame.gasTotalUsed + COLD_ACCOUNT_SURCHARGE;
        if (frame.gasRefunded > 0) {
            // forge-lint: disable-next-line(unsafe-typecast) -- positive int64, checked just above
            uint256 refund = uint256(int256(frame.gasRefunded));
            full -= refund < full / 5 ? refund : full / 5;
        }
        emit log_named_uint(name, full);
    }

    function test_gas_split_fullTransactionWithinTarget() public {
        (uint256 full,) =
            _measure("split (full tx)", supplier, abi.encodeCall(receivables.split, (wide, tier3, 25_000_000)));
        // A regression guard on forge's legacy-pipeline test build (about 3,650 gas above the shipped
        // via-IR bytecode: 70,600 here). The 70,000 target itself is judged on the shipped bytecode by
        // scripts/bench_gas.py, where split measures 66,948 (70,316 before the members' standing was
        // mirrored here instead of asked of the registry twice).
        vm.assertLe(full, 71_500, "split full-transaction gas over its regression guard");
    }

    function test_gas_transfer() public {
        (uint256 full,) =
            _measure("transfer (full tx)", tier2, abi.encodeCall(receivables.transfer, (lastPiece, tier3)));
        vm.assertLe(full, 50_000, "transfer");
    }

    function test_gas_issue() public {
        IReceivables.IssueParams memory p = _params(FACE, 100, 5);
        p.holder = tier2;
        (uint256 full,) = _measure("issue (full tx)", core, abi.encodeCall(receivables.issue, (p)));
        vm.assertLe(full, 200_000, "issue");
    }

    function test_gas_merge() public {
        vm.prank(tier2);
        receivables.transfer(lastPiece, supplier);
        (uint256 full,) = _measure("merge (full tx)", supplier, abi.encodeCall(receivables.merge, (wide, lastPiece)));
        vm.assertLe(full, 50_000, "merge");
    }

    function test_gas_offerDiscount() public {
        (uint256 full,) = _measure(
            "offerDiscount (full tx)", tier2, abi.encodeCall(receivables.offerDiscount, (lastPiece, lender, 9_900))
        );
        vm.assertLe(full, 75_000, "offerDiscount");
    }

    function test_gas_acceptDiscount() public {
        (uint256 full,) = _measure(
            "acceptDiscount (full tx)",
            lender,
            abi.encodeCall(receivables.acceptDiscount, (offered, 990_000, keccak256("wire")))
        );
        vm.assertLe(full, 125_000, "acceptDiscount");
    }

    function test_gas_requestPledge() public {
        (uint256 full,) = _measure(
            "requestPledge (full tx)",
            tier2,
            abi.encodeCall(receivables.requestPledge, (lastPiece, lender, 5_000, keccak256("loan"), maturity + 1))
        );
        vm.assertLe(full, 120_000, "requestPledge");
    }

    function test_gas_acceptPledge() public {
        (uint256 full,) = _measure(
            "acceptPledge (full tx)",
            lender2,
            abi.encodeCall(receivables.acceptPledge, (requested, 500_000, keccak256("loan")))
        );
        vm.assertLe(full, 60_000, "acceptPledge");
    }

    /// Settling one piece costs the same whether its root has 1 piece or 100: no loop over pieces.
    function test_settle_gasIsFlatInPieceCount() public {
        vm.assertEq(receivables.root(wide).pieceCount, 100);
        vm.warp(maturity);
        // Each root draws on its own line, so neither measurement sees a slot the other wrote.
        (uint256 fullSingle, uint256 gasSingle) = _measure(
            "settle, root of 1 piece (full tx)", core, abi.encodeCall(receivables.settle, (single, keccak256("p")))
        );
        (, uint256 gasWide) = _measure(
            "settle, piece of 100-piece root (full tx)",
            core,
            abi.encodeCall(receivables.settle, (lastPiece, keccak256("p")))
        );
        _assertFlat(gasSingle, gasWide, "settle: 1-piece root vs piece of a 100-piece root");
        vm.assertLe(fullSingle, 57_000, "settle"); // 55,820 here, 52,977 on the shipped bytecode
    }

    /// Redeeming one piece of a funded root costs the same whether the root has 1 piece or 100.
    function test_redeem_gasIsFlatInPieceCount() public {
        vm.warp(maturity);
        (uint256 fund,) =
            _measure("fundRoot (full tx)", core, abi.encodeCall(receivables.fundRoot, (single, keccak256("p"))));
        vm.prank(core);
        receivables.fundRoot(wide, keccak256("p"));
        // Both roots' terms and lines were just written by fundRoot: the same starting point.
        (, uint256 gasSingle) =
            _measure("redeem, root of 1 piece (full tx)", supplier, abi.encodeCall(receivables.redeem, (single)));
        (, uint256 gasWide) = _measure(
            "redeem, piece of 100-piece root (full tx)", supplier, abi.encodeCall(receivables.redeem, (lastPiece))
        );
        _assertFlat(gasSingle, gasWide, "redeem: 1-piece root vs piece of a 100-piece root");
        vm.assertLe(fund, 55_000, "fundRoot");
    }

    /// gasleft() around the two calls may differ only by a few dozen gas (memory for different ids).
    function _assertFlat(uint256 a, uint256 b, string memory what) private pure {
        uint256 diff = a > b ? a - b : b - a;
        vm.assertLe(diff, 100, what);
    }
}
