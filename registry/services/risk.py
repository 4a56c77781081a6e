"""What lenders and auditors watch: liens by lender, a borrower's exposure across all banks, alerts."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from client._encoding import valid_until
from client.models import AlertOut, ExposureItemOut, ExposureOut, ReceiptOut
from registry.db.models import IndexedBlock, Lot, Participant, Receipt, Voucher, VoucherRoot
from registry.services import valuation
from registry.services._format import money, quantity, when
from registry.services.participants import NO_ENTITY, entity_of
from registry.services.receipts import ReceiptFilter, list_receipts
from registry.services.signin import SessionClaims


def liens_of(
    session: Session, lender: str, *, after: int | None, limit: int, viewer: SessionClaims
) -> tuple[list[ReceiptOut], int | None]:
    """The lender's book with its terms (the route lets only the lender and oversight in)."""
    filters = ReceiptFilter(lender=lender, status="live")
    return list_receipts(session, filters, after=after, limit=limit, viewer=viewer)


def exposure(session: Session, borrower: str) -> ExposureOut:
    """Every active lien on the borrower's receipts and every voucher piece it pledged or sold at a
    discount, across all banks and every address of the borrower's legal entity (one entity admitted
    under several addresses is one borrower): the double-financing check a lender runs before lending."""
    entity_id, addresses = entity_of(session, borrower)
    items: list[ExposureItemOut] = []
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(
        kind: str,
        under: str,
        subject_id: int,
        lender: str,
        minor: int,
        currency: str,
        maturity: int | None,
    ) -> None:
        items.append(
            ExposureItemOut(
                kind=kind,
                borrower=under,
                subject_id=subject_id,
                lender=lender,
                amount=money(minor),
                currency=currency,
                maturity=when(maturity) if maturity else None,
            )
        )
        totals[lender][currency] += minor

    for r in session.scalars(
        select(Receipt)
        .where(Receipt.owner.in_(addresses), Receipt.lender.is_not(None))
        .order_by(Receipt.receipt_id)
    ):
        add(
            "receipt-lien",
            r.owner,
            r.receipt_id,
            r.lender or "",
            r.secured_amount or 0,
            r.currency or "",
            r.loan_maturity,
        )
    rows = session.execute(
        select(Voucher, VoucherRoot)
        .join(VoucherRoot, VoucherRoot.root_id == Voucher.root_id)
        .where(
            or_(
                and_(Voucher.holder.in_(addresses), Voucher.lienholder.is_not(None)),
                and_(Voucher.discount_seller.in_(addresses), Voucher.status != "settled"),
            )
        )
        .order_by(Voucher.voucher_id)
    ).all()
    for v, root in rows:
        if v.holder in addresses and v.lienholder is not None:
            maturity = v.loan_maturity or root.maturity
            secured = v.secured_amount or 0
            add("voucher-pledge", v.holder, v.voucher_id, v.lienholder, secured, root.currency, maturity)
        if v.discount_seller in addresses and v.status != "settled":
            seller, price, buyer = v.discount_seller, v.discount_price or 0, v.discounted_by or ""
            add("voucher-discount", seller, v.voucher_id, buyer, price, root.currency, root.maturity)
    return ExposureOut(
        borrower=borrower,
        entity_id=entity_id,
        addresses=addresses,
        items=items,
        totals={lender: {c: money(v) for c, v in cur.items()} for lender, cur in sorted(totals.items())},
    )


def chain_time(session: Session) -> int | None:
    """The time of the newest indexed block: 'now' as the chain, not this server's clock, sees it."""
    return session.scalar(select(func.max(IndexedBlock.timestamp)))


ALERT_KINDS = ("shortfall", "overdue", "expiring", "shared-entity", *valuation.ALERT_KINDS)
# One cursor across the four kinds, in page order: shortfalls by lot, overdue pieces by voucher id,
# expiring receipts by (expiry, receipt id), entities under several addresses by entity id. The kind
# leads so a page can end inside any of them.
# At most 18 digits: every such number fits the 64-bit columns it is compared with.
ALERT_CURSOR_PATTERN = (
    r"^(shortfall:0x[0-9a-f]{64}|overdue:[0-9]{1,18}|expiring:[0-9]{1,18}:[0-9]{1,18}"
    r"|shared-entity:0x[0-9a-f]{64}|" + valuation.ALERT_CURSOR_PATTERN + ")$"
)


def alerts(
    session: Session,
    *,
    now: int,
    expiring_within_days: int,
    kind: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[AlertOut], str | None]:
    """Shortfalls (frozen lots), overdue voucher pieces, live receipts about to expire, and legal
    entities admitted under several addresses still in standing, in that order, one keyset page at
    a time; returns the page and the cursor of its last alert if more follow.

    `after` must match ALERT_CURSOR_PATTERN (the API checks it); `kind` keeps one kind only."""
    start_kind, _, start_key = after.partition(":") if after else (ALERT_KINDS[0], "", "")
    found: list[tuple[str, AlertOut]] = []
    for k in ALERT_KINDS[ALERT_KINDS.index(start_kind) :]:
        if kind is not None and k != kind:
            continue
        key = start_key if k == start_kind else ""
        want = limit + 1 - len(found)
        if k == "shortfall":
            found += _shortfalls(session, after=key or None, limit=want)
        elif k == "overdue":
            found += _overdue(session, now=now, after=int(key) if key else None, limit=want)
        elif k == "shared-entity":
            found += _shared_entities(session, after=key or None, limit=want)
        elif k in valuation.ALERT_KINDS:
            found += valuation.alerts_of(k, session, now=now, after=key or None, limit=want)
        else:
            horizon = now + expiring_within_days * 86_400
            expiring_after = tuple(int(part) for part in key.split(":")) if key else None
            found += _expiring(session, now=now, horizon=horizon, after=expiring_after, limit=want)
        if len(found) > limit:
            break
    page = found[:limit]
    next_after = page[-1][0] if len(found) > limit else None
    return [alert for _, alert in page], next_after


