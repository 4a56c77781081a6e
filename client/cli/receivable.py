"""`ledgerhouse receivable`: credit lines, vouchers split down the supply chain, discount, settlement."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from client._encoding import file_commitment, money, parse_day
from client.chain import checksum
from client.cli._args import read_file, voucher_id
from client.cli._context import cli, stdout
from client.errors import InvalidInput, LedgerhouseError
from client.invoices import Invoice
from client.models import InvoiceCheckOut
from client.reconcile import registry_url
from client.registry_api import RegistryApi

app = typer.Typer(
    help="Receivables: credit lines, payable vouchers split tier by tier, discount, settlement.",
    no_args_is_help=True,
)


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
    c.sent(
        result,
        f"credit line for {core_address}: {line.limit} {line.currency} until {day.isoformat()} "
        f"({line.available} {line.currency} available)",
        credit_line=line.to_json(),
    )


RegistryOption = Annotated[
    str | None,
    typer.Option(
        "--registry",
        envvar="LEDGERHOUSE_REGISTRY_URL",
        help="Registry service URL: checks the invoice for near-duplicates first, and records its fields",
    ),
]


def _invoice_fields(
    number: str | None, day: str | None, invoice_amount: str | None, amount: str | None, currency: str
) -> Invoice:
    if not number or not day:
        raise InvalidInput(
            "give the invoice's own fields: --invoice-number and --invoice-date "
            "(--invoice FILE alone does not identify an invoice: a re-scan has other bytes)"
        )
    if amount is not None:
        money(amount, what="amount")  # the face value's own errors name --amount
    value = invoice_amount or amount
    if value is None:
        raise InvalidInput(
            "give --amount or --invoice-amount (the voucher's face value defaults to the invoice's)"
        )
    return Invoice.of(number, parse_day(day, what="--invoice-date"), value, currency)


def _flagged(check: InvoiceCheckOut, invoice: Invoice) -> str | None:
    """One line naming the earlier voucher, if the registry found this invoice or a look-alike financed."""
    if check.already_financed_by is not None:
        return f"{invoice.describe()} is already financed by voucher {check.already_financed_by}"
    if check.near_duplicates:
        near = check.near_duplicates[0]
        earlier = f"invoice {near.number} ({near.issue_date}, {near.amount} {near.currency})"
        return (
            f"{invoice.describe()} looks like {earlier} financed by voucher {near.voucher_id}: "
            f"same parties and amount, {' and '.join(near.reasons)}"
        )
    return None


def _registry(c: Any, url: str) -> RegistryApi:
    api = RegistryApi(registry_url(url), account=c.account(required=True))
    api.sign_in()
    return api


@app.command()
def issue(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Tier-1 supplier's address (the invoice's seller)")],
    maturity: Annotated[str, typer.Option("--maturity", help="Payment date, YYYY-MM-DD")],
    invoice_number: Annotated[
        str | None, typer.Option("--invoice-number", "--invoice-id", help="Invoice number as printed")
    ] = None,
    invoice_date: Annotated[
        str | None, typer.Option("--invoice-date", help="Invoice issue date, YYYY-MM-DD")
    ] = None,
    invoice_amount: Annotated[
        str | None, typer.Option("--invoice-amount", help="Invoice total (default: --amount)")
    ] = None,
    amount: Annotated[
        str | None, typer.Option("--amount", help="Face value, e.g. 1000000.00 (default: the invoice total)")
    ] = None,
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code")] = "CNY",
    invoice: Annotated[
        Path | None,
        typer.Option("--invoice", help="Invoice / contract file: hashed as evidence, not as its identity"),
    ] = None,
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
    registry: RegistryOption = None,
    despite_near_duplicate: Annotated[
        bool,
        typer.Option(
            "--despite-near-duplicate", help="Issue although the registry flags a look-alike invoice"
        ),
    ] = False,
) -> None:
    """(Core enterprise) issue a voucher on an invoice; one invoice backs one voucher, ever.

    The invoice is identified by the seller's and buyer's entity ids and its own number, date,
    amount and currency (client.invoices), never by a file's bytes."""
    c = cli(ctx)
    holder = checksum(to, what="--to")
    day = parse_day(maturity, what="--maturity")
    facts = _invoice_fields(invoice_number, invoice_date, invoice_amount, amount, currency)
    evidence = read_file(invoice, what="invoice") if invoice else None
    lender_address = checksum(lender, what="--lender") if lender else None
    lh = c.ledgerhouse(signer=True)
    receivables = lh.receivables
    api = _registry(c, registry) if registry else None
    if api is not None:
        flagged = _flagged(api.check_invoice(holder, receivables.signer.address, facts), facts)
        if flagged and not despite_near_duplicate:
            raise InvalidInput(
                flagged + " (checked by the registry; --despite-near-duplicate to issue anyway)"
            )
    result, voucher_id = receivables.issue_invoice(
        holder,
        facts,
        maturity=day,
        amount=amount,
        lender=lender_address,
        min_denomination=min_denomination,
        max_depth=max_depth,
    )
    document = receivables.invoice_document(holder, facts)
    if api is not None:
        try:
            api.wait_indexed(result.receipt["blockNumber"])
            api.register_invoice(voucher_id, holder, facts)
        except LedgerhouseError as exc:  # the voucher exists: say so, and what is missing
            raise LedgerhouseError(
                f"issued voucher {voucher_id} (tx {result.tx_hash}), but the registry did not record "
                f"{facts.describe()}: {exc}"
            ) from None
    evidence_hash = "0x" + file_commitment(evidence).hex() if evidence is not None else None
    face = amount or str(facts.display_amount)
    c.sent(
        result,
        f"issued voucher {voucher_id}: {face} {facts.currency} to {holder} on {facts.describe()}, "
        f"due {day.isoformat()}",
        voucher_id=voucher_id,
        document="0x" + document.hex(),
        invoice=facts.to_json(),
        evidence=evidence_hash,
    )


