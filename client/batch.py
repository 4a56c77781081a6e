"""Batches from a file: every row checked against the chain first, then sent, or nothing is.

`Receipts.mint_batch(rows)` and `Receipts.stocktake_batch(rows)` are the entry points. The check
reads the chain in JSON-RPC batches (lots, recipients' standing) and reports every bad row with its
line number at once (`BatchRefused`, nothing sent). If the chain still refuses a transaction once
sending has started (someone else changed the chain in between), `BatchPartlyDone` says exactly
which rows went through (with their receipt ids) and which did not; re-running the same file skips
what is already on chain.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from web3.contract.contract import ContractFunction

from client._contract import topic_of
from client._encoding import details_commitment, end_of_day, file_hash, parse_day, read_file, to_base_units
from client._types import Role
from client.chain import PendingTx, TxResult, checksum
from client.errors import InvalidInput, LedgerhouseError
from client.identifiers import identifier_commitment

if TYPE_CHECKING:
    from client.receipts import LotView, Receipts

__all__ = [
    "MINT_COLUMNS",
    "STOCKTAKE_COLUMNS",
    "BatchPartlyDone",
    "BatchRefused",
    "BatchResult",
    "MintPlan",
    "MintRow",
    "Progress",
    "RowDone",
    "RowProblem",
    "StocktakePlan",
    "StocktakeRow",
    "check_mint_rows",
    "check_stocktake_rows",
    "mint_plan",
    "mint_rows_from_csv",
    "ranges",
    "read_csv",
    "stocktake_plan",
    "stocktake_rows_from_csv",
]

Progress = Callable[[str, int, int], None]  # (stage, done, total)

_NO_LOT = "0x" + "00" * 32


def _no_progress(stage: str, done: int, total: int) -> None:
    del stage, done, total


@dataclass(frozen=True)
class MintRow:
    """One receipt to mint, as a file's line gave it (text as typed; checked by `check_mint_rows`)."""

    line: int
    to: str
    lot: str
    commodity: str
    quantity: str
    unit: str
    expires: str | None = None
    details: bytes = b""
    items: list[str] | None = None


@dataclass(frozen=True)
class StocktakeRow:
    """One stocktake to record, as a file's line gave it."""

    line: int
    warehouse: str
    lot: str
    commodity: str
    quantity: str
    unit: str
    decimals: int = 3
    evidence: bytes = b""


@dataclass(frozen=True)
class RowProblem:
    line: int
    lot: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "lot": self.lot, "message": self.message}


@dataclass(frozen=True)
class RowDone:
    """A row that is on chain: minted now (`receipt_id` of the new receipt) or recorded now."""

    line: int
    lot: str
    tx_hash: str
    receipt_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "lot": self.lot, "tx_hash": self.tx_hash}
        if self.receipt_id is not None:
            out["receipt_id"] = self.receipt_id
        return out


@dataclass
class BatchResult:
    """What a batch did: rows done now, rows already on chain before (skipped), rows not done."""

    done: list[RowDone] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, lot)
    not_done: list[tuple[int, str]] = field(default_factory=list)
    failure: LedgerhouseError | None = None

    @property
    def receipt_ids(self) -> list[int]:
        return [row.receipt_id for row in self.done if row.receipt_id is not None]

    def to_json(self) -> dict[str, Any]:
        return {
            "done": [row.to_json() for row in self.done],
            "receipt_ids": self.receipt_ids,
            "skipped": [{"line": line, "lot": lot} for line, lot in self.skipped],
            "not_done": [{"line": line, "lot": lot} for line, lot in self.not_done],
            "failure": str(self.failure) if self.failure else None,
        }


class BatchRefused(InvalidInput):
    """Some rows of a batch are bad; nothing was sent. `problems` names every bad row."""

    def __init__(self, source: str, total: int, problems: list[RowProblem]) -> None:
        self.source, self.total, self.problems = source, total, problems
        first = problems[0]
        if len(problems) == 1:
            super().__init__(f"{source} line {first.line}: {first.message}")
            return
        lines = ranges([p.line for p in problems])
        super().__init__(
            f"{source}: {len(problems)} of {total} rows refused, nothing sent (lines {lines}); "
            f"line {first.line}: {first.message}"
        )


