"""`ledgerhouse bank`: due diligence and liens, from the lender's side."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from client.chain import checksum
from client.cli._args import receipt_id, voucher_id
from client.cli._context import cli, stdout

app = typer.Typer(
    help="Lender: check a receipt, accept, release and foreclose pledges.", no_args_is_help=True
)


EXIT_SAFE, EXIT_ERROR, EXIT_NOT_SAFE = 0, 1, 2


@app.command()
def check(ctx: typer.Context, receipt: Annotated[str, typer.Argument(help="Receipt id")]) -> None:
    """Due diligence in one call: genuine, status, lien, freeze, expiry, stock cover, warehouse, history.

    Exit code: 0 SAFE TO LEND, 2 NOT SAFE TO LEND (the findings say why), 1 an error, including a
    receipt that does not exist (one line on stderr).
    """
    from client._contract_errors import ReceiptNotFound

    c = cli(ctx)
    rid = receipt_id(receipt)
    lh = c.ledgerhouse(signer=False)
    report = lh.receipts.check(rid)
    if not report.exists:
        raise ReceiptNotFound(rid, labels=lh.labels)
    verdict_code = EXIT_SAFE if report.safe_to_lend else EXIT_NOT_SAFE
    if c.json_output:
        c.emit(report.to_json(), "")
        raise typer.Exit(verdict_code)
    verdict = "[green]SAFE TO LEND[/]" if report.safe_to_lend else "[red]NOT SAFE TO LEND[/]"
    stdout.print(f"receipt {rid}: {verdict}")
    for finding in report.findings:
        stdout.print(f"  - {finding}")
    if report.receipt and report.lot:
        r, lot = report.receipt, report.lot
        stdout.print(f"  {r.quantity} {r.unit} of {r.commodity}, lot {r.lot_id}, owner {r.owner}")
        stdout.print(
            f"  warehouse {report.warehouse_name} ({'active' if report.warehouse_active else 'NOT active'}); "
            f"minted by {report.minted_by} in block {report.minted_at_block}"
        )
        age = f"{report.stocktake_age.total_seconds() / 3600:.1f} h" if report.stocktake_age else "?"
        stdout.print(
            f"  stock cover: {lot.attested} {lot.unit} attested vs {lot.receipted} receipted; "
            f"last stocktake {age} ago"
        )
    table = Table(title="history")
    for column in ("block", "event", "details"):
        table.add_column(column)
    for event in report.history:
        details = ", ".join(f"{k}={v}" for k, v in event.to_json()["args"].items())
        table.add_row(str(event.block_number), event.name, details[:100])
    stdout.print(table)
    raise typer.Exit(verdict_code)


@app.command("accept-pledge")
def accept_pledge(
    ctx: typer.Context,
    receipt: Annotated[str, typer.Argument(help="Receipt id")],
    request: Annotated[
        int | None, typer.Option("--request", help="Request number to accept (default: pending)")
    ] = None,
) -> None:
    """Accept the pending pledge request: the lien becomes active."""
    c = cli(ctx)
    rid = receipt_id(receipt)
    result = c.ledgerhouse(signer=True).receipts.accept_pledge(rid, request)
    c.sent(
        result,
        f"lien on receipt {rid} is active",
        receipt_id=rid,
    )


@app.command()
def release(ctx: typer.Context, receipt: Annotated[str, typer.Argument(help="Receipt id")]) -> None:
    """Release your lien (loan repaid)."""
    c = cli(ctx)
    rid = receipt_id(receipt)
    result = c.ledgerhouse(signer=True).receipts.release_pledge(rid)
    c.sent(
        result,
        f"lien on receipt {rid} released",
        receipt_id=rid,
    )


@app.command()
def foreclose(
    ctx: typer.Context,
    receipt: Annotated[str, typer.Argument(help="Receipt id")],
    to: Annotated[str | None, typer.Option("--to", help="Buying member (default: the bank takes it)")] = None,
) -> None:
    """After loan maturity plus grace: take the receipt, or sell it to a buying member."""
    c = cli(ctx)
    rid = receipt_id(receipt)
    result = c.ledgerhouse(signer=True).receipts.foreclose(rid, checksum(to, what="--to") if to else None)
    c.sent(
        result,
        f"receipt {rid} foreclosed",
        receipt_id=rid,
        to=to,
    )


@app.command("accept-discount")
def accept_discount(
    ctx: typer.Context,
    voucher: Annotated[str, typer.Argument(help="Voucher id offered to you")],
    payment_ref: Annotated[
        str, typer.Option("--payment-ref", help="Reference of your payment to the seller")
    ] = "",
    price: Annotated[
        str | None, typer.Option("--price", help="Price you agree to (default: the offer)")
    ] = None,
) -> None:
    """Buy a voucher piece offered to you at a discount: you become its holder."""
    c = cli(ctx)
    vid = voucher_id(voucher)
    receivables = c.ledgerhouse(signer=True).receivables
    result = receivables.accept_discount(vid, payment_ref or f"discount:{vid}", price)
    terms = receivables.discount(vid)
    c.sent(
        result,
        f"bought voucher {vid} ({terms['value']}) for {terms['price']}: "
        f"{terms['rate_bps'] / 100:.2f}% a year, {terms['days_to_maturity']} days to maturity",
        voucher_id=vid,
        discount=terms,
    )


@app.command("accept-voucher-pledge")
def accept_voucher_pledge(
    ctx: typer.Context, voucher: Annotated[str, typer.Argument(help="Voucher id")]
) -> None:
    """Accept a pending pledge of a voucher piece on its requested terms."""
    c = cli(ctx)
    vid = voucher_id(voucher)
    result = c.ledgerhouse(signer=True).receivables.accept_pledge(vid)
    c.sent(
        result,
        f"lien on voucher {vid} is active",
        voucher_id=vid,
    )


@app.command("release-voucher")
def release_voucher(ctx: typer.Context, voucher: Annotated[str, typer.Argument(help="Voucher id")]) -> None:
    """Release your lien on a voucher piece."""
    c = cli(ctx)
    vid = voucher_id(voucher)
    result = c.ledgerhouse(signer=True).receivables.release_pledge(vid)
    c.sent(
        result,
        f"lien on voucher {vid} released",
        voucher_id=vid,
    )


@app.command()
def profile(
    ctx: typer.Context,
    member: Annotated[str, typer.Argument(help="The supplier's address")],
    registry: Annotated[
        str | None,
        typer.Option("--registry", envvar="LEDGERHOUSE_REGISTRY_URL", help="Registry service URL"),
    ] = None,
    consent: Annotated[str | None, typer.Option("--consent", help="Read under this consent id")] = None,
) -> None:
    """A supplier's credit profile from the registry, under its consent: score and reasons, monthly
    receivables by obligor, obligors' payment record, goods, pledges, exposure, suggested limit."""
    from client.cli._profile_view import show_profile, signed_in

    c = cli(ctx)
    address = checksum(member, what="supplier")
    show_profile(c, signed_in(c, registry).profile(address, consent=consent))


# Loans against pledged receipts, valued at the commodity's price (client/cli/loan.py).
from client.cli import loan as _loan  # noqa: E402 -- registered after bank's own commands

app.add_typer(_loan.app, name="loan")
app.command("margin")(_loan.margin)
