"""What every audit reads with: the chain through `client.reader`, pinned to one block.

Each audit is pinned to one block (`at_block`, by default the head when the audit starts): logs up
to that block, contract state at that block, so every part of a report describes the same moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from web3.contract.contract import ContractFunction

from client._encoding import timestamp
from client.artifacts import load_artifact
from client.errors import ChainUnavailable, InvalidInput, LedgerhouseError
from client.reader import ChainEvent, ChainReader, EventCodec, LogQuery, Topic

if TYPE_CHECKING:
    from client import Ledgerhouse

__all__ = [
    "TOPIC_OR_CHUNK",
    "VOUCHERS_PER_ROOT",
    "AuditChain",
    "chunks",
    "hex32",
    "parse_block",
    "position",
]

TOPIC_OR_CHUNK = 200  # ids or lots in one topic OR-list of an eth_getLogs filter
VOUCHERS_PER_ROOT = 1_000_000  # voucher ids encode their root: root n * 1,000,000, pieces + 1, + 2, ...

T = TypeVar("T")


class AuditChain:
    """JSON-RPC reads of one Ledgerhouse deployment, pinned to one block (`block`)."""

    def __init__(self, lh: Ledgerhouse, at_block: int | None) -> None:
        self.w3 = lh.w3
        self.labels = dict(lh.labels)
        self.reader = ChainReader(self.w3, labels=self.labels)
        self.first_block = lh.manifest.deployment_block
        self.receipts = lh.receipts.codec
        self.receivables = lh.receivables.codec
        self.participants = EventCodec(
            load_artifact("ParticipantRegistry").abi,
            lh.participants.contract.address,
            contract="ParticipantRegistry",
        )
        self.registry = lh.participants.contract
        self.receipts_contract = lh.receipts.contract
        self.receivables_contract = lh.receivables.contract
        head = int(self.w3.eth.block_number)
        if at_block is not None and at_block > head:
            raise InvalidInput(f"--at-block {at_block} is beyond the chain head (block {head})")
        self.block = head if at_block is None else at_block
        self._times: dict[int, datetime] = {}

    def query(self, codec: EventCodec, *topics: Topic, from_block: int = 0) -> LogQuery:
        """The logs of `codec`'s contract matching `topics`, from `from_block` to the audited block."""
        return LogQuery(codec, tuple(topics), from_block, self.block)

    def logs(self, queries: Sequence[LogQuery]) -> list[list[ChainEvent]]:
        """The decoded logs of each query, oldest first, within the deployment..the audited block."""
        return self.reader.logs(
            [
                LogQuery(q.codec, q.topics, max(q.from_block, self.first_block), min(q.to_block, self.block))
                for q in queries
            ]
        )

    def calls(
        self, calls: Sequence[ContractFunction], *, blocks: Sequence[int] | None = None
    ) -> list[tuple[Any, ...] | LedgerhouseError]:
        """Each call's decoded outputs at the audited block (or `blocks[i]`), or its decoded revert."""
        return self.reader.try_many(calls, block=self.block if blocks is None else blocks)

    def state(self, calls: Sequence[ContractFunction]) -> list[tuple[Any, ...]]:
        """Like `calls`, for reads that cannot revert: a revert is raised."""
        return self.reader.call_many(calls, block=self.block)

    def times(self, blocks: Iterable[int]) -> dict[int, datetime]:
        """Each block's timestamp (UTC), fetched once per block in batches."""
        missing = sorted({b for b in blocks if b not in self._times})
        answers = self.reader.results(
            [("eth_getBlockByNumber", [hex(b), False]) for b in missing], allow_null=True
        )
        for block, answer in zip(missing, answers, strict=True):
            if not isinstance(answer, dict):
                raise ChainUnavailable("the node has no such block")
            self._times[block] = timestamp(int(str(answer["timestamp"]), 16))
        return self._times

    def time_of(self, block: int) -> datetime:
        return self.times([block])[block]


def hex32(value: bytes) -> str:
    """A bytes32 as 0x hex (how reports show lot ids and references)."""
    return "0x" + bytes(value).hex()


def position(event: ChainEvent) -> tuple[int, int]:
    """(block, log index): an event's place in the chain's order."""
    return (event.block_number, event.log_index)


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def parse_block(text: str | None) -> int | None:
    """An `--at-block` value: a block number (0 or more), or None for the chain head."""
    if text is None:
        return None
    value = text.strip()
    if not value.isdigit():
        raise InvalidInput(f"--at-block {text!r} must be a block number (a whole number, 0 or more)")
    return int(value)
