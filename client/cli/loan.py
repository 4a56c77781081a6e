"""`ledgerhouse bank loan` and `bank margin`: loans secured by pledged receipts, valued at the
commodity's reference price — open, value, margin check, repay, top up, foreclosable, daily revaluation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from client.cli._args import receipt_id
from client.cli._context import CliContext, cli, stdout
from client.errors import InvalidInput

if TYPE_CHECKING:
    from client.valuation import LoanValuation, Terms

app = typer.Typer(
    help="Lender: loans against pledged receipts — open, value (LTV), margin check, repay, top up.",
    no_args_is_help=True,
)


def loan_id(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise InvalidInput(f"loan id {text!r} must be a positive whole number")
    if int(text) >= 2**256:
        raise InvalidInput(f"loan id {text} is too large")
    return int(text)


def _terms(
    advance_rate: str | None, margin_call: str | None, liquidation: str | None, cure_window: str | None
) -> Terms | None:
    from client.valuation import Terms

    given = [advance_rate, margin_call, liquidation, cure_window]
    if not any(given):
        return None  # the lender's defaults for the commodity
    if not all(given):
        raise InvalidInput(
            "give all of --advance-rate, --margin-call, --liquidation and --cure-window, or none of them "
            "(your default terms for the commodity)"
        )
    return Terms.parse(*(str(g) for g in given))


def _line(v: LoanValuation) -> str:
    deadline = f", cure by {v.cure_deadline:%Y-%m-%d %H:%M UTC}" if v.cure_deadline else ""
    return (
        f"loan {v.loan_id}: {v.outstanding} {v.currency} outstanding against {v.collateral} {v.unit} "
        f"{v.commodity} worth {v.value} {v.currency} at {v.price}/{v.unit} "
        f"(as of {v.price_as_of:%Y-%m-%d %H:%M UTC}): "
        f"LTV {v.ltv} % (margin call at {v.terms.margin_call_ltv_bps / 100:.2f} %, liquidation at "
        f"{v.terms.liquidation_ltv_bps / 100:.2f} %) — {v.status.label}{deadline}"
    )


AdvanceRate = Annotated[str | None, typer.Option("--advance-rate", help="Most LTV at opening, e.g. 70%")]
MarginCall = Annotated[
    str | None, typer.Option("--margin-call", help="LTV that triggers a margin call, e.g. 80%")
]
Liquidation = Annotated[
    str | None, typer.Option("--liquidation", help="LTV above which, past the cure window, it is in default")
]
CureWindow = Annotated[str | None, typer.Option("--cure-window", help="Time to cure a margin call, e.g. 3d")]


@app.command("open")
def open_loan(
    ctx: typer.Context,
    receipts: Annotated[list[str], typer.Argument(help="Receipts pledged to you that secure the loan")],
    amount: Annotated[str, typer.Option("--amount", help="Amount lent, e.g. 210000000.00")],
    currency: Annotated[str, typer.Option("--currency", help="Loan currency (the price feed's)")],
    ref: Annotated[str, typer.Option("--ref", help="Your loan agreement's reference")],
    advance_rate: AdvanceRate = None,
    margin_call: MarginCall = None,
    liquidation: Liquidation = None,
    cure_window: CureWindow = None,
) -> None:
    """Open a loan against receipts pledged to you; needs a fresh price and LTV within the advance rate."""
    c = cli(ctx)
    ids = [receipt_id(r) for r in receipts]
    terms = _terms(advance_rate, margin_call, liquidation, cure_window)
    valuation = c.ledgerhouse(signer=True).valuation
    opened = valuation.open_loan(ids, amount=amount, currency=currency, loan_ref=ref, terms=terms)
    value = valuation.value(opened.loan_id)
    c.emit(
        {**value.to_json(), "tx_hash": opened.tx.tx_hash}, f"opened {_line(value)} — tx {opened.tx.tx_hash}"
    )


@app.command("value")
def value(
    ctx: typer.Context,
    loan: Annotated[str | None, typer.Argument(help="Loan id")] = None,
    receipt: Annotated[str | None, typer.Option("--receipt", help="…or a receipt securing it")] = None,
) -> None:
    """Value a loan at the fresh reference price: collateral value, LTV, where it stands."""
    c = cli(ctx)
    valuation = c.ledgerhouse(signer=False).valuation
    if (loan is None) == (receipt is None):
        raise InvalidInput("give a loan id or --receipt RECEIPT (one of them)")
    v = valuation.value(loan_id(loan)) if loan is not None else valuation.ltv(receipt_id(str(receipt)))
    c.emit(v.to_json(), _line(v))


@app.command("margin-check")
def margin_check(ctx: typer.Context, loan: Annotated[str, typer.Argument(help="Loan id")]) -> None:
    """Check a loan's margin on chain (anyone): raises a margin call above the margin-call LTV."""
    c = cli(ctx)
    check = c.ledgerhouse(signer=True).valuation.check_margin(loan_id(loan))
    what = (
        "MARGIN CALL raised"
        if check.margin_called
        else ("margin call cured (price recovered)" if check.cured else check.status.label)
    )
    deadline = f"; cure by {check.cure_deadline:%Y-%m-%d %H:%M UTC}" if check.cure_deadline else ""
    c.emit(
        check.to_json(),
        f"loan {check.loan_id}: LTV {check.ltv_bps / 100:.2f} % at {check.price} — {what}{deadline} "
        f"— tx {check.tx.tx_hash}",
    )


