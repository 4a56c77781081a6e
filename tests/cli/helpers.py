"""Calling the CLI in-process the way a user's shell would, and checking the one-line contract."""

from __future__ import annotations

import json
from typing import Any

import pytest

from client.cli import main
from client.devnet import dev_account


def addr(name: str) -> str:
    return dev_account(name).address


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    """Runs `ledgerhouse --json ARGV`, expects success and returns the JSON object it printed."""
    code = main(["--json", *argv])
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    return dict(json.loads(out))


def fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Runs `ledgerhouse ARGV`, expects exit 1 with exactly one line on stderr, and returns it."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 1 and out == "", (code, out)
    assert err.count("\n") == 1, err
    return err.strip()
