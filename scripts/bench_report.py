"""`make bench`: runs every benchmark, each bounded in time, and writes one report —
bench/report.json and bench/report.md — with each figure beside its target and its baseline.

Absolute figures (gas, events/s, milliseconds) depend on the machine; ratios against a baseline
measured in the same run (an OpenZeppelin ERC-721, a naive indexer, sequential sends) are what
travel between machines, so the report keeps the two apart.

    .venv/bin/python scripts/bench_report.py [--quick] [--only startup,gas,indexer,...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench"


@dataclass
class Figure:
    benchmark: str
    name: str
    value: float
    unit: str
    target: str | None = None  # e.g. "≤ 100,000"
    met: bool | None = None
    baseline: str | None = None  # what the ratio compares against, measured in the same run
    ratio: float | None = None  # value / baseline value, when a baseline ran in the same run


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    args: tuple[str, ...]
    quick_args: tuple[str, ...]
    timeout_s: int
    figures: Callable[[Any], list[Figure]]


def _gas(data: Any) -> list[Figure]:
    out = []
    for row in data:
        target = row.get("target")
        baseline = row.get("baseline")
        out.append(
            Figure(
                "gas",
                row["operation"],
                row["gas"],
                "gas",
                f"≤ {target:,}" if target else None,
                None if target is None else row["gas"] <= target,
                "bare OZ ERC-721" if baseline else None,
                round(row["gas"] / baseline, 2) if baseline else None,
            )
        )
    return out


def _throughput(data: Any) -> list[Figure]:
    out = []
    for row in data["rows"]:
        # The baseline row is what the others are compared with; the target is for the SDK's ways.
        pipelined = not row.get("baseline", "sequential" in row["method"].lower())
        out.append(
            Figure(
                "throughput",
                row["method"],
                row["per_second"],
                "receipts/s",
                "≥ 800" if pipelined else None,
                row["per_second"] >= 800 if pipelined else None,
                "sequential sends",
                row["vs_sequential"],
            )
        )
    out.append(
        Figure("throughput", "stuck nonces", data["stuck_nonces"], "nonces", "= 0", data["stuck_nonces"] == 0)
    )
    return out


def _indexer(data: Any) -> list[Figure]:
    target = data["target_events_per_s"]
    naive = {n["database"]: n["events_per_s"] for n in data["naive_baseline"]}
    out = []
    for b in data["backfill"]:
        base = naive.get(b["database"])
        out.append(
            Figure(
                "indexer",
                f"backfill into {b['database']}",
                round(b["events_per_s"]),
                "events/s",
                f"≥ {target:,}",
                b["events_per_s"] >= target,
                "naive indexer (web3 decoding, one commit per event)" if base else None,
                round(b["events_per_s"] / base, 1) if base else None,
            )
        )
        fair = {n["database"]: n["events_per_s"] for n in data.get("fair_baseline", [])}.get(b["database"])
        if fair:
            out.append(
                Figure(
                    "indexer",
                    f"backfill into {b['database']}, against the fair baseline",
                    round(b["events_per_s"]),
                    "events/s",
                    None,
                    None,
                    "naive indexer (web3 decoding, one commit per chunk)",
                    round(b["events_per_s"] / fair, 1),
                )
            )
    for live in data["live"]:
        lag = live.get("lag_blocks", {})
        visible = live.get("block_to_visible_ms", {})
        if lag:
            out.append(Figure("indexer", f"live lag p99 ({live['database']})", lag.get("p99", 0), "blocks"))
        if visible:
            out.append(
                Figure(
                    "indexer", f"block to row visible p99 ({live['database']})", visible.get("p99", 0), "ms"
                )
            )
    for published in data["published_baselines"]:
        out.append(
            Figure(
                "indexer",
                f"published: {published['indexer']} (not measured here; "
                f"{published.get('source', 'no source')})",
                published["events_per_s"],
                "events/s",
            )
        )
    return out


def _api(data: Any) -> list[Figure]:
    target = data["target_p99_ms"]
    out: list[Figure] = []
    sizes = data.get("sizes", {})
    largest = max(sizes, key=int) if sizes else None
    for size, result in sizes.items():
        receipts = result["indexed"]["receipts"]
        tag = f"{receipts:,} receipts"
        for point in result["curve"]:
            rate = point["rate"]
            # The target is named at 200 req/s with 100,000 receipts; the other points are the curve.
            named = rate == 200 and receipts >= 100_000
            out.append(
                Figure(
                    "api",
                    f"{tag}: p99 at {rate:g} req/s",
                    point["p99"],
                    "ms",
                    f"≤ {target:g}" if named else None,
                    point["p99"] <= target if named else None,
                )
            )
            out.append(Figure("api", f"{tag}: p50 at {rate:g} req/s", point["p50"], "ms"))
            out.append(
                Figure(
                    "api",
                    f"{tag}: errors at {rate:g} req/s (non-2xx, except intended 404s)",
                    point["errors"],
                    "requests",
                    "= 0",
                    point["errors"] == 0,
                )
            )
            out.append(
                Figure(
                    "api",
                    f"{tag}: service CPU at {rate:g} req/s",
                    point["service_cpu_us_per_request"],
                    "µs/req",
                )
            )
            out.append(
                Figure(
                    "api",
                    f"{tag}: load generator CPU at {rate:g} req/s",
                    point["generator_cpu_share"],
                    "cores",
                )
            )
        for rate in result.get("skipped_rates", []):
            out.append(Figure("api", f"{tag}: {rate:g} req/s not run (past saturation)", 0, "-"))
        crossing = result["p99_crosses_target"]
        out.append(
            Figure(
                "api",
                f"{tag}: rate where p99 crosses {target:g} ms ({crossing['note']})",
                crossing["rate"] if crossing["rate"] is not None else 0,
                "req/s",
            )
        )
        if size == largest:
            for route, f in result["cpu_per_route"].items():
                single = route == "GET /receipts/{id}"
                out.append(
                    Figure(
                        "api",
                        f"{tag}: service CPU {route} (in-process)",
                        f["cpu_us"],
                        "µs/req",
                        "≤ 1,000" if single else None,
                        f["cpu_us"] <= 1_000 if single else None,
                    )
                )
        if "anvil_cpu_share_mining" in result:
            out.append(
                Figure(
                    "api",
                    f"{tag}: anvil CPU mining empty blocks (paused during the runs)",
                    result["anvil_cpu_share_mining"],
                    "cores",
                )
            )
    out.append(
        Figure(
            "api",
            "receipts indexed (largest size)",
            sizes[largest]["indexed"]["receipts"] if largest else 0,
            "receipts",
            "≥ 100,000",
            bool(largest) and sizes[largest]["indexed"]["receipts"] >= 100_000,
        )
    )
    return out


def _audit(data: Any) -> list[Figure]:
    return [
        Figure(
            "audit",
            f"{row['report']} ({row['through']}), worst",
            row["worst_s"],
            "s",
            f"≤ {row['target_s']:g}",
            row["worst_s"] <= row["target_s"],
        )
        for row in data["rows"]
    ] + [Figure("audit", "process start-up (ledgerhouse --help)", data["process_startup_s"], "s")]


def _startup(data: Any) -> list[Figure]:
    baseline = next(r for r in data["rows"] if r["target_s"] is None)
    return [
        Figure(
            "startup",
            f"{row['command']}, median",
            row["median_s"],
            "s",
            f"≤ {row['target_s']:g}",
            row["median_s"] <= row["target_s"],
            "python -c pass",
            row["ratio_to_bare_python"],
        )
        for row in data["rows"]
        if row is not baseline
    ]


def _valuation(data: Any) -> list[Figure]:
    out = [
        Figure(
            "valuation",
            f"{row['loans']:,} loans re-valued after a price move + first alerts page ({row['backend']})",
            row["total_s"],
            "s",
            f"≤ {row['target_s']:g} (PostgreSQL)",
            row["total_s"] <= row["target_s"] if row["backend"] == "postgresql" else None,
            "one ORM object per loan, flushed (extrapolated from a sample)",
            round(row["total_s"] / row["naive_s_extrapolated"], 4) if row["naive_s_extrapolated"] else None,
        )
        for row in data["registry"]
    ]
    out += [
        Figure(
            "valuation",
            f"{row['loans']:,} loans re-valued live, prior images journaled ({row['backend']})",
            row["revalue_journaled_s"],
            "s",
        )
        for row in data["registry"]
        if "revalue_journaled_s" in row
    ]
    out += [
        Figure(
            "valuation",
            row["operation"],
            row["gas"],
            "gas",
            f"≤ {row['target']:,}",
            row["gas"] <= row["target"],
        )
        for row in data["gas"]
    ]
    return out


def _profile(data: Any) -> list[Figure]:
    size = f"{data['pieces']:,} pieces, {data['receipts']:,} receipts, {data['backend']}"
    return [
        Figure(
            "profile",
            f"one credit profile p99 ({size})",
            data["profile_p99_ms"],
            "ms",
            "≤ 100",
            data["profile_p99_ms"] <= 100,
        ),
        Figure("profile", f"one credit profile p50 ({size})", data["profile_p50_ms"], "ms"),
        Figure(
            "profile",
            f"all {data['profiles']} supplier profiles ({size})",
            data["all_profiles_s"],
            "s",
            "≤ 60",
            data["all_profiles_s"] <= 60,
        ),
    ]


def _iot(data: Any) -> list[Figure]:
    verify_target = data["verify_target_per_s"]
    frozen_target = data["frozen_target_p99_s"]
    return [
        Figure(
            "iot",
            "readings verified by the gateway, in process",
            data["verify_in_process_per_s"],
            "readings/s",
            f"≥ {verify_target:,.0f}",
            data["verify_in_process_per_s"] >= verify_target,
        ),
        Figure(
            "iot",
            "readings verified through Mosquitto (QoS 1)",
            data["verify_via_broker_per_s"],
            "readings/s",
        ),
        Figure(
            "iot",
            f"goods moved → lot frozen, p50 ({data['block_time_s']} s blocks)",
            data["frozen_p50_s"],
            "s",
        ),
        Figure(
            "iot",
            f"goods moved → lot frozen, p99 ({data['block_time_s']} s blocks)",
            data["frozen_p99_s"],
            "s",
            f"≤ {frozen_target:g}",
            data["frozen_p99_s"] <= frozen_target,
        ),
    ]


def _credit_sim(data: Any) -> list[Figure]:
    """SIMULATED suppliers: the score's ranking of those that go bad, beside tenure alone."""
    scale = f"simulated: {data['suppliers_evaluated']} suppliers, {data['went_bad_months_13_24']} went bad"
    out = []
    for stat in ("auc", "ks"):
        value, base = data["score"][stat], data["tenure_only"][stat]
        out.append(
            Figure(
                "credit-sim",
                f"score {stat.upper()} at month 12 for going bad in months 13-24 ({scale})",
                round(value, 3),
                "",
                baseline=f"tenure only: {base:.3f}",
                ratio=round(value / base, 2) if base else None,
            )
        )
    t = data["profiles_at_month_12"]
    out.append(
        Figure("credit-sim", f"all {t['profiles']} profiles at month 12", round(t["all_profiles_s"], 2), "s")
    )
    return out


