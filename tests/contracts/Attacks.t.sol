// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IAccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {ERC721} from "solady/src/tokens/ERC721.sol";
import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IReceivables} from "../../contracts/interfaces/IReceivables.sol";
import {IStandingSubscriber} from "../../contracts/interfaces/IStandingSubscriber.sol";
import {IWarehouseReceipts} from "../../contracts/interfaces/IWarehouseReceipts.sol";
import {ConsortiumFixture} from "./utils/ConsortiumFixture.sol";
import {ReentrantReceiver, Unreceptive} from "./utils/ReentrantReceiver.sol";

/// @notice Re-entrancy through the only callback the system makes: ERC-721 `onERC721Received`
/// on `safeTransferFrom`. By then the transfer is complete, so the receiver is the owner and every
/// re-entrant call is judged exactly like a later call of its own: owner actions succeed under the
/// usual locks, anything else is refused, and the lot's books stay consistent either way.
/// Receivables makes no callbacks at all (only static calls to the registry).
contract AttacksReentrancyTest is ConsortiumFixture {
    ReentrantReceiver internal receiver;
    uint256 internal constant ID = type(uint256).max; // ReentrantReceiver.RECEIVED_ID
    uint256 internal other; // a receipt of the same lot the receiver already holds
    uint256 internal foreign; // the supplier's receipt on another lot

    function setUp() public override {
        super.setUp();
        receiver = new ReentrantReceiver(wr);
        vm.prank(admin);
        registry.admit(address(receiver), uint8(IParticipantRegistry.Role.Supplier), "rr", "Receiver Co", validUntil);
        uint256 id = _receipt(1000);
        other = _split(supplier, id, _q(600, 400));
        vm.prank(supplier);
        wr.transferFrom(supplier, address(receiver), other);
        _attestAt(warehouse, LOT2, AL, 50);
        foreign = _mint(supplier, LOT2, 50);
        vm.assertEq(id, 1);
    }

    function _holders() internal view returns (address[] memory h) {
        h = new address[](5);
        (h[0], h[1], h[2], h[3], h[4]) = (supplier, supplier2, address(receiver), lender, core);
    }

    /// Arms the receiver, sends it receipt 1 with safeTransferFrom, and checks both lots' books.
    function _attack(bytes[] memory calls) internal {
        receiver.arm(calls);
        vm.prank(supplier);
        wr.safeTransferFrom(supplier, address(receiver), 1);
        vm.assertTrue(receiver.reentered(), "callback did not run");
        vm.assertEq(receiver.firstFrom(), supplier);
        vm.assertEq(receiver.firstId(), 1);
        _assertLotConsistent(LOT, _holders());
        _assertLotConsistent(LOT2, _holders());
    }

    function _one(bytes memory a) internal pure returns (bytes[] memory c) {
        c = new bytes[](1);
        c[0] = a;
    }

    function _two(bytes memory a, bytes memory b) internal pure returns (bytes[] memory c) {
        c = new bytes[](2);
        (c[0], c[1]) = (a, b);
    }

    function _assertRefused(uint256 i, bytes memory expected) internal view {
        vm.assertFalse(receiver.succeeded(i), "re-entrant call went through");
        vm.assertEq(receiver.result(i), expected);
    }

    function test_reentrantTransferFrom_movesItOnConsistently() public {
        _attack(_one(abi.encodeCall(wr.transferFrom, (address(receiver), supplier2, 1))));
        vm.assertTrue(receiver.succeeded(0));
        vm.assertEq(wr.ownerOf(1), supplier2);
    }

    function test_reentrantSafeTransferFrom_backToSender() public {
        _attack(
            _one(abi.encodeWithSignature("safeTransferFrom(address,address,uint256)", address(receiver), supplier, 1))
        );
        vm.assertTrue(receiver.succeeded(0));
        vm.assertEq(wr.ownerOf(1), supplier);
    }

    function test_reentrantSafeTransferFrom_toItself_callsBackOnceMore() public {
        _attack(
            _one(
                abi.encodeWithSignature(
                    "safeTransferFrom(address,address,uint256)", address(receiver), address(receiver), 1
                )
            )
        );
        vm.assertTrue(receiver.succeeded(0));
        vm.assertEq(receiver.callbacks(), 2);
        vm.assertEq(receiver.lastFrom(), address(receiver)); // the second callback: from itself
        vm.assertEq(wr.ownerOf(1), address(receiver));
    }

    function test_reentrantSplit_conservesTheLot() public {
        _attack(_one(abi.encodeCall(wr.split, (ID, _q(300, 200, 100)))));
        vm.assertTrue(receiver.succeeded(0));
        vm.assertEq(wr.lot(LOT).liveReceipts, 4);
        vm.assertEq(wr.lot(LOT).receipted, 1000);
    }

    function test_reentrantMerge_conservesTheLot() public {
        _attack(_one(abi.encodeCall(wr.merge, (ID, other, new bytes32[](0), new bytes32[](0)))));
        vm.assertTrue(receiver.succeeded(0));
        vm.assertEq(wr.receipt(1).quantity, 1000);
        vm.assertEq(wr.lot(LOT).liveReceipts, 1);
    }

    function test_reentrantPledge_locksAtOnce() public {
        uint64 maturity = uint64(_now() + 90 days);
        bytes[] memory calls = new bytes[](5);
        calls[0] = abi.encodeCall(wr.requestPledge, (ID, lender, 1, CNY, LOAN, maturity));
        calls[1] = abi.encodeCall(wr.transferFrom, (address(receiver), supplier2, 1));
        calls[2] = abi.encodeCall(wr.split, (1, _q(500, 100)));
        calls[3] = abi.encodeCall(wr.requestPledge, (1, lender2, 1, CNY, LOAN, maturity));
        calls[4] = abi.encodeCall(wr.merge, (1, other, new bytes32[](0), new bytes32[](0)));
        _attack(calls);
        vm.assertTrue(receiver.succeeded(0));
        bytes memory pending = abi.encodeWithSelector(IWarehouseReceipts.PledgePending.selector, 1, lender);
        for (uint256 i = 1; i < 5; ++i) {
            _assertRefused(i, pending);
        }
        vm.prank(lender);
        wr.acceptPledge(1, 1);
        vm.assertEq(wr.ownerOf(1), address(receiver));
        vm.assertTrue(wr.receipt(1).pledgeLocked);
    }

    function test_reentrantDeliveryRequest_locksAtOnce() public {
        _attack(
            _two(
                abi.encodeCall(wr.requestDelivery, (ID, 600)),
                abi.encodeCall(wr.transferFrom, (address(receiver), supplier2, 1))
            )
        );
        vm.assertTrue(receiver.succeeded(0));
        _assertRefused(1, abi.encodeWithSelector(IWarehouseReceipts.DeliveryPending.selector, 1));
        vm.prank(warehouse);
        wr.confirmDelivery(1, new bytes32[](0));
        _assertLotConsistent(LOT, _holders());
        vm.assertEq(wr.lot(LOT).receipted, 400);
    }

    function test_reentrantMulticall_keepsEveryCheck() public {
        bytes[] memory inner = new bytes[](2);
        inner[0] = abi.encodeCall(wr.split, (1, _q(500, 100)));
        inner[1] = abi.encodeCall(wr.transferFrom, (address(receiver), supplier2, 1));
        _attack(_one(abi.encodeCall(wr.multicall, (inner))));
        vm.assertTrue(receiver.succeeded(0));
        vm.assertEq(wr.ownerOf(1), supplier2);
        vm.assertEq(wr.receipt(1).quantity, 500);
    }

    /// From inside the callback the receiver tries to take what is not its own and to act in roles
    /// it does not hold: every call is refused with the contract's own error.
    function test_reentrantTheftAndPrivilegedCalls_allRefused() public {
        address r = address(receiver);
        bytes memory notMine = abi.encodeWithSelector(ERC721.NotOwnerNorApproved.selector);
        bytes memory wrongRoleW = _wrongRole(r, IParticipantRegistry.Role.Warehouse);
        bytes[] memory calls = new bytes[](13);
        calls[0] = abi.encodeCall(wr.transferFrom, (supplier, r, foreign));
        calls[1] = abi.encodeCall(wr.approve, (r, foreign));
        calls[2] = abi.encodeCall(wr.split, (foreign, _q(25, 25)));
        calls[3] = abi.encodeCall(wr.mint, (r, LOT2, AL, 1, 0, DETAILS));
        calls[4] = abi.encodeCall(wr.confirmDelivery, (ID, new bytes32[](0)));
        calls[5] = abi.encodeCall(wr.freezeReceipt, (foreign, "x"));
        calls[6] = abi.encodeCall(wr.unfreezeLot, (LOT));
        calls[7] = abi.encodeCall(wr.setPaused, (true));
        calls[8] = abi.encodeCall(wr.releasePledge, (ID));
        calls[9] = abi.encodeCall(wr.foreclose, (ID, r));
        calls[10] = abi.encodeCall(wr.acceptPledge, (ID, 1));
        calls[11] =
            abi.encodeCall(wr.recordStocktake, (warehouse, LOT, AL, KG, DECIMALS, 0, EVIDENCE, new uint256[](0)));
        calls[12] = abi.encodeCall(wr.cancelDeliveryRequest, (foreign));
        _attack(calls);
        _assertRefused(0, notMine);
        _assertRefused(1, notMine);
        _assertRefused(2, abi.encodeWithSelector(IWarehouseReceipts.NotReceiptOwner.selector, foreign, r, supplier));
        _assertRefused(3, wrongRoleW);
        _assertRefused(4, wrongRoleW);
        _assertRefused(5, _wrongRole(r, IParticipantRegistry.Role.Regulator));
        _assertRefused(6, _wrongRole(r, IParticipantRegistry.Role.Regulator));
        _assertRefused(7, abi.encodeWithSelector(IWarehouseReceipts.NotConsortiumAdmin.selector, r));
        _assertRefused(8, abi.encodeWithSelector(IWarehouseReceipts.NotPledged.selector, 1));
        _assertRefused(9, abi.encodeWithSelector(IWarehouseReceipts.NotPledged.selector, 1));
        _assertRefused(10, abi.encodeWithSelector(IWarehouseReceipts.PledgeNotRequested.selector, 1));
        _assertRefused(11, _wrongRole(r, IParticipantRegistry.Role.Inspector));
        _assertRefused(12, abi.encodeWithSelector(IWarehouseReceipts.NotReceiptOwner.selector, foreign, r, supplier));
        vm.assertEq(wr.ownerOf(foreign), supplier);
        vm.assertFalse(wr.receipt(foreign).frozen);
    }

    /// A pledged receipt the receiver holds stays put even when it tries to move it from inside the
    /// callback of another transfer (the contract's own-move flag is never set during a callback).
    function test_reentrantMoveOfPledgedReceipt_refused() public {
        receiver.act(abi.encodeCall(wr.requestPledge, (other, lender, 1, CNY, LOAN, uint64(_now() + 90 days))));
        vm.prank(lender);
        wr.acceptPledge(other, 1);
        _attack(
            _two(
                abi.encodeCall(wr.transferFrom, (address(receiver), supplier2, other)),
                abi.encodeCall(wr.merge, (ID, other, new bytes32[](0), new bytes32[](0)))
            )
        );
        bytes memory pledged = abi.encodeWithSelector(IWarehouseReceipts.ReceiptPledged.selector, other, lender);
        _assertRefused(0, pledged);
        _assertRefused(1, pledged);
        vm.assertEq(wr.ownerOf(other), address(receiver));
    }

    /// A frozen receipt the receiver holds cannot be moved from inside the callback either.
    function test_reentrantMoveWhileLotFrozen_refused() public {
        vm.prank(regulator);
        wr.freezeReceipt(other, "court order");
        _attack(_one(abi.encodeCall(wr.transferFrom, (address(receiver), supplier2, other))));
        _assertRefused(0, abi.encodeWithSelector(IWarehouseReceipts.ReceiptIsFrozen.selector, other));
    }

    /// Receivables never calls a holder: a contract that reverts on any call receives pieces by
    /// issue, split and transfer, and passes them on.
    function test_receivables_makeNoCallbackToHolders() public {
        Unreceptive u = new Unreceptive();
        vm.startPrank(admin);
        registry.admit(address(u), uint8(IParticipantRegistry.Role.Supplier), "u", "Unreceptive Co", validUntil);
        vm.stopPrank();
        uint256 rootId = _issueVoucher(address(u), 1000, 1, 5);
        uint256 supplierRoot = _issueVoucher(supplier, 1000, 1, 5);
        vm.prank(supplier);
        uint256 child = rcv.split(supplierRoot, address(u), 400);
        vm.prank(supplier);
        rcv.transfer(supplierRoot, address(u));
        vm.assertEq(rcv.voucher(rootId).holder, address(u));
        vm.assertEq(rcv.voucher(child).holder, address(u));
        vm.assertEq(rcv.voucher(supplierRoot).holder, address(u));
        vm.prank(address(u));
        rcv.transfer(child, supplier2);
        vm.assertEq(rcv.voucher(child).holder, supplier2);
    }

    function _wrongRole(address account, IParticipantRegistry.Role required) internal view returns (bytes memory) {
        return abi.encodeWithSelector(
            IParticipantRegistry.WrongRole.selector, account, uint8(registry.member(account).role), uint8(required)
        );
    }
}

