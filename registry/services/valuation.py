"""Prices and loan valuations from the index: a commodity's reference price and its history, a
loan's LTV at the latest price, a lender's book by LTV, and the margin alerts.

LTV is the indexer's (projector) integer computation, the contract's formula; a price is fresh when
the newest indexed block is within the feed's staleness bound of its as-of time, as the contract
judges it at that block."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from client._encoding import from_base_units
from client.models import AlertOut, LoanValuationOut, PriceOut, PricePointOut, PublisherPostOut
from registry.db.models import LoanCollateralRow, LoanRow, PriceFeedRow, PricePublisherRow, ReferencePriceRow
from registry.errors import NotFound
from registry.indexer.valuation_projection import QUANTITY_SCALE
from registry.services._format import when

NEAR_MARGIN_BPS = 500  # within 5 points of the margin-call LTV


def _amount(value: int, decimals: int) -> str:
    return f"{from_base_units(value, decimals):f}"


def _percent(bps: int) -> str:
    return f"{Decimal(bps).scaleb(-2).quantize(Decimal('0.01')):f}"


def is_fresh(feed: PriceFeedRow, now: int) -> bool:
    return feed.price is not None and feed.price_as_of is not None and now - feed.price_as_of <= feed.max_age


def _feed(session: Session, commodity: str) -> PriceFeedRow:
    feed = session.get(PriceFeedRow, commodity.strip())
    if feed is None:
        raise NotFound(
            f"there is no price feed for commodity {commodity.strip()}", commodity=commodity.strip()
        )
    return feed


def price(session: Session, commodity: str, *, now: int) -> PriceOut:
    feed = _feed(session, commodity)
    posts = session.scalars(
        select(PricePublisherRow)
        .where(PricePublisherRow.commodity == feed.commodity)
        .order_by(PricePublisherRow.publisher)
    ).all()
    return _price_out(feed, posts, now)


def prices(session: Session, *, now: int) -> list[PriceOut]:
    posts: dict[str, list[PricePublisherRow]] = defaultdict(list)
    for p in session.scalars(select(PricePublisherRow).order_by(PricePublisherRow.publisher)):
        posts[p.commodity].append(p)
    feeds = session.scalars(select(PriceFeedRow).order_by(PriceFeedRow.commodity)).all()
    return [_price_out(f, posts[f.commodity], now) for f in feeds]


def _price_out(feed: PriceFeedRow, posts: Sequence[PricePublisherRow], now: int) -> PriceOut:
    rows = list(posts)
    return PriceOut(
        commodity=feed.commodity,
        unit=feed.unit,
        currency=feed.currency,
        price=_amount(feed.price, feed.decimals) if feed.price else None,
        as_of=when(feed.price_as_of) if feed.price_as_of else None,
        age_s=now - feed.price_as_of if feed.price_as_of else None,
        fresh=is_fresh(feed, now),
        max_age_s=feed.max_age,
        max_deviation_bps=feed.max_deviation_bps,
        round_id=feed.round_id,
        contributors=feed.contributors,
        aggregator=feed.aggregator,
        publishers=[
            PublisherPostOut(
                publisher=p.publisher,
                admitted=p.admitted,
                price=_amount(p.price, feed.decimals) if p.price else None,
                as_of=when(p.as_of) if p.as_of else None,
                age_s=now - p.as_of if p.as_of else None,
                source=p.source,
                pending=p.pending,
            )
            for p in rows
        ],
    )


def history(
    session: Session, commodity: str, *, after: int | None, limit: int
) -> tuple[list[PricePointOut], int | None]:
    """The reference prices of `commodity`, newest round first; `after` is a round id."""
    feed = _feed(session, commodity)
    query = select(ReferencePriceRow).where(ReferencePriceRow.commodity == feed.commodity)
    if after is not None:
        query = query.where(ReferencePriceRow.round_id < after)
    rows = session.scalars(query.order_by(ReferencePriceRow.round_id.desc()).limit(limit + 1)).all()
    page = [
        PricePointOut(
            round_id=r.round_id,
            price=_amount(r.price, feed.decimals),
            as_of=when(r.as_of),
            contributors=r.contributors,
            block_number=r.block_number,
            block_time=when(r.block_time),
        )
        for r in rows[:limit]
    ]
    return page, (page[-1].round_id if len(rows) > limit else None)


def status(loan: LoanRow, feed: PriceFeedRow | None, now: int) -> str:
    """Where the loan stands, as CollateralMonitor.marginStatus would say at `now` (plus near-margin
    and stale-price, which the chain answers with a refusal)."""
    if loan.outstanding == 0:
        return "repaid"
    if feed is None or not is_fresh(feed, now) or loan.ltv_bps is None:
        return "stale-price"
    if loan.cure_deadline is not None and loan.cure_deadline != 0:
        if now <= loan.cure_deadline:
            return "margin-called"
        return "default" if loan.ltv_bps > loan.liquidation_ltv_bps else "cure-window-expired"
    if loan.ltv_bps > loan.margin_call_ltv_bps:
        return "above-margin-call"
    if loan.ltv_bps > loan.margin_call_ltv_bps - NEAR_MARGIN_BPS:
        return "near-margin"
    return "healthy"


def _valuation_out(
    loan: LoanRow, feed: PriceFeedRow | None, receipts: list[int], now: int
) -> LoanValuationOut:
    decimals = feed.decimals if feed is not None else 2
    return LoanValuationOut(
        loan_id=loan.loan_id,
        lender=loan.lender,
        borrower=loan.borrower,
        commodity=loan.commodity,
        currency=loan.currency,
        unit=feed.unit if feed is not None else "",
        loan_ref=loan.loan_ref,
        outstanding=_amount(loan.outstanding, decimals),
        collateral=f"{(Decimal(loan.collateral) / QUANTITY_SCALE).normalize():f}",
        receipts=receipts,
        price=_amount(feed.price, decimals) if feed is not None and feed.price else None,
        price_as_of=when(feed.price_as_of) if feed is not None and feed.price_as_of else None,
        price_fresh=feed is not None and is_fresh(feed, now),
        value=_amount(loan.value, decimals) if loan.value is not None else None,
        ltv_bps=loan.ltv_bps,
        ltv_percent=_percent(loan.ltv_bps) if loan.ltv_bps is not None else None,
        advance_rate_bps=loan.advance_rate_bps,
        margin_call_ltv_bps=loan.margin_call_ltv_bps,
        liquidation_ltv_bps=loan.liquidation_ltv_bps,
        cure_window_s=loan.cure_window,
        cure_deadline=when(loan.cure_deadline) if loan.cure_deadline else None,
        status=status(loan, feed, now),
        last_check=loan.last_status,
    )


def _receipts_of(session: Session, loan_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    if loan_ids:
        for loan_id, receipt_id in session.execute(
            select(LoanCollateralRow.loan_id, LoanCollateralRow.receipt_id)
            .where(LoanCollateralRow.loan_id.in_(loan_ids), LoanCollateralRow.removed_at.is_(None))
            .order_by(LoanCollateralRow.receipt_id)
        ):
            found[loan_id].append(receipt_id)
    return found


def loan(session: Session, loan_id: int, *, now: int) -> LoanValuationOut:
    row = session.get(LoanRow, loan_id)
    if row is None:
        raise NotFound(f"loan {loan_id} is not in the registry", loan_id=loan_id)
    return _valuation_out(
        row, session.get(PriceFeedRow, row.commodity), _receipts_of(session, [loan_id])[loan_id], now
    )


def loan_of_receipt(session: Session, receipt_id: int) -> int | None:
    row = session.get(LoanCollateralRow, receipt_id)
    return row.loan_id if row is not None and row.removed_at is None else None


def lender_book(
    session: Session, lender: str, *, now: int, limit: int, after: int | None = None
) -> tuple[list[LoanValuationOut], int | None]:
    """A lender's loans with something outstanding, worst LTV first (then by loan id)."""
    query = select(LoanRow).where(LoanRow.lender == lender, LoanRow.outstanding != 0)
    rows = list(session.scalars(query))
    # Sorted here: LTV is exact in Python, and one lender's book is what a page is cut from.
    rows.sort(key=lambda r: (-(r.ltv_bps if r.ltv_bps is not None else 2**32), r.loan_id))
    if after is not None:
        position = next((i for i, r in enumerate(rows) if r.loan_id == after), None)
        rows = rows[position + 1 :] if position is not None else []
    page = rows[:limit]
    feeds = {f.commodity: f for f in session.scalars(select(PriceFeedRow))}
    receipts = _receipts_of(session, [r.loan_id for r in page])
    items = [_valuation_out(r, feeds.get(r.commodity), receipts[r.loan_id], now) for r in page]
    return items, (page[-1].loan_id if len(rows) > limit else None)


