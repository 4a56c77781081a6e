"""Chain-only audits through the SDK against anvil: scripted histories read back exactly."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from web3 import Web3

from client import Ledgerhouse
from client._encoding import commitment
from client.audit import (
    ReceiptAudit,
    SumCheck,
    TreeDoesNotClose,
    VoucherAudit,
    audit_exposure,
    audit_receipt,
    audit_voucher,
    audit_warehouse,
)
from client.devnet import dev_account
from client.errors import InvalidInput
from client.identifiers import identifier_commitment
from client.receivables import VoucherStatus
from tests.conftest import increase_time

AsFactory = Callable[[str], Ledgerhouse]
DAY = 86_400


def addr(name: str) -> str:
    return dev_account(name).address


def chain_day(w3: Web3, days: int) -> date:
    """A date `days` after the chain's own clock (other tests may have moved it forward)."""
    now = int(w3.eth.get_block("latest")["timestamp"])
    return (datetime.fromtimestamp(now, UTC) + timedelta(days=days)).date()


def attest(as_: AsFactory, lot: str, quantity: str, warehouse: str = "warehouse1") -> None:
    as_("inspector1").receipts.stocktake(
        addr(warehouse), lot, commodity="AL-A00", quantity=quantity, unit="t", decimals=3
    )


def mint(
    as_: AsFactory, lot: str, quantity: str, to: str = "supplier1", warehouse: str = "warehouse1"
) -> int:
    return as_(warehouse).receipts.mint(addr(to), lot, commodity="AL-A00", quantity=quantity).receipt_id


def rows(report: ReceiptAudit) -> list[tuple[str, int, str, str | None, str | None, str | None, str | None]]:
    """What an auditor reads off each entry: event, receipt, scope, parties, quantity, amount."""
    return [
        (
            e.event,
            e.receipt_id,
            e.scope,
            e.by,
            e.counterparty,
            str(e.quantity) if e.quantity is not None else None,
            str(e.amount) if e.amount is not None else None,
        )
        for e in report.history
    ]


def test_receipt_history_is_the_scripted_life_in_order(as_: AsFactory, w3: Web3) -> None:
    due = chain_day(w3, 90)
    attest(as_, "LIFE-LOT", "300")
    rid = mint(as_, "LIFE-LOT", "300")
    s1, s2, s3 = (as_(n).receipts for n in ("supplier1", "supplier2", "supplier3"))
    s1.transfer(rid, addr("supplier2"))
    s2.request_pledge(rid, addr("bank1"), amount="1000.00", currency="CNY", maturity=due)
    s2.cancel_pledge_request(rid)
    s2.request_pledge(rid, addr("bank2"), amount="2500.50", currency="CNY", maturity=due)
    as_("bank2").receipts.accept_pledge(rid)
    as_("bank2").receipts.release_pledge(rid)
    as_("regulator1").receipts.freeze(rid, "court order 77")
    as_("regulator1").receipts.unfreeze(rid, "order lifted")
    _, (kept, part, extra) = s2.split(rid, ["100", "150", "50"])
    s2.merge(kept, extra)
    s2.transfer(part, addr("supplier3"))
    s3.request_delivery(part, "40")
    s3.signer.transact(s3.contract.functions.cancelDeliveryRequest(part))
    s3.request_delivery(part, "40")
    as_("warehouse1").receipts.confirm_delivery(part)

    s1a, s2a, s3a, wh, b1, b2, reg = (
        addr(n) for n in ("supplier1", "supplier2", "supplier3", "warehouse1", "bank1", "bank2", "regulator1")
    )
    before_split = [
        ("ReceiptMinted", rid, "inherited", wh, s1a, "300.000", None),
        ("Transfer", rid, "inherited", s1a, s2a, "300.000", None),
        ("PledgeRequested", rid, "inherited", s2a, b1, None, "1000.00"),
        ("PledgeRequestCancelled", rid, "inherited", s2a, b1, None, "1000.00"),
        ("PledgeRequested", rid, "inherited", s2a, b2, None, "2500.50"),
        ("PledgeAccepted", rid, "inherited", b2, s2a, None, "2500.50"),
        ("PledgeReleased", rid, "inherited", b2, s2a, None, None),
        ("ReceiptFreezeOrdered", rid, "inherited", reg, None, None, None),
        ("ReceiptFreezeLifted", rid, "inherited", reg, None, None, None),
        ("ReceiptSplit", rid, "inherited", s2a, None, "100.000", None),
    ]
    auditor = as_("auditor1")
    report = audit_receipt(auditor, part)
    assert rows(report) == [
        *before_split,
        ("Transfer", part, "receipt", s2a, s3a, "150.000", None),
        ("DeliveryRequested", part, "receipt", s3a, wh, "40.000", None),
        ("DeliveryRequestCancelled", part, "receipt", s3a, None, None, None),
        ("DeliveryRequested", part, "receipt", s3a, wh, "40.000", None),
        ("Delivered", part, "receipt", wh, s3a, "40.000", None),
    ]
    assert report.split_from == [rid] and report.minted_by == wh
    assert report.stocktake is not None and report.stocktake.attested == Decimal("300.000")
    assert report.stocktake.by == addr("inspector1") and report.stocktake.block < report.minted_at_block
    assert (report.state.status, report.state.owner, report.state.quantity) == (
        "live",
        s3a,
        Decimal("110.000"),
    )
    assert report.findings == []
    assert report.history[-6].detail == (
        f"split into receipt {rid}: 100.000 t, receipt {part}: 150.000 t, receipt {extra}: 50.000 t"
    )
    assert all(e.time.tzinfo is UTC and e.tx_hash.startswith("0x") for e in report.history)

    whole = audit_receipt(auditor, rid)
    assert [r[0] for r in rows(whole)][-2:] == ["ReceiptSplit", "ReceiptsMerged"]
    assert all(r[2] == "receipt" for r in rows(whole))
    assert (whole.state.quantity, whole.state.owner) == (Decimal("150.000"), s2a)

    gone = audit_receipt(auditor, extra)
    assert rows(gone)[-1] == ("ReceiptsMerged", extra, "receipt", s2a, None, "150.000", None)
    assert (gone.state.exists, gone.state.status, gone.state.merged_into) == (False, "merged", rid)
    assert gone.findings == []