@app.command()
def repay(
    ctx: typer.Context,
    loan: Annotated[str, typer.Argument(help="Loan id")],
    amount: Annotated[str, typer.Option("--amount", help="Amount repaid, e.g. 30000000.00")],
) -> None:
    """Record a repayment (the lender): at most what is outstanding; cures a margin call if enough."""
    c = cli(ctx)
    lid = loan_id(loan)
    valuation = c.ledgerhouse(signer=True).valuation
    tx = valuation.repay(lid, amount)
    after = valuation.loan(lid)
    c.emit(
        {"loan_id": lid, "repaid": amount, "outstanding": str(after.outstanding), "tx_hash": tx.tx_hash},
        f"loan {lid}: {amount} {after.currency} repaid, {after.outstanding} outstanding"
        f"{'' if after.cure_deadline else ' (no margin call open)'} — tx {tx.tx_hash}",
    )


@app.command("add-collateral")
def add_collateral(
    ctx: typer.Context,
    loan: Annotated[str, typer.Argument(help="Loan id")],
    receipts: Annotated[list[str], typer.Argument(help="Further receipts pledged to the loan's lender")],
) -> None:
    """Top up a loan's collateral (lender or borrower); cures a margin call if enough."""
    c = cli(ctx)
    lid = loan_id(loan)
    valuation = c.ledgerhouse(signer=True).valuation
    tx = valuation.add_collateral(lid, [receipt_id(r) for r in receipts])
    after = valuation.loan(lid)
    c.emit(
        {
            "loan_id": lid,
            "receipts": after.receipts,
            "collateral": str(after.collateral),
            "tx_hash": tx.tx_hash,
        },
        f"loan {lid}: now secured by {after.collateral} {after.unit} (receipts "
        f"{', '.join(map(str, after.receipts))}) — tx {tx.tx_hash}",
    )


@app.command()
def foreclosable(ctx: typer.Context, receipt: Annotated[str, typer.Argument(help="Receipt id")]) -> None:
    """Whether a receipt's loan is in default (past its cure deadline, above its liquidation LTV):
    exit 0 if foreclosable early, 2 if not."""
    c = cli(ctx)
    rid = receipt_id(receipt)
    answer = c.ledgerhouse(signer=False).valuation.is_foreclosable(rid)
    c.emit(
        {"receipt_id": rid, "foreclosable": answer},
        f"receipt {rid}: "
        + ("FORECLOSABLE (loan in default)" if answer else "not foreclosable before maturity"),
    )
    raise typer.Exit(0 if answer else 2)