class BatchPartlyDone(LedgerhouseError):
    """The chain refused a transaction after sending began: `result` says which rows are on chain."""

    def __init__(self, source: str, result: BatchResult) -> None:
        self.result = result
        done = result.done
        ids = result.receipt_ids
        what = (
            f"{len(done)} row(s) minted (receipt ids {ranges(ids)})"
            if ids
            else f"{len(done)} row(s) recorded (lines {ranges([r.line for r in done]) or 'none'})"
        )
        super().__init__(
            f"{source}: the chain refused a transaction after sending began: {result.failure}; "
            f"{what}; line(s) {ranges([line for line, _ in result.not_done])} not done "
            "(fix them and run the same file again: rows already on chain are skipped)"
        )


# ------------------------------------------------------------------ rows from a CSV file

# The columns a file must have; the optional ones are named in each reader's docstring.
MINT_COLUMNS = ("to", "lot", "commodity", "quantity", "unit")
STOCKTAKE_COLUMNS = ("warehouse", "lot", "commodity", "quantity", "unit")


def read_csv(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV file with their line numbers; a malformed file is one InvalidInput."""
    text = read_file(path, what="CSV").decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(
            f"{path}: header lacks column(s) {', '.join(missing)} (needs {', '.join(required)})"
        )
    rows = []
    for number, raw in enumerate(reader, start=2):
        if None in raw:  # csv.DictReader files surplus fields under None: a shifted or mis-quoted row
            raise InvalidInput(
                f"{path} line {number}: {len(reader.fieldnames or []) + len(raw[None])} fields, "
                f"but the header names {len(reader.fieldnames or [])}"
            )
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        for column in required:
            if not row.get(column):
                raise InvalidInput(f"{path} line {number}: field {column!r} is empty")
        rows.append((number, row))
    if not rows:
        raise InvalidInput(f"{path} has no rows")
    return rows


def mint_rows_from_csv(path: Path) -> list[MintRow]:
    """The receipts a CSV file asks for (columns `MINT_COLUMNS`, optionally grade, location,
    expires YYYY-MM-DD and items separated by `;`), for `Receipts.mint_batch`."""
    return [
        MintRow(
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
            items=[s for s in row.get("items", "").split(";") if s.strip()] or None,
        )
        for number, row in read_csv(path, MINT_COLUMNS)
    ]


def stocktake_rows_from_csv(path: Path) -> list[StocktakeRow]:
    """The stocktakes a CSV file records (columns `STOCKTAKE_COLUMNS`, optionally decimals and
    evidence, a file relative to the CSV's folder), for `Receipts.stocktake_batch`."""
    rows = []
    for number, row in read_csv(path, STOCKTAKE_COLUMNS):
        decimals = row.get("decimals") or "3"
        if not decimals.isdigit() or int(decimals) > 18:
            raise InvalidInput(f"{path} line {number}: field 'decimals' {decimals!r} must be 0 to 18")
        evidence = row.get("evidence")
        proof = file_hash(path.parent / evidence, what=f"line {number} evidence") if evidence else b""
        rows.append(
            StocktakeRow(
                line=number,
                warehouse=row["warehouse"],
                lot=row["lot"],
                commodity=row["commodity"],
                quantity=row["quantity"],
                unit=row["unit"],
                decimals=int(decimals),
                evidence=proof,
            )
        )
    return rows


def ranges(numbers: Sequence[int]) -> str:
    """1,2,3,5 -> '1-3, 5' (a list a person can read and copy)."""
    out: list[str] = []
    values = sorted(numbers)
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        out.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ", ".join(out)


@dataclass
class MintPlan:
    """Checked rows ready to send: (row, call) for each to mint, and rows already minted (re-run)."""

    source: str
    calls: list[tuple[MintRow, ContractFunction]]
    skipped: list[MintRow]


# ------------------------------------------------------------------ receipts


def check_mint_rows(
    receipts: Receipts, rows: Sequence[MintRow], *, source: str = "batch", progress: Progress = _no_progress
) -> MintPlan:
    """Checks every row against the chain; raises `BatchRefused` naming every bad row."""
    if not rows:
        raise InvalidInput(f"{source} has no rows")
    warehouse = receipts.signer.address
    now = receipts._now()
    problems: list[RowProblem] = []
    lots = _lots(receipts, [row.lot for row in rows])
    standing = _standing(receipts, [row.to for row in rows])
    seen_lots: dict[bytes, int] = {}
    seen_items: dict[bytes, int] = {}
    calls: list[tuple[MintRow, ContractFunction]] = []
    skipped: list[MintRow] = []
    for index, row in enumerate(rows):
        progress("checked", index + 1, len(rows))
        try:
            lot_id = identifier_commitment(row.lot, what="lot")
            if lot_id in seen_lots:
                raise InvalidInput(
                    f"lot {row.lot!r} is also on line {seen_lots[lot_id]}: one lot, one receipt"
                )
            seen_lots[lot_id] = row.line
            for serial in row.items or []:
                key = identifier_commitment(serial, what="serial")
                if key in seen_items:
                    raise InvalidInput(f"item {serial!r} is also on line {seen_items[key]}")
                seen_items[key] = row.line
            recipient = checksum(row.to, what="'to'")
            refusal = standing.get(recipient)
            if refusal is not None:
                raise InvalidInput(f"recipient {recipient} cannot hold a receipt: {refusal}")
            lot = lots[row.lot]
            if lot.lot_id == _NO_LOT:
                raise InvalidInput(f"lot {row.lot!r} has never been attested by an inspector")
            if lot.warehouse != warehouse:
                raise InvalidInput(f"lot {row.lot!r} is held at {lot.warehouse}, not at this warehouse")
            if lot.unit != row.unit:
                raise InvalidInput(
                    f"field 'unit': lot {row.lot!r} is attested in {lot.unit!r}, not {row.unit!r}"
                )
            if lot.commodity != row.commodity:
                raise InvalidInput(
                    f"field 'commodity': lot {row.lot!r} is attested as {lot.commodity!r}, "
                    f"not {row.commodity!r}"
                )
            base = to_base_units(row.quantity, lot.decimals, what="field 'quantity'")
            expiry = parse_day(row.expires, what="field 'expires'") if row.expires else None
            if lot.receipted > 0:
                if _already_minted(receipts, row, base):
                    skipped.append(row)
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
            calls.append((row, _mint_call(receipts, row, expiry, lot)))
        except LedgerhouseError as exc:
            problems.append(RowProblem(row.line, row.lot, str(exc)))
    if problems:
        raise BatchRefused(source, len(rows), problems)
    return MintPlan(source, calls, skipped)


def _mint_call(receipts: Receipts, row: MintRow, expiry: date | None, lot: LotView) -> ContractFunction:
    return receipts.mint_call(
        row.to,
        row.lot,
        commodity=row.commodity,
        quantity=row.quantity,
        expires=expiry,
        details=row.details,
        items=row.items,
        decimals=lot.decimals,
    )


def _lots(receipts: Receipts, lots: list[str]) -> dict[str, LotView]:
    unique = list(dict.fromkeys(lots))
    return dict(zip(unique, receipts.lots(unique), strict=True))


def _standing(receipts: Receipts, addresses: list[str]) -> dict[str, LedgerhouseError]:
    """Why each well-formed recipient cannot hold a receipt now (absent: it can), in one batch."""
    unique: list[str] = []
    for text in dict.fromkeys(addresses):
        try:
            unique.append(checksum(text))
        except LedgerhouseError:
            continue  # reported on its row
    members = receipts.participants.contract
    calls = [members.functions.requireActiveMember(a) for a in unique]
    refusals: dict[str, LedgerhouseError] = {}
    for address, outcome in zip(unique, receipts.try_many(calls), strict=True):
        if isinstance(outcome, LedgerhouseError):
            refusals[address] = outcome
    return refusals


def _already_minted(receipts: Receipts, row: MintRow, base: int) -> bool:
    """A re-run of the same file: this lot's live receipt came from this very row (same terms)."""
    minted = receipts.logs(
        [None, None, topic_of(identifier_commitment(row.lot, what="lot"))], event="ReceiptMinted"
    )
    return any(
        bytes(event.args["details"]) == row.details.ljust(32, b"\0")[:32]
        and int(event.args["quantity"]) == base
        and event.args["owner"] == checksum(row.to)
        for event in minted
    )


def mint_plan(receipts: Receipts, plan: MintPlan, *, progress: Progress = _no_progress) -> BatchResult:
    """Sends a checked plan: bulk rows several to a transaction, every transaction pipelined.

    Raises `BatchPartlyDone` (with the full account) if the chain refuses any transaction."""
    from client.receipts import BULK_MINT_GAS, RECEIPTS_PER_TX

    result = BatchResult(skipped=[(row.line, row.lot) for row in plan.skipped])
    bulk = [(row, call) for row, call in plan.calls if not row.items]
    bundles = receipts.bundle([call for _, call in bulk], RECEIPTS_PER_TX)
    transactions: list[tuple[list[MintRow], ContractFunction, int | None]] = [
        (
            [row for row, _ in bulk[k * RECEIPTS_PER_TX : (k + 1) * RECEIPTS_PER_TX]],
            bundle,
            BULK_MINT_GAS * RECEIPTS_PER_TX,
        )
        for k, bundle in enumerate(bundles)
    ]
    transactions += [([row], call, None) for row, call in plan.calls if row.items]

    def record(rows: list[MintRow], tx: TxResult) -> None:
        ids = receipts.minted_ids(tx)
        for row, receipt_id in zip(rows, ids, strict=True):
            result.done.append(RowDone(row.line, row.lot, tx.tx_hash, receipt_id))

    _send_all(receipts, [(rows, call, gas) for rows, call, gas in transactions], result, record, progress)
    if result.failure is not None:
        raise BatchPartlyDone(plan.source, result)
    return result


def _send_all(
    receipts: Receipts,
    transactions: Sequence[tuple[Sequence[Any], ContractFunction, int | None]],
    result: BatchResult,
    record: Callable[[Any, TxResult], None],
    progress: Progress,
) -> None:
    """Sends every transaction (pipelined), waits for all, and records each one's outcome."""
    from client.receipts import PIPELINE_DEPTH

    signer = receipts.signer
    total = sum(len(rows) for rows, _, _ in transactions)
    sent: list[tuple[Sequence[Any], PendingTx]] = []
    count = 0
    for start in range(0, len(transactions), PIPELINE_DEPTH):
        group = transactions[start : start + PIPELINE_DEPTH]
        limits = [gas for _, _, gas in group]
        gas = None if None in limits else max(g for g in limits if g is not None)
        try:
            pendings = signer.submit_many([call for _, call, _ in group], gas=gas)
        except LedgerhouseError as exc:  # refused before sending (estimation): this group and the rest
            result.failure = exc
            for rows, _, _ in transactions[start:]:
                result.not_done += [(row.line, row.lot) for row in rows]
            break
        sent += [(rows, pending) for (rows, _, _), pending in zip(group, pendings, strict=True)]
        count += sum(len(rows) for rows, _, _ in group)
        progress("sent", count, total)
    done = 0
    try:
        outcomes: list[TxResult | LedgerhouseError] = list(signer.wait_many([p for _, p in sent]))
    except LedgerhouseError:
        outcomes = []
        for _, pending in sent:  # all are mined now: settle each on its own receipt
            try:
                outcomes.append(signer.wait_many([pending])[0])
            except LedgerhouseError as exc:
                outcomes.append(exc)
    for (rows, _), outcome in zip(sent, outcomes, strict=True):
        if isinstance(outcome, LedgerhouseError):
            result.failure = result.failure or outcome
            result.not_done += [(row.line, row.lot) for row in rows]
        else:
            record(rows, outcome)
        done += len(rows)
        progress("confirmed", done, total)
    result.not_done.sort()


# ------------------------------------------------------------------ stocktakes


@dataclass
class StocktakePlan:
    source: str
    calls: list[tuple[StocktakeRow, ContractFunction]]


def check_stocktake_rows(
    receipts: Receipts,
    rows: Sequence[StocktakeRow],
    *,
    source: str = "batch",
    progress: Progress = _no_progress,
) -> StocktakePlan:
    """Checks every stocktake row; raises `BatchRefused` naming every bad row."""
    if not rows:
        raise InvalidInput(f"{source} has no rows")
    inspector = receipts.signer.address
    own = receipts.participants.standing_at(inspector, Role.INSPECTOR, receipts.w3.eth.block_number)
    if own is not None:
        raise InvalidInput(f"{inspector} cannot record stocktakes: {own}")
    problems: list[RowProblem] = []
    lots = _lots(receipts, [row.lot for row in rows])
    warehouses = _warehouse_standing(receipts, [row.warehouse for row in rows])
    seen: dict[bytes, int] = {}
    calls: list[tuple[StocktakeRow, ContractFunction]] = []
    for index, row in enumerate(rows):
        progress("checked", index + 1, len(rows))
        try:
            lot_id = identifier_commitment(row.lot, what="lot")
            if lot_id in seen:
                raise InvalidInput(f"lot {row.lot!r} is also on line {seen[lot_id]}: one count per lot")
            seen[lot_id] = row.line
            warehouse = checksum(row.warehouse, what="'warehouse'")
            refusal = warehouses.get(warehouse)
            if refusal is not None:
                raise InvalidInput(f"warehouse {warehouse} cannot hold attested stock: {refusal}")
            lot = lots[row.lot]
            if lot.lot_id != _NO_LOT:
                if lot.warehouse != warehouse:
                    raise InvalidInput(f"lot {row.lot!r} is held at {lot.warehouse}, not at {warehouse}")
                if lot.commodity != row.commodity:
                    raise InvalidInput(
                        f"field 'commodity': lot {row.lot!r} was attested as {lot.commodity!r}, "
                        f"not {row.commodity!r}"
                    )
                if lot.unit != row.unit:
                    raise InvalidInput(
                        f"field 'unit': lot {row.lot!r} is attested in {lot.unit!r}, not {row.unit!r}"
                    )
            decimals = lot.decimals if lot.lot_id != _NO_LOT else row.decimals
            if row.quantity.strip().strip("0.") != "":  # zero is a count (nothing found), not a typo
                to_base_units(row.quantity, decimals, what="field 'quantity'")
            call = receipts.stocktake_call(
                warehouse,
                row.lot,
                commodity=row.commodity,
                quantity=row.quantity.strip(),
                unit=row.unit,
                decimals=decimals,
                evidence=row.evidence,
            )
            calls.append((row, call))
        except LedgerhouseError as exc:
            problems.append(RowProblem(row.line, row.lot, str(exc)))
    if problems:
        raise BatchRefused(source, len(rows), problems)
    return StocktakePlan(source, calls)


def _warehouse_standing(receipts: Receipts, addresses: list[str]) -> dict[str, LedgerhouseError]:
    unique: list[str] = []
    for text in dict.fromkeys(addresses):
        try:
            unique.append(checksum(text))
        except LedgerhouseError:
            continue
    members = receipts.participants.contract
    calls = [members.functions.requireActive(a, int(Role.WAREHOUSE)) for a in unique]
    return {
        address: outcome
        for address, outcome in zip(unique, receipts.try_many(calls), strict=True)
        if isinstance(outcome, LedgerhouseError)
    }


def stocktake_plan(
    receipts: Receipts, plan: StocktakePlan, *, progress: Progress = _no_progress
) -> BatchResult:
    """Sends each checked stocktake as its own transaction (pipelined, estimated)."""
    result = BatchResult()

    def record(rows: list[StocktakeRow], tx: TxResult) -> None:
        result.done += [RowDone(row.line, row.lot, tx.tx_hash) for row in rows]

    _send_all(receipts, [([row], call, None) for row, call in plan.calls], result, record, progress)
    if result.failure is not None:
        raise BatchPartlyDone(plan.source, result)
    return result
