"""What each explorer page shows, built from the index.

The services' views (receipts, lots, vouchers, participants, alerts) are reused as they are; the few
queries only the explorer needs live here: a lot's quantities over time replayed from the events
table, the voucher pieces a lender holds a lien on or discounted, credit lines, a participant's
membership events, the events of one transaction. Pages are plain data (`Field`s and `Table`s of
`Fact`s, see facts.py, and chart geometry, see charts.py); the templates turn them into HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from client.identifiers import canonical_identifier, is_commitment_hex
from registry.api.schemas import AlertOut, EventOut, ReceiptOut, RootOut, VoucherOut
from registry.db.models import (
    ChainEventRow,
    CreditLine,
    IndexedBlock,
    IndexerCursor,
    Lot,
    Participant,
    Receipt,
    Stocktake,
    Voucher,
    VoucherRoot,
)
from registry.db.models import Invoice as InvoiceRow
from registry.errors import NotFound
from registry.explorer import charts
from registry.explorer.facts import (
    Cell,
    Events,
    Fact,
    Field,
    Links,
    Table,
    flag,
    hash_fact,
    listing,
    rate,
    short_hex,
    text,
    utc,
    utc_fact,
)
from registry.explorer.loan_facts import receipt_loan_fields
from registry.services import identifiers as identifiers_service
from registry.services import participants as participants_service
from registry.services import receipts as receipts_service
from registry.services import receivables as receivables_service
from registry.services import risk as risk_service
from registry.services._format import money, quantity, when
from registry.services.receipts import ReceiptFilter

LIST_LIMIT = 500  # rows per table; the REST API pages through the rest
RECENT_EVENTS = 15
INDEX_ALERTS = 100  # on the front page; the API pages through the rest


# ---------------------------------------------------------------- the index's state


def as_of(session: Session) -> str:
    cursor = session.get(IndexerCursor, 1)
    if cursor is None:
        return "the registry has not indexed any block yet"
    stamp = session.scalar(select(IndexedBlock.timestamp).where(IndexedBlock.number == cursor.block_number))
    moment = f" ({utc(when(stamp))})" if stamp else ""
    return f"as indexed up to block {cursor.block_number}{moment}"


def chain_now(session: Session) -> int:
    """'Now' as the chain's clock sees it (the newest indexed block), as the alerts use it."""
    return risk_service.chain_time(session) or 0


# ---------------------------------------------------------------- pages


@dataclass(frozen=True)
class Page:
    title: str
    heading: str
    subtitle: str
    as_of: str
    fields: list[Field]
    tables: list[Table]


@dataclass(frozen=True)
class IndexPage(Page):
    alerts: Table


def index_page(session: Session, links: Links) -> IndexPage:
    now = chain_now(session)
    alerts, more_alerts = (
        risk_service.alerts(session, now=now, expiring_within_days=30, limit=INDEX_ALERTS)
        if now
        else ([], None)
    )
    lots, _ = receipts_service.list_lots(
        session, warehouse=None, commodity=None, frozen=None, after=None, limit=100
    )
    roots = session.scalars(select(VoucherRoot).order_by(VoucherRoot.root_id.desc()).limit(50)).all()
    people = participants_service.list_participants(session, role=None, status=None)
    recent = session.scalars(
        select(ChainEventRow)
        .order_by(ChainEventRow.block_number.desc(), ChainEventRow.log_index.desc())
        .limit(RECENT_EVENTS)
    ).all()
    events = Events(session, links)
    tables = [
        Table(
            id="lots",
            caption="Lots",
            columns=("Lot", "Warehouse", "Commodity", "Attested", "Receipted", "Live receipts", "Frozen"),
            rows=[
                (
                    (links.lot(lot.lot_id),),
                    (links.party(lot.warehouse),),
                    text(lot.commodity),
                    text(f"{lot.attested} {lot.unit}"),
                    text(f"{lot.receipted} {lot.unit}"),
                    text(str(lot.live_receipts)),
                    (flag(lot.frozen, "frozen", "no"),),
                )
                for lot in lots
            ],
            numeric=frozenset({3, 4, 5}),
            empty="no lot has been attested yet",
        ),
        Table(
            id="roots",
            caption="Payable vouchers (newest roots)",
            columns=("Root", "Obligor", "Face value", "Maturity"),
            rows=[
                (
                    (links.voucher(r.root_id),),
                    (links.party(r.obligor),),
                    text(f"{money(r.face_value)} {r.currency}"),
                    (utc_fact(when(r.maturity)),),
                )
                for r in roots
            ],
            numeric=frozenset({2}),
            empty="no voucher has been issued yet",
        ),
        Table(
            id="participants",
            caption="Participants",
            columns=("Name", "Role", "Status", "KYC valid until"),
            rows=[
                (
                    (links.party(p.address),),
                    text(p.role),
                    (flag(p.status != "active", p.status, p.status),),
                    (utc_fact(p.kyc_valid_until),),
                )
                for p in people
            ],
        ),
        events.table("recent", "Latest events", [events.row(e) for e in recent], with_contract=True),
    ]
    return IndexPage(
        title="Ledgerhouse explorer",
        heading="Ledgerhouse explorer",
        subtitle="Warehouse receipts, lots, payable vouchers and participants, every fact linked to its "
        "transaction. The chain is the source of truth; this is the registry's index of it.",
        as_of=as_of(session),
        fields=[],
        tables=tables,
        alerts=alerts_table(alerts, links, more=more_alerts is not None),
    )


