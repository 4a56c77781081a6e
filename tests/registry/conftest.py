"""Registry fixtures: a fresh database per test, SQLite always and PostgreSQL where
LEDGERHOUSE_TEST_POSTGRES_URL names a reachable server; an indexer on the session chain."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from client.deployment import Manifest
from registry.db.session import make_engine, migrate, session_factory
from registry.indexer.runner import Indexer

POSTGRES_URL = os.environ.get("LEDGERHOUSE_TEST_POSTGRES_URL")


def _backends() -> list[pytest.param]:  # type: ignore[valid-type]
    postgres_skip = pytest.mark.skipif(
        not POSTGRES_URL, reason="set LEDGERHOUSE_TEST_POSTGRES_URL to run against PostgreSQL"
    )
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=postgres_skip),
    ]


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
    assert postgres_server is not None
    engine = create_engine(postgres_server)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
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
