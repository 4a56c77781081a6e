"""A simulated supply chain on anvil, driven through the SDK, to measure how well the credit profile's
score ranks the suppliers that later go bad. THE DATA IS SIMULATED: the hidden risks, the behaviour
they cause and so the figures below say how the scorecard ranks *this model's* suppliers, nothing
about real ones.

    .venv/bin/python scripts/simulate_supply_chain.py [--cores 3 --tier1 30 --tier2 300 --months 24]
                                                      [--seed 7] [--json FILE]

The chain: core enterprises issue payable vouchers to their tier-1 suppliers each month (drawing on
two banks' credit lines); tier-1 suppliers pass parts down to tier-2/3 suppliers (splits); suppliers
pledge pieces to a bank for 30-day loans, which the bank releases on time or late; cores pay their
pieces at maturity (one core pays late often). Every supplier has a hidden risk r (newer entrants
riskier on average) that the profile never sees: it lowers the supplier's trading frequency and makes
late repayment likelier; from month 13 a supplier goes bad with a monthly hazard rising with r (it
stops trading and leaves its pledges unpaid past their maturity).

At month 12 the chain is indexed with the registry's own indexer (SQLite) and every admitted
supplier's profile computed with registry.services.profile; then months 13-24 run. The report: AUC
and KS of the month-12 score against "went bad in months 13-24", beside a naive baseline (tenure
only) from the same run, and the time to compute all profiles.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eth_account import Account  # noqa: E402
from eth_account.signers.local import LocalAccount  # noqa: E402
from eth_utils.crypto import keccak  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from client import Ledgerhouse  # noqa: E402
from client._encoding import commitment  # noqa: E402
from client._types import Role  # noqa: E402
from registry.db.session import make_engine, migrate, session_factory  # noqa: E402
from registry.indexer.runner import Indexer  # noqa: E402
from registry.services.profile import compute_profile  # noqa: E402
from scripts._bench_common import Devnet, devnet  # noqa: E402

MONTH_S = 30 * 86_400
CORE_ON_TIME = (0.98, 0.92, 0.70)  # each core's chance to pay a piece at maturity (else a month late)


@dataclass
class Member:
    name: str
    account: LocalAccount
    role: Role
    tier: int = 0  # 1 for tier-1 suppliers, 2 for tier-2/3
    risk: float = 0.0  # hidden: never written anywhere the profile reads
    admitted_month: int = 0
    buyer: str | None = None  # the core (tier 1) or tier-1 supplier (tier 2/3) it sells to
    bad_from: int | None = None
    lh: Ledgerhouse | None = None

    @property
    def address(self) -> str:
        return str(self.account.address)


@dataclass
class Pledge:
    voucher_id: int
    holder: Member
    bank: Member
    due_month: int


@dataclass
class Sim:
    net: Devnet
    rng: random.Random
    members: dict[str, Member] = field(default_factory=dict)
    pledges: list[Pledge] = field(default_factory=list)
    pieces_due: dict[int, list[tuple[Member, int]]] = field(default_factory=dict)  # month -> (core, piece)
    docs: int = 0
    txs: int = 0

    def sdk(self, m: Member) -> Ledgerhouse:
        if m.lh is None:
            m.lh = Ledgerhouse(self.net.w3, self.net.manifest, account=m.account)
        return m.lh

    def today(self, days: int = 0) -> Any:
        return (datetime.fromtimestamp(self.net.now(), UTC) + timedelta(days=days)).date()


def _account(label: str) -> LocalAccount:
    account: LocalAccount = Account.from_key(keccak(text=f"ledgerhouse-simulation:{label}"))
    return account


def build_members(sim: Sim, cores: int, tier1: int, tier2: int) -> None:
    rng = sim.rng
    for i in range(cores):
        sim.members[f"core{i}"] = Member(f"core{i}", _account(f"core{i}"), Role.CORE_ENTERPRISE)
    for i in range(2):
        sim.members[f"bank{i}"] = Member(f"bank{i}", _account(f"bank{i}"), Role.LENDER)
    core_names = [f"core{i}" for i in range(cores)]
    for i in range(tier1):
        admitted = rng.choice([0, 0, 0, 1, 2, 3, 4, 6, 8, 10])
        risk = min(1.0, rng.random() ** 2 + 0.25 * rng.random() * admitted / 10)
        sim.members[f"t1s{i}"] = Member(
            f"t1s{i}", _account(f"t1s{i}"), Role.SUPPLIER, 1, risk, admitted, rng.choice(core_names)
        )
    tier1_names = [f"t1s{i}" for i in range(tier1)]
    for i in range(tier2):
        admitted = rng.randint(0, 11)
        risk = min(1.0, rng.random() ** 2 + 0.35 * rng.random() * admitted / 11)
        sim.members[f"t2s{i}"] = Member(
            f"t2s{i}", _account(f"t2s{i}"), Role.SUPPLIER, 2, risk, admitted, rng.choice(tier1_names)
        )


def admit(sim: Sim, members: list[Member]) -> None:
    admin = sim.net.as_("admin")
    valid_until = sim.today(4 * 365)
    for m in members:
        sim.net.rpc("anvil_setBalance", [m.address, hex(10**21)])
        admin.participants.admit(m.address, m.role, name=m.name, valid_until=valid_until)
        sim.txs += 1


def month(sim: Sim, n: int, console: Console) -> None:
    rng = sim.rng
    ms = sim.members
    banks = [ms["bank0"], ms["bank1"]]
    # 1. Pledges due this month: released on time, late, or (a bad supplier) left unpaid.
    for p in list(sim.pledges):
        if p.due_month > n:
            continue
        holder = p.holder
        if holder.bad_from is not None and holder.bad_from <= n:
            continue  # never repaid: overdue on chain
        late = rng.random() < 0.6 * holder.risk
        if late and p.due_month == n:
            continue  # released next month, after the loan's maturity
        sim.sdk(p.bank).receivables.release_pledge(p.voucher_id)
        sim.txs += 1
        sim.pledges.remove(p)
    # 2. Cores pay the pieces maturing now (or a month late).
    for core, piece in sim.pieces_due.pop(n, []):
        idx = int(core.name.removeprefix("core"))
        if rng.random() > CORE_ON_TIME[idx % len(CORE_ON_TIME)]:
            sim.pieces_due.setdefault(n + 1, []).append((core, piece))
            continue
        view = sim.sdk(core).receivables.voucher(piece)
        if view.value and view.status.label in ("active", "pledged"):
            sim.sdk(core).receivables.settle(piece, f"PAY-{piece}")
            sim.txs += 1
    # 3. Going bad (months 13-24 only: the month-12 profile must not see it happen).
    if n >= 12:
        for m in ms.values():
            if m.role is Role.SUPPLIER and m.bad_from is None and rng.random() < 0.003 + 0.06 * m.risk**2:
                m.bad_from = n
    # 4. Trade: cores issue to tier-1, tier-1 pass parts to tier-2/3; some pieces are pledged.
    active = [m for m in ms.values() if m.role is Role.SUPPLIER and m.admitted_month <= n]
    new_pieces: list[tuple[Member, int, int]] = []  # (holder, piece, value in minor units)
    by_buyer: dict[str, list[Member]] = {}
    for m in active:
        if m.tier == 2 and m.buyer is not None:
            by_buyer.setdefault(m.buyer, []).append(m)
    for t1 in (m for m in active if m.tier == 1):
        if not _trades(t1, n, rng):
            continue
        core = ms[t1.buyer or "core0"]
        face = rng.randint(200, 800) * 1_000
        sim.docs += 1
        _, root = sim.sdk(core).receivables.issue(
            t1.address,
            amount=f"{face}.00",
            currency="CNY",
            maturity=sim.today(59),
            document=commitment(f"sim-invoice-{sim.docs}"),
            lender=banks[sim.docs % 2].address,
        )
        sim.txs += 1
        sim.pieces_due.setdefault(n + 2, []).append((core, root))
        remaining = face
        for t2 in by_buyer.get(t1.name, []):
            if remaining < 100_000 or not _trades(t2, n, rng):
                continue
            part = rng.randint(20, 60) * 1_000
            _, piece = sim.sdk(t1).receivables.split(root, t2.address, f"{part}.00")
            sim.txs += 1
            remaining -= part
            sim.pieces_due.setdefault(n + 2, []).append((core, piece))
            new_pieces.append((t2, piece, part * 100))
        new_pieces.append((t1, root, remaining * 100))
    for holder, piece, value in new_pieces:
        if rng.random() >= 0.45 or (holder.bad_from is not None and holder.bad_from <= n):
            continue
        bank = banks[rng.randrange(2)]
        amount = value * 7 // 10
        sim.sdk(holder).receivables.request_pledge(
            piece,
            bank.address,
            amount=f"{amount // 100}.{amount % 100:02d}",
            maturity=sim.today(29),
            loan_ref=f"SIM-LOAN-{piece}",
        )
        sim.sdk(bank).receivables.accept_pledge(piece)
        sim.txs += 2
        sim.pledges.append(Pledge(piece, holder, bank, n + 1))
    console.log(f"month {n + 1}: {sim.txs} transactions so far, {len(sim.pledges)} pledges open")


def _trades(m: Member, n: int, rng: random.Random) -> bool:
    if m.bad_from is not None and m.bad_from <= n:
        return False
    return rng.random() < 0.9 - 0.6 * m.risk


def auc(scores_bad: list[float], scores_good: list[float]) -> float:
    """P(a bad one ranks riskier than a good one), ties half: the Mann-Whitney statistic."""
    if not scores_bad or not scores_good:
        return float("nan")
    wins = 0.0
    for b in scores_bad:
        for g in scores_good:
            wins += 1.0 if b > g else 0.5 if b == g else 0.0
    return wins / (len(scores_bad) * len(scores_good))


def ks(scores_bad: list[float], scores_good: list[float]) -> float:
    """The largest gap between the two groups' cumulative distributions of the riskiness."""
    if not scores_bad or not scores_good:
        return float("nan")
    cuts = sorted(set(scores_bad) | set(scores_good))
    return max(
        abs(
            sum(s <= c for s in scores_bad) / len(scores_bad)
            - sum(s <= c for s in scores_good) / len(scores_good)
        )
        for c in cuts
    )