# The explorer is anonymous: a lien's lender is shown, its terms are not (services.visibility).
TERMS_WITHHELD = "terms: lienholder, owner, auditors and regulators only"


def _lien_terms(amount: str | None, currency: str | None, *, muted: bool = True) -> Fact:
    if amount is None:
        return Fact(TERMS_WITHHELD, kind="muted")
    return Fact(f"{amount} {currency}", kind="muted" if muted else "")


def alerts_table(alerts: Iterable[AlertOut], links: Links, *, more: bool = False) -> Table:
    rows: list[tuple[Cell, ...]] = []
    for a in alerts:
        if a.kind == "shortfall":
            subject: Fact = links.lot(a.subject)
        elif a.kind == "overdue":
            subject = links.voucher(int(a.subject))
        elif a.kind == "shared-entity":
            subject = Fact(a.subject, kind="hash")
        else:
            subject = links.receipt(int(a.subject))
        rows.append(
            (
                (Fact(a.kind, kind="flag-bad"),),
                (subject,),
                text(links.named(a.detail)),
                listing(links.party(p) for p in a.parties),
                (utc_fact(a.since),) if a.since else text("", "muted"),
            )
        )
    return Table(
        id="alerts",
        caption=f"Alerts (the first {INDEX_ALERTS}; /alerts pages through all)" if more else "Alerts",
        columns=("Kind", "Subject", "Detail", "Parties", "Since / due"),
        rows=rows,
        empty="no alerts: no shortfall, nothing overdue, no receipt expiring within 30 days",
    )


# ---------------------------------------------------------------- receipt


def receipts_table(
    id: str,
    caption: str,
    receipts: Sequence[ReceiptOut],
    links: Links,
    *,
    more: bool = False,
    empty: str = "none",
) -> Table:
    return Table(
        id=id,
        caption=caption,
        columns=("Receipt", "Status", "Owner", "Warehouse", "Commodity", "Quantity", "Lien", "Frozen"),
        rows=[
            (
                (links.receipt(r.receipt_id),),
                text(r.status),
                (links.party(r.owner),),
                (links.party(r.warehouse),),
                text(r.commodity),
                text(f"{r.quantity} {r.unit}"),
                (links.party(r.lien.lender), _lien_terms(r.lien.secured_amount, r.lien.currency))
                if r.lien
                else text("none", "muted"),
                (flag(r.frozen, "frozen", "no"),) if r.status == "live" else text("—", "muted"),
            )
            for r in receipts
        ],
        numeric=frozenset({5}),
        empty=empty,
        more=f"first {LIST_LIMIT} shown; GET /receipts pages through the rest" if more else None,
    )


