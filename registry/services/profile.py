"""A member's credit profile, computed from the registry's indexed chain data only.

Every figure is built from rows of the `events` table (each one a chain log: block, transaction hash,
log index) and the current-state tables the indexer projects from those same events, so an auditor
with a node can recompute any of it (tests/registry/test_profiles.py does, for the headline figures).
The score is the scorecard's (registry.services.scorecard); docs/credit-profile.md says what the
figures mean and what the score is not.

Conventions:
- the member is its legal entity: every address admitted under the same entity id is counted;
- "now" is the time of the newest indexed block, never this server's clock;
- a payment or release is on time when its block is at most GRACE_S after the maturity;
- a month of the "last 12" is a 30.4375-day window counted back from now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from functools import cached_property
from typing import Any, Literal

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from client._encoding import as_money, decode_code, from_base_units
from client.profile_models import (
    REFS_SHOWN,
    CreditLoan,
    CreditProfile,
    CreditSection,
    EventRef,
    ExposureLine,
    FacilityLine,
    FacilityOut,
    Figure,
    GoodsHolding,
    GoodsSection,
    LoanOutcome,
    MonthlyInflow,
    ObligorRecord,
    ObligorShare,
    StandingSection,
    TradeSection,
)
from registry.db.models import (
    ChainEventRow,
    IndexedBlock,
    IndexerCursor,
    Lot,
    Participant,
    Receipt,
    Stocktake,
    Voucher,
    VoucherRoot,
)
from registry.errors import NotFound
from registry.services import scorecard
from registry.services.participants import entity_of

GRACE_S = 86_400
MONTH_S = 2_629_800  # 30.4375 days
FACILITY_HORIZON_DAYS = 180
# Advance rates on receivables by the obligor's record (share of its pieces paid on time).
ADVANCE_NO_RECORD = Decimal("0.70")
ADVANCE_GOOD = Decimal("0.80")  # >= 95 % on time
ADVANCE_FAIR = Decimal("0.60")  # >= 80 %
ADVANCE_GOODS = Decimal("0.50")
DISCLAIMER = (
    "A ranking of what the chain shows about this member under a documented expert scorecard "
    f"({scorecard.SCORECARD}); not a probability of default calibrated on observed defaults, not "
    "a credit decision. See docs/credit-profile.md."
)

RECEIVED = ("VoucherIssued", "VoucherSplit", "VoucherTransferred")
PAID = ("VoucherSettled", "VoucherRedeemed")
_IN_BATCH = 500
_ZERO = "0x0000000000000000000000000000000000000000"


# ---------------------------------------------------------------- small helpers


@dataclass(frozen=True)
class Ev:
    """One event row, as much of it as the profile reads."""

    block: int
    log_index: int
    time: int
    tx_hash: str
    name: str
    args: dict[str, Any]
    root_id: int | None = None
    voucher_id: int | None = None
    receipt_id: int | None = None
    lot_id: str | None = None

    @cached_property
    def ref(self) -> EventRef:
        # Built from typed columns: constructed without re-validation (a profile holds thousands).
        return EventRef.model_construct(
            block=self.block, tx_hash=self.tx_hash, log_index=self.log_index, event=self.name
        )

    @property
    def key(self) -> tuple[int, int]:
        return (self.block, self.log_index)


def _int(value: Any) -> int:
    return int(value)


def _code(hex_text: str) -> str:
    return decode_code(bytes.fromhex(hex_text[2:]))


def figure(
    value: Decimal | int | None,
    unit: str,
    events: Iterable[Ev] = (),
    note: str | None = None,
    *,
    total: int | None = None,
) -> Figure:
    """A figure with its events, newest first, at most REFS_SHOWN listed; `total` when only the
    newest of them were read."""
    unique = {e.key: e for e in events}
    ordered = sorted(unique.values(), key=lambda e: e.key, reverse=True)
    return Figure.model_construct(
        value=None if value is None else Decimal(value),
        unit=unit,
        refs=[e.ref for e in ordered[:REFS_SHOWN]],
        refs_total=len(ordered) if total is None else total,
        note=note,
    )


def _pct(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _batches(keys: Iterable[Any]) -> Iterable[list[Any]]:
    ordered = sorted(set(keys))
    for i in range(0, len(ordered), _IN_BATCH):
        yield ordered[i : i + _IN_BATCH]


_EVENT_COLUMNS = (
    ChainEventRow.block_number,
    ChainEventRow.log_index,
    ChainEventRow.block_time,
    ChainEventRow.tx_hash,
    ChainEventRow.name,
    ChainEventRow.root_id,
    ChainEventRow.voucher_id,
    ChainEventRow.receipt_id,
    ChainEventRow.lot_id,
)


def _events(session: Session, *conditions: Any, args: bool = True) -> list[Ev]:
    """Event rows in chain order, read as plain columns (no ORM objects); `args=False` skips
    decoding the JSON arguments where only the event's tags are needed."""
    columns = (*_EVENT_COLUMNS, ChainEventRow.args) if args else _EVENT_COLUMNS
    query = select(*columns).where(*conditions).order_by(ChainEventRow.block_number, ChainEventRow.log_index)
    return [
        Ev(
            block=r[0],
            log_index=r[1],
            time=r[2],
            tx_hash=r[3],
            name=r[4],
            root_id=r[5],
            voucher_id=r[6],
            receipt_id=r[7],
            lot_id=r[8],
            args=r[9] if args else {},
        )
        for r in session.execute(query)
    ]