def margin_calls(
    session: Session, *, now: int, limit: int, after: int | None
) -> tuple[list[LoanValuationOut], int | None]:
    """Loans with a margin call open, by loan id."""
    query = select(LoanRow).where(LoanRow.cure_deadline.is_not(None), LoanRow.cure_deadline != 0)
    if after is not None:
        query = query.where(LoanRow.loan_id > after)
    rows = session.scalars(query.order_by(LoanRow.loan_id).limit(limit + 1)).all()
    page = rows[:limit]
    feeds = {f.commodity: f for f in session.scalars(select(PriceFeedRow))}
    receipts = _receipts_of(session, [r.loan_id for r in page])
    items = [_valuation_out(r, feeds.get(r.commodity), receipts[r.loan_id], now) for r in page]
    return items, (page[-1].loan_id if len(rows) > limit else None)


# ---------------------------------------------------------------- alerts (risk.alerts pages through these)


def margin_call_alerts(
    session: Session, *, now: int, after: int | None, limit: int
) -> list[tuple[str, AlertOut]]:
    """An open margin call per loan: within its cure window, or past it (and then whether the loan
    is in default, foreclosable before maturity)."""
    items, _ = margin_calls(session, now=now, limit=limit, after=after)
    found = []
    for v in items:
        deadline = v.cure_deadline
        stand = {
            "margin-called": f"cure by {deadline:%Y-%m-%d %H:%M} UTC" if deadline else "cure window open",
            "default": "cure window expired and LTV above the liquidation LTV: foreclosable before maturity",
            "cure-window-expired": "cure window expired, LTV below the liquidation LTV",
            "stale-price": "the price is stale: nothing can be valued until a fresh one",
        }.get(v.status, v.status)
        alert = AlertOut(
            kind="margin-call",
            subject=str(v.loan_id),
            # No amount: the alerts are public and a loan's amounts are lien terms (services.visibility).
            detail=f"loan {v.loan_id} against {v.collateral} {v.unit} {v.commodity}: LTV {v.ltv_percent} % "
            "above the margin call at "
            f"{_percent(v.margin_call_ltv_bps)} %; {stand}",
            parties=[v.borrower, v.lender],
            since=deadline,
        )
        found.append((f"margin-call:{v.loan_id}", alert))
    return found


