"""Registry API benchmark: the capacity curve (p50/p99 at fixed arrival rates) at 10,000 and
100,000 receipts, and the service's CPU per request per route.

    .venv/bin/python scripts/bench_api.py [--sizes 10000,100000] [--rates 50,100,200,400,800]
                                          [--seconds 8] [--workers 2] [--json FILE]

Builds the data on a fresh anvil (a stocktake and a `mint_many` mint per lot, plus a little
activity so every filter has something to find: transfers, splits, merges, pledges, deliveries,
freezes, shortfalls, expiring receipts, vouchers), indexes it with the registry's own indexer into
SQLite (the default), once per size: the larger size adds to the smaller one's chain and index.

At each size:
- service CPU per request, per route: the app called in-process, no HTTP and no load generator
  (scripts/_bench_cpu.py); CPU time, unlike latency, hardly moves with other load on the machine;
- the capacity curve: the registry served as an operator runs it (`ledgerhouse serve --workers N`
  in its own processes, real HTTP on loopback) and driven at each rate by scripts/loadgen, a
  compiled open-loop generator (`make loadgen`): request i is due at i / rate and its latency
  counts from then, so a slow server cannot hide queueing (no coordinated omission). Where the
  machine has three or more cores the generator is pinned to one and the service to the others
  (taskset); on two it is not pinned (that would halve the service), and its own CPU use is
  reported either way, with the service's whole CPU per request (every process, HTTP included).
Intentional 404s (receipts that do not exist) are counted apart; any other non-2xx is an error.
"""

from __future__ import annotations

import argparse
import itertools
import json
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
from dataclasses import dataclass
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


# ---------------------------------------------------------------- the load generator (compiled)

LOADGEN = ROOT / "bench" / "bin" / "loadgen"


def loadgen_binary() -> Path:
    """scripts/loadgen built (by `make loadgen`, which installs Go from Debian where missing)."""
    source = ROOT / "scripts" / "loadgen" / "main.go"
    if not LOADGEN.is_file() or LOADGEN.stat().st_mtime < source.stat().st_mtime:
        subprocess.run([shutil.which("make") or "make", "-C", str(ROOT), "loadgen"], check=True)
    return LOADGEN


@dataclass
class Driven:
    samples: list[list[Any]]
    generator_cpu_s: float
    wall_s: float
    service_cpu_s: float


def drive(
    base_url: str,
    plan: list[tuple[str, str, list[int]]],
    rate: float,
    tmp: Path,
    connections: int,
    *,
    service_group: int,
    pin: list[str],
) -> Driven:
    """One open-loop run of `plan` at `rate`, with the CPU the service's processes used meanwhile."""
    plan_file, out_file = tmp / "plan.tsv", tmp / "samples.json"
    plan_file.write_text("".join(f"{label}\t{path}\t{accepted[0]}\n" for label, path, accepted in plan))
    command = [
        *pin,
        str(loadgen_binary()),
        "-url", base_url,
        "-plan", str(plan_file),
        "-rate", f"{rate:g}",
        "-connections", str(connections),
        "-give-up", f"{GIVE_UP_S:g}s",
        "-out", str(out_file),
    ]  # fmt: skip
    before = group_cpu_seconds(service_group)
    subprocess.run(command, check=True)
    after = group_cpu_seconds(service_group)
    data = json.loads(out_file.read_text())
    return Driven(data["samples"], float(data["cpu_seconds"]), float(data["wall_seconds"]), after - before)


def group_cpu_seconds(group: int) -> float:
    """User + system CPU seconds of every live process in process group `group` (from /proc)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


def affinity() -> tuple[list[str], list[str], str]:
    """(service prefix, generator prefix, note): taskset prefixes that keep the generator on a core
    of its own where there are three or more; on fewer, pinning would halve the service."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) >= 3 and shutil.which("taskset"):
        rest = ",".join(str(c) for c in cores[:-1])
        return (
            ["taskset", "-c", rest],
            ["taskset", "-c", str(cores[-1])],
            f"generator pinned to core {cores[-1]}, service to cores {rest}",
        )
    return [], [], f"not pinned: {len(cores)} cores, the generator shares them with the service"


