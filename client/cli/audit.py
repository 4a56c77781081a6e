"""`ledgerhouse audit`: reports from the chain's JSON-RPC alone, never the registry, for working papers;
and `audit reconcile`, which checks what the registry service answers against the chain.

Every command reads one block (`--at-block N`, default the head): logs up to it, state at it.
Output is rich tables, one JSON object with `--json`, or CSV rows on stdout with `--csv`.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Protocol

import typer
from rich.table import Table
from rich.text import Text

from client.audit import (
    ExposureAudit,
    LotEvent,
    ReceiptAudit,
    VoucherAudit,
    WarehouseAudit,
    audit_exposure,
    audit_receipt,
    audit_voucher,
    audit_warehouse,
    parse_block,
)
from client.chain import checksum
from client.cli._args import receipt_id
from client.cli._context import CliContext, cli, stderr, stdout
from client.errors import InvalidInput, short_address
from client.reconcile import Reconciliation, reconcile, registry_url
from client.registry_api import RegistryApi

app = typer.Typer(
    help="Auditor: chain-only reports (no registry) — a receipt's life, a voucher tree, "
    "a borrower's exposure, a warehouse's stock — and the registry reconciled against the chain.",
    no_args_is_help=True,
)

AtBlock = Annotated[
    str | None,
    typer.Option("--at-block", help="Report as of this block: logs up to it, contract state at it"),
]
# Lets a negative id reach our own check ("must be a positive whole number") instead of click
# reading it as an unknown option.
_IDS = {"ignore_unknown_options": True}
CsvFlag = Annotated[bool, typer.Option("--csv", help="Write CSV rows to stdout (for working papers)")]


class _Report(Protocol):
    def to_json(self) -> dict[str, object]: ...

    def csv_table(self) -> tuple[list[str], list[list[str]]]: ...


def _start(ctx: typer.Context, at_block: str | None, csv_out: bool) -> tuple[CliContext, int | None]:
    c = cli(ctx)
    if csv_out and c.json_output:
        raise InvalidInput("choose one of --json and --csv")
    return c, parse_block(at_block)


def _machine_output(c: CliContext, report: _Report, csv_out: bool) -> bool:
    """Prints `report` as JSON or CSV if asked; False when the tables are wanted."""
    if c.json_output:
        c.emit(report.to_json(), "")
        return True
    if csv_out:
        header, rows = report.csv_table()
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return True
    return False


_SCOPE_NOTE = {"receipt": "", "inherited": " (parent)", "lot": " (its lot)"}


def _who(address: str | None, labels: Mapping[str, str]) -> str:
    if not address:
        return ""
    label = labels.get(address.lower())
    return f"{short_address(address)} ({label})" if label else short_address(address)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _tx(tx_hash: str) -> str:
    return f"{tx_hash[:10]}…"


def _num(value: Decimal | None, suffix: str | None = None) -> str:
    if value is None:
        return ""
    return f"{value} {suffix}" if suffix else str(value)


def _table(title: str, *columns: str) -> Table:
    """Cells stack related values on lines; on a narrow terminal the columns after the first two
    wrap rather than cut anything off."""
    table = Table(title=title, title_justify="left", show_lines=True)
    for i, column in enumerate(columns):
        table.add_column(column, no_wrap=i < 2, overflow="fold")
    return table


def _add(table: Table, *cells: str) -> None:
    """Adds a row of plain text (no markup or emoji parsing: faster on thousands of rows)."""
    table.add_row(*(Text(cell) for cell in cells))


def _lines(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def _stamp(block: int, moment: datetime, tx_hash: str) -> str:
    return _lines(str(block), _when(moment), _tx(tx_hash))


@app.command("receipt", context_settings=_IDS)
def receipt_command(
    ctx: typer.Context,
    receipt: Annotated[str, typer.Argument(help="Receipt id")],
    at_block: AtBlock = None,
    csv_out: CsvFlag = False,
) -> None:
    """The full life of a receipt — mint (and its stocktake), transfers, splits, merges, pledges,
    foreclosure, freezes, deliveries — with block, UTC time and transaction, and its state."""
    c, block = _start(ctx, at_block, csv_out)
    rid = receipt_id(receipt)
    lh = c.ledgerhouse(signer=False)
    report = audit_receipt(lh, rid, at_block=block)
    if not _machine_output(c, report, csv_out):
        _print_receipt(report, lh.labels)


def _print_receipt(r: ReceiptAudit, labels: Mapping[str, str]) -> None:
    stdout.print(
        f"[bold]receipt {r.receipt_id}[/] — {r.commodity}, lot {r.lot_id}, "
        f"warehouse {_who(r.minted_by, labels)}; as of block {r.at_block} ({_when(r.at_time)} UTC)",
        highlight=False,
    )
    origin = f"split from receipt {', then '.join(map(str, r.split_from))}; " if r.split_from else ""
    stocktake = (
        f"against the stocktake in block {r.stocktake.block} ({r.stocktake.attested} {r.unit} attested "
        f"by {_who(r.stocktake.by, labels)}, tx {_tx(r.stocktake.tx_hash)})"
        if r.stocktake
        else "with NO preceding stocktake"
    )
    stdout.print(
        f"origin: {origin}minted by {_who(r.minted_by, labels)} in block {r.minted_at_block} "
        f"(tx {_tx(r.mint_tx)}) {stocktake}",
        highlight=False,
    )
    table = _table("history", "block / UTC / tx", "event", "by → to", "quantity / amount", "detail")
    for e in r.history:
        _add(
            table,
            _stamp(e.block, e.time, e.tx_hash),
            _lines(e.event, f"receipt {e.receipt_id}{_SCOPE_NOTE[e.scope]}"),
            _lines(_who(e.by, labels), f"→ {_who(e.counterparty, labels)}" if e.counterparty else ""),
            _lines(_num(e.quantity, e.unit), _num(e.amount, e.currency)),
            e.detail,
        )
    stdout.print(table)
    s = r.state
    if s.exists:
        line = f"now: {s.status}, {s.quantity} {r.unit} held by {_who(s.owner, labels)}"
        if s.lien:
            amount = (
                f"{s.lien.secured_amount} {s.lien.currency}, " if s.lien.secured_amount is not None else ""
            )
            line += (
                f"; lien {s.lien.state} with {_who(s.lien.lender, labels)} ({amount}"
                f"loan matures {s.lien.loan_maturity.date().isoformat()})"
            )
        if s.expires_at:
            line += f"; expires {s.expires_at.date().isoformat()}"
    else:
        line = (
            f"now: {s.status}"
            + (f" into receipt {s.merged_into}" if s.merged_into else "")
            + " (no longer live)"
        )
    stdout.print(line, highlight=False)
    _print_findings(r.findings)


def _print_findings(findings: list[str]) -> None:
    if not findings:
        stdout.print("findings: none — the events replay to the contract state", highlight=False)
        return
    stdout.print(f"[red]findings ({len(findings)}):[/]")
    for finding in findings:
        stdout.print(f"  - {finding}", highlight=False, markup=False)


@app.command("voucher", context_settings=_IDS)
def voucher_command(
    ctx: typer.Context,
    voucher: Annotated[str, typer.Argument(help="Voucher id (any piece of the tree)")],
    at_block: AtBlock = None,
    csv_out: CsvFlag = False,
) -> None:
    """A voucher's root, ancestors and descendants with values, holders, tiers, discounts, pledges
    and payments; checks that live pieces plus what was paid add up to the face value (exit 1 if not)."""
    c, block = _start(ctx, at_block, csv_out)
    if not voucher.isdigit() or int(voucher) <= 0:
        raise InvalidInput(f"voucher id {voucher!r} must be a positive whole number")
    lh = c.ledgerhouse(signer=False)
    report = audit_voucher(lh, int(voucher), at_block=block)
    if not _machine_output(c, report, csv_out):
        _print_voucher(report, lh.labels)
    report.require_closed()


def _print_voucher(v: VoucherAudit, labels: Mapping[str, str]) -> None:
    stdout.print(
        f"[bold]voucher {v.voucher_id}[/] of root {v.root_id} — face {v.face_value} {v.currency} owed by "
        f"{_who(v.obligor, labels)}, matures {v.maturity.date().isoformat()}, credit line of "
        f"{_who(v.lender, labels)}{', root funded' if v.funded else ''}; "
        f"as of block {v.at_block} ({_when(v.at_time)} UTC)",
        highlight=False,
    )
    pieces = _table(
        "pieces", "voucher", "tier / parent", "holder", "value / status", "discount / pledge / paid"
    )
    for p in v.pieces:
        d, pl, paid = p.discount, p.pledge, p.settlement
        _add(
            pieces,
            _lines(str(p.voucher_id), p.relation),
            _lines(f"tier {p.tier}", f"of {p.parent_id}" if p.parent_id else ""),
            _who(p.holder, labels),
            _lines(str(p.value), p.status.label + (" overdue" if p.overdue else "")),
            _lines(
                f"discounted to {_who(d.lender, labels)} at {d.price} ({d.rate_bps / 100:.2f}%)" if d else "",
                f"pledge {pl.state}: {_who(pl.lender, labels)} secures {pl.secured_amount}" if pl else "",
                f"{paid.kind} {paid.value} in block {paid.block}" if paid else "",
            ),
        )
    stdout.print(pieces)
    lineage = v.lineage() | {v.root_id}
    events = _table("events of its lineage", "block / UTC / tx", "event", "by → to", "amount", "detail")
    for e in v.history:
        if e.voucher_id in lineage:
            _add(
                events,
                _stamp(e.block, e.time, e.tx_hash),
                _lines(e.event, f"voucher {e.voucher_id}"),
                _lines(_who(e.by, labels), f"→ {_who(e.counterparty, labels)}" if e.counterparty else ""),
                _num(e.amount),
                e.detail,
            )
    stdout.print(events)
    verdict = "[green]CLOSES[/]" if v.closes else "[red]DOES NOT CLOSE[/]"
    stdout.print(
        f"sums: live pieces {v.live_total} + paid {v.paid_total} = {v.live_total + v.paid_total} "
        f"of face value {v.face_value} {v.currency} — {verdict}",
        highlight=False,
    )
    for check in v.checks:
        mark = "ok  " if check.ok else "FAIL"
        stdout.print(f"  {mark} {check.name}: {check.detail}", highlight=False, markup=False)


@app.command("exposure")
def exposure_command(
    ctx: typer.Context,
    address: Annotated[str, typer.Argument(help="The borrower's address")],
    at_block: AtBlock = None,
    csv_out: CsvFlag = False,
) -> None:
    """Every active lien on receipts the borrower holds and every pledged or discounted voucher
    piece of it, across all banks, with totals per lender."""
    c, block = _start(ctx, at_block, csv_out)
    borrower = checksum(address, what="address")
    lh = c.ledgerhouse(signer=False)
    report = audit_exposure(lh, borrower, at_block=block)
    if not _machine_output(c, report, csv_out):
        _print_exposure(report, lh.labels)


def _print_exposure(x: ExposureAudit, labels: Mapping[str, str]) -> None:
    stdout.print(
        f"[bold]exposure of {_who(x.borrower, labels)}[/] ({x.borrower}); "
        f"as of block {x.at_block} ({_when(x.at_time)} UTC)",
        highlight=False,
    )
    items = _table(
        "open financings", "asset", "kind", "lender", "amount / price", "since / matures", "detail"
    )
    for i in x.items:
        _add(
            items,
            str(i.asset_id),
            i.kind,
            _who(i.lender, labels),
            _lines(f"{i.amount} {i.currency}", f"price {i.price}" if i.price is not None else ""),
            _lines(
                f"block {i.since_block}",
                f"matures {i.maturity.date().isoformat()}" if i.maturity else "",
            ),
            i.detail,
        )
    stdout.print(items)
    totals = _table(
        "totals per lender", "lender", "total exposure", "receipt liens", "voucher liens", "discounts"
    )
    for t in x.totals:
        _add(
            totals,
            _who(t.lender, labels),
            f"{t.total} {t.currency}",
            f"{t.receipt_pledges}: {t.receipt_secured}",
            f"{t.voucher_pledges}: {t.voucher_secured}",
            _lines(f"{t.discounts}: {t.discounted_value}", f"paid {t.discount_paid}" if t.discounts else ""),
        )
    stdout.print(totals)
    _print_findings(x.findings)


@app.command("warehouse")
def warehouse_command(
    ctx: typer.Context,
    address: Annotated[str, typer.Argument(help="The warehouse's address")],
    at_block: AtBlock = None,
    csv_out: CsvFlag = False,
) -> None:
    """Per lot of a warehouse: attested against receipted at every stocktake, shortfalls, and the
    live receipts now (the contract's count, checked by replaying the events)."""
    c, block = _start(ctx, at_block, csv_out)
    warehouse = checksum(address, what="address")
    lh = c.ledgerhouse(signer=False)
    report = audit_warehouse(lh, warehouse, at_block=block)
    if not _machine_output(c, report, csv_out):
        _print_warehouse(report, lh.labels)


def _print_warehouse(w: WarehouseAudit, labels: Mapping[str, str]) -> None:
    stdout.print(
        f"[bold]warehouse {_who(w.warehouse, labels)}[/] ({w.warehouse}): {len(w.lots)} lots, "
        f"{w.live_receipts} live receipts, {w.shortfalls} shortfalls; "
        f"as of block {w.at_block} ({_when(w.at_time)} UTC)",
        highlight=False,
    )
    table = _table(
        "lots: stock over time (block, UTC, tx: attested / receipted) and now",
        "lot",
        "commodity",
        "stock over time",
        "now: attested / receipted",
        "live receipts",
        "state",
    )
    for lot in w.lots:
        here = lot.now_at == w.warehouse
        state = [
            "frozen" if lot.frozen else "",
            f"{lot.shortfalls} shortfall(s)" if lot.shortfalls else "",
            "" if lot.reconciles else "EVENTS DISAGREE",
        ]
        _add(
            table,
            f"{lot.lot_id[:10]}…",
            lot.commodity,
            _lines(*(_lot_line(e, lot.unit, labels) for e in lot.timeline)),
            f"{lot.attested} / {lot.receipted} {lot.unit}"
            if here
            else f"moved to {_who(lot.now_at, labels)}",
            str(lot.live_receipts),
            ", ".join(x for x in state if x) or "ok",
        )
    stdout.print(table)
    _print_findings(w.findings)


def _lot_line(e: LotEvent, unit: str, labels: Mapping[str, str]) -> str:
    stamp = f"{e.block} {_when(e.time)} {_tx(e.tx_hash)}:"
    if e.event == "StockShortfall":
        lenders = ", ".join(_who(lender, labels) for lender in e.lenders) or "none"
        return f"{stamp} SHORTFALL {e.shortfall} {unit}, lenders alerted: {lenders}"
    if e.event == "LotUnfrozen":
        return f"{stamp} unfrozen by {_who(e.by, labels)}"
    return f"{stamp} {e.attested} / {e.receipted} {unit}"


@app.command("reconcile")
def reconcile_command(
    ctx: typer.Context,
    registry: Annotated[
        str, typer.Option("--registry", help="The registry service's URL, e.g. http://127.0.0.1:8000")
    ],
    at_block: Annotated[
        str | None,
        typer.Option(
            "--at-block",
            help="Compare at this block or later: wait until the registry has indexed it, then compare "
            "at the registry's indexed block (the only one it can answer for). Default: the chain head",
        ),
    ] = None,
    wait: Annotated[
        float,
        typer.Option("--wait", min=0, help="Seconds to wait for the registry to index the block"),
    ] = 60.0,
    sign_in: Annotated[
        bool,
        typer.Option(
            "--sign-in",
            help="Sign in to the registry with the key of --as / --keystore (an auditor's or "
            "regulator's) so that every lien's terms are compared too; anonymously they are skipped",
        ),
    ] = False,
    csv_out: CsvFlag = False,
) -> None:
    """Every participant, lot, receipt (its lien, its pledge request) and voucher as the registry
    answers it against the chain at one block: missing, extra, or different field by field.
    The registry shows a lien's terms only to its parties, auditors and regulators: anonymously
    they are not compared (and the report says so); with --sign-in as an auditor they are.
    Exit 1 if anything diverges."""
    c, block = _start(ctx, at_block, csv_out)
    url = registry_url(registry)
    lh = c.ledgerhouse(signer=False)
    api = RegistryApi(url, account=c.account(required=True) if sign_in else None)
    if sign_in:
        api.sign_in()
    report = reconcile(lh, api, at_block=block, wait=wait)
    if not _machine_output(c, report, csv_out):
        _print_reconciliation(report, lh.labels)
    if not report.clean:
        stderr.print(report.summary(), highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1)


def _print_reconciliation(r: Reconciliation, labels: Mapping[str, str]) -> None:
    asked = f" (pinned at block {r.requested_block})" if r.requested_block != r.at_block else ""
    checked = ", ".join(f"{n} {entity}{'s' if n != 1 else ''}" for entity, n in r.checked.items())
    stdout.print(
        f"[bold]reconcile[/] the registry at {r.registry_url} against chain {r.chain_id} at block "
        f"{r.at_block}, the registry's indexed block{asked}: {checked}",
        highlight=False,
    )
    note = r.terms_note()
    if note:
        stdout.print(note, highlight=False)
    if r.clean:
        stdout.print("no divergences — the registry answers what the chain says", highlight=False)
        return
    table = _table("divergences", "kind", "entity", "id", "field", "registry", "chain")
    for d in r.divergences:
        _add(
            table,
            d.kind,
            d.entity,
            _labelled(d.id, labels),
            d.field or "",
            _labelled(d.registry, labels),
            _labelled(d.chain, labels),
        )
    stdout.print(table)


def _labelled(value: str | None, labels: Mapping[str, str]) -> str:
    """A value in full, a labelled address with its name; a whole record (missing or extra) one
    `field=value` a line."""
    if value is None:
        return "—"
    return "\n".join(_with_label(part, labels) for part in value.split("; "))


def _with_label(text: str, labels: Mapping[str, str]) -> str:
    value = text.rpartition("=")[2]
    label = labels.get(value.lower()) if len(value) == 42 and value.startswith("0x") else None
    return f"{text} ({label})" if label else text
