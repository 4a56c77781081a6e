"""`ledgerhouse inspector`: independent stocktakes (IoT / AI-vision counts) of lots in warehouses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from client.chain import checksum
from client.cli._args import file_hash
from client.cli._context import cli

app = typer.Typer(
    help="Inspector: attest the stock physically present per warehouse and lot.", no_args_is_help=True
)


@app.command()
def stocktake(
    ctx: typer.Context,
    warehouse: Annotated[str, typer.Option("--warehouse", help="Warehouse address")],
    lot: Annotated[
        str, typer.Option("--lot", help="Identity of the goods (producer batch / bill of lading no.)")
    ],
    commodity: Annotated[str, typer.Option("--commodity", help="Commodity code, e.g. AL-A00")],
    quantity: Annotated[str, typer.Option("--quantity", help="Quantity found, in --unit (decimal string)")],
    unit: Annotated[str, typer.Option("--unit", help="Unit, e.g. t, kg, coil")],
    decimals: Annotated[
        int, typer.Option("--decimals", help="Decimal places kept on chain for this lot")
    ] = 3,
    evidence: Annotated[
        Path | None,
        typer.Option("--evidence", help="Evidence file (sensor log, images); its hash goes on chain"),
    ] = None,
) -> None:
    """Record a stocktake. Finding less than is receipted freezes the lot and alerts its lenders."""
    c = cli(ctx)
    receipts = c.ledgerhouse(signer=True).receipts
    result = receipts.stocktake(
        checksum(warehouse, what="--warehouse"),
        lot,
        commodity=commodity,
        quantity=quantity,
        unit=unit,
        decimals=decimals,
        evidence=file_hash(evidence, what="evidence"),
    )
    shortfall = receipts.events_in(result, "StockShortfall")
    view = receipts.lot(lot)
    data = {"tx_hash": result.tx_hash, "lot": view.to_json(), "shortfall": None}
    line = f"stocktake of lot {lot}: {view.attested} {view.unit} attested, {view.receipted} receipted"
    if shortfall:
        # From state, not only the event: the event names the lenders of the receipts the SDK
        # listed, and a holder may have split or merged in the same block; the frozen lot's liens
        # are fixed, so state gives the complete list.
        exposed = receipts.exposed_lenders(lot)
        data["shortfall"] = {
            "quantity": str(view.receipted - view.attested),
            "lenders": [lender for _, lender in exposed],
            "pledged_receipts": [receipt_id for receipt_id, _ in exposed],
        }
        lenders = ", ".join(lender for _, lender in exposed) or "none"
        line += f" — SHORTFALL: lot frozen; lenders alerted: {lenders}"
    c.emit(data, line + f" — tx {result.tx_hash}")


@app.command("stocktake-batch")
def stocktake_batch(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.csv",
            help="CSV with columns warehouse, lot, commodity, quantity, unit and optionally decimals "
            "and evidence (a file, relative to the CSV's folder)",
        ),
    ],
) -> None:
    """Record a stocktake per row of a CSV file, or none: every row is checked against the chain
    first (warehouses' standing, lots' warehouse, commodity and unit, duplicates in the file) and
    every bad row is listed with its line number before anything is sent."""
    from client.batch import stocktake_rows_from_csv
    from client.cli.warehouse import run_batch

    c = cli(ctx)
    rows = stocktake_rows_from_csv(file)
    lh = c.ledgerhouse(signer=True)
    result = run_batch(
        c, lambda progress: lh.receipts.stocktake_batch(rows, source=str(file), progress=progress)
    )
    c.emit(
        {"recorded": [row.to_json() for row in result.done]},
        f"recorded {len(result.done)} stocktake(s) from {file}",
    )
