"""CLI start-up: how long `ledgerhouse --help` and a read command take as fresh processes.

Targets (issue 16): `--help` ≤ 0.5 s, a read command (`ledgerhouse --json admin list` against a
devnet) ≤ 1.0 s. The baseline, measured in the same run, is a bare `python -c pass`: what any
Python command costs on this machine before it imports anything.

    .venv/bin/python scripts/bench_startup.py [--runs 5] [--json FILE]

Import profile: `python -X importtime -c "import client.cli"` (docs/startup-importtime.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELP_TARGET_S, READ_TARGET_S = 0.5, 1.0


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    began = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - began


def measure(argv: list[str], runs: int, env: dict[str, str] | None = None) -> list[float]:
    timed(argv, env)  # warm the file cache and the bytecode cache
    return [timed(argv, env) for _ in range(runs)]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from scripts._bench_common import devnet

    cli = [sys.executable, "-m", "client.cli"]
    rows: list[tuple[str, list[float], float | None]] = [
        ("python -c pass (baseline)", measure([sys.executable, "-c", "pass"], args.runs), None)
    ]
    rows.append(("ledgerhouse --help", measure([*cli, "--help"], args.runs), HELP_TARGET_S))
    with tempfile.TemporaryDirectory() as scratch, devnet(Path(scratch), block_time=1) as net:
        env = {**os.environ, "LEDGERHOUSE_DEPLOYMENTS_DIR": str(net.manifest_path.parent)}
        read = [*cli, "--rpc", net.node.rpc_url, "--json", "admin", "list"]
        rows.append(("ledgerhouse --json admin list (a read)", measure(read, args.runs, env), READ_TARGET_S))
    baseline = statistics.median(rows[0][1])
    met_all = True
    out = []
    print(f"{'command':<42} {'median s':>9} {'worst s':>8} {'target':>7}")
    for name, timings, target in rows:
        median, worst = statistics.median(timings), max(timings)
        met = None if target is None else median <= target
        met_all &= met is not False
        print(f"{name:<42} {median:9.3f} {worst:8.3f} {'' if target is None else f'≤ {target:g}':>7}")
        out.append(
            {
                "command": name,
                "median_s": round(median, 3),
                "worst_s": round(worst, 3),
                "target_s": target,
                "ratio_to_bare_python": round(median / baseline, 2),
            }
        )
    if args.json:
        args.json.write_text(json.dumps({"rows": out, "cpus": os.cpu_count()}, indent=2))
    return 0 if met_all else 1


if __name__ == "__main__":
    sys.exit(main())
