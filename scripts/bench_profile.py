"""Credit profile benchmark: one profile's latency (p50/p99) and the time to recompute every
supplier's profile, with 100,000 voucher pieces and 100,000 receipts indexed.

    .venv/bin/python scripts/bench_profile.py [--pieces 100000] [--receipts 100000]
                                              [--db postgresql+psycopg://...] [--json FILE]

The index is written straight into the registry's tables in the shape the indexer gives them (event
rows with the same tags, the projected receipts, lots, roots and pieces), not built on a chain: this
measures the profile's queries at that size, not the indexer (scripts/bench_indexer.py does).
3 cores issue roots to 30 tier-1 suppliers, who split pieces down to 300 tier-2/3 suppliers; 70 % of
the pieces are paid (some late), 10 % pledged and released; receipts are spread over every member.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eth_utils.crypto import keccak  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from registry.db.models import (  # noqa: E402
    ChainEventRow,
    IndexedBlock,
    IndexerCursor,
    Lot,
    Participant,
    Receipt,
    Voucher,
    VoucherRoot,
)
from registry.db.session import make_engine, migrate, session_factory  # noqa: E402
from registry.services.profile import compute_profile  # noqa: E402

DAY = 86_400
START = 1_735_689_600  # 2025-01-01


def _address(label: str) -> str:
    from eth_utils.address import to_checksum_address

    return to_checksum_address(keccak(text=label)[-20:])


def build(url: str, pieces: int, receipts: int, seed: int) -> tuple[list[str], int]:
    rng = random.Random(seed)
    engine = make_engine(url)
    migrate(engine)
    cores = [_address(f"core{i}") for i in range(3)]
    banks = [_address(f"bank{i}") for i in range(2)]
    tier1 = [_address(f"t1-{i}") for i in range(30)]
    tier2 = [_address(f"t2-{i}") for i in range(300)]
    below: dict[str, list[str]] = {t: [] for t in tier1}
    for s in tier2:
        below[rng.choice(tier1)].append(s)
    core_of = {t: rng.choice(cores) for t in tier1}
    months = 24
    now = START + months * 30 * DAY
    rows: dict[Any, list[dict[str, Any]]] = {
        Participant: [],
        ChainEventRow: [],
        VoucherRoot: [],
        Voucher: [],
        Receipt: [],
        Lot: [],
    }
    block = [0]

    def event(
        t: int, name: str, contract: str, account: str | None, args: dict[str, Any], **tags: Any
    ) -> None:
        block[0] += 1
        rows[ChainEventRow].append(
            {
                "block_number": block[0],
                "log_index": 0,
                "block_time": t,
                "tx_hash": "0x" + keccak(block[0].to_bytes(8, "big")).hex(),
                "contract": contract,
                "name": name,
                "receipt_id": tags.get("receipt_id"),
                "lot_id": tags.get("lot_id"),
                "root_id": tags.get("root_id"),
                "voucher_id": tags.get("voucher_id"),
                "account": account,
                "args": args,
            }
        )

    for role, members in (("core-enterprise", cores), ("lender", banks), ("supplier", tier1 + tier2)):
        for m in members:
            admitted = START + rng.randint(0, 300) * DAY
            rows[Participant].append(
                {
                    "address": m,
                    "role": role,
                    "entity_id": "0x" + keccak(text=m).hex(),
                    "name": m[:10],
                    "status": "active",
                    "valid_until": now + 365 * DAY,
                    "admitted_at": admitted,
                    "status_reason": None,
                    "status_changed_at": admitted,
                }
            )
            event(admitted, "MemberAdmitted", "ParticipantRegistry", m, {"account": m})
    rows[ChainEventRow].sort(key=lambda r: r["block_time"])
    made = 0
    root_n = 0
    while made < pieces:
        root_n += 1
        root_id = root_n * 1_000_000
        holder = rng.choice(tier1)
        obligor = core_of[holder]
        issued = START + rng.randint(0, months * 30 - 60) * DAY
        maturity = issued + 60 * DAY
        face = rng.randint(200, 800) * 100_000
        rows[VoucherRoot].append(
            {
                "root_id": root_id,
                "obligor": obligor,
                "payer": obligor,
                "lender": banks[root_n % 2],
                "face_value": face,
                "currency": "CNY",
                "maturity": maturity,
                "document": "0x" + keccak(root_id.to_bytes(8, "big")).hex(),
                "min_denomination": 1,
                "max_depth": 8,
                "funded": 0,
                "issued_at": issued,
            }
        )
        event(
            issued,
            "VoucherIssued",
            "Receivables",
            holder,
            {"rootId": root_id, "faceValue": face},
            root_id=root_id,
            voucher_id=root_id,
        )
        tree = [(root_id, holder, 0)]
        remaining = face
        for k in range(rng.randint(1, 3)):
            if not below[holder]:
                break
            child = root_id + k + 1
            part = rng.randint(20, 60) * 10_000
            to = rng.choice(below[holder])
            remaining -= part
            event(
                issued + 3600,
                "VoucherSplit",
                "Receivables",
                to,
                {"rootId": root_id, "voucherId": root_id, "to": to, "childId": child, "amount": part},
                root_id=root_id,
                voucher_id=root_id,
            )
            tree.append((child, to, part))
        for vid, who, value in tree:
            value = value or remaining
            status = "active"
            if rng.random() < 0.10:
                event(
                    issued + 2 * DAY,
                    "VoucherPledgeAccepted",
                    "Receivables",
                    who,
                    {
                        "rootId": root_id,
                        "voucherId": vid,
                        "lienholder": banks[0],
                        "holder": who,
                        "securedAmount": value // 2,
                    },
                    root_id=root_id,
                    voucher_id=vid,
                )
                event(
                    issued + 30 * DAY,
                    "VoucherPledgeReleased",
                    "Receivables",
                    banks[0],
                    {"rootId": root_id, "voucherId": vid, "lienholder": banks[0]},
                    root_id=root_id,
                    voucher_id=vid,
                )
            paid_at = maturity + (0 if rng.random() < 0.9 else 31 * DAY)
            if paid_at < now and rng.random() < 0.95:
                status = "settled"
                event(
                    paid_at,
                    "VoucherSettled",
                    "Receivables",
                    who,
                    {
                        "rootId": root_id,
                        "voucherId": vid,
                        "holder": who,
                        "value": value,
                        "lienholder": "0x" + "00" * 20,
                    },
                    root_id=root_id,
                    voucher_id=vid,
                )
            rows[Voucher].append(
                {
                    "voucher_id": vid,
                    "root_id": root_id,
                    "parent_id": None if vid == root_id else root_id,
                    "tier": 0 if vid == root_id else 1,
                    "holder": who,
                    "value": value,
                    "status": status,
                    "overdue": False,
                    "settled_value": value if status == "settled" else 0,
                    "created_at": issued,
                }
            )
            made += 1
    everyone = tier1 + tier2 + cores
    lots = ["0x" + keccak(text=f"lot{i}").hex() for i in range(1000)]
    for lot in lots:
        rows[Lot].append(
            {
                "lot_id": lot,
                "warehouse": banks[0],
                "commodity": "AL-A00",
                "unit": "t",
                "decimals": 3,
                "attested": 10**9,
                "receipted": 0,
                "live_receipts": 0,
                "frozen": False,
                "last_stocktake_at": START,
                "last_shortfall": 0,
            }
        )
    for rid in range(1, receipts + 1):
        owner = rng.choice(everyone)
        lot = rng.choice(lots)
        minted = START + rng.randint(0, months * 30) * DAY
        rows[Receipt].append(
            {
                "receipt_id": rid,
                "lot_id": lot,
                "warehouse": banks[0],
                "commodity": "AL-A00",
                "owner": owner,
                "quantity": 10_000,
                "expires_at": 0,
                "details": "0x" + "00" * 32,
                "items_root": "0x" + "00" * 32,
                "status": "live",
                "frozen": False,
                "delivery_requested": 0,
                "minted_at": minted,
                "minted_block": 1,
            }
        )
        event(
            minted,
            "Transfer",
            "WarehouseReceipts",
            owner,
            {"from": "0x" + "00" * 20, "to": owner, "id": rid},
            receipt_id=rid,
        )
        event(
            minted,
            "ReceiptMinted",
            "WarehouseReceipts",
            owner,
            {"receiptId": rid, "lotId": lot, "owner": owner},
            receipt_id=rid,
            lot_id=lot,
        )
    with engine.begin() as conn:
        for model, batch in rows.items():
            for i in range(0, len(batch), 5_000):
                conn.execute(insert(model), batch[i : i + 5_000])
        conn.execute(insert(IndexedBlock), [{"number": block[0], "hash": "0x" + "11" * 32, "timestamp": now}])
        conn.execute(
            insert(IndexerCursor),
            [
                {
                    "id": 1,
                    "chain_id": 31337,
                    "genesis_hash": "0x" + "00" * 32,
                    "registry_address": banks[1],
                    "receipts_address": banks[1],
                    "receivables_address": banks[1],
                    "deployment_block": 0,
                    "block_number": block[0],
                    "block_hash": "0x" + "11" * 32,
                    "events_indexed": len(rows[ChainEventRow]),
                    "journal_from": 0,
                }
            ],
        )
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return tier1 + tier2, len(rows[ChainEventRow])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pieces", type=int, default=100_000)
    parser.add_argument("--receipts", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="a database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledgerhouse-profile-bench-") as tmp:
        url = args.db or f"sqlite:///{tmp}/registry.db"
        started = time.perf_counter()
        suppliers, events = build(url, args.pieces, args.receipts, args.seed)
        build_s = time.perf_counter() - started
        engine = make_engine(url)
        sessions = session_factory(engine)
        timings = []
        started = time.perf_counter()
        with sessions() as session:
            for s in suppliers:
                t0 = time.perf_counter()
                compute_profile(session, s)
                timings.append(time.perf_counter() - t0)
        total = time.perf_counter() - started
        engine.dispose()
    timings.sort()
    result = {
        "backend": make_url(url).get_backend_name(),
        "pieces": args.pieces,
        "receipts": args.receipts,
        "events": events,
        "build_s": round(build_s, 1),
        "profiles": len(suppliers),
        "all_profiles_s": round(total, 2),
        "profile_p50_ms": round(1000 * statistics.median(timings), 1),
        "profile_p99_ms": round(1000 * timings[min(len(timings) - 1, int(0.99 * len(timings)))], 1),
        "profile_max_ms": round(1000 * timings[-1], 1),
        "targets": {"profile_p99_ms": 100, "all_profiles_s": 60},
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    met = result["profile_p99_ms"] <= 100 and result["all_profiles_s"] <= 60
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
