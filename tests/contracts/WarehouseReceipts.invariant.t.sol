// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IWarehouseReceipts} from "../../contracts/interfaces/IWarehouseReceipts.sol";
import {ReceiptsHandler} from "./handlers/ReceiptsHandler.sol";
import {CallSummary} from "./utils/CallSummary.sol";
import {ReceiptsFixture} from "./utils/ReceiptsFixture.sol";

/// @notice Whatever sequence of stocktakes, mints, endorsements, splits, merges, pledges, releases,
/// foreclosures, deliveries, freezes, suspensions, lapsed KYC and waiting the handler throws at the
/// contract, stock cover, quantity conservation, one-lot-one-receipt, one-serial-one-lot and the lien
/// rules hold, and the member standing the contract checks locally is the registry's.
/// The handler wraps every contract action in try/catch and reads only receipts its ghost books
/// say are live, so a handler revert means the books and the contract disagree: it fails the run.
contract WarehouseReceiptsInvariantTest is ReceiptsFixture, CallSummary {
    ReceiptsHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new ReceiptsHandler(
            wr,
            registry,
            admin,
            inspector,
            regulator,
            [warehouse, warehouse2],
            [lender, lender2],
            [supplier, supplier2, core, lender, lender2, outsider]
        );
        // A one-day foreclosure grace lets runs of 100 calls reach foreclosures often enough.
        vm.prank(admin);
        wr.setParameters(30 days, 1 days);
        targetContract(address(handler));
    }

    struct Live {
        uint256 id;
        bytes32 lotId;
        IWarehouseReceipts.Receipt r;
    }

    function _liveReceipts() internal view returns (Live[] memory live) {
        uint256 n = handler.liveCount();
        live = new Live[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 id = handler.liveAt(i);
            live[i] = Live(id, handler.lotOf(id), wr.receipt(id)); // reverts if the ghost has a dead id
        }
    }

    /// For every lot: what is receipted is covered by what is attested unless the lot is frozen (or
    /// a regulator lifted its shortfall freeze without a count); it equals the sum of the lot's live
    /// receipts and what was minted less what was delivered; the live count is exact and at most 256.
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_lotCoverAndQuantityConservation() public view {
        Live[] memory live = _liveReceipts();
        uint256 totalReceipted = 0;
        for (uint256 i = 0; i < handler.LOTS(); ++i) {
            bytes32 lotId = handler.lotAt(i);
            IWarehouseReceipts.Lot memory l = wr.lot(lotId);
            if (!l.frozen && !handler.regulatorOverride(lotId)) {
                vm.assertLe(l.receipted, l.attested, "receipted above attested on an unfrozen lot");
            }
            uint256 sum = 0;
            uint256 count = 0;
            for (uint256 k = 0; k < live.length; ++k) {
                if (live[k].lotId == lotId) {
                    sum += live[k].r.quantity;
                    ++count;
                }
            }
            vm.assertEq(l.receipted, sum, "receipted != sum of live receipts");
            vm.assertEq(l.liveReceipts, count, "live receipt count");
            vm.assertLe(l.liveReceipts, 256, "more than 256 live receipts");
            vm.assertEq(l.receipted, handler.minted(lotId) - handler.delivered(lotId), "minted - delivered");
            totalReceipted += l.receipted;
        }
        vm.assertEq(totalReceipted, handler.totalMinted() - handler.totalDelivered(), "global conservation");
    }

    /// One lot, one receipt: all live receipts of a lot descend from a single mint. One serial, one
    /// lot: no serial is listed by two live receipts, and the contract's serial book agrees.
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_oneLiveReceiptFamilyPerLotAndSerial() public view {
        Live[] memory live = _liveReceipts();
        for (uint256 i = 0; i < live.length; ++i) {
            vm.assertEq(live[i].r.lotId, live[i].lotId, "receipt lot");
            for (uint256 k = i + 1; k < live.length; ++k) {
                if (live[k].lotId == live[i].lotId) {
                    vm.assertEq(
                        handler.familyOf(live[k].id), handler.familyOf(live[i].id), "two receipt families on one lot"
                    );
                }
            }
            bytes32[] memory items = handler.itemsOf(live[i].id);
            vm.assertEq(live[i].r.serialized, items.length != 0, "serialized flag");
            vm.assertEq(
                wr.itemsRoot(live[i].id),
                items.length == 0 ? bytes32(0) : keccak256(abi.encodePacked(items)),
                "item list commitment"
            );
        }
        for (uint256 s = 0; s < handler.SERIALS(); ++s) {
            bytes32 serial = handler.serialAt(s);
            bytes32 backing = bytes32(0);
            uint256 holders = 0;
            for (uint256 i = 0; i < live.length; ++i) {
                bytes32[] memory items = handler.itemsOf(live[i].id);
                for (uint256 j = 0; j < items.length; ++j) {
                    if (items[j] == serial) {
                        ++holders;
                        backing = live[i].lotId;
                    }
                }
            }
            vm.assertLe(holders, 1, "a serial backs two live receipts");
            vm.assertEq(wr.serialLot(serial), backing, "serial book");
        }
    }

    /// One lien per receipt, and it pins the owner: a receipt is pledge-locked exactly while a lien
    /// is requested or active, and its owner is the one who pledged it (only foreclosure moves it).
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_liensLockTheReceiptAndItsOwner() public view {
        Live[] memory live = _liveReceipts();
        for (uint256 i = 0; i < live.length; ++i) {
            IWarehouseReceipts.Lien memory l = wr.lien(live[i].id);
            bool locked = l.state != IWarehouseReceipts.LienState.None;
            vm.assertEq(live[i].r.pledgeLocked, locked, "pledge lock without lien, or lien without lock");
            if (locked) vm.assertEq(live[i].r.owner, handler.ownerAtLock(live[i].id), "pledged receipt moved");
            vm.assertEq(live[i].r.deliveryRequested, wr.deliveryRequest(live[i].id) != 0, "delivery request");
        }
    }

    /// The standing the contract checks its callers against is the registry's: for every account
    /// the handler acts as or churns, the mirrored entry is current and holds the registry's record,
    /// and whether it makes the account active at this block's time is the registry's answer. (The
    /// outsider was never admitted, so it has no entry and the contract asks the registry about it.)
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_mirroredStandingIsTheRegistrys() public view {
        address[] memory accounts = handler.touchedAccounts();
        for (uint256 i = 0; i < accounts.length; ++i) {
            IParticipantRegistry.Member memory m = registry.member(accounts[i]);
            (bool current, IParticipantRegistry.Standing memory s) = wr.mirroredStanding(accounts[i]);
            if (m.role == IParticipantRegistry.Role.None) {
                vm.assertFalse(current, "an entry for a non-member");
                continue;
            }
            vm.assertTrue(current, "a member without a current entry");
            vm.assertEq(uint256(s.role), uint256(m.role), "mirrored role");
            vm.assertEq(uint256(s.status), uint256(m.status), "mirrored status");
            vm.assertEq(s.validUntil, m.validUntil, "mirrored KYC validity");
            vm.assertEq(s.statusChangedAt, m.statusChangedAt, "mirrored status time");
            bool activeByMirror =
                s.status == IParticipantRegistry.Status.Active && vm.getBlockTimestamp() <= s.validUntil;
            vm.assertEq(activeByMirror, registry.isActive(accounts[i]), "active by the mirror != by the registry");
        }
    }

    /// Nothing the rules forbid ever went through: a second receipt family on a live lot, a serial on
    /// two receipts, a pledged or frozen receipt moving, a release or acceptance by the wrong bank, an
    /// early foreclosure, a split or merge that lost quantity, a shortfall alert missing a lender.
    /// forge-config: default.invariant.fail-on-revert = true
    function invariant_nothingForbiddenSucceeded() public view {
        if (handler.violationCount() != 0) vm.assertTrue(false, handler.violations(0));
    }

    /// After every run: the run's successful actions join the campaign's tallies, and over the
    /// campaign every action of the handler succeeded at least its minimum per thousand runs
    /// ({CallSummary}), so that no invariant above holds only because the state it guards was never
    /// reached.
    function afterInvariant() public {
        string[19] memory names = [
            "stocktake",
            "shortfall",
            "mint",
            "mintSerialized",
            "transfer",
            "split",
            "splitItems",
            "merge",
            "requestDelivery",
            "cancelDeliveryRequest",
            "confirmDelivery",
            "requestPledge",
            "cancelPledgeRequest",
            "acceptPledge",
            "releasePledge",
            "foreclose",
            "freezeReceipt",
            "unfreezeReceipt",
            "unfreezeLot"
        ];
        // Per thousand runs, about a quarter of the rates measured over 500 runs of 100 calls
        // (stocktake 5,040, foreclose 112, unfreezeLot 68, ...).
        uint16[19] memory minimums =
            [uint16(1250), 60, 100, 150, 150, 60, 60, 50, 150, 75, 50, 250, 100, 75, 30, 30, 150, 75, 15];
        string[] memory actions = new string[](names.length);
        uint256[] memory succeeded = new uint256[](names.length);
        uint256[] memory minPerThousandRuns = new uint256[](names.length);
        for (uint256 i = 0; i < names.length; ++i) {
            actions[i] = names[i];
            succeeded[i] = handler.calls(bytes32(bytes(names[i])));
            minPerThousandRuns[i] = minimums[i];
        }
        _tallyRun("WarehouseReceipts", actions, succeeded, minPerThousandRuns);
    }
}
