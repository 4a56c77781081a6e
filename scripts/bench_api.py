"""Registry API benchmark: latency at a fixed arrival rate with 100,000 receipts indexed.

    .venv/bin/python scripts/bench_api.py [--receipts 100000] [--rate 200] [--seconds 30] [--workers 2]
                                          [--json FILE]

Builds the data on a fresh anvil (a stocktake and a `mint_many` mint per lot, plus a little
activity so every filter has something to find: transfers, splits, merges, pledges, deliveries,
freezes, shortfalls, expiring receipts, vouchers), indexes it with the registry's own indexer into
SQLite (the default), starts the registry service as an operator would (`ledgerhouse serve
--workers N` in its own processes, real HTTP on loopback, its indexer following the chain), and
drives it from a separate process: an open-loop load generator (asyncio +
httpx) sends at a constant arrival rate over a mix of routes and measures each latency from the
request's scheduled send time, so a slow server cannot hide queueing (no coordinated omission).
Intentional 404s (receipts that do not exist) are counted apart; any other non-2xx is an error.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from web3.types import RPCEndpoint  # noqa: E402

from registry.db.models import ChainEventRow, Lot, Receipt, Voucher  # noqa: E402
from registry.db.session import make_engine, migrate, session_factory  # noqa: E402
from registry.indexer.runner import Indexer  # noqa: E402
from registry.settings import Settings  # noqa: E402
from scripts._bench_common import (  # noqa: E402
    COMMODITIES,
    LENDERS,
    OWNERS,
    WAREHOUSES,
    Devnet,
    History,
    Mix,
    build_history,
    devnet,
    load_note,
    machine,
    percentiles,
    verdict,
    write_json,
)

TARGET_P99_MS = 50.0
# anvil recomputes its whole state root for every block and holds its state lock meanwhile: with
# 100,000 receipts that took about 0.45 s a block (measured: any state read, even eth_getBalance,
# waited 0.43 s). In 0.5 s blocks the chain was locked nine tenths of the time, each block took only
# the one batch of 20 transactions that got through, and the build took 30-50 minutes. In 2 s blocks
# (a common QBFT block period) the lock is held about a fifth of the time and each block carries
# what arrived meanwhile, so the block gas limit goes up with it.
BLOCK_TIME_S = 2.0
GAS_LIMIT = 1_000_000_000
# Blocks whose transactions anvil keeps (2 s blocks: about 16 minutes); the indexer follows well within.
KEEP_BLOCKS = 500
GIVE_UP_S = 60.0  # a request not answered this long after the schedule ends counts as an error
# A little of everything, so each filter finds rows; kept small so 100k receipts build in minutes.
API_MIX = Mix(
    transfer=0.02,
    split=0.01,
    pledge=0.02,
    delivery=0.005,
    freeze=0.001,
    expiring=0.002,
    shortfall_lots=3,
    vouchers=40,
)

# (route label, weight): the share of the load each route gets.
ROUTES: tuple[tuple[str, int], ...] = (
    ("GET /receipts/{id}", 20),
    ("GET /receipts/{id} (missing, 404)", 2),
    ("GET /receipts/{id}/history", 10),
    ("GET /receipts?owner", 8),
    ("GET /receipts?owner&after (page n)", 6),
    ("GET /receipts?warehouse", 4),
    ("GET /receipts?commodity", 4),
    ("GET /receipts?lot", 5),
    ("GET /receipts?status", 4),
    ("GET /receipts?lender", 5),
    ("GET /receipts?owner&commodity&status", 3),
    ("GET /lots/{lot}", 8),
    ("GET /lots?warehouse", 2),
    ("GET /alerts", 3),
    ("GET /vouchers?holder", 3),
    ("GET /vouchers/{id}", 3),
    ("GET /vouchers/{id}/tree", 2),
    ("GET /cores/{core}/penetration", 1),
    ("GET /participants", 1),
    ("GET /health", 3),
)


# ---------------------------------------------------------------- the request plan


def request_plan(
    net: Devnet, history: History, count: int, seed: int = 11
) -> list[tuple[str, str, list[int]]]:
    """`count` requests (route label, path, accepted statuses) drawn by the routes' weights."""
    rng = random.Random(seed)
    a = net.addr
    ids = [r.receipt_id for r in history.receipts]
    top = max(ids)
    lots = history.lots
    vouchers = history.vouchers or [1_000_000]

    def path(route: str) -> str:
        owner = a(rng.choice(OWNERS))
        if route == "GET /receipts/{id}":
            return f"/receipts/{rng.choice(ids)}"
        if route == "GET /receipts/{id} (missing, 404)":
            return f"/receipts/{top + rng.randint(1_000_000, 9_000_000)}"
        if route == "GET /receipts/{id}/history":
            return f"/receipts/{rng.choice(ids)}/history"
        if route == "GET /receipts?owner":
            return f"/receipts?owner={owner}"
        if route == "GET /receipts?owner&after (page n)":
            return f"/receipts?owner={owner}&after={rng.choice(ids)}&limit=50"
        if route == "GET /receipts?warehouse":
            return f"/receipts?warehouse={a(rng.choice(WAREHOUSES))}"
        if route == "GET /receipts?commodity":
            return f"/receipts?commodity={rng.choice(COMMODITIES)}"
        if route == "GET /receipts?lot":
            return f"/receipts?lot={rng.choice(lots)}"
        if route == "GET /receipts?status":
            return f"/receipts?status={rng.choice(['live', 'pledged', 'delivered', 'merged', 'frozen'])}"
        if route == "GET /receipts?lender":
            return f"/receipts?lender={a(rng.choice(LENDERS))}"
        if route == "GET /receipts?owner&commodity&status":
            return f"/receipts?owner={owner}&commodity={rng.choice(COMMODITIES)}&status=live"
        if route == "GET /lots/{lot}":
            return f"/lots/{rng.choice(lots)}"
        if route == "GET /lots?warehouse":
            return f"/lots?warehouse={a(rng.choice(WAREHOUSES))}"
        if route == "GET /alerts":
            return "/alerts"
        if route == "GET /vouchers?holder":
            return f"/vouchers?holder={owner}"
        if route == "GET /vouchers/{id}":
            return f"/vouchers/{rng.choice(vouchers)}"
        if route == "GET /vouchers/{id}/tree":
            return f"/vouchers/{rng.choice(vouchers)}/tree"
        if route == "GET /cores/{core}/penetration":
            return f"/cores/{a('core1')}/penetration"
        if route == "GET /participants":
            return "/participants"
        if route == "GET /health":
            return "/health"
        raise ValueError(route)

    labels = [label for label, _ in ROUTES]
    weights = [weight for _, weight in ROUTES]
    plan = []
    for label in rng.choices(labels, weights=weights, k=count):
        plan.append((label, path(label), [404] if "404" in label else [200]))
    return plan


