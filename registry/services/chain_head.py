"""The chain head /health reports, without a JSON-RPC round trip per request."""

from __future__ import annotations

import threading
import time

from web3 import Web3

from registry.indexer.runner import Indexer


class ChainHead:
    """The newest block the node reported, at most `max_age_s` old, or None when the node did not
    answer. Where the indexer runs in this process it reads the head every poll, and that reading is
    used; elsewhere (the API workers of `serve --workers N`) the node is asked at most once per
    `max_age_s` per process, its answer or its silence shared by every request meanwhile."""

    def __init__(self, w3: Web3, indexer: Indexer | None, *, max_age_s: float) -> None:
        self._w3 = w3
        self._indexer = indexer
        self._max_age_s = max_age_s
        self._lock = threading.Lock()
        self._head: int | None = None
        self._read_at = float("-inf")

    def cached(self) -> tuple[bool, int | None]:
        """(fresh, head): fresh when a reading at most `max_age_s` old exists; no chain call."""
        now = time.monotonic()
        indexer = self._indexer
        seen = indexer.head_read_at if indexer is not None else None
        if indexer is not None and seen is not None and now - seen <= self._max_age_s:
            return True, indexer.head
        return now - self._read_at <= self._max_age_s, self._head

    def read(self) -> int | None:
        """Asks the node (blocking: call it off the event loop) unless a thread just did."""
        with self._lock:
            if time.monotonic() - self._read_at > self._max_age_s:
                try:
                    self._head = int(self._w3.eth.block_number)
                except Exception:  # the node is away: /health says so until it answers again
                    self._head = None
                self._read_at = time.monotonic()
            return self._head
