"""`ledgerhouse demo` is the smoke test of the whole story; its checks must be able to fail."""

from __future__ import annotations

import subprocess
import sys

import pytest
from rich.console import Console

from client.demo import StepFailed, Story


def test_demo_runs_the_whole_story_and_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "client.cli", "demo"], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = " ".join(done.stdout.split())
    for refused in (
        "refused a second receipt on the same 300 t",
        "LotAlreadyReceipted",
        "refused another warehouse receipting the same lot",
        "refused a second pledge of receipt 1",
        "ReceiptPledged",
        "refused a receipt for unattested goods",
        "LotNotAttested",
        "refused selling on a receipt of the frozen lot",
    ):
        assert refused in out
    assert "StockShortfall names bank1 as the exposed lender" in out
    assert "All 10 steps behaved as told." in out


def test_a_step_that_does_not_behave_as_told_fails_the_demo() -> None:
    story = Story(Console(file=open("/dev/null", "w")), lambda name: None)  # type: ignore[arg-type,return-value]  # noqa: SIM115
    with pytest.raises(StepFailed, match="the chain accepted it"):
        story.refused(lambda: None, ValueError, "a fraud")
    with pytest.raises(StepFailed, match="ledger closes"):
        story.expect(False, "ledger closes")
