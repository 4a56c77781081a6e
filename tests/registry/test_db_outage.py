"""The registry's database away for 30 seconds while the chain moves on: the API says so (503
problem+json), the indexer keeps its cursor and retries, and once the database is back every event
of the outage is indexed, none twice.

PostgreSQL goes away behind a TCP proxy that resets every connection and refuses new ones; SQLite,
which has no server, is held under an exclusive write lock (a backup or a VACUUM doing the same)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from web3 import Web3

from client import Ledgerhouse
from client.deployment import Manifest
from client.devnet import Anvil
from registry.db.session import session_factory
from tests.conftest import skip_unless_ci
from tests.registry.conftest import RunningRegistry, running_registry, service_settings
from tests.registry.mirror import assert_mirrors_chain
from tests.registry.scenario import build_history
from tests.registry.tcp_proxy import TcpProxy

OUTAGE_S = 30.0
AsFactory = Callable[[str], Ledgerhouse]


def test_database_away_for_30_s_loses_no_event(
    w3: Web3,
    as_: AsFactory,
    anvil: Anvil,
    manifest: Manifest,
    manifest_dir: Path,
    db_url: str,
    tmp_path: Path,
) -> None:
    h = build_history(w3, as_)
    url = make_url(db_url)
    proxy: TcpProxy | None = None
    service_db = db_url
    if url.get_backend_name() == "postgresql":
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
        service_db = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    deployment = manifest_dir / f"{manifest.chain_id}.json"
    settings = service_settings(anvil.rpc_url, deployment, tmp_path / "registry", service_db)
    regulator = as_("regulator1").receipts
    with running_registry(settings) as base:
        service = RunningRegistry(url=base, settings=settings, w3=w3, history=h)
        service.wait_indexed()
        before = service.api().health()["events_indexed"]

        lock: sqlite3.Connection | None = None
        if proxy is not None:
            proxy.stop()
        else:
            assert url.database is not None
            lock = sqlite3.connect(url.database, timeout=30, check_same_thread=False)
            lock.execute("BEGIN EXCLUSIVE")
        went_away = time.monotonic()

        # The chain moves on while the database is away: 6 events in 6 blocks.
        for n in range(3):
            regulator.freeze(h.receipts["steel"], f"order {n}")
            regulator.unfreeze(h.receipts["steel"], f"lifted {n}")
        head = w3.eth.block_number

        if proxy is not None:
            answer = requests.get(f"{base}/receipts/{h.receipts['steel']}", timeout=30)
            assert answer.status_code == 503
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["type"].endswith("database-unavailable")
        else:
            # WAL readers are not blocked by a writer's lock: the API answers from what it holds.
            answer = requests.get(f"{base}/receipts/{h.receipts['steel']}", timeout=30)
            assert answer.status_code == 200

        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - went_away)))
        assert time.monotonic() - went_away >= OUTAGE_S
        if proxy is not None:
            proxy.start()
        else:
            assert lock is not None
            lock.rollback()
            lock.close()

        service.wait_indexed(head, timeout=60)
        assert service.api().health()["events_indexed"] == before + 6
        sessions = session_factory(create_engine(db_url))
        assert_mirrors_chain(w3, sessions, as_("auditor1"))
    if proxy is not None:
        proxy.stop()


def test_the_proxy_really_cuts_the_database(postgres_server: str | None) -> None:
    """Guards the test above: with the proxy stopped, a connection through it fails at once."""
    if postgres_server is None:
        skip_unless_ci("LEDGERHOUSE_TEST_POSTGRES_URL is not set (.ci/run sets it up)")
    assert postgres_server is not None  # skip_unless_ci fails under CI instead of skipping
    url = make_url(postgres_server)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = create_engine(through, pool_pre_ping=True)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    proxy.stop()
    with pytest.raises(OperationalError), engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    engine.dispose()
