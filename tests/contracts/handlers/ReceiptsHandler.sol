// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ParticipantRegistry} from "../../../contracts/ParticipantRegistry.sol";
import {WarehouseReceipts} from "../../../contracts/WarehouseReceipts.sol";
import {IWarehouseReceipts} from "../../../contracts/interfaces/IWarehouseReceipts.sol";
import {Vm} from "../utils/Vm.sol";
import {Test} from "../utils/Test.sol";

/// @notice Drives warehouse receipts through random stocktakes, mints, transfers, splits, merges,
/// pledges, releases, foreclosures, deliveries, freezes, membership changes and the passage of time,
/// over four lots, two warehouses, a small pool of holders and a universe of sixteen item serials.
/// Every action is attempted with try/catch (many are meant to fail); the handler keeps ghost books
/// of what succeeded and raises a flag whenever something succeeds that must not.
contract ReceiptsHandler is Test {
    WarehouseReceipts public immutable wr;
    ParticipantRegistry public immutable registry;

    address internal immutable _admin;
    address internal immutable _inspector;
    address internal immutable _regulator;
    address[2] internal _warehouses;
    address[2] internal _lenders;
    /// @dev Everyone who may hold a receipt, plus one outsider the contract must refuse.
    address[6] internal _holders;

    uint256 public constant LOTS = 4;
    uint256 public constant SERIALS = 16;
    uint256 internal constant _MAX_LIVE = 24;
    bytes16 internal constant _AL = "AL-A00";
    bytes8 internal constant _KG = "kg";

    // ------------------------------------------------------------ ghost books

    uint256[] internal _live;
    mapping(uint256 id => uint256) internal _livePos; // index + 1
    mapping(uint256 id => bytes32) public lotOf;
    mapping(uint256 id => uint256) public familyOf; // the mint every receipt descends from
    mapping(uint256 id => bytes32[]) internal _items;
    mapping(uint256 id => address) public ownerAtLock;

    mapping(bytes32 lotId => uint256) public minted;
    mapping(bytes32 lotId => uint256) public delivered;
    mapping(bytes32 lotId => bool) public regulatorOverride; // shortfall freeze lifted without a count
    /// @dev Goods physically on hand by the ghost books: the last count, less deliveries since.
    mapping(bytes32 lotId => uint256) public onHand;
    uint256 public totalMinted;
    uint256 public totalDelivered;

    /// @dev Something succeeded that must not have: the invariant test reads these.
    string[] public violations;

    /// @dev Successful actions by kind, to check that runs reach deep states (e.g. `calls["foreclose"]`):
    /// the invariant suite's call summary asserts a minimum for each over the campaign.
    mapping(bytes32 name => uint256) public calls;

    constructor(
        WarehouseReceipts wr_,
        ParticipantRegistry registry_,
        address admin_,
        address inspector_,
        address regulator_,
        address[2] memory warehouses_,
        address[2] memory lenders_,
        address[6] memory holders_
    ) {
        wr = wr_;
        registry = registry_;
        _admin = admin_;
        _inspector = inspector_;
        _regulator = regulator_;
        _warehouses = warehouses_;
        _lenders = lenders_;
        _holders = holders_;
    }

    // ------------------------------------------------------------ reads for the invariants

    function lotAt(uint256 i) public pure returns (bytes32) {
        return keccak256(abi.encode("handler lot", i));
    }

    function serialAt(uint256 i) public pure returns (bytes32) {
        return bytes32(0x5e00 + i);
    }

    function liveCount() external view returns (uint256) {
        return _live.length;
    }

    function liveAt(uint256 i) external view returns (uint256) {
        return _live[i];
    }

    function itemsOf(uint256 id) external view returns (bytes32[] memory) {
        return _items[id];
    }

    function violationCount() external view returns (uint256) {
        return violations.length;
    }

    // ------------------------------------------------------------ inspector

    function stocktake(uint256 lotSeed, uint256 whSeed, uint64 qtySeed, uint8 mode) external {
        bytes32 lotId = lotAt(lotSeed % LOTS);
        IWarehouseReceipts.Lot memory l = wr.lot(lotId);
        address wh = (l.receipted != 0 && whSeed % 8 != 0) ? l.warehouse : _warehouses[whSeed % 2];
        uint64 quantity;
        if (mode % 4 == 0 && l.receipted > 0) {
            quantity = uint64(bound(qtySeed, 0, l.receipted - 1)); // a shortfall
        } else if (mode % 4 != 3) {
            quantity = uint64(bound(qtySeed, l.receipted, uint256(l.receipted) + 1000)); // covering
        } else {
            quantity = uint64(bound(qtySeed, 0, 1_000_000));
        }
        uint256[] memory ids = _liveIdsOf(lotId);
        bool shortfall = quantity < l.receipted;
        (address[] memory expectedLenders, uint256[] memory expectedPledged) = _activeLiens(ids);

        vm.recordLogs();
        vm.prank(_inspector);
        try wr.recordStocktake(wh, lotId, _AL, _KG, 3, quantity, keccak256("evidence"), ids) {
            calls["stocktake"]++;
            regulatorOverride[lotId] = false;
            onHand[lotId] = quantity;
            if (shortfall) {
                calls["shortfall"]++;
                _checkShortfallAlert(expectedLenders, expectedPledged);
                if (!wr.lot(lotId).frozen) _flag("shortfall did not freeze the lot");
            }
        } catch {}
    }

    // ------------------------------------------------------------ warehouse

    function mint(uint256 lotSeed, uint256 toSeed, uint64 qtySeed, bool otherWarehouse) external {
        bytes32 lotId = lotAt(lotSeed % LOTS);
        IWarehouseReceipts.Lot memory l = wr.lot(lotId);
        address wh = otherWarehouse ? _otherWarehouse(l.warehouse) : l.warehouse;
        if (wh == address(0)) wh = _warehouses[0];
        uint64 quantity = uint64(bound(qtySeed, 1, uint256(l.attested) + 10));
        address to = _holder(toSeed);
        vm.prank(wh);
        try wr.mint(to, lotId, _AL, quantity, 0, keccak256("details")) returns (uint256 id) {
            calls["mint"]++;
            _afterMint(id, lotId, l, quantity);
        } catch {}
    }

    function mintSerialized(uint256 lotSeed, uint256 toSeed, uint64 qtySeed, uint16 mask) external {
        bytes32 lotId = lotAt(lotSeed % LOTS);
        IWarehouseReceipts.Lot memory l = wr.lot(lotId);
        address wh = l.warehouse == address(0) ? _warehouses[0] : l.warehouse;
        uint64 quantity = uint64(bound(qtySeed, 1, uint256(l.attested) + 10));
        bytes32[] memory items = _fromMask(mask == 0 ? 1 : mask);
        bool clash = false;
        for (uint256 i = 0; i < items.length; ++i) {
            if (_backsLiveReceipt(items[i])) clash = true;
        }
        address to = _holder(toSeed);
        vm.prank(wh);
        try wr.mintSerialized(to, lotId, _AL, quantity, 0, keccak256("details"), items) returns (uint256 id) {
            calls["mintSerialized"]++;
            if (clash) _flag("a serial backs two live receipts");
            _afterMint(id, lotId, l, quantity);
            _items[id] = items;
        } catch {}
    }

    /// @dev By the ghost books: does a live receipt list this serial?
    function _backsLiveReceipt(bytes32 serial) internal view returns (bool) {
        for (uint256 i = 0; i < _live.length; ++i) {
            bytes32[] storage items = _items[_live[i]];
            for (uint256 j = 0; j < items.length; ++j) {
                if (items[j] == serial) return true;
            }
        }
        return false;
    }

    function _afterMint(uint256 id, bytes32 lotId, IWarehouseReceipts.Lot memory before, uint64 quantity) internal {
        if (before.liveReceipts != 0 || before.receipted != 0) _flag("second receipt family on a live lot");
        if (quantity > before.attested) _flag("mint above attested");
        if (quantity > onHand[lotId]) _flag("receipt for goods no longer on hand");
        if (before.frozen) _flag("mint on a frozen lot");
        _add(id, lotId, id);
        minted[lotId] += quantity;
        totalMinted += quantity;
    }

    /// @param mode 0-6: the issuing warehouse confirms; 7: the other warehouse tries.
    function confirmDelivery(uint256 idSeed, uint8 mode) external {
        uint256 id = _pickAwaitingDelivery(idSeed);
        if (id == 0) return;
        bool wrongWarehouse = mode % 8 == 7;
        IWarehouseReceipts.Receipt memory r = wr.receipt(id);
        uint64 requested = wr.deliveryRequest(id);
        bytes32[] memory items = _items[id];
        address caller = wrongWarehouse ? _otherWarehouse(r.warehouse) : r.warehouse;
        vm.prank(caller);
        try wr.confirmDelivery(id, items) {
            calls["confirmDelivery"]++;
            if (caller != r.warehouse) _flag("delivery confirmed by another warehouse");
            if (r.frozen) _flag("delivery of a frozen receipt or lot");
            delivered[r.lotId] += requested;
            totalDelivered += requested;
            onHand[r.lotId] = onHand[r.lotId] > requested ? onHand[r.lotId] - requested : 0;
            if (requested == r.quantity) _remove(id);
        } catch {}
    }

    // ------------------------------------------------------------ holder

    /// @param mode bit 0: safeTransferFrom; bit 1: go for a pledged, frozen or delivery-pending receipt.
    function transfer(uint256 idSeed, uint256 toSeed, uint8 mode) external {
        uint256 id = mode & 2 != 0 ? _pickLocked(idSeed) : _pick(idSeed);
        if (id == 0) return;
        bool safe = mode & 1 != 0;
        address from = wr.ownerOf(id);
        address to = _holder(toSeed);
        IWarehouseReceipts.Receipt memory r = wr.receipt(id);
        vm.prank(from);
        if (safe) {
            try wr.safeTransferFrom(from, to, id) {
                _afterTransfer(r, to);
            } catch {}
        } else {
            try wr.transferFrom(from, to, id) {
                _afterTransfer(r, to);
            } catch {}
        }
    }

    function _afterTransfer(IWarehouseReceipts.Receipt memory before, address to) internal {
        calls["transfer"]++;
        if (before.pledgeLocked) _flag("a pledged or pledge-pending receipt changed owner");
        if (before.frozen || before.deliveryRequested) _flag("a frozen or delivery-pending receipt moved");
        if (!registry.isActive(to) || !registry.isActive(before.owner)) _flag("transfer outside active members");
    }

    function split(uint256 idSeed, uint256 partsSeed, uint256 seed) external {
        if (_live.length >= _MAX_LIVE) return;
        uint256 id = _pick(idSeed);
        if (id == 0) return;
        IWarehouseReceipts.Receipt memory r = wr.receipt(id);
        uint256 n = bound(partsSeed, 2, 4);
        if (r.serialized) {
            _splitItems(id, r, n, seed);
            return;
        }
        if (r.quantity < n) return;
        uint64[] memory parts = _parts(r.quantity, n, seed);
        vm.prank(r.owner);
        try wr.split(id, parts) returns (uint256 firstNewId) {
            calls["split"]++;
            _afterSplit(id, r, parts, firstNewId);
        } catch {}
    }

    function _splitItems(uint256 id, IWarehouseReceipts.Receipt memory r, uint256 n, uint256 seed) internal {
        bytes32[] memory items = _items[id];
        if (items.length < 2 || r.quantity < 2) return;
        if (n > items.length) n = items.length;
        if (n > r.quantity) n = r.quantity;
        uint8[] memory assignment = new uint8[](items.length);
        for (uint256 i = 0; i < items.length; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) -- n <= 4
            assignment[i] = uint8(i < n ? i : uint256(keccak256(abi.encode(seed, i))) % n);
        }
        uint64[] memory parts = _parts(r.quantity, n, seed);
        vm.prank(r.owner);
        try wr.splitItems(id, parts, items, assignment) returns (uint256 firstNewId) {
            calls["splitItems"]++;
            _afterSplit(id, r, parts, firstNewId);
            for (uint256 k = 0; k < n; ++k) {
                uint256 partId = k == 0 ? id : firstNewId + k - 1;
                delete _items[partId];
                for (uint256 i = 0; i < items.length; ++i) {
                    if (assignment[i] == k) _items[partId].push(items[i]);
                }
            }
        } catch {}
    }

    function _afterSplit(uint256 id, IWarehouseReceipts.Receipt memory before, uint64[] memory parts, uint256 firstNewId)
        internal
    {
        if (before.pledgeLocked || before.frozen || before.deliveryRequested) _flag("a locked receipt was split");
        uint256 sum = wr.receipt(id).quantity;
        for (uint256 k = 1; k < parts.length; ++k) {
            uint256 partId = firstNewId + k - 1;
            _add(partId, before.lotId, familyOf[id]);
            IWarehouseReceipts.Receipt memory p = wr.receipt(partId);
            if (p.owner != before.owner) _flag("a split part went to someone else");
            sum += p.quantity;
        }
        if (sum != before.quantity) _flag("split did not conserve quantity");
    }

    function merge(uint256 idSeed, uint256 otherSeed) external {
        uint256 kept = _pick(idSeed);
        if (kept == 0) return;
        IWarehouseReceipts.Receipt memory a = wr.receipt(kept);
        // look for a partner of the same lot and owner, starting anywhere
        uint256 merged = 0;
        uint256 n = _live.length;
        for (uint256 j = 0; j < n; ++j) {
            uint256 candidate = _live[(otherSeed % n + j) % n];
            if (candidate != kept && lotOf[candidate] == a.lotId && wr.ownerOf(candidate) == a.owner) {
                merged = candidate;
                break;
            }
        }
        if (merged == 0) merged = _pick(otherSeed); // most likely refused: different lot or owner
        IWarehouseReceipts.Receipt memory b = wr.receipt(merged);
        bytes32[] memory keptItems = _items[kept];
        bytes32[] memory mergedItems = _items[merged];
        vm.prank(a.owner);
        try wr.merge(kept, merged, keptItems, mergedItems) {
            calls["merge"]++;
            if (a.lotId != b.lotId || a.owner != b.owner) _flag("merge across lots or owners");
            if (wr.receipt(kept).quantity != uint256(a.quantity) + b.quantity) _flag("merge did not conserve");
            _remove(merged);
            if (keptItems.length != 0) _items[kept] = _sortedUnion(keptItems, mergedItems);
        } catch {}
    }

    function requestDelivery(uint256 idSeed, uint64 qtySeed, bool whole) external {
        uint256 id = _pick(idSeed);
        if (id == 0) return;
        IWarehouseReceipts.Receipt memory r = wr.receipt(id);
        uint64 quantity = whole ? r.quantity : uint64(bound(qtySeed, 1, r.quantity));
        vm.prank(r.owner);
        try wr.requestDelivery(id, quantity) {
            calls["requestDelivery"]++;
        } catch {}
    }

    function cancelDeliveryRequest(uint256 idSeed) external {
        uint256 id = _pickAwaitingDelivery(idSeed);
        if (id == 0) return;
        address owner = wr.ownerOf(id);
        vm.prank(owner);
        try wr.cancelDeliveryRequest(id) {
            calls["cancelDeliveryRequest"]++;
        } catch {}
    }

    function requestPledge(uint256 idSeed, uint256 lenderSeed, uint32 maturitySeed) external {
        uint256 id = _pick(idSeed);
        if (id == 0) return;
        IWarehouseReceipts.Receipt memory r = wr.receipt(id);
        IWarehouseReceipts.Lien memory before = wr.lien(id);
        address lender_ = _lenders[lenderSeed % 2];
        uint64 maturity = uint64(vm.getBlockTimestamp() + bound(maturitySeed, 1 hours, 30 days));
        vm.prank(r.owner);
        try wr.requestPledge(id, lender_, 1_000_000, "CNY", keccak256("loan"), maturity) {
            calls["requestPledge"]++;
            if (before.state != IWarehouseReceipts.LienState.None) _flag("second pledge request on a locked receipt");
            ownerAtLock[id] = r.owner;
        } catch {}
    }

    function cancelPledgeRequest(uint256 idSeed) external {
        uint256 id = _pickLien(idSeed, IWarehouseReceipts.LienState.Requested);
        if (id == 0) return;
        address owner = wr.ownerOf(id);
        vm.prank(owner);
        try wr.cancelPledgeRequest(id) {
            calls["cancelPledgeRequest"]++;
        } catch {}
    }

    // ------------------------------------------------------------ lender

    /// @param mode 0-5: the requested lender with the pending request number; 6: the other bank;
    /// 7: a request number that is not the pending one.
    function acceptPledge(uint256 idSeed, uint8 mode) external {
        uint256 id = _pickLien(idSeed, IWarehouseReceipts.LienState.Requested);
        if (id == 0) return;
        IWarehouseReceipts.Lien memory l = wr.lien(id);
        bool otherLender = mode % 8 == 6;
        bool staleSeq = mode % 8 == 7;
        address caller = otherLender ? (l.lender == _lenders[0] ? _lenders[1] : _lenders[0]) : l.lender;
        uint48 seq = staleSeq ? l.requestSeq + 1 : l.requestSeq;
        vm.prank(caller);
        try wr.acceptPledge(id, seq) {
            calls["acceptPledge"]++;
            if (l.state != IWarehouseReceipts.LienState.Requested) _flag("a pledge was accepted twice");
            if (caller != l.lender || seq != l.requestSeq) _flag("a pledge was accepted by the wrong lender");
        } catch {}
    }

    function releasePledge(uint256 idSeed, uint256 callerSeed) external {
        uint256 id = _pickLien(idSeed, IWarehouseReceipts.LienState.Active);
        if (id == 0) return;
        IWarehouseReceipts.Lien memory l = wr.lien(id);
        // the lienholder, the owner, the other bank or the admin
        address caller;
        uint256 pick = callerSeed % 4;
        if (pick == 0) caller = l.lender;
        else if (pick == 1) caller = wr.ownerOf(id);
        else if (pick == 2) caller = l.lender == _lenders[0] ? _lenders[1] : _lenders[0];
        else caller = _admin;
        vm.prank(caller);
        try wr.releasePledge(id) {
            calls["releasePledge"]++;
            if (caller != l.lender || l.state != IWarehouseReceipts.LienState.Active) {
                _flag("a lien was released by someone other than the lienholder");
            }
        } catch {}
    }

    /// @param waitForIt When the loan has not matured, first let time run to the foreclosure date
    /// (an active lien seldom survives long enough in a random walk otherwise).
    function foreclose(uint256 idSeed, uint256 toSeed, bool toSelf, bool waitForIt) external {
        uint256 id = _pickLien(idSeed, IWarehouseReceipts.LienState.Active);
        if (id == 0) return;
        IWarehouseReceipts.Lien memory l = wr.lien(id);
        IWarehouseReceipts.Receipt memory r = wr.receipt(id);
        address to = toSelf ? l.lender : _holder(toSeed);
        (, uint64 grace,,) = wr.parameters();
        uint256 foreclosableAt = uint256(l.loanMaturity) + grace;
        if (waitForIt && l.state == IWarehouseReceipts.LienState.Active && vm.getBlockTimestamp() < foreclosableAt) {
            vm.warp(foreclosableAt);
        }
        bool matured = vm.getBlockTimestamp() >= foreclosableAt;
        vm.prank(l.lender);
        try wr.foreclose(id, to) {
            calls["foreclose"]++;
            if (l.state != IWarehouseReceipts.LienState.Active) _flag("foreclosure without an active lien");
            if (!matured) _flag("foreclosure before maturity plus grace");
            if (r.frozen) _flag("foreclosure of a frozen receipt or lot");
            if (wr.ownerOf(id) != to) _flag("foreclosure did not deliver the receipt");
            ownerAtLock[id] = address(0);
        } catch {}
    }

    // ------------------------------------------------------------ regulator, registrar, time

    /// @param mode 0: a court freezes the receipt; 1-3: a freeze is lifted.
    function freezeReceipt(uint256 idSeed, uint8 mode) external {
        uint256 id = _pick(idSeed);
        if (id == 0) return;
        vm.prank(_regulator);
        if (mode % 4 != 0) {
            try wr.unfreezeReceipt(id, "lifted") {
                calls["unfreezeReceipt"]++;
            } catch {}
        } else {
            try wr.freezeReceipt(id, "court order") {
                calls["freezeReceipt"]++;
            } catch {}
        }
    }

    function unfreezeLot(uint256 lotSeed) external {
        bytes32 lotId = lotAt(lotSeed % LOTS);
        vm.prank(_regulator);
        try wr.unfreezeLot(lotId) {
            calls["unfreezeLot"]++;
            regulatorOverride[lotId] = true;
        } catch {}
    }

    /// Suspends (one time in four), lets the KYC lapse within the hour (one time in eight), or
    /// reinstates and renews a holder or the second warehouse (the first warehouse, the inspector,
    /// the banks and the regulator stay in good standing). The receipts contract hears of each
    /// change only through the registry's push, and of a lapse not at all (it compares the date).
    function toggleMembership(uint256 seed, uint8 mode) external {
        address[4] memory pool = [_holders[0], _holders[1], _holders[2], _warehouses[1]];
        address account = pool[seed % 4];
        vm.startPrank(_admin);
        if (mode % 8 < 2) {
            try registry.suspend(account, "handler") {} catch {}
        } else if (mode % 8 == 2) {
            try registry.renewKyc(account, uint64(vm.getBlockTimestamp() + 1 hours)) {} catch {}
        } else {
            try registry.reinstate(account) {} catch {}
            try registry.renewKyc(account, uint64(vm.getBlockTimestamp() + 20 * 365 days)) {} catch {}
        }
        vm.stopPrank();
    }

    /// Everyone the handler acts as or churns: holders (one of them an outsider), warehouses,
    /// banks, the inspector and the regulator.
    function touchedAccounts() external view returns (address[] memory accounts) {
        accounts = new address[](12);
        for (uint256 i = 0; i < 6; ++i) {
            accounts[i] = _holders[i];
        }
        (accounts[6], accounts[7]) = (_warehouses[0], _warehouses[1]);
        (accounts[8], accounts[9]) = (_lenders[0], _lenders[1]);
        (accounts[10], accounts[11]) = (_inspector, _regulator);
    }

    function passTime(uint32 secondsForward) external {
        vm.warp(vm.getBlockTimestamp() + bound(secondsForward, 1 hours, 20 days));
    }

    // ------------------------------------------------------------ internals

    function _flag(string memory what) internal {
        violations.push(what);
    }

    function _holder(uint256 seed) internal view returns (address) {
        return _holders[seed % _holders.length];
    }

    function _otherWarehouse(address wh) internal view returns (address) {
        return wh == _warehouses[0] ? _warehouses[1] : _warehouses[0];
    }

    function _pick(uint256 seed) internal view returns (uint256) {
        if (_live.length == 0) return 0;
        return _live[seed % _live.length];
    }

    /// @dev A live receipt whose lien is in `state`, searching from the seed; any live one if none is.
    /// (Keeps the lender actions on receipts where they can matter, without hiding the others.)
    function _pickLien(uint256 seed, IWarehouseReceipts.LienState state) internal view returns (uint256) {
        uint256 n = _live.length;
        if (n == 0) return 0;
        if (seed % 8 == 0) return _live[seed % n];
        for (uint256 j = 0; j < n; ++j) {
            uint256 id = _live[(seed % n + j) % n];
            if (wr.lien(id).state == state) return id;
        }
        return _live[seed % n];
    }

    function _pickLocked(uint256 seed) internal view returns (uint256) {
        uint256 n = _live.length;
        if (n == 0) return 0;
        for (uint256 j = 0; j < n; ++j) {
            uint256 id = _live[(seed % n + j) % n];
            IWarehouseReceipts.Receipt memory r = wr.receipt(id);
            if (r.pledgeLocked || r.frozen || r.deliveryRequested) return id;
        }
        return _live[seed % n];
    }

    function _pickAwaitingDelivery(uint256 seed) internal view returns (uint256) {
        uint256 n = _live.length;
        if (n == 0) return 0;
        if (seed % 8 == 0) return _live[seed % n];
        for (uint256 j = 0; j < n; ++j) {
            uint256 id = _live[(seed % n + j) % n];
            if (wr.deliveryRequest(id) != 0) return id;
        }
        return _live[seed % n];
    }

    function _add(uint256 id, bytes32 lotId, uint256 family) internal {
        _live.push(id);
        _livePos[id] = _live.length;
        lotOf[id] = lotId;
        familyOf[id] = family;
    }

    function _remove(uint256 id) internal {
        uint256 pos = _livePos[id];
        uint256 last = _live[_live.length - 1];
        _live[pos - 1] = last;
        _livePos[last] = pos;
        _live.pop();
        delete _livePos[id];
        delete _items[id];
        delete ownerAtLock[id];
    }

    /// @dev The lot's live receipts, ascending, as the shortfall list must be.
    function _liveIdsOf(bytes32 lotId) internal view returns (uint256[] memory ids) {
        uint256 n = 0;
        for (uint256 i = 0; i < _live.length; ++i) {
            if (lotOf[_live[i]] == lotId) ++n;
        }
        ids = new uint256[](n);
        uint256 j = 0;
        for (uint256 i = 0; i < _live.length; ++i) {
            uint256 id = _live[i];
            if (lotOf[id] != lotId) continue;
            uint256 k = j++;
            while (k > 0 && ids[k - 1] > id) {
                ids[k] = ids[k - 1];
                --k;
            }
            ids[k] = id;
        }
    }

    function _activeLiens(uint256[] memory ids)
        internal
        view
        returns (address[] memory lenders, uint256[] memory pledged)
    {
        lenders = new address[](ids.length);
        pledged = new uint256[](ids.length);
        uint256 n = 0;
        for (uint256 i = 0; i < ids.length; ++i) {
            IWarehouseReceipts.Lien memory l = wr.lien(ids[i]);
            if (l.state == IWarehouseReceipts.LienState.Active) {
                (lenders[n], pledged[n]) = (l.lender, ids[i]);
                ++n;
            }
        }
        assembly ("memory-safe") {
            mstore(lenders, n)
            mstore(pledged, n)
        }
    }

    function _checkShortfallAlert(address[] memory lenders, uint256[] memory pledged) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 topic = IWarehouseReceipts.StockShortfall.selector;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics.length == 0 || logs[i].topics[0] != topic) continue;
            (,,, address[] memory named, uint256[] memory ids) =
                abi.decode(logs[i].data, (uint64, uint64, uint64, address[], uint256[]));
            if (keccak256(abi.encode(named, ids)) != keccak256(abi.encode(lenders, pledged))) {
                _flag("shortfall alert did not name exactly the exposed lenders");
            }
            return;
        }
        _flag("shortfall without an alert");
    }

    function _parts(uint64 quantity, uint256 n, uint256 seed) internal pure returns (uint64[] memory parts) {
        parts = new uint64[](n);
        uint256 remaining = quantity;
        for (uint256 k = 0; k < n - 1; ++k) {
            // forge-lint: disable-next-line(unsafe-typecast) -- at most the 48-bit quantity
            parts[k] = uint64(bound(uint256(keccak256(abi.encode(seed, k))), 1, remaining - (n - 1 - k)));
            remaining -= parts[k];
        }
        // forge-lint: disable-next-line(unsafe-typecast) -- at most the 48-bit quantity
        parts[n - 1] = uint64(remaining);
    }

    function _fromMask(uint16 mask) internal pure returns (bytes32[] memory items) {
        uint256 n = 0;
        for (uint256 b = 0; b < SERIALS; ++b) {
            if ((uint256(mask) >> b) & 1 != 0) ++n;
        }
        items = new bytes32[](n);
        uint256 j = 0;
        for (uint256 b = 0; b < SERIALS; ++b) {
            if ((uint256(mask) >> b) & 1 != 0) items[j++] = serialAt(b);
        }
    }

    function _sortedUnion(bytes32[] memory a, bytes32[] memory b) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](a.length + b.length);
        uint256 i = 0;
        uint256 j = 0;
        for (uint256 k = 0; k < out.length; ++k) {
            if (j == b.length || (i < a.length && a[i] < b[j])) out[k] = a[i++];
            else out[k] = b[j++];
        }
    }
}
