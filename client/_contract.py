"""What every contract client of the SDK shares: its signer, sending, and reading its events."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD

from client import errors
from client._encoding import end_of_day
from client._typed import typed_methods
from client.artifacts import load_artifact
from client.chain import Signer, TxResult
from client.errors import InvalidInput, MissingKey
from client.participants import Participants
from client.reader import (
    LOG_CHUNK_BLOCKS,
    ChainEvent,
    ChainReader,
    EventCodec,
    LogQuery,
    event_signature,
    topic_of,
)

__all__ = ["LOG_CHUNK_BLOCKS", "ChainEvent", "ContractClient", "event_signature", "topic_of"]


@typed_methods
class ContractClient:
    """A Ledgerhouse contract seen through the SDK; writes need a signer.

    Every public method of it and of its subclasses raises only `LedgerhouseError`s (`typed_methods`).
    """

    ARTIFACT: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        typed_methods(cls)

    def __init__(
        self,
        w3: Web3,
        address: str,
        participants: Participants,
        signer: Signer | None = None,
        *,
        from_block: int = 0,
    ) -> None:
        abi = load_artifact(self.ARTIFACT).abi
        self.w3 = w3
        self.contract: Contract = w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)
        self.participants = participants
        self._signer = signer
        self._from_block = from_block
        self.codec = EventCodec(abi, self.contract.address, contract=self.ARTIFACT)
        self.reader = ChainReader(w3, labels=self._labels())
        self._typed: dict[str, str] = {}  # commitment (0x hex) -> the identifier as the caller typed it

    @property
    def signer(self) -> Signer:
        if self._signer is None:
            raise MissingKey()
        return self._signer

    def _send(self, call: ContractFunction) -> TxResult:
        try:
            return self.signer.transact(call)
        except errors.ContractRevert as exc:
            if not self._typed:
                raise
            # Re-rendered so that a lot (or serial) appears as the caller typed it, not as its hash.
            raise type(exc)(*exc.values, labels={**self._labels(), **self._typed}) from None

    def _remember(self, text: str, committed: bytes) -> None:
        """Keeps the text a caller typed for an identifier's commitment, for messages about it."""
        self._typed["0x" + committed.hex()] = text.strip()

    def _labels(self) -> dict[str, str]:
        return dict(self._signer.labels) if self._signer else {}

    def _now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def _future_day(self, day: date, *, what: str) -> int:
        """The last second of `day` (UTC), or InvalidInput if that is not after the chain's time."""
        ts = end_of_day(day)
        if ts <= self._now():
            raise InvalidInput(f"{what} {day.isoformat()} is in the past")
        return ts

    def try_many(
        self, calls: list[ContractFunction], *, chunk: int = 500
    ) -> list[tuple[Any, ...] | errors.LedgerhouseError]:
        """Like `call_many`, but a call that reverts gives its decoded error in its place."""
        return self._reader(chunk).try_many(calls)

    def call_many(self, calls: list[ContractFunction], *, chunk: int = 500) -> list[tuple[Any, ...]]:
        """Runs read-only calls as JSON-RPC batches of eth_call (`chunk` a batch) at the head;
        returns each call's decoded outputs, or raises the first refusal (later batches unsent)."""
        return self._reader(chunk).call_many(calls)

    def _reader(self, chunk: int) -> ChainReader:
        return ChainReader(self.w3, labels=self._labels(), batch_size=chunk)

    def events_in(self, receipt: Any, name: str) -> list[Any]:
        """The `name` events of this contract in a transaction receipt (other logs are skipped)."""
        if isinstance(receipt, TxResult):
            receipt = receipt.receipt
        return list(getattr(self.contract.events, name)().process_receipt(receipt, errors=DISCARD))

    def logs(self, topics: list[str | None], *, event: str | None = None) -> list[ChainEvent]:
        """This contract's events matching `topics` (position 0 = `event` if named), oldest first."""
        query = [self.codec.topic[event], *topics[1:]] if event else topics
        latest = int(self.w3.eth.block_number)
        [found] = self.reader.logs([LogQuery(self.codec, tuple(query), self._from_block, latest)])
        return found
