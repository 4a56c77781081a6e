"""The explorer's valuation pages: every commodity's price, a commodity's price chart and history
with each publisher's post, and a loan's LTV with its margin-call timeline.

Anonymous like every explorer page: a loan's amounts (outstanding, repayments) are lien terms and
are withheld (services.visibility); its LTV, collateral, price and margin-call state are shown, as
the register shows that a receipt is pledged and to whom. `router` is included by `create_app`
before the explorer's catch-all."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db.models import ChainEventRow, LoanCollateralRow, LoanRow, PriceFeedRow, ReferencePriceRow
from registry.errors import NotFound
from registry.explorer.charts import CHART_H, CHART_W, PLOT_BOTTOM, PLOT_LEFT, PLOT_RIGHT, PLOT_TOP
from registry.explorer.facts import Cell, Events, Fact, Field, Links, Table, flag, text, utc_fact
from registry.explorer.pages import Page, as_of, chain_now
from registry.explorer.routes import Db, HtmlErrors, PageLinks, render
from registry.services import valuation as service
from registry.services._format import when

router = APIRouter(prefix="/explorer", include_in_schema=False, route_class=HtmlErrors)

COMMODITY_PATTERN = r"^[A-Za-z0-9._-]{1,16}$"
MAX_ID = 2**63 - 1
CHART_ROUNDS = 200  # the newest rounds on the chart; the history table and the API hold the rest
MARGIN_EVENTS = (
    "LoanOpened",
    "CollateralAdded",
    "CollateralRemoved",
    "RepaymentRecorded",
    "MarginCalled",
    "MarginCallCured",
    "MarginChecked",
)


def _price(minor: int, decimals: int) -> str:
    return f"{Decimal(minor).scaleb(-decimals):f}"


def _ltv(bps: int | None) -> Fact:
    if bps is None:
        return Fact("—", kind="muted")
    return Fact(f"{Decimal(bps).scaleb(-2).quantize(Decimal('0.01'))} %")


def _status(label: str) -> Fact:
    alarming = label in {
        "margin-called",
        "default",
        "cure-window-expired",
        "above-margin-call",
        "stale-price",
    }
    return flag(alarming, label, label)


def loan_link(links: Links, loan_id: int) -> Fact:
    return Fact(f"loan {loan_id}", href=links.page("loans", loan_id), kind="id")


def commodity_link(links: Links, commodity: str) -> Fact:
    return Fact(commodity, href=links.page("prices", commodity))


@dataclass(frozen=True)
class PricePoint:
    x: int
    y: int
    label: str
    href: str


@dataclass(frozen=True)
class PriceChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    path: str
    points: list[PricePoint]
    ticks: list[tuple[int, str]]


def price_chart(rounds: list[ReferencePriceRow], decimals: int, links: Links) -> PriceChart | None:
    """A step chart of the reference price, one equal slot per round, oldest first."""
    if not rounds:
        return None
    top = max(r.price for r in rounds)
    scale = top + max(1, top // 10)
    plot_h, plot_w, n = PLOT_BOTTOM - PLOT_TOP, PLOT_RIGHT - PLOT_LEFT, len(rounds)

    def y_of(value: int) -> int:
        return PLOT_BOTTOM - value * plot_h // scale

    points = [
        PricePoint(
            x=PLOT_LEFT + i * plot_w // n,
            y=y_of(r.price),
            label=f"round {r.round_id}: {_price(r.price, decimals)} as of {when(r.as_of):%Y-%m-%d %H:%M} UTC",
            href=links.page("prices", r.commodity) + f"#round-{r.round_id}",
        )
        for i, r in enumerate(rounds)
    ]
    path = f"M{points[0].x},{points[0].y}" + "".join(f"H{p.x}V{p.y}" for p in points[1:]) + f"H{PLOT_RIGHT}"
    ticks = [(y_of(top * k // 4), _price(top * k // 4, decimals)) for k in range(5)]
    return PriceChart(CHART_W, CHART_H, PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM, path, points, ticks)


@dataclass(frozen=True)
class PricePage(Page):
    chart: PriceChart | None
    unit: str


def prices_page(session: Session, links: Links) -> Page:
    now = chain_now(session)
    views = service.prices(session, now=now)
    loans = session.scalars(select(LoanRow).where(LoanRow.outstanding != 0).order_by(LoanRow.loan_id)).all()
    feeds = {f.commodity: f for f in session.scalars(select(PriceFeedRow))}
    worst = sorted(loans, key=lambda r: (-(r.ltv_bps if r.ltv_bps is not None else 2**32), r.loan_id))
    return Page(
        title="Prices and loan-to-value · Ledgerhouse explorer",
        heading="Prices and loan-to-value",
        subtitle="Each commodity's reference price (the median of its publishers' fresh posts) and every "
        "open loan against receipts valued at it, worst loan-to-value first.",
        as_of=as_of(session),
        fields=[],
        tables=[
            Table(
                id="prices",
                caption="Reference prices",
                columns=("Commodity", "Price", "As of", "Fresh", "Publishers"),
                rows=[
                    (
                        (commodity_link(links, v.commodity),),
                        text(f"{v.price} {v.currency}/{v.unit}" if v.price else "no price yet"),
                        (utc_fact(v.as_of),) if v.as_of else text("—", "muted"),
                        (flag(not v.fresh, "STALE", "fresh"),),
                        text(str(sum(1 for p in v.publishers if p.admitted))),
                    )
                    for v in views
                ],
                numeric=frozenset({1}),
                empty="no price feed has been created yet",
            ),
            Table(
                id="loans",
                caption="Open loans by loan-to-value",
                columns=("Loan", "Lender", "Borrower", "Collateral", "LTV", "Margin call at", "Status"),
                rows=[
                    (
                        (loan_link(links, r.loan_id),),
                        (links.party(r.lender),),
                        (links.party(r.borrower),),
                        text(f"{(Decimal(r.collateral).scaleb(-18)).normalize():f} {r.commodity}"),
                        (_ltv(r.ltv_bps),),
                        (_ltv(r.margin_call_ltv_bps),),
                        (_status(service.status(r, feeds.get(r.commodity), now)),),
                    )
                    for r in worst
                ],
                numeric=frozenset({3, 4, 5}),
                empty="no loan is open against receipts",
            ),
        ],
    )


def price_page(session: Session, links: Links, commodity: str) -> PricePage:
    now = chain_now(session)
    view = service.price(session, commodity, now=now)
    feed = session.get(PriceFeedRow, view.commodity)
    assert feed is not None
    rounds = list(
        session.scalars(
            select(ReferencePriceRow)
            .where(ReferencePriceRow.commodity == view.commodity)
            .order_by(ReferencePriceRow.round_id.desc())
            .limit(CHART_ROUNDS)
        )
    )
    rounds.reverse()
    return PricePage(
        title=f"{view.commodity} price · Ledgerhouse explorer",
        heading=f"{view.commodity} price",
        subtitle=f"per {view.unit} in {view.currency}: the median of the fresh counted posts; older than "
        f"{view.max_age_s} s it is no price, and nothing is valued on it",
        as_of=as_of(session),
        fields=[
            Field(
                "Reference price", text(f"{view.price} {view.currency}/{view.unit}" if view.price else "none")
            ),
            Field("As of", (utc_fact(view.as_of),) if view.as_of else text("—", "muted")),
            Field("Fresh", (flag(not view.fresh, "STALE", "fresh"),)),
            Field("Round", text(f"{view.round_id} (median of {view.contributors})")),
            Field(
                "Deviation guard",
                text(f"{view.max_deviation_bps / 100:.2f} %" if view.max_deviation_bps else "none"),
            ),
            Field("Chainlink aggregator", (Fact(view.aggregator, kind="hash"),)),
        ],
        tables=[
            Table(
                id="posts",
                caption="Each publisher's latest post",
                columns=("Publisher", "Price", "As of", "Source", "Counts"),
                rows=[
                    (
                        (links.party(p.publisher),),
                        text(p.price or "—"),
                        (utc_fact(p.as_of),) if p.as_of else text("—", "muted"),
                        text(p.source or ""),
                        (flag(p.pending or not p.admitted, "pending" if p.pending else "removed", "yes"),),
                    )
                    for p in view.publishers
                ],
                numeric=frozenset({1}),
                empty="no publisher is admitted for this commodity",
            ),
            Table(
                id="history",
                caption="Reference price history (newest first)",
                columns=("Round", "Price", "As of", "Publishers"),
                rows=[
                    (
                        text(str(r.round_id)),
                        text(_price(r.price, feed.decimals)),
                        (utc_fact(when(r.as_of)),),
                        text(str(r.contributors)),
                    )
                    for r in reversed(rounds)
                ],
                numeric=frozenset({1}),
                empty="no price has been posted yet",
            ),
        ],
        chart=price_chart(rounds, feed.decimals, links),
        unit=f"{view.currency}/{view.unit}",
    )


def loan_page(session: Session, links: Links, loan_id: int) -> Page:
    now = chain_now(session)
    loan = session.get(LoanRow, loan_id)
    if loan is None:
        raise NotFound(f"loan {loan_id} is not in the registry", loan_id=loan_id)
    feed = session.get(PriceFeedRow, loan.commodity)
    status = service.status(loan, feed, now)
    receipts = session.scalars(
        select(LoanCollateralRow.receipt_id)
        .where(LoanCollateralRow.loan_id == loan_id, LoanCollateralRow.removed_at.is_(None))
        .order_by(LoanCollateralRow.receipt_id)
    ).all()
    events = Events(session, links)
    timeline = [
        e
        for e in session.scalars(
            select(ChainEventRow)
            .where(ChainEventRow.contract == "CollateralMonitor", ChainEventRow.name.in_(MARGIN_EVENTS))
            .order_by(ChainEventRow.block_number, ChainEventRow.log_index)
        )
        if str(e.args.get("loanId")) == str(loan_id)
    ]
    price_text = (
        f"{_price(feed.price, feed.decimals)} {feed.currency}/{feed.unit}" if feed and feed.price else "none"
    )
    bps = (loan.advance_rate_bps, loan.margin_call_ltv_bps, loan.liquidation_ltv_bps)
    rates = [f"{b / 100:.2f} %" for b in bps]
    terms = f"advance rate {rates[0]}, margin call at {rates[1]}, liquidation at {rates[2]}, "
    terms += f"cure window {loan.cure_window // 3600} h"
    receipt_cell: Cell = tuple(links.receipt(r) for r in receipts) or text("none left", "muted")
    return Page(
        title=f"Loan {loan_id} · Ledgerhouse explorer",
        heading=f"Loan {loan_id}",
        subtitle=f"secured by {loan.commodity} receipts, valued at the reference price",
        as_of=as_of(session),
        fields=[
            Field("Lender", (links.party(loan.lender),)),
            Field("Borrower", (links.party(loan.borrower),)),
            Field(
                "Collateral",
                text(
                    f"{(Decimal(loan.collateral).scaleb(-18)).normalize():f} "
                    f"{feed.unit if feed else ''} {loan.commodity}"
                ),
            ),
            Field("Receipts", receipt_cell),
            Field("Price", (commodity_link(links, loan.commodity), *text(price_text))),
            Field("Loan-to-value", (_ltv(loan.ltv_bps),)),
            Field("Status", (_status(status),)),
            Field("Terms", text(terms)),
            Field(
                "Cure deadline",
                (utc_fact(when(loan.cure_deadline)),)
                if loan.cure_deadline
                else text("no margin call open", "muted"),
            ),
            Field(
                "Amounts",
                text(
                    "withheld: a loan's amounts are lien terms, for its parties signed in to the API", "muted"
                ),
            ),
        ],
        tables=[events.table("timeline", "Margin-call timeline", [events.row(e) for e in timeline])],
    )


@router.get("/prices", response_class=HTMLResponse)
def prices(request: Request, session: Db, to: PageLinks) -> HTMLResponse:
    return render(request, "page.html", page=prices_page(session, to))


@router.get("/prices/{commodity}", response_class=HTMLResponse)
def price(
    request: Request, session: Db, to: PageLinks, commodity: Annotated[str, Path(pattern=COMMODITY_PATTERN)]
) -> HTMLResponse:
    return render(request, "price.html", page=price_page(session, to, commodity))


@router.get("/loans/{loan_id}", response_class=HTMLResponse)
def loan(
    request: Request, session: Db, to: PageLinks, loan_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> HTMLResponse:
    return render(request, "page.html", page=loan_page(session, to, loan_id))