def _consortium(data: Any) -> list[Figure]:
    """The 4-node geth Clique network (scripts/bench_consortium.py), beside anvil's throughput above."""
    out = []
    share = data["target_share_of_ceiling"]
    for row in data["rows"]:
        ceiling = row["ceiling_receipts_per_s"]
        tag = f"{data['nodes']} geth signers, {row['method']}"
        out.append(
            Figure(
                "consortium",
                f"{tag}: confirmed receipts/s ({row['confirmation_latency_s']['confirmations']} blocks deep)",
                row["confirmed_receipts_per_s"],
                "receipts/s",
                f"≥ {share * ceiling:,.0f} ({share:.0%} of the block-gas ceiling)",
                row["confirmed_receipts_per_s"] >= share * ceiling,
                f"block-gas ceiling {ceiling:,.0f}/s",
                row["share_of_ceiling"],
            )
        )
        out.append(
            Figure(
                "consortium",
                f"{tag}: stuck nonces",
                row["stuck_nonces"],
                "nonces",
                "= 0",
                row["stuck_nonces"] == 0,
            )
        )
        for q in ("p50", "p99"):
            out.append(
                Figure(
                    "consortium",
                    f"{tag}: send to confirmation depth {q}",
                    row["confirmation_latency_s"][q],
                    "s",
                )
            )
        profile = row["profile"]
        if "machine_bound_receipts_per_s" in row:
            out.append(
                Figure(
                    "consortium",
                    f"{tag}: what this machine can execute (every node executes every block: cores x "
                    "import speed / nodes / gas per receipt)",
                    row["machine_bound_receipts_per_s"],
                    "receipts/s",
                )
            )
        out.append(
            Figure(
                "consortium",
                f"{tag}: geth block import speed (per node, blocks with transactions)",
                profile["import_mgas_per_s"],
                "Mgas/s",
            )
        )
        out.append(
            Figure(
                "consortium",
                f"{tag}: CPU, all geth nodes / this SDK process "
                f"(over {profile['wall_s']:g} s on {profile['machine_cores']} cores)",
                round(sum(profile["geth_cpu_s"].values()), 2),
                f"s / {profile['sdk_cpu_s']:g} s",
            )
        )
    fail = data["failover"]
    target = fail["target_p99_s"]
    out.append(
        Figure(
            "consortium",
            f"SDK failover, node killed to the pending transaction's receipt "
            f"via another node, p99 of {fail['trials']}",
            fail["to_receipt_s"]["p99"],
            "s",
            f"≤ {target:g}",
            fail["to_receipt_s"]["p99"] <= target,
        )
    )
    out.append(
        Figure(
            "consortium",
            "SDK failover, node killed to the next answer, p99",
            fail["first_answer_s"]["p99"],
            "s",
        )
    )
    return out