# ---------------------------------------------------------------- the service


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(settings: Settings, workers: int, log: Path, prefix: list[str]) -> Iterator[tuple[str, int]]:
    """`ledgerhouse serve` as an operator runs it, in its own process group (its indexer follows the
    chain; with --workers N, N API processes). Not a thread of this process: the benchmark's own
    heap (the whole built history) made every full garbage collection pause the server for up to
    200 ms."""
    import httpx

    port = int(settings.public_url.rsplit(":", 1)[1])
    command = [
        *prefix,
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
        yield settings.public_url, service.pid
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


def crossing_rate(curve: list[dict[str, Any]], limit_ms: float) -> dict[str, Any]:
    """The arrival rate at which p99 crosses `limit_ms`, linearly between the measured rates."""
    points = [(float(p["rate"]), float(p["p99"])) for p in curve]
    if not points:
        return {"rate": None, "note": "not measured"}
    if points[0][1] > limit_ms:
        return {"rate": None, "note": f"p99 above {limit_ms:g} ms already at {points[0][0]:g} req/s"}
    for (r1, p1), (r2, p2) in itertools.pairwise(points):
        if p1 <= limit_ms < p2:
            rate = r1 + (limit_ms - p1) * (r2 - r1) / (p2 - p1)
            return {"rate": rate, "note": f"between {r1:g} and {r2:g} req/s"}
    return {"rate": None, "note": f"not crossed up to {points[-1][0]:g} req/s"}


def service_cpu(state: dict[str, Any], tmp: Path, per_route: int) -> dict[str, dict[str, Any]]:
    """scripts/_bench_cpu.py in its own process: the app in-process, each route's CPU per request."""
    state_file, out_file = tmp / "cpu-state.json", tmp / "cpu.json"
    state_file.write_text(json.dumps(state))
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "_bench_cpu.py"),
            str(state_file),
            str(per_route),
            str(out_file),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    figures: dict[str, dict[str, Any]] = json.loads(out_file.read_text())
    return figures


def print_size(console: Console, size: int, result: dict[str, Any], args: argparse.Namespace) -> None:
    cpu = Table(
        title=f"{result['indexed']['receipts']:,} receipts: service CPU per request (in-process, no HTTP; "
        "cheapest of 3 rounds)"
    )
    for column in ("route", "CPU µs", "wall µs", "bytes"):
        cpu.add_column(column, justify="left" if column == "route" else "right")
    for label, f in result["cpu_per_route"].items():
        cpu.add_row(label, f"{f['cpu_us']:,.0f}", f"{f['wall_us']:,.0f}", f"{f['mean_bytes']:,.0f}")
    console.print(cpu)
    curve = Table(
        title=f"{result['indexed']['receipts']:,} receipts: capacity curve, ledgerhouse serve --workers "
        f"{args.workers}, {args.seconds:g} s per rate, open loop (latency from the scheduled send); "
        f"target p99 ≤ {TARGET_P99_MS:g} ms"
    )
    for column in (
        "req/s", "answered/s", "p50 ms", "p99 ms", "max ms", "errors",
        "service CPU µs/req", "generator CPU", "p99 target",
    ):  # fmt: skip
        curve.add_column(column, justify="right")
    for point in result["curve"]:
        curve.add_row(
            f"{point['rate']:g}",
            f"{point['answered_per_s']:,.0f}",
            f"{point['p50']:.1f}",
            f"{point['p99']:.1f}",
            f"{point['max']:.1f}",
            str(point["errors"]),
            f"{point['service_cpu_us_per_request']:,.0f}",
            f"{point['generator_cpu_share']:.1%}",
            verdict(point["p99"], TARGET_P99_MS, higher_is_better=False),
        )
    console.print(curve)
    crossing = result["p99_crosses_target"]
    where = f"{crossing['rate']:,.0f} req/s ({crossing['note']})" if crossing["rate"] else crossing["note"]
    console.print(f"p99 crosses {TARGET_P99_MS:g} ms: {where}; {result['skipped_note']}")
    for point in result["curve"]:
        for label, r in point["routes"].items():
            if r["errors"]:
                console.print(
                    f"at {point['rate']:g} req/s, errors on {label}: statuses {r['statuses']}, "
                    f"failures {r['failures']}"
                )