def near_margin_alerts(
    session: Session, *, now: int, after: int | None, limit: int
) -> list[tuple[str, AlertOut]]:
    """Loans with no call open whose LTV is within 5 points of the margin call, or above it and
    not yet checked on chain, at a fresh price."""
    fresh = [f for f in session.scalars(select(PriceFeedRow)) if is_fresh(f, now)]
    if not fresh:
        return []
    query = select(LoanRow).where(
        LoanRow.commodity.in_([f.commodity for f in fresh]),
        or_(LoanRow.cure_deadline.is_(None), LoanRow.cure_deadline == 0),
        LoanRow.outstanding != 0,
        LoanRow.ltv_bps.is_not(None),
        LoanRow.ltv_bps > LoanRow.margin_call_ltv_bps - NEAR_MARGIN_BPS,
    )
    if after is not None:
        query = query.where(LoanRow.loan_id > after)
    feeds = {f.commodity: f for f in fresh}
    found = []
    for r in session.scalars(query.order_by(LoanRow.loan_id).limit(limit)):
        feed = feeds[r.commodity]
        ltv = r.ltv_bps or 0
        above = ltv > r.margin_call_ltv_bps
        alert = AlertOut(
            kind="near-margin",
            subject=str(r.loan_id),
            detail=f"loan {r.loan_id}: LTV {_percent(ltv)} % at {_amount(feed.price or 0, feed.decimals)} "
            f"{feed.currency}/{feed.unit}, "
            + (
                f"above the margin call at {_percent(r.margin_call_ltv_bps)} %: "
                "a margin check raises the call"
                if above
                else f"within 5 points of the margin call at {_percent(r.margin_call_ltv_bps)} %"
            ),
            parties=[r.borrower, r.lender],
            since=when(feed.price_as_of) if feed.price_as_of else None,
        )
        found.append((f"near-margin:{r.loan_id}", alert))
    return found