def _events_in(session: Session, column: Any, keys: Iterable[Any], *conditions: Any) -> list[Ev]:
    found: list[Ev] = []
    for batch in _batches(keys):
        found += _events(session, column.in_(batch), *conditions)
    found.sort(key=lambda e: e.key)
    return found


def _month(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m")


def _when(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


# ---------------------------------------------------------------- the profile


@dataclass
class _Piece:
    """A voucher piece the member received: the event that gave it, its root's terms."""

    piece_id: int
    event: Ev
    value: int
    obligor: str
    currency: str
    maturity: int
    tier: int


@dataclass
class _ObligorTally:
    """Counts of an obligor's pieces, and the newest REFS_SHOWN events behind each count."""

    on_time: int = 0
    late: int = 0
    overdue: int = 0
    on_time_refs: list[Ev] = field(default_factory=list)
    late_refs: list[Ev] = field(default_factory=list)
    overdue_refs: list[Ev] = field(default_factory=list)

    @property
    def judged(self) -> int:
        return self.on_time + self.late + self.overdue


@dataclass
class _Loan:
    kind: Literal["receipt-pledge", "voucher-pledge", "discount"]
    subject_id: int
    lender: str
    amount: int
    currency: str
    maturity: int | None
    outcome: LoanOutcome
    events: list[Ev]
    collateral: int | None  # minor units of the piece's value; None for goods without a price


def chain_now(session: Session) -> tuple[int, int, str]:
    """(time, number, hash) of the newest indexed block."""
    cursor = session.scalar(select(IndexerCursor))
    block, block_hash = (cursor.block_number, cursor.block_hash) if cursor is not None else (0, "")
    now = session.scalar(select(func.max(IndexedBlock.timestamp))) or 0
    return int(now), int(block), block_hash


def compute_profile(session: Session, address: str) -> CreditProfile:
    member = session.get(Participant, address)
    if member is None:
        raise NotFound(f"{address} is not an admitted participant: it has no credit profile", address=address)
    entity_id, addrs = entity_of(session, address)
    now, as_of_block, block_hash = chain_now(session)

    pieces = _received_pieces(session, addrs)
    obligors = {p.obligor for p in pieces}
    names: dict[str, str] = {
        a: n
        for a, n in session.execute(
            select(Participant.address, Participant.name).where(Participant.address.in_(sorted(obligors)))
        )
    }
    tallies = _cached_tallies(session, obligors, now, (as_of_block, block_hash))
    trade, primary = _trade(pieces, tallies, names, now)
    goods = _goods(session, addrs)
    loans = _loans(session, addrs, now)
    credit = _credit(loans)
    standing, tenure, standing_changes = _standing(session, member, addrs, now)
    held = _held_pieces(session, addrs, pieces, now)

    exposure_primary = sum(loan.amount for loan in loans if _is_open(loan) and loan.currency == primary)
    due_primary = sum(p.value for p in held if p.currency == primary)
    if exposure_primary == 0:
        leverage: Decimal | None = Decimal(0)
    else:
        leverage = _pct(exposure_primary, due_primary)
    receipts_credit = [loan for loan in loans if loan.kind != "discount"]
    closed_on_time = sum(
        1 for loan in receipts_credit if loan.outcome in ("released-on-time", "paid-by-obligor")
    )
    judged = sum(
        1
        for loan in receipts_credit
        if loan.outcome in ("released-on-time", "released-late", "paid-by-obligor", "foreclosed", "overdue")
    )
    values: dict[str, Decimal | None] = {
        "tenure": tenure,
        "trade_regularity": trade.months_active_12.value,
        "concentration": trade.largest_obligor_share.value,
        "obligor_record": _weighted_record(pieces, tallies),
        "repayment": _pct(closed_on_time, judged),
        "overdue_now": credit.overdue.value,
        "foreclosures": credit.foreclosed.value,
        "standing": Decimal(standing_changes),
        "shortfalls": goods.shortfalls.value,
        "leverage": leverage,
    }
    score = scorecard.score(values)
    facility = _facility(held, tallies, loans, goods, score.grade)
    return CreditProfile(
        address=address,
        name=member.name,
        role=member.role,
        entity_id=entity_id or member.entity_id,
        addresses=addrs,
        as_of=datetime.fromtimestamp(now, UTC),
        as_of_block=as_of_block,
        trade=trade,
        goods=goods,
        credit=credit,
        standing=standing,
        score=score,
        facility=facility,
        disclaimer=DISCLAIMER,
    )


# ---------------------------------------------------------------- trade


def _received_pieces(session: Session, addrs: Sequence[str]) -> list[_Piece]:
    events = _events(
        session,
        ChainEventRow.contract == "Receivables",
        ChainEventRow.name.in_(RECEIVED),
        ChainEventRow.account.in_(addrs),
    )
    if not events:
        return []
    roots: dict[int, VoucherRoot] = {}
    for batch in _batches(e.root_id for e in events if e.root_id is not None):
        for found_root in session.scalars(select(VoucherRoot).where(VoucherRoot.root_id.in_(batch))):
            roots[found_root.root_id] = found_root
    piece_ids = {_piece_id(e) for e in events}
    tiers: dict[int, int] = {}
    for batch in _batches(piece_ids):
        for vid, tier in session.execute(
            select(Voucher.voucher_id, Voucher.tier).where(Voucher.voucher_id.in_(batch))
        ):
            tiers[vid] = tier
    found = []
    for e in events:
        root = roots.get(e.root_id or -1)
        if root is None:
            continue
        pid = _piece_id(e)
        value = _int(
            e.args["faceValue"] if e.name == "VoucherIssued" else e.args.get("amount", e.args.get("value"))
        )
        found.append(
            _Piece(
                piece_id=pid,
                event=e,
                value=value,
                obligor=root.obligor,
                currency=root.currency,
                maturity=root.maturity,
                tier=0 if e.name == "VoucherIssued" else tiers.get(pid, 0),
            )
        )
    return found


def _piece_id(e: Ev) -> int:
    if e.name == "VoucherIssued":
        return _int(e.args["rootId"])
    if e.name == "VoucherSplit":
        return _int(e.args["childId"])
    return _int(e.args["voucherId"])


# An obligor's record as of one indexed block, shared by the profiles of everyone holding its paper
# (a core's record is the costliest part of a profile, and the same for all its suppliers).
_TALLY_CACHE: dict[tuple[str, int, str, int], _ObligorTally] = {}
_TALLY_CACHE_SIZE = 4096


def _cached_tallies(
    session: Session, obligors: set[str], now: int, block: tuple[int, str]
) -> dict[str, _ObligorTally]:
    found: dict[str, _ObligorTally] = {}
    missing = set()
    for obligor in obligors:
        hit = _TALLY_CACHE.get((obligor, *block, now))
        if hit is None:
            missing.add(obligor)
        else:
            found[obligor] = hit
    if missing:
        fresh = _obligor_tallies(session, missing, now)
        if len(_TALLY_CACHE) + len(fresh) > _TALLY_CACHE_SIZE:
            _TALLY_CACHE.clear()
        for obligor, tally in fresh.items():
            _TALLY_CACHE[(obligor, *block, now)] = tally
            found[obligor] = tally
    return found


def _obligor_tallies(session: Session, obligors: set[str], now: int) -> dict[str, _ObligorTally]:
    """Every piece of every obligor the member holds paper of: paid on time, paid late, overdue.

    Counted in SQL (a core's tree may hold 100,000 pieces); only the newest REFS_SHOWN events
    behind each count are read."""
    tallies: dict[str, _ObligorTally] = {o: _ObligorTally() for o in obligors}
    if not obligors:
        return tallies
    ordered = sorted(obligors)
    deadline = VoucherRoot.maturity + GRACE_S
    on_time = ChainEventRow.block_time <= deadline
    paid = (
        VoucherRoot.obligor.in_(ordered),
        ChainEventRow.contract == "Receivables",
        ChainEventRow.name.in_(PAID),
    )
    counts = session.execute(
        select(
            VoucherRoot.obligor,
            func.sum(case((on_time, 1), else_=0)),
            func.sum(case((on_time, 0), else_=1)),
        )
        .join(VoucherRoot, VoucherRoot.root_id == ChainEventRow.root_id)
        .where(*paid)
        .group_by(VoucherRoot.obligor)
    ).all()
    for obligor, good, bad in counts:
        tallies[obligor].on_time, tallies[obligor].late = int(good or 0), int(bad or 0)
    # Unpaid now: marked overdue on chain, or past maturity and grace by the chain's clock.
    unpaid = (
        VoucherRoot.obligor.in_(ordered),
        Voucher.status.not_in(("settled", "merged")),
        Voucher.value != 0,
        or_(Voucher.overdue.is_(True), deadline < now),
    )
    for obligor, count in session.execute(
        select(VoucherRoot.obligor, func.count())
        .select_from(Voucher)
        .join(VoucherRoot, VoucherRoot.root_id == Voucher.root_id)
        .where(*unpaid)
        .group_by(VoucherRoot.obligor)
    ):
        tallies[obligor].overdue = int(count)
    for obligor in ordered:
        t = tallies[obligor]
        if t.on_time:
            t.on_time_refs = _newest(session, VoucherRoot.obligor == obligor, *paid[1:], on_time)
        if t.late:
            t.late_refs = _newest(session, VoucherRoot.obligor == obligor, *paid[1:], ~on_time)
        if t.overdue:
            # The chain's own overdue mark where there is one, else the issue that set the maturity.
            t.overdue_refs = _newest(
                session,
                VoucherRoot.obligor == obligor,
                ChainEventRow.contract == "Receivables",
                ChainEventRow.name.in_(("VoucherMarkedOverdue", "VoucherIssued")),
                ChainEventRow.voucher_id.in_(
                    select(Voucher.voucher_id)
                    .join(VoucherRoot, VoucherRoot.root_id == Voucher.root_id)
                    .where(VoucherRoot.obligor == obligor, *unpaid[1:])
                ),
            )
    return tallies


def _newest(session: Session, *conditions: Any) -> list[Ev]:
    """The newest REFS_SHOWN events (joined to their root) meeting the conditions."""
    rows = session.execute(
        select(
            ChainEventRow.block_number,
            ChainEventRow.log_index,
            ChainEventRow.block_time,
            ChainEventRow.tx_hash,
            ChainEventRow.name,
        )
        .join(VoucherRoot, VoucherRoot.root_id == ChainEventRow.root_id)
        .where(*conditions)
        .order_by(ChainEventRow.block_number.desc(), ChainEventRow.log_index.desc())
        .limit(REFS_SHOWN)
    ).all()
    return [Ev(block=b, log_index=i, time=t, tx_hash=tx, name=n, args={}) for b, i, t, tx, n in rows]


def _trade(
    pieces: list[_Piece], tallies: dict[str, _ObligorTally], names: dict[str, str], now: int
) -> tuple[TradeSection, str | None]:
    monthly: dict[tuple[str, str, int, str], list[_Piece]] = defaultdict(list)
    by_currency: dict[str, list[_Piece]] = defaultdict(list)
    for p in pieces:
        monthly[(_month(p.event.time), p.obligor, p.tier, p.currency)].append(p)
        by_currency[p.currency].append(p)
    recent = [p for p in pieces if 0 <= now - p.event.time < 12 * MONTH_S]
    months = {(now - p.event.time) // MONTH_S for p in recent}
    primary = max(by_currency, key=lambda c: (len(by_currency[c]), c)) if by_currency else None
    concentration: list[ObligorShare] = []
    largest = figure(None, "%", note="no receivables received")
    for currency, group in sorted(by_currency.items()):
        total = sum(p.value for p in group)
        per_obligor: dict[str, list[_Piece]] = defaultdict(list)
        for p in group:
            per_obligor[p.obligor].append(p)
        shares = []
        for obligor, its in per_obligor.items():
            value = sum(p.value for p in its)
            events = [p.event for p in its]
            shares.append(
                ObligorShare(
                    obligor=obligor,
                    obligor_name=names.get(obligor, ""),
                    currency=currency,
                    value=figure(as_money(value), currency, events),
                    share=figure(_pct(value, total), "%", events),
                )
            )
        shares.sort(key=lambda s: (-(s.value.value or 0), s.obligor))
        concentration += shares
        if currency == primary and shares:
            top = shares[0]
            largest = figure(
                top.share.value,
                "%",
                [p.event for p in group],
                note=f"{currency}: {top.obligor_name or top.obligor}",
            )
    obligor_records = []
    for obligor in sorted(tallies):
        t = tallies[obligor]
        obligor_records.append(
            ObligorRecord(
                obligor=obligor,
                obligor_name=names.get(obligor, ""),
                settled_on_time=figure(t.on_time, "pieces", t.on_time_refs, total=t.on_time),
                settled_late=figure(t.late, "pieces", t.late_refs, total=t.late),
                overdue=figure(t.overdue, "pieces", t.overdue_refs, total=t.overdue),
                on_time_share=figure(
                    _pct(t.on_time, t.judged),
                    "%",
                    [*t.on_time_refs, *t.late_refs, *t.overdue_refs],
                    total=t.judged,
                ),
            )
        )
    section = TradeSection(
        pieces_received=figure(len(pieces), "pieces", [p.event for p in pieces]),
        received=[
            figure(as_money(sum(p.value for p in group)), currency, [p.event for p in group])
            for currency, group in sorted(by_currency.items())
        ],
        months_active_12=figure(len(months), "months", [p.event for p in recent]),
        monthly=[
            MonthlyInflow(
                month=month,
                obligor=obligor,
                obligor_name=names.get(obligor, ""),
                tier=tier,
                currency=currency,
                pieces=figure(len(group), "pieces", [p.event for p in group]),
                value=figure(as_money(sum(p.value for p in group)), currency, [p.event for p in group]),
            )
            for (month, obligor, tier, currency), group in sorted(monthly.items())
        ],
        concentration=concentration,
        largest_obligor_share=largest,
        obligors=obligor_records,
    )
    return section, primary


def _weighted_record(pieces: list[_Piece], tallies: dict[str, _ObligorTally]) -> Decimal | None:
    """The obligors' on-time share, weighted by how many pieces the member received from each."""
    weights: dict[str, int] = defaultdict(int)
    for p in pieces:
        weights[p.obligor] += 1
    num, den = Decimal(0), 0
    for obligor, weight in weights.items():
        t = tallies.get(obligor)
        if t is None or t.judged == 0:
            continue
        num += Decimal(t.on_time) * 100 / t.judged * weight
        den += weight
    return None if den == 0 else (num / den).quantize(Decimal("0.1"))


# ---------------------------------------------------------------- goods


def _goods(session: Session, addrs: Sequence[str]) -> GoodsSection:
    held = session.execute(
        select(Receipt.receipt_id, Receipt.quantity, Lot.commodity, Lot.unit, Lot.decimals)
        .join(Lot, Lot.lot_id == Receipt.lot_id)
        .where(Receipt.owner.in_(addrs), Receipt.status == "live")
        .order_by(Receipt.receipt_id)
    ).all()
    received = _events(
        session,
        ChainEventRow.contract == "WarehouseReceipts",
        ChainEventRow.name == "Transfer",
        ChainEventRow.account.in_(addrs),
        args=False,
    )
    latest_in: dict[int, Ev] = {}
    first_in_lot: dict[str, int] = {}
    for e in received:
        if e.receipt_id is not None:
            latest_in[e.receipt_id] = e
    lots_of: dict[int, str] = {}
    for batch in _batches(latest_in):
        for rid, lot_id in session.execute(
            select(Receipt.receipt_id, Receipt.lot_id).where(Receipt.receipt_id.in_(batch))
        ):
            lots_of[rid] = lot_id
    for e in received:
        held_lot = lots_of.get(e.receipt_id or -1)
        if held_lot:
            first_in_lot.setdefault(held_lot, e.time)
    groups: dict[tuple[str, str, int], list[tuple[int, Ev | None]]] = defaultdict(list)
    for receipt_id, quantity, commodity, unit, decimals in held:
        groups[(commodity, unit, decimals)].append((quantity, latest_in.get(receipt_id)))
    holdings = []
    for (commodity, unit, decimals), items in sorted(groups.items()):
        events = [e for _, e in items if e is not None]
        qty = sum(q for q, _ in items)
        holdings.append(
            GoodsHolding(
                commodity=commodity,
                unit=unit,
                receipts=figure(len(items), "receipts", events),
                quantity=figure(from_base_units(qty, decimals), unit, events),
                value=figure(None, "", events, note=f"no price for {commodity} is indexed: not valued"),
            )
        )
    minted = _events(
        session,
        ChainEventRow.contract == "WarehouseReceipts",
        ChainEventRow.name == "ReceiptMinted",
        ChainEventRow.account.in_(addrs),
        args=False,
    )
    delivered = _events(
        session,
        ChainEventRow.contract == "WarehouseReceipts",
        ChainEventRow.name == "Delivered",
        ChainEventRow.account.in_(addrs),
    )
    minted_at: dict[int, int] = {}
    for batch in _batches(e.receipt_id for e in delivered if e.receipt_id is not None):
        for rid, t in session.execute(
            select(Receipt.receipt_id, Receipt.minted_at).where(Receipt.receipt_id.in_(batch))
        ):
            minted_at[rid] = t
    spans = [
        e.time - minted_at[e.receipt_id]
        for e in delivered
        if e.args.get("burned") and e.receipt_id is not None and e.receipt_id in minted_at
    ]
    mean_days = (Decimal(sum(spans)) / len(spans) / 86_400).quantize(Decimal("0.1")) if spans else None
    # Shortfalls are rare: the stocktakes table (one row per stocktake) names the lots that had one,
    # and only their events are read (a lot's event list holds every receipt minted on it).
    short_lots: set[str] = set()
    for batch in _batches(first_in_lot):
        short_lots.update(
            session.scalars(
                select(Stocktake.lot_id).where(Stocktake.lot_id.in_(batch), Stocktake.shortfall > 0)
            )
        )
    shortfalls = [
        e
        for e in _events_in(
            session,
            ChainEventRow.lot_id,
            short_lots,
            ChainEventRow.contract == "WarehouseReceipts",
            ChainEventRow.name == "StockShortfall",
        )
        if e.lot_id is not None and e.time >= first_in_lot[e.lot_id]
    ]
    return GoodsSection(
        holdings=holdings,
        receipts_minted_to_member=figure(len(minted), "receipts", minted),
        deliveries=figure(len(delivered), "deliveries", delivered),
        mean_days_to_delivery=figure(
            mean_days,
            "days",
            [e for e in delivered if e.args.get("burned")],
            note=None if spans else "no receipt of the member delivered in full yet",
        ),
        shortfalls=figure(len(shortfalls), "stocktakes", shortfalls),
    )


# ---------------------------------------------------------------- credit behaviour


def _close(maturity: int | None, closed: Ev | None, now: int, *, discount: bool = False) -> LoanOutcome:
    """A pledge's outcome: still open (or overdue past its loan maturity and a day's grace),
    foreclosed, or closed on time or late; a piece's payment by its obligor closes a pledge on it
    (late if after the loan's maturity) and ends a discount (whenever it comes: the obligor's delay)."""
    if closed is None:
        return "overdue" if maturity and maturity + GRACE_S < now else "open"
    if closed.name == "Foreclosed":
        return "foreclosed"
    if closed.name in PAID and discount:
        return "paid-by-obligor"
    if maturity and closed.time > maturity + GRACE_S:
        return "released-late"
    return "paid-by-obligor" if closed.name in PAID else "released-on-time"


def _loans(session: Session, addrs: Sequence[str], now: int) -> list[_Loan]:
    loans: list[_Loan] = []
    # Receipt pledges: requested by the member (owner), accepted by a lender, then released or foreclosed.
    requests = _events(
        session,
        ChainEventRow.contract == "WarehouseReceipts",
        ChainEventRow.name == "PledgeRequested",
        ChainEventRow.account.in_(addrs),
    )
    by_request = {(e.receipt_id, _int(e.args["requestSeq"])): e for e in requests}
    later = _events_in(
        session,
        ChainEventRow.receipt_id,
        {e.receipt_id for e in requests if e.receipt_id is not None},
        ChainEventRow.contract == "WarehouseReceipts",
        ChainEventRow.name.in_(("PledgeAccepted", "PledgeReleased", "Foreclosed")),
    )
    for i, e in enumerate(later):
        if e.name != "PledgeAccepted":
            continue
        request = by_request.get((e.receipt_id, _int(e.args["requestSeq"])))
        if request is None:
            continue
        closed = next(
            (
                x
                for x in later[i + 1 :]
                if x.receipt_id == e.receipt_id and x.name in ("PledgeReleased", "Foreclosed")
            ),
            None,
        )
        maturity = _int(request.args["loanMaturity"]) or None
        loans.append(
            _Loan(
                kind="receipt-pledge",
                subject_id=e.receipt_id or 0,
                lender=str(e.args["lender"]),
                amount=_int(request.args["securedAmount"]),
                currency=_code(request.args["currency"]),
                maturity=maturity,
                outcome=_close(maturity, closed, now),
                events=[request, e, *([closed] if closed else [])],
                collateral=None,
            )
        )
    # Voucher pledges: accepted on a piece the member held, then released or paid by the obligor.
    accepted = _events(
        session,
        ChainEventRow.contract == "Receivables",
        ChainEventRow.name == "VoucherPledgeAccepted",
        ChainEventRow.account.in_(addrs),
    )
    voucher_ids = {e.voucher_id for e in accepted if e.voucher_id is not None}
    discounted_ids = set(
        session.scalars(select(Voucher.voucher_id).where(Voucher.discount_seller.in_(addrs)))
    )
    around = _events_in(
        session,
        ChainEventRow.voucher_id,
        voucher_ids | discounted_ids,
        ChainEventRow.contract == "Receivables",
        ChainEventRow.name.in_(
            ("VoucherPledgeRequested", "VoucherPledgeReleased", "VoucherDiscounted", *PAID)
        ),
    )
    roots: dict[int, VoucherRoot] = {}
    values: dict[int, int] = {}
    for batch in _batches(voucher_ids | discounted_ids):
        for v, root in session.execute(
            select(Voucher, VoucherRoot)
            .join(VoucherRoot, VoucherRoot.root_id == Voucher.root_id)
            .where(Voucher.voucher_id.in_(batch))
        ):
            roots[v.voucher_id] = root
            values[v.voucher_id] = v.value
    for e in accepted:
        vid = e.voucher_id
        if vid is None or vid not in roots:
            continue
        before = [
            x for x in around if x.voucher_id == vid and x.key < e.key and x.name == "VoucherPledgeRequested"
        ]
        after = [x for x in around if x.voucher_id == vid and x.key > e.key]
        request = before[-1] if before else None
        lienholder = str(e.args["lienholder"])
        closed = next(
            (
                x
                for x in after
                if x.name == "VoucherPledgeReleased"
                or (x.name in PAID and str(x.args.get("lienholder", _ZERO)) == lienholder)
            ),
            None,
        )
        maturity = _int(request.args["loanMaturity"]) if request is not None else roots[vid].maturity
        loans.append(
            _Loan(
                kind="voucher-pledge",
                subject_id=vid,
                lender=lienholder,
                amount=_int(e.args["securedAmount"]),
                currency=roots[vid].currency,
                maturity=maturity or None,
                outcome=_close(maturity or None, closed, now),
                events=[*([request] if request else []), e, *([closed] if closed else [])],
                collateral=values[vid],
            )
        )
    # Discounts: pieces the member sold to a lender; open until the obligor pays the piece.
    for e in around:
        if e.name != "VoucherDiscounted" or str(e.args["seller"]) not in addrs or e.voucher_id not in roots:
            continue
        vid = e.voucher_id
        root = roots[vid]
        paid = next((x for x in around if x.voucher_id == vid and x.key > e.key and x.name in PAID), None)
        loans.append(
            _Loan(
                kind="discount",
                subject_id=vid,
                lender=str(e.args["lender"]),
                amount=_int(e.args["price"]),
                currency=root.currency,
                maturity=root.maturity,
                outcome=_close(root.maturity, paid, now, discount=True),
                events=[e, *([paid] if paid else [])],
                collateral=values[vid],
            )
        )
    loans.sort(key=lambda loan: loan.events[-1].key if loan.events else (0, 0))
    return loans


def _is_open(loan: _Loan) -> bool:
    return loan.outcome in ("open", "overdue")


def _credit(loans: list[_Loan]) -> CreditSection:
    pledges = [loan for loan in loans if loan.kind != "discount"]

    def count(outcome: str, of: list[_Loan] = pledges) -> Figure:
        chosen = [loan for loan in of if loan.outcome == outcome]
        return figure(len(chosen), "pledges", [e for loan in chosen for e in loan.events])

    exposure: dict[tuple[str, str], list[_Loan]] = defaultdict(list)
    for loan in loans:
        if _is_open(loan):
            exposure[(loan.lender, loan.currency)].append(loan)
    lines = []
    for (lender, currency), group in sorted(exposure.items()):
        events = [e for loan in group for e in loan.events]
        unpriced = [loan for loan in group if loan.collateral is None]
        lines.append(
            ExposureLine(
                lender=lender,
                currency=currency,
                exposure=figure(as_money(sum(loan.amount for loan in group)), currency, events),
                collateral=figure(
                    as_money(sum(loan.collateral or 0 for loan in group)),
                    currency,
                    events,
                    note=f"{len(unpriced)} pledged receipt(s) not valued: no price indexed"
                    if unpriced
                    else None,
                ),
            )
        )
    discounts = [loan for loan in loans if loan.kind == "discount"]
    return CreditSection(
        loans=[
            CreditLoan(
                kind=loan.kind,
                subject_id=loan.subject_id,
                lender=loan.lender,
                amount=as_money(loan.amount),
                currency=loan.currency,
                maturity=_when(loan.maturity),
                outcome=loan.outcome,
                refs=[e.ref for e in loan.events],
            )
            for loan in loans
        ],
        taken=figure(len(pledges), "pledges", [loan.events[0] for loan in pledges if loan.events]),
        released_on_time=count("released-on-time"),
        released_late=count("released-late"),
        paid_by_obligor=count("paid-by-obligor"),
        overdue=count("overdue"),
        foreclosed=count("foreclosed"),
        discounts=figure(len(discounts), "discounts", [loan.events[0] for loan in discounts]),
        exposure=lines,
    )


# ---------------------------------------------------------------- standing and facility


def _standing(
    session: Session, member: Participant, addrs: Sequence[str], now: int
) -> tuple[StandingSection, Decimal | None, int]:
    events = _events(
        session,
        ChainEventRow.contract == "ParticipantRegistry",
        ChainEventRow.name.in_(("MemberAdmitted", "MembershipSuspended", "MembershipRevoked")),
        ChainEventRow.account.in_(addrs),
    )
    admitted = [e for e in events if e.name == "MemberAdmitted"]
    suspended = [e for e in events if e.name == "MembershipSuspended"]
    revoked = [e for e in events if e.name == "MembershipRevoked"]
    since = admitted[0].time if admitted else member.admitted_at
    tenure = Decimal(max(0, now - since) // MONTH_S)
    section = StandingSection(
        status=member.status,
        admitted_at=datetime.fromtimestamp(since, UTC),
        tenure_months=figure(tenure, "months", admitted[:1]),
        suspensions=figure(len(suspended), "events", suspended),
        revocations=figure(len(revoked), "events", revoked),
        kyc_valid_until=datetime.fromtimestamp(member.valid_until, UTC),
    )
    return section, tenure if admitted else None, len(suspended) + len(revoked)


def _held_pieces(session: Session, addrs: Sequence[str], received: list[_Piece], now: int) -> list[_Piece]:
    """Unpaid pieces the member holds now, not overdue, maturing within the facility horizon."""
    by_piece = {p.piece_id: p for p in received}
    held = []
    horizon = now + FACILITY_HORIZON_DAYS * 86_400
    for voucher_id, value, overdue, tier, obligor, currency, maturity in session.execute(
        select(
            Voucher.voucher_id,
            Voucher.value,
            Voucher.overdue,
            Voucher.tier,
            VoucherRoot.obligor,
            VoucherRoot.currency,
            VoucherRoot.maturity,
        )
        .join(VoucherRoot, VoucherRoot.root_id == Voucher.root_id)
        .where(Voucher.holder.in_(addrs), Voucher.status.in_(("active", "pledged")), Voucher.value != 0)
        .order_by(Voucher.voucher_id)
    ):
        if overdue or not now < maturity <= horizon:
            continue
        origin = by_piece.get(voucher_id)
        if origin is None:
            continue  # a piece whose arrival is not indexed cannot be evidenced
        held.append(_Piece(voucher_id, origin.event, value, obligor, currency, maturity, tier))
    return held


def _advance_rate(tally: _ObligorTally | None) -> Decimal:
    share = _pct(tally.on_time, tally.judged) if tally is not None else None
    if share is None:
        return ADVANCE_NO_RECORD
    if share >= 95:
        return ADVANCE_GOOD
    if share >= 80:
        return ADVANCE_FAIR
    return Decimal(0)


def _with_refs(f: Figure, refs: list[EventRef]) -> Figure:
    return f.model_copy(update={"refs": refs[:REFS_SHOWN], "refs_total": len(refs)})


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _facility(
    held: list[_Piece], tallies: dict[str, _ObligorTally], loans: list[_Loan], goods: GoodsSection, grade: str
) -> FacilityOut:
    grade_factor = next(share for _, name, share in scorecard.GRADES if name == grade)
    currencies = sorted({p.currency for p in held} | {loan.currency for loan in loans if _is_open(loan)})
    lines = []
    for currency in currencies:
        mine = [p for p in held if p.currency == currency]
        due = sum(p.value for p in mine)
        advance = sum((as_money(p.value) * _advance_rate(tallies.get(p.obligor)) for p in mine), Decimal(0))
        open_loans = [loan for loan in loans if _is_open(loan) and loan.currency == currency]
        exposure = sum(loan.amount for loan in open_loans)
        priced = [h for h in goods.holdings if h.value.value is not None and h.value.unit == currency]
        goods_value = sum((h.value.value or Decimal(0) for h in priced), Decimal(0))
        goods_events = [r for h in priced for r in h.value.refs]
        base = _money((advance + goods_value * ADVANCE_GOODS) * grade_factor)
        limit = max(Decimal(0), base - as_money(exposure))
        events = [p.event for p in mine]
        no_price = None if priced else "goods are not valued: no price is indexed"
        lines.append(
            FacilityLine(
                currency=currency,
                receivables_due=figure(as_money(due), currency, events),
                receivables_advance=figure(_money(advance), currency, events),
                collateral_value=_with_refs(
                    figure(goods_value if priced else None, currency, note=no_price), goods_events
                ),
                collateral_advance=_with_refs(
                    figure(_money(goods_value * ADVANCE_GOODS), currency, note=no_price), goods_events
                ),
                exposure=figure(
                    as_money(exposure), currency, [e for loan in open_loans for e in loan.events]
                ),
                grade_factor=grade_factor,
                limit=figure(
                    _money(limit), currency, [*events, *(e for loan in open_loans for e in loan.events)]
                ),
            )
        )
    return FacilityOut(
        horizon_days=FACILITY_HORIZON_DAYS,
        lines=lines,
        note=(
            "limit = (sum of unpaid receivables held maturing within the horizon x the advance rate by "
            "obligor record + goods value x 50 %) x the grade's factor - current exposure; goods count only "
            "where a price is indexed"
        ),
    )
