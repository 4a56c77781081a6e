"""Structured JSON logs and Prometheus metrics for the registry service."""

from __future__ import annotations

import logging
import os
import sys

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from pythonjsonlogger.json import JsonFormatter

METRICS = CollectorRegistry(auto_describe=True)

EVENTS_INDEXED = Counter(
    "ledgerhouse_indexer_events_total", "Chain events indexed into the database", registry=METRICS
)
# Set by the one indexer; with several API processes (`serve --workers`), its latest value is the answer.
INDEXED_BLOCK = Gauge(
    "ledgerhouse_indexer_block",
    "Last block whose events are all indexed",
    registry=METRICS,
    multiprocess_mode="mostrecent",
)
CHAIN_HEAD = Gauge(
    "ledgerhouse_chain_head_block",
    "Newest block the node reported",
    registry=METRICS,
    multiprocess_mode="mostrecent",
)
LAG_BLOCKS = Gauge(
    "ledgerhouse_indexer_lag_blocks",
    "Blocks the index is behind the chain head",
    registry=METRICS,
    multiprocess_mode="mostrecent",
)
REORGS = Counter("ledgerhouse_indexer_reorgs_total", "Reorganisations rolled back", registry=METRICS)
INDEXER_ERRORS = Counter(
    "ledgerhouse_indexer_errors_total", "Indexer steps that failed and were retried", registry=METRICS
)
REQUEST_LATENCY = Histogram(
    "ledgerhouse_http_request_seconds",
    "HTTP request latency by route and status",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=METRICS,
)


def exposition() -> bytes:
    """The metrics in Prometheus text format: this process's, or, when several processes serve
    (PROMETHEUS_MULTIPROC_DIR set by `serve --workers`), all of theirs merged."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        return generate_latest(merged)
    return generate_latest(METRICS)


def configure_logging(level: str = "INFO") -> None:
    """One JSON object per line on stderr, for the service and for uvicorn's own loggers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
