"""`ledgerhouse warehouse`: mint receipts (one by one or from a CSV file) and release goods."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from client import Ledgerhouse
from client._contract import topic_of
from client._encoding import end_of_day, to_base_units
from client.chain import checksum
from client.cli._args import details_commitment, file_hash, optional_day, read_file, read_items, receipt_id
from client.cli._context import cli, stderr
from client.errors import InvalidInput, LedgerhouseError
from client.identifiers import identifier_commitment
from client.receipts import BULK_MINT_GAS, PIPELINE_DEPTH, RECEIPTS_PER_TX

app = typer.Typer(
    help="Warehouse: mint receipts for attested goods and release goods on delivery.", no_args_is_help=True
)

# Bulk receipts go out RECEIPTS_PER_TX to a transaction (one multicall), PIPELINE_DEPTH transactions
# to a JSON-RPC batch. Every row was checked against the chain first, so bulk mints carry a known gas
# profile instead of a second simulation each; serialized mints (gas grows with items) are estimated.


def _check_unit(lh: Ledgerhouse, lot: str, unit: str) -> None:
    attested = lh.receipts.attested_lot(lot)
    if attested.unit != unit:
        raise InvalidInput(f"lot {lot} is attested in {attested.unit!r}, not {unit!r}")


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
    _check_unit(lh, lot, unit)
    result = lh.receipts.mint(
        recipient,
        lot,
        commodity=commodity,
        quantity=quantity,
        expires=expiry,
        details=details,
        items=serials,
    )
    c.emit(
        {"receipt_id": result.receipt_id, "tx_hash": result.tx.tx_hash, "gas_used": result.tx.gas_used},
        f"minted receipt {result.receipt_id} for {quantity} {unit} of {commodity} (lot {lot}) "
        f"— tx {result.tx.tx_hash}",
    )


@dataclass(frozen=True)
class _Row:
    line: int
    to: str
    lot: str
    commodity: str
    quantity: str
    unit: str
    expires: str | None
    details: bytes
    items: list[str] | None


_REQUIRED = ("to", "lot", "commodity", "quantity", "unit")


def _read_rows(path: Path) -> list[_Row]:
    text = read_file(path, what="CSV").decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in _REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(
            f"{path}: header lacks column(s) {', '.join(missing)} (needs {', '.join(_REQUIRED)})"
        )
    rows = []
    for number, raw in enumerate(reader, start=2):
        if None in raw:  # csv.DictReader files surplus fields under None: a shifted or mis-quoted row
            raise InvalidInput(
                f"{path} line {number}: {len(reader.fieldnames or []) + len(raw[None])} fields, "
                f"but the header names {len(reader.fieldnames or [])}"
            )
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        for column in _REQUIRED:
            if not row.get(column):
                raise InvalidInput(f"{path} line {number}: field {column!r} is empty")
        items = [s for s in row.get("items", "").split(";") if s.strip()] or None
        rows.append(
            _Row(
                line=number,
                to=row["to"],
                lot=row["lot"],
                commodity=row["commodity"],
                quantity=row["quantity"],
                unit=row["unit"],
                expires=row.get("expires") or None,
                details=details_commitment(
                    unit=row["unit"], grade=row.get("grade"), location=row.get("location"), document=b""
                ),
                items=items,
            )
        )
    if not rows:
        raise InvalidInput(f"{path} has no rows")
    return rows


def _validate(lh: Ledgerhouse, path: Path, rows: list[_Row]) -> tuple[list[tuple[_Row, Any]], list[_Row]]:
    """Checks every row against the chain before anything is sent; returns (to mint, already minted)."""
    warehouse = lh.signer.address if lh.signer else ""
    now = lh.receipts._now()
    seen: dict[str, int] = {}
    calls: list[tuple[_Row, Any]] = []
    done: list[_Row] = []
    lots = dict(zip([row.lot for row in rows], lh.receipts.lots([row.lot for row in rows]), strict=True))
    for row in rows:
        where = f"{path} line {row.line}"
        try:
            if row.lot in seen:
                raise InvalidInput(f"lot {row.lot!r} is also on line {seen[row.lot]}: one lot, one receipt")
            seen[row.lot] = row.line
            checksum(row.to, what="'to'")
            lot = lots[row.lot]
            if lot.lot_id == "0x" + "00" * 32:
                raise InvalidInput(f"lot {row.lot!r} has never been attested by an inspector")
            if lot.warehouse != warehouse:
                raise InvalidInput(f"lot {row.lot!r} is held at {lot.warehouse}, not at this warehouse")
            if lot.unit != row.unit:
                raise InvalidInput(f"field 'unit': lot is attested in {lot.unit!r}, not {row.unit!r}")
            if lot.commodity != row.commodity:
                raise InvalidInput(
                    f"field 'commodity': lot is attested as {lot.commodity!r}, not {row.commodity!r}"
                )
            base = to_base_units(row.quantity, lot.decimals, what="field 'quantity'")
            expiry = optional_day(row.expires, what="field 'expires'")
            if lot.receipted > 0:
                if _already_minted(lh, row, base):
                    done.append(row)
                    continue
                raise InvalidInput(f"lot {row.lot!r} already backs a live receipt: one lot, one receipt")
            if lot.frozen:
                raise InvalidInput(f"lot {row.lot!r} is frozen after a stocktake shortfall")
            if Decimal(row.quantity) > lot.attested:
                raise InvalidInput(
                    f"field 'quantity': {row.quantity} exceeds the attested {lot.attested} {lot.unit}"
                )
            if expiry is not None and end_of_day(expiry) <= now:
                raise InvalidInput(f"field 'expires': {row.expires} is in the past")
            call = lh.receipts.mint_call(
                row.to,
                row.lot,
                commodity=row.commodity,
                quantity=row.quantity,
                expires=expiry,
                details=row.details,
                items=row.items,
                decimals=lot.decimals,
            )
            calls.append((row, call))
        except LedgerhouseError as exc:
            raise InvalidInput(f"{where}: {exc}") from None
    return calls, done


def _already_minted(lh: Ledgerhouse, row: _Row, base: int) -> bool:
    """A re-run of the same file: this lot's live receipt came from this very row (same terms)."""
    minted = lh.receipts.logs(
        [None, None, topic_of(identifier_commitment(row.lot, what="lot"))], event="ReceiptMinted"
    )
    for event in minted:
        if (
            bytes(event.args["details"]) == row.details
            and int(event.args["quantity"]) == base
            and event.args["owner"] == checksum(row.to)
        ):
            return True
    return False


