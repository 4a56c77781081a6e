"""Faults the registry must survive without losing or repeating a record: the service killed with
SIGKILL mid-backfill, again and again, and the chain node stopped and restarted from its state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from client import Ledgerhouse
from client.chain import Signer, connect
from client.deployment import Manifest, deploy, write_manifest
from client.devnet import Anvil, admit_dev_participants, dev_account, dev_labels, free_port
from registry.db.models import IndexerCursor
from registry.db.session import make_engine, migrate, session_factory
from tests.registry.conftest import RunningRegistry, running_registry, service_settings
from tests.registry.mirror import assert_mirrors_chain
from tests.registry.scenario import build_history

AsFactory = Callable[[str], Ledgerhouse]
KILLS = 5


def cursor_block(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        cursor = session.scalar(select(IndexerCursor))
        return cursor.block_number if cursor else -1


def start_service(anvil: Anvil, manifest_dir: Path, db_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LEDGERHOUSE_DEPLOYMENTS_DIR": str(manifest_dir),
        # One block per transaction, so the backfill is many small commits a kill can fall between.
        "LEDGERHOUSE_REGISTRY_LOG_CHUNK_BLOCKS": "1",
        "LEDGERHOUSE_REGISTRY_POLL_INTERVAL_S": "0.05",
    }
    command = [sys.executable, "-m", "client.cli", "--rpc", anvil.rpc_url, "serve", "--db", db_url]
    command += ["--port", str(free_port()), "--data-dir", str(data_dir), "--log-level", "WARNING"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_sigkill_mid_backfill_loses_and_repeats_nothing(
    w3: Web3, as_: AsFactory, anvil: Anvil, manifest_dir: Path, db_url: str, tmp_path: Path
) -> None:
    h = build_history(w3, as_)
    regulator = as_("regulator1").receipts
    for n in range(25):  # 50 more blocks with events
        regulator.freeze(h.receipts["steel"], f"order {n}")
        regulator.unfreeze(h.receipts["steel"], f"lifted {n}")
    head = w3.eth.block_number
    engine = make_engine(db_url)
    migrate(engine)
    sessions = session_factory(engine)
    kills_at: list[int] = []
    for _ in range(KILLS):
        before = cursor_block(sessions)
        service = start_service(anvil, manifest_dir, db_url, tmp_path)
        deadline = time.monotonic() + 60
        while cursor_block(sessions) < before + 3:
            assert service.poll() is None, "the service exited on its own"
            assert time.monotonic() < deadline, "the service made no progress"
            time.sleep(0.002)
        service.send_signal(signal.SIGKILL)
        service.wait(timeout=10)
        kills_at.append(cursor_block(sessions))
    assert kills_at == sorted(kills_at) and kills_at[-1] < head, (
        f"every kill must land mid-backfill: {kills_at}"
    )
    service = start_service(anvil, manifest_dir, db_url, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while cursor_block(sessions) < head:
            assert time.monotonic() < deadline, "the restarted service did not catch up"
            time.sleep(0.05)
    finally:
        service.terminate()
        service.wait(timeout=30)
    assert_mirrors_chain(w3, sessions, as_("auditor1"))
    engine.dispose()


def test_registry_keeps_indexing_across_a_node_restart_from_saved_state(tmp_path: Path, db_url: str) -> None:
    state, port = tmp_path / "chain-state.json", free_port()
    deployments = tmp_path / "deployments"
    node = Anvil(port=port, state=state, log_file=tmp_path / "anvil.log").start()
    try:
        w3 = connect(node.rpc_url)
        manifest: Manifest = deploy(Signer(w3, dev_account("admin"), dev_labels()))
        write_manifest(manifest, deployments)
        admit_dev_participants(Ledgerhouse(w3, manifest, account=dev_account("admin"), labels=dev_labels()))

        def as_(name: str) -> Ledgerhouse:
            return Ledgerhouse(
                connect(node.rpc_url), manifest, account=dev_account(name), labels=dev_labels()
            )

        h = build_history(w3, as_)
        deployment = deployments / f"{manifest.chain_id}.json"
        settings = service_settings(node.rpc_url, deployment, tmp_path / "registry", db_url)
        with running_registry(settings) as url:
            service = RunningRegistry(url=url, settings=settings, w3=w3, history=h)
            service.wait_indexed()
            node.stop()
            time.sleep(0.5)
            # The API still answers, and says the chain is away.
            health = requests.get(url + "/health", timeout=10)
            assert (health.status_code, health.json()["status"]) == (503, "chain-unreachable")
            node = Anvil(port=port, state=state, log_file=tmp_path / "anvil-2.log").start()
            w3 = connect(node.rpc_url)
            service.w3 = w3
            as_("bank1").receipts.release_pledge(h.receipts["steel"])
            service.wait_indexed(timeout=60)
            sessions = session_factory(create_engine(settings.database_url))
            assert_mirrors_chain(w3, sessions, as_("auditor1"))
    finally:
        node.stop()