/// @notice Signature replay: the contracts take no off-chain signatures. Every action is authorised
/// by `msg.sender` alone (checked against the registry), so there is no nonce, chain id, domain,
/// deadline or `s` value to replay or malleate. This suite pins that: none of the usual signature
/// entry points exists on any contract (a missing function reverts with empty data, since none of
/// them has a fallback), and none advertises ERC-4494 (permit for ERC-721).
contract AttacksSignatureReplayTest is ConsortiumFixture {
    function _probes() internal pure returns (bytes4[] memory s) {
        s = new bytes4[](12);
        s[0] = bytes4(keccak256("permit(address,address,uint256,uint256,uint8,bytes32,bytes32)")); // EIP-2612
        s[1] = bytes4(keccak256("permit(address,uint256,uint256,uint8,bytes32,bytes32)")); // ERC-4494 (v,r,s)
        s[2] = bytes4(keccak256("permit(address,uint256,uint256,bytes)")); // ERC-4494
        s[3] = bytes4(keccak256("DOMAIN_SEPARATOR()"));
        s[4] = bytes4(keccak256("nonces(address)"));
        s[5] = bytes4(keccak256("nonces(uint256)"));
        s[6] = bytes4(keccak256("eip712Domain()")); // ERC-5267
        s[7] = bytes4(keccak256("isValidSignature(bytes32,bytes)")); // ERC-1271
        s[8] = bytes4(keccak256("executeMetaTransaction(address,bytes,bytes32,bytes32,uint8)"));
        s[9] = bytes4(keccak256("isTrustedForwarder(address)")); // ERC-2771
        s[10] = bytes4(keccak256("permit2()"));
        s[11] = bytes4(keccak256("transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)")); // EIP-3009
    }

    function test_noContractAcceptsASignature() public {
        address[3] memory targets = [address(wr), address(rcv), address(registry)];
        bytes4[] memory probes = _probes();
        for (uint256 t = 0; t < 3; ++t) {
            for (uint256 i = 0; i < probes.length; ++i) {
                // Enough zero words for any of the probed signatures to decode.
                bytes memory data = abi.encodePacked(probes[i], new bytes(9 * 32));
                vm.prank(supplier);
                (bool ok, bytes memory ret) = targets[t].call(data);
                vm.assertFalse(ok, "a signature entry point exists");
                vm.assertEq(ret.length, 0, "a signature entry point exists (it answered with an error)");
            }
        }
        vm.assertFalse(wr.supportsInterface(0x5604e225), "ERC-4494 advertised");
    }

    /// The same call replayed by anyone else, or again by the same sender, is judged afresh on
    /// msg.sender and state: there is no authorisation token to carry to another caller, chain or
    /// contract.
    function test_replayedCalldata_isJudgedOnTheNewSender() public {
        uint256 id = _receipt(100);
        bytes memory data = abi.encodeCall(wr.transferFrom, (supplier, supplier2, id));
        vm.prank(supplier);
        (bool ok,) = address(wr).call(data);
        vm.assertTrue(ok);
        // The same bytes again, from the original sender: it no longer owns the receipt.
        vm.prank(supplier);
        (ok,) = address(wr).call(data);
        vm.assertFalse(ok);
        // From a third party.
        vm.prank(lender);
        (ok,) = address(wr).call(abi.encodeCall(wr.transferFrom, (supplier2, lender, id)));
        vm.assertFalse(ok);
        vm.assertEq(wr.ownerOf(id), supplier2);
    }
}

