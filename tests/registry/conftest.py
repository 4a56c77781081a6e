"""Registry fixtures: a fresh database per test, SQLite always and PostgreSQL where
LEDGERHOUSE_TEST_POSTGRES_URL names a reachable server; an indexer on the session chain."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from client import Ledgerhouse
from client.chain import connect
from client.deployment import Manifest
from client.devnet import Anvil, dev_account, dev_labels
from client.registry_api import RegistryApi, RegistryRequestFailed
from registry.db.session import make_engine, migrate, session_factory
from registry.indexer.runner import Indexer
from registry.main import create_app
from registry.settings import Settings
from tests.conftest import skip_unless_ci
from tests.registry.scenario import History, build_history

POSTGRES_URL = os.environ.get("LEDGERHOUSE_TEST_POSTGRES_URL")


def _backends() -> list[pytest.param]:  # type: ignore[valid-type]
    return [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql")]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    """A database of this test session's own on the PostgreSQL server, dropped at the end."""
    if not POSTGRES_URL:
        yield None
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"ledgerhouse_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_server: str | None) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    if postgres_server is None:
        skip_unless_ci("LEDGERHOUSE_TEST_POSTGRES_URL is not set (.ci/run sets it up)")
    assert postgres_server is not None
    _reset_postgres(postgres_server)
    yield postgres_server


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def indexer(w3: Web3, manifest: Manifest, sessions: sessionmaker[Session]) -> Indexer:
    indexer = Indexer(w3, manifest, sessions, reorg_window=64, chunk_blocks=50)
    indexer.ensure_cursor()
    return indexer


# ---------------------------------------------------------------- a running registry service


@dataclass
class RunningRegistry:
    url: str
    settings: Settings
    w3: Web3
    history: History

    def api(self, name: str | None = None) -> RegistryApi:
        return RegistryApi(self.url, account=dev_account(name) if name else None)

    def signed_in(self, name: str) -> RegistryApi:
        api = self.api(name)
        api.sign_in()
        return api

    def wait_indexed(self, block: int | None = None, timeout: float = 30.0) -> None:
        target = self.w3.eth.block_number if block is None else block
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                indexed = self.api().health()["indexed_block"]
            except RegistryRequestFailed as exc:
                # /health shares one head reading for up to a poll: a node that just came back is
                # reported unreachable until the next reading. Wait for it; any other answer fails.
                if exc.status != 503:
                    raise
                indexed = -1
            if indexed >= target:
                return
            time.sleep(0.05)
        raise AssertionError(f"the registry did not index up to block {target} in {timeout} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_settings(rpc_url: str, deployment: Path, data_dir: Path, db_url: str | None) -> Settings:
    """The registry as the tests run it: polling the chain every 50 ms, on a free loopback port,
    challenges unthrottled for practical purposes."""
    return Settings(
        rpc_url=rpc_url,
        deployment=deployment,
        data_dir=data_dir,
        db_url=db_url,
        poll_interval_s=0.05,
        public_url=f"http://127.0.0.1:{_free_port()}",
        # Every suite signs in from loopback, the fuzzer hundreds of times: the throttle is tested
        # on a registry of its own (test_registry_holes.py).
        challenges_per_address=100_000,
        challenges_per_client=1_000_000,
    )


@contextmanager
def running_registry(settings: Settings) -> Iterator[str]:
    """uvicorn on a loopback port in a thread: real HTTP, the real app, stopped at exit."""
    port = int(settings.public_url.rsplit(":", 1)[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the registry service did not start")
        time.sleep(0.02)
    try:
        yield settings.public_url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module", params=_backends())
def registry_service(
    request: pytest.FixtureRequest,
    anvil: Anvil,
    manifest: Manifest,
    manifest_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: str | None,
) -> Iterator[RunningRegistry]:
    """The scripted history on the chain (rolled back after the module) and a registry indexing it."""
    w3 = connect(anvil.rpc_url)
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]

    def as_(name: str) -> Ledgerhouse:
        return Ledgerhouse(w3, manifest, account=dev_account(name), labels=dev_labels())

    history = build_history(w3, as_)
    data_dir = tmp_path_factory.mktemp("registry")
    db = None
    if request.param == "postgresql":
        if postgres_server is None:
            w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
            skip_unless_ci("LEDGERHOUSE_TEST_POSTGRES_URL is not set (.ci/run sets it up)")
        assert postgres_server is not None
        _reset_postgres(postgres_server)
        db = postgres_server
    settings = service_settings(anvil.rpc_url, manifest_dir / f"{manifest.chain_id}.json", data_dir, db)
    with running_registry(settings) as url:
        service = RunningRegistry(url=url, settings=settings, w3=w3, history=history)
        service.wait_indexed()
        yield service
    reverted = w3.provider.make_request("evm_revert", [snapshot])["result"]  # type: ignore[arg-type]
    assert reverted


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
