"""Indexer benchmark: backfill events/s and live lag of the registry's indexer on a real history.

    .venv/bin/python scripts/bench_indexer.py [--receipts 10000] [--seconds 20] [--json FILE]

On a fresh anvil it builds a history (a stocktake and a `mint_many` mint per lot, then transfers,
splits, merges, pledges, deliveries, freezes, shortfall stocktakes, and receivables: credit lines,
issues, splits, transfers, discounts, voucher pledges, settlements), then:

- backfill: `Indexer.catch_up()` from the deployment block with the registry's default settings
  (2,000-block chunks, 64-block reorg window), full decoding and business rules, into SQLite (a
  file, WAL, in a temp dir) and PostgreSQL (a scratch database on --postgres-url, dropped after);
- two same-run baselines, into the same database (the first --naive-events events only), both a
  naive indexer that decodes with web3.py's contract event objects (`process_log`) and inserts one
  row per event: one commits after every event (what a first attempt does), the other is the fair
  one: the indexer's own --chunk-blocks pages, each page's rows inserted and committed together, as
  `Indexer.catch_up` commits a chunk. The gap to the first is mostly commits; to the second it is
  decoding and the business rules;
- live lag: anvil switched to 1 s blocks, `Indexer.run` following the chain (0.2 s poll) while a
  writer submits transfers and stocktakes for --seconds; head minus indexed block is sampled every
  100 ms, and each block's rows are timed from the block's appearance at the node to the commit
  that makes them visible (the cursor and the rows commit together).

Published figures for other indexers are printed for context only, with their source; they are not
measured here, and not comparable: Envio's Open Indexer Benchmark
(https://github.com/enviodev/open-indexer-benchmark, README, "ERC-20 Transfer Events", read at commit
01bbd4260fddff8bb5c2b952e2003f57418ff46f) indexes Rocket Pool's ERC-20 transfers on Ethereum mainnet
over a remote RPC (HyperRPC) for one minute in GitHub CI, storing the events and account balances:
rindexer 206.8 events/s, Ponder 47.8 events/s. Those runs wait on a remote node; this one reads a
local anvil.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hexbytes import HexBytes  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import (  # noqa: E402
    JSON,
    BigInteger,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    func,
    insert,
    select,
)
from sqlalchemy import Table as SqlTable  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from client._encoding import short_code  # noqa: E402
from client.identifiers import identifier_commitment  # noqa: E402
from registry.db.models import ChainEventRow, IndexerCursor  # noqa: E402
from registry.db.session import make_engine, migrate, session_factory  # noqa: E402
from registry.indexer.runner import Indexer  # noqa: E402
from registry.settings import Settings  # noqa: E402
from scripts._bench_common import (  # noqa: E402
    DECIMALS,
    OWNERS,
    Devnet,
    History,
    Mix,
    build_history,
    devnet,
    load_note,
    machine,
    percentiles,
    scratch_postgres,
    topic,
    verdict,
    write_json,
)

TARGET_EVENTS_PER_S = 2_000
# For context only, not measured here and not comparable (mainnet over a remote RPC): Envio's Open
# Indexer Benchmark, README "ERC-20 Transfer Events" (see the module docstring for the commit).
PUBLISHED_SOURCE = "github.com/enviodev/open-indexer-benchmark (ERC-20 transfers, mainnet, remote RPC)"
PUBLISHED = (("rindexer", 206.8), ("Ponder", 47.8))
DEFAULTS = Settings()


@dataclass
class Backfill:
    database: str
    events: int
    blocks: int
    seconds: float
    journaled_events: int = 0

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


@dataclass
class Live:
    database: str
    seconds: float
    transactions: int
    events: int
    blocks: int
    lag_blocks: dict[str, float] = field(default_factory=dict)
    block_to_visible_ms: dict[str, float] = field(default_factory=dict)
    submit_to_visible_ms: dict[str, float] = field(default_factory=dict)
    missing_rows: int = 0


# ---------------------------------------------------------------- backfill


def fresh_index(
    net: Devnet, url: str, args: argparse.Namespace
) -> tuple[Engine, sessionmaker[Session], Indexer]:
    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    indexer = Indexer(
        net.w3,
        net.manifest,
        sessions,
        confirmations=0,
        reorg_window=args.reorg_window,
        chunk_blocks=args.chunk_blocks,
    )
    indexer.ensure_cursor()
    return engine, sessions, indexer


def backfill(
    net: Devnet, label: str, sessions: sessionmaker[Session], indexer: Indexer, reorg_window: int
) -> Backfill:
    started = time.perf_counter()
    events = indexer.catch_up()
    seconds = time.perf_counter() - started
    head = indexer.cursor_block
    with sessions() as session:
        journaled = session.scalar(
            select(func.count())
            .select_from(ChainEventRow)
            .where(ChainEventRow.block_number > head - reorg_window)
        )
    return Backfill(
        database=label,
        events=events,
        blocks=head - net.manifest.deployment_block + 1,
        seconds=seconds,
        journaled_events=int(journaled or 0),
    )


# ---------------------------------------------------------------- the naive baseline


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, HexBytes)):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value) if abs(value) >= 2**53 else value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def naive_backfill(
    net: Devnet, label: str, url: str, limit: int, *, batch_blocks: int | None = None
) -> Backfill:
    """web3.py's contract event objects decode each log, one INSERT per event. Without `batch_blocks`
    each event is committed on its own, over 10-block eth_getLogs pages; with it, pages of
    `batch_blocks` blocks and one commit per page (the registry indexer's chunking)."""
    engine = make_engine(url)  # same engine settings as the registry (WAL on SQLite)
    metadata = MetaData()
    table = SqlTable(
        "naive_events" if batch_blocks is None else "naive_batched_events",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("block_number", BigInteger),
        Column("log_index", Integer),
        Column("tx_hash", String(66)),
        Column("contract", String(42)),
        Column("name", String(64)),
        Column("args", JSON),
    )
    metadata.create_all(engine)
    lh = net.as_("auditor1")
    contracts = {
        c.contract.address.lower(): c.contract for c in (lh.participants, lh.receipts, lh.receivables)
    }
    names: dict[tuple[str, str], str] = {}
    for address, contract in contracts.items():
        for item in contract.abi:
            if item["type"] == "event":
                signature = f"{item['name']}({','.join(str(i['type']) for i in item['inputs'])})"
                names[(address, topic(signature))] = str(item["name"])
    head = int(net.w3.eth.block_number)
    block = net.manifest.deployment_block
    count = 0
    first_block = last_block = block
    started = time.perf_counter()
    while block <= head and count < limit:
        end = min(head, block + (batch_blocks or 10) - 1)
        page: list[dict[str, Any]] = []
        logs = net.w3.eth.get_logs(
            {
                "address": [net.w3.to_checksum_address(a) for a in contracts],
                "fromBlock": block,
                "toBlock": end,
            }
        )
        for log in logs:
            if count >= limit:
                break
            address = str(log["address"]).lower()
            name = names.get((address, "0x" + bytes(log["topics"][0]).hex()))
            if name is None:
                continue
            event = contracts[address].events[name]().process_log(log)
            row = {
                "block_number": int(event["blockNumber"]),
                "log_index": int(event["logIndex"]),
                "tx_hash": "0x" + bytes(event["transactionHash"]).hex(),
                "contract": address,
                "name": name,
                "args": {k: _jsonable(v) for k, v in event["args"].items()},
            }
            if batch_blocks is None:
                with engine.begin() as conn:
                    conn.execute(insert(table).values(**row))
            else:
                page.append(row)
            count += 1
            last_block = int(event["blockNumber"])
        if page:
            with engine.begin() as conn:
                conn.execute(insert(table), page)
        block = end + 1
    seconds = time.perf_counter() - started
    engine.dispose()
    return Backfill(
        database=label, events=count, blocks=last_block - first_block + 1 if count else 0, seconds=seconds
    )


# ---------------------------------------------------------------- live lag


class Watcher:
    """Every 20 ms: the node's head and the database's cursor; the first time each block was seen at
    the node and in the database; every 100 ms a lag sample (head minus indexed block)."""

    def __init__(self, net: Devnet, sessions: sessionmaker[Session]) -> None:
        self.net = net
        self.sessions = sessions
        self.head_seen: dict[int, float] = {}
        self.indexed_seen: dict[int, float] = {}
        self.lag_samples: list[int] = []
        self.stop = threading.Event()
        self.sampling = threading.Event()
        self._head = -1
        self._indexed = -1

    def _indexed_block(self) -> int:
        with self.sessions() as session:
            cursor = session.get(IndexerCursor, 1)
            return cursor.block_number if cursor else -1

    def run(self) -> None:
        next_sample = time.monotonic()
        while not self.stop.is_set():
            head = int(self.net.w3.eth.block_number)
            now = time.monotonic()
            for b in range(self._head + 1, head + 1):
                self.head_seen.setdefault(b, now)
            self._head = max(self._head, head)
            indexed = self._indexed_block()
            now = time.monotonic()
            for b in range(self._indexed + 1, indexed + 1):
                self.indexed_seen.setdefault(b, now)
            self._indexed = max(self._indexed, indexed)
            if self.sampling.is_set() and now >= next_sample:
                self.lag_samples.append(max(0, head - indexed))
                next_sample = now + 0.1
            self.stop.wait(0.02)


def live_lag(
    net: Devnet,
    label: str,
    sessions: sessionmaker[Session],
    indexer: Indexer,
    receipts: list[int],
    owners: dict[int, str],
    args: argparse.Namespace,
) -> tuple[Live, list[int]]:
    """Follows the chain while a writer submits `args.rate` transactions a second for `args.seconds`."""
    indexer.catch_up()
    stop = threading.Event()
    follower = threading.Thread(
        target=indexer.run, args=(stop,), kwargs={"poll_interval": args.poll}, name="indexer", daemon=True
    )
    watcher = Watcher(net, sessions)
    watching = threading.Thread(target=watcher.run, name="watcher", daemon=True)
    follower.start()
    watching.start()
    time.sleep(1.5)  # the follower settles on the head
    watcher.sampling.set()

    w = net.as_("supplier1").receipts.contract.functions
    inspector = net.as_("inspector1").receipts
    signers = {name: net.as_(name).receipts.signer for name in OWNERS}
    unit, code = short_code("t", 8, what="unit"), short_code("CU-CATHODE", 16, what="commodity")
    sent: list[tuple[str, Any, float]] = []  # (signer name, pending tx, submitted at)
    pool = list(receipts)
    tick = 1.0 / args.rate
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < args.seconds:
        due = started + n * tick
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if n % 4 == 3:  # a quarter are stocktakes of new lots, the rest endorsements
            call = inspector.contract.functions.recordStocktake(
                net.addr("warehouse1"),
                identifier_commitment(f"LIVE-{label}-{n}"),
                code,
                unit,
                DECIMALS,
                50_000,
                b"\0" * 32,
                [],
            )
            sent.append(("inspector1", inspector.signer.submit(call, gas=400_000), time.monotonic()))
        elif pool:
            receipt_id = pool.pop()
            owner = owners[receipt_id]
            to = OWNERS[(OWNERS.index(owner) + 1) % len(OWNERS)]
            call = w.transferFrom(net.addr(owner), net.addr(to), receipt_id)
            sent.append((owner, signers[owner].submit(call, gas=200_000), time.monotonic()))
        n += 1
    writing_s = time.monotonic() - started

    signer_of = {**signers, "inspector1": inspector.signer}
    blocks: dict[str, int] = {}
    for name in {s for s, _, _ in sent}:
        mine = [p for s, p, _ in sent if s == name]
        for pending, result in zip(mine, signer_of[name].wait_many(mine), strict=True):
            blocks[pending.tx_hash] = result.block_number
    last = max(blocks.values(), default=0)
    deadline = time.monotonic() + 60
    while watcher._indexed < last and time.monotonic() < deadline:
        time.sleep(0.05)
    watcher.sampling.clear()
    stop.set()
    follower.join(timeout=30)
    watcher.stop.set()
    watching.join(timeout=5)

    hashes = list(blocks)
    with sessions() as session:
        visible = session.scalar(
            select(func.count(func.distinct(ChainEventRow.tx_hash))).where(ChainEventRow.tx_hash.in_(hashes))
        )
        events = session.scalar(
            select(func.count()).select_from(ChainEventRow).where(ChainEventRow.tx_hash.in_(hashes))
        )
    block_to_visible = []
    submit_to_visible = []
    for _, pending, submitted in sent:
        b = blocks[pending.tx_hash]
        if b in watcher.indexed_seen and b in watcher.head_seen:
            block_to_visible.append(max(0.0, watcher.indexed_seen[b] - watcher.head_seen[b]) * 1000)
            submit_to_visible.append((watcher.indexed_seen[b] - submitted) * 1000)
    return (
        Live(
            database=label,
            seconds=writing_s,
            transactions=len(sent),
            events=int(events or 0),
            blocks=len(set(blocks.values())),
            lag_blocks=percentiles([float(x) for x in watcher.lag_samples]),
            block_to_visible_ms=percentiles(block_to_visible),
            submit_to_visible_ms=percentiles(submit_to_visible),
            missing_rows=len(hashes) - int(visible or 0),
        ),
        pool,
    )


# ---------------------------------------------------------------- report


def print_report(
    console: Console,
    history: History,
    backfills: list[Backfill],
    naives: list[Backfill],
    fairs: list[Backfill],
    lives: list[Live],
    notes: list[str],
) -> None:
    cores = os.cpu_count()
    table = Table(title=f"Indexer backfill, events/s ({cores} cores; target ≥ {TARGET_EVENTS_PER_S:,})")
    columns = ("indexer", "events", "blocks", "seconds", "events/s", "target", "vs naive", "vs fair")
    for column in columns:
        table.add_column(column, justify="left" if column == "indexer" else "right")
    naive_rate = {n.database: n.events_per_s for n in naives}
    fair_rate = {n.database: n.events_per_s for n in fairs}

    def ratio(rate: float, base: float | None) -> str:
        return f"{rate / base:.1f}x" if base else ""

    for b in backfills:
        table.add_row(
            f"registry Indexer.catch_up, {b.database}",
            f"{b.events:,}",
            f"{b.blocks:,}",
            f"{b.seconds:.1f}",
            f"{b.events_per_s:,.0f}",
            f"≥ {TARGET_EVENTS_PER_S:,} "
            + verdict(b.events_per_s, TARGET_EVENTS_PER_S, higher_is_better=True),
            ratio(b.events_per_s, naive_rate.get(b.database)),
            ratio(b.events_per_s, fair_rate.get(b.database)),
        )
    for n in naives:
        table.add_row(
            f"naive: web3 process_log, 1 commit/event, {n.database} (baseline)",
            f"{n.events:,}",
            f"{n.blocks:,}",
            f"{n.seconds:.1f}",
            f"{n.events_per_s:,.0f}",
            "",
            "1.0x",
            ratio(n.events_per_s, fair_rate.get(n.database)),
        )
    for n in fairs:
        table.add_row(
            f"fair: web3 process_log, 1 commit/chunk, {n.database} (baseline)",
            f"{n.events:,}",
            f"{n.blocks:,}",
            f"{n.seconds:.1f}",
            f"{n.events_per_s:,.0f}",
            "",
            ratio(n.events_per_s, naive_rate.get(n.database)),
            "1.0x",
        )
    for name, rate in PUBLISHED:
        table.add_row(f"{name}: published, not measured here (†)", "", "", "", f"{rate:,.1f}", "", "", "")
    console.print(table)
    console.print(f"  (†) {PUBLISHED_SOURCE}: not comparable with a local anvil, for context only")
    for b in backfills:
        share = b.journaled_events / b.events if b.events else 0
        console.print(
            f"  {b.database}: {b.journaled_events:,} of {b.events:,} events ({share:.0%}) fell in the last "
            f"{DEFAULTS.reorg_window} blocks and were journaled for reorg undo"
        )

    if lives:
        lag = Table(
            title="Live lag: anvil 1 s blocks, Indexer.run polling every 0.2 s, lag sampled every 100 ms"
        )
        for column in (
            "database",
            "txs",
            "events",
            "blocks",
            "lag p50/p99/max (blocks)",
            "block → row visible p50/p99/max",
            "submit → visible p50/p99",
            "rows missing",
        ):
            lag.add_column(column, justify="left" if column == "database" else "right")
        for live in lives:
            lb, bv, sv = live.lag_blocks, live.block_to_visible_ms, live.submit_to_visible_ms
            lag.add_row(
                live.database,
                f"{live.transactions:,}",
                f"{live.events:,}",
                f"{live.blocks:,}",
                f"{lb['p50']:.0f} / {lb['p99']:.0f} / {lb['max']:.0f}",
                f"{bv['p50']:.0f} / {bv['p99']:.0f} / {bv['max']:.0f} ms",
                f"{sv['p50']:.0f} / {sv['p99']:.0f} ms",
                str(live.missing_rows),
            )
        console.print(lag)
    ops = ", ".join(f"{k} {v:,}" for k, v in history.operations.items())
    console.print(
        f"history: {len(history.receipts):,} receipts minted, {history.transactions:,} transactions ({ops})"
    )
    for note in notes:
        console.print(f"note: {note}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--receipts", type=int, default=10_000, help="receipts minted (one lot each)")
    parser.add_argument("--seconds", type=float, default=20.0, help="live phase: how long the writer writes")
    parser.add_argument("--rate", type=float, default=10.0, help="live phase: transactions per second")
    parser.add_argument("--poll", type=float, default=0.2, help="live phase: the indexer's poll interval")
    parser.add_argument("--naive-events", type=int, default=3_000, help="events the naive baseline indexes")
    parser.add_argument("--block-time", type=float, default=0.5, help="anvil interval mining while building")
    parser.add_argument("--chunk-blocks", type=int, default=DEFAULTS.log_chunk_blocks)
    parser.add_argument("--reorg-window", type=int, default=DEFAULTS.reorg_window)
    parser.add_argument(
        "--postgres-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="server to create (and drop) a scratch database on",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-live", action="store_true", help="skip the live-lag phase")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    console = Console(width=None if sys.stdout.isatty() else 150)
    at_start = machine()
    console.log(load_note())
    notes: list[str] = []
    backfills: list[Backfill] = []
    naives: list[Backfill] = []
    fairs: list[Backfill] = []
    lives: list[Live] = []

    with tempfile.TemporaryDirectory(prefix="bench-indexer-") as tmp_name:
        tmp = Path(tmp_name)
        with devnet(tmp, block_time=args.block_time) as net:
            started = time.perf_counter()
            history = build_history(net, args.receipts, Mix(), progress=lambda m: console.log(m))
            build_s = time.perf_counter() - started
            console.log(
                f"history built in {build_s:.1f} s: blocks {history.first_block}..{history.last_block}, "
                f"{history.transactions:,} transactions"
            )
            owners = {r.receipt_id: r.owner for r in history.receipts}
            spare = list(history.untouched)

            with scratch_postgres(args.postgres_url, "ledgerhouse_bench") as (pg_url, pg_note):
                targets = [("SQLite (file, WAL)", f"sqlite:///{tmp / 'registry.db'}")]
                if args.no_postgres:
                    notes.append("PostgreSQL skipped (--no-postgres)")
                elif pg_url is None:
                    notes.append(pg_note)
                else:
                    targets.append((_pg_label(pg_url), pg_url))
                indexed: list[tuple[str, Engine, sessionmaker[Session], Indexer]] = []
                for label, url in targets:
                    engine, sessions, indexer = fresh_index(net, url, args)
                    console.log(f"backfill into {label}…")
                    result = backfill(net, label, sessions, indexer, args.reorg_window)
                    console.log(
                        f"  {result.events:,} events in {result.seconds:.1f} s = {result.events_per_s:,.0f}/s"
                    )
                    backfills.append(result)
                    console.log(f"naive baseline into {label} (first {args.naive_events:,} events)…")
                    naive = naive_backfill(net, label, url, args.naive_events)
                    console.log(
                        f"  {naive.events:,} events in {naive.seconds:.1f} s = {naive.events_per_s:,.0f}/s"
                    )
                    naives.append(naive)
                    console.log(
                        f"fair baseline into {label}: one commit per {args.chunk_blocks:,}-block chunk…"
                    )
                    fair = naive_backfill(net, label, url, args.naive_events, batch_blocks=args.chunk_blocks)
                    console.log(
                        f"  {fair.events:,} events in {fair.seconds:.1f} s = {fair.events_per_s:,.0f}/s"
                    )
                    fairs.append(fair)
                    indexed.append((label, engine, sessions, indexer))

                if not args.no_live:
                    net.rpc("evm_setIntervalMining", [1])
                    for label, _, sessions, indexer in indexed:
                        console.log(f"live lag on {label}: writing {args.seconds:g} s at {args.rate:g} tx/s…")
                        live, spare = live_lag(net, label, sessions, indexer, spare, owners, args)
                        lives.append(live)
                for _, engine, _, _ in indexed:
                    engine.dispose()

    notes.append(f"machine: {load_note()} at the end")
    print_report(console, history, backfills, naives, fairs, lives, notes)
    if args.json:
        write_json(
            args.json,
            {
                "benchmark": "indexer",
                "machine_at_start": at_start,
                "machine_at_end": machine(),
                "settings": {k: v for k, v in vars(args).items() if k != "json"},
                "history": {
                    "receipts": len(history.receipts),
                    "transactions": history.transactions,
                    "operations": history.operations,
                    "blocks": [history.first_block, history.last_block],
                    "seconds": history.seconds,
                },
                "target_events_per_s": TARGET_EVENTS_PER_S,
                "backfill": [{**asdict(b), "events_per_s": b.events_per_s} for b in backfills],
                "naive_baseline": [{**asdict(n), "events_per_s": n.events_per_s} for n in naives],
                "fair_baseline": [{**asdict(n), "events_per_s": n.events_per_s} for n in fairs],
                "published_baselines": [
                    {
                        "indexer": name,
                        "events_per_s": rate,
                        "measured_here": False,
                        "source": PUBLISHED_SOURCE,
                    }
                    for name, rate in PUBLISHED
                ],
                "live": [asdict(live) for live in lives],
                "notes": notes,
            },
        )
    return 0


def _pg_label(url: str) -> str:
    return f"PostgreSQL ({make_url(url).host})"


if __name__ == "__main__":
    sys.exit(main())
