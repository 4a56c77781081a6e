"""`ledgerhouse warehouse`: mint receipts (one by one or from a CSV file) and release goods."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from client._encoding import to_base_units
from client.batch import BatchPartlyDone, BatchRefused, BatchResult, mint_rows_from_csv, ranges
from client.chain import checksum
from client.cli._args import details_commitment, file_hash, optional_day, read_items, receipt_id
from client.cli._context import CliContext, cli, stderr, stdout
from client.errors import InvalidInput, LedgerhouseError

app = typer.Typer(
    help="Warehouse: mint receipts for attested goods and release goods on delivery.", no_args_is_help=True
)


@app.command()
def mint(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="First holder's address")],
    lot: Annotated[str, typer.Option("--lot", help="Identity of the goods, as the inspector attested it")],
    commodity: Annotated[str, typer.Option("--commodity", help="Commodity code; must match the stocktake")],
    quantity: Annotated[str, typer.Option("--quantity", help="Quantity in --unit (decimal string)")],
    unit: Annotated[str, typer.Option("--unit", help="Unit; must match the stocktake")],
    items: Annotated[Path | None, typer.Option("--items", help="File of item serials, one per line")] = None,
    grade: Annotated[str | None, typer.Option("--grade", help="Grade / specification")] = None,
    location: Annotated[
        str | None, typer.Option("--location", help="Storage location in the warehouse")
    ] = None,
    document: Annotated[Path | None, typer.Option("--document", help="Inspection report or photos")] = None,
    expires: Annotated[
        str | None, typer.Option("--expires", help="Validity / shelf-life end, YYYY-MM-DD")
    ] = None,
) -> None:
    """Mint one receipt; prints its id."""
    c = cli(ctx)
    recipient = checksum(to, what="--to")
    expiry = optional_day(expires, what="--expires")
    serials = read_items(items)
    details = details_commitment(
        unit=unit, grade=grade, location=location, document=file_hash(document, what="document")
    )
    lh = c.ledgerhouse(signer=True)
    result = lh.receipts.mint(
        recipient,
        lot,
        commodity=commodity,
        quantity=quantity,
        unit=unit,
        expires=expiry,
        details=details,
        items=serials,
    )
    c.sent(
        result.tx,
        f"minted receipt {result.receipt_id} for {quantity} {unit} of {commodity} (lot {lot})",
        receipt_id=result.receipt_id,
        gas_used=result.tx.gas_used,
    )


@contextmanager
def batch_progress(c: CliContext) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar per stage (checked, sent, confirmed) on a terminal's stderr; silent otherwise."""
    with Progress(
        TextColumn("{task.description:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=c.json_output or not stderr.is_terminal,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield report


def run_batch(c: CliContext, run: Callable[[Callable[[str, int, int], None]], BatchResult]) -> BatchResult:
    """Runs a batch under the progress bars; a refused batch is bad input (every bad row on stdout,
    one line on stderr, exit 1), a partly done one lists what was and was not done."""
    with batch_progress(c) as progress:
        try:
            return run(progress)
        except (BatchRefused, BatchPartlyDone) as exc:
            render_batch_failure(c, exc)
            if isinstance(exc, BatchRefused):
                raise InvalidInput(str(exc)) from None
            raise


def render_batch_failure(c: CliContext, exc: LedgerhouseError) -> None:
    """What a refused or partly done batch prints on stdout before its one line on stderr."""
    if isinstance(exc, BatchRefused):
        if len(exc.problems) == 1:
            return  # the one line on stderr names it
        if c.json_output:
            print(json.dumps({"refused": [p.to_json() for p in exc.problems], "sent": 0}))
            return
        for problem in exc.problems:
            stdout.print(f"line {problem.line} (lot {problem.lot}): {problem.message}", highlight=False)
    elif isinstance(exc, BatchPartlyDone):
        result = exc.result
        if c.json_output:
            print(json.dumps(result.to_json()))
            return
        for row in result.done:
            what = f"receipt {row.receipt_id}" if row.receipt_id is not None else "recorded"
            stdout.print(f"line {row.line} (lot {row.lot}): {what} — tx {row.tx_hash}", highlight=False)
        for line, lot in result.not_done:
            stdout.print(f"line {line} (lot {lot}): NOT done", highlight=False)


@app.command("mint-batch")
def mint_batch(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.csv",
            help="CSV with columns to, lot, commodity, quantity, unit and optionally grade, location, "
            "expires (YYYY-MM-DD) and items (serials separated by ;)",
        ),
    ],
) -> None:
    """Mint every row of a CSV file, or none: every row is checked against the chain first and
    every bad row is listed with its line number; then they are minted several to a transaction.

    Re-running the same file mints nothing twice: rows whose receipt already exists are skipped.
    If the chain refuses a transaction after minting began, the rows minted (with their receipt
    ids) and the rows not minted are listed, and the exit code is 1.
    """
    c = cli(ctx)
    rows = mint_rows_from_csv(file)
    lh = c.ledgerhouse(signer=True)
    result = run_batch(c, lambda progress: lh.receipts.mint_batch(rows, source=str(file), progress=progress))
    ids = result.receipt_ids
    listed = f": receipt id(s) {ranges(ids)}" if ids else ""
    c.emit(
        {
            "minted": [row.to_json() for row in result.done],
            "receipt_ids": ids,
            "skipped": [{"line": line, "lot": lot} for line, lot in result.skipped],
        },
        f"minted {len(ids)} receipt(s) from {file}{listed}; "
        f"{len(result.skipped)} row(s) already minted, skipped",
    )


@app.command()
def deliver(
    ctx: typer.Context,
    receipt: Annotated[str, typer.Argument(help="Receipt id")],
    quantity: Annotated[
        str | None, typer.Option("--quantity", help="Expected quantity of the owner's delivery request")
    ] = None,
    items: Annotated[
        Path | None, typer.Option("--items", help="Serialized receipt: its item serials")
    ] = None,
) -> None:
    """Release the goods of the owner's delivery request: burns the receipt or reduces it."""
    c = cli(ctx)
    rid = receipt_id(receipt)
    receipts = c.ledgerhouse(signer=True).receipts
    view = receipts.receipt(rid)
    lot = receipts.lot(view.lot_id)
    delivered = receipts.delivery_request(rid)
    if delivered is None:
        raise InvalidInput(f"receipt {rid} has no delivery request from its owner")
    if quantity is not None and to_base_units(quantity, lot.decimals, what="--quantity") != to_base_units(
        delivered, lot.decimals, what="the requested quantity"
    ):
        raise InvalidInput(f"the owner asked for {delivered} {lot.unit}, not {quantity}")
    result = receipts.confirm_delivery(rid, read_items(items))
    c.sent(
        result,
        f"released {delivered} {lot.unit} of receipt {rid}",
        receipt_id=rid,
        delivered=str(delivered),
        unit=lot.unit,
    )
