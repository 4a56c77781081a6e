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
        self._moved_at: float | None = None  # when the head this process read last changed

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
                    head: int | None = int(self._w3.eth.block_number)
                except Exception:  # the node is away: /health says so until it answers again
                    head = None
                self._read_at = time.monotonic()
                if head is not None and (head != self._head or self._moved_at is None):
                    self._moved_at = self._read_at
                self._head = head
            return self._head

    def unchanged_for(self) -> float | None:
        """Seconds since the head last moved, as seen by the indexer's polls where it runs here (else
        by this process's reads); None before any reading. A chain that seals on a period and shows the
        same head for long has halted (a proof-of-authority chain with too few validators up)."""
        indexer = self._indexer
        moved = indexer.head_moved_at if indexer is not None else self._moved_at
        return None if moved is None else time.monotonic() - moved