BENCHES = (
    Bench("startup", "bench_startup.py", ("--runs", "5"), ("--runs", "3"), 300, _startup),
    Bench("gas", "bench_gas.py", (), (), 900, _gas),
    Bench(
        "throughput",
        "bench_throughput.py",
        ("--receipts", "6000"),
        ("--receipts", "1500", "--csv-rows", "100"),
        600,
        _throughput,
    ),
    Bench(
        "indexer",
        "bench_indexer.py",
        (),
        ("--receipts", "1000", "--seconds", "5", "--no-postgres"),
        1200,
        _indexer,
    ),
    # The capacity curve at 10,000 and then 100,000 receipts (the second build adds to the first;
    # anvil keeps no past states, see _bench_common.devnet and bench_api.BLOCK_TIME_S), five rates of
    # 6 s each per size, driven by the compiled open-loop generator (make loadgen).
    Bench(
        "api",
        "bench_api.py",
        ("--sizes", "10000,100000", "--rates", "50,100,200,400,800", "--seconds", "6"),
        ("--sizes", "1000,2000", "--rates", "50,200,800", "--seconds", "3", "--cpu-requests", "30"),
        1800,
        _api,
    ),
    Bench("audit", "bench_audit.py", (), ("--lots", "200", "--split", "100"), 600, _audit),
    Bench(
        "valuation",
        "bench_valuation.py",
        (),
        ("--loans", "10000", "--naive-loans", "1000", "--no-postgres"),
        900,
        _valuation,
    ),
    Bench("profile", "bench_profile.py", (), ("--pieces", "5000", "--receipts", "5000"), 1800, _profile),
    # Simulated suppliers (hidden risk) on anvil through the SDK; the 3 cores, 30 tier-1 and
    # 300 tier-2/3 suppliers over 24 months.
    Bench(
        "credit-sim",
        "simulate_supply_chain.py",
        (),
        ("--tier1", "6", "--tier2", "30"),
        3600,
        _credit_sim,
    ),
    Bench("iot", "bench_iot.py", (), ("--readings", "5000", "--trials", "5"), 600, _iot),
    # Four geth Clique signers on this machine (`make geth`; the bench reports why when geth is absent).
    Bench(
        "consortium",
        "bench_consortium.py",
        ("--receipts", "3000", "--failovers", "10"),
        ("--receipts", "1000", "--failovers", "3"),
        900,
        _consortium,
    ),
)


