"""Valuation benchmark: the registry re-valuing every loan of a commodity after a price move, and the
gas of a price post, a margin check and a cure by repayment.

    .venv/bin/python scripts/bench_valuation.py [--loans 100000] [--postgres-url URL | --no-postgres]
        [--no-gas] [--json FILE]

Registry: a migrated database (SQLite file, and PostgreSQL unless --no-postgres) holding one feed
and --loans open loans of its commodity; one `ReferencePriceUpdated` event is applied by the
indexer's projector and committed (every loan's LTV and value recomputed with the contract's integer
formula in the database), then the first page of the near-margin alerts is read. A second price
move is applied as live indexing does within the reorg window (each loan's prior image journaled
first): `revalue_journaled_s`.
The same-run baseline re-values the same loans the naive way: each loan loaded as an ORM object,
recomputed and flushed (the first --naive-loans loans, scaled).

Gas (anvil, the shipped contracts): one price post in a batch of 10 commodities (per commodity), a
keeper's margin check that raises a margin call, and a repayment that cures it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from registry.db.models import LoanRow, PriceFeedRow  # noqa: E402
from registry.db.session import make_engine, migrate  # noqa: E402
from registry.indexer.decode import DecodedEvent  # noqa: E402
from registry.indexer.journal import JOURNAL_BLOCK  # noqa: E402
from registry.indexer.projector import Projector  # noqa: E402
from registry.indexer.valuation_projection import collateral_value, ltv_bps  # noqa: E402
from registry.services import valuation as valuation_service  # noqa: E402

COMMODITY = "CU-CATH"
PRICE_BEFORE, PRICE_AFTER = 6_000_000, 4_800_000  # 60,000.00 -> 48,000.00 CNY/t
TARGET_S = 2.0  # issue 19: 100,000 liens re-valued and alerts updated within 2 s (PostgreSQL)
GAS_TARGETS = {
    "price post, per commodity (batch of 10)": 40_000,
    "margin check": 60_000,
    "cure by repayment": 50_000,
}


def _seed(engine: Engine, loans: int) -> None:
    with Session(engine) as session, session.begin():
        session.add(
            PriceFeedRow(
                commodity=COMMODITY,
                aggregator="0x" + "11" * 20,
                unit="t",
                currency="CNY",
                decimals=2,
                max_age=3 * 86_400,
                max_deviation_bps=0,
                created_at=1,
                price=PRICE_BEFORE,
                price_as_of=1,
                round_id=1,
                contributors=1,
                price_updated_at=1,
            )
        )
        rows = []
        for i in range(1, loans + 1):
            collateral = (100 + i % 4_900) * 10**18  # 100 to 5,000 t
            outstanding = (
                collateral * PRICE_BEFORE // 10**18 * (5_000 + i % 2_400) // 10_000
            )  # 50 % to 74 % LTV
            rows.append(
                {
                    "loan_id": i,
                    "lender": "0x" + f"{i % 7:040x}",
                    "borrower": "0x" + f"{i:040x}",
                    "commodity": COMMODITY,
                    "currency": "CNY",
                    "loan_ref": "0x" + "00" * 32,
                    "outstanding": outstanding,
                    "collateral": collateral,
                    "advance_rate_bps": 7_500,
                    "margin_call_ltv_bps": 8_000,
                    "liquidation_ltv_bps": 8_500,
                    "cure_window": 259_200,
                    "ltv_bps": ltv_bps(outstanding, collateral, PRICE_BEFORE),
                    "value": collateral_value(collateral, PRICE_BEFORE),
                    "valued_round": 1,
                    "opened_at": 1,
                    "opened_block": 1,
                }
            )
            if len(rows) == 10_000:
                session.execute(insert(LoanRow), rows)
                rows = []
        if rows:
            session.execute(insert(LoanRow), rows)


def _price_move(round_id: int, price: int) -> DecodedEvent:
    return DecodedEvent(
        contract="PriceFeed",
        name="ReferencePriceUpdated",
        block_number=round_id,
        block_hash="0x" + "00" * 32,
        log_index=0,
        tx_hash="0x" + f"{round_id:064x}",
        args={
            "commodity": "0x" + COMMODITY.encode().ljust(16, b"\0").hex(),
            "roundId": round_id,
            "price": price,
            "asOf": 1_000 + round_id,
            "contributors": 1,
        },
    )


def registry_figures(engine: Engine, backend: str, loans: int, naive_loans: int) -> list[dict[str, Any]]:
    migrate(engine)
    _seed(engine, loans)
    with Session(engine) as session, session.begin():
        started = time.perf_counter()
        projector = Projector(session)
        projector.apply(_price_move(2, PRICE_AFTER), 2_000)
        projector.flush()
    revalue_s = time.perf_counter() - started
    # Live, within the reorg window: each loan's prior image is journaled first.
    with Session(engine) as session, session.begin():
        session.info[JOURNAL_BLOCK] = 3
        started = time.perf_counter()
        projector = Projector(session)
        projector.apply(_price_move(3, PRICE_AFTER + 1), 3_000)
        projector.flush()
    live_s = time.perf_counter() - started
    with Session(engine) as session:
        started = time.perf_counter()
        near = valuation_service.near_margin_alerts(session, now=1_500, after=None, limit=50)
        alerts_s = time.perf_counter() - started
        above = session.scalar(select(text("count(*)")).select_from(LoanRow).where(LoanRow.ltv_bps > 8_000))
    # The naive way, on a sample: every loan an ORM object, recomputed, flushed.
    with Session(engine) as session, session.begin():
        started = time.perf_counter()
        for row in session.scalars(select(LoanRow).where(LoanRow.loan_id <= naive_loans)):
            row.ltv_bps = ltv_bps(row.outstanding, row.collateral, PRICE_BEFORE)
            row.value = collateral_value(row.collateral, PRICE_BEFORE)
            session.flush()
        naive_s = (time.perf_counter() - started) * loans / max(1, naive_loans)
    return [
        {
            "backend": backend,
            "loans": loans,
            "revalue_s": round(revalue_s, 3),
            "revalue_journaled_s": round(live_s, 3),
            "alerts_first_page_s": round(alerts_s, 4),
            "total_s": round(revalue_s + alerts_s, 3),
            "above_margin_call_after": int(above or 0),
            "near_margin_first_page": len(near),
            "naive_s_extrapolated": round(naive_s, 2),
            "naive_sample": naive_loans,
            "target_s": TARGET_S,
        }
    ]


def gas_figures() -> list[dict[str, Any]]:
    from client import Ledgerhouse
    from client.chain import Signer, connect
    from client.deployment import deploy
    from client.devnet import Anvil, admit_dev_participants, dev_account, dev_labels
    from client.prices import Quote
    from client.valuation import Terms

    with tempfile.TemporaryDirectory() as tmp, Anvil(log_file=Path(tmp) / "anvil.log") as node:
        w3 = connect(node.rpc_url)
        manifest = deploy(Signer(w3, dev_account("admin"), dev_labels()))
        made: dict[str, Ledgerhouse] = {}

        def as_(name: str) -> Ledgerhouse:
            if name not in made:
                made[name] = Ledgerhouse(w3, manifest, account=dev_account(name), labels=dev_labels())
            return made[name]

        admit_dev_participants(as_("admin"))
        codes = [f"C{n:02d}" for n in range(10)]
        for code in codes:
            as_("admin").prices.create_feed(code, unit="t", currency="CNY")
            as_("admin").prices.admit_publisher(code, dev_account("publisher1").address)
        publisher = as_("publisher1").prices
        publisher.post([Quote(c, "60000.00") for c in codes])  # first posts (cold slots)
        batch = publisher.post([Quote(c, "60100.00") for c in codes]).txs[0]  # a daily update
        receipts = as_("inspector1").receipts
        receipts.stocktake(
            dev_account("warehouse1").address,
            "BENCH-LOT",
            commodity=codes[0],
            quantity="5000",
            unit="t",
            decimals=3,
            evidence=b"\x01" * 32,
        )
        rid = (
            as_("warehouse1")
            .receipts.mint(dev_account("supplier1").address, "BENCH-LOT", commodity=codes[0], quantity="5000")
            .receipt_id
        )
        from datetime import UTC, datetime, timedelta

        _, seq = as_("supplier1").receipts.request_pledge(
            rid,
            dev_account("bank1").address,
            amount="210000000.00",
            currency="CNY",
            maturity=(datetime.now(UTC) + timedelta(days=90)).date(),
            loan_ref="BENCH",
        )
        as_("bank1").receipts.accept_pledge(rid, seq)
        loan = (
            as_("bank1")
            .valuation.open_loan(
                [rid],
                amount="210000000.00",
                currency="CNY",
                loan_ref="BENCH",
                terms=Terms(7_100, 8_000, 8_500, 86_400),
            )
            .loan_id
        )
        publisher.post([Quote(codes[0], "48000.00")])
        check = as_("auditor1").valuation.check_margin(loan)
        cure = as_("bank1").valuation.repay(loan, "30000000.00")
    measured = {
        "price post, per commodity (batch of 10)": batch.gas_used // 10,
        "margin check": check.tx.gas_used,
        "cure by repayment": cure.gas_used,
    }
    return [{"operation": k, "gas": v, "target": GAS_TARGETS[k]} for k, v in measured.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--naive-loans", type=int, default=5_000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "LEDGERHOUSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a server to create a scratch database on (dropped after)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-gas", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'valuation.db'}")
        rows += registry_figures(engine, "sqlite", args.loans, min(args.naive_loans, args.loans))
        engine.dispose()
    if not args.no_postgres:
        from sqlalchemy import create_engine

        name = f"ledgerhouse_bench_valuation_{int(time.time())}"
        admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            engine = make_engine(
                make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
            )
            rows += registry_figures(engine, "postgresql", args.loans, min(args.naive_loans, args.loans))
            engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    gas = [] if args.no_gas else gas_figures()
    report = {"registry": rows, "gas": gas}
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
