"""`ledgerhouse receivable`: credit lines, vouchers split down the supply chain, discount, settlement."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from client._encoding import commitment, parse_day
from client.chain import checksum
from client.cli._args import file_hash
from client.cli._context import cli, stdout
from client.errors import InvalidInput

app = typer.Typer(
    help="Receivables: credit lines, payable vouchers split tier by tier, discount, settlement.",
    no_args_is_help=True,
)


def _voucher(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise InvalidInput(f"voucher id {text!r} must be a positive whole number")
    return int(text)


@app.command("credit-line")
def credit_line(
    ctx: typer.Context,
    core: Annotated[str, typer.Option("--core", help="Core enterprise's address")],
    limit: Annotated[str, typer.Option("--limit", help="Credit limit, e.g. 50000000.00")],
    expires: Annotated[str, typer.Option("--expires", help="Last day vouchers can be issued, YYYY-MM-DD")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code")] = "CNY",
) -> None:
    """(Lender) grant or change a core enterprise's credit line."""
    c = cli(ctx)
    core_address = checksum(core, what="--core")
    day = parse_day(expires, what="--expires")
    receivables = c.ledgerhouse(signer=True).receivables
    result = receivables.set_credit_line(core_address, limit=limit, currency=currency, expires=day)
    line = receivables.credit_line(receivables.signer.address, core_address)
    c.emit(
        {"credit_line": line.to_json(), "tx_hash": result.tx_hash},
        f"credit line for {core_address}: {line.limit} {line.currency} until {day.isoformat()} "
        f"({line.available} {line.currency} available) — tx {result.tx_hash}",
    )