@app.command("check-invoice")
def check_invoice(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="The supplier (the invoice's seller)")],
    invoice_number: Annotated[str, typer.Option("--invoice-number", help="Invoice number as printed")],
    invoice_date: Annotated[str, typer.Option("--invoice-date", help="Invoice issue date, YYYY-MM-DD")],
    invoice_amount: Annotated[str, typer.Option("--invoice-amount", help="Invoice total, e.g. 1000000.00")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code")] = "CNY",
    buyer: Annotated[
        str | None, typer.Option("--buyer", help="The core enterprise (default: the signer)")
    ] = None,
    registry: RegistryOption = None,
) -> None:
    """Before issuing or financing: is this invoice, or one that looks like it, already financed?

    Exit 1 naming the earlier voucher when the registry finds the invoice itself or a financed
    invoice of the same parties and amount whose number differs only in formatting or whose date is
    within a few days."""
    c = cli(ctx)
    if not registry:
        raise InvalidInput(
            "check-invoice asks the registry: give --registry URL (or LEDGERHOUSE_REGISTRY_URL)"
        )
    seller = checksum(to, what="--to")
    facts = _invoice_fields(invoice_number, invoice_date, invoice_amount, None, currency)
    api = _registry(c, registry)
    assert api.account is not None  # _registry signed in with it
    core = checksum(buyer, what="--buyer") if buyer else api.account.address
    found = api.check_invoice(seller, core, facts)
    flagged = _flagged(found, facts)
    if flagged:
        raise InvalidInput(flagged)
    c.emit(
        {"invoice": facts.to_json(), **found.model_dump(mode="json")},
        f"{facts.describe()}: not financed, and no financed look-alike in the registry",
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
    vid = voucher_id(voucher)
    recipient = checksum(to, what="--to")
    receivables = c.ledgerhouse(signer=True).receivables
    result, child = receivables.split(vid, recipient, amount)
    view = receivables.voucher(child)
    c.sent(
        result,
        f"voucher {child} (tier {view.tier}, {view.value} {view.currency}) split from {vid} to {recipient}",
        voucher_id=child,
        parent_id=vid,
        tier=view.tier,
    )


@app.command()
def transfer(
    ctx: typer.Context,
    voucher: Annotated[str, typer.Argument(help="Voucher id")],
    to: Annotated[str, typer.Option("--to", help="New holder")],
) -> None:
    """Transfer a whole voucher piece."""
    c = cli(ctx)
    vid = voucher_id(voucher)
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
    result, survivor = c.ledgerhouse(signer=True).receivables.merge(voucher_id(voucher), voucher_id(other))
    c.emit({"voucher_id": survivor, "tx_hash": result.tx_hash}, f"merged into voucher {survivor}")


@app.command()
def show(ctx: typer.Context, voucher: Annotated[str, typer.Argument(help="Voucher id")]) -> None:
    """Show a voucher piece and its root."""
    c = cli(ctx)
    receivables = c.ledgerhouse(signer=False).receivables
    view = receivables.voucher(voucher_id(voucher))
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
    pieces = receivables.tree(voucher_id(root))
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
    vid = voucher_id(voucher)
    result = c.ledgerhouse(signer=True).receivables.offer_discount(
        vid, checksum(lender, what="--lender"), price
    )
    c.sent(
        result,
        f"voucher {vid} offered to {lender} at {price}",
        voucher_id=vid,
        lender=lender,
        price=price,
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
    vid = voucher_id(voucher)
    day = parse_day(maturity, what="--maturity")
    result = c.ledgerhouse(signer=True).receivables.request_pledge(
        vid, checksum(lender, what="--lender"), amount=amount, maturity=day, loan_ref=loan_ref
    )
    c.sent(
        result,
        f"pledge of voucher {vid} requested",
        voucher_id=vid,
    )


@app.command()
def settle(
    ctx: typer.Context,
    voucher: Annotated[str, typer.Argument(help="Voucher id")],
    payment_ref: Annotated[str, typer.Option("--payment-ref", help="Payment reference (hashed)")],
) -> None:
    """(Obligor or its paying bank) record payment of one voucher piece at maturity."""
    c = cli(ctx)
    vid = voucher_id(voucher)
    result = c.ledgerhouse(signer=True).receivables.settle(vid, payment_ref)
    c.sent(
        result,
        f"voucher {vid} settled",
        voucher_id=vid,
        settled=True,
        gas_used=result.gas_used,
    )


@app.command()
def fund(
    ctx: typer.Context,
    root: Annotated[str, typer.Argument(help="Root voucher id")],
    payment_ref: Annotated[str, typer.Option("--payment-ref", help="Payment reference (hashed)")],
) -> None:
    """(Obligor) pay a whole root at once; holders then redeem their pieces one by one."""
    c = cli(ctx)
    rid = voucher_id(root)
    result = c.ledgerhouse(signer=True).receivables.fund_root(rid, payment_ref)
    c.sent(
        result,
        f"root {rid} funded",
        root_id=rid,
        funded=True,
    )


@app.command()
def redeem(ctx: typer.Context, voucher: Annotated[str, typer.Argument(help="Voucher id")]) -> None:
    """Mark a piece of a funded root paid."""
    c = cli(ctx)
    vid = voucher_id(voucher)
    result = c.ledgerhouse(signer=True).receivables.redeem(vid)
    c.emit({"voucher_id": vid, "redeemed": True, "tx_hash": result.tx_hash}, f"voucher {vid} redeemed")


@app.command("mark-overdue")
def mark_overdue(ctx: typer.Context, voucher: Annotated[str, typer.Argument(help="Voucher id")]) -> None:
    """Flag an unpaid piece overdue once maturity plus the grace period has passed (anyone may)."""
    c = cli(ctx)
    vid = voucher_id(voucher)
    result = c.ledgerhouse(signer=True).receivables.mark_overdue(vid)
    c.emit({"voucher_id": vid, "overdue": True, "tx_hash": result.tx_hash}, f"voucher {vid} is overdue")