def receipt_page(session: Session, links: Links, receipt_id: int) -> Page:
    r = receipts_service.get_receipt(session, receipt_id)
    row = session.get(Receipt, receipt_id)
    lot = session.get(Lot, r.lot_id)
    assert row is not None  # get_receipt found it
    assert lot is not None
    history = receipts_service.receipt_history(session, receipt_id)
    events = Events(session, links)
    rows = [events.row(e, inherited=_receipt_of(e) not in (receipt_id, None)) for e in history]
    freezes = [e for e in history if e.event in ("ReceiptFreezeOrdered", "ReceiptFreezeLifted")]
    children = session.scalars(
        select(Receipt.receipt_id).where(Receipt.parent_id == receipt_id).order_by(Receipt.receipt_id)
    ).all()

    def minted_tx() -> Cell:
        mint = next((e for e in history if e.event in ("ReceiptMinted", "ReceiptSplit")), None)
        return (utc_fact(r.minted_at), *((links.tx(mint.tx_hash),) if mint else ()))

    freeze_cell: list[Fact] = []
    if row.frozen:
        last = next((e for e in reversed(freezes) if e.event == "ReceiptFreezeOrdered"), None)
        reason = f": {last.args.get('reason', '')}" if last else ""
        freeze_cell.append(Fact(f"frozen by a regulator{reason}", kind="flag-bad"))
        if last:
            freeze_cell.append(links.tx(last.tx_hash))
    if lot.frozen:
        freeze_cell.append(Fact("its lot is frozen by a stock shortfall", kind="flag-bad"))
        freeze_cell.append(links.lot(lot.lot_id, "see the lot"))
    if not freeze_cell:
        freeze_cell.append(Fact("not frozen", kind="flag-ok"))
        if freezes:
            freeze_cell.append(Fact(f"({len(freezes)} freeze events in its history)", kind="muted"))
    now = chain_now(session)
    expiry: Cell = text("never", "muted")
    if r.expires_at:
        left = (int(r.expires_at.timestamp()) - now) // 86_400 if now else None
        state = Fact("")
        if left is not None and left < 0:
            state = Fact("expired", kind="flag-bad")
        elif left is not None and left <= 30:
            state = Fact(f"in {left} days", kind="flag-bad")
        elif left is not None:
            state = Fact(f"in {left} days", kind="muted")
        expiry = (utc_fact(r.expires_at), state)
    lien: Cell = text("none", "muted")
    if r.lien:
        accepted = next((e for e in reversed(history) if e.event == "PledgeAccepted"), None)
        terms: Cell = (
            (
                Fact(f"{r.lien.secured_amount} {r.lien.currency}"),
                Fact(f"loan due {r.lien.loan_maturity.date().isoformat()}", kind="muted"),
            )
            if r.lien.loan_maturity is not None
            else (Fact(TERMS_WITHHELD, kind="muted"),)
        )
        lien = (links.party(r.lien.lender), *terms, *((links.tx(accepted.tx_hash),) if accepted else ()))
    fields = [
        Field("Status", text(r.status)),
        Field("Owner", (links.party(r.owner),)),
        Field("Warehouse", (links.party(r.warehouse),)),
        Field("Lot", (links.lot(r.lot_id),)),
        Field("Commodity", text(r.commodity)),
        Field("Quantity", text(f"{r.quantity} {r.unit}", "quantity")),
        Field("Expires", expiry),
        Field("Lien", lien),
        *receipt_loan_fields(session, links, receipt_id, now),  # its loan's LTV (explorer/loan_facts.py)
        Field(
            "Pledge request",
            (
                links.party(r.pledge_request.lender),
                _lien_terms(r.pledge_request.secured_amount, r.pledge_request.currency, muted=False),
            )
            if r.pledge_request
            else text("none", "muted"),
        ),
        Field("Freezes", tuple(freeze_cell)),
        Field(
            "Delivery requested",
            text(f"{r.delivery_requested} {r.unit}") if r.delivery_requested else text("no", "muted"),
        ),
        Field("Split from", (links.receipt(r.parent_id),) if r.parent_id is not None else text("—", "muted")),
        Field("Split into", listing(links.receipt(c) for c in children) or text("—", "muted")),
        Field("Details commitment", (hash_fact(r.details),)),
        Field("Minted", minted_tx()),
    ]
    return Page(
        title=f"Receipt #{receipt_id} · Ledgerhouse explorer",
        heading=f"Warehouse receipt #{receipt_id}",
        subtitle=f"{r.quantity} {r.unit} {r.commodity}, {r.status}",
        as_of=as_of(session),
        fields=fields,
        tables=[
            events.table(
                "timeline",
                "Timeline, oldest first"
                + (" (rows before the split are the parent receipt's)" if r.parent_id is not None else ""),
                rows,
            )
        ],
    )


def _receipt_of(e: EventOut) -> int | None:
    for key in ("receiptId", "keptId", "id"):
        if key in e.args and e.contract == "WarehouseReceipts":
            return int(str(e.args[key]))
    return None


# ---------------------------------------------------------------- voucher


@dataclass(frozen=True)
class TreeNode:
    piece: VoucherOut
    box: charts.Box
    href: str
    holder: str
    current: bool
    overdue: bool  # marked on chain, or unpaid past maturity by the chain's clock


@dataclass(frozen=True)
class VoucherPage(Page):
    tree: charts.TreeLayout
    nodes: list[TreeNode]
    closes: bool
    box_w: int = charts.BOX_W
    box_h: int = charts.BOX_H


