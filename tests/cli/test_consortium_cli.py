"""`ledgerhouse consortium init`: the kit on disk, and refusals as one line with nothing written."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from client.cli import main
from client.consortium import decode_qbft_extra_data
from tests.cli.helpers import fails, ok


def test_init_writes_a_kit_and_prints_no_private_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "kit"
    data = ok(
        capsys,
        "consortium",
        "init",
        "--engine",
        "besu-qbft",
        "--validators",
        "4",
        "--out",
        str(out),
        "--chain-id",
        "4242",
        "--block-period",
        "1",
        "--gas-limit",
        "60000000",
    )
    assert data["chain_id"] == 4242 and data["warnings"] == []
    genesis = json.loads((out / "genesis.json").read_text())
    assert genesis["config"]["chainId"] == 4242 and genesis["gasLimit"] == hex(60_000_000)
    assert genesis["config"]["qbft"]["blockperiodseconds"] == 1
    addresses = [v["address"] for v in data["validators"]]
    assert decode_qbft_extra_data(genesis["extraData"]) == addresses
    keys = [(out / f"node-{i}" / "data" / "key") for i in range(1, 5)]
    assert all(stat.S_IMODE(k.stat().st_mode) == 0o600 for k in keys)
    printed = json.dumps(data)
    assert not any(k.read_text() in printed for k in keys)
    # and the human output neither
    assert main(["consortium", "init", "--validators", "1", "--out", str(tmp_path / "one")]) == 0
    human, err = capsys.readouterr()
    assert (tmp_path / "one" / "node-1" / "data" / "key").read_text() not in human + err
    assert "warning: 1 validator(s) tolerate no faulty validator" in human


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--validators", "0"], "InvalidInput: --validators 0"),
        (["--validators", "26"], "InvalidInput: --validators 26"),
        (["--validators", "4", "--chain-id", "-5"], "InvalidInput: --chain-id -5"),
        (["--validators", "4", "--chain-id", "1"], "Ethereum Mainnet"),
        (["--validators", "4", "--engine", "geth"], "InvalidInput: --engine 'geth'"),
        (["--validators", "4", "--hosts", "bank.example"], "not an IPv4 address"),
        (["--validators", "four"], "UsageError"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    out = tmp_path / "kit"
    line = fails(capsys, "consortium", "init", "--out", str(out), *argv)
    assert message in line
    assert not out.exists()


def test_existing_non_empty_out_is_refused_and_left_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "kit"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    line = fails(capsys, "consortium", "init", "--validators", "4", "--out", str(out))
    assert line.startswith("InvalidInput: --out ") and "already exists and is not empty" in line
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    # an existing empty directory is fine
    empty = tmp_path / "empty"
    empty.mkdir()
    assert ok(capsys, "consortium", "init", "--validators", "4", "--out", str(empty))["out"] == str(empty)


def test_an_out_that_cannot_be_created_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    line = fails(capsys, "consortium", "init", "--validators", "4", "--out", str(blocker / "kit"))
    assert line.startswith(f"ConfigurationError: cannot write the kit to {blocker / 'kit'}")
    line = fails(capsys, "consortium", "init", "--validators", "4", "--out", str(blocker))
    assert line == f"InvalidInput: --out {blocker} is a file: a kit is written to a new or empty directory"
