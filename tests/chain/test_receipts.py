"""Warehouse receipts through the SDK against anvil: the frauds the registry exists to stop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from web3 import Web3

from client import Ledgerhouse
from client._contract_errors import (
    InsufficientStockCover,
    LotAlreadyReceipted,
    LotAtOtherWarehouse,
    LotIsFrozen,
    LotNotAttested,
    MemberSuspended,
    NotAMember,
    NotLienholder,
    NotReceiptOwner,
    ReceiptPledged,
    SerialAlreadyReceipted,
    StocktakeTooOld,
    WrongRole,
)
from client.devnet import dev_account
from client.errors import InvalidInput
from client.receipts import LienState
from tests.conftest import increase_time

AsFactory = Callable[[str], Ledgerhouse]
LOT = "SHFE-AL-2026-000731"  # the goods' own identity (producer batch), not a warehouse-internal number
IN_90_DAYS = (datetime.now(UTC) + timedelta(days=90)).date()


def addr(name: str) -> str:
    return dev_account(name).address


def attest(as_: AsFactory, lot: str = LOT, quantity: str = "300.000", warehouse: str = "warehouse1") -> None:
    as_("inspector1").receipts.stocktake(
        addr(warehouse),
        lot,
        commodity="AL-A00",
        quantity=quantity,
        unit="t",
        decimals=3,
        evidence=b"\x01" * 32,
    )


def mint(as_: AsFactory, quantity: str = "300.000", lot: str = LOT, to: str = "supplier1") -> int:
    return as_("warehouse1").receipts.mint(addr(to), lot, commodity="AL-A00", quantity=quantity).receipt_id


def test_qingdao_pattern_second_and_third_receipt_on_the_same_metal_are_refused(as_: AsFactory) -> None:
    attest(as_)
    first = mint(as_)
    assert as_("bank1").receipts.receipt(first).quantity == Decimal("300.000")
    with pytest.raises(LotAlreadyReceipted, match=r"already backs a live receipt for 300000 base units"):
        mint(as_, quantity="100.000")
    with pytest.raises(LotAtOtherWarehouse) as elsewhere:
        as_("warehouse2").receipts.mint(
            addr("supplier2"), LOT, commodity="AL-A00", quantity="300", decimals=3
        )
    assert elsewhere.value.warehouse == addr("warehouse1")
    # Nor can an inspector "move" live goods to another warehouse's books.
    with pytest.raises(LotAtOtherWarehouse):
        attest(as_, warehouse="warehouse2")


def test_mint_with_a_unit_checks_it_against_the_attested_lot(as_: AsFactory) -> None:
    """The unit on the warehouse's paperwork must be the lot's attested unit (the SDK checks it,
    as the CLI's `warehouse mint --unit` did on its own before)."""
    warehouse = as_("warehouse1").receipts
    with pytest.raises(InvalidInput, match="has never been attested by an inspector"):
        warehouse.mint(addr("supplier1"), LOT, commodity="AL-A00", quantity="1", unit="t")
    attest(as_)
    with pytest.raises(InvalidInput, match=f"lot {LOT} is attested in 't', not 'kg'"):
        warehouse.mint(addr("supplier1"), LOT, commodity="AL-A00", quantity="1", unit="kg")
    assert as_("auditor1").receipts.lot(LOT).receipted == 0  # nothing was sent
    minted = warehouse.mint(addr("supplier1"), LOT, commodity="AL-A00", quantity="300.000", unit="t")
    assert as_("auditor1").receipts.receipt(minted.receipt_id).quantity == Decimal("300.000")


def test_qingdao_pattern_the_same_receipt_pledged_to_a_second_bank_is_refused(as_: AsFactory) -> None:
    attest(as_)
    receipt_id = mint(as_)
    owner = as_("supplier1").receipts
    _, seq = owner.request_pledge(
        receipt_id, addr("bank1"), amount="1500000.00", currency="CNY", maturity=IN_90_DAYS
    )
    as_("bank1").receipts.accept_pledge(receipt_id, seq)
    with pytest.raises(ReceiptPledged) as caught:
        owner.request_pledge(
            receipt_id, addr("bank2"), amount="900000.00", currency="CNY", maturity=IN_90_DAYS
        )
    assert caught.value.lienholder == addr("bank1")
    assert "(bank1)" in str(caught.value)
    with pytest.raises(ReceiptPledged):
        as_("bank2").receipts.accept_pledge(receipt_id, seq)
    with pytest.raises(ReceiptPledged):
        owner.transfer(receipt_id, addr("supplier2"))
    lien = as_("auditor1").receipts.lien(receipt_id)
    assert (lien.state, lien.lender, lien.secured_amount, lien.currency) == (
        LienState.ACTIVE,
        addr("bank1"),
        Decimal("1500000.00"),
        "CNY",
    )


def test_receipt_for_goods_no_inspector_attested_is_refused(as_: AsFactory) -> None:
    with pytest.raises(InvalidInput, match="has never been attested"):
        mint(as_, lot="GHOST-STEEL-1")
    # Even bypassing the SDK's own check, the chain refuses it.
    with pytest.raises(LotNotAttested):
        as_("warehouse1").receipts.mint(
            addr("supplier1"), "GHOST-STEEL-1", commodity="AL-A00", quantity=1, decimals=0
        )


def test_cover_and_stale_stocktake_and_roles(as_: AsFactory, w3: Web3) -> None:
    attest(as_, quantity="100")
    with pytest.raises(InsufficientStockCover):
        mint(as_, quantity="100.001")
    with pytest.raises(WrongRole):
        as_("supplier1").receipts.stocktake(addr("warehouse1"), "X", commodity="C", quantity=1, unit="t")
    with pytest.raises(WrongRole):
        as_("bank1").receipts.mint(addr("supplier1"), LOT, commodity="AL-A00", quantity="1")
    increase_time(w3, 31 * 86_400)
    with pytest.raises(StocktakeTooOld):
        mint(as_, quantity="50")


def test_shortfall_freezes_the_lot_and_names_every_exposed_lender(as_: AsFactory) -> None:
    attest(as_)
    receipt_id = mint(as_)
    _, (*parts, unpledged) = as_("supplier1").receipts.split(receipt_id, ["200.000", "90.000", "10.000"])
    owner = as_("supplier1").receipts
    for part, bank in zip(parts, ("bank1", "bank2"), strict=True):
        _, seq = owner.request_pledge(part, addr(bank), amount="500000", currency="CNY", maturity=IN_90_DAYS)
        as_(bank).receipts.accept_pledge(part, seq)

    tx = as_("inspector1").receipts.stocktake(
        addr("warehouse1"), LOT, commodity="AL-A00", quantity="120.000", unit="t", decimals=3
    )
    alert = as_("auditor1").receipts.events_in(tx, "StockShortfall")[0]["args"]
    assert alert["warehouse"] == addr("warehouse1")
    assert alert["shortfall"] == 180_000
    assert sorted(alert["lenders"]) == sorted([addr("bank1"), addr("bank2")])
    assert list(alert["pledgedReceipts"]) == parts
    assert as_("auditor1").receipts.lot(LOT).frozen
    with pytest.raises(LotIsFrozen):
        owner.transfer(unpledged, addr("supplier2"))

    report = as_("bank2").receipts.check(parts[1])
    assert not report.safe_to_lend
    assert any("stock cover short" in f for f in report.findings)

    attest(as_, quantity="300.000")  # goods found again: a covering stocktake unfreezes
    assert not as_("auditor1").receipts.lot(LOT).frozen


def test_transfer_only_between_active_members(as_: AsFactory) -> None:
    attest(as_)
    receipt_id = mint(as_)
    with pytest.raises(NotAMember):
        as_("supplier1").receipts.transfer(receipt_id, "0x000000000000000000000000000000000000dEaD")
    with pytest.raises(NotReceiptOwner):
        as_("supplier2").receipts.split(receipt_id, ["1", "299"])
    as_("admin").participants.suspend(addr("supplier2"), reason="KYC review")
    with pytest.raises(MemberSuspended):
        as_("supplier1").receipts.transfer(receipt_id, addr("supplier2"))
    as_("supplier1").receipts.transfer(receipt_id, addr("supplier3"))
    assert as_("auditor1").receipts.receipt(receipt_id).owner == addr("supplier3")


def test_split_merge_and_partial_delivery_conserve_quantity(as_: AsFactory) -> None:
    attest(as_)
    receipt_id = mint(as_)
    owner = as_("supplier1").receipts
    _, (a, b, c) = owner.split(receipt_id, ["100", "150.5", "49.5"])
    owner.merge(a, c)
    assert owner.receipt(a).quantity == Decimal("149.5")
    assert as_("warehouse1").receipts.delivery_request(b) is None
    owner.request_delivery(b, "50.5")
    assert as_("warehouse1").receipts.delivery_request(b) == Decimal("50.5")
    as_("warehouse1").receipts.confirm_delivery(b)
    assert owner.receipt(b).quantity == Decimal("100")
    assert as_("warehouse1").receipts.delivery_request(b) is None
    lot = owner.lot(LOT)
    assert (lot.receipted, lot.live_receipts) == (Decimal("249.5"), 2)
    assert owner.live_receipts(LOT) == [a, b]
    history = [e.name for e in owner.history(b)]
    assert history[:2] == ["Transfer", "ReceiptMinted"]  # inherited from the parent it was split from
    assert "ReceiptSplit" in history and history[-1] == "Delivered"


def test_pledge_release_and_foreclosure(as_: AsFactory, w3: Web3) -> None:
    attest(as_)
    receipt_id = mint(as_)
    owner = as_("supplier1").receipts
    _, seq = owner.request_pledge(receipt_id, addr("bank1"), amount="10", currency="CNY", maturity=IN_90_DAYS)
    as_("bank1").receipts.accept_pledge(receipt_id, seq)
    with pytest.raises(NotLienholder):
        as_("bank2").receipts.release_pledge(receipt_id)
    as_("bank1").receipts.release_pledge(receipt_id)
    _, seq = owner.request_pledge(receipt_id, addr("bank1"), amount="10", currency="CNY", maturity=IN_90_DAYS)
    as_("bank1").receipts.accept_pledge(receipt_id, seq)
    increase_time(w3, 98 * 86_400)  # maturity + 7-day grace
    as_("bank1").receipts.foreclose(receipt_id, addr("supplier3"))
    view = as_("auditor1").receipts.receipt(receipt_id)
    assert view.owner == addr("supplier3") and not view.pledge_locked
    assert "Foreclosed" in [e.name for e in owner.history(receipt_id)]


def test_serials_back_one_lot_only(as_: AsFactory) -> None:
    attest(as_, lot="COILS-A", quantity="50")
    attest(as_, lot="COILS-B", quantity="50")
    wh = as_("warehouse1").receipts
    wh.mint(addr("supplier1"), "COILS-A", commodity="AL-A00", quantity="20", items=["COIL-001", "COIL-002"])
    with pytest.raises(SerialAlreadyReceipted):
        wh.mint(
            addr("supplier1"), "COILS-B", commodity="AL-A00", quantity="20", items=["COIL-002", "COIL-003"]
        )


def test_check_reports_a_clean_receipt_as_safe(as_: AsFactory) -> None:
    attest(as_)
    receipt_id = mint(as_)
    report = as_("bank1").receipts.check(receipt_id)
    assert report.safe_to_lend, report.findings
    assert report.genuine and report.minted_by == addr("warehouse1")
    assert report.warehouse_active and report.warehouse_name == "Qingdao Bonded Logistics Warehouse"
    assert report.lot is not None and report.lot.attested == Decimal("300.000")
    assert [e.name for e in report.history] == ["Transfer", "ReceiptMinted"]
    assert report.to_json()["stock_cover"]["covered"] is True
    missing = as_("bank1").receipts.check(9_999)
    assert not missing.exists and not missing.safe_to_lend


# ---------------------------------------------------------------- same-block ordering (issue 15)


def _automine(w3: Web3, on: bool) -> None:
    w3.provider.make_request("evm_setAutomine", [on])  # type: ignore[arg-type]


def test_a_holders_same_block_split_cannot_dodge_the_shortfall_freeze(as_: AsFactory, w3: Web3) -> None:
    """The holder's split, ordered before the inspector's stocktake in one block, used to make the
    stocktake revert (LiveReceiptListIncomplete): the lot stayed unfrozen and the short goods could
    be pledged again. Now the lot is frozen whatever the holder does in the same block."""
    attest(as_)
    receipt_id = mint(as_)
    holder, inspector = as_("supplier1").receipts, as_("inspector1").receipts
    # The inspector's SDK lists the live receipts ([receipt_id]) before the holder's split lands.
    stocktake = inspector.stocktake_call(
        addr("warehouse1"), LOT, commodity="AL-A00", quantity="200.000", unit="t", decimals=3
    )
    split = holder.contract.functions.split(receipt_id, [100_000, 200_000])
    _automine(w3, False)
    try:
        front_run = holder.signer.submit(split)
        shortfall = inspector.signer.submit(stocktake)
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        _automine(w3, True)
    split_tx = holder.signer.wait(front_run)
    stocktake_tx = inspector.signer.wait(shortfall)
    assert split_tx.block_number == stocktake_tx.block_number, "both in one block"
    assert split_tx.receipt["transactionIndex"] < stocktake_tx.receipt["transactionIndex"], "the split first"

    lot = as_("bank1").receipts.lot(LOT)
    assert lot.frozen and lot.live_receipts == 2
    new_id = int(holder.events_in(split_tx, "ReceiptSplit")[0]["args"]["firstNewId"])
    for part in (receipt_id, new_id):
        assert holder.receipt(part).frozen
        with pytest.raises(LotIsFrozen):
            holder.request_pledge(part, addr("bank2"), amount="1000.00", currency="CNY", maturity=IN_90_DAYS)
        with pytest.raises(LotIsFrozen):
            holder.transfer(part, addr("supplier2"))


def test_a_mined_transaction_that_reverted_raises_the_typed_error(as_: AsFactory, w3: Web3) -> None:
    """A transaction that passed simulation but reverted when mined (an earlier transaction of the
    same block changed the state) raises the same typed error a simulation would, not a bare
    `TransactionFailed ... failed in block N`."""
    attest(as_)
    receipt_id = mint(as_)
    holder = as_("supplier1").receipts
    maturity = int(w3.eth.get_block("latest")["timestamp"]) + 90 * 86_400
    transfer = holder.contract.functions.transferFrom(addr("supplier1"), addr("supplier2"), receipt_id)
    pledge = holder.contract.functions.requestPledge(
        receipt_id, addr("bank1"), 100, b"CNY", b"\0" * 32, maturity
    )
    _automine(w3, False)
    try:
        moved = holder.signer.submit(transfer)
        stale = holder.signer.submit(pledge)  # simulated while supplier1 still owned it
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        _automine(w3, True)
    holder.signer.wait(moved)
    with pytest.raises(NotReceiptOwner) as refused:
        holder.signer.wait(stale)
    assert refused.value.owner == addr("supplier2")


def test_a_mined_revert_is_decoded_without_a_tracer_too(
    as_: AsFactory, w3: Web3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a node without debug_traceTransaction the call is replayed; the state before the block
    does not show a same-block cause, so the state after it is asked as well."""
    attest(as_)
    receipt_id = mint(as_)
    holder = as_("supplier1").receipts
    monkeypatch.setattr(type(holder.signer), "_traced_revert_data", lambda self, tx_hash: None)
    transfer = holder.contract.functions.transferFrom(addr("supplier1"), addr("supplier2"), receipt_id)
    split = holder.contract.functions.split(receipt_id, [100_000, 200_000])
    _automine(w3, False)
    try:
        moved = holder.signer.submit(transfer)
        stale = holder.signer.submit(split)
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        _automine(w3, True)
    holder.signer.wait(moved)
    with pytest.raises(NotReceiptOwner):
        holder.signer.wait(stale)
