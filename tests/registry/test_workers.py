"""`ledgerhouse serve --workers N`: the supervising process runs the one indexer, N processes answer
the API on one port, a session signed in on one is honoured by all, /metrics merges them, and a
SIGTERM stops every process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from client import Ledgerhouse
from client.devnet import Anvil, dev_account, free_port
from client.registry_api import RegistryApi

pytestmark = pytest.mark.chain
WORKERS = 2


@pytest.fixture
def served(
    anvil: Anvil, manifest_dir: Path, db_url: str, tmp_path: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = {
        **os.environ,
        "LEDGERHOUSE_DEPLOYMENTS_DIR": str(manifest_dir),
        "LEDGERHOUSE_REGISTRY_POLL_INTERVAL_S": "0.05",
    }
    command = [sys.executable, "-m", "client.cli", "--rpc", anvil.rpc_url, "serve", "--db", db_url]
    command += [
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path),
        "--workers",
        str(WORKERS),
        "--log-level",
        "WARNING",
    ]
    service = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert service.poll() is None, (
            f"serve exited: {service.stderr.read().decode() if service.stderr else ''}"
        )
        assert time.monotonic() < deadline, "serve --workers did not answer /health within 60 s"
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    try:
        yield url, service
    finally:
        if service.poll() is None:  # the test failed before its SIGTERM: no worker may outlive it
            os.killpg(service.pid, signal.SIGKILL)
            service.wait(timeout=10)


def fresh_connection_get(url: str, token: str | None = None) -> requests.Response:
    """A GET on a new connection, so the kernel may hand it to any worker."""
    headers = {"Connection": "close"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(url, headers=headers, timeout=10)


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_share_the_index_the_sessions_and_the_metrics_and_stop_together(
    as_: Callable[[str], Ledgerhouse], served: tuple[str, subprocess.Popen[bytes]]
) -> None:
    url, service = served
    processes = descendants(service.pid)
    api_workers = [p for p in processes if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]
    assert len(api_workers) == WORKERS, processes

    # The indexer runs in the supervisor: a lot attested now appears in every worker's answers.
    warehouse = dev_account("warehouse1").address
    as_("inspector1").receipts.stocktake(
        warehouse, "WORKERS-LOT-1", commodity="CU-CATH", quantity="25", unit="t"
    )
    lot = "/lots/WORKERS-LOT-1"
    deadline = time.monotonic() + 30
    while fresh_connection_get(f"{url}{lot}").status_code == 404:
        assert time.monotonic() < deadline, "the supervisor's indexer did not follow the chain"
        time.sleep(0.05)
    assert [fresh_connection_get(f"{url}{lot}").status_code for _ in range(12)] == [200] * 12

    # A session signed in on one worker is honoured by all: without one shared secret, about half
    # of these fresh connections would land on a worker that answers 401.
    token = RegistryApi(url, account=dev_account("auditor1")).sign_in().token
    borrower = dev_account("supplier1").address
    statuses = [fresh_connection_get(f"{url}/exposure/{borrower}", token).status_code for _ in range(24)]
    assert statuses == [200] * 24, statuses

    # /metrics merges the processes: the indexer's block (supervisor) and every worker's requests.
    # A worker times a request once its response is sent, so the last sample may land a moment after
    # the client has its answer.
    deadline = time.monotonic() + 10
    while True:
        text = fresh_connection_get(f"{url}/metrics").text
        exposure_count = sum(
            float(line.split()[1])
            for line in text.splitlines()
            if line.startswith("ledgerhouse_http_request_seconds_count")
            and 'route="/exposure/{borrower}"' in line
        )
        if exposure_count >= 24 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert exposure_count == 24
    indexed = [line for line in text.splitlines() if line.startswith("ledgerhouse_indexer_block ")]
    assert indexed and float(indexed[0].split()[1]) > 0, indexed

    service.send_signal(signal.SIGTERM)
    assert service.wait(timeout=30) == 0
    time.sleep(0.5)
    assert not [p for p in processes if alive(p)], "processes left behind after SIGTERM"