def stale_price_alerts(
    session: Session, *, now: int, after: str | None, limit: int
) -> list[tuple[str, AlertOut]]:
    """Feeds whose reference price is older than their staleness bound (or that never had one)
    while loans are valued by them: those loans cannot be checked on chain."""
    exposed = dict(
        session.execute(
            select(LoanRow.commodity, func.count())
            .where(LoanRow.outstanding != 0)
            .group_by(LoanRow.commodity)
        ).all()
    )
    query = select(PriceFeedRow)
    if after is not None:
        query = query.where(PriceFeedRow.commodity > after)
    found = []
    for feed in session.scalars(query.order_by(PriceFeedRow.commodity)):
        if is_fresh(feed, now) or not exposed.get(feed.commodity):
            continue
        age = (
            f"as of {when(feed.price_as_of):%Y-%m-%d %H:%M} UTC, {now - feed.price_as_of} s old, "
            f"more than the {feed.max_age} s allowed"
            if feed.price_as_of
            else "no price yet"
        )
        alert = AlertOut(
            kind="stale-price",
            subject=feed.commodity,
            detail=f"the {feed.commodity} price is stale ({age}): {exposed[feed.commodity]} loan(s) "
            "cannot be valued or margin-checked until a publisher posts",
            parties=[
                p.publisher
                for p in session.scalars(
                    select(PricePublisherRow)
                    .where(
                        and_(
                            PricePublisherRow.commodity == feed.commodity,
                            PricePublisherRow.admitted.is_(True),
                        )
                    )
                    .order_by(PricePublisherRow.publisher)
                )
            ],
            since=when(feed.price_as_of + feed.max_age) if feed.price_as_of else when(feed.created_at),
        )
        found.append((f"stale-price:{feed.commodity}", alert))
        if len(found) >= limit:
            break
    return found


ALERT_KINDS = ("margin-call", "near-margin", "stale-price")
# Keys after the kind in a /alerts cursor: a loan id, or a commodity code (letters, digits, - . _).
ALERT_CURSOR_PATTERN = r"margin-call:[0-9]{1,18}|near-margin:[0-9]{1,18}|stale-price:[A-Za-z0-9._-]{1,16}"


def alerts_of(
    kind: str, session: Session, *, now: int, after: str | None, limit: int
) -> list[tuple[str, AlertOut]]:
    """One valuation alert kind, a keyset page of it (risk.alerts chains the kinds)."""
    if kind == "margin-call":
        return margin_call_alerts(session, now=now, after=int(after) if after else None, limit=limit)
    if kind == "near-margin":
        return near_margin_alerts(session, now=now, after=int(after) if after else None, limit=limit)
    return stale_price_alerts(session, now=now, after=after, limit=limit)