/// @notice Ordering attacks inside one block: a transfer racing a pledge, two pledges, two
/// acceptances, a discount offer against a pledge. Each pair is run in both orders from the same
/// state at the same block height; the second always fails with the reason the first created, so
/// no order leaves a receipt or voucher with two claims.
contract AttacksRaceTest is ConsortiumFixture {
    uint256 internal receiptId;
    uint256 internal voucherId;
    uint64 internal loanMaturity;

    function setUp() public override {
        super.setUp();
        receiptId = _receipt(1000);
        voucherId = _issueVoucher(supplier, 1_000_000, 1, 5);
        loanMaturity = uint64(_now() + 60 days);
        vmx.roll(1000);
    }

    function _pledgeReceipt(address by, address to) internal returns (uint48) {
        vm.prank(by);
        return wr.requestPledge(receiptId, to, 1, CNY, LOAN, loanMaturity);
    }

    function test_race_receiptTransferThenPledge_pledgeRefused() public {
        vm.prank(supplier);
        wr.transferFrom(supplier, supplier2, receiptId);
        vm.prank(supplier);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.NotReceiptOwner.selector, receiptId, supplier, supplier2)
        );
        wr.requestPledge(receiptId, lender, 1, CNY, LOAN, loanMaturity);
        vm.assertEq(vmx.getBlockNumber(), 1000);
    }

    function test_race_receiptPledgeThenTransfer_transferRefused() public {
        _pledgeReceipt(supplier, lender);
        vm.prank(supplier);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.PledgePending.selector, receiptId, lender));
        wr.transferFrom(supplier, supplier2, receiptId);
        // Once accepted, the error names the lienholder; the owner is still the pledgor.
        vm.prank(lender);
        wr.acceptPledge(receiptId, 1);
        vm.prank(supplier);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.ReceiptPledged.selector, receiptId, lender));
        wr.safeTransferFrom(supplier, supplier2, receiptId);
        vm.assertEq(wr.ownerOf(receiptId), supplier);
        vm.assertEq(vmx.getBlockNumber(), 1000);
    }

    function test_race_twoReceiptPledgesInOneBlock_bothOrders() public {
        address[2] memory banks = [lender, lender2];
        for (uint256 first = 0; first < 2; ++first) {
            uint256 snap = vmx.snapshotState();
            address a = banks[first];
            address b = banks[1 - first];
            _pledgeReceipt(supplier, a);
            vm.prank(supplier);
            vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.PledgePending.selector, receiptId, a));
            wr.requestPledge(receiptId, b, 1, CNY, LOAN, loanMaturity);
            // The other bank cannot take the pledge meant for the first.
            vm.prank(b);
            vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, receiptId, b, a));
            wr.acceptPledge(receiptId, 1);
            vm.prank(a);
            wr.acceptPledge(receiptId, 1);
            vm.prank(a);
            vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.ReceiptPledged.selector, receiptId, a));
            wr.acceptPledge(receiptId, 1);
            vm.assertEq(wr.lien(receiptId).lender, a);
            vmx.revertToState(snap);
        }
    }

    /// Cancel and re-pledge to another bank in the same block: the first bank's acceptance of the
    /// stale request fails, as does the new bank's acceptance with the stale sequence number.
    function test_race_cancelAndRepledge_staleAcceptanceRefused() public {
        uint48 seq1 = _pledgeReceipt(supplier, lender);
        vm.prank(supplier);
        wr.cancelPledgeRequest(receiptId);
        uint48 seq2 = _pledgeReceipt(supplier, lender2);
        vm.assertEq(seq2, seq1 + 1);
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, receiptId, lender, lender2));
        wr.acceptPledge(receiptId, seq1);
        vm.prank(lender2);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.PledgeRequestMismatch.selector, receiptId, seq2, seq1)
        );
        wr.acceptPledge(receiptId, seq1);
        vm.prank(lender2);
        wr.acceptPledge(receiptId, seq2);
    }

    function test_race_voucherTransferAndPledge_bothOrders() public {
        uint256 snap = vmx.snapshotState();
        vm.prank(supplier);
        rcv.transfer(voucherId, supplier2);
        vm.prank(supplier);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.NotVoucherHolder.selector, voucherId, supplier, supplier2)
        );
        rcv.requestPledge(voucherId, lender, 1, LOAN, loanMaturity);
        vmx.revertToState(snap);

        vm.prank(supplier);
        rcv.requestPledge(voucherId, lender, 1, LOAN, loanMaturity);
        vm.prank(supplier);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.VoucherPledgeRequestPending.selector, voucherId, lender)
        );
        rcv.transfer(voucherId, supplier2);
        vm.assertEq(rcv.voucher(voucherId).holder, supplier);
    }

    function test_race_twoVoucherPledgesAndAcceptances_inOneBlock() public {
        vm.prank(supplier);
        rcv.requestPledge(voucherId, lender, 1, LOAN, loanMaturity);
        vm.prank(supplier);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.VoucherPledgeRequestPending.selector, voucherId, lender)
        );
        rcv.requestPledge(voucherId, lender2, 1, LOAN, loanMaturity);
        vm.prank(lender2);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.NotVoucherPledgee.selector, voucherId, lender2, lender)
        );
        rcv.acceptPledge(voucherId, 1, LOAN);
        vm.prank(lender);
        rcv.acceptPledge(voucherId, 1, LOAN);
        vm.prank(lender2);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherPledged.selector, voucherId, lender));
        rcv.acceptPledge(voucherId, 1, LOAN);
        vm.prank(lender);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherPledged.selector, voucherId, lender));
        rcv.acceptPledge(voucherId, 1, LOAN);
    }

    function test_race_discountOfferAgainstPledge_bothOrders() public {
        uint256 snap = vmx.snapshotState();
        vm.prank(supplier);
        rcv.offerDiscount(voucherId, lender2, 900_000);
        vm.prank(supplier);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.VoucherOfferedForDiscount.selector, voucherId, lender2)
        );
        rcv.requestPledge(voucherId, lender, 1, LOAN, loanMaturity);
        vmx.revertToState(snap);

        vm.prank(supplier);
        rcv.requestPledge(voucherId, lender, 1, LOAN, loanMaturity);
        vm.prank(supplier);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.VoucherPledgeRequestPending.selector, voucherId, lender)
        );
        rcv.offerDiscount(voucherId, lender2, 900_000);
    }
}

