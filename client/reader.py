"""One way to read the chain: batched JSON-RPC, paged logs, one ABI decoder, one value normalisation.

The SDK's contract clients, the signer's batched polls, the audits, reconcile and the registry's
indexer all read through this module, so they share:

- **one transport and retry policy** (`ChainReader.batch`): requests go out in JSON-RPC batches of
  `RPC_BATCH`; a transport failure is retried with `RETRY_DELAYS_S` (reads are idempotent) before
  `ChainUnavailable`; a node without past states that mined a block between resolving a block tag
  and running the read (anvil --prune-history answers `BlockOutOfRange`) is asked once more.
- **one error policy**: a contract's refusal becomes its generated `ContractRevert` subclass
  (`decode_revert`); any other error a node answers becomes `NodeError`, or `StateUnavailable` when it
  no longer holds the state of the block asked for (`node_error`); a lost node `ChainUnavailable`.
- **one decoder** (`decode_abi`, `EventCodec`): static layouts (every event and view of these
  contracts but a few) are read by slicing 32-byte words, tens of times faster than eth_abi, which
  decodes the rest; event signatures spell tuple arguments as the ABI does.
- **one value normalisation** (`normalise`): addresses checksummed, `bytesN` (and the hash in the
  topic of a dynamic indexed value) as `bytes`, arrays and tuples as lists, integers as `int`.
  `json_value` (defined in `client._encoding`, re-exported here) is the one way such values, and
  the views and reports built of them, become JSON.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import EncodingError
from eth_typing import HexStr
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, MismatchedABI, Web3ValidationError
from web3.types import RPCEndpoint

from client import errors
from client._encoding import json_value
from client._signing import abi_type, fast_calldata

__all__ = [
    "LOG_CHUNK_BLOCKS",
    "RETRY_DELAYS_S",
    "RPC_BATCH",
    "ChainEvent",
    "ChainReader",
    "EventCodec",
    "LogQuery",
    "Topic",
    "abi_type",
    "calldata",
    "cause_of",
    "checksummed",
    "decode_abi",
    "decode_revert",
    "event_signature",
    "json_value",
    "node_error",
    "normalise",
    "topic_of",
]

LOG_CHUNK_BLOCKS = 5_000  # Besu and most providers cap eth_getLogs ranges
RPC_BATCH = 250  # requests per JSON-RPC batch (one HTTP round trip)
# Transport failures (refused or dropped connection, 5xx, 429, timeout) are retried this long before
# ChainUnavailable. Only idempotent requests are retried: reads, and re-sends of the same signed
# bytes (the node dedupes them by hash), so a retry never makes a second transaction.
RETRY_DELAYS_S = (0.1, 0.25, 0.5, 1.0, 2.0, 2.0)
_ERROR_STRING = "0x08c379a0"
_PANIC = "0x4e487b71"

# What nodes say when asked for the state of a block they no longer (or never) kept.
_STATE_GONE = (
    "blockoutofrange",
    "block height is",
    "missing trie node",
    "header not found",
    "historical state",
    "required historical state unavailable",
    "world state unavailable",
    "state not available",
)

Topic = str | list[str] | None


# ------------------------------------------------------------------ values


@lru_cache(maxsize=65_536)
def checksummed(value: str | bytes) -> str:
    """An address (0x hex or 20 raw bytes) in checksum form; cached: a consortium has few members and
    each appears in thousands of events and views."""
    return to_checksum_address(value)


def normalise(kind: str, value: Any) -> Any:
    """A decoded ABI value as the SDK hands it out: addresses checksummed, bytes as `bytes`, arrays
    and tuples as lists (of normalised values), everything else as decoded."""
    if kind == "address":
        return checksummed(str(value))
    if kind.endswith("]"):
        inner = kind[: kind.rindex("[")]
        return [normalise(inner, v) for v in value]
    if kind.startswith("("):
        return [normalise(k, v) for k, v in zip(_members(kind), value, strict=True)]
    if isinstance(value, HexBytes):
        return bytes(value)
    return value


def topic_of(value: int | str | bytes) -> str:
    """A 32-byte log topic for an id, an address or a bytes32."""
    if isinstance(value, int):
        return "0x" + value.to_bytes(32, "big").hex()
    if isinstance(value, str):
        return "0x" + bytes.fromhex(value[2:]).rjust(32, b"\0").hex()
    return "0x" + value.rjust(32, b"\0").hex()


# ------------------------------------------------------------------ ABI


def event_signature(item: Mapping[str, Any]) -> str:
    """`Name(type,...)` of an ABI event, whose keccak is its topic 0."""
    return f"{item['name']}({','.join(abi_type(i) for i in item['inputs'])})"


def _members(kind: str) -> list[str]:
    """The member types of a tuple type `(a,b,(c,d))`, split at its top level."""
    out, depth, start = [], 0, 1
    for i, ch in enumerate(kind[1:-1], start=1):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(kind[start:i])
            start = i + 1
    out.append(kind[start:-1])
    return [m for m in out if m]


_Word = Callable[[bytes], Any]


def _word_decoder(kind: str) -> _Word | None:
    """How to read one 32-byte word of a static elementary type, or None for any other type."""
    if kind == "address":
        return lambda word: checksummed(word[12:])
    if kind == "bool":
        return lambda word: word[31] != 0
    if kind.startswith("uint") and kind[4:].isdigit():
        return lambda word: int.from_bytes(word, "big")
    if kind.startswith("int") and kind[3:].isdigit():
        return lambda word: int.from_bytes(word, "big", signed=True)
    if kind.startswith("bytes") and kind[5:].isdigit() and 1 <= int(kind[5:]) <= 32:
        size = int(kind[5:])
        return lambda word: word[:size]
    return None


@lru_cache(maxsize=256)
def _static_plan(types: tuple[str, ...]) -> tuple[tuple[_Word, ...] | _Word, ...] | None:
    """Word readers for `types` if every one is static (elementary, or a flat tuple of elementary)."""
    plan: list[tuple[_Word, ...] | _Word] = []
    for kind in types:
        if kind.startswith("(") and kind.endswith(")"):
            if "(" in kind[1:] or "[" in kind:
                return None
            members = [_word_decoder(k) for k in kind[1:-1].split(",")]
            if any(m is None for m in members):
                return None
            plan.append(tuple(m for m in members if m is not None))
        else:
            reader = _word_decoder(kind)
            if reader is None:
                return None
            plan.append(reader)
    return tuple(plan)


def decode_abi(types: Sequence[str], data: bytes) -> tuple[Any, ...]:
    """ABI-decodes `data` into normalised values (`normalise`). Static layouts are read by slicing
    32-byte words, tens of times faster than eth_abi, which decodes the rest (arrays, strings)."""
    key = tuple(types)
    plan = _static_plan(key)
    if plan is not None and len(data) >= 32 * sum(len(p) if isinstance(p, tuple) else 1 for p in plan):
        out: list[Any] = []
        offset = 0
        for step in plan:
            if isinstance(step, tuple):
                out.append(
                    [read(data[offset + 32 * i : offset + 32 * i + 32]) for i, read in enumerate(step)]
                )
                offset += 32 * len(step)
            else:
                out.append(step(data[offset : offset + 32]))
                offset += 32
        return tuple(out)
    return tuple(normalise(k, v) for k, v in zip(key, abi_decode(list(key), data), strict=True))


def _decode_topic(kind: str, topic: str) -> Any:
    if kind == "address":
        return checksummed("0x" + topic[-40:])
    if kind.startswith("uint"):
        return int(topic, 16)
    if kind.startswith("int"):
        return int.from_bytes(bytes.fromhex(topic[2:]), "big", signed=True)
    if kind == "bool":
        return int(topic, 16) != 0
    return bytes.fromhex(topic[2:])  # bytesN, or the hash of a dynamic value


def _hex_int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


@dataclass(frozen=True)
class ChainEvent:
    """One event from the chain, decoded (values as `normalise` gives them)."""

    name: str
    block_number: int
    tx_hash: str
    log_index: int
    args: dict[str, Any]
    contract: str = field(default="", repr=False, compare=False)
    block_hash: str = field(default="", repr=False, compare=False)

    @property
    def position(self) -> tuple[int, int]:
        """(block, log index): the event's place in the chain's order."""
        return (self.block_number, self.log_index)

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "block": self.block_number,
            "tx_hash": self.tx_hash,
            "log_index": self.log_index,
            "args": json_value(self.args),
        }


@dataclass(frozen=True)
class _EventSpec:
    name: str
    indexed: tuple[tuple[str, str], ...]
    data_names: tuple[str, ...]
    data_types: tuple[str, ...]


class EventCodec:
    """Decodes one contract's raw logs (as eth_getLogs returns them) without web3's per-log machinery."""

    def __init__(self, abi: Iterable[Mapping[str, Any]], address: str, *, contract: str = "") -> None:
        self.address = checksummed(address)
        self.contract = contract
        self.topic: dict[str, str] = {}  # event name -> topic 0
        self._events: dict[str, _EventSpec] = {}
        for item in abi:
            if item["type"] != "event" or item.get("anonymous"):
                continue
            inputs = list(item["inputs"])
            topic0 = "0x" + keccak(text=event_signature(item)).hex()
            self.topic[str(item["name"])] = topic0
            self._events[topic0] = _EventSpec(
                name=str(item["name"]),
                indexed=tuple((str(i["name"]), abi_type(i)) for i in inputs if i.get("indexed")),
                data_names=tuple(str(i["name"]) for i in inputs if not i.get("indexed")),
                data_types=tuple(abi_type(i) for i in inputs if not i.get("indexed")),
            )

    @property
    def names(self) -> dict[str, str]:
        """Topic 0 -> event name."""
        return {topic: spec.name for topic, spec in self._events.items()}

    def decode(self, raw: Mapping[str, Any]) -> ChainEvent | None:
        """The event in a raw log, or None for a log this ABI does not describe."""
        topics = [t if isinstance(t, str) else "0x" + bytes(t).hex() for t in raw["topics"]]
        spec = self._events.get(topics[0].lower()) if topics else None
        if spec is None or len(topics) != len(spec.indexed) + 1:
            return None
        args: dict[str, Any] = {}
        for (arg, kind), topic in zip(spec.indexed, topics[1:], strict=True):
            args[arg] = _decode_topic(kind, topic)
        if spec.data_types:
            data = raw["data"]
            payload = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
            for arg, value in zip(spec.data_names, decode_abi(spec.data_types, payload), strict=True):
                args[arg] = value
        tx_hash, block_hash = raw["transactionHash"], raw.get("blockHash", "")
        return ChainEvent(
            name=spec.name,
            block_number=_hex_int(raw["blockNumber"]),
            tx_hash=tx_hash if isinstance(tx_hash, str) else "0x" + bytes(tx_hash).hex(),
            log_index=_hex_int(raw["logIndex"]),
            args=args,
            contract=self.contract,
            block_hash=block_hash if isinstance(block_hash, str) else "0x" + bytes(block_hash).hex(),
        )


# ------------------------------------------------------------------ errors


def decode_revert(data: Any, labels: Mapping[str, str] | None = None) -> errors.LedgerhouseError:
    """Turns revert data into the matching typed exception (imported late: it is generated)."""
    from client._contract_errors import ERRORS_BY_SELECTOR

    if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."}
        data = data.get("data")
    if isinstance(data, bytes | HexBytes):
        data = "0x" + bytes(data).hex()
    if not isinstance(data, str) or len(data) < 10:
        return errors.TransactionFailed("the contract reverted without a reason")
    selector, payload = data[:10].lower(), bytes.fromhex(data[10:])
    if selector == _ERROR_STRING:
        return errors.TransactionFailed(f"reverted: {abi_decode(['string'], payload)[0]}")
    if selector == _PANIC:
        return errors.TransactionFailed(
            f"the contract panicked with code {abi_decode(['uint256'], payload)[0]:#x}"
        )
    cls = ERRORS_BY_SELECTOR.get(selector)
    if cls is None:
        return errors.UnknownRevert(data)
    values = [
        to_checksum_address(v) if t == "address" else v
        for t, v in zip(cls.arg_types, abi_decode(list(cls.arg_types), payload), strict=True)
    ]
    return cls(*values, labels=labels)


def node_error(exc: BaseException) -> errors.LedgerhouseError:
    """The typed error for a raw web3 (or transport) failure."""
    if isinstance(exc, errors.LedgerhouseError):
        return exc
    if isinstance(exc, ContractLogicError):
        return decode_revert(exc.data)
    message = _message(exc)
    if isinstance(exc, MismatchedABI | Web3ValidationError):
        return errors.InvalidInput(f"a value does not fit the contract's types: {message}")
    if isinstance(exc, OSError):
        return errors.ChainUnavailable(f"lost the JSON-RPC node: {message}")
    return _answered_error(message)


def _answered_error(message: str, what: str = "the request") -> errors.NodeError:
    """A node's error answer (not a contract's refusal) as NodeError, or StateUnavailable."""
    if any(marker in message.lower() for marker in _STATE_GONE):
        return errors.StateUnavailable(
            f"the node no longer holds that block's state: {message} "
            "(reading a past block needs an archive node)"
        )
    return errors.NodeError(f"the node refused {what}: {message}")


def _message(exc: Any) -> str:
    args = getattr(exc, "args", ())
    first = args[0] if args else exc
    if isinstance(first, dict):
        return str(first.get("message", first))
    return " ".join(str(first).split()) or type(exc).__name__


def cause_of(exc: BaseException) -> str:
    """The innermost reason of `exc` in a few words (requests wraps a refused socket three deep)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError) or "Connection refused" in str(seen):
            return "connection refused (is the node running?)"
        if isinstance(seen, TimeoutError) or "timed out" in str(seen).lower():
            return "timed out"
        seen = seen.__cause__ or seen.__context__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def _state_pruned(response: Mapping[str, Any]) -> bool:
    error = response.get("error")
    return isinstance(error, dict) and "BlockOutOfRange" in str(error.get("message", ""))