@app.command()
def defaults(
    ctx: typer.Context,
    commodity: Annotated[str, typer.Argument(help="Commodity code")],
    advance_rate: AdvanceRate = None,
    margin_call: MarginCall = None,
    liquidation: Liquidation = None,
    cure_window: CureWindow = None,
) -> None:
    """Set your default terms for a commodity (used by `loan open` without terms)."""
    c = cli(ctx)
    terms = _terms(advance_rate, margin_call, liquidation, cure_window)
    if terms is None:
        raise InvalidInput("give --advance-rate, --margin-call, --liquidation and --cure-window")
    tx = c.ledgerhouse(signer=True).valuation.set_default_terms(commodity, terms)
    c.emit(
        {"commodity": commodity, **terms.to_json(), "tx_hash": tx.tx_hash},
        f"default terms for {commodity} set — tx {tx.tx_hash}",
    )


@app.command()
def revalue(
    ctx: typer.Context,
    lender: Annotated[str | None, typer.Option("--lender", help="Only this lender's loans")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Value only; send no margin check")] = False,
) -> None:
    """The daily job: value every open loan and raise the margin calls due (a keeper may run it)."""
    c = cli(ctx)
    lh = c.ledgerhouse(signer=not dry_run)
    result = lh.valuation.revalue_all(lender=lender, check=not dry_run)
    if c.json_output:
        c.emit(result.to_json(), "")
        return
    _table(c, result.valued)
    for lid, why in result.refused.items():
        stdout.print(f"[red]loan {lid} not valued[/]: {why}", highlight=False)
    for check in result.checks:
        what = "MARGIN CALL raised" if check.margin_called else "margin call cured"
        stdout.print(
            f"loan {check.loan_id}: {what} at LTV {check.ltv_bps / 100:.2f} % — tx {check.tx.tx_hash}"
        )
    stdout.print(
        f"{len(result.valued)} loan(s) valued, {len(result.refused)} not, {len(result.checks)} check(s) sent"
    )


def margin(
    ctx: typer.Context,
    lender: Annotated[str | None, typer.Option("--lender", help="Lender (default: you)")] = None,
) -> None:
    """A bank's loans by LTV, worst first (chain-only; loans with a stale price listed apart)."""
    c = cli(ctx)
    lh = c.ledgerhouse(signer=False)
    who = lender or lh.address
    result = lh.valuation.revalue_all(lender=who, check=False)
    worst = sorted(result.valued, key=lambda v: v.ltv_bps, reverse=True)
    if c.json_output:
        c.emit(
            {"lender": who, "loans": [v.to_json() for v in worst], "refused": result.to_json()["refused"]}, ""
        )
        return
    _table(c, worst)
    for lid, why in result.refused.items():
        stdout.print(f"[red]loan {lid} not valued[/]: {why}", highlight=False)


def _table(c: CliContext, rows: list[LoanValuation]) -> None:
    table = Table(title="loans by LTV")
    for column in ("loan", "borrower", "collateral", "value", "outstanding", "LTV", "call at", "status"):
        table.add_column(column)
    labels = c.ledgerhouse(signer=False).labels
    for v in rows:
        table.add_row(
            str(v.loan_id),
            labels.get(v.borrower.lower(), v.borrower),
            f"{v.collateral} {v.unit} {v.commodity}",
            f"{v.value} {v.currency}",
            f"{v.outstanding} {v.currency}",
            f"{v.ltv} %",
            f"{v.terms.margin_call_ltv_bps / 100:.2f} %",
            v.status.label + (f" (cure by {v.cure_deadline:%Y-%m-%d %H:%M})" if v.cure_deadline else ""),
        )
    stdout.print(table)
