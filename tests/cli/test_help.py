"""The CLI's first impression (issue 16 items 11, 13): `ledgerhouse` alone is help and success,
`--version`, help without `<bool>` placeholders or `{FILE}` braces, and a start-up that does not
load web3 until a command needs the chain."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import import_module

import pytest
import typer

from client.cli import COMMANDS, load_command, main


def test_ledgerhouse_alone_prints_help_and_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Usage: ledgerhouse") and err == ""
    assert all(name in out for name in COMMANDS)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert re.fullmatch(r"ledgerhouse \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


def _every_command() -> list[list[str]]:
    found: list[list[str]] = []
    for name in COMMANDS:
        command = load_command(name)
        found.append([name])
        for sub in getattr(command, "commands", {}):
            found.append([name, sub])
    return found


@pytest.mark.parametrize("argv", _every_command(), ids=" ".join)
def test_help_has_no_bool_placeholders_or_braces(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert main([*argv, "--help"]) == 0
    out = capsys.readouterr().out
    assert "<bool>" not in out
    usage = next(line for line in out.splitlines() if "Usage:" in line)
    assert "{" not in usage, usage


def test_the_root_help_lists_each_group_with_its_own_help() -> None:
    for name, (module, attribute, short) in COMMANDS.items():
        target = getattr(import_module(module), attribute)
        if isinstance(target, typer.Typer):
            assert target.info.help == short, name


def test_help_does_not_import_web3() -> None:
    """`ledgerhouse --help` must stay fast: web3 and eth_account load only for commands that need them."""
    probe = (
        "import sys; from client.cli import main; code = main(['--help']); "
        "print(sorted(m for m in ('web3', 'eth_account', 'eth_utils') if m in sys.modules), code)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[] 0"


def test_a_group_with_one_command_is_still_a_group(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devnet", "up", "--help"]) == 0
    assert "Usage: ledgerhouse devnet up" in capsys.readouterr().out
