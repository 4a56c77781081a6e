"""`ledgerhouse serve`: the registry service (indexer and API) on one chain.

The registry is an optional part of the package (`pip install ledgerhouse[server]`): it is imported
only when this command runs, so a bank can install the SDK without the server's dependencies.
"""

from __future__ import annotations

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
    index: Annotated[bool, typer.Option("--index/--no-index", help="Run the indexer in this process")] = True,
    log_level: Annotated[str, typer.Option("--log-level")] = "INFO",
) -> None:
    """Run the registry service: index the chain into the database and serve the REST API (/docs)."""
    try:
        import uvicorn

        from registry.main import create_app
        from registry.observability import configure_logging
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
        index=index,
        public_url=f"http://{host}:{port}",
    )
    configure_logging(log_level.upper())
    stderr.print(f"registry on http://{host}:{port} (API docs at /docs), indexing {c.rpc}", highlight=False)
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)