def test_foreclosure_and_a_shortfall_on_the_lot_are_in_the_history(as_: AsFactory, w3: Web3) -> None:
    attest(as_, "FORECLOSE-LOT", "100")
    rid = mint(as_, "FORECLOSE-LOT", "100")
    as_("supplier1").receipts.request_pledge(
        rid, addr("bank1"), amount="50000.00", currency="CNY", maturity=chain_day(w3, 2)
    )
    as_("bank1").receipts.accept_pledge(rid)
    attest(as_, "FORECLOSE-LOT", "60")  # 40 t missing: the lot freezes and bank1 is named
    frozen = audit_receipt(as_("auditor1"), rid)
    assert frozen.state.status == "lot-frozen" and frozen.state.lot_frozen
    attest(as_, "FORECLOSE-LOT", "100")  # found again: the lot unfreezes
    increase_time(w3, 10 * DAY)  # loan maturity plus the 7-day grace
    as_("bank1").receipts.foreclose(rid)

    report = audit_receipt(as_("auditor1"), rid)
    s1, b1, insp = addr("supplier1"), addr("bank1"), addr("inspector1")
    assert rows(report) == [
        ("ReceiptMinted", rid, "receipt", addr("warehouse1"), s1, "100.000", None),
        ("PledgeRequested", rid, "receipt", s1, b1, None, "50000.00"),
        ("PledgeAccepted", rid, "receipt", b1, s1, None, "50000.00"),
        ("StockShortfall", rid, "lot", insp, None, "40.000", None),
        ("LotUnfrozen", rid, "lot", insp, None, None, None),
        ("Foreclosed", rid, "receipt", b1, b1, "100.000", None),
    ]
    assert f"lenders alerted: {b1}" in report.history[3].detail
    assert (report.state.owner, report.state.status, report.state.lien) == (b1, "live", None)


