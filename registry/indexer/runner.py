"""The indexing loop: chunked eth_getLogs from the cursor to the confirmed head, each chunk written
with its cursor in one database transaction; reorganisations rolled back to the common ancestor.

A chunk commits as a whole or not at all, so a process killed at any point resumes from its cursor
and neither loses nor repeats an event. A chunk covers whole blocks only.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from client.deployment import Manifest
from client.errors import ConfigurationError
from client.reader import ChainReader
from registry import observability as obs
from registry.db.models import CHAIN_DERIVED, ChainEventRow, IndexedBlock, IndexerCursor, Journal
from registry.indexer.decode import DecodedEvent, EventDecoder
from registry.indexer.journal import JOURNAL_BLOCK, enable_journal, undo_above
from registry.indexer.projector import Projector

__all__ = ["MAX_BACKOFF_S", "Header", "Indexer", "ReorgDetected", "StepResult"]

log = logging.getLogger(__name__)

# A node or database that was away is retried at most this far apart: short enough that indexing
# resumes within seconds of its return, long enough not to flood a log.
MAX_BACKOFF_S = 5.0


class ReorgDetected(Exception):
    """The chain changed under the blocks being read; the step is retried after a rollback check."""


@dataclass(frozen=True)
class Header:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


@dataclass(frozen=True)
class StepResult:
    events: int
    blocks: int
    head: int
    cursor: int
    rolled_back_to: int | None = None


class Indexer:
    def __init__(
        self,
        w3: Web3,
        manifest: Manifest,
        sessions: sessionmaker[Session],
        *,
        confirmations: int = 0,
        reorg_window: int = 64,
        chunk_blocks: int = 2_000,
    ) -> None:
        self.w3 = w3
        self.manifest = manifest
        self.sessions = sessions
        self.confirmations = confirmations
        self.reorg_window = reorg_window
        self.chunk_blocks = chunk_blocks
        self.decoder = EventDecoder(self._addresses())
        # The SDK's reader (batching, the mid-read-block retry, typed node errors) without its
        # transport retries: `run` is this loop's retry, backing off up to MAX_BACKOFF_S, and a node
        # that is away shows in the health endpoint at once instead of after the SDK's retries.
        self.reader = ChainReader(w3, retry_delays=())
        self.head = 0
        self.head_read_at: float | None = None  # time.monotonic() of the last head the node answered
        self.head_moved_at: float | None = None  # time.monotonic() when that head was first seen
        self.cursor_block = -1
        self._steps = 0

    # ------------------------------------------------------------ JSON-RPC

    def _rpc(self, method: str, params: list[Any]) -> Any:
        return self.reader.request(method, params)

    def _headers(self, numbers: list[int]) -> dict[int, Header]:
        if not numbers:
            return {}
        blocks = self.reader.results(
            [("eth_getBlockByNumber", [hex(n), False]) for n in numbers], allow_null=True
        )
        headers: dict[int, Header] = {}
        for block in blocks:
            if not block:
                raise ReorgDetected("a block vanished while being read")
            header = Header(
                number=int(block["number"], 16),
                hash=str(block["hash"]),
                parent_hash=str(block["parentHash"]),
                timestamp=int(block["timestamp"], 16),
            )
            headers[header.number] = header
        return headers

    # ------------------------------------------------------------ cursor

    def _addresses(self) -> dict[str, str]:
        return {name: c.address for name, c in self.manifest.contracts.items()}

    def ensure_cursor(self) -> IndexerCursor:
        """Creates the cursor just before the deployment block, or checks the database indexes this
        deployment and not another one."""
        addresses = self._addresses()
        genesis = self._headers([0])[0].hash
        with self.sessions.begin() as session:
            cursor = session.get(IndexerCursor, 1)
            if cursor is not None and cursor.genesis_hash not in (None, genesis):
                raise ConfigurationError(
                    f"this database indexes another chain: chain {cursor.chain_id} whose block 0 is "
                    f"{cursor.genesis_hash}, but the node's block 0 is {genesis} (a restarted devnet "
                    "without its state, or a second devnet in the same folder): use another --db, or "
                    "delete this one to index the new chain from scratch"
                )
            if cursor is not None and cursor.genesis_hash is None:
                cursor.genesis_hash = genesis  # indexed before chain identities were recorded
            if cursor is None:
                start = max(self.manifest.deployment_block - 1, 0)
                header = self._headers([start])[start]
                cursor = IndexerCursor(
                    id=1,
                    chain_id=self.manifest.chain_id,
                    genesis_hash=genesis,
                    registry_address=addresses["ParticipantRegistry"],
                    receipts_address=addresses["WarehouseReceipts"],
                    receivables_address=addresses["Receivables"],
                    deployment_block=self.manifest.deployment_block,
                    block_number=start,
                    block_hash=header.hash,
                    events_indexed=0,
                    journal_from=start + 1,
                )
                session.add(cursor)
                session.add(IndexedBlock(number=start, hash=header.hash, timestamp=header.timestamp))
            elif (cursor.chain_id, cursor.registry_address, cursor.receipts_address) != (
                self.manifest.chain_id,
                addresses["ParticipantRegistry"],
                addresses["WarehouseReceipts"],
            ):
                raise ConfigurationError(
                    f"this database indexes chain {cursor.chain_id} at {cursor.registry_address}, not chain "
                    f"{self.manifest.chain_id} at {addresses['ParticipantRegistry']}: use another --db"
                )
            self.cursor_block = cursor.block_number
        return cursor

    # ------------------------------------------------------------ one step

    def step(self) -> StepResult:
        """Indexes at most one chunk; returns what it did."""
        self._steps += 1
        head = int(self._rpc("eth_blockNumber", []), 16)
        if head != self.head or self.head_moved_at is None:
            self.head_moved_at = time.monotonic()
        self.head, self.head_read_at = head, time.monotonic()
        obs.CHAIN_HEAD.set(head)
        with self.sessions() as session:
            cursor = session.get(IndexerCursor, 1)
            if cursor is None:
                raise ConfigurationError("the indexer has no cursor: call ensure_cursor() first")
            number, known_hash = cursor.block_number, cursor.block_hash
        onchain = self._headers([number]).get(number) if number <= head else None
        if onchain is None or onchain.hash != known_hash:
            ancestor = self.roll_back()
            return StepResult(0, 0, head, ancestor, rolled_back_to=ancestor)

        target = head - self.confirmations
        if number >= target:
            self._publish(number)
            return StepResult(0, 0, head, number)
        start, end = number + 1, min(target, number + self.chunk_blocks)
        logs = self._rpc(
            "eth_getLogs",
            [{"address": self.decoder.addresses, "fromBlock": hex(start), "toBlock": hex(end)}],
        )
        headers = self._headers(sorted({start, end} | {int(entry["blockNumber"], 16) for entry in logs}))
        if headers[start].parent_hash != known_hash:
            raise ReorgDetected(f"block {start} no longer follows block {number}")
        events: list[DecodedEvent] = []
        for entry in logs:
            decoded = self.decoder.decode(entry)
            if decoded is None:
                continue
            if headers[decoded.block_number].hash != decoded.block_hash:
                raise ReorgDetected(f"block {decoded.block_number} changed while its logs were read")
            events.append(decoded)
        events.sort(key=lambda e: (e.block_number, e.log_index))
        self._write(events, headers, start, end, head)
        self._publish(end)
        obs.EVENTS_INDEXED.inc(len(events))
        return StepResult(len(events), end - start + 1, head, end)

    def _write(
        self, events: list[DecodedEvent], headers: dict[int, Header], start: int, end: int, head: int
    ) -> None:
        """Applies a chunk's events and moves the cursor, in one transaction. Blocks inside the reorg
        window are flushed one at a time under their own number, so the journal can undo each."""
        window_floor = head - self.reorg_window
        unjournaled = -1  # the newest block of this chunk whose changes were not journaled
        with self.sessions.begin() as session:
            enable_journal(session)
            projector = Projector(session)
            projector.preload(events)
            current_block = -1
            for event in events:
                if event.block_number != current_block:
                    if current_block > window_floor:
                        projector.flush()
                    current_block = event.block_number
                    journaled = current_block > window_floor
                    session.info[JOURNAL_BLOCK] = current_block if journaled else None
                    if not journaled:
                        unjournaled = current_block
                projector.apply(event, headers[event.block_number].timestamp)
            projector.flush()  # the last block's changes, journaled under its number if in the window
            session.info[JOURNAL_BLOCK] = None
            for header in headers.values():
                if header.number > window_floor or header.number == end:
                    session.merge(
                        IndexedBlock(number=header.number, hash=header.hash, timestamp=header.timestamp)
                    )
            cursor = session.get(IndexerCursor, 1)
            assert cursor is not None
            cursor.block_number = end
            cursor.block_hash = headers[end].hash
            cursor.events_indexed += len(events)
            cursor.journal_from = max(cursor.journal_from, unjournaled + 1)
            if self._steps % 50 == 0:
                # Journal below the window is never needed again; dropping it moves journal_from up.
                session.execute(delete(Journal).where(Journal.block_number <= window_floor))
                cursor.journal_from = max(cursor.journal_from, window_floor + 1)
                session.execute(
                    delete(IndexedBlock).where(IndexedBlock.number < window_floor, IndexedBlock.number != end)
                )

    def _publish(self, cursor_block: int) -> None:
        self.cursor_block = cursor_block
        obs.INDEXED_BLOCK.set(cursor_block)
        obs.LAG_BLOCKS.set(max(0, self.head - cursor_block))

    # ------------------------------------------------------------ reorganisations

    def roll_back(self) -> int:
        """Undoes every block above the newest stored block the chain still has, provided everything
        above it is journaled; otherwise re-indexes from the deployment block."""
        with self.sessions() as session:
            cursor_row = session.get(IndexerCursor, 1)
            assert cursor_row is not None
            journal_from = cursor_row.journal_from
            stored = session.scalars(
                select(IndexedBlock)
                .where(IndexedBlock.number >= journal_from - 1)
                .order_by(IndexedBlock.number.desc())
            ).all()
            known = [(b.number, b.hash) for b in stored]
        head = int(self._rpc("eth_blockNumber", []), 16)
        candidates = [(n, h) for n, h in known if n <= head]
        onchain = self._headers([n for n, _ in candidates])
        ancestor = next(((n, h) for n, h in candidates if onchain[n].hash == h), None)
        with self.sessions.begin() as session:
            cursor = session.get(IndexerCursor, 1)
            assert cursor is not None
            if ancestor is None:
                log.warning(
                    "reorganisation deeper than the stored blocks: re-indexing from the deployment block"
                )
                for table in reversed(CHAIN_DERIVED):
                    session.execute(delete(table))
                start = max(self.manifest.deployment_block - 1, 0)
                header = self._headers([start])[start]
                session.add(IndexedBlock(number=start, hash=header.hash, timestamp=header.timestamp))
                cursor.block_number, cursor.block_hash, cursor.events_indexed = start, header.hash, 0
                cursor.journal_from = start + 1
            else:
                removed = undo_above(session, ancestor[0])
                log.warning(
                    "chain reorganised: rolled back to common ancestor",
                    extra={
                        "ancestor": ancestor[0],
                        "from_block": cursor.block_number,
                        "events_removed": removed,
                    },
                )
                cursor.block_number, cursor.block_hash = ancestor
                cursor.events_indexed = session.scalar(select(func.count()).select_from(ChainEventRow)) or 0
            rolled_to = cursor.block_number
        obs.REORGS.inc()
        self._publish(rolled_to)
        return rolled_to

    # ------------------------------------------------------------ loops

    def catch_up(self, *, max_steps: int = 1_000_000) -> int:
        """Indexes until the cursor reaches the confirmed head; returns the events indexed."""
        total = 0
        for _ in range(max_steps):
            result = self.step()
            total += result.events
            if result.rolled_back_to is None and result.cursor >= result.head - self.confirmations:
                return total
        return total

    def run(self, stop: threading.Event, *, poll_interval: float = 0.5) -> None:
        """Follows the chain until `stop` is set; node outages and reorgs are retried, not fatal."""
        backoff = poll_interval
        while not stop.is_set():
            try:
                result = self.step()
                backoff = poll_interval
                if result.events == 0 and result.cursor >= result.head - self.confirmations:
                    stop.wait(poll_interval)
            except ReorgDetected as exc:
                log.info("retrying after a chain change", extra={"reason": str(exc)})
            except Exception as exc:  # the node or database is away: keep the cursor, retry later
                obs.INDEXER_ERRORS.inc()
                log.warning("indexer step failed; retrying", extra={"error": f"{type(exc).__name__}: {exc}"})
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
