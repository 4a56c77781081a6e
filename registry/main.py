"""The registry service: `create_app` builds the FastAPI app; its lifespan migrates the database,
connects to the chain and runs the indexer in a background thread beside the API."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from starlette.routing import Match

from client import Ledgerhouse
from client.chain import connect
from client.deployment import find_manifest
from registry import observability as obs
from registry.api import problems
from registry.api.deps import Registry
from registry.api.routes import auth, documents, health, lots, participants, receipts, risk, vouchers
from registry.db.session import make_engine, migrate, session_factory
from registry.explorer import router as explorer_router
from registry.indexer.runner import Indexer
from registry.services.documents import DocumentStore
from registry.services.signin import SignIn
from registry.settings import Settings

log = logging.getLogger(__name__)


def build_registry(settings: Settings) -> Registry:
    w3 = connect(settings.rpc_url)
    manifest = find_manifest(w3.eth.chain_id, settings.deployment)
    engine = make_engine(settings.database_url)
    migrate(engine)
    sessions = session_factory(engine)
    secret = (
        settings.session_secret.get_secret_value() if settings.session_secret else secrets.token_urlsafe(32)
    )
    indexer = Indexer(
        w3,
        manifest,
        sessions,
        confirmations=settings.confirmations,
        reorg_window=settings.reorg_window,
        chunk_blocks=settings.log_chunk_blocks,
    )
    indexer.ensure_cursor()
    return Registry(
        settings=settings,
        sessions=sessions,
        ledgerhouse=Ledgerhouse(w3, manifest),
        signin=SignIn(
            public_url=settings.public_url,
            chain_id=manifest.chain_id,
            secret=secret,
            session_ttl_s=settings.session_ttl_s,
        ),
        store=DocumentStore(settings.documents_dir),
        indexer=indexer,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = build_registry(settings)
        app.state.registry = state
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
    )
    problems.install(app)
    for module in (health, participants, receipts, lots, vouchers):
        app.include_router(module.router, responses=problems.COMMON_PROBLEMS)
    for module in (risk, auth):
        app.include_router(module.router, responses={**problems.COMMON_PROBLEMS, **problems.AUTH_PROBLEMS})
    app.include_router(
        documents.router,
        responses={**problems.COMMON_PROBLEMS, **problems.AUTH_PROBLEMS, **problems.TOO_LARGE},
    )
    app.include_router(explorer_router)  # read-only HTML pages, outside the OpenAPI schema

    @app.middleware("http")
    async def measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        obs.REQUEST_LATENCY.labels(
            request.method, _route_of(app, request), str(response.status_code)
        ).observe(time.perf_counter() - started)
        return response

    return app


def _route_of(app: FastAPI, request: Request) -> str:
    # The route template, not the path: /receipts/{receipt_id}, so metrics do not explode per id.
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match == Match.FULL:
            return str(getattr(route, "path", request.url.path))
    return "unmatched"
