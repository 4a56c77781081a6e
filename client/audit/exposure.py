"""Audit of a borrower's exposure: every lien and discount financing it at a block, across all
lenders, from the events and confirmed against the contracts' state."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from client._encoding import as_money, decode_code, from_base_units, timestamp
from client._typed import typed_errors
from client.audit.reading import (
    TOPIC_OR_CHUNK,
    VOUCHERS_PER_ROOT,
    AuditChain,
    chunks,
    hex32,
    position,
)
from client.audit.report import csv_table, flat_row, json_value
from client.audit.voucher import LIVE_STATUSES
from client.chain import checksum
from client.errors import LedgerhouseError
from client.reader import ChainEvent, checksummed, topic_of
from client.receipts import LienState
from client.receivables import VoucherStatus

if TYPE_CHECKING:
    from client import Ledgerhouse

__all__ = [
    "ExposureAudit",
    "ExposureItem",
    "LenderTotal",
    "audit_exposure",
]


@dataclass(frozen=True)
class ExposureItem:
    """One financing of the borrower still open at the audited block.

    `kind`: `receipt-pledge` (an active lien on a receipt it holds), `voucher-pledge` (an accepted
    lien on a voucher piece it holds) or `voucher-discount` (a piece it sold at a discount, unpaid).
    `amount` is the secured amount, or for a discount the value the lender bought.
    """

    kind: str
    lender: str
    asset_id: int
    amount: Decimal
    currency: str
    price: Decimal | None
    maturity: datetime | None
    since_block: int
    since_time: datetime
    tx_hash: str
    detail: str


@dataclass(frozen=True)
class LenderTotal:
    lender: str
    currency: str
    receipt_pledges: int
    receipt_secured: Decimal
    voucher_pledges: int
    voucher_secured: Decimal
    discounts: int
    discounted_value: Decimal
    discount_paid: Decimal
    total: Decimal  # receipt_secured + voucher_secured + discounted_value


@dataclass(frozen=True)
class ExposureAudit:
    borrower: str
    at_block: int
    at_time: datetime
    items: list[ExposureItem]
    totals: list[LenderTotal]
    findings: list[str]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json_value(self)
        return data

    def csv_table(self) -> tuple[list[str], list[list[str]]]:
        """One row per open financing."""
        return csv_table(
            ExposureItem, [flat_row(i, ExposureItem) for i in self.items], borrower=self.borrower
        )


@typed_errors
def audit_exposure(lh: Ledgerhouse, address: str, *, at_block: int | None = None) -> ExposureAudit:
    """Every lien and discount financing `address` at `at_block` (default: now), across all lenders."""
    borrower = checksum(address, what="address")
    chain = AuditChain(lh, at_block)
    rc, vc = chain.receipts, chain.receivables
    requested, pledged_vouchers, discounted = chain.logs(
        [
            chain.query(rc, rc.topic["PledgeRequested"], None, None, topic_of(borrower)),
            chain.query(vc, vc.topic["VoucherPledgeAccepted"]),
            chain.query(vc, vc.topic["VoucherDiscounted"]),
        ]
    )
    findings: list[str] = []
    items = _receipt_exposure(chain, borrower, requested, findings)
    items += _voucher_exposure(
        chain,
        borrower,
        [e for e in pledged_vouchers if e.args["holder"] == borrower],
        [e for e in discounted if e.args["seller"] == borrower],
    )
    items.sort(key=lambda i: (i.since_block, i.kind, i.asset_id))
    return ExposureAudit(
        borrower=borrower,
        at_block=chain.block,
        at_time=chain.time_of(chain.block),
        items=items,
        totals=_lender_totals(items),
        findings=findings,
    )


def _receipt_exposure(
    chain: AuditChain, borrower: str, requested: list[ChainEvent], findings: list[str]
) -> list[ExposureItem]:
    """Active liens from the events (accepted, not released or foreclosed), confirmed on chain."""
    requests = {(int(e.args["receiptId"]), int(e.args["requestSeq"])): e for e in requested}
    ids = sorted({rid for rid, _ in requests})
    if not ids:
        return []
    rc = chain.receipts
    kinds = [rc.topic[n] for n in ("PledgeAccepted", "PledgeReleased", "Foreclosed")]
    batches = chain.logs(
        [chain.query(rc, kinds, [topic_of(i) for i in part]) for part in chunks(ids, TOPIC_OR_CHUNK)]
    )
    accepted: dict[int, ChainEvent] = {}
    for event in sorted((e for batch in batches for e in batch), key=position):
        rid = int(event.args["receiptId"])
        if event.name == "PledgeAccepted" and (rid, int(event.args["requestSeq"])) in requests:
            accepted[rid] = event
        elif event.name in ("PledgeReleased", "Foreclosed"):
            accepted.pop(rid, None)
    contract = chain.receipts_contract
    reads = chain.calls(
        [f for rid in ids for f in (contract.functions.receipt(rid), contract.functions.lien(rid))]
    )
    active: dict[int, tuple[Any, Any]] = {}
    for rid, raw_receipt, raw_lien in zip(ids, reads[0::2], reads[1::2], strict=True):
        if isinstance(raw_receipt, LedgerhouseError) or isinstance(raw_lien, LedgerhouseError):
            continue  # delivered or merged away
        held = checksummed(str(raw_receipt[0][0])) == borrower
        if held and LienState(int(raw_lien[0][2])) is LienState.ACTIVE:
            active[rid] = (raw_receipt[0], raw_lien[0])
    for rid in sorted(set(accepted) ^ set(active)):
        findings.append(
            f"receipt {rid}: the events say its lien is {'active' if rid in accepted else 'not active'}, "
            f"the contract says {'active' if rid in active else 'not active'}"
        )
    lots = sorted({bytes(r[2]) for r, _ in active.values()})
    lot_views = dict(zip(lots, chain.state([contract.functions.lot(lot) for lot in lots]), strict=True))
    shown = [rid for rid in sorted(active) if rid in accepted]
    times = chain.times(accepted[rid].block_number for rid in shown)
    items = []
    for rid in shown:
        raw_receipt, raw_lien = active[rid]
        lot = lot_views[bytes(raw_receipt[2])][0]
        request = requests[(rid, int(raw_lien[3]))]
        acceptance = accepted[rid]
        quantity = from_base_units(int(raw_receipt[3]), int(lot[4]))
        items.append(
            ExposureItem(
                kind="receipt-pledge",
                lender=checksummed(str(raw_lien[0])),
                asset_id=rid,
                amount=as_money(int(request.args["securedAmount"])),
                currency=decode_code(request.args["currency"]),
                price=None,
                maturity=timestamp(int(raw_lien[1])),
                since_block=acceptance.block_number,
                since_time=times[acceptance.block_number],
                tx_hash=acceptance.tx_hash,
                detail=f"{quantity} {decode_code(lot[3])} {decode_code(lot[2])}, lot {hex32(lot[0])}",
            )
        )
    return items


def _voucher_exposure(
    chain: AuditChain, borrower: str, pledges: list[ChainEvent], discounts: list[ChainEvent]
) -> list[ExposureItem]:
    """Accepted voucher pledges still on pieces the borrower holds; unpaid pieces it discounted."""
    ids = sorted({int(e.args["voucherId"]) for e in pledges + discounts})
    if not ids:
        return []
    roots = sorted({i - i % VOUCHERS_PER_ROOT for i in ids})
    contract = chain.receivables_contract
    state = chain.state(
        [contract.functions.voucher(i) for i in ids]
        + [contract.functions.lien(i) for i in ids]
        + [contract.functions.discount(i) for i in ids]
        + [contract.functions.root(r) for r in roots]
    )
    n = len(ids)
    piece = {i: state[k][0] for k, i in enumerate(ids)}
    lien = {i: state[n + k][0] for k, i in enumerate(ids)}
    sale = {i: state[2 * n + k][0] for k, i in enumerate(ids)}
    root = {r: state[3 * n + k][0] for k, r in enumerate(roots)}
    last_pledge = {int(e.args["voucherId"]): e for e in pledges}
    last_sale = {int(e.args["voucherId"]): e for e in discounts}
    times = chain.times(e.block_number for e in [*last_pledge.values(), *last_sale.values()])
    items = []
    for vid in ids:
        holder, value, root_id, _, tier, status, _ = piece[vid]
        terms = root[int(root_id)]
        currency, maturity = decode_code(terms[3]), timestamp(int(terms[8]))
        about = f"piece of root {root_id} (obligor {checksummed(str(terms[0]))}), tier {tier}"
        status_now = VoucherStatus(int(status))
        pledge = last_pledge.get(vid)
        lienholder, secured, loan_maturity, is_accepted, _ = lien[vid]
        if (
            pledge is not None
            and status_now is VoucherStatus.PLEDGED
            and bool(is_accepted)
            and checksummed(str(holder)) == borrower
            and checksummed(str(lienholder)) == pledge.args["lienholder"]
        ):
            items.append(
                ExposureItem(
                    kind="voucher-pledge",
                    lender=checksummed(str(lienholder)),
                    asset_id=vid,
                    amount=as_money(int(secured)),
                    currency=currency,
                    price=None,
                    maturity=timestamp(int(loan_maturity)),
                    since_block=pledge.block_number,
                    since_time=times[pledge.block_number],
                    tx_hash=pledge.tx_hash,
                    detail=f"{about}, value {as_money(int(value))}",
                )
            )
        sold = last_sale.get(vid)
        lender, seller, sold_value, price, rate_bps, _, _ = sale[vid]
        if sold is not None and status_now in LIVE_STATUSES and checksummed(str(seller)) == borrower:
            items.append(
                ExposureItem(
                    kind="voucher-discount",
                    lender=checksummed(str(lender)),
                    asset_id=vid,
                    amount=as_money(int(sold_value)),
                    currency=currency,
                    price=as_money(int(price)),
                    maturity=maturity,
                    since_block=sold.block_number,
                    since_time=times[sold.block_number],
                    tx_hash=sold.tx_hash,
                    detail=f"{about}, bought at {int(rate_bps) / 100:.2f}% a year",
                )
            )
    return items


def _lender_totals(items: list[ExposureItem]) -> list[LenderTotal]:
    grouped: dict[tuple[str, str], list[ExposureItem]] = defaultdict(list)
    for item in items:
        grouped[(item.lender, item.currency)].append(item)
    totals = []
    for (lender, currency), group in sorted(grouped.items()):

        def of(kind: str, group: list[ExposureItem] = group) -> list[ExposureItem]:
            return [i for i in group if i.kind == kind]

        receipts, pledges, sales = of("receipt-pledge"), of("voucher-pledge"), of("voucher-discount")
        receipt_secured = sum((i.amount for i in receipts), Decimal("0.00"))
        voucher_secured = sum((i.amount for i in pledges), Decimal("0.00"))
        sold_value = sum((i.amount for i in sales), Decimal("0.00"))
        totals.append(
            LenderTotal(
                lender=lender,
                currency=currency,
                receipt_pledges=len(receipts),
                receipt_secured=receipt_secured,
                voucher_pledges=len(pledges),
                voucher_secured=voucher_secured,
                discounts=len(sales),
                discounted_value=sold_value,
                discount_paid=sum((i.price or Decimal(0) for i in sales), Decimal("0.00")),
                total=receipt_secured + voucher_secured + sold_value,
            )
        )
    return totals