# ---------------------------------------------------------------- the load generator (own process)


def load_process(base_url: str, plan_file: str, rate: float, out_file: str, connections: int) -> None:
    """Entry point of the load-generator process: reads the plan, writes the samples."""
    plan = json.loads(Path(plan_file).read_text())
    # The generator's own garbage collections would stall its event loop, and every response read
    # late would count against the server: its start-up heap is frozen and the collector is off for
    # the bounded run (a few thousand small samples).
    gc.collect()
    gc.freeze()
    gc.disable()
    samples = asyncio.run(_open_loop(base_url, plan, rate, connections))
    gc.enable()
    Path(out_file).write_text(json.dumps(samples))


async def _open_loop(base_url: str, plan: list[list[Any]], rate: float, connections: int) -> list[list[Any]]:
    """Request i is due at start + i / rate, whatever happened to the others: it joins a queue at that
    time and the next free connection sends it. Its latency counts from when it was due, so time
    spent queued behind a slow server is in the figures (wrk2's correction for coordinated omission).

    Each sample: [route, status, accepted, latency from due time (ms), from actual send (ms),
    queued (ms), how late the generator itself enqueued it (ms), failure]."""
    import httpx

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[int, float, float] | None] = asyncio.Queue()
    samples: list[list[Any] | None] = [None] * len(plan)

    # Clients are made before the clock starts: each builds an SSL context (tens of ms of CPU), and
    # 64 of them made on the fly stalled the generator for 2 s, which the figures then blamed on the
    # server.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [
        httpx.AsyncClient(base_url=base_url, limits=limits, timeout=GIVE_UP_S) for _ in range(connections)
    ]

    async def connection(client: httpx.AsyncClient) -> None:
        async with client:
            while (item := await queue.get()) is not None:
                i, due, enqueued = item
                label, path, accepted = plan[i]
                sent, failure = loop.time(), ""
                try:
                    status = (await client.get(path)).status_code
                except Exception as exc:  # a refused or broken connection is an error, not a crash
                    status, failure = -1, type(exc).__name__
                done = loop.time()
                samples[i] = [
                    label,
                    status,
                    status in accepted,
                    (done - due) * 1000,
                    (done - sent) * 1000,
                    (sent - due) * 1000,
                    (enqueued - due) * 1000,
                    failure,
                ]

    workers = [asyncio.create_task(connection(client)) for client in clients]
    await asyncio.sleep(0)  # let every worker reach its queue before the clock starts
    start = loop.time() + 0.5
    for i in range(len(plan)):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((i, due, loop.time()))
    for _ in workers:
        queue.put_nowait(None)
    _, unfinished = await asyncio.wait(workers, timeout=GIVE_UP_S)
    for worker in unfinished:
        worker.cancel()
    end = loop.time()
    out: list[list[Any]] = []
    for i, sample in enumerate(samples):
        if sample is None:  # still queued or in flight when the generator gave up: an error
            due = start + i / rate
            sample = [plan[i][0], -2, False, (end - due) * 1000, 0.0, 0.0, 0.0, "not answered"]
        out.append(sample)
    return out


