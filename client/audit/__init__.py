"""Chain-only audit: a receipt's life, a voucher tree, a borrower's exposure, a warehouse's stock.

Every answer comes from the chain's JSON-RPC alone (eth_getLogs, eth_call, eth_getBlockByNumber),
never from the registry service, so an auditor needs to trust nobody's database.

Each audit is pinned to one block (`at_block`, by default the head when the audit starts): logs up
to that block, contract state at that block, so every part of a report describes the same moment.
Logs come in block chunks filtered by the indexed topics (receipt id, lot, warehouse, root), every
request goes out in JSON-RPC batches (`client.reader`), and each block's timestamp is fetched once.
What the events say is replayed and checked against what the contracts hold; a disagreement is a
finding.

    from client import Ledgerhouse
    from client.audit import audit_receipt
    report = audit_receipt(Ledgerhouse.connect(RPC), 17, at_block=1200)

One module per audit (`receipt`, `voucher`, `exposure`, `warehouse`), `reading` (the chain pinned to
a block, which reconcile reads through too) and `report` (JSON and CSV).
"""

from __future__ import annotations

from client.audit.exposure import ExposureAudit, ExposureItem, LenderTotal, audit_exposure
from client.audit.reading import VOUCHERS_PER_ROOT, AuditChain, hex32, parse_block
from client.audit.receipt import (
    LienSummary,
    LotEvent,
    ReceiptAudit,
    ReceiptEntry,
    ReceiptState,
    audit_receipt,
)
from client.audit.report import csv_cell, csv_table, flat_row, json_value
from client.audit.voucher import (
    DiscountRecord,
    PieceAudit,
    PledgeRecord,
    SettlementRecord,
    SumCheck,
    TreeDoesNotClose,
    VoucherAudit,
    VoucherEntry,
    audit_voucher,
)
from client.audit.warehouse import LotAudit, WarehouseAudit, audit_warehouse

__all__ = [
    "VOUCHERS_PER_ROOT",
    "AuditChain",
    "DiscountRecord",
    "ExposureAudit",
    "ExposureItem",
    "LenderTotal",
    "LienSummary",
    "LotAudit",
    "LotEvent",
    "PieceAudit",
    "PledgeRecord",
    "ReceiptAudit",
    "ReceiptEntry",
    "ReceiptState",
    "SettlementRecord",
    "SumCheck",
    "TreeDoesNotClose",
    "VoucherAudit",
    "VoucherEntry",
    "WarehouseAudit",
    "audit_exposure",
    "audit_receipt",
    "audit_voucher",
    "audit_warehouse",
    "csv_cell",
    "csv_table",
    "flat_row",
    "hex32",
    "json_value",
    "parse_block",
]