/// @notice Every privileged function called by every wrong role, table-driven: each (selector,
/// caller) pair must revert with the gate's own custom error naming the caller, and the one
/// authorised caller must get past the gate.
contract AttacksRoleTableTest is ConsortiumFixture {
    enum Gate {
        MemberRole, // registry.requireActive(caller, required): WrongRole / NotAMember
        ReceiptsAdmin, // consortium admin: NotConsortiumAdmin(caller)
        ReceivablesAdmin, // consortium admin: CallerNotConsortiumAdmin(caller)
        Registrar, // AccessControlUnauthorizedAccount(caller, REGISTRAR_ROLE)
        DefaultAdmin, // AccessControlUnauthorizedAccount(caller, DEFAULT_ADMIN_ROLE)
        PendingAdmin, // AccessControlInvalidDefaultAdmin(caller)
        ReceiptLienholder, // NotLienholder(receipt, caller, lender)
        VoucherLienholder, // NotVoucherLienholder(voucher, caller, lender): whatever the lender's standing
        VoucherPayer, // NotVoucherPayer(root, caller, core)
        StandingSource // NotParticipantRegistry(caller): only the registry pushes standing
    }

    struct Case {
        string name;
        address target;
        bytes data;
        Gate gate;
        IParticipantRegistry.Role required;
    }

    address[] internal actors;
    uint256 internal receiptId;
    uint256 internal pledgedId;
    uint256 internal rootId;
    uint256 internal pledgedVoucherId;

    function setUp() public override {
        super.setUp();
        address[9] memory all = [outsider, warehouse, lender, core, supplier, inspector, auditor, regulator, admin];
        for (uint256 i = 0; i < all.length; ++i) {
            actors.push(all[i]);
        }
        receiptId = _receipt(1000);
        pledgedId = _split(supplier, receiptId, _q(600, 400));
        _pledge(supplier, pledgedId, lender);
        rootId = _issueVoucher(supplier, 1_000_000, 1, 5);
        pledgedVoucherId = _issueVoucher(supplier, 1000, 1, 5);
        vm.prank(supplier);
        rcv.requestPledge(pledgedVoucherId, lender, 1000, bytes32(0), uint64(_now() + 20 days));
        vm.prank(lender);
        rcv.acceptPledge(pledgedVoucherId, 1000, bytes32(0));
    }

    function _cases() internal view returns (Case[] memory c) {
        IParticipantRegistry.Role none = IParticipantRegistry.Role.None;
        IParticipantRegistry.Role W = IParticipantRegistry.Role.Warehouse;
        IParticipantRegistry.Role L = IParticipantRegistry.Role.Lender;
        IParticipantRegistry.Role C = IParticipantRegistry.Role.CoreEnterprise;
        IParticipantRegistry.Role I = IParticipantRegistry.Role.Inspector;
        IParticipantRegistry.Role R = IParticipantRegistry.Role.Regulator;
        IReceivables.IssueParams memory p = IReceivables.IssueParams({
            holder: supplier,
            lender: lender,
            faceValue: 1000,
            currency: CNY,
            maturity: uint64(_now() + 30 days),
            document: keccak256("role table invoice"),
            minDenomination: 1,
            maxDepth: 3
        });
        address w = address(wr);
        address v = address(rcv);
        c = new Case[](42);
        uint256 k = 0;
        // Warehouse receipts: member roles.
        c[k++] = Case(
            "recordStocktake",
            w,
            abi.encodeCall(wr.recordStocktake, (warehouse, LOT2, AL, KG, DECIMALS, 10, EVIDENCE, new uint256[](0))),
            Gate.MemberRole,
            I
        );
        c[k++] = Case("mint", w, abi.encodeCall(wr.mint, (supplier, LOT, AL, 1, 0, DETAILS)), Gate.MemberRole, W);
        c[k++] = Case(
            "mintSerialized",
            w,
            abi.encodeCall(wr.mintSerialized, (supplier, LOT, AL, 1, 0, DETAILS, _serials(1, 1))),
            Gate.MemberRole,
            W
        );
        c[k++] =
            Case("confirmDelivery", w, abi.encodeCall(wr.confirmDelivery, (receiptId, new bytes32[](0))), Gate.MemberRole, W);
        c[k++] = Case("freezeReceipt", w, abi.encodeCall(wr.freezeReceipt, (receiptId, "x")), Gate.MemberRole, R);
        c[k++] = Case("unfreezeReceipt", w, abi.encodeCall(wr.unfreezeReceipt, (receiptId, "x")), Gate.MemberRole, R);
        c[k++] = Case("unfreezeLot", w, abi.encodeCall(wr.unfreezeLot, (LOT)), Gate.MemberRole, R);
        // Warehouse receipts: the lienholder.
        c[k++] = Case("wr.releasePledge", w, abi.encodeCall(wr.releasePledge, (pledgedId)), Gate.ReceiptLienholder, none);
        c[k++] = Case("wr.foreclose", w, abi.encodeCall(wr.foreclose, (pledgedId, lender)), Gate.ReceiptLienholder, none);
        // Warehouse receipts: the consortium admin.
        c[k++] = Case("wr.setPaused", w, abi.encodeCall(wr.setPaused, (true)), Gate.ReceiptsAdmin, none);
        c[k++] =
            Case("wr.setParameters", w, abi.encodeCall(wr.setParameters, (30 days, 7 days)), Gate.ReceiptsAdmin, none);
        // Warehouse receipts: the registry's standing feed.
        IParticipantRegistry.Standing memory forged =
            IParticipantRegistry.Standing(W, IParticipantRegistry.Status.Active, type(uint40).max, 0);
        c[k++] = Case(
            "wr.onStandingChanged", w, abi.encodeCall(wr.onStandingChanged, (outsider, forged)), Gate.StandingSource, none
        );
        c[k++] = Case(
            "wr.onSubscriptionChanged", w, abi.encodeCall(wr.onSubscriptionChanged, (false)), Gate.StandingSource, none
        );
        // Receivables: member roles.
        c[k++] = Case(
            "setCreditLine",
            v,
            abi.encodeCall(rcv.setCreditLine, (core, 1e12, CNY, uint64(_now() + 300 days))),
            Gate.MemberRole,
            L
        );
        c[k++] = Case("closeCreditLine", v, abi.encodeCall(rcv.closeCreditLine, (core)), Gate.MemberRole, L);
        c[k++] = Case("issue", v, abi.encodeCall(rcv.issue, (p)), Gate.MemberRole, C);
        c[k++] = Case("acceptDiscount", v, abi.encodeCall(rcv.acceptDiscount, (rootId, 1, 0)), Gate.MemberRole, L);
        c[k++] = Case("rcv.acceptPledge", v, abi.encodeCall(rcv.acceptPledge, (rootId, 1, 0)), Gate.MemberRole, L);
        c[k++] = Case(
            "rcv.releasePledge", v, abi.encodeCall(rcv.releasePledge, (pledgedVoucherId)), Gate.VoucherLienholder, none
        );
        c[k++] =
            Case("designatePayer", v, abi.encodeCall(rcv.designatePayer, (rootId, address(0))), Gate.MemberRole, C);
        // Receivables: the payer (obligor or designated bank).
        c[k++] = Case("settle", v, abi.encodeCall(rcv.settle, (rootId, 0)), Gate.VoucherPayer, none);
        c[k++] = Case("fundRoot", v, abi.encodeCall(rcv.fundRoot, (rootId, 0)), Gate.VoucherPayer, none);
        // Receivables: the consortium admin.
        c[k++] = Case("rcv.pause", v, abi.encodeCall(rcv.pause, ()), Gate.ReceivablesAdmin, none);
        c[k++] = Case("rcv.unpause", v, abi.encodeCall(rcv.unpause, ()), Gate.ReceivablesAdmin, none);
        // Receivables: the registry's standing feed.
        c[k++] = Case(
            "rcv.onStandingChanged", v, abi.encodeCall(rcv.onStandingChanged, (outsider, forged)), Gate.StandingSource, none
        );
        c[k++] = Case(
            "rcv.onSubscriptionChanged", v, abi.encodeCall(rcv.onSubscriptionChanged, (false)), Gate.StandingSource, none
        );
        k = _registryCases(c, k);
        vm.assertEq(k, c.length);
    }

    /// The registry's privileged functions, appended to `c` from `k`; returns the next free index.
    /// Apart from `_cases` so that the suite also compiles on the legacy pipeline (forge coverage).
    function _registryCases(Case[] memory c, uint256 k) internal view returns (uint256) {
        IParticipantRegistry.Role none = IParticipantRegistry.Role.None;
        IParticipantRegistry.Role W = IParticipantRegistry.Role.Warehouse;
        IParticipantRegistry.WarehouseAdmission memory adm =
            IParticipantRegistry.WarehouseAdmission(keccak256("licence"), 10, 100_000);
        address g = address(registry);
        bytes32 registrar = registry.REGISTRAR_ROLE();
        // Registry: registrar.
        c[k++] = Case(
            "admit",
            g,
            abi.encodeCall(registry.admit, (address(0xFEED), uint8(W) + 1, 0, "x", validUntil)),
            Gate.Registrar,
            none
        );
        c[k++] = Case(
            "admitWarehouse",
            g,
            abi.encodeCall(registry.admitWarehouse, (address(0xFEED), 0, "x", validUntil, adm)),
            Gate.Registrar,
            none
        );
        c[k++] = Case(
            "updateWarehouseAdmission",
            g,
            abi.encodeCall(registry.updateWarehouseAdmission, (warehouse, adm)),
            Gate.Registrar,
            none
        );
        c[k++] = Case("suspend", g, abi.encodeCall(registry.suspend, (supplier2, "x")), Gate.Registrar, none);
        c[k++] = Case("reinstate", g, abi.encodeCall(registry.reinstate, (supplier2)), Gate.Registrar, none);
        c[k++] = Case("revoke", g, abi.encodeCall(registry.revoke, (supplier2, "x")), Gate.Registrar, none);
        c[k++] = Case("renewKyc", g, abi.encodeCall(registry.renewKyc, (supplier2, validUntil)), Gate.Registrar, none);
        c[k++] = Case("syncMembers", g, abi.encodeCall(registry.syncMembers, (0, 1)), Gate.Registrar, none);
        c[k++] =
            Case("addSubscriber", g, abi.encodeCall(registry.addSubscriber, (address(wr))), Gate.DefaultAdmin, none);
        c[k++] =
            Case("removeSubscriber", g, abi.encodeCall(registry.removeSubscriber, (address(wr))), Gate.DefaultAdmin, none);
        // Registry: default admin (and the role admin of REGISTRAR_ROLE).
        c[k++] = Case(
            "setWarehouseStandards", g, abi.encodeCall(registry.setWarehouseStandards, (1, 1)), Gate.DefaultAdmin, none
        );
        c[k++] = Case(
            "grantRole", g, abi.encodeCall(registry.grantRole, (registrar, address(0xFEED))), Gate.DefaultAdmin, none
        );
        c[k++] = Case("revokeRole", g, abi.encodeCall(registry.revokeRole, (registrar, admin)), Gate.DefaultAdmin, none);
        c[k++] = Case(
            "beginDefaultAdminTransfer",
            g,
            abi.encodeCall(registry.beginDefaultAdminTransfer, (address(0xFEED))),
            Gate.DefaultAdmin,
            none
        );
        c[k++] = Case(
            "changeDefaultAdminDelay", g, abi.encodeCall(registry.changeDefaultAdminDelay, (1 days)), Gate.DefaultAdmin, none
        );
        c[k++] = Case(
            "acceptDefaultAdminTransfer",
            g,
            abi.encodeCall(registry.acceptDefaultAdminTransfer, ()),
            Gate.PendingAdmin,
            none
        );
        return k;
    }

    /// The error a caller who may not pass `gate` must get, or empty if `caller` may pass it.
    function _expected(Case memory c, address caller) internal view returns (bytes memory) {
        if (c.gate == Gate.MemberRole) {
            IParticipantRegistry.Role role = registry.member(caller).role;
            if (role == c.required) return "";
            if (role == IParticipantRegistry.Role.None) {
                return abi.encodeWithSelector(IParticipantRegistry.NotAMember.selector, caller);
            }
            return abi.encodeWithSelector(IParticipantRegistry.WrongRole.selector, caller, uint8(role), uint8(c.required));
        }
        if (c.gate == Gate.ReceiptsAdmin) {
            return caller == admin ? bytes("") : abi.encodeWithSelector(IWarehouseReceipts.NotConsortiumAdmin.selector, caller);
        }
        if (c.gate == Gate.ReceivablesAdmin) {
            return caller == admin ? bytes("") : abi.encodeWithSelector(IReceivables.CallerNotConsortiumAdmin.selector, caller);
        }
        if (c.gate == Gate.Registrar || c.gate == Gate.DefaultAdmin) {
            if (caller == admin) return "";
            bytes32 role = c.gate == Gate.Registrar ? registry.REGISTRAR_ROLE() : bytes32(0);
            return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role);
        }
        if (c.gate == Gate.PendingAdmin) {
            return abi.encodeWithSelector(IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, caller);
        }
        if (c.gate == Gate.StandingSource) {
            return abi.encodeWithSelector(IStandingSubscriber.NotParticipantRegistry.selector, caller);
        }
        if (c.gate == Gate.VoucherLienholder) {
            if (caller == lender) return "";
            return abi.encodeWithSelector(IReceivables.NotVoucherLienholder.selector, pledgedVoucherId, caller, lender);
        }
        if (c.gate == Gate.ReceiptLienholder) {
            if (caller == lender) return "";
            return abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, pledgedId, caller, lender);
        }
        // VoucherPayer
        if (caller == core) return "";
        return abi.encodeWithSelector(IReceivables.NotVoucherPayer.selector, rootId, caller, core);
    }

    function test_everyPrivilegedFunction_refusesEveryWrongRole() public {
        Case[] memory cases = _cases();
        uint256 refusals = 0;
        for (uint256 i = 0; i < cases.length; ++i) {
            // Nobody is pending; only the registry itself pushes standing.
            bool authorisedSeen = cases[i].gate == Gate.PendingAdmin || cases[i].gate == Gate.StandingSource;
            for (uint256 a = 0; a < actors.length; ++a) {
                address caller = actors[a];
                bytes memory expected = _expected(cases[i], caller);
                uint256 snap = vmx.snapshotState();
                vm.prank(caller);
                (bool ok, bytes memory ret) = cases[i].target.call(cases[i].data);
                vmx.revertToState(snap);
                if (expected.length != 0) {
                    vm.assertFalse(ok, string.concat(cases[i].name, ": a wrong role got through"));
                    vm.assertEq(ret, expected);
                    ++refusals;
                } else {
                    authorisedSeen = true;
                    // The authorised caller passes the gate: it succeeds or fails on something else.
                    if (!ok) vm.assertFalse(_isGateError(_selector(ret)), string.concat(cases[i].name, ": gate refused"));
                }
            }
            vm.assertTrue(authorisedSeen, string.concat(cases[i].name, ": no authorised caller in the table"));
        }
        vm.assertGe(refusals, 40 * 8, "table too small");
    }

    function _selector(bytes memory ret) internal pure returns (bytes4 selector) {
        if (ret.length < 4) return bytes4(0);
        assembly ("memory-safe") {
            selector := and(mload(add(ret, 0x20)), shl(224, 0xffffffff))
        }
    }

    function _isGateError(bytes4 selector) internal pure returns (bool) {
        return selector == IParticipantRegistry.WrongRole.selector || selector == IParticipantRegistry.NotAMember.selector
            || selector == IWarehouseReceipts.NotConsortiumAdmin.selector
            || selector == IReceivables.CallerNotConsortiumAdmin.selector
            || selector == IAccessControl.AccessControlUnauthorizedAccount.selector
            || selector == IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector
            || selector == IWarehouseReceipts.NotLienholder.selector || selector == IReceivables.NotVoucherPayer.selector
            || selector == IReceivables.NotVoucherLienholder.selector
            || selector == IStandingSubscriber.NotParticipantRegistry.selector;
    }

    /// A suspended or lapsed holder of the right role is refused too, with the registry's reason.
    function test_privilegedFunctions_refuseSuspendedAndLapsedHolders() public {
        _suspend(inspector);
        vm.prank(inspector);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, inspector, uint64(_now()))
        );
        wr.recordStocktake(warehouse, LOT2, AL, KG, DECIMALS, 10, EVIDENCE, new uint256[](0));
        uint64 lapsed = _expireKyc(regulator);
        vm.prank(regulator);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.MemberKycExpired.selector, regulator, lapsed));
        wr.freezeReceipt(receiptId, "x");
        vm.prank(admin);
        registry.revoke(core, "x");
        vm.prank(core);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.MemberRevoked.selector, core, uint64(_now())));
        rcv.settle(rootId, 0);
    }
}

