"""`ledgerhouse devnet up --engine geth --nodes 4` as a real process: four geth signers come up, the
contracts are deployed, the dev participants admitted and the seed written; SIGTERM stops every node."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from client.devnet import free_port

LEDGERHOUSE = [sys.executable, "-m", "client.cli"]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_devnet_up_geth_deploys_admits_seeds_and_sigterm_stops_every_node(
    geth_binary: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGERHOUSE_DEPLOYMENTS_DIR", raising=False)
    monkeypatch.setenv("LEDGERHOUSE_GETH", str(geth_binary))
    port = free_port()
    ports = [port + i for i in range(4)]
    devnet = subprocess.Popen(
        [
            *LEDGERHOUSE,
            "--json",
            "devnet",
            "up",
            "--engine",
            "geth",
            "--nodes",
            "4",
            "--port",
            str(port),
            "--no-registry",
            "--deployments",
            str(tmp_path / "deployments"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert devnet.stdout is not None
        line = devnet.stdout.readline()  # the announcement: after deploy, admission and seed
        assert line, f"devnet exited early: {devnet.communicate()[1][-3000:]}"
        ready = json.loads(line)
        assert ready["engine"] == "geth"
        assert ready["rpc_urls"] == [f"http://127.0.0.1:{p}" for p in ports]
        # Any node serves the deployment: read the members and the seeded pledge through the last one.
        listed = subprocess.run(
            [*LEDGERHOUSE, "--rpc", ready["rpc_urls"][3], "--json", "admin", "list"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert len(json.loads(listed.stdout)["members"]) == 12
        receipt = subprocess.run(
            [*LEDGERHOUSE, "--rpc", ready["rpc_urls"][2], "--json", "receipt", "show", "1"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert json.loads(receipt.stdout)["receipt"]["pledge_locked"] is True
        # A node lost is a node lost, not the end of the network: kill -9 the last one.
        last = subprocess.run(
            [shutil.which("pgrep") or "pgrep", "-f", f"http.port {ports[3]} "],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert len(last) == 1
        os.kill(int(last[0]), signal.SIGKILL)
        time.sleep(3)
        assert devnet.poll() is None, "the devnet stopped when one of its four nodes died"
        listed = subprocess.run(
            [
                *LEDGERHOUSE,
                "--rpc",
                f"{ready['rpc_urls'][3]},{ready['rpc_urls'][1]}",
                "--json",
                "admin",
                "list",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert len(json.loads(listed.stdout)["members"]) == 12
        devnet.send_signal(signal.SIGTERM)
        _, err = devnet.communicate(timeout=30)
    finally:
        if devnet.poll() is None:
            devnet.kill()
            devnet.wait()
    assert devnet.returncode == 0, err[-3000:]
    assert "stopping devnet" in err
    assert not any(_port_open(p) for p in ports), "a geth node outlived the devnet"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--engine", "besu"], "--engine 'besu': pick one of anvil, geth"),
        (["--engine", "geth", "--state", "s.json"], "--state keeps an anvil chain"),
        (["--engine", "geth", "--nodes", "0"], "--nodes 0: a geth devnet has 1 to 16 signer nodes"),
    ],
)
def test_devnet_up_refuses_a_bad_engine_choice_in_one_line(
    argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    done = subprocess.run(
        [*LEDGERHOUSE, "devnet", "up", "--port", str(free_port()), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
