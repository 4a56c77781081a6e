"""The registry service: `create_app` builds the FastAPI app; its lifespan migrates the database,
connects to the chain and runs the indexer in a background thread beside the API."""

from __future__ import annotations

import gc
import html
import logging
import os
import secrets
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from client import Ledgerhouse
from client.chain import connect
from client.deployment import find_manifest
from registry import observability as obs
from registry.api import problems
from registry.api.deps import ServiceState
from registry.api.routes import (
    auth,
    documents,
    health,
    invoices,
    lots,
    participants,
    profiles,
    receipts,
    risk,
    valuation,
    vouchers,
)
from registry.db.session import make_engine, migrate, session_factory
from registry.explorer import router as explorer_router
from registry.explorer import valuation as valuation_pages
from registry.indexer.runner import Indexer
from registry.services.chain_head import ChainHead
from registry.services.documents import DocumentStore
from registry.services.signin import ChallengeThrottle, SignIn
from registry.settings import Settings

log = logging.getLogger(__name__)


def build_indexer(settings: Settings) -> Indexer:
    """The chain, its deployment, the migrated database and the indexer's cursor checked against them."""
    w3 = connect(settings.rpc_url)
    manifest = find_manifest(w3.eth.chain_id, settings.deployment)
    engine = make_engine(settings.database_url)
    migrate(engine)
    indexer = Indexer(
        w3,
        manifest,
        session_factory(engine),
        confirmations=settings.confirmations,
        reorg_window=settings.reorg_window,
        chunk_blocks=settings.log_chunk_blocks,
    )
    indexer.ensure_cursor()
    return indexer