/// @notice A voucher split into 5,000 pieces, then every piece settled: settlement costs the same
/// for the first and the last piece as for a single-piece root, and value is conserved exactly.
contract AttacksFragmentationTest is ConsortiumFixture {
    function test_voucherSplitInto5000Pieces_thenSettled() public {
        uint256 n = 5000;
        uint256 big = _issueVoucher(supplier, uint128((n + 1) * 1000), 1, 1);
        uint256 small = _issueVoucher(supplier, 1000, 1, 1);
        uint256[] memory pieces = new uint256[](n);
        vm.startPrank(supplier);
        for (uint256 i = 0; i < n; ++i) {
            pieces[i] = rcv.split(big, supplier2, 1000);
        }
        vm.stopPrank();
        IReceivables.Root memory r = rcv.root(big);
        vm.assertEq(r.pieceCount, n + 1);
        vm.assertEq(pieces[n - 1], big + n);
        vm.assertEq(rcv.voucher(big).value, 1000);
        _skip(91 days);

        vm.startPrank(core);
        uint256 single = _settleGas(small);
        uint256 first = _settleGas(pieces[0]);
        uint256 last = _settleGas(pieces[n - 1]);
        vm.assertLe(_diff(first, single), 200, "first piece of 5,000 costs more than a single-piece root");
        vm.assertLe(_diff(last, first), 200, "last piece costs more than the first");
        for (uint256 i = 1; i < n - 1; ++i) {
            rcv.settle(pieces[i], 0);
        }
        rcv.settle(big, 0);
        vm.stopPrank();
        r = rcv.root(big);
        vm.assertEq(r.settled, r.faceValue);
        vm.assertEq(r.outstanding, 0);
        vm.assertEq(rcv.creditLine(lender, core).outstanding, 0);
        vm.prank(core);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherAlreadySettled.selector, pieces[n - 1]));
        rcv.settle(pieces[n - 1], 0);
    }

    function _settleGas(uint256 id) internal returns (uint256 used) {
        vmx.cool(address(rcv));
        vmx.cool(address(registry));
        uint256 before = gasleft();
        rcv.settle(id, 0);
        used = before - gasleft();
    }

    function _diff(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a - b : b - a;
    }
}

