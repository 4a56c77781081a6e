"""`ledgerhouse serve`: the registry service (indexer and API) on one chain.

The registry is an optional part of the package (`pip install ledgerhouse[server]`): it is imported
only when this command runs, so a bank can install the SDK without the server's dependencies.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer

from client.cli._context import cli, stderr
from client.errors import ConfigurationError


def serve_command(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="LEDGERHOUSE_REGISTRY_DB_URL",
            help="Database URL (default: SQLite in --data-dir; postgresql+psycopg://user@host/db at scale)",
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="HTTP port")] = 8000,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="SQLite database and document store")] = Path(
        ".registry"
    ),
    confirmations: Annotated[
        int, typer.Option("--confirmations", min=0, help="Blocks behind head to index (0 on QBFT)")
    ] = 0,
    stall_after: Annotated[
        float,
        typer.Option(
            "--stall-after",
            min=0,
            help="Seconds without a new block after which /health says the chain has stalled "
            "(0: never; e.g. 10 on a chain sealing every second)",
        ),
    ] = 0,
    index: Annotated[bool, typer.Option("--index/--no-index", help="Run the indexer in this process")] = True,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="API processes (one per core); the indexer then runs in the supervising process",
        ),
    ] = 1,
    log_level: Annotated[str, typer.Option("--log-level")] = "INFO",
) -> None:
    """Run the registry service: index the chain into the database and serve the REST API (/docs)."""
    if workers > 1:
        _share_metrics(data_dir)  # before prometheus_client is first imported, below
    try:
        from registry.main import serve
        from registry.settings import Settings
    except ImportError as exc:
        raise ConfigurationError(
            f"the registry service needs the server extras ({exc.name} is missing): "
            "pip install 'ledgerhouse[server]'"
        ) from None
    c = cli(ctx)
    settings = Settings(
        rpc_url=c.rpc,
        deployment=c.deployment,
        data_dir=data_dir,
        db_url=db,
        confirmations=confirmations,
        stall_after_s=stall_after,
        index=index,
        public_url=f"http://{host}:{port}",
    )
    processes = f" in {workers} API processes" if workers > 1 else ""
    stderr.print(
        f"registry on http://{host}:{port}{processes} (API docs at /docs), indexing {c.rpc}", highlight=False
    )
    serve(settings, host=host, port=port, workers=workers, log_level=log_level)


def _share_metrics(data_dir: Path) -> None:
    """Several processes answer /metrics: each writes its samples under one directory, which
    prometheus_client's multiprocess mode merges. A previous run's samples are not this run's."""
    directory = data_dir / "metrics"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory.resolve())
