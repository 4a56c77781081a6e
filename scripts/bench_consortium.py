"""Ledgerhouse on the 4-node geth Clique network (client.geth): confirmed receipts per second through
the SDK beside the ceiling the block gas limit allows, send-to-confirmation latency, SDK failover
time, and where the time goes. Needs `make geth`.

- Throughput: receipts minted from one warehouse key, sent to node 0 in pipelined JSON-RPC batches
  (`--in-flight` transactions sent before the first receipt is awaited), counted once their block is
  `--confirmations` deep. Two ways: one mint per transaction, and `mint_many` (RECEIPTS_PER_TX mints
  per multicall transaction). The ceiling is block gas limit / gas per receipt / block period.
- Latency: each transaction from its send to the moment its block is `--confirmations` deep (as a
  poller on node 0 first sees the head reach it); p50 and p99.
- Failover: the SDK connected to "node A,node B" sends a transaction to A; A is killed (SIGKILL); the
  time to the SDK's next answer (through B) and to the transaction's receipt; A is restarted.
- Profile: CPU seconds of this process (signing, encoding, HTTP) and of every geth node over the
  throughput run, and geth's own block import and sealing times from its logs.

    .venv/bin/python scripts/bench_consortium.py --receipts 3000 --failovers 10
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from client import Ledgerhouse
from client.chain import PendingTx, Signer, TxResult, connect
from client.deployment import Manifest, deploy
from client.devnet import admit_dev_participants, dev_account, dev_labels
from client.errors import ConfigurationError
from client.geth import GethNetwork, find_geth
from client.receipts import BULK_MINT_GAS, RECEIPTS_PER_TX

TARGET_SHARE = 0.80  # of the ceiling
TARGET_FAILOVER_P99_S = 3.0
_TICK = os.sysconf("SC_CLK_TCK")


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def cpu_s(pid: int) -> float:
    """utime + stime of a process, in seconds (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def geth_cpu(net: GethNetwork) -> dict[int, float]:
    return {n.index: cpu_s(n.process.pid) for n in net.nodes if n.process is not None and n.running}


class HeadWatch:
    """Polls node 0's head every 20 ms in a thread; `seen[n]` is when block n was first seen."""

    def __init__(self, w3: Any) -> None:
        self.w3 = w3
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = -1
        while not self._stop.is_set():
            try:
                head = int(self.w3.eth.block_number)
            except Exception:  # a busy node: poll again
                head = last
            now = time.perf_counter()
            for n in range(last + 1, head + 1):
                self.seen.setdefault(n, now)
            last = max(last, head)
            self._stop.wait(0.02)

    def __enter__(self) -> HeadWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def wait_for(self, block: int, timeout: float = 120) -> float:
        deadline = time.perf_counter() + timeout
        while block not in self.seen:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"block {block} not seen in {timeout} s")
            time.sleep(0.01)
        return float(self.seen[block])


_DURATION = re.compile(r"([\d.]+)(µs|us|ms|s|m)")


