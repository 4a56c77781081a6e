"""Shared by the registry benchmarks (bench_indexer.py, bench_api.py): a devnet with the contracts and
the dev participants, a realistic history built fast (pipelined transactions, multicall bundles),
scratch PostgreSQL databases, percentiles, and the JSON the benchmark report collects.

Not a test helper: nothing here asserts; it builds, measures and prints.
"""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eth_abi.abi import decode as abi_decode  # noqa: E402
from eth_utils.crypto import keccak  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from web3 import Web3  # noqa: E402
from web3.contract.contract import ContractFunction  # noqa: E402
from web3.types import RPCEndpoint  # noqa: E402

from client import Ledgerhouse  # noqa: E402
from client._encoding import commitment, from_base_units, money, short_code  # noqa: E402
from client.chain import Signer, TxResult, connect  # noqa: E402
from client.deployment import Manifest, deploy, write_manifest  # noqa: E402
from client.devnet import (  # noqa: E402
    DEVNET_GAS_LIMIT,
    Anvil,
    admit_dev_participants,
    dev_account,
    dev_labels,
)
from client.identifiers import identifier_commitment  # noqa: E402

WAREHOUSES = ("warehouse1", "warehouse2")
OWNERS = ("supplier1", "supplier2", "supplier3")
LENDERS = ("bank1", "bank2")
COMMODITIES = ("CU-CATHODE", "AL-A00", "ZN-SHG", "NI-9996", "HRC-Q235")
DECIMALS = 3
LOT_ATTESTED = 100_000  # 100.000 t per lot, in base units
RECEIPT_QUANTITY = 60_000  # 60.000 t per receipt: room for a shortfall stocktake below it
SPLIT_PARTS = (20_000, 20_000, 20_000)
PIPELINE_CHUNK = 200  # transactions per submit_many (one JSON-RPC batch each)
STOCKTAKES_PER_TX = 20  # recordStocktake calls per multicall transaction
STOCKTAKE_BUNDLE_GAS = 3_200_000  # measured ~2.53M for 20 new lots, with margin
STOCKTAKE_PIPELINE = 40  # bundles per JSON-RPC batch: anvil refuses batches of a few MB
MINT_SLICE = 20_000  # receipts per mint_many call: each waits at most the SDK's receipt timeout
WAIT_S = 600.0  # waits for the setup's own pipelines (a loaded machine mines slowly)


def topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


RECEIPT_SPLIT = topic("ReceiptSplit(uint256,bytes32,uint256,uint64[])")
VOUCHER_ISSUED = topic(
    "VoucherIssued(uint256,address,address,address,uint128,bytes3,uint64,bytes32,uint128,uint8)"
)
VOUCHER_SPLIT = topic("VoucherSplit(uint256,uint256,address,uint256,uint128)")


# ---------------------------------------------------------------- the devnet


@dataclass
class Devnet:
    """anvil with the contracts deployed (manifest written to disk) and every dev participant admitted."""

    node: Anvil
    w3: Web3
    manifest: Manifest
    manifest_path: Path
    _clients: dict[str, Ledgerhouse] = field(default_factory=dict)

    def as_(self, name: str) -> Ledgerhouse:
        if name not in self._clients:
            self._clients[name] = Ledgerhouse(
                self.w3, self.manifest, account=dev_account(name), labels=dev_labels()
            )
        return self._clients[name]

    @staticmethod
    def addr(name: str) -> str:
        return str(dev_account(name).address)

    def rpc(self, method: str, params: list[Any]) -> Any:
        response = self.w3.provider.make_request(RPCEndpoint(method), params)
        if "error" in response:
            raise RuntimeError(f"{method} failed: {response['error']}")
        return response.get("result")

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


