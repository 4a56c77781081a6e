"""`ledgerhouse oracle`: commodity reference prices — publishers post, the consortium admin creates
feeds and admits publishers, anyone shows a commodity's price and its age."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from client.cli._context import cli, stdout
from client.errors import InvalidInput

app = typer.Typer(
    help="Price publisher: post commodity prices; anyone: a price, its age and each publisher's post.",
    no_args_is_help=True,
)

_CSV_REQUIRED = ("commodity", "price")
_MAX_DEVIATION_HELP = (
    "Deviation bound, e.g. 5% (a post moving the median more needs a second publisher); 0 = none"
)


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 3_600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86_400:
        return f"{seconds / 3_600:.1f} h"
    return f"{seconds / 86_400:.1f} days"


@app.command()
def post(
    ctx: typer.Context,
    commodity: Annotated[str, typer.Option("--commodity", help="Commodity code, as in the lots (CU-CATH)")],
    price: Annotated[str, typer.Option("--price", help="Price per unit in the currency, e.g. 68500.00")],
    unit: Annotated[str | None, typer.Option("--unit", help="Unit priced per (checked: the feed's)")] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", help="ISO 4217 currency (checked: the feed's)")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="When observed, e.g. 2026-12-03T15:00:00Z (default: now)")
    ] = None,
    source: Annotated[str, typer.Option("--source", help="Source tag, e.g. SHFE-SETTLE (12 chars)")] = "",
) -> None:
    """Post one price (an admitted price publisher)."""
    from client.prices import parse_as_of

    c = cli(ctx)
    moment = parse_as_of(as_of) if as_of else None
    prices = c.ledgerhouse(signer=True).prices
    tx = prices.post_price(commodity, price, as_of=moment, source=source, unit=unit, currency=currency)
    shown = prices.show(commodity)
    c.emit(
        {"commodity": commodity, "posted": price, "reference": shown.to_json(), "tx_hash": tx.tx_hash},
        f"posted {commodity} at {price} {shown.currency}/{shown.unit}; reference price now "
        f"{shown.price} ({shown.contributors} publisher(s)) — tx {tx.tx_hash}",
    )


@app.command("post-batch")
def post_batch(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.csv",
            help="Columns commodity, price; optional unit, currency, as_of (ISO time), source",
        ),
    ],
) -> None:
    """Post every price of a CSV file, checked first: one bad row and nothing is posted."""
    from client.batch import read_csv
    from client.cli.warehouse import batch_progress
    from client.prices import Quote, parse_as_of

    c = cli(ctx)
    rows = read_csv(file, _CSV_REQUIRED)
    quotes, names = [], []
    for number, row in rows:
        where = f"{file} line {number}"
        try:
            moment = parse_as_of(row["as_of"]) if row.get("as_of") else None
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc}") from None
        quotes.append(
            Quote(
                commodity=row["commodity"],
                price=row["price"],
                as_of=moment,
                source=row.get("source", ""),
                unit=row.get("unit") or None,
                currency=row.get("currency") or None,
            )
        )
        names.append(where)
    prices = c.ledgerhouse(signer=True).prices
    with batch_progress(c) as progress:
        result = prices.post(
            quotes, names=names, progress=lambda done, total: progress("posted", done, total)
        )
    c.emit(
        {"file": str(file), **result.to_json()},
        f"posted {result.posted} price(s) from {file} in {len(result.txs)} transaction(s)",
    )


@app.command()
def show(ctx: typer.Context, commodity: Annotated[str, typer.Argument(help="Commodity code")]) -> None:
    """The reference price (median of the fresh posts), its age, and each publisher's post."""
    c = cli(ctx)
    view = c.ledgerhouse(signer=False).prices.show(commodity)
    if c.json_output:
        c.emit(view.to_json(), "")
        return
    state = "fresh" if view.fresh else ("[red]STALE[/]" if view.price is not None else "[red]NO PRICE[/]")
    stdout.print(
        f"{view.commodity}: {view.price if view.price is not None else '-'} {view.currency}/{view.unit} "
        f"({state}; as of {view.as_of:%Y-%m-%d %H:%M UTC}, {_age(view.age_s)} old, "
        f"bound {_age(view.max_age_s)}; "
        f"median of {view.contributors}, round {view.round_id})"
        if view.as_of
        else f"{view.commodity}: no price yet ({view.currency}/{view.unit})"
    )
    table = Table(title="posts")
    for column in ("publisher", "price", "as of", "age", "source", "pending"):
        table.add_column(column)
    labels = c.ledgerhouse(signer=False).labels
    for p in view.posts:
        table.add_row(
            labels.get(p.publisher.lower(), p.publisher),
            str(p.price) if p.price is not None else "-",
            f"{p.as_of:%Y-%m-%d %H:%M}" if p.as_of else "-",
            _age(p.age_s),
            p.source,
            "pending" if p.pending else "",
        )
    stdout.print(table)