def profiles_at(
    sim: Sim, directory: Path, console: Console
) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    engine = make_engine(f"sqlite:///{directory / 'registry.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    indexer = Indexer(sim.net.w3, sim.net.manifest, sessions, reorg_window=64, chunk_blocks=2_000)
    indexer.ensure_cursor()
    started = time.perf_counter()
    events = indexer.catch_up()
    index_s = time.perf_counter() - started
    suppliers = [m for m in sim.members.values() if m.role is Role.SUPPLIER]
    found: dict[str, dict[str, Any]] = {}
    timings = []
    started = time.perf_counter()
    with sessions() as session:
        for m in suppliers:
            t0 = time.perf_counter()
            p = compute_profile(session, m.address)
            timings.append(time.perf_counter() - t0)
            found[m.name] = {
                "score": p.score.score,
                "grade": p.score.grade,
                "tenure": float(p.standing.tenure_months.value or 0),
                "points": {f.code: f.points for f in p.score.factors},
            }
    total = time.perf_counter() - started
    engine.dispose()
    timings.sort()
    console.log(f"indexed {events} events in {index_s:.1f} s; {len(found)} profiles in {total:.2f} s")
    return found, {
        "events": events,
        "index_s": index_s,
        "profiles": len(found),
        "all_profiles_s": total,
        "profile_p50_ms": 1000 * statistics.median(timings),
        "profile_p99_ms": 1000 * timings[min(len(timings) - 1, int(0.99 * len(timings)))],
    }


def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    rng = random.Random(args.seed)
    with (
        tempfile.TemporaryDirectory(prefix="ledgerhouse-sim-") as tmp,
        devnet(Path(tmp), block_time=0) as net,
    ):
        sim = Sim(net=net, rng=rng)
        build_members(sim, args.cores, args.tier1, args.tier2)
        started = time.perf_counter()
        admit(sim, [m for m in sim.members.values() if m.role is not Role.SUPPLIER])
        line_expiry = sim.today(4 * 365)
        for bank in (sim.members["bank0"], sim.members["bank1"]):
            for core in (m for m in sim.members.values() if m.role is Role.CORE_ENTERPRISE):
                sim.sdk(bank).receivables.set_credit_line(
                    core.address, limit="1000000000000.00", currency="CNY", expires=line_expiry
                )
        at_12: dict[str, dict[str, Any]] = {}
        timing: dict[str, float] = {}
        for n in range(args.months):
            admit(sim, [m for m in sim.members.values() if m.role is Role.SUPPLIER and m.admitted_month == n])
            month(sim, n, console)
            net.rpc("evm_increaseTime", [MONTH_S])
            net.rpc("evm_mine", [])
            if n == 11:
                at_12, timing = profiles_at(sim, Path(tmp), console)
        chain_s = time.perf_counter() - started
    evaluated = [m for m in sim.members.values() if m.role is Role.SUPPLIER and m.name in at_12]
    bad = [m for m in evaluated if m.bad_from is not None]
    good = [m for m in evaluated if m.bad_from is None]
    # Riskier = lower score / shorter tenure: rank by their negatives.
    score_auc = auc([-at_12[m.name]["score"] for m in bad], [-at_12[m.name]["score"] for m in good])
    score_ks = ks([-at_12[m.name]["score"] for m in bad], [-at_12[m.name]["score"] for m in good])
    tenure_auc = auc([-at_12[m.name]["tenure"] for m in bad], [-at_12[m.name]["tenure"] for m in good])
    tenure_ks = ks([-at_12[m.name]["tenure"] for m in bad], [-at_12[m.name]["tenure"] for m in good])
    return {
        "simulated": True,
        "seed": args.seed,
        "cores": args.cores,
        "tier1": args.tier1,
        "tier2_3": args.tier2,
        "months": args.months,
        "transactions": sim.txs,
        "chain_build_s": chain_s,
        "suppliers_evaluated": len(evaluated),
        "went_bad_months_13_24": len(bad),
        "score": {"auc": score_auc, "ks": score_ks},
        "tenure_only": {"auc": tenure_auc, "ks": tenure_ks},
        "profiles_at_month_12": timing,
        "suppliers": [
            {
                "name": m.name,
                "tier": m.tier,
                "hidden_risk": round(m.risk, 3),
                "admitted_month": m.admitted_month + 1,
                "went_bad_month": None if m.bad_from is None else m.bad_from + 1,
                **at_12[m.name],
            }
            for m in evaluated
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cores", type=int, default=3)
    parser.add_argument("--tier1", type=int, default=30)
    parser.add_argument("--tier2", type=int, default=300)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.months < 13:
        parser.error("--months must be at least 13: the score at month 12 is judged on what follows")
    console = Console(stderr=True)
    result = run(args, console)
    table = Table(title="credit score vs tenure-only baseline (SIMULATED data)")
    for column in ("ranker", "AUC", "KS"):
        table.add_column(column)
    for name in ("score", "tenure_only"):
        table.add_row(name, f"{result[name]['auc']:.3f}", f"{result[name]['ks']:.3f}")
    Console().print(table)
    t = result["profiles_at_month_12"]
    Console().print(
        f"{result['suppliers_evaluated']} suppliers profiled at month 12, "
        f"{result['went_bad_months_13_24']} went bad in months 13-{result['months']}; "
        f"{t['profiles']} profiles in {t['all_profiles_s']:.2f} s (p50 {t['profile_p50_ms']:.1f} ms, "
        f"p99 {t['profile_p99_ms']:.1f} ms) over {t['events']} indexed events; "
        f"{result['transactions']} transactions in {result['chain_build_s']:.0f} s. The data is simulated."
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