def voucher_page(session: Session, links: Links, voucher_id: int) -> VoucherPage:
    piece = receivables_service.get_voucher(session, voucher_id)
    tree: RootOut = receivables_service.root_tree(session, voucher_id)
    now = chain_now(session)
    past_due = bool(now) and int(tree.maturity.timestamp()) < now
    overdue = {p.voucher_id for p in tree.pieces if is_overdue(p, now)}
    layout = charts.tree_layout([charts.TreeInput(p.voucher_id, p.parent_id, p.tier) for p in tree.pieces])
    nodes = [
        TreeNode(
            piece=p,
            box=layout.boxes[p.voucher_id],
            href=links.page("vouchers", p.voucher_id),
            holder=links.party(p.holder).text,
            current=p.voucher_id == voucher_id,
            overdue=p.voucher_id in overdue,
        )
        for p in tree.pieces
    ]
    ids = [p.voucher_id for p in tree.pieces]
    history = session.scalars(
        select(ChainEventRow)
        .where(or_(ChainEventRow.root_id == tree.root_id, ChainEventRow.voucher_id.in_(ids)))
        .order_by(ChainEventRow.block_number, ChainEventRow.log_index)
    ).all()
    events = Events(session, links)
    issued = next((e for e in history if e.name == "VoucherIssued"), None)
    currency = tree.currency
    pieces = Table(
        id="pieces",
        caption="Pieces",
        columns=("Piece", "Parent", "Tier", "Holder", "Value", "Status", "Lien", "Discounted by"),
        rows=[
            (
                (links.voucher(p.voucher_id),),
                (links.voucher(p.parent_id),) if p.parent_id is not None else text("—", "muted"),
                text(str(p.tier)),
                (links.party(p.holder),),
                text(f"{p.value} {currency}"),
                (
                    Fact(
                        p.status + (", overdue" if p.voucher_id in overdue else ""),
                        kind="flag-bad" if p.voucher_id in overdue else "",
                    ),
                ),
                (links.party(p.lienholder), _lien_terms(p.secured_amount, currency))
                if p.lienholder
                else text("none", "muted"),
                (
                    links.party(p.discounted_by),
                    Fact(
                        f"for {p.discount_price} {currency} ({rate(p.discount_rate_bps or 0)})",
                        kind="muted",
                    ),
                )
                if p.discounted_by
                else text("—", "muted"),
            )
            for p in tree.pieces
        ],
        numeric=frozenset({2, 4}),
        row_classes=["current" if p.voucher_id == voucher_id else "" for p in tree.pieces],
    )
    fields = [
        Field("This piece", (links.voucher(piece.voucher_id), Fact(f"tier {piece.tier}, {piece.status}"))),
        Field("Root", (links.voucher(tree.root_id),)),
        Field("Obligor", (links.party(tree.obligor),)),
        Field("Payer", (links.party(tree.payer),)),
        Field("Credit line of", (links.party(tree.lender),)),
        Field("Face value", text(f"{tree.face_value} {currency}")),
        Field(
            "Maturity",
            (
                utc_fact(tree.maturity),
                *((Fact("past: unpaid pieces are overdue", kind="flag-bad"),) if past_due else ()),
            ),
        ),
        Field("Settled", text(f"{tree.settled} {currency}")),
        Field("Outstanding", text(f"{tree.outstanding} {currency}")),
        Field("Funded", text(f"{tree.funded} {currency}")),
        Field(
            "Tree closes",
            (Fact("yes: live plus paid value equals the face value", kind="flag-ok"),)
            if tree.closes
            else (Fact("NO: live plus paid value differs from the face value", kind="flag-bad"),),
        ),
        Field("Trade document", (hash_fact(tree.document),)),
        *(
            [
                Field(
                    "Invoice",
                    text(
                        f"{invoice.number} (canonical {invoice.number_canonical}), {invoice.issue_date}, "
                        f"{money(invoice.amount)} {invoice.currency}",
                        title="as its issuer disclosed it, verified against the trade document",
                    ),
                )
            ]
            if (invoice := session.get(InvoiceRow, tree.document)) is not None
            else []
        ),
        Field("Issued", (links.tx(issued.tx_hash),) if issued else text("unknown", "muted")),
    ]
    return VoucherPage(
        title=f"Voucher {voucher_id} · Ledgerhouse explorer",
        heading=f"Payable voucher {voucher_id}",
        subtitle=f"root {tree.root_id}: {tree.face_value} {currency} owed by "
        f"{links.party(tree.obligor).text}, {len(tree.pieces)} pieces",
        as_of=as_of(session),
        fields=fields,
        tables=[
            pieces,
            events.table("history", "History of the root, oldest first", [events.row(e) for e in history]),
        ],
        tree=layout,
        nodes=nodes,
        closes=tree.closes,
    )