def run_bench(bench: Bench, quick: bool) -> tuple[list[Figure], str | None]:
    raw = OUT / "raw" / f"{bench.name}.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.unlink(missing_ok=True)
    command = [
        sys.executable,
        str(ROOT / "scripts" / bench.script),
        *(bench.quick_args if quick else bench.args),
    ]
    command += ["--json", str(raw)]
    print(f"== {bench.name}: {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    try:
        done = subprocess.run(command, timeout=bench.timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return [], f"timed out after {bench.timeout_s} s"
    if not raw.is_file():
        return [], f"exit code {done.returncode}, no figures written"
    figures = bench.figures(json.loads(raw.read_text()))
    note = None if done.returncode == 0 else f"exit code {done.returncode} (a target missed)"
    print(f"   {len(figures)} figures in {time.monotonic() - started:.0f} s", flush=True)
    return figures, note


def markdown(figures: list[Figure], notes: dict[str, str]) -> str:
    lines = [
        "# Ledgerhouse benchmark report",
        "",
        "Absolute figures depend on the machine; the **ratio** column compares with a baseline measured",
        "in the same run and is the figure that travels between machines.",
        "",
    ]
    for bench in BENCHES:
        rows = [f for f in figures if f.benchmark == bench.name]
        lines += [f"## {bench.name}", ""]
        if bench.name in notes:
            lines += [f"_{notes[bench.name]}_", ""]
        if not rows:
            continue
        lines += [
            "| figure | value | unit | target | met | baseline (same run) | ratio |",
            "|---|---:|---|---|---|---|---:|",
        ]
        for f in rows:
            met = "" if f.met is None else ("yes" if f.met else "**no**")
            value = f"{f.value:,.0f}" if abs(f.value) >= 100 else f"{f.value:,.2f}"
            ratio = "" if f.ratio is None else f"{f.ratio:g}x"
            lines.append(
                f"| {f.name} | {value} | {f.unit} | {f.target or ''} | {met} | {f.baseline or ''} | {ratio} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="scaled-down runs (minutes), for a smoke check")
    parser.add_argument("--only", help="comma-separated subset: " + ",".join(b.name for b in BENCHES))
    args = parser.parse_args()
    chosen = [b for b in BENCHES if not args.only or b.name in args.only.split(",")]
    figures: list[Figure] = []
    notes: dict[str, str] = {}
    for bench in chosen:
        found, note = run_bench(bench, args.quick)
        figures += found
        if note:
            notes[bench.name] = note
    OUT.mkdir(exist_ok=True)
    report = {"quick": args.quick, "figures": [asdict(f) for f in figures], "notes": notes}
    (OUT / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    (OUT / "report.md").write_text(markdown(figures, notes))
    print(f"wrote {OUT / 'report.json'} and {OUT / 'report.md'}")
    missed = [f for f in figures if f.met is False]
    for f in missed:
        print(f"target missed: {f.benchmark} / {f.name}: {f.value:g} {f.unit} (target {f.target})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