@contextmanager
def devnet(
    directory: Path,
    *,
    block_time: float,
    keep_blocks: int | None = None,
    keep_states: int = 4,
    gas_limit: int = DEVNET_GAS_LIMIT,
) -> Iterator[Devnet]:
    """`keep_blocks`: anvil forgets the transactions (and so the logs) of older blocks.

    `keep_states`: how many past states anvil keeps in memory. Measured on anvil 1.7.1 building
    15,000 receipts in 0.5 s blocks: with any number of kept states (1 or 4 alike) its memory grew
    with blocks x state size, to about 1 GB (and past 23 GB near 60,000 receipts, OOM-killed); with
    none kept it stayed at 250-300 MB. With none, a read of "latest" can race the next block
    (BlockOutOfRange), which the SDK retries."""
    # Base fee 0, as on a consortium chain with free gas: a long run of full blocks would otherwise
    # raise anvil's EIP-1559 base fee above the fee cap the SDK signers fix when they are created.
    extra: tuple[str, ...] = ("--block-base-fee-per-gas", "0", "--prune-history")
    if keep_states:
        extra += (str(keep_states),)
    if keep_blocks is not None:
        extra += ("--transaction-block-keeper", str(keep_blocks))
    with Anvil(block_time=block_time or None, gas_limit=gas_limit, extra_args=extra) as node:
        w3 = connect(node.rpc_url, timeout=300)
        manifest = deploy(Signer(w3, dev_account("admin")))
        path = write_manifest(manifest, directory)
        admin = Ledgerhouse(w3, manifest, account=dev_account("admin"), labels=dev_labels())
        admit_dev_participants(admin)
        yield Devnet(node=node, w3=w3, manifest=manifest, manifest_path=path)


def send_pipelined(groups: Sequence[tuple[Signer, Sequence[ContractFunction]]]) -> list[list[TxResult]]:
    """Every group's calls pipelined from its own key (each estimated first, so a bad call raises its
    decoded error before anything is sent), then all waited for; results per group, in call order."""
    pending = []
    for signer, calls in groups:
        sent = []
        for start in range(0, len(calls), PIPELINE_CHUNK):
            sent += signer.submit_many(calls[start : start + PIPELINE_CHUNK])
        pending.append((signer, sent))
    return [signer.wait_many(sent, timeout=WAIT_S) if sent else [] for signer, sent in pending]


def logs_with(result: TxResult, topic0: str) -> list[dict[str, Any]]:
    """The raw logs of a transaction (as wait_many returns them) whose first topic is `topic0`."""
    found = []
    for log in result.receipt["logs"]:
        topics = [t if isinstance(t, str) else "0x" + bytes(t).hex() for t in log["topics"]]
        if topics and topics[0] == topic0:
            found.append({"topics": topics, "data": log["data"]})
    return found


def _data(log: dict[str, Any]) -> bytes:
    data = log["data"]
    return bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)


# ---------------------------------------------------------------- a realistic history


@dataclass(frozen=True)
class Mix:
    """Shares of the minted receipts that see each operation (disjoint sets), and receivables counts."""

    transfer: float = 0.10
    split: float = 0.05
    merge: float = 0.5  # of the split receipts: the first part merged back into its parent
    pledge: float = 0.05
    release: float = 0.3  # of the pledged receipts
    delivery: float = 0.02
    freeze: float = 0.005
    expiring: float = 0.005  # minted with an expiry 20 days out (the /alerts "expiring" kind)
    shortfall_lots: int = 3
    vouchers: int = 40  # roots issued by core1; each split, then pieces moved, discounted, pledged, paid


@dataclass
class Receipt:
    receipt_id: int
    lot: str
    warehouse: str
    owner: str
    commodity: str


@dataclass
class History:
    receipts: list[Receipt] = field(default_factory=list)
    lots: list[str] = field(default_factory=list)
    untouched: list[int] = field(default_factory=list)  # live, unpledged receipts no operation touched
    pledged: dict[int, str] = field(default_factory=dict)  # receipt id -> lender name
    vouchers: list[int] = field(default_factory=list)
    transactions: int = 0
    operations: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    first_block: int = 0
    last_block: int = 0


def lot_name(run: str, index: int) -> str:
    return f"BENCH-{run}-{index:07d}"


def attest_lots(net: Devnet, lots: Sequence[tuple[str, str, str]]) -> int:
    """First stocktakes of new lots (lot, warehouse name, commodity), 20 to a multicall, pipelined.

    The calls are built on the contract directly: for a new lot there are no live receipts to list,
    so the SDK's stocktake_call would only add a chain read per lot. Returns transactions sent."""
    inspector = net.as_("inspector1").receipts
    record = inspector.contract.functions.recordStocktake
    unit = short_code("t", 8, what="unit")
    codes = {c: short_code(c, 16, what="commodity") for c in COMMODITIES}
    wh = {name: net.addr(name) for name in WAREHOUSES}
    calls = [
        record(wh[w], identifier_commitment(lot), codes[c], unit, DECIMALS, LOT_ATTESTED, b"\0" * 32, [])
        for lot, w, c in lots
    ]
    bundles = inspector.bundle(calls, STOCKTAKES_PER_TX)
    signer = inspector.signer
    sent = []
    for start in range(0, len(bundles), STOCKTAKE_PIPELINE):
        sent += signer.submit_many(bundles[start : start + STOCKTAKE_PIPELINE], gas=STOCKTAKE_BUNDLE_GAS)
    signer.wait_many(sent, timeout=WAIT_S)
    return len(sent)


