// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IWarehouseReceipts} from "../../contracts/interfaces/IWarehouseReceipts.sol";
import {WarehouseReceiptsBase} from "./utils/WarehouseReceiptsBase.sol";

/// @notice Liens: pledge request, cancellation, acceptance, release and foreclosure.
contract WarehouseReceiptsPledgeTest is WarehouseReceiptsBase {
    // ================================================================ requestPledge / cancelPledgeRequest

    function test_requestPledge_locksReceiptAndEmits() public {
        uint256 id = _receipt(Q);
        uint64 maturity = uint64(_now() + 90 days);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.PledgeRequested(id, lender, supplier, 1, 5_000_000_00, CNY, LOAN, maturity);
        vm.prank(supplier);
        uint48 seq = wr.requestPledge(id, lender, 5_000_000_00, CNY, LOAN, maturity);

        vm.assertEq(seq, 1);
        IWarehouseReceipts.Lien memory l = wr.lien(id);
        vm.assertEq(l.lender, lender);
        vm.assertEq(l.loanMaturity, maturity);
        vm.assertEq(uint256(l.state), uint256(IWarehouseReceipts.LienState.Requested));
        vm.assertEq(l.requestSeq, 1);
        vm.assertTrue(wr.receipt(id).pledgeLocked);
    }

    function test_RevertWhen_requestPledgeOnExpiredReceipt() public {
        _attest(LOT, Q);
        vm.prank(warehouse);
        uint256 id = wr.mint(supplier, LOT, AL, Q, T0 + 10 days, DETAILS);
        uint64 expiry = wr.receipt(id).expiresAt;
        vm.warp(expiry - 1);
        _requestPledge(supplier, id, lender); // the last second is fine
        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        vm.warp(expiry);
        uint64 maturity = uint64(expiry + 90 days);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.ReceiptExpired.selector, id, expiry));
        vm.prank(supplier);
        wr.requestPledge(id, lender, 1, CNY, LOAN, maturity);
    }

    function test_RevertWhen_requestPledgeMaturityNotInFuture() public {
        uint256 id = _receipt(Q);
        uint64 nowTs = uint64(_now());
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotInFuture.selector, "loan maturity", nowTs));
        vm.prank(supplier);
        wr.requestPledge(id, lender, 1, CNY, LOAN, nowTs);
        uint64 tooFar = uint64(type(uint40).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotInFuture.selector, "loan maturity", tooFar));
        vm.prank(supplier);
        wr.requestPledge(id, lender, 1, CNY, LOAN, tooFar);
        vm.prank(supplier);
        wr.requestPledge(id, lender, 1, CNY, LOAN, type(uint40).max); // the furthest date that fits
    }

    function test_RevertWhen_requestPledgeWhileRequestPending() public {
        uint256 id = _receipt(Q);
        _requestPledge(supplier, id, lender);
        vm.expectRevert(_pending(id, lender));
        _requestPledge(supplier, id, lender2);
    }

    function test_RevertWhen_requestPledgeOnPledgedReceipt() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.expectRevert(_pledged(id, lender));
        _requestPledge(supplier, id, lender2);
        vm.expectRevert(_pledged(id, lender));
        _requestPledge(supplier, id, lender);
    }

    function test_RevertWhen_requestPledgeByNonOwnerOrLocked() public {
        uint256[] memory ids = _threeParts();
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotReceiptOwner.selector, ids[0], lender, supplier));
        _requestPledge(lender, ids[0], lender);
        _freeze(ids[0]);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptIsFrozen.selector, ids[0]));
        _requestPledge(supplier, ids[0], lender);
        _requestDelivery(supplier, ids[1], 1);
        vm.expectRevert(_err(IWarehouseReceipts.DeliveryPending.selector, ids[1]));
        _requestPledge(supplier, ids[1], lender);
        _stocktake(LOT, 1, ids);
        vm.expectRevert(_lotFrozen(LOT));
        _requestPledge(supplier, ids[2], lender);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, 99));
        _requestPledge(supplier, 99, lender);
    }

    function test_RevertWhen_requestPledgeBySuspendedOwner() public {
        uint256 id = _receipt(Q);
        _suspend(supplier);
        vm.expectRevert(_suspended(supplier));
        _requestPledge(supplier, id, lender);
    }

    function test_cancelPledgeRequest_unlocksReceipt() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        vm.expectEmit(true, true, false, true, address(wr));
        emit IWarehouseReceipts.PledgeRequestCancelled(id, lender, seq);
        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        vm.assertEq(uint256(wr.lien(id).state), uint256(IWarehouseReceipts.LienState.None));
        vm.assertFalse(wr.receipt(id).pledgeLocked);
        vm.expectRevert(_err(IWarehouseReceipts.PledgeNotRequested.selector, id));
        vm.prank(lender);
        wr.acceptPledge(id, seq);
        vm.prank(supplier);
        wr.transferFrom(supplier, core, id);
    }

    function test_RevertWhen_cancelPledgeRequestInvalid() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(_err(IWarehouseReceipts.PledgeNotRequested.selector, id));
        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        _requestPledge(supplier, id, lender);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotReceiptOwner.selector, id, lender, supplier));
        vm.prank(lender);
        wr.cancelPledgeRequest(id);
        vm.prank(lender);
        wr.acceptPledge(id, 1);
        vm.expectRevert(_err(IWarehouseReceipts.PledgeNotRequested.selector, id)); // active: only the lender releases
        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptNotFound.selector, 99));
        vm.prank(supplier);
        wr.cancelPledgeRequest(99);
    }

    // ================================================================ acceptPledge

    function test_acceptPledge_activatesLien() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        vm.expectEmit(true, true, false, true, address(wr));
        emit IWarehouseReceipts.PledgeAccepted(id, lender, seq);
        vm.prank(lender);
        wr.acceptPledge(id, seq);
        IWarehouseReceipts.Lien memory l = wr.lien(id);
        vm.assertEq(uint256(l.state), uint256(IWarehouseReceipts.LienState.Active));
        vm.assertEq(l.lender, lender);
        vm.assertTrue(wr.receipt(id).pledgeLocked);
    }

    /// Issue 15, item 4: a judicial freeze ordered after the request stops the acceptance.
    function test_RevertWhen_acceptPledge_receiptFrozenSinceRequest() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        _freeze(id);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptIsFrozen.selector, id));
        vm.prank(lender);
        wr.acceptPledge(id, seq);
    }

    /// Issue 15, item 4: a shortfall freeze after the request stops the acceptance (else the lien
    /// would be on a frozen lot that the shortfall alert never named).
    function test_RevertWhen_acceptPledge_lotFrozenSinceRequest() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        _stocktake(LOT, Q - 1, _ids(id));
        vm.expectRevert(_lotFrozen(LOT));
        vm.prank(lender);
        wr.acceptPledge(id, seq);
    }

    /// Issue 15, item 4: an owner suspended, revoked or with lapsed KYC since the request cannot
    /// have the pledge accepted.
    function test_RevertWhen_acceptPledge_ownerNoLongerActive() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        _suspend(supplier);
        vm.expectRevert(_suspended(supplier));
        vm.prank(lender);
        wr.acceptPledge(id, seq);
        vm.prank(admin);
        registry.revoke(supplier, "fraud");
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberRevoked.selector, supplier, uint64(_now()))
        );
        vm.prank(lender);
        wr.acceptPledge(id, seq);
    }

    /// Issue 15, item 4: a receipt that expired between request and acceptance cannot be accepted.
    function test_RevertWhen_acceptPledge_receiptExpiredSinceRequest() public {
        uint256 id = _receipt(Q);
        uint256 day = _now() / 1 days + 2;
        _setExpiryDay(id, day);
        uint48 seq = _requestPledge(supplier, id, lender);
        _skip(3 days);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.ReceiptExpired.selector, id, uint64(day * 1 days))
        );
        vm.prank(lender);
        wr.acceptPledge(id, seq);
    }

    /// Issue 15, item 5: an inspector of the warehouse's own legal entity cannot attest there.
    function test_RevertWhen_inspectorIsTheWarehousesOwnEntity() public {
        address captive = address(0x2005);
        bytes32 entity = keccak256(bytes("Qingdao Bonded Logistics Warehouse"));
        vm.prank(admin);
        registry.admit(captive, uint8(IParticipantRegistry.Role.Inspector), entity, "Qingdao Inspection", validUntil);
        vm.expectRevert(abi.encodeWithSelector(IParticipantRegistry.SameEntity.selector, captive, warehouse, entity));
        vm.prank(captive);
        wr.recordStocktake(warehouse, LOT, AL, KG, DECIMALS, Q, EVIDENCE, new uint256[](0));
        // At another warehouse it is independent.
        vm.prank(captive);
        wr.recordStocktake(warehouse2, LOT, AL, KG, DECIMALS, Q, EVIDENCE, new uint256[](0));
    }

    function test_RevertWhen_acceptPledgeWithStaleRequestSeq() public {
        uint256 id = _receipt(Q);
        uint48 first = _requestPledge(supplier, id, lender);
        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        uint48 second = _requestPledge(supplier, id, lender); // new terms
        vm.assertEq(second, first + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IWarehouseReceipts.PledgeRequestMismatch.selector, id, second, first)
        );
        vm.prank(lender);
        wr.acceptPledge(id, first);
    }

    function test_RevertWhen_acceptPledgeByAnotherLender() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, id, lender2, lender));
        vm.prank(lender2);
        wr.acceptPledge(id, seq);
    }

    function test_RevertWhen_acceptPledgeNotRequested() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(_err(IWarehouseReceipts.PledgeNotRequested.selector, id));
        vm.prank(lender);
        wr.acceptPledge(id, 1);
        vm.expectRevert(_err(IWarehouseReceipts.PledgeNotRequested.selector, 99));
        vm.prank(lender);
        wr.acceptPledge(99, 1);
    }

    function test_RevertWhen_acceptPledgeTwice() public {
        uint256 id = _receipt(Q);
        uint48 seq = _pledge(supplier, id, lender);
        vm.expectRevert(_pledged(id, lender));
        vm.prank(lender);
        wr.acceptPledge(id, seq);
        vm.expectRevert(_pledged(id, lender));
        vm.prank(lender2);
        wr.acceptPledge(id, seq);
    }

    function test_RevertWhen_acceptPledgeByInactiveOrNonLender() public {
        uint256 id = _receipt(Q);
        uint48 seq = _requestPledge(supplier, id, lender);
        _suspend(lender);
        vm.expectRevert(_suspended(lender));
        vm.prank(lender);
        wr.acceptPledge(id, seq);

        vm.prank(supplier);
        wr.cancelPledgeRequest(id);
        seq = _requestPledge(supplier, id, core);
        vm.expectRevert(_wrongRole(core, _CORE, _LENDER));
        vm.prank(core);
        wr.acceptPledge(id, seq);
    }

    // ================================================================ releasePledge

    function test_releasePledge_unlocksReceipt() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.expectEmit(true, true, false, true, address(wr));
        emit IWarehouseReceipts.PledgeReleased(id, lender);
        vm.prank(lender);
        wr.releasePledge(id);
        vm.assertEq(uint256(wr.lien(id).state), uint256(IWarehouseReceipts.LienState.None));
        vm.assertFalse(wr.receipt(id).pledgeLocked);
        vm.assertEq(_pledge(supplier, id, lender2), 2, "pledge again, next request number");
        vm.assertEq(wr.lien(id).lender, lender2);
    }

    function test_releasePledge_bySuspendedLender() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        _suspend(lender);
        vm.prank(lender);
        wr.releasePledge(id);
        vm.assertFalse(wr.receipt(id).pledgeLocked);
    }

    function test_releasePledge_onFrozenReceiptOrLot() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        _freeze(id);
        _stocktake(LOT, 1, _ids(id));
        vm.prank(lender);
        wr.releasePledge(id);
        vm.assertFalse(wr.receipt(id).pledgeLocked);
    }

    function test_RevertWhen_releasePledgeByNonLienholder() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, id, lender2, lender));
        vm.prank(lender2);
        wr.releasePledge(id);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, id, supplier, lender));
        vm.prank(supplier);
        wr.releasePledge(id);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, id, admin, lender));
        vm.prank(admin);
        wr.releasePledge(id);
    }

    function test_RevertWhen_releasePledgeNotPledged() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(_err(IWarehouseReceipts.NotPledged.selector, id));
        vm.prank(lender);
        wr.releasePledge(id);
        _requestPledge(supplier, id, lender);
        vm.expectRevert(_err(IWarehouseReceipts.NotPledged.selector, id));
        vm.prank(lender);
        wr.releasePledge(id);
    }

    // ================================================================ foreclose

    function test_foreclose_lienholderTakesReceiptAfterMaturityAndGrace() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        uint64 maturity = wr.lien(id).loanMaturity;
        vm.warp(maturity + DEFAULT_GRACE);
        vm.expectEmit(true, true, true, true, address(wr));
        emit Transfer(supplier, lender, id);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.Foreclosed(id, lender, lender, supplier);
        vm.prank(lender);
        wr.foreclose(id, lender);

        IWarehouseReceipts.Receipt memory r = wr.receipt(id);
        vm.assertEq(r.owner, lender);
        vm.assertFalse(r.pledgeLocked);
        vm.assertEq(uint256(wr.lien(id).state), uint256(IWarehouseReceipts.LienState.None));
        vm.prank(lender);
        wr.transferFrom(lender, core, id); // the bank can sell it on
    }

    function test_foreclose_sellsToActiveMember() public {
        uint256 id = _receipt(Q);
        vm.prank(supplier);
        wr.approve(supplier2, id);
        _pledge(supplier, id, lender);
        vm.warp(wr.lien(id).loanMaturity + DEFAULT_GRACE + 1);
        vm.expectEmit(true, true, true, true, address(wr));
        emit IWarehouseReceipts.Foreclosed(id, lender, core, supplier);
        vm.prank(lender);
        wr.foreclose(id, core);
        vm.assertEq(wr.ownerOf(id), core);
        vm.assertEq(wr.getApproved(id), address(0), "the former owner's approval goes with it");
    }

    function test_foreclose_toFormerOwnerOnlyLiftsTheLien() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.warp(wr.lien(id).loanMaturity + DEFAULT_GRACE);
        vm.recordLogs();
        vm.prank(lender);
        wr.foreclose(id, supplier);
        vm.assertEq(vm.getRecordedLogs().length, 1, "Foreclosed only, no Transfer");
        vm.assertEq(wr.ownerOf(id), supplier);
        vm.assertFalse(wr.receipt(id).pledgeLocked);
    }

    function test_RevertWhen_forecloseBeforeMaturityPlusGrace() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        uint64 foreclosableAt = wr.lien(id).loanMaturity + DEFAULT_GRACE;
        vm.warp(foreclosableAt - 1);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.LoanNotMatured.selector, id, foreclosableAt));
        vm.prank(lender);
        wr.foreclose(id, lender);
    }

    function test_foreclose_usesTheConfiguredGrace() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.prank(admin);
        wr.setParameters(DEFAULT_MAX_AGE, 0);
        vm.warp(wr.lien(id).loanMaturity);
        vm.prank(lender);
        wr.foreclose(id, lender);
        vm.assertEq(wr.ownerOf(id), lender);
    }

    function test_RevertWhen_forecloseToNonMember() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.warp(wr.lien(id).loanMaturity + DEFAULT_GRACE);
        vm.expectRevert(_notMember(outsider));
        vm.prank(lender);
        wr.foreclose(id, outsider);
        vm.expectRevert(_notMember(address(0)));
        vm.prank(lender);
        wr.foreclose(id, address(0));
        _suspend(core);
        vm.expectRevert(_suspended(core));
        vm.prank(lender);
        wr.foreclose(id, core);
    }

    function test_RevertWhen_forecloseByNonLienholder() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.warp(wr.lien(id).loanMaturity + DEFAULT_GRACE);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, id, lender2, lender));
        vm.prank(lender2);
        wr.foreclose(id, lender2);
        vm.expectRevert(abi.encodeWithSelector(IWarehouseReceipts.NotLienholder.selector, id, supplier, lender));
        vm.prank(supplier);
        wr.foreclose(id, supplier);
    }

    function test_RevertWhen_forecloseNotPledged() public {
        uint256 id = _receipt(Q);
        vm.expectRevert(_err(IWarehouseReceipts.NotPledged.selector, id));
        vm.prank(lender);
        wr.foreclose(id, lender);
        _requestPledge(supplier, id, lender);
        _skip(200 days);
        vm.expectRevert(_err(IWarehouseReceipts.NotPledged.selector, id));
        vm.prank(lender);
        wr.foreclose(id, lender);
    }

    function test_RevertWhen_forecloseBySuspendedLender() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.warp(wr.lien(id).loanMaturity + DEFAULT_GRACE);
        _suspend(lender);
        vm.expectRevert(_suspended(lender));
        vm.prank(lender);
        wr.foreclose(id, lender);
    }

    function test_RevertWhen_forecloseFrozenReceiptOrLot() public {
        uint256 id = _receipt(Q);
        _pledge(supplier, id, lender);
        vm.warp(wr.lien(id).loanMaturity + DEFAULT_GRACE);
        _freeze(id);
        vm.expectRevert(_err(IWarehouseReceipts.ReceiptIsFrozen.selector, id));
        vm.prank(lender);
        wr.foreclose(id, lender);
        vm.prank(regulator);
        wr.unfreezeReceipt(id, "lifted");
        _stocktake(LOT, 1, _ids(id));
        vm.expectRevert(_lotFrozen(LOT));
        vm.prank(lender);
        wr.foreclose(id, lender);
    }
}