/// @notice Rounding and range at the edges: one minor unit and the largest value each field
/// holds, for vouchers (value, discount rate, days to maturity) and receipts (quantity, expiry day).
contract AttacksRoundingTest is ConsortiumFixture {
    uint64 internal constant MAX_VALUE = type(uint64).max;

    function test_voucher_oneMinorUnit() public {
        uint256 root = _issueVoucher(supplier, 2, 1, 5);
        vm.prank(supplier);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.SplitBelowMinimumDenomination.selector, root, 0, 2, 1));
        rcv.split(root, supplier2, 0);
        vm.prank(supplier);
        uint256 child = rcv.split(root, supplier2, 1);
        vm.prank(supplier2);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.SplitExceedsValue.selector, child, 1, 1));
        rcv.split(child, supplier, 1);
        // Sold at its face of one unit: a zero rate, not a rounding error.
        vm.prank(supplier2);
        rcv.offerDiscount(child, lender, 1);
        vm.prank(lender);
        rcv.acceptDiscount(child, 1, "pay");
        IReceivables.Discount memory d = rcv.discount(child);
        vm.assertEq(d.rateBps, 0);
        vm.assertEq(d.value, 1);
        vm.prank(supplier);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.DiscountPriceOutOfRange.selector, root, 2, 1));
        rcv.offerDiscount(root, lender, 2);
        _skip(90 days);
        vm.startPrank(core);
        rcv.settle(root, 0);
        rcv.settle(child, 0);
        vm.stopPrank();
        vm.assertEq(rcv.root(root).settled, 2);
        vm.assertEq(rcv.creditLine(lender, core).outstanding, 0);
    }

    function test_voucher_maximumValue() public {
        IReceivables.IssueParams memory p = IReceivables.IssueParams({
            holder: supplier,
            lender: lender,
            faceValue: uint128(MAX_VALUE) + 1,
            currency: CNY,
            maturity: uint64(_now() + 90 days),
            document: _document(),
            minDenomination: 1,
            maxDepth: 5
        });
        vm.prank(core);
        vm.expectRevert(
            abi.encodeWithSelector(
                IReceivables.VoucherFaceValueOutOfRange.selector, uint128(MAX_VALUE) + 1, 1, uint128(MAX_VALUE)
            )
        );
        rcv.issue(p);
        uint256 root = _issueVoucher(supplier, MAX_VALUE, 1, 5);
        vm.prank(supplier);
        uint256 child = rcv.split(root, supplier, MAX_VALUE - 1);
        vm.assertEq(rcv.voucher(root).value, 1);
        vm.assertEq(rcv.voucher(child).value, MAX_VALUE - 1);
        vm.prank(supplier);
        rcv.merge(child, root);
        vm.assertEq(rcv.voucher(root).value, MAX_VALUE);

        // The steepest discount on the largest piece, a day before maturity: the rate stays below
        // 360 x 10,000 bps and is rounded down, never up.
        _skip(90 days - 1);
        vm.prank(supplier);
        rcv.offerDiscount(root, lender, 1);
        vm.prank(lender);
        rcv.acceptDiscount(root, 1, "pay");
        IReceivables.Discount memory d = rcv.discount(root);
        vm.assertEq(d.daysToMaturity, 1);
        vm.assertEq(d.rateBps, (uint256(MAX_VALUE - 1) * 360 * 10_000) / uint256(MAX_VALUE));
        vm.assertEq(d.rateBps, 3_599_999);
        _skip(1);
        vm.prank(core);
        rcv.settle(root, 0);
        IReceivables.Root memory r = rcv.root(root);
        vm.assertEq(r.settled, MAX_VALUE);
        vm.assertEq(r.outstanding, 0);
        vm.assertEq(rcv.creditLine(lender, core).outstanding, 0);
    }

    /// A started day counts as a whole day: 1 s, exactly 1 day and 1 day + 1 s before maturity.
    function test_discount_daysToMaturityRoundsUp() public {
        uint256[3] memory before = [uint256(1), 1 days, 1 days + 1];
        uint32[3] memory expectedDays = [uint32(1), 1, 2];
        for (uint256 i = 0; i < 3; ++i) {
            uint256 snap = vmx.snapshotState();
            uint256 root = _issueVoucher(supplier, 1_000_000, 1, 5);
            uint64 maturityAt = rcv.root(root).maturity;
            vm.warp(maturityAt - before[i]);
            vm.prank(supplier);
            rcv.offerDiscount(root, lender, 999_000);
            vm.prank(lender);
            rcv.acceptDiscount(root, 999_000, "pay");
            IReceivables.Discount memory d = rcv.discount(root);
            vm.assertEq(d.daysToMaturity, expectedDays[i]);
            vm.assertEq(d.rateBps, (uint256(1000) * 360 * 10_000) / (uint256(1_000_000) * expectedDays[i]));
            vmx.revertToState(snap);
        }
    }

    function test_receipt_oneMinorUnit() public {
        _attest(LOT, 2);
        vm.prank(warehouse);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.QuantityOutOfRange.selector, 0, MAX_QUANTITY));
        wr.mint(supplier, LOT, AL, 0, 0, DETAILS);
        uint256 id = _mint(supplier, LOT, 2);
        uint256 part = _split(supplier, id, _q(1, 1));
        vm.prank(supplier);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.QuantityOutOfRange.selector, 0, 1));
        wr.split(part, _q(1, 0));
        _deliver(supplier, part, 1);
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.receipted, 1);
        vm.assertEq(l.attested, 1);
        vm.assertEq(l.liveReceipts, 1);
    }

    function test_receipt_maximumQuantity() public {
        vm.prank(inspector);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.QuantityOutOfRange.selector, MAX_QUANTITY + 1, MAX_QUANTITY)
        );
        wr.recordStocktake(warehouse, LOT, AL, KG, DECIMALS, MAX_QUANTITY + 1, EVIDENCE, new uint256[](0));
        uint256 id = _receipt(MAX_QUANTITY);
        uint256 part = _split(supplier, id, _q(MAX_QUANTITY - 1, 1));
        vm.prank(supplier);
        wr.merge(id, part, new bytes32[](0), new bytes32[](0));
        vm.assertEq(wr.receipt(id).quantity, MAX_QUANTITY);
        vm.prank(supplier);
        wr.requestDelivery(id, 1);
        vm.prank(warehouse);
        wr.confirmDelivery(id, new bytes32[](0));
        IWarehouseReceipts.Lot memory l = wr.lot(LOT);
        vm.assertEq(l.receipted, MAX_QUANTITY - 1);
        vm.assertEq(l.attested, MAX_QUANTITY - 1);
        vm.assertEq(wr.receipt(id).quantity, MAX_QUANTITY - 1);
    }

    /// Expiry is kept as a whole UTC day, rounded up; the last representable day is accepted and
    /// the one after refused.
    function test_receipt_expiryDayRounding() public {
        uint256 today = _now() / 1 days;
        uint64[3] memory asked = [uint64((today + 2) * 1 days), uint64((today + 2) * 1 days + 1), uint64(_now() + 1)];
        uint64[3] memory kept = [uint64((today + 2) * 1 days), uint64((today + 3) * 1 days), uint64((today + 1) * 1 days)];
        bytes32[3] memory lots = [keccak256("e0"), keccak256("e1"), keccak256("e2")];
        for (uint256 i = 0; i < 3; ++i) {
            _attest(lots[i], 10);
            vm.prank(warehouse);
            uint256 id = wr.mint(supplier, lots[i], AL, 10, asked[i], DETAILS);
            vm.assertEq(wr.receipt(id).expiresAt, kept[i]);
        }
        uint64 lastDay = uint64((1 << 16) - 1) * 1 days;
        _attest(LOT, 10);
        vm.prank(warehouse);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotInFuture.selector, "expiry", lastDay + 1));
        wr.mint(supplier, LOT, AL, 10, lastDay + 1, DETAILS);
        vm.prank(warehouse);
        uint256 last = wr.mint(supplier, LOT, AL, 10, lastDay, DETAILS);
        vm.assertEq(wr.receipt(last).expiresAt, lastDay);
    }
}
