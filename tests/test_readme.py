"""The README's walkthroughs, run as written (in order) against a fresh seeded devnet, so they never rot.

Blocks fenced as ```sh test or ```python test are run; a shell line ending in `# ✗` must be
refused: exit code 1 with one line on stderr (`# ✗ ErrorName`: a line starting `ErrorName: `).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from client.devnet import free_port

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```(sh|python) test\n(.*?)^```", re.S | re.M)
REFUSED = "# ✗"
REFUSED_LINE = re.compile(r"# ✗(?: (\w+))?$")  # refused on purpose, optionally naming the error


@dataclass
class Devnet:
    rpc: str
    registry: str
    mqtt: str
    cwd: Path
    env: dict[str, str]


def walkthrough_blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(README.read_text())]


@contextmanager
def devnet_up(cwd: Path, *options: str) -> Iterator[Devnet]:
    """`ledgerhouse devnet up OPTIONS` as a process in `cwd` (seeded, with its registry), stopped by
    Ctrl-C at the end; the CLI's environment points at every node it runs."""
    port, registry_port = free_port(), free_port()
    while port <= registry_port < port + 16:  # a network of nodes serves on --port, --port+1, ...
        registry_port = free_port()
    command = [sys.executable, "-m", "client.cli", "--json", "devnet", "up", "--port", str(port)]
    command += ["--registry-port", str(registry_port), "--deployments", "deployments"]
    command += ["--registry-data", "registry", *options]
    command += ["--iot", "--mqtt-port", str(free_port())]  # the IoT walkthrough's broker
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise AssertionError(f"devnet did not start: {process.communicate()[1][-2000:]}")
    ready = json.loads(line)
    rpc = ",".join(ready.get("rpc_urls") or [ready["rpc_url"]])
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "LEDGERHOUSE_RPC": rpc,
        "LEDGERHOUSE_DEPLOYMENTS_DIR": str(cwd / "deployments"),
        "PYTHONPATH": str(README.parent),
    }
    env.pop("LEDGERHOUSE_PRIVATE_KEY", None)
    try:
        yield Devnet(rpc=rpc, registry=ready["registry_url"], mqtt=ready["mqtt_url"], cwd=cwd, env=env)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired as exc:
            process.kill()
            _, err = process.communicate()
            raise AssertionError(
                f"devnet did not stop within 60 s of Ctrl-C; its last words: {err[-3000:]}"
            ) from exc


@pytest.fixture(scope="module")
def seeded_devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    # Instant mining: the walkthroughs send one transaction at a time, so nothing is left stranded.
    with devnet_up(tmp_path_factory.mktemp("readme"), "--block-time", "0") as devnet:
        yield devnet


def as_script(code: str, devnet: Devnet) -> str:
    code = code.replace("http://127.0.0.1:8545", devnet.rpc).replace("http://127.0.0.1:8000", devnet.registry)
    code = code.replace("mqtt://127.0.0.1:1883", devnet.mqtt)
    lines = ["set -euo pipefail"]
    for line in code.splitlines():
        if line.strip() == "source .venv/bin/activate":
            continue  # the test's PATH already has the venv
        refused = REFUSED_LINE.search(line.rstrip())
        if refused:
            command = line.rstrip()[: refused.start()].rstrip()
            lines.append(
                f"if {command} 2>refused.txt; then echo 'not refused: {command[:60]}' >&2; exit 1; fi"
            )
            lines.append('test "$(wc -l < refused.txt)" -eq 1 || { cat refused.txt >&2; exit 1; }')
            if refused.group(1):  # `# ✗ LotAlreadyReceipted`: the README names the error it prints
                name = refused.group(1)
                lines.append(
                    f"grep -q '^{name}: ' refused.txt || {{ echo 'not {name}:' >&2; cat refused.txt >&2; exit 1; }}"
                )
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_the_readme_has_walkthroughs_for_every_role() -> None:
    text = "\n".join(code for _, code in walkthrough_blocks())
    assert len(walkthrough_blocks()) >= 5
    for needle in (
        "warehouse mint-batch",
        "receipts.check(",
        "audit receipt",
        "receivable split",
        "admin suspend",
    ):
        assert needle in text


def run_walkthroughs(devnet: Devnet) -> None:
    """Runs every README walkthrough block in order against `devnet`; fails naming the first that fails."""
    for number, (language, code) in enumerate(walkthrough_blocks(), start=1):
        if language == "sh":
            argv = ["/bin/bash", "-c", as_script(code, devnet)]
        else:
            code = code.replace("http://127.0.0.1:8545", devnet.rpc)
            argv = [sys.executable, "-c", code.replace("http://127.0.0.1:8000", devnet.registry)]
        done = subprocess.run(
            argv, cwd=devnet.cwd, env=devnet.env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, (
            f"README block {number} ({language}) failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )


def test_every_walkthrough_runs_as_written(seeded_devnet: Devnet) -> None:
    run_walkthroughs(seeded_devnet)