def _merge(into: History, more: History) -> None:
    into.receipts = sorted([*into.receipts, *more.receipts], key=lambda r: r.receipt_id)
    into.lots += more.lots
    into.vouchers += more.vouchers
    into.transactions += more.transactions
    for key, value in more.operations.items():
        into.operations[key] = into.operations.get(key, 0) + value
    for key, seconds in more.seconds.items():
        into.seconds[key] = into.seconds.get(key, 0.0) + seconds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="10000,100000", help="receipts indexed at each measurement, comma-separated"
    )
    parser.add_argument("--receipts", type=int, help="one size only (same as --sizes N)")
    parser.add_argument(
        "--rates", default="50,100,200,400,800", help="arrival rates of the curve, requests per second"
    )
    parser.add_argument("--seconds", type=float, default=6.0, help="how long each rate runs")
    parser.add_argument("--connections", type=int, default=64, help="the load generator's connections")
    parser.add_argument(
        "--workers", type=int, default=2, help="API processes of `ledgerhouse serve` (one per core)"
    )
    parser.add_argument(
        "--stop-p99-ms",
        type=float,
        default=2_000.0,
        help="higher rates are not run once p99 passes this (the service is past saturation)",
    )
    parser.add_argument("--cpu-requests", type=int, default=100, help="requests per route per CPU round")
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
    sizes = sorted({args.receipts} if args.receipts else {int(x) for x in args.sizes.split(",")})
    rates = sorted(float(x) for x in args.rates.split(","))
    console = Console(width=None if sys.stdout.isatty() else 150)
    at_start = machine()
    console.log(load_note())
    loadgen_binary()
    service_pin, generator_pin, pinning = affinity()
    console.log(f"load generator: scripts/loadgen (compiled, open loop); {pinning}")

    results: dict[str, dict[str, Any]] = {}
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
            history = History()
            build: dict[str, float] = {}
            for size in sizes:
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
                # blocks older than KEEP_BLOCKS (see devnet), so a backfill afterwards would find them
                # empty. A larger size adds to the smaller one's chain and index.
                net.w3.provider.make_request(
                    RPCEndpoint("evm_setIntervalMining"), [max(1, round(args.block_time))]
                )
                stop = threading.Event()
                follower = threading.Thread(target=indexer.run, args=(stop,), kwargs={"poll_interval": 0.2})
                follower.start()
                started = time.perf_counter()
                try:
                    more = build_history(
                        net, size - len(history.receipts), API_MIX, progress=lambda m: console.log(m)
                    )
                finally:
                    stop.set()
                    follower.join()
                _merge(history, more)
                build[f"{size}_total"] = time.perf_counter() - started
                console.log(
                    f"chain built to {len(history.receipts):,} receipts in {build[f'{size}_total']:.1f} s"
                )
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
                        "database_bytes": Path(settings.database_url.removeprefix("sqlite:///"))
                        .stat()
                        .st_size,
                    }
                engine.dispose()
                if indexed["receipts"] < len(history.receipts):
                    raise SystemExit(
                        f"the registry holds {indexed['receipts']:,} receipts of {len(history.receipts):,} "
                        f"minted: the indexer fell more than {KEEP_BLOCKS} blocks behind and anvil had "
                        "forgotten them"
                    )
                if args.keep_db:
                    shutil.copyfile(settings.database_url.removeprefix("sqlite:///"), args.keep_db)

                # Anvil recomputes its state root for every block, empty or not; with 100,000 receipts
                # that is 30-40 % of a core in 2 s blocks (measured), taken from the two the API and
                # the load generator share here. A consortium node runs on its own machine, so the
                # chain stops mining while the service is measured (no transaction is sent then);
                # --keep-mining measures with it on. Its cost is reported either way.
                anvil_cpu = cpu_share(net.node.process.pid if net.node.process else 0, seconds=3.0)
                if not args.keep_mining:
                    net.w3.provider.make_request(RPCEndpoint("evm_setIntervalMining"), [0])
                console.log(
                    f"measuring service CPU per route in-process at {indexed['receipts']:,} receipts…"
                )
                cpu = service_cpu(
                    {
                        "rpc_url": settings.rpc_url,
                        "deployment": str(settings.deployment),
                        "data_dir": str(settings.data_dir),
                        "public_url": settings.public_url,
                        "plan": request_plan(net, history, 2_000),
                    },
                    tmp,
                    args.cpu_requests,
                )
                curve: list[dict[str, Any]] = []
                skipped: list[float] = []
                with serving(settings, args.workers, tmp / "serve.log", service_pin) as (url, group):
                    import httpx

                    warm_plan = request_plan(net, history, 400, seed=3)
                    with httpx.Client(base_url=url, timeout=60) as warm:  # each route, not measured
                        for _label, path, _ in warm_plan:
                            warm.get(path)
                    for rate in rates:
                        if curve and curve[-1]["p99"] > args.stop_p99_ms:
                            skipped.append(rate)
                            continue
                        console.log(f"driving {url} at {rate:g} req/s for {args.seconds:g} s…")
                        plan = request_plan(net, history, int(rate * args.seconds), seed=int(rate))
                        driven = drive(
                            url, plan, rate, tmp, args.connections, service_group=group, pin=generator_pin
                        )
                        routes, overall = summarise(driven.samples)
                        answered = sum(1 for r in driven.samples if int(r[1]) > 0)
                        curve.append(
                            {
                                "rate": rate,
                                **overall,
                                "answered_per_s": answered / driven.wall_s,
                                "generator_cpu_share": driven.generator_cpu_s / driven.wall_s,
                                "generator_cpu_us_per_request": driven.generator_cpu_s / len(plan) * 1e6,
                                "service_cpu_share": driven.service_cpu_s / driven.wall_s,
                                "service_cpu_us_per_request": driven.service_cpu_s / len(plan) * 1e6,
                                "load_average_1min": os.getloadavg()[0],
                                "routes": routes,
                            }
                        )
                results[str(size)] = {
                    "indexed": indexed,
                    "anvil_cpu_share_mining": anvil_cpu,
                    "cpu_per_route": cpu,
                    "curve": curve,
                    "skipped_rates": skipped,
                    "skipped_note": (
                        f"not run past p99 {args.stop_p99_ms:g} ms: "
                        + ", ".join(f"{r:g}" for r in skipped)
                        + " req/s"
                        if skipped
                        else "every rate run"
                    ),
                    "p99_crosses_target": crossing_rate(curve, TARGET_P99_MS),
                }
                print_size(console, size, results[str(size)], args)

    console.print(
        "anvil mining empty blocks before each measurement: "
        + ", ".join(
            f"{r['anvil_cpu_share_mining']:.0%} of a core at {s} receipts" for s, r in results.items()
        )
        + ("; it kept mining during the runs" if args.keep_mining else "; it did not mine during the runs")
    )
    console.print(f"load generator: scripts/loadgen, {pinning}")
    console.print(f"machine: {load_note()} at the end (latency on a loaded machine is not the target's)")
    if args.json:
        write_json(
            args.json,
            {
                "benchmark": "api",
                "machine_at_start": at_start,
                "machine_at_end": machine(),
                "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                "target_p99_ms": TARGET_P99_MS,
                "pinning": pinning,
                "build_seconds": build,
                "history": {"transactions": history.transactions, "operations": history.operations},
                "sizes": results,
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
