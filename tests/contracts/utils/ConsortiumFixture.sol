// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Receivables} from "../../../contracts/Receivables.sol";
import {IReceivables} from "../../../contracts/interfaces/IReceivables.sol";
import {IWarehouseReceipts} from "../../../contracts/interfaces/IWarehouseReceipts.sol";
import {ReceiptsFixture} from "./ReceiptsFixture.sol";
import {VmExtra} from "./VmExtra.sol";

/// @notice {ReceiptsFixture}'s consortium with the receivables contract beside the receipts, a CNY
/// credit line from `lender` to `core`, and the consistency checks the attack suites share.
abstract contract ConsortiumFixture is ReceiptsFixture {
    VmExtra internal constant vmx = VmExtra(address(uint160(uint256(keccak256("hevm cheat code")))));

    Receivables internal rcv;
    uint32 internal constant VOUCHER_GRACE = 30 days;
    uint256 private _documentNonce;

    function setUp() public virtual override {
        super.setUp();
        rcv = new Receivables(registry, VOUCHER_GRACE);
        // On the standing feed as `ledgerhouse deploy` leaves it; the members admitted before it
        // was subscribed are pushed with syncMembers.
        vm.startPrank(admin);
        registry.addSubscriber(address(rcv));
        registry.syncMembers(0, registry.memberCount());
        vm.stopPrank();
        vm.prank(lender);
        rcv.setCreditLine(core, type(uint128).max, CNY, uint64(_now() + 365 days));
        vm.label(address(rcv), "Receivables");
    }

    function _document() internal returns (bytes32) {
        return keccak256(abi.encode("invoice", ++_documentNonce));
    }

    function _issueVoucher(address holder, uint128 face, uint128 minDenomination, uint8 maxDepth)
        internal
        returns (uint256 rootId)
    {
        IReceivables.IssueParams memory p = IReceivables.IssueParams({
            holder: holder,
            lender: lender,
            faceValue: face,
            currency: CNY,
            maturity: uint64(_now() + 90 days),
            document: _document(),
            minDenomination: minDenomination,
            maxDepth: maxDepth
        });
        vm.prank(core);
        rootId = rcv.issue(p);
    }

    /// @dev Every receipt id issued so far that still exists.
    function _existingReceipts() internal view returns (uint256[] memory ids) {
        (,,, uint256 next) = wr.parameters();
        ids = new uint256[](next);
        uint256 n = 0;
        for (uint256 id = 1; id < next; ++id) {
            try wr.receipt(id) returns (IWarehouseReceipts.Receipt memory) {
                ids[n++] = id;
            } catch {}
        }
        assembly ("memory-safe") {
            mstore(ids, n)
        }
    }

    /// @dev The books of `lotId` agree with its receipts: receipted is the sum of the live receipts'
    /// quantities and is covered by the count, the live count is exact, every receipt's owner is the
    /// ERC-721 owner, and balances over `holders` add up to the receipts they hold.
    function _assertLotConsistent(bytes32 lotId, address[] memory holders) internal view {
        uint256[] memory ids = _existingReceipts();
        IWarehouseReceipts.Lot memory l = wr.lot(lotId);
        uint256 sum = 0;
        uint256 count = 0;
        for (uint256 i = 0; i < ids.length; ++i) {
            IWarehouseReceipts.Receipt memory r = wr.receipt(ids[i]);
            vm.assertEq(r.owner, wr.ownerOf(ids[i]), "receipt owner != ERC-721 owner");
            if (r.lotId != lotId) continue;
            sum += r.quantity;
            ++count;
        }
        vm.assertEq(l.receipted, sum, "receipted != sum of live receipts");
        vm.assertEq(l.liveReceipts, count, "live receipt count");
        if (!l.frozen) vm.assertLe(l.receipted, l.attested, "receipted above attested");
        uint256 balances = 0;
        for (uint256 i = 0; i < holders.length; ++i) {
            balances += wr.balanceOf(holders[i]);
        }
        vm.assertEq(balances, ids.length, "balances != receipts");
    }
}