def test_at_block_reads_the_state_and_history_as_they_were(as_: AsFactory, w3: Web3) -> None:
    attest(as_, "AT-BLOCK-LOT", "80")
    before_mint = w3.eth.block_number
    rid = mint(as_, "AT-BLOCK-LOT", "80")
    as_("supplier1").receipts.request_pledge(
        rid, addr("bank1"), amount="7000.00", currency="CNY", maturity=chain_day(w3, 60)
    )
    as_("bank1").receipts.accept_pledge(rid)
    pledged_at = w3.eth.block_number
    as_("bank1").receipts.release_pledge(rid)
    as_("supplier1").receipts.transfer(rid, addr("supplier2"))
    as_("supplier2").receipts.split(rid, ["30", "50"])

    auditor = as_("auditor1")
    then, now = audit_receipt(auditor, rid, at_block=pledged_at), audit_receipt(auditor, rid)
    assert then.at_block == pledged_at and now.at_block > pledged_at
    assert then.history == [e for e in now.history if e.block <= pledged_at]
    assert [e.event for e in then.history] == ["ReceiptMinted", "PledgeRequested", "PledgeAccepted"]
    assert (then.state.owner, then.state.quantity, then.state.status) == (
        addr("supplier1"),
        Decimal("80.000"),
        "pledged",
    )
    assert then.state.lien is not None
    assert (then.state.lien.lender, then.state.lien.secured_amount) == (addr("bank1"), Decimal("7000.00"))
    assert (now.state.owner, now.state.quantity, now.state.lien) == (
        addr("supplier2"),
        Decimal("30.000"),
        None,
    )
    with pytest.raises(InvalidInput, match=rf"receipt {rid} was never minted .* up to block {before_mint}\)"):
        audit_receipt(auditor, rid, at_block=before_mint)
    with pytest.raises(InvalidInput, match="beyond the chain head"):
        audit_receipt(auditor, rid, at_block=w3.eth.block_number + 1)


def build_voucher_tree(as_: AsFactory, w3: Web3) -> tuple[dict[str, int], int]:
    """A root down two tiers, merged, discounted, pledged; returns the ids and the block before payment."""
    maturity = chain_day(w3, 30)
    as_("bank1").receivables.set_credit_line(
        addr("core1"), limit="5000000.00", currency="CNY", expires=chain_day(w3, 365)
    )
    _, root = as_("core1").receivables.issue(
        addr("supplier1"),
        amount="1000000.00",
        currency="CNY",
        maturity=maturity,
        document=commitment("INV-A1"),
    )
    s1, s2, s3 = (as_(n).receivables for n in ("supplier1", "supplier2", "supplier3"))
    _, t1 = s1.split(root, addr("supplier2"), "400000.00")
    _, t2 = s2.split(t1, addr("supplier3"), "150000.00")
    _, t1b = s2.split(t1, addr("supplier2"), "50000.00")
    s2.merge(t1, t1b)
    s3.offer_discount(t2, addr("bank2"), "147000.00")
    as_("bank2").receivables.accept_discount(t2, payment_ref="BANK2-PAY-1")
    _, p = s1.split(root, addr("supplier1"), "100000.00")
    s1.request_pledge(p, addr("bank1"), amount="80000.00", maturity=chain_day(w3, 20), loan_ref="LOAN-9")
    as_("bank1").receivables.accept_pledge(p)
    return {"root": root, "t1": t1, "t2": t2, "t1b": t1b, "p": p}, w3.eth.block_number


