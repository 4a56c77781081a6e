// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ParticipantRegistry} from "../../contracts/ParticipantRegistry.sol";
import {Receivables} from "../../contracts/Receivables.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IReceivables} from "../../contracts/interfaces/IReceivables.sol";
import {ReceivablesHandler} from "./handlers/ReceivablesHandler.sol";
import {CallSummary} from "./utils/CallSummary.sol";
import {Test} from "./utils/Test.sol";

contract ReceivablesInvariantTest is Test, CallSummary {
    ParticipantRegistry internal registry;
    Receivables internal receivables;
    ReceivablesHandler internal handler;

    uint128 internal constant LIMIT = 5_000_000_000;

    function setUp() public {
        vm.warp(1_790_000_000);
        address admin = address(0xA11CE);
        registry = new ParticipantRegistry(admin, 2 days);
        receivables = new Receivables(registry, uint32(7 days)); // = ReceivablesHandler.GRACE

        address[2] memory lenders = [address(0x2001), address(0x2002)];
        address[2] memory cores = [address(0x3001), address(0x3002)];
        address[4] memory suppliers = [address(0x4001), address(0x4002), address(0x4003), address(0x4004)];
        // Validity outlasts any run: 100 steps of at most 15 days, or a jump to a maturity (a year
        // at most) plus grace.
        uint64 validUntil = uint64(block.timestamp + 20 * 365 days);
        uint64 lineExpiry = uint64(block.timestamp + 10 * 365 days);
        vm.startPrank(admin);
        for (uint256 i = 0; i < 2; i++) {
            registry.admit(lenders[i], uint8(IParticipantRegistry.Role.Lender), bytes32(i), "bank", validUntil);
            registry.admit(cores[i], uint8(IParticipantRegistry.Role.CoreEnterprise), bytes32(i), "core", validUntil);
        }
        for (uint256 i = 0; i < 4; i++) {
            registry.admit(suppliers[i], uint8(IParticipantRegistry.Role.Supplier), bytes32(i), "supplier", validUntil);
        }
        vm.stopPrank();
        for (uint256 l = 0; l < 2; l++) {
            for (uint256 c = 0; c < 2; c++) {
                vm.prank(lenders[l]);
                receivables.setCreditLine(cores[c], LIMIT, "CNY", lineExpiry);
            }
        }

        handler = new ReceivablesHandler(receivables, admin, lenders, cores, suppliers, lineExpiry);
        vm.assertEq(handler.rootCount(), 4);
        targetContract(address(handler));
    }

    function _live(IReceivables.VoucherStatus status) internal pure returns (bool) {
        return status == IReceivables.VoucherStatus.Active || status == IReceivables.VoucherStatus.OfferedForDiscount
            || status == IReceivables.VoucherStatus.PledgeRequested || status == IReceivables.VoucherStatus.Pledged;
    }

    /// For every root, at every step: the values of its live pieces plus its settled value equal
    /// its face value.
    function invariant_valueConservedPerRoot() public view {
        for (uint256 i = 0; i < handler.rootCount(); i++) {
            uint256 rootId = handler.rootAt(i);
            IReceivables.Root memory r = receivables.root(rootId);
            uint256 live;
            for (uint256 j = 0; j < handler.pieceCount(rootId); j++) {
                IReceivables.Voucher memory v = receivables.voucher(handler.pieceAt(rootId, j));
                if (_live(v.status)) live += v.value;
                if (v.status == IReceivables.VoucherStatus.Merged) vm.assertEq(v.value, 0, "merged piece holds value");
            }
            vm.assertEq(live + r.settled, r.faceValue, "live + settled != face");
            vm.assertEq(r.outstanding, r.faceValue - r.settled, "outstanding != face - settled");
        }
    }

    /// No piece is deeper than its root allows; parent links stay inside the root and point back.
    function invariant_tierWithinMaxDepth() public view {
        for (uint256 i = 0; i < handler.rootCount(); i++) {
            uint256 rootId = handler.rootAt(i);
            IReceivables.Root memory r = receivables.root(rootId);
            vm.assertEq(r.pieceCount, handler.pieceCount(rootId), "pieces created != pieces recorded");
            for (uint256 j = 0; j < handler.pieceCount(rootId); j++) {
                uint256 id = handler.pieceAt(rootId, j);
                IReceivables.Voucher memory v = receivables.voucher(id);
                vm.assertLe(v.tier, r.maxDepth, "tier beyond the root's maximum depth");
                vm.assertEq(v.rootId, rootId);
                if (id == rootId) {
                    vm.assertEq(v.parentId, 0);
                } else {
                    vm.assertTrue(v.parentId >= rootId && v.parentId < id, "parent outside root or not older");
                    vm.assertTrue(v.tier >= 1, "a split-off piece has tier 0");
                }
            }
        }
    }

    /// Every line's outstanding equals the unpaid, unfunded value of the roots drawn on it, and
    /// never exceeds its limit.
    function invariant_creditLineNeverExceeded() public view {
        for (uint256 l = 0; l < 2; l++) {
            for (uint256 c = 0; c < 2; c++) {
                address lender = handler.lenderAt(l);
                address core = handler.coreAt(c);
                uint256 drawn;
                for (uint256 i = 0; i < handler.rootCount(); i++) {
                    IReceivables.Root memory r = receivables.root(handler.rootAt(i));
                    if (r.lender == lender && r.obligor == core && !r.funded) drawn += r.outstanding;
                }
                IReceivables.CreditLine memory line = receivables.creditLine(lender, core);
                vm.assertEq(line.outstanding, drawn, "line outstanding != unpaid vouchers on it");
                vm.assertLe(line.outstanding, line.limit, "credit line exceeded");
            }
        }
    }

    /// While paused, nothing changes.
    function invariant_pauseStopsStateChanges() public view {
        vm.assertFalse(handler.ghostChangedWhilePaused(), "a state change succeeded while paused");
        vm.assertFalse(receivables.paused());
    }

    /// A trade document backs at most one voucher per obligor entity, and the contract names it.
    function invariant_documentBacksOneVoucher() public view {
        for (uint256 c = 0; c < 2; c++) {
            address core = handler.coreAt(c);
            for (uint256 i = 0; i < handler.DOCUMENTS(); i++) {
                bytes32 document = handler.documentAt(i);
                uint256 issues = handler.ghostIssues(core, document);
                vm.assertLe(issues, 1, "a document backs two vouchers of one obligor");
                uint256 usedBy = receivables.documentUsedBy(core, document);
                vm.assertEq(usedBy, handler.ghostRootOf(core, document));
                if (usedBy != 0) {
                    vm.assertEq(receivables.root(usedBy).document, document);
                    vm.assertEq(receivables.root(usedBy).obligor, core);
                }
            }
        }
    }

    /// A piece has at most one lien, exactly while it is pledged, and no lien outlives its piece's
    /// pledge (released, discharged by payment).
    function invariant_atMostOneLienPerVoucher() public view {
        vm.assertFalse(handler.ghostDoubleLien(), "a second lien was accepted on a pledged piece");
        for (uint256 i = 0; i < handler.rootCount(); i++) {
            uint256 rootId = handler.rootAt(i);
            for (uint256 j = 0; j < handler.pieceCount(rootId); j++) {
                uint256 id = handler.pieceAt(rootId, j);
                IReceivables.VoucherStatus status = receivables.voucher(id).status;
                IReceivables.Lien memory l = receivables.lien(id);
                bool pledged = status == IReceivables.VoucherStatus.Pledged;
                vm.assertEq(handler.ghostLiens(id), pledged ? 1 : 0);
                vm.assertEq(l.accepted, pledged);
                if (pledged || status == IReceivables.VoucherStatus.PledgeRequested) {
                    vm.assertTrue(l.lienholder != address(0), "pledge without lienholder");
                } else {
                    vm.assertEq(l.lienholder, address(0));
                }
                if (status != IReceivables.VoucherStatus.OfferedForDiscount) {
                    vm.assertEq(receivables.discountOffer(id).lender, address(0));
                }
            }
        }
    }

    /// After every run: the run's successful calls join the campaign's tallies, and over the campaign
    /// every action of the handler succeeded at least its minimum per thousand runs ({CallSummary}),
    /// so that no invariant above holds only because the state it guards was never reached.
    function afterInvariant() public {
        bytes4[18] memory selectors = [
            receivables.issue.selector,
            receivables.split.selector,
            receivables.transfer.selector,
            receivables.merge.selector,
            receivables.offerDiscount.selector,
            receivables.cancelDiscountOffer.selector,
            receivables.acceptDiscount.selector,
            receivables.requestPledge.selector,
            receivables.cancelPledgeRequest.selector,
            receivables.acceptPledge.selector,
            receivables.releasePledge.selector,
            receivables.designatePayer.selector,
            receivables.settle.selector,
            receivables.fundRoot.selector,
            receivables.redeem.selector,
            receivables.markOverdue.selector,
            receivables.setCreditLine.selector,
            receivables.closeCreditLine.selector
        ];
        string[18] memory names = [
            "issue",
            "split",
            "transfer",
            "merge",
            "offerDiscount",
            "cancelDiscountOffer",
            "acceptDiscount",
            "requestPledge",
            "cancelPledgeRequest",
            "acceptPledge",
            "releasePledge",
            "designatePayer",
            "settle",
            "fundRoot",
            "redeem",
            "markOverdue",
            "setCreditLine",
            "closeCreditLine"
        ];
        // Per thousand runs, about a quarter of the rates measured over 500 runs of 100 calls
        // (issue 6,300, merge 1,266, releasePledge 212, ...).
        uint16[18] memory minimums =
            [uint16(1500), 600, 400, 300, 400, 200, 100, 400, 200, 80, 50, 1200, 400, 450, 150, 300, 700, 800];
        string[] memory actions = new string[](names.length);
        uint256[] memory succeeded = new uint256[](names.length);
        uint256[] memory minPerThousandRuns = new uint256[](names.length);
        for (uint256 i = 0; i < names.length; ++i) {
            actions[i] = names[i];
            succeeded[i] = handler.succeeded(selectors[i]);
            minPerThousandRuns[i] = minimums[i];
        }
        _tallyRun("Receivables", actions, succeeded, minPerThousandRuns);
    }
}
