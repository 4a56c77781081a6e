"""The README's walkthroughs, as written, on `ledgerhouse devnet up --engine geth --nodes 4`: four
Clique signers, no anvil method, blocks every second, the registry indexing behind the head. The CLI
and the SDK are given every node (LEDGERHOUSE_RPC=URL,URL,URL,URL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_readme import devnet_up, run_walkthroughs


def test_every_walkthrough_runs_as_written_on_four_geth_signers(
    geth_binary: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERHOUSE_GETH", str(geth_binary))
    with devnet_up(tmp_path, "--engine", "geth", "--nodes", "4") as devnet:
        assert devnet.rpc.count(",") == 3
        run_walkthroughs(devnet)