def test_voucher_tree_closes_through_discount_pledge_settlement_and_redemption(
    as_: AsFactory, w3: Web3
) -> None:
    ids, before_payment = build_voucher_tree(as_, w3)
    increase_time(w3, 31 * DAY)
    core = as_("core1").receivables
    core.settle(ids["p"], payment_ref="CORE1-PAY-P")  # pledged: the lien is discharged by payment
    core.fund_root(ids["root"], payment_ref="CORE1-FUND")
    as_("bank2").receivables.redeem(ids["t2"])

    auditor = as_("auditor1")
    report = audit_voucher(auditor, ids["t2"])
    assert report.closes and report.checks and all(c.ok for c in report.checks)
    assert (report.face_value, report.live_total, report.paid_total) == (
        Decimal("1000000.00"),
        Decimal("750000.00"),
        Decimal("250000.00"),
    )
    assert report.ancestors == [ids["t1"], ids["root"]] and report.descendants == []
    assert report.funded and report.obligor == addr("core1") and report.lender == addr("bank1")
    piece = {p.voucher_id: p for p in report.pieces}
    assert [p.voucher_id for p in report.pieces] == [ids[k] for k in ("root", "t1", "t2", "t1b", "p")]
    assert {p.voucher_id: p.relation for p in report.pieces} == {
        ids["root"]: "root",
        ids["t1"]: "ancestor",
        ids["t2"]: "self",
        ids["t1b"]: "other",
        ids["p"]: "other",
    }
    t2, t1, t1b, p = piece[ids["t2"]], piece[ids["t1"]], piece[ids["t1b"]], piece[ids["p"]]
    assert t2.discount is not None and t2.settlement is not None
    assert (t2.discount.seller, t2.discount.lender, t2.discount.price) == (
        addr("supplier3"),
        addr("bank2"),
        Decimal("147000.00"),
    )
    assert (t2.holder, t2.status, t2.tier, t2.settlement.kind) == (
        addr("bank2"),
        VoucherStatus.SETTLED,
        2,
        "redeemed",
    )
    # merging took the deeper tier of the two
    assert (t1.value, t1.tier, t1.status) == (Decimal("250000.00"), 2, VoucherStatus.ACTIVE)
    assert (t1b.value, t1b.status, t1b.parent_id) == (Decimal("0.00"), VoucherStatus.MERGED, ids["t1"])
    assert p.pledge is not None and p.settlement is not None
    assert (p.pledge.lender, p.pledge.secured_amount, p.pledge.state) == (
        addr("bank1"),
        Decimal("80000.00"),
        "discharged",
    )
    assert (p.settlement.kind, p.settlement.payer, p.settlement.lienholder) == (
        "settled",
        addr("core1"),
        addr("bank1"),
    )
    assert [e.event for e in report.history][-3:] == ["VoucherSettled", "RootFunded", "VoucherRedeemed"]

    of_t1 = audit_voucher(auditor, ids["t1"])
    assert of_t1.descendants == [ids["t2"], ids["t1b"]] and of_t1.ancestors == [ids["root"]]

    then = audit_voucher(auditor, ids["root"], at_block=before_payment)
    assert then.closes and then.paid_total == Decimal("0.00") and then.live_total == Decimal("1000000.00")
    assert not then.funded and all(p.settlement is None for p in then.pieces)
    assert then.history == [e for e in report.history if e.block <= before_payment]


def test_a_tree_that_does_not_close_is_an_error(as_: AsFactory, w3: Web3) -> None:
    ids, _ = build_voucher_tree(as_, w3)
    report = audit_voucher(as_("auditor1"), ids["root"])
    report.require_closed()  # the chain's own tree closes
    broken: VoucherAudit = dataclasses.replace(
        report,
        checks=[SumCheck("tree closes", False, "live pieces 1.00 + paid 0.00 = 1.00, face value 2.00")],
    )
    assert not broken.closes and broken.to_json()["closes"] is False
    with pytest.raises(TreeDoesNotClose, match=r"root \d+ does not close at block \d+: live pieces 1.00"):
        broken.require_closed()


def test_unknown_vouchers_are_refused(as_: AsFactory, w3: Web3) -> None:
    ids, _ = build_voucher_tree(as_, w3)
    for unknown in (5, ids["root"] + 999, ids["root"] + 1_000_000):
        with pytest.raises(InvalidInput, match=rf"voucher {unknown} was never issued"):
            audit_voucher(as_("auditor1"), unknown)


