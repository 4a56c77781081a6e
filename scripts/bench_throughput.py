"""Throughput benchmark: confirmed receipt mints per second against anvil.

    .venv/bin/python scripts/bench_throughput.py [--receipts 12000] [--block-time 0.5]

In the same run: one transaction at a time (the baseline); the SDK's pipelined submission
(consecutive nonces, batched JSON-RPC) with every call simulated first, and with the bulk-mint gas
profile instead of simulation; and the warehouse CLI's `mint-batch`. Each
counts only receipts confirmed on chain, and afterwards checks that no nonce is stuck (the key's
pending nonce equals its mined nonce).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from client import Ledgerhouse  # noqa: E402
from client.chain import Signer, connect  # noqa: E402
from client.deployment import deploy, write_manifest  # noqa: E402
from client.devnet import Anvil, admit_dev_participants, dev_account, dev_labels  # noqa: E402
from client.receipts import BULK_MINT_GAS  # noqa: E402

BATCH = 200


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--receipts", type=int, default=12000, help="receipts minted pipelined (a third each way)"
    )
    parser.add_argument("--sequential", type=int, default=20, help="receipts minted one at a time")
    parser.add_argument(
        "--csv-rows",
        type=int,
        help="rows minted through mint-batch (default: as many as each SDK way; at 500 rows, one block "
        "more or less of waiting swung the figure between 600 and 1,500 receipts/s)",
    )
    parser.add_argument("--block-time", type=float, default=0.5, help="anvil interval mining (0 = instant)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    console = Console()
    rows: list[tuple[str, int, float]] = []

    with Anvil(block_time=args.block_time or None) as node, tempfile.TemporaryDirectory() as tmp:
        w3 = connect(node.rpc_url)
        manifest = deploy(Signer(w3, dev_account("admin")))
        write_manifest(manifest, Path(tmp))
        admit_dev_participants(Ledgerhouse(w3, manifest, account=dev_account("admin"), labels=dev_labels()))
        inspector = Ledgerhouse(w3, manifest, account=dev_account("inspector1")).receipts
        warehouse_lh = Ledgerhouse(w3, manifest, account=dev_account("warehouse1"))
        warehouse = warehouse_lh.receipts
        holder = dev_account("supplier1").address
        per_way = args.receipts // 3
        if args.csv_rows is None:
            args.csv_rows = per_way
        total = args.sequential + 3 * per_way + args.csv_rows
        lots = [f"TP-LOT-{i:06d}" for i in range(total)]

        with console.status(f"attesting {total} lots (setup, not timed)…"):
            calls = [
                inspector.stocktake_call(
                    dev_account("warehouse1").address, lot, commodity="CU", quantity=10, unit="t"
                )
                for lot in lots
            ]
            for start in range(0, len(calls), BATCH):
                inspector.signer.wait_many(inspector.signer.submit_many(calls[start : start + BATCH]))

        seq_lots, pipe_lots = lots[: args.sequential], lots[args.sequential : args.sequential + 2 * per_way]
        multi_lots = lots[args.sequential + 2 * per_way : args.sequential + 3 * per_way]
        csv_lots = lots[args.sequential + 3 * per_way :]

        started = time.perf_counter()
        for lot in seq_lots:
            warehouse.mint(holder, lot, commodity="CU", quantity=5, decimals=3)
        rows.append(("one transaction at a time (baseline)", len(seq_lots), time.perf_counter() - started))

        half = per_way
        for name, group, gas in (
            ("SDK pipelined, each call simulated", pipe_lots[:half], None),
            ("SDK pipelined, bulk-mint gas profile", pipe_lots[half:], BULK_MINT_GAS),
        ):
            started = time.perf_counter()
            calls = [
                warehouse.mint_call(holder, lot, commodity="CU", quantity=5, decimals=3) for lot in group
            ]
            pendings = []
            for start in range(0, len(calls), BATCH):
                pendings += warehouse.signer.submit_many(calls[start : start + BATCH], gas=gas)
            results = warehouse.signer.wait_many(pendings)
            minted = sum(len(warehouse.minted_ids(r)) for r in results)
            rows.append((name, minted, time.perf_counter() - started))

        started = time.perf_counter()
        calls = [
            warehouse.mint_call(holder, lot, commodity="CU", quantity=5, decimals=3) for lot in multi_lots
        ]
        minted = len(warehouse.mint_many(calls))
        rows.append(("SDK mint_many: 10 per multicall, pipelined", minted, time.perf_counter() - started))

        csv_file = Path(tmp) / "batch.csv"
        csv_file.write_text(
            "to,lot,commodity,quantity,unit\n" + "".join(f"{holder},{lot},CU,5,t\n" for lot in csv_lots)
        )
        os.environ["LEDGERHOUSE_DEPLOYMENTS_DIR"] = tmp
        from client.cli import main as cli

        before = int(warehouse.contract.functions.parameters().call()[3])
        started = time.perf_counter()
        code = cli(
            ["--rpc", node.rpc_url, "--as", "warehouse1", "--json", "warehouse", "mint-batch", str(csv_file)]
        )
        elapsed = time.perf_counter() - started
        if code != 0:
            raise SystemExit("mint-batch failed")
        after = int(warehouse.contract.functions.parameters().call()[3])
        rows.append(("CLI warehouse mint-batch", after - before, elapsed))

        address = dev_account("warehouse1").address
        pending_nonce = w3.eth.get_transaction_count(address, "pending")
        mined_nonce = w3.eth.get_transaction_count(address, "latest")

    mining = "instant mining" if not args.block_time else f"{args.block_time:g} s blocks"
    table = Table(title=f"Confirmed receipt mints per second (anvil, {mining})")
    for column in ("method", "receipts confirmed", "seconds", "receipts/s", "vs baseline"):
        table.add_column(column, justify="left" if column == "method" else "right")
    base_rate = rows[0][1] / rows[0][2]
    for name, count, seconds in rows:
        rate = count / seconds
        table.add_row(name, f"{count:,}", f"{seconds:.2f}", f"{rate:,.0f}", f"{rate / base_rate:.1f}x")
    console.print(table)
    stuck = pending_nonce - mined_nonce
    console.print(f"stuck nonces after the run: {stuck} (pending {pending_nonce}, mined {mined_nonce})")
    if args.json:
        figures = [
            {
                "method": name,
                "receipts": count,
                "seconds": round(seconds, 3),
                "per_second": round(count / seconds, 1),
                "vs_sequential": round(count / seconds / base_rate, 2),
                "baseline": index == 0,
            }
            for index, (name, count, seconds) in enumerate(rows)
        ]
        args.json.write_text(
            json.dumps({"block_time_s": args.block_time, "stuck_nonces": stuck, "rows": figures}, indent=2)
        )
    return 0 if stuck == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