def drive(
    base_url: str, plan: list[tuple[str, str, list[int]]], rate: float, tmp: Path, connections: int
) -> list[list[Any]]:
    plan_file, out_file = tmp / "plan.json", tmp / "samples.json"
    plan_file.write_text(json.dumps(plan))
    context = multiprocessing.get_context("spawn")
    process = context.Process(
        target=load_process,
        args=(base_url, str(plan_file), rate, str(out_file), connections),
        name="loadgen",
    )
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the load generator exited with code {process.exitcode}")
    samples: list[list[Any]] = json.loads(out_file.read_text())
    return samples


# ---------------------------------------------------------------- the service


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(settings: Settings, workers: int, log: Path) -> Iterator[str]:
    """`ledgerhouse serve` as an operator runs it, in its own process group (its indexer follows the
    chain; with --workers N, N API processes). Not a thread of this process: the benchmark's own
    heap (the whole built history) made every full garbage collection pause the server for up to
    200 ms."""
    import httpx

    port = int(settings.public_url.rsplit(":", 1)[1])
    command = [
        sys.executable, "-m", "client.cli",
        "--rpc", settings.rpc_url,
        "--deployment", str(settings.deployment),
        "serve",
        "--data-dir", str(settings.data_dir),
        "--port", str(port),
        "--workers", str(workers),
        "--log-level", "WARNING",
    ]  # fmt: skip
    with log.open("wb") as out:
        service = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if service.poll() is not None:
                raise RuntimeError(
                    f"ledgerhouse serve exited with {service.returncode}: {log.read_text()[-2000:]}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError("ledgerhouse serve did not answer /health within 120 s")
            try:
                if httpx.get(f"{settings.public_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield settings.public_url
    finally:
        if service.poll() is None:
            os.killpg(service.pid, signal.SIGTERM)
            try:
                service.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(service.pid, signal.SIGKILL)
                service.wait()


def cpu_share(pid: int, *, seconds: float) -> float:
    """The share of one core process `pid` used over the next `seconds` (from /proc)."""

    def ticks() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    try:
        before = ticks()
        time.sleep(seconds)
        return (ticks() - before) / os.sysconf("SC_CLK_TCK") / seconds
    except (OSError, IndexError, ValueError):
        return float("nan")


# ---------------------------------------------------------------- report


def summarise(samples: list[list[Any]]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    by_route: dict[str, list[list[Any]]] = defaultdict(list)
    for sample in samples:
        by_route[str(sample[0])].append(sample)
    order = {label: i for i, (label, _) in enumerate(ROUTES)}
    routes: dict[str, dict[str, Any]] = {}
    for label in sorted(by_route, key=lambda x: order.get(x, len(order))):
        rows = by_route[label]
        routes[label] = {
            **percentiles([float(r[3]) for r in rows]),
            "errors": sum(1 for r in rows if not r[2]),
            "statuses": dict(Counter(str(r[1]) for r in rows)),
            "failures": dict(Counter(str(r[7]) for r in rows if r[7])),
            "service_p99": percentiles([float(r[4]) for r in rows])["p99"],
        }
    overall = {
        **percentiles([float(r[3]) for r in samples]),
        "errors": sum(1 for r in samples if not r[2]),
        "intentional_404": sum(1 for r in samples if r[1] == 404 and r[2]),
        "max_queued_ms": max((float(r[5]) for r in samples), default=0.0),
        "generator_max_late_ms": max((float(r[6]) for r in samples), default=0.0),
        "service_p99": percentiles([float(r[4]) for r in samples])["p99"],
    }
    return routes, overall


def print_report(
    console: Console,
    build: dict[str, float],
    history: History,
    indexed: dict[str, Any],
    routes: dict[str, dict[str, Any]],
    overall: dict[str, Any],
    args: argparse.Namespace,
) -> None:
    data = Table(title=f"Building the data: {len(history.receipts):,} receipts on anvil, indexed into SQLite")
    for column in ("step", "count", "seconds", "per second"):
        data.add_column(column, justify="left" if column == "step" else "right")
    n = len(history.receipts)
    data.add_row(
        "stocktakes (20 per multicall, pipelined)",
        f"{n:,}",
        f"{build['stocktakes']:.1f}",
        f"{n / build['stocktakes']:,.0f}",
    )
    data.add_row(
        "mint_call (building the calls)",
        f"{n:,}",
        f"{build['mint_call']:.1f}",
        f"{n / build['mint_call']:,.0f}",
    )
    data.add_row(
        "mint_many (10 per multicall, pipelined)",
        f"{n:,}",
        f"{build['mint_many']:.1f}",
        f"{n / build['mint_many']:,.0f}",
    )
    activity = sum(v for k, v in history.operations.items() if k not in ("stocktake", "mint"))
    data.add_row(
        "other activity (transactions)",
        f"{activity:,}",
        f"{build['activity']:.1f}",
        "",
    )
    data.add_row(
        "chain built (all of the above)",
        f"{n:,} receipts",
        f"{build['total']:.1f}",
        f"{n / build['total']:,.0f}",
    )
    data.add_row(
        "indexed into SQLite while building (Indexer.run)",
        f"{indexed['events']:,} events",
        "",
        "",
    )
    data.add_row(
        "  of which after the build (Indexer.catch_up)",
        f"{indexed['catch_up_events']:,} events",
        f"{indexed['catch_up_seconds']:.1f}",
        "",
    )
    console.print(data)

    table = Table(
        title=f"Registry API (ledgerhouse serve --workers {args.workers}) at {args.rate:g} req/s open loop "
        f"for {args.seconds:g} s, "
        f"{indexed['receipts']:,} receipts (SQLite); latency from scheduled send, "
        f"target p99 ≤ {TARGET_P99_MS:g} ms"
    )
    for column in ("route", "count", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "target"):
        table.add_column(column, justify="left" if column == "route" else "right")
    for label, r in routes.items():
        table.add_row(
            label,
            f"{r['count']:,}",
            str(r["errors"]),
            f"{r['p50']:.1f}",
            f"{r['p95']:.1f}",
            f"{r['p99']:.1f}",
            f"{r['max']:.1f}",
            verdict(r["p99"], TARGET_P99_MS, higher_is_better=False),
        )
    table.add_row(
        "all routes",
        f"{overall['count']:,}",
        str(overall["errors"]),
        f"{overall['p50']:.1f}",
        f"{overall['p95']:.1f}",
        f"{overall['p99']:.1f}",
        f"{overall['max']:.1f}",
        f"≤ {TARGET_P99_MS:g} {verdict(overall['p99'], TARGET_P99_MS, higher_is_better=False)}",
        style="bold",
    )
    console.print(table)
    console.print(
        f"intentional 404s: {overall['intentional_404']:,}; errors (any other non-2xx or failure): "
        f"{overall['errors']}; longest wait for a free connection {overall['max_queued_ms']:.1f} ms; the "
        f"generator itself was at most {overall['generator_max_late_ms']:.1f} ms late enqueuing a request"
    )
    for label, r in routes.items():
        if r["errors"]:
            console.print(f"errors on {label}: statuses {r['statuses']}, failures {r['failures']}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--receipts", type=int, default=100_000, help="receipts minted and indexed")
    parser.add_argument(
        "--rate", type=float, default=200.0, help="requests per second (constant arrival rate)"
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load runs")
    parser.add_argument("--connections", type=int, default=64, help="the load generator's connection limit")
    parser.add_argument(
        "--workers", type=int, default=2, help="API processes of `ledgerhouse serve` (one per core)"
    )
    parser.add_argument(
        "--keep-mining",
        action="store_true",
        help="keep anvil mining empty blocks while the load runs (it shares these cores)",
    )
    parser.add_argument(
        "--block-time",
        type=float,
        default=BLOCK_TIME_S,
        help="anvil interval mining, seconds (see BLOCK_TIME_S for why not 0.5)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep-db", type=Path, help="copy the indexed SQLite database here (for EXPLAIN)")
    args = parser.parse_args()
    console = Console(width=None if sys.stdout.isatty() else 150)
    at_start = machine()
    console.log(load_note())

    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp_name:
        tmp = Path(tmp_name)
        with devnet(
            tmp, block_time=args.block_time, keep_blocks=KEEP_BLOCKS, keep_states=0, gas_limit=GAS_LIMIT
        ) as net:
            data_dir = tmp / "registry"
            settings = Settings(
                rpc_url=net.node.rpc_url,
                deployment=net.manifest_path,
                data_dir=data_dir,
                public_url=f"http://127.0.0.1:{_free_port()}",
            )
            engine = make_engine(settings.database_url)
            migrate(engine)
            sessions = session_factory(engine)
            indexer = Indexer(
                net.w3,
                net.manifest,
                sessions,
                confirmations=settings.confirmations,
                reorg_window=settings.reorg_window,
                chunk_blocks=settings.log_chunk_blocks,
            )
            indexer.ensure_cursor()
            # The registry indexes while the chain is built, as it would in service: anvil forgets
            # blocks older than KEEP_BLOCKS (see devnet), so a backfill afterwards would find them empty.
            stop = threading.Event()
            follower = threading.Thread(target=indexer.run, args=(stop,), kwargs={"poll_interval": 0.2})
            follower.start()
            started = time.perf_counter()
            try:
                history = build_history(net, args.receipts, API_MIX, progress=lambda m: console.log(m))
            finally:
                stop.set()
                follower.join()
            build = dict(history.seconds)
            build["total"] = time.perf_counter() - started
            console.log(f"chain built in {build['total']:.1f} s ({history.transactions:,} transactions)")
            started = time.perf_counter()
            events = indexer.catch_up()
            index_s = time.perf_counter() - started
            with sessions() as session:
                indexed = {
                    "events": int(session.scalar(select(func.count()).select_from(ChainEventRow)) or 0),
                    "catch_up_seconds": index_s,
                    "catch_up_events": events,
                    "receipts": int(session.scalar(select(func.count()).select_from(Receipt)) or 0),
                    "lots": int(session.scalar(select(func.count()).select_from(Lot)) or 0),
                    "vouchers": int(session.scalar(select(func.count()).select_from(Voucher)) or 0),
                    "event_rows": int(session.scalar(select(func.count()).select_from(ChainEventRow)) or 0),
                    "database_bytes": Path(settings.database_url.removeprefix("sqlite:///")).stat().st_size,
                }
            minted = len(history.receipts)
            if indexed["receipts"] < minted:
                raise SystemExit(
                    f"the registry holds {indexed['receipts']:,} receipts of {minted:,} minted: the indexer "
                    f"fell more than {KEEP_BLOCKS} blocks behind and anvil had forgotten them"
                )
            engine.dispose()
            console.log(
                f"indexed {indexed['events']:,} events while building, the last {events:,} in "
                f"{index_s:.1f} s after ({indexed['receipts']:,} receipts)"
            )
            if args.keep_db:
                shutil.copyfile(settings.database_url.removeprefix("sqlite:///"), args.keep_db)

            plan = request_plan(net, history, int(args.rate * args.seconds))
            # Anvil recomputes its state root for every block, empty or not; with 100,000 receipts
            # that is 30-40 % of a core in 2 s blocks (measured), taken from the two the API and the
            # load generator share here. A consortium node runs on its own machine, so the chain stops
            # mining during the measured window (no transaction is sent in it); --keep-mining
            # measures with it on. Its cost is reported either way.
            anvil_cpu = cpu_share(net.node.process.pid if net.node.process else 0, seconds=5.0)
            console.log(f"anvil mining empty {args.block_time:g} s blocks uses {anvil_cpu:.0%} of a core")
            if not args.keep_mining:
                net.w3.provider.make_request(RPCEndpoint("evm_setIntervalMining"), [0])
            with serving(settings, args.workers, tmp / "serve.log") as url:
                import httpx

                with httpx.Client(base_url=url, timeout=60) as warm:  # each route once, not measured
                    seen = set()
                    for label, path, _ in plan:
                        if label not in seen:
                            seen.add(label)
                            warm.get(path)
                console.log(
                    f"driving {url} at {args.rate:g} req/s for {args.seconds:g} s from a separate process…"
                )
                samples = drive(url, plan, args.rate, tmp, args.connections)

    routes, overall = summarise(samples)
    print_report(console, build, history, indexed, routes, overall, args)
    console.print(
        f"anvil used {anvil_cpu:.0%} of a core mining empty {args.block_time:g} s blocks before the run; "
        + ("it kept mining during the run" if args.keep_mining else "it did not mine during the run")
    )
    console.print(f"machine: {load_note()} at the end")
    if args.json:
        write_json(
            args.json,
            {
                "benchmark": "api",
                "machine_at_start": at_start,
                "machine_at_end": machine(),
                "settings": {k: v for k, v in vars(args).items() if k != "json"},
                "target_p99_ms": TARGET_P99_MS,
                "build_seconds": build,
                "history": {"transactions": history.transactions, "operations": history.operations},
                "indexed": indexed,
                "anvil_cpu_share_mining": anvil_cpu,
                "overall": overall,
                "routes": routes,
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