# ---------------------------------------------------------------- lot

QUANTITY_EVENTS = ("StocktakeRecorded", "ReceiptMinted", "Delivered")


@dataclass(frozen=True)
class LotStep:
    """The lot after one change on chain: a stocktake, a mint or a delivery."""

    event: str
    block: int
    time: datetime
    tx_hash: str
    attested: int
    receipted: int

    @property
    def shortfall(self) -> int:
        return max(0, self.receipted - self.attested)


def lot_steps(session: Session, lot_id: str) -> list[LotStep]:
    """Attested and receipted quantity after each change, replayed from the events table the way the
    indexer applies them: a stocktake states both, a mint adds to receipted, a delivery takes from
    both (the goods left the warehouse)."""
    attested = receipted = 0
    steps: list[LotStep] = []
    for e in session.scalars(
        select(ChainEventRow)
        .where(ChainEventRow.lot_id == lot_id, ChainEventRow.name.in_(QUANTITY_EVENTS))
        .order_by(ChainEventRow.block_number, ChainEventRow.log_index)
    ):
        a = e.args
        if e.name == "StocktakeRecorded":
            attested, receipted = int(a["attested"]), int(a["receipted"])
        elif e.name == "ReceiptMinted":
            receipted += int(a["quantity"])
        else:
            receipted -= int(a["quantity"])
            attested = max(0, attested - int(a["quantity"]))
        steps.append(LotStep(e.name, e.block_number, when(e.block_time), e.tx_hash, attested, receipted))
    return steps


@dataclass(frozen=True)
class ChartMark:
    step: LotStep
    point: charts.ChartPoint
    href: str
    label: str  # hover text
    attested: str
    receipted: str
    shortfall: str | None
    tick: str | None  # x-axis label, on every k-th point


@dataclass(frozen=True)
class LotPage(Page):
    chart: charts.StepChart
    marks: list[ChartMark]
    ticks: list[tuple[int, str]]
    unit: str