def test_exposure_across_two_banks_with_totals_per_lender(as_: AsFactory, w3: Web3) -> None:
    due = chain_day(w3, 90)
    for lot in ("EXP-A", "EXP-B", "EXP-C", "EXP-D"):
        attest(as_, lot, "10")
    a, b, c, d = (mint(as_, lot, "10") for lot in ("EXP-A", "EXP-B", "EXP-C", "EXP-D"))
    s1 = as_("supplier1").receipts
    s1.request_pledge(a, addr("bank1"), amount="1000000.00", currency="CNY", maturity=due)
    as_("bank1").receipts.accept_pledge(a)
    only_a = w3.eth.block_number
    s1.request_pledge(b, addr("bank2"), amount="500000.00", currency="CNY", maturity=due)
    as_("bank2").receipts.accept_pledge(b)
    s1.request_pledge(c, addr("bank1"), amount="9.00", currency="CNY", maturity=due)
    as_("bank1").receipts.accept_pledge(c)
    as_("bank1").receipts.release_pledge(c)  # repaid: no longer exposure
    s1.request_pledge(d, addr("bank2"), amount="9.00", currency="CNY", maturity=due)  # never accepted

    as_("bank1").receivables.set_credit_line(
        addr("core1"), limit="5000000.00", currency="CNY", expires=chain_day(w3, 365)
    )
    _, root = as_("core1").receivables.issue(
        addr("supplier1"), amount="1000000.00", currency="CNY", maturity=due, document=commitment("INV-X")
    )
    v1s = as_("supplier1").receivables
    _, v1 = v1s.split(root, addr("supplier1"), "300000.00")
    v1s.request_pledge(v1, addr("bank1"), amount="250000.00", maturity=due, loan_ref="LOAN-V1")
    as_("bank1").receivables.accept_pledge(v1)
    _, v2 = v1s.split(root, addr("supplier1"), "200000.00")
    v1s.offer_discount(v2, addr("bank2"), "195000.00")
    as_("bank2").receivables.accept_discount(v2, payment_ref="PAY-V2")
    _, v3 = v1s.split(root, addr("supplier2"), "100000.00")  # another borrower's pledge: not ours
    as_("supplier2").receivables.request_pledge(v3, addr("bank2"), amount="1.00", maturity=due, loan_ref="L3")
    as_("bank2").receivables.accept_pledge(v3)

    report = audit_exposure(as_("auditor1"), addr("supplier1").lower())
    assert report.borrower == addr("supplier1") and report.findings == []
    assert [(i.kind, i.lender, i.asset_id, str(i.amount), i.currency) for i in report.items] == [
        ("receipt-pledge", addr("bank1"), a, "1000000.00", "CNY"),
        ("receipt-pledge", addr("bank2"), b, "500000.00", "CNY"),
        ("voucher-pledge", addr("bank1"), v1, "250000.00", "CNY"),
        ("voucher-discount", addr("bank2"), v2, "200000.00", "CNY"),
    ]
    assert report.items[-1].price == Decimal("195000.00")
    totals = {t.lender: t for t in report.totals}
    assert set(totals) == {addr("bank1"), addr("bank2")}
    bank1, bank2 = totals[addr("bank1")], totals[addr("bank2")]
    assert (bank1.receipt_pledges, bank1.receipt_secured, bank1.voucher_pledges, bank1.voucher_secured) == (
        1,
        Decimal("1000000.00"),
        1,
        Decimal("250000.00"),
    )
    assert bank1.total == Decimal("1250000.00") and bank1.discounts == 0
    assert (bank2.receipt_secured, bank2.discounts, bank2.discounted_value, bank2.discount_paid) == (
        Decimal("500000.00"),
        1,
        Decimal("200000.00"),
        Decimal("195000.00"),
    )
    assert bank2.total == Decimal("700000.00")

    then = audit_exposure(as_("auditor1"), addr("supplier1"), at_block=only_a)
    assert [(i.kind, i.asset_id) for i in then.items] == [("receipt-pledge", a)]
    assert [t.total for t in then.totals] == [Decimal("1000000.00")]
    assert audit_exposure(as_("auditor1"), addr("supplier3")).items == []