def _seconds(text: str) -> float:
    total = 0.0
    for value, unit in _DURATION.findall(text):
        total += float(value) * {"µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]
    return total


def geth_log_profile(net: GethNetwork, first: int, last: int) -> dict[str, Any]:
    """From each node's log, for the blocks first..last that carried transactions: how fast geth
    imports (executes and verifies) a block another node sealed (total Mgas / total time), and how long
    it takes to build a block to seal ('Commit new sealing work')."""
    imports: list[float] = []
    mgas = 0.0
    commits: list[float] = []
    for node in net.nodes:
        for line in (node.datadir / "geth.log").read_text(errors="replace").splitlines():
            number = re.search(r"number=([\d,]+)", line)
            if number is None or not first <= int(number.group(1).replace(",", "")) <= last:
                continue
            elapsed = re.search(r"elapsed=(\S+)", line)
            if elapsed is None or re.search(r"txs=0\b", line):
                continue
            if "Imported new chain segment" in line:
                imports.append(_seconds(elapsed.group(1)))
                gas = re.search(r"mgas=([\d.]+)", line)
                mgas += float(gas.group(1)) if gas else 0.0
            elif "Commit new sealing work" in line:
                commits.append(_seconds(elapsed.group(1)))
    return {
        "block_import_s_p50": round(pct(imports, 0.5), 3),
        "block_import_s_max": round(max(imports, default=0.0), 3),
        "import_mgas_per_s": round(mgas / sum(imports), 1) if sum(imports) else 0.0,
        "sealing_work_s_p50": round(pct(commits, 0.5), 3),
        "sealing_work_s_max": round(max(commits, default=0.0), 3),
        "imports_logged": len(imports),
    }


def throughput(
    net: GethNetwork,
    manifest: Manifest,
    *,
    receipts: int,
    in_flight: int,
    confirmations: int,
    per_tx: int,
    tag: str,
) -> dict[str, Any]:
    w3 = connect(net.rpc_url)
    inspector = Ledgerhouse(w3, manifest, account=dev_account("inspector1")).receipts
    warehouse = Ledgerhouse(w3, manifest, account=dev_account("warehouse1")).receipts
    holder = dev_account("supplier1").address
    lots = [f"GETH-{tag}-{i:06d}" for i in range(receipts)]
    attest = [
        inspector.stocktake_call(
            dev_account("warehouse1").address, lot, commodity="CU", quantity=10, unit="t"
        )
        for lot in lots
    ]
    for i in range(0, len(attest), 500):
        inspector.signer.wait_many(inspector.signer.submit_many(attest[i : i + 500]), timeout=600)
    calls = [warehouse.mint_call(holder, lot, commodity="CU", quantity=5, decimals=3) for lot in lots]
    txs = warehouse.bundle(calls, per_tx) if per_tx > 1 else calls
    gas = BULK_MINT_GAS * per_tx
    signer = warehouse.signer
    assert signer is not None
    sent_at: dict[str, float] = {}
    pendings: list[PendingTx] = []
    send_s = 0.0
    with HeadWatch(w3) as heads:
        first = w3.eth.block_number
        cpu0, geth0, t0 = time.process_time(), geth_cpu(net), time.perf_counter()
        for i in range(0, len(txs), in_flight):
            started = time.perf_counter()
            group = signer.submit_many(txs[i : i + in_flight], gas=gas)
            now = time.perf_counter()
            send_s += now - started
            sent_at.update((p.tx_hash, now) for p in group)
            pendings += group
        results: list[TxResult] = signer.wait_many(pendings, timeout=900)
        last = max(r.block_number for r in results)
        done = heads.wait_for(last + confirmations)
        elapsed = done - t0
        cpu1, geth1 = time.process_time(), geth_cpu(net)
        latency = [heads.wait_for(r.block_number + confirmations) - sent_at[r.tx_hash] for r in results]
    per_receipt_gas = statistics.median(r.gas_used for r in results) / per_tx
    ceiling = net.gas_limit / per_receipt_gas / net.period
    rate = receipts / elapsed
    stuck = w3.eth.get_transaction_count(signer.address, "pending") - w3.eth.get_transaction_count(
        signer.address
    )
    blocks = sorted({r.block_number for r in results})
    imports = geth_log_profile(net, first + 1, last)
    # Every node executes every block (one builds it, the others import it), all on this machine:
    # what its cores can execute at geth's measured import speed bounds the chain, whatever the SDK does.
    cores = os.cpu_count() or 1
    machine_bound = cores * imports["import_mgas_per_s"] * 1e6 / len(net.nodes) / per_receipt_gas
    span = w3.eth.get_block(last)["timestamp"] - w3.eth.get_block(first)["timestamp"]
    return {
        "method": tag,
        "receipts": receipts,
        "receipts_per_tx": per_tx,
        "in_flight": in_flight,
        "seconds": round(elapsed, 2),
        "confirmed_receipts_per_s": round(rate, 1),
        "gas_per_receipt": round(per_receipt_gas),
        "ceiling_receipts_per_s": round(ceiling, 1),
        "share_of_ceiling": round(rate / ceiling, 3),
        "stuck_nonces": stuck,
        "machine_bound_receipts_per_s": round(machine_bound, 1),
        "blocks_used": len(blocks),
        "chain_seconds": span,
        "txs_per_block_max": max(sum(1 for r in results if r.block_number == b) for b in blocks),
        "confirmation_latency_s": {
            "p50": round(pct(latency, 0.5), 2),
            "p99": round(pct(latency, 0.99), 2),
            "confirmations": confirmations,
        },
        "profile": {
            "sdk_send_s": round(send_s, 2),  # signing, encoding and the batched HTTP sends
            "sdk_cpu_s": round(cpu1 - cpu0, 2),
            "geth_cpu_s": {i: round(geth1[i] - geth0.get(i, 0.0), 2) for i in geth1},
            "machine_cores": cores,
            "wall_s": round(elapsed, 2),
            **imports,
        },
    }


def failover(net: GethNetwork, manifest: Manifest, trials: int) -> dict[str, Any]:
    """Each trial: connect to "A,B", send to A, kill A, time the next answer and the receipt via B."""
    first_answer: list[float] = []
    to_receipt: list[float] = []
    for trial in range(trials):
        victim = net.nodes[trial % len(net.nodes)]
        other = net.nodes[(trial + 1) % len(net.nodes)]
        w3 = connect(f"{victim.rpc_url},{other.rpc_url}")
        inspector = Ledgerhouse(w3, manifest, account=dev_account("inspector1"))
        signer = inspector.signer
        assert signer is not None
        pending = signer.submit(
            inspector.receipts.stocktake_call(
                dev_account("warehouse1").address,
                f"FAILOVER-{trial}-{time.time_ns()}",
                commodity="CU",
                quantity=1,
                unit="t",
            )
        )
        time.sleep(0.3)  # geth announces a new transaction to its peers within milliseconds
        victim.kill()
        killed = time.perf_counter()
        w3.eth.block_number  # noqa: B018 -- the SDK's next request: fails over to B
        first_answer.append(time.perf_counter() - killed)
        signer.wait(pending, timeout=60)
        to_receipt.append(time.perf_counter() - killed)
        net.restart(victim)
    return {
        "trials": trials,
        "first_answer_s": {"p50": round(pct(first_answer, 0.5), 2), "p99": round(pct(first_answer, 0.99), 2)},
        "to_receipt_s": {"p50": round(pct(to_receipt, 0.5), 2), "p99": round(pct(to_receipt, 0.99), 2)},
        "target_p99_s": TARGET_FAILOVER_P99_S,
    }


def run(args: argparse.Namespace, log: Callable[[str], None]) -> dict[str, Any]:
    started = time.perf_counter()
    with GethNetwork(nodes=args.nodes) as net:
        start_s = time.perf_counter() - started
        w3 = connect(net.rpc_url)
        manifest = deploy(Signer(w3, dev_account("admin")))
        admit_dev_participants(Ledgerhouse(w3, manifest, account=dev_account("admin"), labels=dev_labels()))
        rows = []
        for per_tx, tag in (
            (1, "one mint per transaction"),
            (RECEIPTS_PER_TX, f"{RECEIPTS_PER_TX} mints per multicall"),
        ):
            log(f"throughput: {tag}, {args.receipts} receipts, {args.in_flight} in flight")
            rows.append(
                throughput(
                    net,
                    manifest,
                    receipts=args.receipts,
                    in_flight=args.in_flight,
                    confirmations=args.confirmations,
                    per_tx=per_tx,
                    tag=tag,
                )
            )
            log(json.dumps(rows[-1]))
        log(f"failover: {args.failovers} trials")
        fail = failover(net, manifest, args.failovers)
        return {
            "nodes": args.nodes,
            "network_start_s": round(start_s, 1),
            "gas_limit": net.gas_limit,
            "block_period_s": net.period,
            "target_share_of_ceiling": TARGET_SHARE,
            "rows": rows,
            "failover": fail,
            "splits_healed": len(net.splits_healed),
        }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--receipts", type=int, default=3000, help="receipts minted per way")
    parser.add_argument("--in-flight", type=int, default=500, help="transactions per pipelined send")
    parser.add_argument("--confirmations", type=int, default=GethNetwork.confirmations)
    parser.add_argument("--failovers", type=int, default=10, help="failover trials")
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    try:
        find_geth()
    except ConfigurationError as exc:
        print(f"bench_consortium: {exc}", file=sys.stderr)
        return 2
    figures = run(args, lambda line: print(line, flush=True))
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