def lot_page(session: Session, links: Links, lot_id: str, identity: str | None) -> LotPage:
    lot = receipts_service.get_lot(session, lot_id)
    spellings = identifiers_service.spellings(session, "lot", lot_id)
    decimals, unit = lot.decimals, lot.unit
    steps = lot_steps(session, lot_id)
    chart = charts.step_chart([(s.attested, s.receipted) for s in steps])
    every = max(1, -(-len(steps) // 8))
    marks = []
    for i, (s, p) in enumerate(zip(steps, chart.points, strict=True)):
        att, rec = quantity(s.attested, decimals), quantity(s.receipted, decimals)
        short = f"{quantity(s.shortfall, decimals)} {unit}" if s.shortfall else None
        marks.append(
            ChartMark(
                step=s,
                point=p,
                href=links.tx_href(s.tx_hash),
                label=f"{s.event} in block {s.block}, {utc(s.time)}: attested {att} {unit}, "
                f"receipted {rec} {unit}" + (f", shortfall {short}" if short else ""),
                attested=att,
                receipted=rec,
                shortfall=short,
                tick=f"block {s.block}" if i % every == 0 else None,
            )
        )
    ticks = [(t.y, f"{quantity(t.value, decimals)}") for t in chart.ticks]
    receipts, more = receipts_service.list_receipts(
        session, ReceiptFilter(lot=lot_id), after=None, limit=LIST_LIMIT
    )
    live = [r for r in receipts if r.status == "live"]
    past = [r for r in receipts if r.status != "live"]
    changes = Table(
        id="changes",
        caption="Quantity changes, oldest first (the chart's points)",
        columns=("Block", "Time (UTC)", "Change", "Attested", "Receipted", "Shortfall", "Tx"),
        rows=[
            (
                text(str(m.step.block)),
                (utc_fact(m.step.time),),
                text(m.step.event, "event"),
                text(f"{m.attested} {unit}"),
                text(f"{m.receipted} {unit}"),
                (Fact(m.shortfall, kind="flag-bad"),) if m.shortfall else text("—", "muted"),
                (links.tx(m.step.tx_hash),),
            )
            for m in marks
        ],
        numeric=frozenset({0, 3, 4, 5}),
        row_classes=["shortfall" if m.shortfall else "" for m in marks],
    )
    stocktakes = Table(
        id="stocktakes",
        caption="Stocktakes",
        columns=("Block", "Time (UTC)", "Inspector", "Attested", "Receipted", "Shortfall", "Evidence", "Tx"),
        rows=[
            (
                text(str(s.block)),
                (utc_fact(s.time),),
                (links.party(s.inspector),),
                text(f"{s.attested} {unit}"),
                text(f"{s.receipted} {unit}"),
                (Fact(f"{s.shortfall} {unit}", kind="flag-bad"),)
                if Decimal(s.shortfall)
                else text("—", "muted"),
                (hash_fact(s.evidence),),
                (links.tx(s.tx_hash),),
            )
            for s in lot.stocktakes
        ],
        numeric=frozenset({0, 3, 4, 5}),
    )
    shortfall_event = session.scalars(
        select(ChainEventRow)
        .where(ChainEventRow.lot_id == lot_id, ChainEventRow.name == "StockShortfall")
        .order_by(ChainEventRow.block_number.desc())
        .limit(1)
    ).first()
    fields = [
        Field("Lot id", (Fact(lot_id, kind="hash"),)),
        *([Field("Goods identity", text(identity, title="as entered"))] if identity else []),
        *(
            [Field("Canonical form", text(canonical_identifier(identity), "id"))]
            if identity and not is_commitment_hex(identity)
            else []
        ),
        *(
            [
                Field(
                    "Entered as",
                    listing(Fact(s.as_entered, title=s.canonical) for s in spellings),
                )
            ]
            if spellings
            else []
        ),
        Field("Warehouse", (links.party(lot.warehouse),)),
        Field("Commodity", text(lot.commodity)),
        Field("Attested", text(f"{lot.attested} {unit}", "quantity")),
        Field("Receipted", text(f"{lot.receipted} {unit}", "quantity")),
        Field(
            "Uncovered",
            (Fact(f"{lot.uncovered} {unit} receipted beyond the last stocktake", kind="flag-bad"),)
            if Decimal(lot.uncovered)
            else (Fact("none: the receipts are covered", kind="flag-ok"),),
        ),
        Field(
            "Frozen",
            (
                Fact("frozen by a stock shortfall", kind="flag-bad"),
                *((links.tx(shortfall_event.tx_hash),) if shortfall_event else ()),
            )
            if lot.frozen
            else (Fact("no", kind="flag-ok"),),
        ),
        Field("Live receipts", text(str(lot.live_receipts))),
        Field("Last stocktake", (utc_fact(lot.last_stocktake_at),)),
    ]
    return LotPage(
        title=f"Lot {short_hex(lot_id, 10, 6)} · Ledgerhouse explorer",
        heading=f"Lot {identity or short_hex(lot_id, 10, 6)}",
        subtitle=f"{lot.commodity} at {links.party(lot.warehouse).text}: {lot.attested} {unit} attested, "
        f"{lot.receipted} {unit} receipted",
        as_of=as_of(session),
        fields=fields,
        tables=[
            changes,
            receipts_table(
                "live-receipts", "Live receipts", live, links, more=more is not None, empty="no live receipt"
            ),
            stocktakes,
            receipts_table("past-receipts", "Delivered and merged receipts", past, links),
        ],
        chart=chart,
        marks=marks,
        ticks=ticks,
        unit=unit,
    )


# ---------------------------------------------------------------- participant

ROLE_TABLES = {
    "warehouse": {"issued", "lots"},
    "inspector": {"stocktakes"},
    "lender": {"liens", "voucher-liens", "discounted", "credit-lines"},
    "core-enterprise": {"roots", "credit-lines"},
    "supplier": {"held", "vouchers"},
}


def is_overdue(p: VoucherOut, now: int) -> bool:
    """Marked overdue on chain, or unpaid past maturity by the chain's clock (as the alerts say)."""
    unpaid = p.status not in receivables_service.GONE and Decimal(p.value) > 0
    return unpaid and (p.overdue or (bool(now) and int(p.maturity.timestamp()) < now))


def pieces_table(
    id: str, caption: str, pieces: Sequence[VoucherOut], links: Links, *, now: int, more: bool = False
) -> Table:
    return Table(
        id=id,
        caption=caption,
        columns=("Piece", "Root", "Tier", "Holder", "Value", "Status", "Obligor", "Maturity"),
        rows=[
            (
                (links.voucher(p.voucher_id),),
                (links.voucher(p.root_id),),
                text(str(p.tier)),
                (links.party(p.holder),),
                text(f"{p.value} {p.currency}"),
                (flag(True, f"{p.status}, overdue", "") if is_overdue(p, now) else Fact(p.status),),
                (links.party(p.obligor),),
                (utc_fact(p.maturity),),
            )
            for p in pieces
        ],
        numeric=frozenset({2, 4}),
        more=f"first {LIST_LIMIT} shown; GET /vouchers pages through the rest" if more else None,
    )


def _pieces_where(session: Session, *conditions: Any) -> tuple[list[VoucherOut], bool]:
    rows = session.execute(
        select(Voucher, VoucherRoot)
        .join(VoucherRoot, VoucherRoot.root_id == Voucher.root_id)
        .where(*conditions)
        .order_by(Voucher.voucher_id)
        .limit(LIST_LIMIT + 1)
    ).all()
    return [receivables_service.voucher_out(v, r) for v, r in rows[:LIST_LIMIT]], len(rows) > LIST_LIMIT


def participant_page(session: Session, links: Links, address: str) -> Page:
    p = participants_service.get_participant(session, address)
    row = session.get(Participant, address)
    assert row is not None
    now = chain_now(session)
    events = Events(session, links)
    membership = session.scalars(
        select(ChainEventRow)
        .where(ChainEventRow.account == address, ChainEventRow.contract == "ParticipantRegistry")
        .order_by(ChainEventRow.block_number, ChainEventRow.log_index)
    ).all()
    admitted = next((e for e in reversed(membership) if e.name == "MemberAdmitted"), None)
    status_change = next(
        (
            e
            for e in reversed(membership)
            if e.name in ("MembershipSuspended", "MembershipReinstated", "MembershipRevoked")
        ),
        None,
    )
    kyc_lapsed = bool(now) and p.kyc_valid_until.timestamp() < now
    fields = [
        Field("Name", text(p.name)),
        Field("Address", (Fact(p.address, kind="hash"),)),
        Field("Role", text(p.role)),
        Field("Entity id", (hash_fact(p.entity_id),)),
        Field(
            "Status",
            (
                flag(p.status != "active", p.status, p.status),
                *((Fact(p.status_reason, kind="muted"),) if p.status_reason else ()),
                *((links.tx(status_change.tx_hash),) if status_change else ()),
            ),
        ),
        Field(
            "KYC valid until",
            (utc_fact(p.kyc_valid_until), flag(kyc_lapsed, "lapsed", "current")),
        ),
        Field("Admitted", (utc_fact(p.admitted_at), *((links.tx(admitted.tx_hash),) if admitted else ()))),
    ]
    wanted = ROLE_TABLES.get(p.role, set())
    tables: list[Table] = []

    def add(key: str, table: Table) -> None:
        if key in wanted or table.rows:
            tables.append(table)

    held, more = receipts_service.list_receipts(
        session, ReceiptFilter(owner=address, status="live"), after=None, limit=LIST_LIMIT
    )
    add("held", receipts_table("receipts-held", "Receipts held", held, links, more=more is not None))
    issued, more = receipts_service.list_receipts(
        session, ReceiptFilter(warehouse=address), after=None, limit=LIST_LIMIT
    )
    add("issued", receipts_table("receipts-issued", "Receipts issued", issued, links, more=more is not None))
    lots, _ = receipts_service.list_lots(
        session, warehouse=address, commodity=None, frozen=None, after=None, limit=LIST_LIMIT
    )
    add(
        "lots",
        Table(
            id="lots",
            caption="Lots in its warehouse",
            columns=("Lot", "Commodity", "Attested", "Receipted", "Frozen"),
            rows=[
                (
                    (links.lot(lot.lot_id),),
                    text(lot.commodity),
                    text(f"{lot.attested} {lot.unit}"),
                    text(f"{lot.receipted} {lot.unit}"),
                    (flag(lot.frozen, "frozen", "no"),),
                )
                for lot in lots
            ],
            numeric=frozenset({2, 3}),
        ),
    )
    stocktakes = session.execute(
        select(Stocktake, Lot)
        .join(Lot, Lot.lot_id == Stocktake.lot_id)
        .where(Stocktake.inspector == address)
        .order_by(Stocktake.block_number.desc(), Stocktake.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    add(
        "stocktakes",
        Table(
            id="stocktakes",
            caption="Stocktakes attested (newest first)",
            columns=("Lot", "Warehouse", "Attested", "Shortfall", "Time (UTC)", "Tx"),
            rows=[
                (
                    (links.lot(s.lot_id),),
                    (links.party(s.warehouse),),
                    text(f"{quantity(s.attested, lot.decimals)} {lot.unit}"),
                    (Fact(f"{quantity(s.shortfall, lot.decimals)} {lot.unit}", kind="flag-bad"),)
                    if s.shortfall
                    else text("—", "muted"),
                    (utc_fact(when(s.block_time)),),
                    (links.tx(s.tx_hash),),
                )
                for s, lot in stocktakes
            ],
            numeric=frozenset({2, 3}),
        ),
    )
    vouchers, more_v = _pieces_where(session, Voucher.holder == address)
    add(
        "vouchers",
        pieces_table("vouchers-held", "Voucher pieces held", vouchers, links, now=now, more=more_v),
    )
    roots = session.scalars(
        select(VoucherRoot)
        .where(VoucherRoot.obligor == address)
        .order_by(VoucherRoot.root_id)
        .limit(LIST_LIMIT)
    ).all()
    add(
        "roots",
        Table(
            id="vouchers-issued",
            caption="Vouchers issued (roots)",
            columns=("Root", "Pieces", "Face value", "Maturity", "Credit line of"),
            rows=[
                (
                    (links.voucher(r.root_id),),
                    text(f"{_count_pieces(session, r.root_id)} pieces"),
                    text(f"{money(r.face_value)} {r.currency}"),
                    (utc_fact(when(r.maturity)),),
                    (links.party(r.lender),),
                )
                for r in roots
            ],
            numeric=frozenset({2}),
        ),
    )
    liens, more = receipts_service.list_receipts(
        session, ReceiptFilter(lender=address, status="live"), after=None, limit=LIST_LIMIT
    )
    add(
        "liens", receipts_table("liens", "Liens on receipts (as lender)", liens, links, more=more is not None)
    )
    pledged, more_p = _pieces_where(session, Voucher.lienholder == address)
    add(
        "voucher-liens",
        pieces_table("voucher-liens", "Voucher pieces pledged to it", pledged, links, now=now, more=more_p),
    )
    discounted, more_d = _pieces_where(session, Voucher.discounted_by == address)
    add(
        "discounted",
        pieces_table("discounted", "Voucher pieces it discounted", discounted, links, now=now, more=more_d),
    )
    lines = session.scalars(
        select(CreditLine)
        .where(or_(CreditLine.lender == address, CreditLine.core == address))
        .order_by(CreditLine.lender, CreditLine.core)
    ).all()
    add(
        "credit-lines",
        Table(
            id="credit-lines",
            caption="Credit lines",
            columns=("Lender", "Core enterprise", "Limit", "Outstanding", "Expires", "State"),
            rows=[
                (
                    (links.party(c.lender),),
                    (links.party(c.core),),
                    text(f"{money(c.limit)} {c.currency}"),
                    text(f"{money(c.outstanding)} {c.currency}"),
                    (utc_fact(when(c.expiry)),),
                    text("closed" if c.closed else "open"),
                )
                for c in lines
            ],
            numeric=frozenset({2, 3}),
        ),
    )
    tables.append(events.table("membership", "Membership history", [events.row(e) for e in membership]))
    return Page(
        title=f"{p.name} · Ledgerhouse explorer",
        heading=p.name,
        subtitle=f"{p.role}, {p.status}",
        as_of=as_of(session),
        fields=fields,
        tables=tables,
    )


def _count_pieces(session: Session, root_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Voucher).where(Voucher.root_id == root_id)) or 0


# ---------------------------------------------------------------- transaction


def tx_page(session: Session, links: Links, tx_hash: str) -> Page:
    found = session.scalars(
        select(ChainEventRow).where(ChainEventRow.tx_hash == tx_hash).order_by(ChainEventRow.log_index)
    ).all()
    if not found:
        raise NotFound(
            f"transaction {tx_hash} emitted no Ledgerhouse event the registry has indexed", tx_hash=tx_hash
        )
    first = found[0]
    events = Events(session, links)
    return Page(
        title=f"Transaction {short_hex(tx_hash, 10, 6)} · Ledgerhouse explorer",
        heading="Transaction",
        subtitle=tx_hash,
        as_of=as_of(session),
        fields=[
            Field("Hash", (Fact(tx_hash, kind="hash"),)),
            Field("Block", text(str(first.block_number))),
            Field("Time", (utc_fact(when(first.block_time)),)),
            Field("Events", text(str(len(found)))),
        ],
        tables=[
            events.table("events", "Events, in log order", [events.row(e) for e in found], with_contract=True)
        ],
    )