def build_state(settings: Settings) -> ServiceState:
    indexer = build_indexer(settings)
    secret = (
        settings.session_secret.get_secret_value() if settings.session_secret else secrets.token_urlsafe(32)
    )
    manifest = indexer.manifest
    return ServiceState(
        settings=settings,
        sessions=indexer.sessions,
        ledgerhouse=Ledgerhouse(indexer.w3, manifest),
        signin=SignIn(
            public_url=settings.public_url,
            chain_id=manifest.chain_id,
            secret=secret,
            session_ttl_s=settings.session_ttl_s,
            throttle=ChallengeThrottle(
                per_address=settings.challenges_per_address, per_client=settings.challenges_per_client
            ),
        ),
        store=DocumentStore(settings.documents_dir),
        indexer=indexer,
        # /health's head: the indexer's own reading when it runs here (every poll), else the node's
        # answer shared for two polls; a node gone quiet shows within that time either way.
        chain_head=ChainHead(
            indexer.w3, indexer if settings.index else None, max_age_s=max(2 * settings.poll_interval_s, 0.2)
        ),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = build_state(settings)
        app.state.service = state
        # Everything made so far (ABIs, the ORM's mappings, the OpenAPI models) lives as long as the
        # process: frozen, the collector stops re-scanning it, and its full collections, which took up
        # to 200 ms with every request waiting, shrink to the requests' own garbage.
        gc.collect()
        gc.freeze()
        stop = threading.Event()
        worker = None
        if settings.index:
            worker = threading.Thread(
                target=state.indexer.run,
                args=(stop,),
                kwargs={"poll_interval": settings.poll_interval_s},
                name="ledgerhouse-indexer",
                daemon=True,
            )
            worker.start()
        log.info(
            "registry started",
            extra={
                "rpc": settings.rpc_url,
                "chain_id": state.ledgerhouse.chain_id,
                "indexing": settings.index,
            },
        )
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                worker.join(timeout=30)

    app = FastAPI(
        title="Ledgerhouse registry",
        version="0.1.0",
        description="Index of the Ledgerhouse chain: warehouse receipts, lots, liens, receivables and the "
        "documents behind their commitments. The chain is the source of truth; every answer here can be "
        "checked against it (`ledgerhouse audit`).",
        lifespan=lifespan,
        docs_url=None,  # served below from the swagger-ui-bundle package: /docs works offline
        redoc_url=None,  # ReDoc only loads from a CDN
    )
    install_offline_docs(app)
    problems.install(app)
    for module in (health, participants, lots):
        app.include_router(module.router, responses=problems.COMMON_PROBLEMS)
    for module in (receipts, vouchers):  # open, with an optional session (deps.viewer)
        app.include_router(module.router, responses={**problems.COMMON_PROBLEMS, **problems.SESSION_PROBLEMS})
    app.include_router(valuation.router, responses={**problems.COMMON_PROBLEMS, **problems.AUTH_PROBLEMS})
    for module in (risk, invoices, profiles):
        app.include_router(module.router, responses={**problems.COMMON_PROBLEMS, **problems.AUTH_PROBLEMS})
    app.include_router(
        auth.router, responses={**problems.COMMON_PROBLEMS, **problems.AUTH_PROBLEMS, **problems.TOO_MANY}
    )
    app.include_router(
        documents.router,
        responses={**problems.COMMON_PROBLEMS, **problems.AUTH_PROBLEMS, **problems.TOO_LARGE},
    )
    app.include_router(valuation_pages.router)  # before the explorer's catch-all
    app.include_router(explorer_router)  # read-only HTML pages, outside the OpenAPI schema

    app.add_middleware(RequestLatency)
    return app


def install_offline_docs(app: FastAPI) -> None:
    """Swagger UI at /docs with its JavaScript and CSS from the installed swagger-ui-bundle package
    (FastAPI's default page loads them from a CDN and is blank on a machine without internet)."""
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    title = html.escape(f"{app.title} — API")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<link rel="stylesheet" href="/docs-assets/swagger-ui.css">
<link rel="icon" href="/docs-assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs-assets/swagger-ui-bundle.js"></script>
<script>
SwaggerUIBundle({{
  url: "{app.openapi_url or "/openapi.json"}",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  persistAuthorization: true,
  presets: [SwaggerUIBundle.presets.apis],
}});
</script>
</body>
</html>
"""

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)


class RequestLatency:
    """Times every HTTP request into REQUEST_LATENCY, labelled by route template (/receipts/{receipt_id},
    so metrics do not explode per id). A plain ASGI middleware: Starlette's BaseHTTPMiddleware (what
    `@app.middleware` makes) costs a task and a memory stream per request, and the route was found by
    matching every route a second time; FastAPI leaves the matched route in the scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The histogram's child per (method, route, status), looked up once: `labels()` validates
        # and locks on every call.
        self._children: dict[tuple[str, str, int], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception that escaped every handler

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            elapsed = time.perf_counter() - started
            template = getattr(scope.get("route"), "path", None) or "unmatched"
            key = (scope["method"], template, status)
            child = self._children.get(key)
            if child is None:
                child = self._children[key] = obs.REQUEST_LATENCY.labels(key[0], template, str(status))
            child.observe(elapsed)


# ---------------------------------------------------------------- serving


def serve(settings: Settings, *, host: str, port: int, workers: int = 1, log_level: str = "INFO") -> None:
    """`ledgerhouse serve`. One worker: indexer and API in this process. More: this process runs
    the one indexer and supervises `workers` API processes on the same port (uvicorn); a Python
    process serves requests on one core at a time, and the indexer's writes no longer pause it."""
    obs.configure_logging(log_level.upper())
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)
        return
    # The workers must accept each other's sessions: one secret for all of them.
    secret = settings.session_secret or SecretStr(secrets.token_urlsafe(32))
    worker_settings = settings.model_copy(update={"index": False, "session_secret": secret})
    os.environ.update(settings_environment(worker_settings))
    os.environ["LEDGERHOUSE_REGISTRY_LOG_LEVEL"] = log_level.upper()
    indexer = build_indexer(settings) if settings.index else None
    stop = threading.Event()
    thread = None
    if indexer is not None:
        thread = threading.Thread(
            target=indexer.run,
            args=(stop,),
            kwargs={"poll_interval": settings.poll_interval_s},
            name="ledgerhouse-indexer",
            daemon=True,
        )
        thread.start()
    try:
        uvicorn.run(
            "registry.main:worker_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            access_log=False,
        )
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=30)


def worker_app() -> FastAPI:
    """An API worker of `serve --workers N`: its settings come from the environment the supervisor set."""
    obs.configure_logging(os.environ.get("LEDGERHOUSE_REGISTRY_LOG_LEVEL", "INFO"))
    return create_app(Settings())


def settings_environment(settings: Settings) -> dict[str, str]:
    """The LEDGERHOUSE_REGISTRY_* variables from which `Settings()` rebuilds these settings."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[f"LEDGERHOUSE_REGISTRY_{name.upper()}"] = str(value)
    return env
