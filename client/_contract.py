"""What every contract client of the SDK shares: its signer, sending, and reading its events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from eth_abi.abi import decode as abi_decode
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.logs import DISCARD
from web3.types import RPCEndpoint

from client import errors
from client._encoding import end_of_day
from client._typed import typed_methods
from client.artifacts import load_artifact
from client.chain import Signer, TxResult, calldata, decode_revert
from client.errors import InvalidInput, MissingKey
from client.participants import Participants

LOG_CHUNK_BLOCKS = 5_000  # Besu and most providers cap eth_getLogs ranges


@dataclass(frozen=True)
class ChainEvent:
    """One event from the chain, decoded."""

    name: str
    block_number: int
    tx_hash: str
    log_index: int
    args: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "block": self.block_number,
            "tx_hash": self.tx_hash,
            "log_index": self.log_index,
            "args": {k: _jsonable(v) for k, v in self.args.items()},
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | HexBytes):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _abi_type(item: dict[str, Any]) -> str:
    if str(item["type"]).startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item["components"]) + ")" + str(item["type"])[5:]
    return str(item["type"])


def event_signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(_abi_type(i) for i in item['inputs'])})"


def topic_of(value: int | str | bytes) -> str:
    """A 32-byte log topic for an id, an address or a bytes32."""
    if isinstance(value, int):
        return "0x" + value.to_bytes(32, "big").hex()
    if isinstance(value, str):
        return "0x" + bytes.fromhex(value[2:]).rjust(32, b"\0").hex()
    return "0x" + value.rjust(32, b"\0").hex()


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
        self._events_by_topic = {
            "0x" + bytes(Web3.keccak(text=event_signature(item))).hex(): str(item["name"])
            for item in abi
            if item["type"] == "event"
        }
        self._topic_by_event = {name: topic for topic, name in self._events_by_topic.items()}
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
        return list(self._outcomes(calls, chunk))

    def call_many(self, calls: list[ContractFunction], *, chunk: int = 500) -> list[tuple[Any, ...]]:
        """Runs read-only calls as JSON-RPC batches of eth_call; returns each call's decoded outputs."""
        decoded: list[tuple[Any, ...]] = []
        for outcome in self._outcomes(calls, chunk):
            if isinstance(outcome, errors.LedgerhouseError):
                raise outcome  # the first refusal: later batches are not sent
            decoded.append(outcome)
        return decoded

    def _outcomes(
        self, calls: list[ContractFunction], chunk: int
    ) -> Iterator[tuple[Any, ...] | errors.LedgerhouseError]:
        """Each call's decoded outputs, or its decoded refusal, in order: batches of `chunk` eth_calls
        at the head, sent one batch at a time as the caller consumes them."""
        for start in range(0, len(calls), chunk):
            part = calls[start : start + chunk]
            requests = [
                (RPCEndpoint("eth_call"), [{"to": call.address, "data": calldata(call)}, "latest"])
                for call in part
            ]
            responses = self.w3.provider.make_batch_request(requests)  # type: ignore[attr-defined]
            if not isinstance(responses, list):
                raise errors.ChainUnavailable(f"the node refused a batch of reads: {responses.get('error')}")
            for call, response in zip(
                part, sorted(responses, key=lambda r: int(r.get("id", 0))), strict=True
            ):
                if response.get("error"):
                    yield decode_revert(response["error"].get("data"), self._labels())
                    continue
                types = [_abi_type(dict(o)) for o in call.abi.get("outputs", [])]
                yield tuple(abi_decode(types, bytes.fromhex(str(response["result"])[2:])))

    def events_in(self, receipt: Any, name: str) -> list[Any]:
        """The `name` events of this contract in a transaction receipt (other logs are skipped)."""
        if isinstance(receipt, TxResult):
            receipt = receipt.receipt
        return list(getattr(self.contract.events, name)().process_receipt(receipt, errors=DISCARD))

    def logs(self, topics: list[str | None], *, event: str | None = None) -> list[ChainEvent]:
        """This contract's events matching `topics` (position 0 = `event` if named), oldest first."""
        query = [self._topic_by_event[event], *topics[1:]] if event else topics
        latest = self.w3.eth.block_number
        found: list[ChainEvent] = []
        start = self._from_block
        while start <= latest:
            end = min(start + LOG_CHUNK_BLOCKS - 1, latest)
            for log in self.w3.eth.get_logs(
                {"address": self.contract.address, "fromBlock": start, "toBlock": end, "topics": query}
            ):
                name = self._events_by_topic.get("0x" + bytes(log["topics"][0]).hex())
                if name is None:
                    continue
                decoded = getattr(self.contract.events, name)().process_log(log)
                found.append(
                    ChainEvent(
                        name=name,
                        block_number=int(log["blockNumber"]),
                        tx_hash="0x" + bytes(log["transactionHash"]).hex(),
                        log_index=int(log["logIndex"]),
                        args=dict(decoded["args"]),
                    )
                )
            start = end + 1
        return found