def test_warehouse_over_several_lots_with_a_shortfall(as_: AsFactory, w3: Web3) -> None:
    attest(as_, "WH-L1", "300")
    r1 = mint(as_, "WH-L1", "300")
    _, (_, _, b) = as_("supplier1").receipts.split(r1, ["100", "100", "100"])
    as_("supplier1").receipts.merge(r1, b)
    attest(as_, "WH-L2", "100")
    r2 = mint(as_, "WH-L2", "100", to="supplier2")
    as_("supplier2").receipts.request_pledge(
        r2, addr("bank1"), amount="1.00", currency="CNY", maturity=chain_day(w3, 30)
    )
    as_("bank1").receipts.accept_pledge(r2)
    attest(as_, "WH-L3", "50")
    r3 = mint(as_, "WH-L3", "50", to="supplier3")
    for quantity in ("20", "30"):  # a partial, then the rest: burned
        as_("supplier3").receipts.request_delivery(r3, quantity)
        as_("warehouse1").receipts.confirm_delivery(r3)
    attest(as_, "WH-L4", "10")
    before_shortfall = w3.eth.block_number
    attest(as_, "WH-L2", "70")  # 30 t short
    attest(as_, "WH-L3", "5", warehouse="warehouse2")  # the empty lot's goods moved on
    attest(as_, "WH-OTHER", "9", warehouse="warehouse2")
    mint(as_, "WH-OTHER", "9", warehouse="warehouse2")

    report = audit_warehouse(as_("auditor1"), addr("warehouse1"))
    assert report.findings == [] and all(lot.reconciles for lot in report.lots)
    lots = {lot.lot_id: lot for lot in report.lots}
    key = {name: "0x" + identifier_commitment(name).hex() for name in ("WH-L1", "WH-L2", "WH-L3", "WH-L4")}
    assert list(lots) == list(key.values())
    l1, l2, l3, l4 = (lots[key[n]] for n in ("WH-L1", "WH-L2", "WH-L3", "WH-L4"))
    assert (l1.live_receipts, l1.live_quantity, len(l1.receipt_ids)) == (2, Decimal("300.000"), 2)
    assert [(e.event, e.attested, e.receipted) for e in l1.timeline] == [
        ("StocktakeRecorded", Decimal("300.000"), Decimal("0.000"))
    ]
    assert [(e.event, e.attested, e.receipted, e.shortfall) for e in l2.timeline] == [
        ("StocktakeRecorded", Decimal("100.000"), Decimal("0.000"), None),
        ("StockShortfall", Decimal("70.000"), Decimal("100.000"), Decimal("30.000")),
        ("StocktakeRecorded", Decimal("70.000"), Decimal("100.000"), None),
    ]
    assert l2.timeline[1].lenders == (addr("bank1"),) and l2.timeline[1].pledged_receipts == (r2,)
    assert (l2.shortfalls, l2.frozen, l2.live_receipts, l2.receipt_ids) == (1, True, 1, [r2])
    assert (l3.now_at, l3.live_receipts, l3.receipt_ids) == (addr("warehouse2"), 0, [])
    assert (l4.live_receipts, l4.attested) == (0, Decimal("10.000"))
    assert (report.live_receipts, report.shortfalls) == (3, 1)

    then = audit_warehouse(as_("auditor1"), addr("warehouse1"), at_block=before_shortfall)
    then_l2 = next(lot for lot in then.lots if lot.lot_id == key["WH-L2"])
    assert (then_l2.shortfalls, then_l2.frozen, len(then_l2.timeline)) == (0, False, 1)
    assert next(lot for lot in then.lots if lot.lot_id == key["WH-L3"]).now_at == addr("warehouse1")
    assert [lot.lot_id for lot in audit_warehouse(as_("auditor1"), addr("warehouse2")).lots] == [
        key["WH-L3"],
        "0x" + identifier_commitment("WH-OTHER").hex(),
    ]


# ------------------------------------------------------------------ real chain state, corrupted
# The audits' findings on state the events do not explain, written into the contracts' storage with
# anvil_setStorageAt (each test runs in its own snapshot, so the damage is undone after it).

WORD = 2**256


def storage(w3: Web3, contract: str, slot: int) -> int:
    return int.from_bytes(w3.eth.get_storage_at(Web3.to_checksum_address(contract), slot), "big")


def set_storage(w3: Web3, contract: str, slot: int, value: int) -> None:
    w3.provider.make_request(
        "anvil_setStorageAt",  # type: ignore[arg-type]
        [Web3.to_checksum_address(contract), hex(slot), "0x" + value.to_bytes(32, "big").hex()],
    )


def mapping_slot(key: int | bytes, base: int) -> int:
    """Solidity's slot of `mapping[key]` for a mapping declared at slot `base`."""
    word = key if isinstance(key, bytes) else key.to_bytes(32, "big")
    return int.from_bytes(Web3.keccak(word.rjust(32, b"\0") + base.to_bytes(32, "big")), "big")


def find_mapping_slot(w3: Web3, contract: str, key: int | bytes, holds: Callable[[int], bool]) -> int:
    """The slot of `mapping[key]` among the contract's first mappings whose word satisfies `holds`:
    found from what the contract stores, not from a storage layout copied into the test."""
    for base in range(32):
        slot = mapping_slot(key, base)
        if holds(storage(w3, contract, slot)):
            return slot
    raise AssertionError(f"no mapping of {contract} holds the expected word for key {key!r}")


def receipt_ownership_slot(receipt_id: int) -> int:
    """Solady ERC-721's ownership slot of a token: owner in the low 160 bits, the receipt's packed
    ReceiptData (quantity in the low 48 of its 96 bits) above them."""
    seed = (0x7D8825530A5A2E7A << 192).to_bytes(32, "big")
    memory = receipt_id.to_bytes(32, "big")[:28] + seed[:4]  # mstore(0x00, id); mstore(0x1c, seed)
    return (int.from_bytes(Web3.keccak(memory), "big") + 2 * receipt_id) % WORD


