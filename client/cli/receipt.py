"""`ledgerhouse receipt`: what a receipt's owner does — show, endorse, split, merge, pledge, deliver."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from client._encoding import parse_day
from client.chain import checksum
from client.cli._args import receipt_id
from client.cli._context import cli, stdout
from client.receipts import ReceiptView

app = typer.Typer(
    help="Receipt owner: show, transfer, split, merge, pledge, request delivery.", no_args_is_help=True
)


def receipt_table(view: ReceiptView, title: str) -> Table:
    table = Table(title=title, show_header=False)
    for key, value in view.to_json().items():
        table.add_row(key, json.dumps(value) if not isinstance(value, str) else value)
    return table


@app.command()
def show(ctx: typer.Context, receipt: Annotated[str, typer.Argument(help="Receipt id")]) -> None:
    """Show a receipt as the chain records it."""
    c = cli(ctx)
    rid = receipt_id(receipt)
    receipts = c.ledgerhouse(signer=False).receipts
    view = receipts.receipt(rid)
    lien = receipts.lien(rid)
    if c.json_output:
        c.emit({"receipt": view.to_json(), "lien": lien.to_json()}, "")
        return
    stdout.print(receipt_table(view, f"Receipt {rid}"))
    if lien.lender:
        stdout.print(
            f"lien: {lien.state.name.lower()} with {lien.lender}, {lien.secured_amount} {lien.currency}, "
            f"loan matures {lien.loan_maturity.date() if lien.loan_maturity else '?'}"
        )


@app.command()
def transfer(
    ctx: typer.Context,
    receipt: Annotated[str, typer.Argument(help="Receipt id")],
    to: Annotated[str, typer.Option("--to", help="Buyer's address (an active member)")],
) -> None:
    """Endorse the receipt to a buyer."""
    c = cli(ctx)
    rid = receipt_id(receipt)
    result = c.ledgerhouse(signer=True).receipts.transfer(rid, checksum(to, what="--to"))
    c.sent(
        result,
        f"receipt {rid} endorsed to {to}",
        receipt_id=rid,
        to=to,
    )


@app.command()
def split(
    ctx: typer.Context,
    receipt: Annotated[str, typer.Argument(help="Receipt id")],
    quantities: Annotated[
        str, typer.Option("--quantities", help="Comma-separated part quantities, e.g. 100,200.5")
    ],
) -> None:
    """Split a receipt into parts that add up exactly to it; the original keeps the first part."""
    c = cli(ctx)
    rid = receipt_id(receipt)
    parts = [q.strip() for q in quantities.split(",") if q.strip()]
    result, ids = c.ledgerhouse(signer=True).receipts.split(rid, list(parts))
    c.sent(
        result,
        f"receipt {rid} split into {', '.join(map(str, ids))}",
        receipt_ids=ids,
    )


@app.command()
def merge(
    ctx: typer.Context,
    kept: Annotated[str, typer.Argument(help="Receipt id that remains")],
    merged: Annotated[str, typer.Argument(help="Receipt id merged into it (burned)")],
) -> None:
    """Merge two receipts of the same lot and owner."""
    c = cli(ctx)
    kept_id, merged_id = receipt_id(kept), receipt_id(merged)
    result = c.ledgerhouse(signer=True).receipts.merge(kept_id, merged_id)
    c.sent(
        result,
        f"receipt {merged_id} merged into {kept_id}",
        receipt_id=kept_id,
        merged=merged_id,
    )


@app.command()
def pledge(
    ctx: typer.Context,
    receipt: Annotated[str, typer.Argument(help="Receipt id")],
    lender: Annotated[str, typer.Option("--lender", help="The bank's address")],
    amount: Annotated[str, typer.Option("--amount", help="Secured loan amount, e.g. 1500000.00")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code")] = "CNY",
    maturity: Annotated[str, typer.Option("--maturity", help="Loan maturity, YYYY-MM-DD")] = "",
    loan_ref: Annotated[
        str, typer.Option("--loan-ref", help="Loan agreement reference (its hash goes on chain)")
    ] = "",
) -> None:
    """Ask a bank to accept a pledge of the receipt; it is locked until the bank accepts or you cancel."""
    c = cli(ctx)
    rid = receipt_id(receipt)
    day = parse_day(maturity, what="--maturity")
    result, seq = c.ledgerhouse(signer=True).receipts.request_pledge(
        rid,
        checksum(lender, what="--lender"),
        amount=amount,
        currency=currency,
        maturity=day,
        loan_ref=loan_ref,
    )
    c.sent(
        result,
        f"pledge of receipt {rid} requested from {lender} (request {seq}); the bank must accept",
        receipt_id=rid,
        request_seq=seq,
    )


@app.command("cancel-pledge")
def cancel_pledge(ctx: typer.Context, receipt: Annotated[str, typer.Argument(help="Receipt id")]) -> None:
    """Withdraw a pledge request the bank has not accepted yet."""
    c = cli(ctx)
    rid = receipt_id(receipt)
    result = c.ledgerhouse(signer=True).receipts.cancel_pledge_request(rid)
    c.sent(
        result,
        f"pledge request on receipt {rid} withdrawn",
        receipt_id=rid,
    )


@app.command("request-delivery")
def request_delivery(
    ctx: typer.Context,
    receipt: Annotated[str, typer.Argument(help="Receipt id")],
    quantity: Annotated[str | None, typer.Option("--quantity", help="Part to deliver (default: all)")] = None,
) -> None:
    """Ask the issuing warehouse to release the goods (all, or part of a bulk receipt)."""
    c = cli(ctx)
    rid = receipt_id(receipt)
    result = c.ledgerhouse(signer=True).receipts.request_delivery(rid, quantity)
    c.sent(
        result,
        f"delivery of receipt {rid} requested",
        receipt_id=rid,
    )