def calldata(call: ContractFunction) -> HexStr:
    """The ABI-encoded call data of a bound contract call."""
    if not call.kwargs:
        try:
            return fast_calldata(call)
        except EncodingError:
            pass  # an argument web3 would normalise first (e.g. a hex string for bytes): let it
    # web3 has no public encoder on a bound ContractFunction; this one has been stable since v4.
    return HexStr(call._encode_transaction_data())


# ------------------------------------------------------------------ reading


@dataclass(frozen=True)
class LogQuery:
    """The logs of one contract (`codec`) matching `topics`, in blocks `from_block`..`to_block`."""

    codec: EventCodec
    topics: tuple[Topic, ...]
    from_block: int
    to_block: int


Block = int | str


class ChainReader:
    """JSON-RPC reads through one transport, retry and error policy (see the module's docstring)."""

    def __init__(
        self,
        w3: Web3,
        *,
        labels: Mapping[str, str] | None = None,
        batch_size: int = RPC_BATCH,
        retry_delays: Sequence[float] = RETRY_DELAYS_S,
        log_chunk_blocks: int = LOG_CHUNK_BLOCKS,
    ) -> None:
        self.w3 = w3
        self.labels: Mapping[str, str] = labels or {}
        self.batch_size = batch_size
        self.retry_delays = tuple(retry_delays)
        self.log_chunk_blocks = log_chunk_blocks

    # -------------------------------------------------------------- transport

    def batch(self, requests: Sequence[tuple[str, Any]], *, retry: bool = True) -> list[dict[str, Any]]:
        """The raw responses to `requests` (method, params), in order, sent `batch_size` at a time.

        `retry`: the requests are idempotent (reads, re-sends of signed bytes), so a transport
        failure is retried, and a read that raced a new block on a node without past states is
        asked once more."""
        out: list[dict[str, Any]] = []
        for start in range(0, len(requests), self.batch_size):
            out += self._send(requests[start : start + self.batch_size], retry=retry)
        return out

    def _send(self, part: Sequence[tuple[str, Any]], *, retry: bool) -> list[dict[str, Any]]:
        requests = [(RPCEndpoint(method), params) for method, params in part]
        for delay in (*(self.retry_delays if retry else ()), None):
            try:
                responses = self.w3.provider.make_batch_request(requests)  # type: ignore[attr-defined]
                break
            except OSError as exc:  # ChainUnavailable too: the provider's failover found no node
                if delay is None:
                    if isinstance(exc, errors.ChainUnavailable):
                        raise
                    raise errors.ChainUnavailable(
                        f"lost the JSON-RPC node during a batch: {cause_of(exc)}"
                    ) from exc
                time.sleep(delay)
        if not isinstance(responses, list):
            error = responses.get("error") if isinstance(responses, dict) else responses
            raise _answered_error(_message(error), f"a batch of {len(part)} requests")
        if len(responses) != len(part):
            raise errors.ChainUnavailable(
                f"the node answered {len(responses)} of {len(part)} batched requests"
            )
        if retry and any(_state_pruned(r) for r in responses):
            # A node that keeps no past states (anvil --prune-history) can mine a block between
            # resolving "latest" and running the read; the read itself is fine one block on.
            time.sleep(self.retry_delays[0] if self.retry_delays else RETRY_DELAYS_S[0])
            return self._send(part, retry=False)
        return [dict(r) for r in sorted(responses, key=lambda r: int(r.get("id", 0)))]

    def results(self, requests: Sequence[tuple[str, Any]], *, allow_null: bool = False) -> list[Any]:
        """Each read's result, in order; an error answer raises its typed error."""
        out = []
        for (method, _), response in zip(requests, self.batch(requests), strict=True):
            error = response.get("error")
            if error:
                data = error.get("data") if isinstance(error, dict) else None
                if data and method == "eth_call":
                    raise decode_revert(data, self.labels)
                raise _answered_error(_message(error), method)
            result = response.get("result")
            if result is None and not allow_null:
                raise errors.NodeError(f"the node answered {method} with nothing")
            out.append(result)
        return out

    def request(self, method: str, params: Any) -> Any:
        """One read (through the same policy as a batch of one)."""
        return self.results([(method, params)])[0]

    # -------------------------------------------------------------- contract calls

    def outcomes(
        self, calls: Sequence[ContractFunction], *, block: Block | Sequence[Block] = "latest"
    ) -> Iterator[tuple[Any, ...] | errors.LedgerhouseError]:
        """Each call's decoded outputs at `block` (or `block[i]`), or its decoded refusal, in order:
        sent a batch at a time as the caller consumes them."""
        for start in range(0, len(calls), self.batch_size):
            part = calls[start : start + self.batch_size]
            blocks = [block if isinstance(block, int | str) else block[start + i] for i in range(len(part))]
            requests = [
                ("eth_call", [{"to": call.address, "data": calldata(call)}, _tag(at)])
                for call, at in zip(part, blocks, strict=True)
            ]
            for call, at, response in zip(part, blocks, self._send(requests, retry=True), strict=True):
                error = response.get("error")
                if error:
                    data = error.get("data") if isinstance(error, dict) else None
                    if data:
                        yield decode_revert(data, self.labels)
                        continue
                    raise _answered_error(_message(error), f"a read of contract state at block {at}")
                types = _output_types(call)
                yield decode_abi(types, bytes.fromhex(str(response["result"])[2:]))

    def try_many(
        self, calls: Sequence[ContractFunction], *, block: Block | Sequence[Block] = "latest"
    ) -> list[tuple[Any, ...] | errors.LedgerhouseError]:
        """Each call's decoded outputs, or its decoded refusal in its place."""
        return list(self.outcomes(calls, block=block))

    def call_many(
        self, calls: Sequence[ContractFunction], *, block: Block | Sequence[Block] = "latest"
    ) -> list[tuple[Any, ...]]:
        """Each call's decoded outputs; the first refusal is raised (later batches are not sent)."""
        decoded: list[tuple[Any, ...]] = []
        for outcome in self.outcomes(calls, block=block):
            if isinstance(outcome, errors.LedgerhouseError):
                raise outcome
            decoded.append(outcome)
        return decoded

    # -------------------------------------------------------------- logs

    def logs(self, queries: Sequence[LogQuery]) -> list[list[ChainEvent]]:
        """The decoded logs of each query, oldest first: each query paged in `log_chunk_blocks`,
        every page of every query in one batched round trip (per `batch_size` pages). Logs a
        reorganisation removed, and logs no ABI of the codec describes, are left out."""
        requests: list[tuple[str, Any]] = []
        owner: list[int] = []
        for index, query in enumerate(queries):
            for start, stop in self.pages(query.from_block, query.to_block):
                params = {
                    "address": query.codec.address,
                    "fromBlock": hex(start),
                    "toBlock": hex(stop),
                    "topics": list(query.topics),
                }
                requests.append(("eth_getLogs", [params]))
                owner.append(index)
        found: list[list[ChainEvent]] = [[] for _ in queries]
        for index, raws in zip(owner, self.results(requests), strict=True):
            codec = queries[index].codec
            for raw in raws:
                if raw.get("removed"):
                    continue
                event = codec.decode(raw)
                if event is not None:
                    found[index].append(event)
        for events in found:
            events.sort(key=_position)
        return found

    def pages(self, from_block: int, to_block: int) -> list[tuple[int, int]]:
        """`from_block`..`to_block` in ranges of at most `log_chunk_blocks` blocks."""
        out = []
        start = from_block
        while start <= to_block:
            stop = min(start + self.log_chunk_blocks - 1, to_block)
            out.append((start, stop))
            start = stop + 1
        return out


def _tag(block: Block) -> str:
    return hex(block) if isinstance(block, int) else block


def _output_types(call: ContractFunction) -> list[str]:
    return [abi_type(o) for o in call.abi.get("outputs", [])]


def _position(event: ChainEvent) -> tuple[int, int]:
    return (event.block_number, event.log_index)