def _shortfalls(session: Session, *, after: str | None, limit: int) -> list[tuple[str, AlertOut]]:
    query = select(Lot).where(Lot.frozen.is_(True))
    if after is not None:
        query = query.where(Lot.lot_id > after)
    lots = session.scalars(query.order_by(Lot.lot_id).limit(limit)).all()
    lenders: dict[str, set[str]] = defaultdict(set)
    if lots:
        for lot_id, lender in session.execute(
            select(Receipt.lot_id, Receipt.lender).where(
                Receipt.lot_id.in_([lot.lot_id for lot in lots]), Receipt.lender.is_not(None)
            )
        ):
            if lender:
                lenders[lot_id].add(lender)
    found = []
    for lot in lots:
        attested, receipted = quantity(lot.attested, lot.decimals), quantity(lot.receipted, lot.decimals)
        alert = AlertOut(
            kind="shortfall",
            subject=lot.lot_id,
            detail=f"{lot.commodity} lot at {lot.warehouse}: {attested} {lot.unit} attested against "
            f"{receipted} {lot.unit} receipted",
            parties=[lot.warehouse, *sorted(lenders[lot.lot_id])],
            since=when(lot.last_stocktake_at),
        )
        found.append((f"shortfall:{lot.lot_id}", alert))
    return found


def _overdue(session: Session, *, now: int, after: int | None, limit: int) -> list[tuple[str, AlertOut]]:
    query = (
        select(Voucher, VoucherRoot)
        .join(VoucherRoot, VoucherRoot.root_id == Voucher.root_id)
        .where(
            Voucher.status.not_in(("settled", "merged")),
            Voucher.value != 0,  # equality, not order: on SQLite the amount is decimal text
            or_(Voucher.overdue.is_(True), VoucherRoot.maturity < now),
        )
    )
    if after is not None:
        query = query.where(Voucher.voucher_id > after)
    found = []
    for v, root in session.execute(query.order_by(Voucher.voucher_id).limit(limit)):
        alert = AlertOut(
            kind="overdue",
            subject=str(v.voucher_id),
            detail=f"{money(v.value)} {root.currency} owed by {root.obligor} unpaid since maturity",
            parties=[p for p in (v.holder, root.obligor, v.lienholder) if p],
            since=when(root.maturity),
        )
        found.append((f"overdue:{v.voucher_id}", alert))
    return found


def _expiring(
    session: Session, *, now: int, horizon: int, after: tuple[int, ...] | None, limit: int
) -> list[tuple[str, AlertOut]]:
    query = (
        select(Receipt, Lot)
        .join(Lot, Lot.lot_id == Receipt.lot_id)
        .where(Receipt.status == "live", Receipt.expires_at > 0, Receipt.expires_at <= horizon)
    )
    if after is not None:
        expires_at, receipt_id = after
        query = query.where(
            or_(
                Receipt.expires_at > expires_at,
                and_(Receipt.expires_at == expires_at, Receipt.receipt_id > receipt_id),
            )
        )
    found = []
    for r, lot in session.execute(query.order_by(Receipt.expires_at, Receipt.receipt_id).limit(limit)):
        state = "expired" if r.expires_at <= now else "expires"
        alert = AlertOut(
            kind="expiring",
            subject=str(r.receipt_id),
            detail=f"receipt for {quantity(r.quantity, lot.decimals)} {lot.unit} {lot.commodity} {state} "
            f"{valid_until(r.expires_at).date().isoformat()}",
            parties=[p for p in (r.owner, r.warehouse, r.lender) if p],
            since=when(r.expires_at),
        )
        found.append((f"expiring:{r.expires_at}:{r.receipt_id}", alert))
    return found


def _shared_entities(session: Session, *, after: str | None, limit: int) -> list[tuple[str, AlertOut]]:
    """One legal entity (entity id) admitted under more than one address not revoked: its exposure
    is one borrower's, summed across them (/exposure does), and a lender checking one address alone
    would miss the rest."""
    query = (
        select(Participant.entity_id)
        .where(Participant.status != "revoked", Participant.entity_id != NO_ENTITY)
        .group_by(Participant.entity_id)
        .having(func.count() > 1)
    )
    if after is not None:
        query = query.where(Participant.entity_id > after)
    entities = list(session.scalars(query.order_by(Participant.entity_id).limit(limit)))
    members: dict[str, list[Participant]] = defaultdict(list)
    if entities:
        for p in session.scalars(
            select(Participant)
            .where(Participant.entity_id.in_(entities), Participant.status != "revoked")
            .order_by(Participant.admitted_at, Participant.address)
        ):
            members[p.entity_id].append(p)
    found = []
    for entity in entities:
        them = members[entity]
        names = "; ".join(f"{p.address} ({p.role}, {p.name})" for p in them)
        alert = AlertOut(
            kind="shared-entity",
            subject=entity,
            detail=f"one legal entity admitted under {len(them)} addresses: {names}",
            parties=[p.address for p in them],
            since=when(max(p.admitted_at for p in them)),
        )
        found.append((f"shared-entity:{entity}", alert))
    return found
