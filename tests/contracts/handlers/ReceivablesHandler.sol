// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Receivables} from "../../../contracts/Receivables.sol";
import {IReceivables} from "../../../contracts/interfaces/IReceivables.sol";
import {Test} from "../utils/Test.sol";

/// @notice Drives a Receivables contract through random issues, splits, transfers, merges,
/// discounts, pledges, settlements, funding, redemptions, overdue flags, credit-line changes,
/// pauses and the passage of time, acting as the right party most of the time (so that calls
/// mostly succeed) and recording every root and piece it created plus ghost counts of document
/// use and liens, which the invariants compare with the contract.
contract ReceivablesHandler is Test {
    Receivables public immutable receivables;
    address public immutable admin;

    uint256 public constant MAX_ROOTS = 24;
    uint256 public constant DOCUMENTS = 12;
    uint128 public constant MAX_FACE = 2_000_000_000;
    /// The grace period the invariant suite deploys Receivables with.
    uint256 public constant GRACE = 7 days;
    uint64 public immutable lineExpiry;

    address[2] internal _lenders;
    address[2] internal _cores;
    address[4] internal _suppliers;

    uint256[] internal _rootIds;
    mapping(uint256 rootId => uint256[]) internal _pieces;
    /// Pieces that were offered for discount / had a pledge requested (possibly since resolved):
    /// the accepting and cancelling actions prefer these, as a random piece rarely has one open.
    uint256[] internal _offered;
    uint256[] internal _requested;

    /// Successful issues per trade document, and the root that document backs.
    /// Keyed per issuing core (each its own legal entity): a document is financed once per obligor.
    mapping(address core => mapping(bytes32 document => uint256)) public ghostIssues;
    mapping(address core => mapping(bytes32 document => uint256)) public ghostRootOf;
    /// Accepted, not yet released or discharged liens per piece.
    mapping(uint256 voucherId => uint256) public ghostLiens;
    /// Set if a lien was ever accepted on a piece that already had one.
    bool public ghostDoubleLien;
    /// Set if any state change succeeded while the contract was paused.
    bool public ghostChangedWhilePaused;
    /// Successful calls per Receivables function (keyed by its selector), to see what a run covered.
    mapping(bytes4 selector => uint256) public succeeded;

    constructor(
        Receivables receivables_,
        address admin_,
        address[2] memory lenders,
        address[2] memory cores,
        address[4] memory suppliers,
        uint64 lineExpiry_
    ) {
        receivables = receivables_;
        admin = admin_;
        _lenders = lenders;
        _cores = cores;
        _suppliers = suppliers;
        lineExpiry = lineExpiry_;
        // Every run starts from four roots, one per credit line, maturing in 30, 60, 90 and 120
        // days with max depth 5, so splits, discounts and pledges have work from the first call.
        for (uint256 i = 0; i < 4; i++) {
            // Fields as in issue(): core, lender, holder, document, max depth, maturity, min denomination 1.
            _issue(
                (i % 2) | ((i / 2) << 8) | (i << 16) | (i << 24) | (uint256(5) << 32) | ((i + 1) * 30 days << 40),
                1e9
            );
        }
    }

    // ------------------------------------------------------------ reads for the invariants

    function lenderAt(uint256 i) external view returns (address) {
        return _lenders[i];
    }

    function coreAt(uint256 i) external view returns (address) {
        return _cores[i];
    }

    function rootCount() external view returns (uint256) {
        return _rootIds.length;
    }

    function rootAt(uint256 i) external view returns (uint256) {
        return _rootIds[i];
    }

    function pieceCount(uint256 rootId) external view returns (uint256) {
        return _pieces[rootId].length;
    }

    function pieceAt(uint256 rootId, uint256 i) external view returns (uint256) {
        return _pieces[rootId][i];
    }

    function documentAt(uint256 i) public pure returns (bytes32) {
        return keccak256(abi.encode("trade document", i));
    }

    // ------------------------------------------------------------ actions

    function issue(uint256 seed, uint128 face) external {
        if (_rootIds.length >= MAX_ROOTS) return;
        _issue(_mix(seed), uint128(bound(face, 1, MAX_FACE)));
    }

    /// Issues from bit fields of `seed`: bit 0 core, 8 lender, 16-17 holder, 24+ document,
    /// 32+ max depth (mod 7), 40+ maturity offset, 80+ minimum denomination.
    function _issue(uint256 seed, uint128 face) internal {
        IReceivables.IssueParams memory p = IReceivables.IssueParams({
            holder: _suppliers[(seed >> 16) % 4],
            lender: _lenders[(seed >> 8) % 2],
            faceValue: face,
            currency: "CNY",
            // forge-lint: disable-next-line(unsafe-typecast) -- timestamp + at most a year
            maturity: uint64(block.timestamp + bound(seed >> 40, 1 days, 365 days)),
            // Twelve documents for up to 24 roots: reuse is attempted often and must fail.
            document: documentAt((seed >> 24) % DOCUMENTS),
            minDenomination: uint128(bound(seed >> 80, 1, 1 + face / 64)),
            // forge-lint: disable-next-line(unsafe-typecast) -- below 7
            maxDepth: uint8((seed >> 32) % 7)
        });
        if (p.minDenomination > face) p.minDenomination = face;
        vm.prank(_cores[seed % 2]);
        try receivables.issue(p) returns (uint256 rootId) {
            succeeded[receivables.issue.selector]++;
            _rootIds.push(rootId);
            _pieces[rootId].push(rootId);
            ghostIssues[_cores[seed % 2]][p.document]++;
            ghostRootOf[_cores[seed % 2]][p.document] = rootId;
        } catch {}
    }

    function split(uint256 seed, uint256 toSeed, uint128 amount) external {
        (uint256 id, bool found) = _pickPiece(seed);
        if (!found) return;
        IReceivables.Voucher memory v = receivables.voucher(id);
        amount = _amountIn(amount, v.value);
        vm.prank(v.holder);
        try receivables.split(id, _actor(toSeed), amount) returns (uint256 childId) {
            succeeded[receivables.split.selector]++;
            _pieces[v.rootId].push(childId);
        } catch {}
    }

    function transfer(uint256 seed, uint256 toSeed) external {
        (uint256 id, bool found) = _pickPiece(seed);
        if (!found) return;
        vm.prank(receivables.voucher(id).holder);
        try receivables.transfer(id, _actor(toSeed)) {
            succeeded[receivables.transfer.selector]++;
        } catch {}
    }

    function merge(uint256 seed, uint256 otherSeed) external {
        (uint256 id, bool found) = _pickPiece(seed);
        if (!found) return;
        IReceivables.Voucher memory v = receivables.voucher(id);
        uint256[] storage pieces = _pieces[v.rootId];
        // Seven times in eight another Active piece of the same root with the same holder when there
        // is one (a merge needs both pieces in the caller's hands; a random other piece of the root
        // seldom is, and merges then hardly ever succeeded); one time in eight any piece of the
        // root, so merging a piece with itself or with someone else's is tried too.
        uint256 pick = _mix(otherSeed);
        uint256 other = pieces[pick % pieces.length];
        if (pick % 8 != 0) {
            bool paired = false;
            for (uint256 k = 0; k < pieces.length && !paired; ++k) {
                uint256 candidate = pieces[(pick + k) % pieces.length];
                IReceivables.Voucher memory c = receivables.voucher(candidate);
                paired = candidate != id && c.holder == v.holder && c.status == IReceivables.VoucherStatus.Active;
                if (paired) other = candidate;
            }
            // None: the holder splits a part off to itself first (as a supplier consolidating would
            // have), so that there is a pair to merge; the split may be refused like any other.
            if (!paired && v.value > 1) {
                vm.prank(v.holder);
                try receivables.split(id, v.holder, v.value / 2) returns (uint256 childId) {
                    succeeded[receivables.split.selector]++;
                    pieces.push(childId);
                    other = childId;
                } catch {}
            }
        }
        vm.prank(v.holder);
        try receivables.merge(id, other) {
            succeeded[receivables.merge.selector]++;
        } catch {}
    }

    function offerDiscount(uint256 seed, uint256 lenderSeed, uint128 price) external {
        (uint256 id, bool found) = _pickPiece(seed);
        if (!found) return;
        IReceivables.Voucher memory v = receivables.voucher(id);
        price = _amountIn(price, v.value);
        vm.prank(v.holder);
        try receivables.offerDiscount(id, _lenders[_mix(lenderSeed) % 2], price) {
            succeeded[receivables.offerDiscount.selector]++;
            _offered.push(id);
        } catch {}
    }

    function cancelDiscountOffer(uint256 seed) external {
        (uint256 id, bool found) = _pickFrom(_offered, seed);
        if (!found) return;
        vm.prank(receivables.voucher(id).holder);
        try receivables.cancelDiscountOffer(id) {
            succeeded[receivables.cancelDiscountOffer.selector]++;
        } catch {}
    }

    function acceptDiscount(uint256 seed, bytes32 paymentRef) external {
        (uint256 id, bool found) = _pickFrom(_offered, seed);
        if (!found) return;
        IReceivables.DiscountOffer memory offer = receivables.discountOffer(id);
        vm.prank(offer.lender == address(0) ? _lenders[_mix(seed) % 2] : offer.lender);
        try receivables.acceptDiscount(id, offer.price, paymentRef) {
            succeeded[receivables.acceptDiscount.selector]++;
        } catch {}
    }

    function requestPledge(uint256 seed, uint256 lenderSeed, uint128 secured) external {
        (uint256 id, bool found) = _pickPiece(seed);
        if (!found) return;
        IReceivables.Voucher memory v = receivables.voucher(id);
        secured = _amountIn(secured, v.value);
        vm.prank(v.holder);
        try receivables.requestPledge(
            // forge-lint: disable-next-line(unsafe-typecast) -- timestamp + 30 days fits 64 bits
            id, _lenders[_mix(lenderSeed) % 2], secured, keccak256(abi.encode(id)), uint64(block.timestamp + 30 days)
        ) {
            succeeded[receivables.requestPledge.selector]++;
            _requested.push(id);
        } catch {}
    }

    function cancelPledgeRequest(uint256 seed) external {
        (uint256 id, bool found) = _pickFrom(_requested, seed);
        if (!found) return;
        vm.prank(receivables.voucher(id).holder);
        try receivables.cancelPledgeRequest(id) {
            succeeded[receivables.cancelPledgeRequest.selector]++;
        } catch {}
    }

    /// Accepts as the requested lender, or (one time in four) as either lender, so that second
    /// acceptances and acceptances of already pledged pieces are attempted too.
    function acceptPledge(uint256 seed, uint256 lenderSeed) external {
        (uint256 id, bool found) = _pickFrom(_requested, seed);
        if (!found) return;
        IReceivables.Lien memory l = receivables.lien(id);
        uint256 pick = _mix(lenderSeed);
        address by = (pick % 4 == 0 || l.lienholder == address(0)) ? _lenders[(pick >> 8) % 2] : l.lienholder;
        vm.prank(by);
        try receivables.acceptPledge(id, l.securedAmount, l.loanRef) {
            succeeded[receivables.acceptPledge.selector]++;
            if (ghostLiens[id] != 0) ghostDoubleLien = true;
            ghostLiens[id] = 1;
        } catch {}
    }

    function releasePledge(uint256 seed) external {
        (uint256 id, bool found) = _pickFrom(_requested, seed);
        if (!found) return;
        vm.prank(receivables.lien(id).lienholder);
        try receivables.releasePledge(id) {
            succeeded[receivables.releasePledge.selector]++;
            ghostLiens[id] = 0;
        } catch {}
    }

    function designatePayer(uint256 seed, uint256 lenderSeed) external {
        (uint256 id, bool found) = _pickPiece(seed);
        if (!found) return;
        uint256 rootId = receivables.voucher(id).rootId;
        vm.prank(receivables.root(rootId).obligor);
        try receivables.designatePayer(rootId, _lenders[_mix(lenderSeed) % 2]) {
            succeeded[receivables.designatePayer.selector]++;
        } catch {}
    }

    function settle(uint256 seed, bool byPayer, bytes32 paymentRef) external {
        (uint256 id, bool found) = _pickPiece(seed);
        if (!found) return;
        IReceivables.Root memory r = receivables.root(receivables.voucher(id).rootId);
        _maybeReachMaturity(seed, r.maturity, 0);
        vm.prank(byPayer && r.payer != address(0) ? r.payer : r.obligor);
        try receivables.settle(id, paymentRef) {
            succeeded[receivables.settle.selector]++;
            ghostLiens[id] = 0;
        } catch {}
    }

    function fundRoot(uint256 seed, bytes32 paymentRef) external {
        (uint256 id, bool found) = _pickPiece(seed);
        if (!found) return;
        uint256 rootId = receivables.voucher(id).rootId;
        _maybeReachMaturity(seed, receivables.root(rootId).maturity, 0);
        vm.prank(receivables.root(rootId).obligor);
        try receivables.fundRoot(rootId, paymentRef) {
            succeeded[receivables.fundRoot.selector]++;
        } catch {}
    }

    function redeem(uint256 seed, uint256 callerSeed) external {
        (uint256 id, bool found) = _pickPiece(seed);
        if (!found) return;
        vm.prank(_actor(callerSeed));
        try receivables.redeem(id) {
            succeeded[receivables.redeem.selector]++;
            ghostLiens[id] = 0;
        } catch {}
    }

    function markOverdue(uint256 seed, uint256 callerSeed) external {
        (uint256 id, bool found) = _pickPiece(seed);
        if (!found) return;
        _maybeReachMaturity(seed, receivables.root(receivables.voucher(id).rootId).maturity, GRACE + 1);
        vm.prank(_actor(callerSeed));
        try receivables.markOverdue(id) {
            succeeded[receivables.markOverdue.selector]++;
        } catch {}
    }

    /// Raises or lowers a limit, including below what is outstanding (refused).
    function setCreditLimit(uint256 seed, uint128 limit) external {
        seed = _mix(seed);
        limit = uint128(bound(limit, 0, 4 * uint256(MAX_FACE)));
        vm.prank(_lenders[seed % 2]);
        try receivables.setCreditLine(_cores[(seed >> 8) % 2], limit, "CNY", lineExpiry) {
            succeeded[receivables.setCreditLine.selector]++;
        } catch {}
    }

    function closeCreditLine(uint256 seed) external {
        seed = _mix(seed);
        vm.prank(_lenders[seed % 2]);
        try receivables.closeCreditLine(_cores[(seed >> 8) % 2]) {
            succeeded[receivables.closeCreditLine.selector]++;
        } catch {}
    }

    /// Pauses, checks that a state change is refused while paused, and unpauses again, all in one
    /// step, so that runs are not left paused for long stretches.
    function pauseAndProbe(uint256 seed, address to) external {
        vm.prank(admin);
        receivables.pause();
        (uint256 id, bool found) = _pickPiece(seed);
        if (found) {
            vm.prank(receivables.voucher(id).holder);
            try receivables.transfer(id, to) {
                ghostChangedWhilePaused = true;
            } catch {}
        }
        vm.prank(admin);
        receivables.unpause();
    }

    function passTime(uint32 secondsForward) external {
        vm.warp(block.timestamp + bound(secondsForward, 1, 15 days));
    }

    // ------------------------------------------------------------ helpers

    /// One settlement-side call in four first lets time run to `maturity + extra` of its root (if
    /// not there yet), so payment paths are exercised in most runs, while roots maturing later
    /// keep moving.
    function _maybeReachMaturity(uint256 seed, uint256 maturity, uint256 extra) internal {
        if (_mix(seed ^ 0x7a) % 4 == 0 && block.timestamp < maturity + extra) vm.warp(maturity + extra);
    }

    /// The fuzzer often passes small values it collected (ids, amounts, zero) as seeds; hashing
    /// spreads them over every field derived from a seed.
    function _mix(uint256 seed) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed)));
    }

    function _amountIn(uint128 raw, uint128 value) internal pure returns (uint128) {
        if (raw % 8 == 0 || value < 2) return uint128(bound(raw, 0, value));
        return uint128(bound(_mix(raw), 1, value - 1));
    }

    /// Three times in four a piece from `list` (if any), otherwise any piece.
    function _pickFrom(uint256[] storage list, uint256 seed) internal view returns (uint256 id, bool found) {
        uint256 h = _mix(seed ^ 0x11);
        if (list.length == 0 || h % 4 == 0) return _pickPiece(seed);
        return (list[(h >> 8) % list.length], true);
    }

    function _pickPiece(uint256 seed) internal view returns (uint256 id, bool found) {
        if (_rootIds.length == 0) return (0, false);
        seed = _mix(seed);
        uint256[] storage pieces = _pieces[_rootIds[seed % _rootIds.length]];
        return (pieces[(seed >> 128) % pieces.length], true);
    }

    function _actor(uint256 seed) internal view returns (address) {
        uint256 i = _mix(seed) % 8;
        if (i < 4) return _suppliers[i];
        if (i < 6) return _lenders[i - 4];
        return _cores[i - 6];
    }
}
