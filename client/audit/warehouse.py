"""Audit of a warehouse's stock: per lot, attested against receipted at each stocktake, every
shortfall, and the live receipts (the contract's count, checked by replaying the events)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from client._encoding import decode_code, from_base_units
from client._typed import typed_errors
from client.audit.reading import (
    TOPIC_OR_CHUNK,
    AuditChain,
    chunks,
    hex32,
    position,
)
from client.audit.receipt import LOT_EVENTS, LotEvent, lot_event
from client.audit.report import csv_cell, flat_row, json_value
from client.chain import checksum
from client.reader import ChainEvent, checksummed, topic_of

if TYPE_CHECKING:
    from client import Ledgerhouse

__all__ = [
    "LotAudit",
    "WarehouseAudit",
    "audit_warehouse",
]


@dataclass(frozen=True)
class LotAudit:
    """One lot a warehouse held: every stocktake, shortfall and unfreeze, and its state at the block.

    `live_receipts` and `live_quantity` are the contract's counters (zero when the lot is now at
    another warehouse, `now_at`); `receipt_ids` are the live receipts replayed from the events, and
    `reconciles` says whether the two agree.
    """

    lot_id: str
    commodity: str
    unit: str
    timeline: list[LotEvent]
    shortfalls: int
    now_at: str
    attested: Decimal
    receipted: Decimal
    frozen: bool
    live_receipts: int
    live_quantity: Decimal
    receipt_ids: list[int]
    reconciles: bool


@dataclass(frozen=True)
class WarehouseAudit:
    warehouse: str
    at_block: int
    at_time: datetime
    lots: list[LotAudit]
    findings: list[str]

    @property
    def live_receipts(self) -> int:
        return sum(lot.live_receipts for lot in self.lots)

    @property
    def shortfalls(self) -> int:
        return sum(lot.shortfalls for lot in self.lots)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json_value(self)
        data["live_receipts"] = self.live_receipts
        data["shortfalls"] = self.shortfalls
        return data

    def csv_table(self) -> tuple[list[str], list[list[str]]]:
        """Per lot, one row per lot event, then a `current` row with its state at the block."""
        rows = []
        for lot in self.lots:
            label = {"lot_id": lot.lot_id, "commodity": lot.commodity, "unit": lot.unit}
            for e in lot.timeline:
                rows.append({**label, **flat_row(e, LotEvent, skip={"lot_id"})})
            current = {
                "event": "current",
                "block": self.at_block,
                "time": self.at_time,
                "attested": lot.attested,
                "receipted": lot.receipted,
                "live_receipts": lot.live_receipts,
                "live_quantity": lot.live_quantity,
                "frozen": lot.frozen,
                "reconciles": lot.reconciles,
            }
            rows.append({**label, **{k: csv_cell(v) for k, v in current.items()}})
        columns = [
            "lot_id",
            "commodity",
            "unit",
            *flat_row(None, LotEvent, skip={"lot_id"}),
            "live_receipts",
            "live_quantity",
            "frozen",
            "reconciles",
        ]
        return columns, [[row.get(c, "") for c in columns] for row in rows]


@typed_errors
def audit_warehouse(lh: Ledgerhouse, address: str, *, at_block: int | None = None) -> WarehouseAudit:
    """Per lot of a warehouse at `at_block` (default: now): attested against receipted at each
    stocktake, every shortfall, and the live receipts (the contract's count, checked by replay)."""
    warehouse = checksum(address, what="address")
    chain = AuditChain(lh, at_block)
    rc = chain.receipts
    wh = topic_of(warehouse)
    lot_events, minted, delivered = chain.logs(
        [
            chain.query(rc, [rc.topic[n] for n in LOT_EVENTS], None, wh),
            chain.query(rc, rc.topic["ReceiptMinted"], None, None, wh),
            chain.query(rc, rc.topic["Delivered"], None, None, wh),
        ]
    )
    by_lot: dict[str, list[ChainEvent]] = defaultdict(list)
    for event in lot_events:
        by_lot[hex32(event.args["lotId"])].append(event)
    lots = list(by_lot)  # in order of first stocktake
    topics = [topic_of(bytes.fromhex(lot[2:])) for lot in lots]
    split_queries = [
        chain.query(rc, rc.topic["ReceiptSplit"], None, list(part)) for part in chunks(topics, TOPIC_OR_CHUNK)
    ]
    merge_queries = [
        chain.query(rc, rc.topic["ReceiptsMerged"], None, None, list(part))
        for part in chunks(topics, TOPIC_OR_CHUNK)
    ]
    found = chain.logs(split_queries + merge_queries)
    replay = sorted([*minted, *delivered, *(e for batch in found for e in batch)], key=position)
    live = _replay_live_receipts(replay)

    contract = chain.receipts_contract
    views = chain.state([contract.functions.lot(bytes.fromhex(lot[2:])) for lot in lots])
    times = chain.times([e.block_number for e in lot_events] + [chain.block])
    audits: list[LotAudit] = []
    findings: list[str] = []
    for lot, raw in zip(lots, views, strict=True):
        view = raw[0]
        events = by_lot[lot]
        stocktakes = [e for e in events if e.name == "StocktakeRecorded"]
        last = stocktakes[-1] if stocktakes else None
        decimals = int(view[4])
        now_at = checksummed(str(view[1]))
        here = now_at == warehouse
        receipts = live.get(lot, {})
        live_count = int(view[9]) if here else 0
        receipted = int(view[6]) if here else 0
        reconciles = len(receipts) == live_count and sum(receipts.values()) == receipted
        if not reconciles:
            findings.append(
                f"lot {lot}: the contract counts {live_count} live receipts for "
                f"{from_base_units(receipted, decimals)}, the events replay to {len(receipts)} for "
                f"{from_base_units(sum(receipts.values()), decimals)}"
            )
        audits.append(
            LotAudit(
                lot_id=lot,
                commodity=decode_code(last.args["commodity"]) if last else decode_code(view[2]),
                unit=decode_code(last.args["unit"]) if last else decode_code(view[3]),
                timeline=_lot_timeline(events, times),
                shortfalls=sum(1 for e in events if e.name == "StockShortfall"),
                now_at=now_at,
                attested=from_base_units(int(view[5]) if here else 0, decimals),
                receipted=from_base_units(receipted, decimals),
                frozen=bool(view[8]) if here else False,
                live_receipts=live_count,
                live_quantity=from_base_units(receipted, decimals),
                receipt_ids=sorted(receipts),
                reconciles=reconciles,
            )
        )
    return WarehouseAudit(
        warehouse=warehouse,
        at_block=chain.block,
        at_time=times[chain.block],
        lots=audits,
        findings=findings,
    )


def _replay_live_receipts(events: list[ChainEvent]) -> dict[str, dict[int, int]]:
    """Live receipts per lot (id -> base units) from mints, splits, merges and deliveries."""
    live: dict[str, dict[int, int]] = defaultdict(dict)
    lot_of: dict[int, str] = {}
    for event in events:
        a = event.args
        if event.name == "ReceiptMinted":
            lot_of[int(a["receiptId"])] = hex32(a["lotId"])
        subject = int(a["keptId"] if event.name == "ReceiptsMerged" else a["receiptId"])
        lot = lot_of.get(subject)
        if lot is None:
            continue  # a receipt of the lot from its time at another warehouse
        receipts = live[lot]
        if event.name == "ReceiptMinted":
            receipts[subject] = int(a["quantity"])
        elif event.name == "ReceiptSplit":
            parts = [int(q) for q in a["quantities"]]
            receipts[subject] = parts[0]
            first = int(a["firstNewId"])
            for k, part in enumerate(parts[1:]):
                receipts[first + k] = part
                lot_of[first + k] = lot
        elif event.name == "ReceiptsMerged":
            receipts[subject] = int(a["quantity"])
            receipts.pop(int(a["mergedId"]), None)
        elif event.name == "Delivered":
            if a["burned"]:
                receipts.pop(subject, None)
            else:
                receipts[subject] = receipts.get(subject, 0) - int(a["quantity"])
    return live


def _lot_timeline(events: list[ChainEvent], times: dict[int, datetime]) -> list[LotEvent]:
    """The lot's events with quantities in its display unit (a shortfall takes its stocktake's)."""
    decimals_of_tx = {e.tx_hash: int(e.args["decimals"]) for e in events if e.name == "StocktakeRecorded"}
    timeline = []
    decimals = 0
    for event in events:
        decimals = decimals_of_tx.get(event.tx_hash, decimals)
        timeline.append(lot_event(event, times, decimals))
    return timeline