def test_a_receipt_holding_more_than_its_lot_attests_is_a_finding(as_: AsFactory, w3: Web3) -> None:
    attest(as_, "CORRUPT-LOT", "300")
    rid = mint(as_, "CORRUPT-LOT", "300")
    auditor = as_("auditor1")
    assert audit_receipt(auditor, rid).findings == []
    receipts = auditor.receipts.contract.address
    slot = receipt_ownership_slot(rid)
    word = storage(w3, receipts, slot)
    assert word & (2**160 - 1) == int(addr("supplier1"), 16)  # the slot is the receipt's
    assert (word >> 160) & (2**48 - 1) == 300_000  # 300 t in base units (3 decimals)
    set_storage(w3, receipts, slot, word - 300_000 * 2**160 + 450_000 * 2**160)  # 450 t on 300 attested

    report = audit_receipt(auditor, rid)
    assert report.state.quantity == Decimal("450.000")
    assert report.findings == [
        f"the events say 300.000 held by {addr('supplier1')}, "
        f"the contract says 450.000 held by {addr('supplier1')}"
    ]


def test_a_lot_counting_receipts_the_events_do_not_replay_is_a_finding(as_: AsFactory, w3: Web3) -> None:
    attest(as_, "CORRUPT-COVER", "300")
    mint(as_, "CORRUPT-COVER", "300")
    auditor = as_("auditor1")
    receipts = auditor.receipts.contract.address
    lot_id = identifier_commitment("CORRUPT-COVER")
    index_slot = find_mapping_slot(w3, receipts, lot_id, lambda word: 0 < word < 2**32)
    lot_index = storage(w3, receipts, index_slot)
    # LotCover: attested (48 bits) | receipted (48) | live receipts (32) | commodity (bytes16)
    cover_slot = find_mapping_slot(
        w3,
        receipts,
        lot_index,
        lambda word: (
            (word & (2**48 - 1), (word >> 48) & (2**48 - 1), (word >> 96) & (2**32 - 1))
            == (300_000, 300_000, 1)
        ),
    )
    cover = storage(w3, receipts, cover_slot)
    set_storage(w3, receipts, cover_slot, cover + (1 << 96))  # two live receipts where one was minted

    report = audit_warehouse(auditor, addr("warehouse1"))
    lot = next(lot for lot in report.lots if lot.lot_id == "0x" + lot_id.hex())
    assert not lot.reconciles and lot.live_receipts == 2
    assert (
        f"lot 0x{lot_id.hex()}: the contract counts 2 live receipts for 300.000, the events replay to 1 for 300.000"
        in report.findings
    )


def test_a_voucher_piece_whose_value_no_split_explains_breaks_the_tree(as_: AsFactory, w3: Web3) -> None:
    ids, _ = build_voucher_tree(as_, w3)
    auditor = as_("auditor1")
    assert audit_voucher(auditor, ids["root"]).closes
    receivables = auditor.receivables.contract.address
    # The voucher word: holder (160 bits) | value in cents (64 bits) | tier | status | ... (Receivables.sol)
    value_of_t2 = 150_000_00
    slot = find_mapping_slot(
        w3,
        receivables,
        ids["t2"],
        lambda word: (
            word & (2**160 - 1) == int(addr("bank2"), 16) and (word >> 160) & (2**64 - 1) == value_of_t2
        ),
    )
    word = storage(w3, receivables, slot)
    set_storage(w3, receivables, slot, word + (1_000_00 << 160))  # 1,000.00 more than was split off

    report = audit_voucher(auditor, ids["root"])
    failed = {check.name: check.detail for check in report.checks if not check.ok}
    assert not report.closes
    assert failed == {
        "tree closes": "live pieces 1001000.00 + paid 0.00 = 1001000.00, face value 1000000.00",
        "root record agrees": "root says face 1000000.00, settled 0.00, outstanding 1000000.00",
        "events replay to the contract state": f"pieces {ids['t2']} differ between the events and the contract",
    }
    with pytest.raises(
        TreeDoesNotClose, match=rf"root {ids['root']} does not close at block \d+: live pieces"
    ):
        report.require_closed()