feed_app = typer.Typer(
    help="Consortium admin: create price feeds and admit publishers.", no_args_is_help=True
)
app.add_typer(feed_app, name="feed")


@feed_app.command("create")
def feed_create(
    ctx: typer.Context,
    commodity: Annotated[str, typer.Argument(help="Commodity code, as in the lots")],
    unit: Annotated[str, typer.Option("--unit", help="Unit prices are per, as in the lots (t)")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 currency (CNY)")],
    decimals: Annotated[int, typer.Option("--decimals", help="The currency's minor-unit digits")] = 2,
    max_age: Annotated[str, typer.Option("--max-age", help="Staleness bound, e.g. 3d or 36h")] = "3d",
    max_deviation: Annotated[str, typer.Option("--max-deviation", help=_MAX_DEVIATION_HELP)] = "0",
) -> None:
    """Create the feed of a commodity and its Chainlink AggregatorV3Interface (consortium admin)."""
    from client.valuation import parse_duration, parse_percent

    c = cli(ctx)
    deviation = (
        0
        if max_deviation.strip().rstrip("%").strip() in {"0", ""}
        else parse_percent(max_deviation, what="deviation bound")
    )
    prices = c.ledgerhouse(signer=True).prices
    tx = prices.create_feed(
        commodity,
        unit=unit,
        currency=currency,
        decimals=decimals,
        max_age_s=parse_duration(max_age, what="staleness bound"),
        max_deviation_bps=deviation,
    )
    feed = prices.feed(commodity)
    c.emit(
        {**feed.to_json(), "tx_hash": tx.tx_hash},
        f"feed {commodity} ({feed.currency}/{feed.unit}) created; Chainlink aggregator {feed.aggregator} "
        f"— tx {tx.tx_hash}",
    )


@feed_app.command("admit")
def feed_admit(
    ctx: typer.Context,
    commodity: Annotated[str, typer.Argument(help="Commodity code")],
    publisher: Annotated[str, typer.Argument(help="Address of an admitted price-publisher member")],
) -> None:
    """Admit a price publisher to post for a commodity (consortium admin)."""
    c = cli(ctx)
    tx = c.ledgerhouse(signer=True).prices.admit_publisher(commodity, publisher)
    c.emit(
        {"commodity": commodity, "publisher": publisher, "tx_hash": tx.tx_hash},
        f"{publisher} may post {commodity} prices — tx {tx.tx_hash}",
    )


@feed_app.command("list")
def feed_list(ctx: typer.Context) -> None:
    """Every feed and its bounds."""
    c = cli(ctx)
    prices = c.ledgerhouse(signer=False).prices
    feeds = [prices.feed(code) for code in prices.commodities()]
    if c.json_output:
        c.emit({"feeds": [f.to_json() for f in feeds]}, "")
        return
    table = Table(title="price feeds")
    for column in ("commodity", "quoted", "staleness bound", "deviation bound", "publishers", "aggregator"):
        table.add_column(column)
    for f in feeds:
        table.add_row(
            f.commodity,
            f"{f.currency}/{f.unit}",
            _age(f.max_age_s),
            f"{f.max_deviation_bps / 100:.2f} %" if f.max_deviation_bps else "none",
            str(f.publishers),
            f.aggregator,
        )
    stdout.print(table)
