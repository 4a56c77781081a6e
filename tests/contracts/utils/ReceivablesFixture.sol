// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ParticipantRegistry} from "../../../contracts/ParticipantRegistry.sol";
import {Receivables} from "../../../contracts/Receivables.sol";
import {IParticipantRegistry} from "../../../contracts/interfaces/IParticipantRegistry.sol";
import {IReceivables} from "../../../contracts/interfaces/IReceivables.sol";
import {Test} from "./Test.sol";

/// @notice Cheatcodes this suite needs beyond utils/Vm.sol, served by forge at the same address.
interface VmStorage {
    struct Gas {
        uint64 gasLimit;
        uint64 gasTotalUsed;
        uint64 gasMemoryUsed;
        int64 gasRefunded;
        uint64 gasRemaining;
    }

    function load(address target, bytes32 slot) external view returns (bytes32);
    function store(address target, bytes32 slot, bytes32 value) external;
    function cool(address target) external;
    function lastCallGas() external view returns (Gas memory);
}

/// @notice Shared fixture: a registry with members of every relevant role, a receivables contract,
/// and a CNY credit line from `lender` to `core`.
abstract contract ReceivablesFixture is Test {
    uint256 internal constant ACTIVE = uint256(IReceivables.VoucherStatus.Active);
    uint256 internal constant OFFERED = uint256(IReceivables.VoucherStatus.OfferedForDiscount);
    uint256 internal constant REQUESTED = uint256(IReceivables.VoucherStatus.PledgeRequested);
    uint256 internal constant PLEDGED = uint256(IReceivables.VoucherStatus.Pledged);
    uint256 internal constant SETTLED = uint256(IReceivables.VoucherStatus.Settled);
    uint256 internal constant MERGED = uint256(IReceivables.VoucherStatus.Merged);

    VmStorage internal constant vms = VmStorage(address(uint160(uint256(keccak256("hevm cheat code")))));

    ParticipantRegistry internal registry;
    Receivables internal receivables;

    address internal admin = address(0xA11CE);
    address internal lender = address(0x1002);
    address internal lender2 = address(0x1012);
    address internal core = address(0x1003);
    address internal core2 = address(0x1013);
    address internal supplier = address(0x1004);
    address internal supplier2 = address(0x1014);
    address internal supplier3 = address(0x1024);
    address internal inspector = address(0x1005);
    address internal outsider = address(0xBAD);

    bytes3 internal constant CNY = "CNY";
    bytes3 internal constant USD = "USD";
    uint32 internal constant GRACE = 30 days;
    uint128 internal constant FACE = 100_000_000; // 1,000,000.00 CNY in fen
    uint128 internal constant LIMIT = 10 * FACE;
    uint256 internal constant PIECES = 1_000_000;

    uint64 internal validUntil;
    uint64 internal lineExpiry;
    uint64 internal maturity;
    uint256 private _documentNonce;

    function setUp() public virtual {
        vm.warp(1_790_000_000); // 2026-09
        validUntil = uint64(block.timestamp + 3 * 365 days);
        lineExpiry = uint64(block.timestamp + 365 days);
        maturity = uint64(block.timestamp + 90 days);
        registry = new ParticipantRegistry(admin, 2 days);
        receivables = new Receivables(registry, GRACE);
        vm.startPrank(admin);
        // Subscribed before anyone is admitted, as `ledgerhouse deploy` does: every member is mirrored.
        // Each unit suite's <Suite>RegistryFallbackTest runs it again with the contract off the feed.
        registry.addSubscriber(address(receivables));
        _admit(lender, IParticipantRegistry.Role.Lender, "Bank One");
        _admit(lender2, IParticipantRegistry.Role.Lender, "Bank Two");
        _admit(core, IParticipantRegistry.Role.CoreEnterprise, "Core One");
        _admit(core2, IParticipantRegistry.Role.CoreEnterprise, "Core Two");
        _admit(supplier, IParticipantRegistry.Role.Supplier, "Tier1 Co");
        _admit(supplier2, IParticipantRegistry.Role.Supplier, "Tier2 Co");
        _admit(supplier3, IParticipantRegistry.Role.Supplier, "Tier3 Co");
        _admit(inspector, IParticipantRegistry.Role.Inspector, "Inspector");
        vm.stopPrank();

        vm.prank(lender);
        receivables.setCreditLine(core, LIMIT, CNY, lineExpiry);
    }

    function _admit(address account, IParticipantRegistry.Role role, string memory name) internal {
        registry.admit(account, uint8(role), keccak256(bytes(name)), name, validUntil);
    }

    function _newDocument() internal returns (bytes32) {
        return keccak256(abi.encode("invoice", ++_documentNonce));
    }

    function _params(uint128 face, uint128 minDenomination, uint8 maxDepth)
        internal
        returns (IReceivables.IssueParams memory)
    {
        return IReceivables.IssueParams({
            holder: supplier,
            lender: lender,
            faceValue: face,
            currency: CNY,
            maturity: maturity,
            document: _newDocument(),
            minDenomination: minDenomination,
            maxDepth: maxDepth
        });
    }

    function _issue(uint128 face) internal returns (uint256) {
        return _issue(face, 1, 5);
    }

    function _issue(uint128 face, uint128 minDenomination, uint8 maxDepth) internal returns (uint256) {
        IReceivables.IssueParams memory p = _params(face, minDenomination, maxDepth);
        vm.prank(core);
        return receivables.issue(p);
    }

    function _split(address holder, uint256 voucherId, address to, uint128 amount) internal returns (uint256) {
        vm.prank(holder);
        return receivables.split(voucherId, to, amount);
    }

    function _pledge(uint256 voucherId, address holder, address by, uint128 secured) internal {
        vm.prank(holder);
        receivables.requestPledge(voucherId, by, secured, keccak256("loan"), maturity + 30 days);
        vm.prank(by);
        receivables.acceptPledge(voucherId, secured, keccak256("loan"));
    }

    function _offer(uint256 voucherId, address holder, address to, uint128 price) internal {
        vm.prank(holder);
        receivables.offerDiscount(voucherId, to, price);
    }

    function _suspend(address account) internal {
        vm.prank(admin);
        registry.suspend(account, "test");
    }

    function _err(bytes4 selector, uint256 id) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id);
    }

    function _value(uint256 voucherId) internal view returns (uint256) {
        return receivables.voucher(voucherId).value;
    }

    function _status(uint256 voucherId) internal view returns (uint256) {
        return uint256(receivables.voucher(voucherId).status);
    }

    function _lineOutstanding() internal view returns (uint256) {
        return receivables.creditLine(lender, core).outstanding;
    }

    /// @dev Takes the receivables contract off the registry's standing feed: every member check is
    /// then the registry's own (the <Suite>RegistryFallbackTest contracts).
    function _leaveStandingFeed() internal {
        vm.prank(admin);
        registry.removeSubscriber(address(receivables));
        (bool subscribed,) = receivables.standingFeed();
        vm.assertFalse(subscribed);
    }
}