def build_history(
    net: Devnet,
    receipts: int,
    mix: Mix,
    *,
    progress: Callable[[str], None] = lambda _: None,
    seed: int = 7,
) -> History:
    """Stocktakes and `mint_many` mints across `receipts` lots (a lot is receipted once: more live
    receipts on a lot come only from splits, at most 256), then owner, bank, regulator and
    receivables activity over disjoint random subsets, phase by phase, each phase pipelined."""
    rng = random.Random(seed)
    run = uuid.uuid4().hex[:6]
    h = History(first_block=int(net.w3.eth.block_number) + 1)
    a = net.addr
    now = net.now()
    maturity = now + 180 * 86_400
    expiry_date = (datetime.fromtimestamp(now, UTC) + timedelta(days=20)).date()

    # -- lots: one per receipt
    plan = [(lot_name(run, i), WAREHOUSES[i % 2], COMMODITIES[i % len(COMMODITIES)]) for i in range(receipts)]
    h.lots = [lot for lot, _, _ in plan]
    progress(f"attesting {receipts:,} lots")
    started = time.perf_counter()
    h.transactions += attest_lots(net, plan)
    h.seconds["stocktakes"] = time.perf_counter() - started
    h.operations["stocktake"] = receipts

    # -- mints: the SDK's mint_call + mint_many, per warehouse
    expiring = set(rng.sample(range(receipts), int(receipts * mix.expiring)))
    mint_call_s = mint_many_s = 0.0
    for warehouse in WAREHOUSES:
        client = net.as_(warehouse).receipts
        indices = [i for i in range(receipts) if plan[i][1] == warehouse]
        progress(f"minting {len(indices):,} receipts at {warehouse} (mint_call + mint_many)")
        started = time.perf_counter()
        calls = [
            client.mint_call(
                a(OWNERS[i % len(OWNERS)]),
                plan[i][0],
                commodity=plan[i][2],
                quantity=from_base_units(RECEIPT_QUANTITY, DECIMALS),
                decimals=DECIMALS,
                expires=expiry_date if i in expiring else None,
            )
            for i in indices
        ]
        built = time.perf_counter()
        ids = []
        for start in range(0, len(calls), MINT_SLICE):
            ids += client.mint_many(calls[start : start + MINT_SLICE])
        mint_call_s += built - started
        mint_many_s += time.perf_counter() - built
        h.transactions += -(-len(calls) // 10)
        for i, receipt_id in zip(indices, ids, strict=True):
            lot, _, commodity = plan[i]
            h.receipts.append(Receipt(receipt_id, lot, warehouse, OWNERS[i % len(OWNERS)], commodity))
    h.seconds["mint_call"] = mint_call_s
    h.seconds["mint_many"] = mint_many_s
    h.operations["mint"] = receipts
    h.receipts.sort(key=lambda r: r.receipt_id)

    started = time.perf_counter()
    _activity(net, h, mix, rng, maturity, progress)
    h.seconds["activity"] = time.perf_counter() - started
    h.last_block = int(net.w3.eth.block_number)
    return h


def _take(pool: list[Receipt], share: float, total: int) -> list[Receipt]:
    n = min(len(pool), int(total * share))
    taken, pool[:] = pool[:n], pool[n:]
    return taken


def _by_owner(items: Sequence[tuple[str, ContractFunction]]) -> dict[str, list[ContractFunction]]:
    grouped: dict[str, list[ContractFunction]] = {}
    for who, call in items:
        grouped.setdefault(who, []).append(call)
    return grouped


def _run_phase(
    net: Devnet, h: History, name: str, items: Sequence[tuple[str, ContractFunction]]
) -> list[TxResult]:
    """Sends one phase: each party's calls pipelined from its key, all parties before any wait."""
    grouped = _by_owner(items)
    results = send_pipelined([(net.as_(who).receipts.signer, calls) for who, calls in grouped.items()])
    h.transactions += len(items)
    h.operations[name] = h.operations.get(name, 0) + len(items)
    return [r for group in results for r in group]


def _activity(
    net: Devnet, h: History, mix: Mix, rng: random.Random, maturity: int, progress: Callable[[str], None]
) -> None:
    a = net.addr
    wr = net.as_("supplier1").receipts.contract.functions  # any party's contract object builds calls
    rv = net.as_("core1").receivables.contract.functions
    pool = [r for r in h.receipts]
    rng.shuffle(pool)
    total = len(pool)
    transfers = _take(pool, mix.transfer, total)
    splits = _take(pool, mix.split, total)
    pledges = _take(pool, mix.pledge, total)
    deliveries = _take(pool, mix.delivery, total)
    freezes = _take(pool, mix.freeze, total)
    shortfalls = pool[: mix.shortfall_lots]
    pool = pool[mix.shortfall_lots :]
    cny = short_code("CNY", 3, what="currency")

    progress("receipt activity: transfers, splits, pledge requests, delivery requests, freezes")
    phase1: list[tuple[str, ContractFunction]] = []
    for r in transfers:
        to = rng.choice([o for o in OWNERS if o != r.owner])
        phase1.append((r.owner, wr.transferFrom(a(r.owner), a(to), r.receipt_id)))
        r.owner = to
    for r in splits:
        phase1.append((r.owner, wr.split(r.receipt_id, list(SPLIT_PARTS))))
    for k, r in enumerate(pledges):
        lender = LENDERS[k % len(LENDERS)]
        loan_ref = commitment(f"LOAN-{r.receipt_id}")
        amount = money("250000.00", what="amount")
        phase1.append((r.owner, wr.requestPledge(r.receipt_id, a(lender), amount, cny, loan_ref, maturity)))
        h.pledged[r.receipt_id] = lender
    for k, r in enumerate(deliveries):
        quantity = RECEIPT_QUANTITY if k % 2 else RECEIPT_QUANTITY // 2  # half burn, half partial
        phase1.append((r.owner, wr.requestDelivery(r.receipt_id, quantity)))
    for r in freezes:
        phase1.append(("regulator1", wr.freezeReceipt(r.receipt_id, "court order (benchmark)")))
    # the credit lines receivables draw on
    expiry = maturity + 30 * 86_400
    line = money("100000000.00", what="limit")
    for lender in LENDERS:
        phase1.append((lender, rv.setCreditLine(a("core1"), line, cny, expiry)))
    results = _run_phase(net, h, "activity phase 1", phase1)
    split_children: dict[int, int] = {}
    for result in results:
        for log in logs_with(result, RECEIPT_SPLIT):
            parent = int(log["topics"][1], 16)
            first_new, _ = abi_decode(["uint256", "uint64[]"], _data(log))
            split_children[parent] = int(first_new)

    progress("pledges accepted, deliveries confirmed, merges, vouchers issued, shortfall stocktakes")
    phase2: list[tuple[str, ContractFunction]] = []
    for r in pledges:
        phase2.append((h.pledged[r.receipt_id], wr.acceptPledge(r.receipt_id, 1)))
    for r in deliveries:
        phase2.append((r.warehouse, wr.confirmDelivery(r.receipt_id, [])))
    for r in splits[: int(len(splits) * mix.merge)]:
        phase2.append((r.owner, wr.merge(r.receipt_id, split_children[r.receipt_id], [], [])))
    for k, r in enumerate(shortfalls):
        # a new stocktake finds less than is receipted: the lot freezes and its lenders are named
        phase2.append(
            (
                "inspector1",
                wr.recordStocktake(
                    a(r.warehouse),
                    identifier_commitment(r.lot),
                    short_code(r.commodity, 16, what="commodity"),
                    short_code("t", 8, what="unit"),
                    DECIMALS,
                    RECEIPT_QUANTITY - 5_000 * (k + 1),
                    commitment(f"shortfall-{k}"),
                    [r.receipt_id],
                ),
            )
        )
    for k in range(mix.vouchers):
        holder = OWNERS[k % len(OWNERS)]
        params = (
            a(holder),
            a(LENDERS[k % len(LENDERS)]),
            money("1000000.00", what="face"),
            cny,
            maturity,
            commitment(f"INV-{h.first_block}-{k}"),
            money("0.01", what="min"),
            8,
        )
        phase2.append(("core1", rv.issue(params)))
    results = _run_phase(net, h, "activity phase 2", phase2)
    roots: list[tuple[int, str]] = []
    for result in results:
        for log in logs_with(result, VOUCHER_ISSUED):
            roots.append((int(log["topics"][1], 16), Web3.to_checksum_address("0x" + log["topics"][3][-40:])))
    holder_name = {a(n): n for n in OWNERS}
    h.vouchers = [root for root, _ in roots]

    progress("releases, unfreezes, voucher splits")
    phase3: list[tuple[str, ContractFunction]] = []
    for r in pledges[: int(len(pledges) * mix.release)]:
        phase3.append((h.pledged.pop(r.receipt_id), wr.releasePledge(r.receipt_id)))
    for r in freezes[: len(freezes) // 2]:
        phase3.append(("regulator1", wr.unfreezeReceipt(r.receipt_id, "order lifted (benchmark)")))
    for root, holder in roots:
        name = holder_name[holder]
        to = OWNERS[(OWNERS.index(name) + 1) % len(OWNERS)]
        phase3.append((name, rv.split(root, a(to), money("400000.00", what="amount"))))
    results = _run_phase(net, h, "activity phase 3", phase3)
    children: list[tuple[int, str]] = []  # (child id, holder name)
    for result in results:
        for log in logs_with(result, VOUCHER_SPLIT):
            child_id, _ = abi_decode(["uint256", "uint128"], _data(log))
            to = Web3.to_checksum_address("0x" + log["topics"][3][-40:])
            children.append((int(child_id), holder_name[to]))
    h.vouchers += [c for c, _ in children]

    progress("voucher transfers, discount offers, voucher pledge requests")
    phase4: list[tuple[str, ContractFunction]] = []
    offers: list[tuple[int, int]] = []
    pledged_vouchers: list[tuple[int, int, bytes]] = []
    for k, (child, holder) in enumerate(children):
        if k % 3 == 0:
            to = OWNERS[(OWNERS.index(holder) + 1) % len(OWNERS)]
            phase4.append((holder, rv.transfer(child, a(to))))
        elif k % 3 == 1:
            price = money("390000.00", what="price")
            phase4.append((holder, rv.offerDiscount(child, a("bank2"), price)))
            offers.append((child, price))
        else:
            secured, loan_ref = money("200000.00", what="secured"), commitment(f"VLOAN-{child}")
            phase4.append((holder, rv.requestPledge(child, a("bank1"), secured, loan_ref, maturity)))
            pledged_vouchers.append((child, secured, loan_ref))
    _run_phase(net, h, "activity phase 4", phase4)

    progress("discounts and voucher pledges accepted")
    phase5: list[tuple[str, ContractFunction]] = []
    for child, price in offers:
        phase5.append(("bank2", rv.acceptDiscount(child, price, commitment(f"PAY-{child}"))))
    for child, secured, loan_ref in pledged_vouchers:
        phase5.append(("bank1", rv.acceptPledge(child, secured, loan_ref)))
    _run_phase(net, h, "activity phase 5", phase5)

    # Half the roots reach maturity and their remaining root piece is paid. Time moves only for the
    # receivables' sake: nothing minted above needs a fresh stocktake any more.
    to_settle = [root for root, _ in roots[: len(roots) // 2]]
    if to_settle:
        progress("maturity passes; half the root pieces settled")
        net.rpc("evm_increaseTime", [181 * 86_400])
        net.rpc("evm_mine", [])
        _run_phase(
            net,
            h,
            "settlements",
            [("core1", rv.settle(root, commitment(f"SETTLE-{root}"))) for root in to_settle],
        )
    h.untouched = [r.receipt_id for r in pool]


# ---------------------------------------------------------------- PostgreSQL


@contextmanager
def scratch_postgres(admin_url: str, prefix: str) -> Iterator[tuple[str | None, str]]:
    """A database of this run's own on the server `admin_url` names, dropped at the end; yields
    (url, note), or (None, why) when the server cannot be reached."""
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        yield (
            None,
            f"PostgreSQL skipped: {admin_url} is unreachable "
            f"({type(exc).__name__}: {str(exc).strip()[:160]})",
        )
        return
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(admin_url).set(database=name).render_as_string(hide_password=False),
            f"scratch database {name}",
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ---------------------------------------------------------------- figures


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """count, p50, p95, p99, max and mean (nearest-rank percentiles)."""
    if not values:
        return {"count": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0, "mean": 0.0}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, min(len(ordered) - 1, int(-(-p * len(ordered) // 100)) - 1))]

    return {
        "count": len(ordered),
        "p50": rank(50),
        "p95": rank(95),
        "p99": rank(99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


def verdict(value: float, target: float, *, higher_is_better: bool) -> str:
    ok = value >= target if higher_is_better else value <= target
    return "✓" if ok else "✗"


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")


def machine() -> dict[str, Any]:
    import os
    import platform

    return {
        "cpus": os.cpu_count(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def load_note() -> str:
    """The machine's load average: other work on a shared machine moves every figure here."""
    import os

    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"
