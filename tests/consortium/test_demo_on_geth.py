"""`ledgerhouse demo --engine geth`: the whole narrated story on four geth Clique signers of its own.
A real chain's clock cannot be moved, so the voucher's settlement is shown refused before maturity
(VoucherNotMatured) where anvil's demo moves time and settles it; every other step is the same."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_tells_the_whole_story_on_four_geth_signers(geth_binary: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "client.cli", "demo", "--engine", "geth"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "LEDGERHOUSE_GETH": str(geth_binary)},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = " ".join(done.stdout.split())
    for refused in (
        "refused a second receipt on the same 300 t",
        "LotAlreadyReceipted",
        "refused a second pledge of receipt 1",
        "refused a receipt for unattested goods",
        "refused selling on a receipt of the frozen lot",
        "refused settling before maturity",
        "VoucherNotMatured",
    ):
        assert refused in out
    assert "StockShortfall names bank1 as the exposed lender" in out
    assert "All 10 steps behaved as told." in out


def test_demo_refuses_an_unknown_engine_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "client.cli", "demo", "--engine", "besu"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "ConfigurationError: --engine 'besu': pick one of anvil, geth"
