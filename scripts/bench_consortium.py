"""Confirmed mints per second through the SDK on the 4-node geth Clique network (client.geth).

Pipelined mints from one warehouse key, sent to node 0, counted when their receipts are in; beside
the ceiling the block gas limit allows (gas limit / gas per mint / block period). Needs `make geth`.

    .venv/bin/python scripts/bench_consortium.py --receipts 1000
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from client import Ledgerhouse
from client.chain import Signer, connect
from client.deployment import deploy
from client.devnet import admit_dev_participants, dev_account, dev_labels
from client.geth import GethNetwork
from client.receipts import BULK_MINT_GAS

BATCH = 200


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--receipts", type=int, default=1000, help="receipts minted pipelined")
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    started = time.perf_counter()
    with GethNetwork(nodes=args.nodes) as net:
        start_s = time.perf_counter() - started
        w3 = connect(net.rpc_url)
        manifest = deploy(Signer(w3, dev_account("admin")))
        admit_dev_participants(Ledgerhouse(w3, manifest, account=dev_account("admin"), labels=dev_labels()))
        inspector = Ledgerhouse(w3, manifest, account=dev_account("inspector1")).receipts
        warehouse = Ledgerhouse(w3, manifest, account=dev_account("warehouse1")).receipts
        holder = dev_account("supplier1").address
        lots = [f"GETH-LOT-{i:06d}" for i in range(args.receipts)]
        attest = [
            inspector.stocktake_call(
                dev_account("warehouse1").address, lot, commodity="CU", quantity=10, unit="t"
            )
            for lot in lots
        ]
        for i in range(0, len(attest), BATCH):
            inspector.signer.wait_many(inspector.signer.submit_many(attest[i : i + BATCH]))
        calls = [warehouse.mint_call(holder, lot, commodity="CU", quantity=5, decimals=3) for lot in lots]
        first = w3.eth.block_number
        t0 = time.perf_counter()
        pendings = []
        for i in range(0, len(calls), BATCH):
            pendings += warehouse.signer.submit_many(calls[i : i + BATCH], gas=BULK_MINT_GAS)
        results = warehouse.signer.wait_many(pendings, timeout=600)
        elapsed = time.perf_counter() - t0
        last = max(r.block_number for r in results)
        gas_per_mint = statistics.median(r.gas_used for r in results)
        span = w3.eth.get_block(last)["timestamp"] - w3.eth.get_block(first)["timestamp"]
        ceiling = net.gas_limit / gas_per_mint / net.period
        stuck = w3.eth.get_transaction_count(
            warehouse.signer.address, "pending"
        ) - w3.eth.get_transaction_count(warehouse.signer.address)
        figures = {
            "nodes": args.nodes,
            "network_start_s": round(start_s, 1),
            "receipts": len(results),
            "seconds": round(elapsed, 1),
            "confirmed_receipts_per_s": round(len(results) / elapsed, 1),
            "blocks": last - first,
            "chain_seconds": span,
            "gas_per_mint": gas_per_mint,
            "gas_limit": net.gas_limit,
            "ceiling_receipts_per_s": round(ceiling, 1),
            "stuck_nonces": stuck,
        }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
