"""Liveness with indexer lag, and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.orm import Session

from client.models import HealthOut
from registry.api.deps import db, service_state
from registry.db.models import IndexerCursor
from registry.observability import exposition

router = APIRouter(tags=["operations"])


@router.get("/health", operation_id="health", response_model=HealthOut)
async def health(request: Request, response: Response, session: Annotated[Session, Depends(db)]) -> HealthOut:
    """The service, its database and how many blocks the index lags behind the chain head."""
    state = service_state(request)
    # The cursor read is the database check. The head is the indexer's latest reading (or one shared
    # for a poll or two), not a JSON-RPC call per request: that call was most of this route's cost.
    cursor = session.get(IndexerCursor, 1)
    indexed = cursor.block_number if cursor else -1
    fresh, head = state.chain_head.cached()
    if not fresh:
        head = await run_in_threadpool(state.chain_head.read)
    lag = None if head is None else max(0, head - indexed)
    status = "ok" if head is not None else "chain-unreachable"
    detail = None
    if head is None:
        response.status_code = 503
    else:
        # A halted chain is not an unhealthy registry: it answers for the last block there is (200),
        # and says plainly that no block has come, so an operator looks at the validators.
        quiet = state.chain_head.unchanged_for()
        stall_after = state.settings.stall_after_s
        if stall_after and quiet is not None and quiet >= stall_after:
            status = "chain-stalled"
            detail = (
                f"no new block for {quiet:.0f} s (head #{head}): the chain has stopped sealing (a "
                "proof-of-authority chain halts while half or more of its validators are down); the "
                "registry answers for block "
                f"{indexed} and resumes indexing when blocks come again"
            )
    return HealthOut(
        status=status,
        chain_id=state.ledgerhouse.chain_id,
        chain_head=head,
        indexed_block=indexed,
        lag_blocks=lag,
        events_indexed=cursor.events_indexed if cursor else 0,
        database="ok",
        detail=detail,
    )


@router.get("/metrics", operation_id="metrics", response_class=Response)
def metrics() -> Response:
    """Prometheus text format: events indexed, lag, request latency."""
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