@app.command()
def issue(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Tier-1 supplier's address")],
    amount: Annotated[str, typer.Option("--amount", help="Face value, e.g. 1000000.00")],
    maturity: Annotated[str, typer.Option("--maturity", help="Payment date, YYYY-MM-DD")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code")] = "CNY",
    invoice: Annotated[
        Path | None, typer.Option("--invoice", help="Invoice / contract file (hashed)")
    ] = None,
    invoice_id: Annotated[str | None, typer.Option("--invoice-id", help="Invoice number (hashed)")] = None,
    lender: Annotated[
        str | None, typer.Option("--lender", help="Whose credit line (default: the only fit)")
    ] = None,
    min_denomination: Annotated[str, typer.Option("--min-denomination", help="Smallest piece")] = "0.01",
    max_depth: Annotated[
        int,
        typer.Option(
            "--max-depth",
            help="Deepest split tier a piece may reach (splits from the issued piece; "
            "whole transfers keep the tier)",
        ),
    ] = 5,
) -> None:
    """(Core enterprise) issue a voucher to a supplier; one invoice backs one voucher, ever."""
    c = cli(ctx)
    holder = checksum(to, what="--to")
    day = parse_day(maturity, what="--maturity")
    if (invoice is None) == (invoice_id is None):
        raise InvalidInput("give exactly one of --invoice FILE or --invoice-id ID")
    document = file_hash(invoice, what="invoice") if invoice else commitment(f"invoice:{invoice_id}")
    lender_address = checksum(lender, what="--lender") if lender else None
    receivables = c.ledgerhouse(signer=True).receivables
    result, voucher_id = receivables.issue(
        holder,
        amount=amount,
        currency=currency,
        maturity=day,
        document=document,
        lender=lender_address,
        min_denomination=min_denomination,
        max_depth=max_depth,
    )
    c.emit(
        {"voucher_id": voucher_id, "tx_hash": result.tx_hash, "document": "0x" + document.hex()},
        f"issued voucher {voucher_id}: {amount} {currency.upper()} to {holder}, due {day.isoformat()} "
        f"— tx {result.tx_hash}",
    )


@app.command()
def split(
    ctx: typer.Context,
    voucher: Annotated[str, typer.Argument(help="Voucher id")],
    to: Annotated[str, typer.Option("--to", help="Next-tier supplier's address")],
    amount: Annotated[str, typer.Option("--amount", help="Value passed on, e.g. 250000.00")],
) -> None:
    """Pass part of a voucher down the chain: creates a child voucher one tier deeper."""
    c = cli(ctx)
    vid = _voucher(voucher)
    recipient = checksum(to, what="--to")
    receivables = c.ledgerhouse(signer=True).receivables
    result, child = receivables.split(vid, recipient, amount)
    view = receivables.voucher(child)
    c.emit(
        {"voucher_id": child, "parent_id": vid, "tier": view.tier, "tx_hash": result.tx_hash},
        f"voucher {child} (tier {view.tier}, {view.value} {view.currency}) split from {vid} to {recipient} "
        f"— tx {result.tx_hash}",
    )


@app.command()
def transfer(
    ctx: typer.Context,
    voucher: Annotated[str, typer.Argument(help="Voucher id")],
    to: Annotated[str, typer.Option("--to", help="New holder")],
) -> None:
    """Transfer a whole voucher piece."""
    c = cli(ctx)
    vid = _voucher(voucher)
    result = c.ledgerhouse(signer=True).receivables.transfer(vid, checksum(to, what="--to"))
    c.emit({"voucher_id": vid, "to": to, "tx_hash": result.tx_hash}, f"voucher {vid} transferred to {to}")


@app.command()
def merge(
    ctx: typer.Context,
    voucher: Annotated[str, typer.Argument(help="Voucher id")],
    other: Annotated[str, typer.Argument(help="Another piece of the same root you hold")],
) -> None:
    """Merge two pieces of the same root into the lower id."""
    c = cli(ctx)
    result, survivor = c.ledgerhouse(signer=True).receivables.merge(_voucher(voucher), _voucher(other))
    c.emit({"voucher_id": survivor, "tx_hash": result.tx_hash}, f"merged into voucher {survivor}")


@app.command()
def show(ctx: typer.Context, voucher: Annotated[str, typer.Argument(help="Voucher id")]) -> None:
    """Show a voucher piece and its root."""
    c = cli(ctx)
    receivables = c.ledgerhouse(signer=False).receivables
    view = receivables.voucher(_voucher(voucher))
    root = receivables.root(view.root_id)
    c.emit(
        {"voucher": view.to_json(), "root": root.to_json()},
        f"voucher {view.voucher_id}: {view.value} {view.currency}, tier {view.tier}, {view.status.label}, "
        f"held by {view.holder}; root {root.root_id} of {root.obligor}, "
        f"face {root.face_value} {root.currency}, due {root.maturity.date().isoformat()}",
    )


@app.command()
def tree(ctx: typer.Context, root: Annotated[str, typer.Argument(help="Root voucher id")]) -> None:
    """Every piece of a root: holder, value, tier, status, parent."""
    c = cli(ctx)
    receivables = c.ledgerhouse(signer=False).receivables
    pieces = receivables.tree(_voucher(root))
    if c.json_output:
        c.emit({"root_id": pieces[0].root_id, "pieces": [p.to_json() for p in pieces]}, "")
        return
    table = Table(title=f"voucher tree of root {pieces[0].root_id}")
    for column in ("voucher", "parent", "tier", "holder", "value", "status"):
        table.add_column(column)
    for p in pieces:
        table.add_row(
            str(p.voucher_id),
            str(p.parent_id or ""),
            str(p.tier),
            p.holder,
            f"{p.value} {p.currency}",
            p.status.label + (" overdue" if p.overdue else ""),
        )
    stdout.print(table)


@app.command()
def penetration(
    ctx: typer.Context, core: Annotated[str, typer.Option("--core", help="Core enterprise's address")]
) -> None:
    """How far a core enterprise's credit reaches: outstanding value per tier and holder."""
    c = cli(ctx)
    report = c.ledgerhouse(signer=False).receivables.penetration(checksum(core, what="--core"))
    if c.json_output:
        c.emit(report, "")
        return
    table = Table(
        title=f"credit penetration of {report['core']} ({report['outstanding']} {report['currency']})"
    )
    for column in ("tier", "holder", "outstanding"):
        table.add_column(column)
    for tier, holders in report["tiers"].items():
        for holder, value in holders.items():
            table.add_row(tier, holder, value)
    stdout.print(table)


@app.command()
def discount(
    ctx: typer.Context,
    voucher: Annotated[str, typer.Argument(help="Voucher id")],
    lender: Annotated[str, typer.Option("--lender", help="Bank asked to buy it")],
    price: Annotated[str, typer.Option("--price", help="Price asked, e.g. 147000.00")],
) -> None:
    """Offer a voucher piece to a bank for discount; the bank accepts with `bank accept-discount`."""
    c = cli(ctx)
    vid = _voucher(voucher)
    result = c.ledgerhouse(signer=True).receivables.offer_discount(
        vid, checksum(lender, what="--lender"), price
    )
    c.emit(
        {"voucher_id": vid, "lender": lender, "price": price, "tx_hash": result.tx_hash},
        f"voucher {vid} offered to {lender} at {price} — tx {result.tx_hash}",
    )


@app.command()
def pledge(
    ctx: typer.Context,
    voucher: Annotated[str, typer.Argument(help="Voucher id")],
    lender: Annotated[str, typer.Option("--lender", help="Bank asked to take the lien")],
    amount: Annotated[str, typer.Option("--amount", help="Loan amount secured")],
    maturity: Annotated[str, typer.Option("--maturity", help="Loan maturity, YYYY-MM-DD")],
    loan_ref: Annotated[str, typer.Option("--loan-ref", help="Loan agreement reference (hashed)")],
) -> None:
    """Ask a bank to take a lien on a voucher piece; it accepts with `bank accept-voucher-pledge`."""
    c = cli(ctx)
    vid = _voucher(voucher)
    day = parse_day(maturity, what="--maturity")
    result = c.ledgerhouse(signer=True).receivables.request_pledge(
        vid, checksum(lender, what="--lender"), amount=amount, maturity=day, loan_ref=loan_ref
    )
    c.emit(
        {"voucher_id": vid, "tx_hash": result.tx_hash},
        f"pledge of voucher {vid} requested — tx {result.tx_hash}",
    )


@app.command()
def settle(
    ctx: typer.Context,
    voucher: Annotated[str, typer.Argument(help="Voucher id")],
    payment_ref: Annotated[str, typer.Option("--payment-ref", help="Payment reference (hashed)")],
) -> None:
    """(Obligor or its paying bank) record payment of one voucher piece at maturity."""
    c = cli(ctx)
    vid = _voucher(voucher)
    result = c.ledgerhouse(signer=True).receivables.settle(vid, payment_ref)
    c.emit(
        {"voucher_id": vid, "settled": True, "tx_hash": result.tx_hash, "gas_used": result.gas_used},
        f"voucher {vid} settled — tx {result.tx_hash}",
    )


@app.command()
def fund(
    ctx: typer.Context,
    root: Annotated[str, typer.Argument(help="Root voucher id")],
    payment_ref: Annotated[str, typer.Option("--payment-ref", help="Payment reference (hashed)")],
) -> None:
    """(Obligor) pay a whole root at once; holders then redeem their pieces one by one."""
    c = cli(ctx)
    rid = _voucher(root)
    result = c.ledgerhouse(signer=True).receivables.fund_root(rid, payment_ref)
    c.emit(
        {"root_id": rid, "funded": True, "tx_hash": result.tx_hash},
        f"root {rid} funded — tx {result.tx_hash}",
    )


@app.command()
def redeem(ctx: typer.Context, voucher: Annotated[str, typer.Argument(help="Voucher id")]) -> None:
    """Mark a piece of a funded root paid."""
    c = cli(ctx)
    vid = _voucher(voucher)
    result = c.ledgerhouse(signer=True).receivables.redeem(vid)
    c.emit({"voucher_id": vid, "redeemed": True, "tx_hash": result.tx_hash}, f"voucher {vid} redeemed")


@app.command("mark-overdue")
def mark_overdue(ctx: typer.Context, voucher: Annotated[str, typer.Argument(help="Voucher id")]) -> None:
    """Flag an unpaid piece overdue once maturity plus the grace period has passed (anyone may)."""
    c = cli(ctx)
    vid = _voucher(voucher)
    result = c.ledgerhouse(signer=True).receivables.mark_overdue(vid)
    c.emit({"voucher_id": vid, "overdue": True, "tx_hash": result.tx_hash}, f"voucher {vid} is overdue")