def _bundle(lh: Ledgerhouse, calls: list[tuple[_Row, Any]]) -> list[tuple[list[_Row], Any, int | None]]:
    """Groups validated mints into transactions: bulk rows several to a multicall, serialized alone."""
    bulk = [(row, call) for row, call in calls if not row.items]
    bundles = lh.receipts.bundle([call for _, call in bulk], RECEIPTS_PER_TX)
    transactions: list[tuple[list[_Row], Any, int | None]] = [
        (
            [row for row, _ in bulk[k * RECEIPTS_PER_TX : (k + 1) * RECEIPTS_PER_TX]],
            bundle,
            BULK_MINT_GAS * RECEIPTS_PER_TX,
        )
        for k, bundle in enumerate(bundles)
    ]
    transactions += [([row], call, None) for row, call in calls if row.items]
    return transactions


@app.command("mint-batch")
def mint_batch(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help="CSV with columns to,lot,commodity,quantity,unit[,grade,location,expires,items]"),
    ],
) -> None:
    """Mint every row of a CSV file: all rows are checked first, then minted several to a transaction.

    Re-running the same file mints nothing twice: rows whose receipt already exists are skipped.
    """
    c = cli(ctx)
    rows = _read_rows(file)
    lh = c.ledgerhouse(signer=True)
    calls, done = _validate(lh, file, rows)
    minted: list[dict[str, Any]] = []
    with Progress(
        TextColumn("{task.description:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr,
        disable=c.json_output or not calls,
    ) as progress:
        sending = progress.add_task("sent", total=len(calls))
        confirming = progress.add_task("confirmed", total=len(calls))
        signer = lh.receipts.signer
        transactions = _bundle(lh, calls)
        # Send every transaction before waiting for any: the node mines while we sign the rest.
        pending = []
        for start in range(0, len(transactions), PIPELINE_DEPTH):
            group = transactions[start : start + PIPELINE_DEPTH]
            limits = [gas for _, _, gas in group]
            gas = None if None in limits else max(g for g in limits if g is not None)
            sent = signer.submit_many([call for _, call, _ in group], gas=gas)
            pending.append((group, sent))
            progress.advance(sending, sum(len(rows) for rows, _, _ in group))
        for group, sent in pending:
            for (rows, _, _), result in zip(group, signer.wait_many(sent), strict=True):
                ids = lh.receipts.minted_ids(result)
                for row, receipt_id in zip(rows, ids, strict=True):
                    minted.append(
                        {
                            "line": row.line,
                            "lot": row.lot,
                            "receipt_id": receipt_id,
                            "tx_hash": result.tx_hash,
                        }
                    )
                progress.advance(confirming, len(rows))
    c.emit(
        {"minted": minted, "skipped": [{"line": r.line, "lot": r.lot} for r in done]},
        f"minted {len(minted)} receipt(s) from {file}; {len(done)} row(s) already minted, skipped",
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
    requested = int(receipts.contract.functions.deliveryRequest(rid).call())
    if requested == 0:
        raise InvalidInput(f"receipt {rid} has no delivery request from its owner")
    if quantity is not None and to_base_units(quantity, lot.decimals, what="--quantity") != requested:
        raise InvalidInput(
            f"the owner asked for {Decimal(requested).scaleb(-lot.decimals)} {lot.unit}, not {quantity}"
        )
    result = receipts.confirm_delivery(rid, read_items(items))
    delivered = Decimal(requested).scaleb(-lot.decimals)
    c.emit(
        {"receipt_id": rid, "delivered": str(delivered), "unit": lot.unit, "tx_hash": result.tx_hash},
        f"released {delivered} {lot.unit} of receipt {rid} — tx {result.tx_hash}",
    )
