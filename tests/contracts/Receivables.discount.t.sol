// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IParticipantRegistry} from "../../contracts/interfaces/IParticipantRegistry.sol";
import {IReceivables} from "../../contracts/interfaces/IReceivables.sol";
import {Vm} from "./utils/Vm.sol";
import {ReceivablesFixture} from "./utils/ReceivablesFixture.sol";

/// @notice Discounting a piece to a lender: offer, cancel, accept.
/// {ReceivablesDiscountRegistryFallbackTest} runs them again with the contract off the standing feed.
contract ReceivablesDiscountTest is ReceivablesFixture {
    // ------------------------------------------------------------ discount

    function test_offerDiscount_freezesPieceAndEmits() public {
        uint256 rootId = _issue(FACE);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.DiscountOffered(rootId, rootId, lender, supplier, 98_000_000);
        _offer(rootId, supplier, lender, 98_000_000);
        vm.assertEq(_status(rootId), OFFERED);
        IReceivables.DiscountOffer memory o = receivables.discountOffer(rootId);
        vm.assertEq(o.lender, lender);
        vm.assertEq(o.price, 98_000_000);
    }

    /// Vouchers emit ERC-721's Transfer so that explorers follow them: minted on issue and split,
    /// moved on transfer and discount, burned when merged away or paid. The whole sequence of a
    /// voucher family's life, in order, and nothing else.
    function test_erc721Transfers_followEveryPieceFromMintToBurn() public {
        vm.recordLogs();
        uint256 rootId = _issue(FACE);
        uint256 a = _split(supplier, rootId, supplier2, 30_000_000);
        uint256 b = _split(supplier2, a, supplier3, 10_000_000);
        vm.prank(supplier3);
        receivables.transfer(b, supplier2);
        vm.prank(supplier2);
        receivables.merge(b, a);
        _offer(a, supplier2, lender2, 29_000_000);
        vm.prank(lender2);
        receivables.acceptDiscount(a, 29_000_000, keccak256("wire"));
        vm.warp(maturity);
        vm.startPrank(core);
        receivables.settle(a, keccak256("p1"));
        receivables.settle(rootId, keccak256("p2"));
        vm.stopPrank();

        address[3][9] memory expected = [
            [address(0), supplier, address(uint160(rootId))],
            [address(0), supplier2, address(uint160(a))],
            [address(0), supplier3, address(uint160(b))],
            [supplier3, supplier2, address(uint160(b))],
            [supplier2, address(0), address(uint160(b))], // merged into a
            [supplier2, lender2, address(uint160(a))], // discounted
            [lender2, address(0), address(uint160(a))], // paid
            [supplier, address(0), address(uint160(rootId))], // paid
            [address(0), address(0), address(0)]
        ];
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 transferTopic = keccak256("Transfer(address,address,uint256)");
        uint256 seen = 0;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].emitter != address(receivables) || logs[i].topics[0] != transferTopic) continue;
            vm.assertEq(logs[i].topics.length, 4);
            vm.assertEq(logs[i].data.length, 0);
            vm.assertEq(address(uint160(uint256(logs[i].topics[1]))), expected[seen][0], "from");
            vm.assertEq(address(uint160(uint256(logs[i].topics[2]))), expected[seen][1], "to");
            vm.assertEq(uint256(logs[i].topics[3]), uint256(uint160(expected[seen][2])), "id");
            seen++;
        }
        vm.assertEq(seen, 8);
    }

    function test_erc721Transfer_burnsARedeemedPiece() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        vm.prank(core);
        receivables.fundRoot(rootId, keccak256("p"));
        vm.expectEmit(true, true, true, true);
        emit IReceivables.Transfer(supplier, address(0), rootId);
        vm.prank(supplier2);
        receivables.redeem(rootId);
    }

    function test_acceptDiscount_lenderBecomesHolderAndTermsAreRecorded() public {
        uint256 rootId = _issue(FACE);
        uint256 piece = _split(supplier, rootId, supplier2, 10_000_000);
        // 90 days to maturity, 2% off the face: 0.02 * 360 / 90 = 8.00% a year = 800 bps.
        _offer(piece, supplier2, lender2, 9_800_000);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.VoucherDiscounted(
            rootId, piece, lender2, supplier2, 10_000_000, 9_800_000, 800, 90, keccak256("wire-1")
        );
        vm.prank(lender2);
        receivables.acceptDiscount(piece, 9_800_000, keccak256("wire-1"));

        IReceivables.Voucher memory v = receivables.voucher(piece);
        vm.assertEq(v.holder, lender2);
        vm.assertEq(uint256(v.status), ACTIVE);
        vm.assertEq(v.value, 10_000_000);
        IReceivables.Discount memory d = receivables.discount(piece);
        vm.assertEq(d.lender, lender2);
        vm.assertEq(d.seller, supplier2);
        vm.assertEq(d.value, 10_000_000);
        vm.assertEq(d.price, 9_800_000);
        vm.assertEq(d.rateBps, 800);
        vm.assertEq(d.daysToMaturity, 90);
        vm.assertEq(d.paymentRef, keccak256("wire-1"));
        vm.assertEq(receivables.discountOffer(piece).lender, address(0));

        // The bank may pass it on (rediscount) like any holder.
        vm.prank(lender2);
        receivables.transfer(piece, lender);
        vm.assertEq(receivables.voucher(piece).holder, lender);
    }

    function test_acceptDiscount_startedDayCountsWhole() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE);
        vm.warp(maturity - 1 days - 1);
        vm.prank(lender);
        receivables.acceptDiscount(rootId, FACE, bytes32(0));
        vm.assertEq(receivables.discount(rootId).daysToMaturity, 2);
        vm.assertEq(receivables.discount(rootId).rateBps, 0);
    }

    function test_cancelDiscountOffer_unfreezesPiece() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE - 1);
        vm.expectEmit(true, true, true, true);
        emit IReceivables.DiscountOfferCancelled(rootId, rootId, lender);
        vm.prank(supplier);
        receivables.cancelDiscountOffer(rootId);
        vm.assertEq(_status(rootId), ACTIVE);
        vm.assertEq(receivables.discountOffer(rootId).lender, address(0));
        _split(supplier, rootId, supplier2, 100);
    }

    function test_RevertWhen_offerDiscountPriceOutOfRange() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.DiscountPriceOutOfRange.selector, rootId, 0, FACE));
        _offer(rootId, supplier, lender, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.DiscountPriceOutOfRange.selector, rootId, FACE + 1, FACE)
        );
        _offer(rootId, supplier, lender, FACE + 1);
    }

    function test_RevertWhen_offerDiscountToNonLender() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                supplier2,
                uint8(IParticipantRegistry.Role.Supplier),
                uint8(IParticipantRegistry.Role.Lender)
            )
        );
        _offer(rootId, supplier, supplier2, FACE);
    }

    function test_RevertWhen_offerDiscountByNonHolder() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.NotVoucherHolder.selector, rootId, supplier2, supplier)
        );
        _offer(rootId, supplier2, lender, FACE);
    }

    function test_RevertWhen_offerDiscountTwiceOrWhilePledged() public {
        uint256 rootId = _issue(FACE);
        uint256 other = _split(supplier, rootId, supplier, 1_000);
        _offer(rootId, supplier, lender, FACE / 2);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherOfferedForDiscount.selector, rootId, lender));
        _offer(rootId, supplier, lender2, FACE / 2);
        _pledge(other, supplier, lender2, 1_000);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherPledged.selector, other, lender2));
        _offer(other, supplier, lender, 900);
    }

    function test_RevertWhen_offerDiscountAfterMaturity() public {
        uint256 rootId = _issue(FACE);
        vm.warp(maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherMatured.selector, rootId, maturity));
        _offer(rootId, supplier, lender, FACE);
    }

    function test_RevertWhen_acceptDiscountByOtherLender() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.NotDiscountOfferee.selector, rootId, lender2, lender)
        );
        vm.prank(lender2);
        receivables.acceptDiscount(rootId, FACE - 1, bytes32(0));
    }

    function test_RevertWhen_acceptDiscountByNonLender() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IParticipantRegistry.WrongRole.selector,
                supplier2,
                uint8(IParticipantRegistry.Role.Supplier),
                uint8(IParticipantRegistry.Role.Lender)
            )
        );
        vm.prank(supplier2);
        receivables.acceptDiscount(rootId, FACE - 1, bytes32(0));
    }

    function test_RevertWhen_acceptDiscountAtChangedPrice() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IReceivables.DiscountPriceMismatch.selector, rootId, FACE - 2, FACE - 1)
        );
        vm.prank(lender);
        receivables.acceptDiscount(rootId, FACE - 2, bytes32(0));
    }

    function test_RevertWhen_acceptDiscountWithoutOffer() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(_err(IReceivables.NoDiscountOffer.selector, rootId));
        vm.prank(lender);
        receivables.acceptDiscount(rootId, FACE, bytes32(0));
        vm.expectRevert(_err(IReceivables.VoucherNotFound.selector, rootId + 1));
        vm.prank(lender);
        receivables.acceptDiscount(rootId + 1, FACE, bytes32(0));
    }

    function test_RevertWhen_acceptDiscountAtMaturity() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE - 1);
        vm.warp(maturity);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.VoucherMatured.selector, rootId, maturity));
        vm.prank(lender);
        receivables.acceptDiscount(rootId, FACE - 1, bytes32(0));
    }

    function test_RevertWhen_acceptDiscountFromSuspendedSeller() public {
        uint256 rootId = _issue(FACE);
        _offer(rootId, supplier, lender, FACE - 1);
        _suspend(supplier);
        vm.expectRevert(
            abi.encodeWithSelector(IParticipantRegistry.MemberSuspended.selector, supplier, uint64(block.timestamp))
        );
        vm.prank(lender);
        receivables.acceptDiscount(rootId, FACE - 1, bytes32(0));
    }

    function test_RevertWhen_cancelDiscountOfferWithoutOfferOrByNonHolder() public {
        uint256 rootId = _issue(FACE);
        vm.expectRevert(_err(IReceivables.NoDiscountOffer.selector, rootId));
        vm.prank(supplier);
        receivables.cancelDiscountOffer(rootId);
        _offer(rootId, supplier, lender, FACE - 1);
        vm.expectRevert(abi.encodeWithSelector(IReceivables.NotVoucherHolder.selector, rootId, lender, supplier));
        vm.prank(lender);
        receivables.cancelDiscountOffer(rootId);
    }
}

/// @notice ReceivablesDiscountTest's tests again with the receivables contract off the registry's standing feed:
/// every member check is then the registry's own, and must refuse and allow exactly the same.
contract ReceivablesDiscountRegistryFallbackTest is ReceivablesDiscountTest {
    function setUp() public override {
        super.setUp();
        _leaveStandingFeed();
    }
}
