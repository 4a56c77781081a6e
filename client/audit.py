"""Chain-only audit: a receipt's life, a voucher tree, a borrower's exposure, a warehouse's stock.

Every answer comes from the chain's JSON-RPC alone (eth_getLogs, eth_call, eth_getBlockByNumber),
never from the registry service, so an auditor needs to trust nobody's database.

Each audit is pinned to one block (`at_block`, by default the head when the audit starts): logs up
to that block, contract state at that block, so every part of a report describes the same moment.
Logs come in block chunks filtered by the indexed topics (receipt id, lot, warehouse, root), every
request goes out in JSON-RPC batches, and each block's timestamp is fetched once. What the events
say is replayed and checked against what the contracts hold; a disagreement is a finding.

    from client import Ledgerhouse
    from client.audit import audit_receipt
    report = audit_receipt(Ledgerhouse.connect(RPC), 17, at_block=1200)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar, get_args, get_type_hints

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import RPCEndpoint

from client._contract import LOG_CHUNK_BLOCKS, ChainEvent, _abi_type, event_signature, topic_of
from client._encoding import as_money, decode_code, from_base_units, timestamp, valid_until
from client._typed import typed_errors
from client._types import Role
from client.artifacts import load_artifact
from client.chain import calldata, checksum, decode_revert
from client.errors import ChainUnavailable, InvalidInput, LedgerhouseError
from client.receipts import LienState
from client.receivables import VoucherStatus

if TYPE_CHECKING:
    from client import Ledgerhouse

__all__ = [
    "ExposureAudit",
    "ExposureItem",
    "LenderTotal",
    "LienSummary",
    "LotAudit",
    "LotEvent",
    "PieceAudit",
    "ReceiptAudit",
    "ReceiptEntry",
    "ReceiptState",
    "SumCheck",
    "TreeDoesNotClose",
    "VoucherAudit",
    "VoucherEntry",
    "WarehouseAudit",
    "audit_exposure",
    "audit_receipt",
    "audit_voucher",
    "audit_warehouse",
    "parse_block",
]

RPC_BATCH = 250  # requests per JSON-RPC batch (one HTTP round trip)
TOPIC_OR_CHUNK = 200  # ids or lots in one topic OR-list of an eth_getLogs filter
VOUCHERS_PER_ROOT = 1_000_000  # voucher ids encode their root: root n * 1,000,000, pieces + 1, + 2, ...
ZERO_ADDRESS = "0x" + "00" * 20

T = TypeVar("T")


class TreeDoesNotClose(LedgerhouseError):
    """A voucher tree's sums do not add up: live pieces plus what was paid is not the face value."""


# ------------------------------------------------------------------ reading the chain


@lru_cache(maxsize=65_536)
def _address(value: str) -> str:
    return to_checksum_address(value)


def _topic_address(topic: str) -> str:
    return _address("0x" + topic[-40:])


def _hex_int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _hex32(value: bytes) -> str:
    return "0x" + bytes(value).hex()


class _Codec:
    """Decodes one contract's raw logs without web3's per-log machinery (thousands per audit)."""

    def __init__(self, contract: Contract, artifact: str) -> None:
        self.contract = contract
        self.address = contract.address
        self.topic: dict[str, str] = {}
        self._events: dict[str, tuple[str, list[tuple[str, str]], list[str], list[str]]] = {}
        for item in load_artifact(artifact).abi:
            if item["type"] != "event":
                continue
            entry = dict(item)
            topic0 = "0x" + keccak(text=event_signature(entry)).hex()
            inputs = [dict(i) for i in entry["inputs"]]
            indexed = [(str(i["name"]), _abi_type(i)) for i in inputs if i.get("indexed")]
            data = [i for i in inputs if not i.get("indexed")]
            self.topic[str(entry["name"])] = topic0
            self._events[topic0] = (
                str(entry["name"]),
                indexed,
                [str(i["name"]) for i in data],
                [_abi_type(i) for i in data],
            )

    def decode(self, raw: dict[str, Any]) -> ChainEvent | None:
        topics = [str(t) for t in raw["topics"]]
        spec = self._events.get(topics[0]) if topics else None
        if spec is None:
            return None
        name, indexed, data_names, data_types = spec
        args: dict[str, Any] = {}
        for (arg, kind), topic in zip(indexed, topics[1:], strict=False):
            args[arg] = _decode_topic(kind, topic)
        if data_types:
            values = _abi_decode(data_types, bytes.fromhex(str(raw["data"])[2:]))
            for arg, kind, value in zip(data_names, data_types, values, strict=True):
                args[arg] = _normalise(kind, value)
        return ChainEvent(
            name=name,
            block_number=_hex_int(raw["blockNumber"]),
            tx_hash=str(raw["transactionHash"]),
            log_index=_hex_int(raw["logIndex"]),
            args=args,
        )


_Word = Callable[[bytes], Any]


def _word_decoder(kind: str) -> _Word | None:
    """How to read one 32-byte word of a static elementary type, or None for any other type."""
    if kind == "address":
        return lambda word: _address("0x" + word[12:].hex())
    if kind == "bool":
        return lambda word: word[31] != 0
    if kind.startswith("uint") and kind[4:].isdigit():
        return lambda word: int.from_bytes(word, "big")
    if kind.startswith("bytes") and kind[5:].isdigit() and 1 <= int(kind[5:]) <= 32:
        size = int(kind[5:])
        return lambda word: word[:size]
    return None


@lru_cache(maxsize=256)
def _static_plan(types: tuple[str, ...]) -> list[list[_Word] | _Word] | None:
    """Word readers for `types` if every one is static (elementary, or a tuple of elementary)."""
    plan: list[list[_Word] | _Word] = []
    for kind in types:
        if kind.startswith("(") and kind.endswith(")"):
            members = [_word_decoder(k) for k in kind[1:-1].split(",")]
            if any(m is None for m in members) or "(" in kind[1:]:
                return None
            plan.append([m for m in members if m is not None])
        else:
            reader = _word_decoder(kind)
            if reader is None:
                return None
            plan.append(reader)
    return plan


def _abi_decode(types: list[str], data: bytes) -> tuple[Any, ...]:
    """ABI-decodes `data`; static layouts (most events, every view here) by slicing 32-byte words,
    tens of times faster than eth_abi, which decodes the rest (arrays, strings)."""
    plan = _static_plan(tuple(types))
    words = sum(len(p) if isinstance(p, list) else 1 for p in plan) if plan is not None else 0
    if plan is None or len(data) < 32 * words:
        return tuple(abi_decode(types, data))
    out: list[Any] = []
    offset = 0
    for step in plan:
        if isinstance(step, list):
            out.append(
                tuple(read(data[offset + 32 * i : offset + 32 * i + 32]) for i, read in enumerate(step))
            )
            offset += 32 * len(step)
        else:
            out.append(step(data[offset : offset + 32]))
            offset += 32
    return tuple(out)


def _decode_topic(kind: str, topic: str) -> Any:
    if kind == "address":
        return _topic_address(topic)
    if kind.startswith(("uint", "int")):
        return int(topic, 16)
    if kind == "bool":
        return int(topic, 16) != 0
    return bytes.fromhex(topic[2:])  # bytesN, or the hash of a dynamic value


def _normalise(kind: str, value: Any) -> Any:
    if kind == "address":
        return _address(str(value))
    if kind == "address[]":
        return [_address(str(v)) for v in value]
    if isinstance(value, tuple):
        return list(value)
    return value


Topic = str | list[str] | None


@dataclass(frozen=True)
class _LogQuery:
    codec: _Codec
    topics: tuple[Topic, ...]
    from_block: int
    to_block: int


class _Chain:
    """JSON-RPC reads of one Ledgerhouse deployment, pinned to one block."""

    def __init__(self, lh: Ledgerhouse, at_block: int | None) -> None:
        self.w3 = lh.w3
        self.labels = dict(lh.labels)
        self.first_block = lh.manifest.deployment_block
        self.receipts = _Codec(lh.receipts.contract, lh.receipts.ARTIFACT)
        self.receivables = _Codec(lh.receivables.contract, lh.receivables.ARTIFACT)
        self.registry = lh.participants.contract
        self.receipts_contract = lh.receipts.contract
        self.receivables_contract = lh.receivables.contract
        head = int(self.w3.eth.block_number)
        if at_block is not None and at_block > head:
            raise InvalidInput(f"--at-block {at_block} is beyond the chain head (block {head})")
        self.block = head if at_block is None else at_block
        self._times: dict[int, datetime] = {}

    # -------------------------------------------------------------- batches

    def run(self, jobs: Sequence[tuple[str, list[Any], Callable[[dict[str, Any]], T]]]) -> list[T]:
        """Sends `jobs` (method, params, parser of the raw response) in JSON-RPC batches, in order."""
        results: list[T] = []
        for start in range(0, len(jobs), RPC_BATCH):
            part = jobs[start : start + RPC_BATCH]
            requests = [(RPCEndpoint(method), params) for method, params, _ in part]
            try:
                responses = self.w3.provider.make_batch_request(requests)  # type: ignore[attr-defined]
            except OSError as exc:
                raise ChainUnavailable(f"lost the JSON-RPC node during an audit read: {exc}") from exc
            if not isinstance(responses, list):
                error = responses.get("error") if isinstance(responses, dict) else responses
                raise ChainUnavailable(f"the node refused a batch of audit reads: {_message(error)}")
            ordered = sorted(responses, key=lambda r: int(r.get("id", 0)))
            if len(ordered) != len(part):
                raise ChainUnavailable(f"the node answered {len(ordered)} of {len(part)} batched reads")
            for (method, _, parse), response in zip(part, ordered, strict=True):
                if response.get("error") and method != "eth_call":
                    raise ChainUnavailable(f"{method} failed: {_message(response['error'])}")
                results.append(parse(dict(response)))
        return results

    def logs(self, queries: Sequence[_LogQuery]) -> list[list[ChainEvent]]:
        """The decoded logs of each query, oldest first: every query in block chunks, one batch in all."""
        jobs: list[tuple[str, list[Any], Callable[[dict[str, Any]], list[dict[str, Any]]]]] = []
        owner: list[int] = []
        for index, query in enumerate(queries):
            start = max(query.from_block, self.first_block)
            end = min(query.to_block, self.block)
            while start <= end:
                stop = min(start + LOG_CHUNK_BLOCKS - 1, end)
                params = {
                    "address": query.codec.address,
                    "fromBlock": hex(start),
                    "toBlock": hex(stop),
                    "topics": list(query.topics),
                }
                jobs.append(("eth_getLogs", [params], _result_list))
                owner.append(index)
                start = stop + 1
        found: list[list[ChainEvent]] = [[] for _ in queries]
        for index, raws in zip(owner, self.run(jobs), strict=True):
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

    def query(self, codec: _Codec, *topics: Topic, from_block: int = 0) -> _LogQuery:
        return _LogQuery(codec, tuple(topics), from_block, self.block)

    def calls(
        self, calls: Sequence[ContractFunction], *, blocks: Sequence[int] | None = None
    ) -> list[tuple[Any, ...] | LedgerhouseError]:
        """Each call's decoded outputs at the audited block (or `blocks[i]`), or its decoded revert."""
        jobs = []
        for i, call in enumerate(calls):
            block = self.block if blocks is None else blocks[i]
            types = [_abi_type(dict(o)) for o in call.abi.get("outputs", [])]
            jobs.append(
                (
                    "eth_call",
                    [{"to": call.address, "data": calldata(call)}, hex(block)],
                    self._call_parser(types, block),
                )
            )
        return self.run(jobs)

    def _call_parser(
        self, types: list[str], block: int
    ) -> Callable[[dict[str, Any]], tuple[Any, ...] | LedgerhouseError]:
        def parse(response: dict[str, Any]) -> tuple[Any, ...] | LedgerhouseError:
            error = response.get("error")
            if error:
                data = error.get("data") if isinstance(error, dict) else None
                if data:
                    return decode_revert(data, self.labels)
                raise ChainUnavailable(
                    f"the node cannot read contract state at block {block}: {_message(error)} "
                    "(auditing a past block needs an archive node)"
                )
            return _abi_decode(types, bytes.fromhex(str(response["result"])[2:]))

        return parse

    def state(self, calls: Sequence[ContractFunction]) -> list[tuple[Any, ...]]:
        """Like `calls`, for reads that cannot revert: a revert is raised."""
        out = []
        for result in self.calls(calls):
            if isinstance(result, LedgerhouseError):
                raise result
            out.append(result)
        return out

    def times(self, blocks: Iterable[int]) -> dict[int, datetime]:
        """Each block's timestamp (UTC), fetched once per block in batches."""
        missing = sorted({b for b in blocks if b not in self._times})
        jobs = [("eth_getBlockByNumber", [hex(b), False], _block_time) for b in missing]
        for block, when in zip(missing, self.run(jobs), strict=True):
            self._times[block] = when
        return self._times

    def time_of(self, block: int) -> datetime:
        return self.times([block])[block]


def _message(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message", error))
    return str(error)


def _result_list(response: dict[str, Any]) -> list[dict[str, Any]]:
    result = response.get("result")
    return [dict(r) for r in result] if isinstance(result, list) else []


def _block_time(response: dict[str, Any]) -> datetime:
    block = response.get("result")
    if not isinstance(block, dict):
        raise ChainUnavailable("the node has no such block")
    return timestamp(_hex_int(block["timestamp"]))


def _position(event: ChainEvent) -> tuple[int, int]:
    return (event.block_number, event.log_index)


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def parse_block(text: str | None) -> int | None:
    """An `--at-block` value: a block number (0 or more), or None for the chain head."""
    if text is None:
        return None
    value = text.strip()
    if not value.isdigit():
        raise InvalidInput(f"--at-block {text!r} must be a block number (a whole number, 0 or more)")
    return int(value)


# ------------------------------------------------------------------ JSON and CSV


def _json(value: Any) -> Any:
    """A report as JSON: dataclasses by field, Decimal as strings, UTC ISO times, enums by label."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in fields(value) if f.repr}
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, Enum):
        label = getattr(value, "label", None)
        return label if isinstance(label, str) else value.name.lower()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        label = getattr(value, "label", None)
        return label if isinstance(label, str) else value.name.lower()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(_cell(v) for v in value)
    return str(value)


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def _nested(hint: Any) -> type[Any] | None:
    """The dataclass a field holds (`X` or `X | None`), if any."""
    for candidate in (hint, *get_args(hint)):
        if isinstance(candidate, type) and is_dataclass(candidate):
            return candidate
    return None


def _flat(value: Any, cls: type[Any], *, skip: Iterable[str] = (), prefix: str = "") -> dict[str, str]:
    """A record as one CSV row: nested records become `<field>_<subfield>` columns (blank if None)."""
    hints = _hints(cls)
    out: dict[str, str] = {}
    for f in fields(cls):
        if f.name in skip or not f.repr:
            continue
        item = getattr(value, f.name) if value is not None else None
        nested = _nested(hints[f.name])
        if nested is not None:
            out.update(_flat(item, nested, prefix=f"{prefix}{f.name}_"))
        else:
            out[prefix + f.name] = _cell(item)
    return out


def _table(cls: type[Any], rows: list[dict[str, str]], **fixed: Any) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV of `cls` records, `fixed` columns first."""
    header = [*fixed, *_flat(None, cls)]
    first = {k: _cell(v) for k, v in fixed.items()}
    return header, [[{**first, **row}[c] for c in header] for row in rows]


# ------------------------------------------------------------------ receipts


@dataclass(frozen=True)
class LotEvent:
    """A stocktake, a shortfall it found, or a lot unfrozen (by a covering count or a regulator)."""

    event: str
    lot_id: str
    block: int
    time: datetime
    tx_hash: str
    log_index: int
    by: str
    warehouse: str
    attested: Decimal | None = None
    receipted: Decimal | None = None
    shortfall: Decimal | None = None
    lenders: tuple[str, ...] = ()
    pledged_receipts: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReceiptEntry:
    """One event in a receipt's life. `scope` is `receipt` (its own), `inherited` (its split
    parent's, before the split; `receipt_id` names that parent) or `lot` (its lot, while it lived)."""

    event: str
    receipt_id: int
    scope: str
    block: int
    time: datetime
    tx_hash: str
    log_index: int
    by: str | None
    counterparty: str | None
    quantity: Decimal | None
    unit: str | None
    amount: Decimal | None
    currency: str | None
    detail: str


@dataclass(frozen=True)
class LienSummary:
    state: str  # requested | active
    lender: str
    request_seq: int
    loan_maturity: datetime
    secured_amount: Decimal | None
    currency: str | None
    loan_ref: str | None


@dataclass(frozen=True)
class ReceiptState:
    """The receipt at the audited block, as the contract holds it (events only for a burned one)."""

    exists: bool
    # live | pledged | pledge-requested | frozen | lot-frozen | delivery-requested | delivered | merged
    status: str
    owner: str | None
    quantity: Decimal
    frozen: bool
    lot_frozen: bool
    delivery_requested: bool
    expires_at: datetime | None
    lien: LienSummary | None
    merged_into: int | None = None


@dataclass(frozen=True)
class ReceiptAudit:
    receipt_id: int
    at_block: int
    at_time: datetime
    lot_id: str
    commodity: str
    unit: str
    minted_by: str  # the issuing warehouse
    minted_at_block: int
    mint_tx: str
    split_from: list[int]  # the split parents, nearest first (empty for a minted receipt)
    stocktake: LotEvent | None  # the stocktake of its lot that preceded the mint
    history: list[ReceiptEntry]
    state: ReceiptState
    findings: list[str]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _json(self)
        return data

    def csv_table(self) -> tuple[list[str], list[list[str]]]:
        """The history, one row per entry."""
        return _table(ReceiptEntry, [_flat(e, ReceiptEntry) for e in self.history])


# Receipt events whose first indexed topic is a receipt id.
_RECEIPT_EVENTS = frozenset(
    {
        "ReceiptMinted",
        "ReceiptSplit",
        "ReceiptsMerged",
        "PledgeRequested",
        "PledgeRequestCancelled",
        "PledgeAccepted",
        "PledgeReleased",
        "Foreclosed",
        "ReceiptFreezeOrdered",
        "ReceiptFreezeLifted",
        "DeliveryRequested",
        "DeliveryRequestCancelled",
        "Delivered",
    }
)
_LOT_EVENTS = ("StocktakeRecorded", "StockShortfall", "LotUnfrozen")


@dataclass
class _Tracked:
    """A receipt as replayed from the events."""

    owner: str
    quantity: int
    burned: str | None = None  # "delivered" | "merged"
    frozen: bool = False  # a judicial freeze (a lot's freeze is read from the lot)
    merged_into: int | None = None
    requests: dict[int, ChainEvent] = field(default_factory=dict)  # request seq -> PledgeRequested


@typed_errors
def audit_receipt(lh: Ledgerhouse, receipt_id: int, *, at_block: int | None = None) -> ReceiptAudit:
    """The full life of a receipt up to `at_block` (default: now) and its state at that block."""
    chain = _Chain(lh, at_block)
    if receipt_id <= 0:
        raise InvalidInput(f"receipt id {receipt_id} must be a positive whole number")

    # Its own events, then each split parent's up to the split that created the part.
    lineage: list[tuple[int, list[ChainEvent]]] = []
    subject, cut = receipt_id, None
    while True:
        events = _own_receipt_events(chain, subject)
        if cut is not None:
            events = [e for e in events if _position(e) <= cut]
        if not events:
            if subject == receipt_id:
                raise InvalidInput(
                    f"receipt {receipt_id} was never minted (no event names it up to block {chain.block})"
                )
            raise ChainUnavailable(
                f"receipt {subject}, a split parent, has no events: the node's logs are incomplete"
            )
        lineage.append((subject, events))
        if any(e.name == "ReceiptMinted" for e in events):
            break
        split = _split_creating(chain, subject, events[0])  # its first event: the part's mint Transfer
        if split is None:
            raise ChainUnavailable(f"cannot tell how receipt {subject} was created from the chain's logs")
        subject, cut = int(split.args["receiptId"]), _position(split)

    mint = next(e for e in lineage[-1][1] if e.name == "ReceiptMinted")
    lot_id = _hex32(mint.args["lotId"])
    [lot_events] = chain.logs(
        [chain.query(chain.receipts, [chain.receipts.topic[n] for n in _LOT_EVENTS], lot_id)]
    )
    stocktake = next(
        (e for e in reversed(lot_events) if e.name == "StocktakeRecorded" and _position(e) < _position(mint)),
        None,
    )
    decimals = int(stocktake.args["decimals"]) if stocktake else 0
    unit = decode_code(stocktake.args["unit"]) if stocktake else ""
    commodity = decode_code(stocktake.args["commodity"]) if stocktake else ""

    tagged: list[tuple[ChainEvent, int, str]] = []
    for subject, events in lineage:
        scope = "receipt" if subject == receipt_id else "inherited"
        tagged += [(e, subject, scope) for e in events if _shown(e, events)]
    own_events = lineage[0][1]
    end = next(
        (
            _position(e)
            for e in own_events
            if (e.name == "Delivered" and e.args["burned"])
            or (e.name == "ReceiptsMerged" and int(e.args["mergedId"]) == receipt_id)
        ),
        (chain.block + 1, 0),
    )
    tagged += [
        (e, receipt_id, "lot")
        for e in lot_events
        if e.name in ("StockShortfall", "LotUnfrozen") and _position(mint) < _position(e) <= end
    ]
    tagged.sort(key=lambda t: _position(t[0]))

    # Contract state at the block, the registry at the mint, and every block time: one batch each.
    contract = chain.receipts_contract
    reads = chain.calls(
        [
            contract.functions.receipt(receipt_id),
            contract.functions.lien(receipt_id),
            contract.functions.lot(mint.args["lotId"]),
        ],
        blocks=[chain.block, chain.block, chain.block],
    )
    # The registry as it stood at the mint: its past state, or its events where the node has none.
    standing = lh.participants.standing_at(str(mint.args["warehouse"]), Role.WAREHOUSE, mint.block_number)
    times = chain.times(
        [e.block_number for e, _, _ in tagged]
        + [chain.block]
        + ([stocktake.block_number] if stocktake else [])
    )

    tracked: dict[int, _Tracked] = {}
    history = [
        _receipt_entry(event, subject, scope, tracked, times, decimals, unit)
        for event, subject, scope in tagged
    ]
    findings: list[str] = []
    state = _receipt_state(receipt_id, reads, tracked.get(receipt_id), decimals, findings)
    if stocktake is None:
        findings.append("no stocktake of its lot precedes the mint")
    if standing is not None:
        findings.append(
            f"minted by {mint.args['warehouse']}, which was not an active warehouse in block "
            f"{mint.block_number}: {standing}"
        )
    return ReceiptAudit(
        receipt_id=receipt_id,
        at_block=chain.block,
        at_time=times[chain.block],
        lot_id=lot_id,
        commodity=commodity,
        unit=unit,
        minted_by=str(mint.args["warehouse"]),
        minted_at_block=mint.block_number,
        mint_tx=mint.tx_hash,
        split_from=[subject for subject, _ in lineage[1:]],
        stocktake=_lot_event(stocktake, times, decimals) if stocktake else None,
        history=history,
        state=state,
        findings=findings,
    )


def _own_receipt_events(chain: _Chain, receipt_id: int) -> list[ChainEvent]:
    codec, topic = chain.receipts, topic_of(receipt_id)
    by_id, transfers, merged = chain.logs(
        [
            chain.query(codec, None, topic),
            chain.query(codec, codec.topic["Transfer"], None, None, topic),
            chain.query(codec, codec.topic["ReceiptsMerged"], None, topic),
        ]
    )
    unique = {
        _position(e): e for e in [*(e for e in by_id if e.name in _RECEIPT_EVENTS), *transfers, *merged]
    }
    return sorted(unique.values(), key=_position)


def _split_creating(chain: _Chain, receipt_id: int, created: ChainEvent) -> ChainEvent | None:
    """The ReceiptSplit that created `receipt_id` (in the transaction of its first event)."""
    codec = chain.receipts
    block = created.block_number
    [splits] = chain.logs([_LogQuery(codec, (codec.topic["ReceiptSplit"],), block, block)])
    for split in splits:
        first = int(split.args["firstNewId"])
        if (
            split.tx_hash == created.tx_hash
            and first <= receipt_id < first + len(split.args["quantities"]) - 1
        ):
            return split
    return None


def _shown(event: ChainEvent, events: list[ChainEvent]) -> bool:
    """ERC-721 Transfers that only echo a mint, split, burn or foreclosure are left out."""
    if event.name != "Transfer":
        return True
    if int(str(event.args["from"]), 16) == 0 or int(str(event.args["to"]), 16) == 0:
        return False
    return not any(e.name == "Foreclosed" and e.tx_hash == event.tx_hash for e in events)


def _receipt_entry(
    event: ChainEvent,
    subject: int,
    scope: str,
    tracked: dict[int, _Tracked],
    times: dict[int, datetime],
    decimals: int,
    unit: str,
) -> ReceiptEntry:
    a = event.args

    def qty(base: int) -> Decimal:
        return from_base_units(int(base), decimals)

    state = tracked.get(subject)
    owner = state.owner if state else None
    by: str | None = None
    counterparty: str | None = None
    quantity: Decimal | None = None
    amount: Decimal | None = None
    currency: str | None = None
    detail = ""
    name = event.name
    if name == "ReceiptMinted":
        tracked[subject] = _Tracked(owner=str(a["owner"]), quantity=int(a["quantity"]))
        by, counterparty, quantity = str(a["warehouse"]), str(a["owner"]), qty(a["quantity"])
        detail = "minted"
        if int(a["expiresAt"]):
            detail += f", expires {valid_until(int(a['expiresAt'])).date().isoformat()}"
        if int.from_bytes(a["itemsRoot"], "big"):
            detail += ", serialized"
    elif name == "Transfer":
        by, counterparty = str(a["from"]), str(a["to"])
        if state:
            state.owner = counterparty
            quantity = qty(state.quantity)
        detail = "endorsed"
    elif name == "ReceiptSplit":
        parts = [int(q) for q in a["quantities"]]
        first = int(a["firstNewId"])
        ids = [subject, *range(first, first + len(parts) - 1)]
        by, quantity = owner, qty(parts[0])
        for part_id, part in zip(ids[1:], parts[1:], strict=True):
            tracked[part_id] = _Tracked(owner=owner or "", quantity=part)
        if state:
            state.quantity = parts[0]
        detail = "split into " + ", ".join(
            f"receipt {i}: {qty(q)} {unit}" for i, q in zip(ids, parts, strict=True)
        )
    elif name == "ReceiptsMerged":
        kept, gone = int(a["keptId"]), int(a["mergedId"])
        by, quantity = owner, qty(a["quantity"])
        if kept in tracked:
            tracked[kept].quantity = int(a["quantity"])
        if gone in tracked:
            tracked[gone].burned, tracked[gone].merged_into, tracked[gone].quantity = "merged", kept, 0
        detail = f"receipt {gone} merged into receipt {kept}"
    elif name == "PledgeRequested":
        if state:
            state.requests[int(a["requestSeq"])] = event
        by, counterparty = str(a["owner"]), str(a["lender"])
        amount, currency = as_money(int(a["securedAmount"])), decode_code(a["currency"])
        detail = (
            f"request {a['requestSeq']}, loan matures {timestamp(int(a['loanMaturity'])).date().isoformat()}"
        )
    elif name in ("PledgeRequestCancelled", "PledgeAccepted"):
        by = owner if name == "PledgeRequestCancelled" else str(a["lender"])
        counterparty = str(a["lender"]) if name == "PledgeRequestCancelled" else owner
        request = state.requests.get(int(a["requestSeq"])) if state else None
        if request is not None:
            amount = as_money(int(request.args["securedAmount"]))
            currency = decode_code(request.args["currency"])
        verb = "withdrawn" if name == "PledgeRequestCancelled" else "accepted: lien active"
        detail = f"request {a['requestSeq']} {verb}"
    elif name == "PledgeReleased":
        by, counterparty, detail = str(a["lender"]), owner, "lien released"
    elif name == "Foreclosed":
        by, counterparty = str(a["lender"]), str(a["to"])
        if state:
            state.owner = counterparty
            quantity = qty(state.quantity)
        detail = f"foreclosed on {a['formerOwner']}"
    elif name in ("ReceiptFreezeOrdered", "ReceiptFreezeLifted"):
        by, detail = str(a["regulator"]), str(a["reason"])
        if state:
            state.frozen = name == "ReceiptFreezeOrdered"
    elif name == "DeliveryRequested":
        by, counterparty, quantity = str(a["owner"]), str(a["warehouse"]), qty(a["quantity"])
        detail = "delivery requested"
    elif name == "DeliveryRequestCancelled":
        by, detail = str(a["owner"]), "delivery request withdrawn"
    elif name == "Delivered":
        by, counterparty, quantity = str(a["warehouse"]), str(a["owner"]), qty(a["quantity"])
        if state:
            state.quantity -= int(a["quantity"])
            if a["burned"]:
                state.burned = "delivered"
        detail = (
            "delivered; receipt burned"
            if a["burned"]
            else f"delivered; {qty(state.quantity) if state else '?'} {unit} remain"
        )
    elif name == "StockShortfall":
        by, quantity = str(a["inspector"]), qty(a["shortfall"])
        lenders = ", ".join(a["lenders"]) or "none"
        detail = (
            f"lot frozen: {qty(a['attested'])} {unit} attested, {qty(a['receipted'])} {unit} receipted; "
            f"lenders alerted: {lenders}"
        )
    elif name == "LotUnfrozen":
        by, detail = str(a["by"]), "lot unfrozen"
    return ReceiptEntry(
        event=name,
        receipt_id=subject,
        scope=scope,
        block=event.block_number,
        time=times[event.block_number],
        tx_hash=event.tx_hash,
        log_index=event.log_index,
        by=by,
        counterparty=counterparty,
        quantity=quantity,
        unit=unit if quantity is not None else None,
        amount=amount,
        currency=currency,
        detail=detail,
    )


def _lot_event(event: ChainEvent, times: dict[int, datetime], decimals: int) -> LotEvent:
    a = event.args

    def qty(name: str) -> Decimal | None:
        return from_base_units(int(a[name]), decimals) if name in a else None

    return LotEvent(
        event=event.name,
        lot_id=_hex32(a["lotId"]),
        block=event.block_number,
        time=times[event.block_number],
        tx_hash=event.tx_hash,
        log_index=event.log_index,
        by=str(a.get("inspector") or a.get("by")),
        warehouse=str(a["warehouse"]),
        attested=qty("attested"),
        receipted=qty("receipted"),
        shortfall=qty("shortfall"),
        lenders=tuple(a.get("lenders", ())),
        pledged_receipts=tuple(int(i) for i in a.get("pledgedReceipts", ())),
    )


def _receipt_state(
    receipt_id: int,
    reads: list[tuple[Any, ...] | LedgerhouseError],
    replayed: _Tracked | None,
    decimals: int,
    findings: list[str],
) -> ReceiptState:
    raw_receipt, raw_lien, raw_lot = reads[0], reads[1], reads[2]
    lot_frozen = not isinstance(raw_lot, LedgerhouseError) and bool(raw_lot[0][8])
    if isinstance(raw_receipt, LedgerhouseError):
        if replayed is None or replayed.burned is None:
            findings.append(f"the contract does not know receipt {receipt_id}, but no event burned it")
        return ReceiptState(
            exists=False,
            status=replayed.burned if replayed and replayed.burned else "missing",
            owner=None,
            quantity=Decimal(0),
            frozen=False,
            lot_frozen=lot_frozen,
            delivery_requested=False,
            expires_at=None,
            lien=None,
            merged_into=replayed.merged_into if replayed else None,
        )
    owner_raw, _, _, quantity, expires_at, _, frozen_any, delivery, _ = raw_receipt[0]
    owner = _address(str(owner_raw))
    frozen = bool(replayed and replayed.frozen)
    if bool(frozen_any) != (frozen or lot_frozen):
        findings.append(
            f"the contract says frozen={bool(frozen_any)}, the events say judicial freeze={frozen} "
            f"and lot frozen={lot_frozen}"
        )
    lien = None
    if not isinstance(raw_lien, LedgerhouseError):
        lender, maturity, lien_state, seq = raw_lien[0]
        if LienState(int(lien_state)) is not LienState.NONE:
            request = replayed.requests.get(int(seq)) if replayed else None
            lien = LienSummary(
                state="active" if LienState(int(lien_state)) is LienState.ACTIVE else "requested",
                lender=_address(str(lender)),
                request_seq=int(seq),
                loan_maturity=timestamp(int(maturity)),
                secured_amount=as_money(int(request.args["securedAmount"])) if request else None,
                currency=decode_code(request.args["currency"]) if request else None,
                loan_ref=_hex32(request.args["loanRef"]) if request else None,
            )
            if request is None:
                findings.append(f"lien request {seq} has no PledgeRequested event")
    if frozen:
        status = "frozen"
    elif lot_frozen:
        status = "lot-frozen"
    elif lien is not None:
        status = "pledged" if lien.state == "active" else "pledge-requested"
    elif delivery:
        status = "delivery-requested"
    else:
        status = "live"
    if replayed is not None and (replayed.owner != owner or replayed.quantity != int(quantity)):
        findings.append(
            f"the events say {from_base_units(replayed.quantity, decimals)} held by {replayed.owner}, "
            f"the contract says {from_base_units(int(quantity), decimals)} held by {owner}"
        )
    return ReceiptState(
        exists=True,
        status=status,
        owner=owner,
        quantity=from_base_units(int(quantity), decimals),
        frozen=frozen,
        lot_frozen=lot_frozen,
        delivery_requested=bool(delivery),
        expires_at=valid_until(int(expires_at)) if int(expires_at) else None,
        lien=lien,
    )


# ------------------------------------------------------------------ vouchers


@dataclass(frozen=True)
class VoucherEntry:
    """One event of a voucher tree; `voucher_id` is the piece it is about (the root for root events)."""

    event: str
    voucher_id: int
    block: int
    time: datetime
    tx_hash: str
    log_index: int
    by: str | None
    counterparty: str | None
    amount: Decimal | None
    detail: str


@dataclass(frozen=True)
class DiscountRecord:
    lender: str
    seller: str
    value: Decimal
    price: Decimal
    rate_bps: int
    days_to_maturity: int
    block: int
    time: datetime
    tx_hash: str


@dataclass(frozen=True)
class PledgeRecord:
    """The last pledge of a piece: requested, accepted, released, cancelled or discharged by payment."""

    lender: str
    secured_amount: Decimal
    loan_maturity: datetime | None
    state: str
    block: int
    time: datetime
    tx_hash: str


@dataclass(frozen=True)
class SettlementRecord:
    kind: str  # settled | redeemed
    value: Decimal
    holder: str
    payer: str | None
    lienholder: str | None
    block: int
    time: datetime
    tx_hash: str


@dataclass(frozen=True)
class PieceAudit:
    voucher_id: int
    parent_id: int | None
    tier: int
    relation: str  # root | ancestor | self | descendant | other (relative to the audited voucher)
    holder: str
    value: Decimal
    status: VoucherStatus
    overdue: bool
    created_block: int
    created_time: datetime
    created_tx: str
    discount: DiscountRecord | None
    pledge: PledgeRecord | None
    settlement: SettlementRecord | None


@dataclass(frozen=True)
class SumCheck:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class VoucherAudit:
    voucher_id: int
    root_id: int
    at_block: int
    at_time: datetime
    obligor: str
    lender: str
    payer: str | None
    currency: str
    face_value: Decimal
    maturity: datetime
    issued_block: int
    issued_time: datetime
    funded: bool
    ancestors: list[int]  # nearest first, ending with the root
    descendants: list[int]
    pieces: list[PieceAudit]  # the whole tree: root first, then in order of creation
    history: list[VoucherEntry]
    live_total: Decimal
    paid_total: Decimal
    checks: list[SumCheck]

    @property
    def closes(self) -> bool:
        return all(check.ok for check in self.checks)

    def lineage(self) -> set[int]:
        return {self.voucher_id, *self.ancestors, *self.descendants}

    def require_closed(self) -> None:
        """Raises TreeDoesNotClose naming the first failed check."""
        failed = [c for c in self.checks if not c.ok]
        if failed:
            raise TreeDoesNotClose(
                f"root {self.root_id} does not close at block {self.at_block}: {failed[0].detail}"
            )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _json(self)
        data["closes"] = self.closes
        return data

    def csv_table(self) -> tuple[list[str], list[list[str]]]:
        """The tree, one row per piece, with its last discount, pledge and payment."""
        return _table(PieceAudit, [_flat(p, PieceAudit) for p in self.pieces], root_id=self.root_id)


_LIVE = frozenset(
    {
        VoucherStatus.ACTIVE,
        VoucherStatus.OFFERED_FOR_DISCOUNT,
        VoucherStatus.PLEDGE_REQUESTED,
        VoucherStatus.PLEDGED,
    }
)


@dataclass
class _Piece:
    """A voucher piece as replayed from the events."""

    voucher_id: int
    parent_id: int | None
    tier: int
    holder: str
    value: int
    created: ChainEvent
    status: VoucherStatus = VoucherStatus.ACTIVE
    overdue: bool = False
    discount: ChainEvent | None = None
    pledge: ChainEvent | None = None
    pledge_state: str = ""
    pledge_event: ChainEvent | None = None
    settlement: ChainEvent | None = None


@typed_errors
def audit_voucher(lh: Ledgerhouse, voucher_id: int, *, at_block: int | None = None) -> VoucherAudit:
    """A voucher's tree at `at_block` (default: now): root, ancestors, descendants, every discount,
    pledge and payment, and whether the sums close (live pieces + paid = face value)."""
    chain = _Chain(lh, at_block)
    root_id = voucher_id - voucher_id % VOUCHERS_PER_ROOT
    codec = chain.receivables
    [raw_events] = chain.logs([chain.query(codec, None, topic_of(root_id))]) if root_id else [[]]
    events = [e for e in raw_events if e.name not in ("CreditLineSet", "CreditLineClosed")]
    issued = next((e for e in events if e.name == "VoucherIssued"), None)
    if issued is None or root_id == 0:
        raise InvalidInput(
            f"voucher {voucher_id} was never issued (no event names it up to block {chain.block})"
        )

    pieces: dict[int, _Piece] = {}
    payer: str | None = None
    funded = False
    history: list[VoucherEntry] = []
    times = chain.times([e.block_number for e in events] + [chain.block])
    for event in events:
        entry, payer, funded = _replay_voucher_event(event, pieces, times, payer, funded)
        history.append(entry)
    if voucher_id not in pieces:
        raise InvalidInput(
            f"voucher {voucher_id} was never issued (no event names it up to block {chain.block})"
        )

    contract = chain.receivables_contract
    ids = list(pieces)
    state = chain.state([contract.functions.root(root_id), *(contract.functions.voucher(i) for i in ids)])
    root_raw = state[0][0]
    on_chain = {i: raw[0] for i, raw in zip(ids, state[1:], strict=True)}

    ancestors: list[int] = []
    cursor = pieces[voucher_id].parent_id
    while cursor is not None:
        ancestors.append(cursor)
        cursor = pieces[cursor].parent_id
    descendants = [i for i in ids if i != voucher_id and voucher_id in _ancestry(pieces, i)]
    relation = {i: "other" for i in ids}
    relation.update({i: "descendant" for i in descendants})
    relation.update({i: "ancestor" for i in ancestors})
    relation[voucher_id] = "self"
    if root_id != voucher_id:
        relation[root_id] = "root"

    audited = [_piece_audit(pieces[i], on_chain[i], relation[i], times) for i in ids]
    face = as_money(int(issued.args["faceValue"]))
    live = sum((p.value for p in audited if p.status in _LIVE), Decimal("0.00"))
    paid = sum((p.value for p in audited if p.status is VoucherStatus.SETTLED), Decimal("0.00"))
    checks = _voucher_checks(pieces, on_chain, root_raw, face, live, paid)
    return VoucherAudit(
        voucher_id=voucher_id,
        root_id=root_id,
        at_block=chain.block,
        at_time=times[chain.block],
        obligor=str(issued.args["obligor"]),
        lender=str(issued.args["lender"]),
        payer=payer,
        currency=decode_code(issued.args["currency"]),
        face_value=face,
        maturity=timestamp(int(issued.args["maturity"])),
        issued_block=issued.block_number,
        issued_time=times[issued.block_number],
        funded=funded,
        ancestors=ancestors,
        descendants=descendants,
        pieces=audited,
        history=history,
        live_total=live,
        paid_total=paid,
        checks=checks,
    )


def _ancestry(pieces: dict[int, _Piece], voucher_id: int) -> list[int]:
    out = []
    cursor = pieces[voucher_id].parent_id
    while cursor is not None:
        out.append(cursor)
        cursor = pieces[cursor].parent_id
    return out


def _replay_voucher_event(
    event: ChainEvent,
    pieces: dict[int, _Piece],
    times: dict[int, datetime],
    payer: str | None,
    funded: bool,
) -> tuple[VoucherEntry, str | None, bool]:
    a = event.args
    name = event.name
    vid = int(a.get("voucherId", a["rootId"]))
    piece = pieces.get(vid)
    holder = piece.holder if piece else None
    by: str | None = None
    counterparty: str | None = None
    amount: int | None = None
    detail = ""
    if name == "VoucherIssued":
        pieces[vid] = _Piece(vid, None, 0, str(a["holder"]), int(a["faceValue"]), event)
        by, counterparty, amount = str(a["obligor"]), str(a["holder"]), int(a["faceValue"])
        detail = (
            f"issued on the credit line of {a['lender']}, {decode_code(a['currency'])}, "
            f"matures {timestamp(int(a['maturity'])).date().isoformat()}"
        )
    elif name == "VoucherSplit":
        child, amount = int(a["childId"]), int(a["amount"])
        tier = piece.tier + 1 if piece else 0
        pieces[child] = _Piece(child, vid, tier, str(a["to"]), amount, event)
        if piece:
            piece.value -= amount
        by, counterparty = holder, str(a["to"])
        detail = f"new piece {child} (tier {tier})"
    elif name == "VoucherTransferred":
        by, counterparty, amount = str(a["from"]), str(a["to"]), int(a["value"])
        if piece:
            piece.holder = counterparty
        detail = "transferred"
    elif name == "VouchersMerged":
        closed = pieces.get(int(a["closedId"]))
        if piece:
            piece.value = int(a["value"])
            piece.tier = max(piece.tier, closed.tier if closed else 0)
        if closed:
            closed.value, closed.status = 0, VoucherStatus.MERGED
        by, amount = str(a["holder"]), int(a["value"])
        detail = f"piece {a['closedId']} merged in"
    elif name == "DiscountOffered":
        by, counterparty, amount = str(a["holder"]), str(a["lender"]), int(a["price"])
        if piece:
            piece.status = VoucherStatus.OFFERED_FOR_DISCOUNT
        detail = "offered for discount"
    elif name == "DiscountOfferCancelled":
        by, counterparty = holder, str(a["lender"])
        if piece:
            piece.status = VoucherStatus.ACTIVE
        detail = "discount offer ended without a sale"
    elif name == "VoucherDiscounted":
        by, counterparty, amount = str(a["seller"]), str(a["lender"]), int(a["price"])
        if piece:
            piece.holder, piece.status, piece.discount = str(a["lender"]), VoucherStatus.ACTIVE, event
        detail = (
            f"sold at a discount: value {as_money(int(a['value']))}, {int(a['rateBps']) / 100:.2f}% a year, "
            f"{a['daysToMaturity']} days to maturity"
        )
    elif name == "VoucherPledgeRequested":
        by, counterparty, amount = str(a["holder"]), str(a["lender"]), int(a["securedAmount"])
        if piece:
            piece.status, piece.pledge, piece.pledge_state, piece.pledge_event = (
                VoucherStatus.PLEDGE_REQUESTED,
                event,
                "requested",
                event,
            )
        detail = f"pledge requested, loan matures {timestamp(int(a['loanMaturity'])).date().isoformat()}"
    elif name == "VoucherPledgeRequestCancelled":
        by, counterparty = holder, str(a["lender"])
        if piece:
            piece.status, piece.pledge_state, piece.pledge_event = VoucherStatus.ACTIVE, "cancelled", event
        detail = "pledge request ended without a lien"
    elif name == "VoucherPledgeAccepted":
        by, counterparty, amount = str(a["lienholder"]), str(a["holder"]), int(a["securedAmount"])
        if piece:
            piece.status, piece.pledge_state, piece.pledge_event = VoucherStatus.PLEDGED, "accepted", event
        detail = "lien active"
    elif name == "VoucherPledgeReleased":
        by, counterparty = str(a["lienholder"]), holder
        if piece:
            piece.status, piece.pledge_state, piece.pledge_event = VoucherStatus.ACTIVE, "released", event
        detail = "lien released"
    elif name == "PayerDesignated":
        by, counterparty = str(a["obligor"]), str(a["payer"])
        payer = None if int(str(a["payer"]), 16) == 0 else str(a["payer"])
        detail = "paying bank designated" if payer else "paying bank removed"
    elif name in ("VoucherSettled", "VoucherRedeemed"):
        amount = int(a["value"])
        lienholder = str(a["lienholder"])
        if name == "VoucherSettled":
            by, counterparty = str(a["payer"]), str(a["holder"])
        else:
            by = str(a["holder"])
        if piece:
            piece.status, piece.settlement = VoucherStatus.SETTLED, event
            if piece.pledge_state == "accepted":
                piece.pledge_state, piece.pledge_event = "discharged", event
        detail = "paid" if name == "VoucherSettled" else "redeemed from the funded root"
        if int(lienholder, 16):
            detail += f"; lien of {lienholder} discharged, proceeds owed to it"
    elif name == "RootFunded":
        by, amount, funded = str(a["payer"]), int(a["amount"]), True
        detail = "whole root funded; pieces are redeemed one by one"
    elif name == "VoucherMarkedOverdue":
        counterparty, amount = str(a["holder"]), int(a["value"])
        if piece:
            piece.overdue = True
        detail = "marked overdue"
    entry = VoucherEntry(
        event=name,
        voucher_id=vid,
        block=event.block_number,
        time=times[event.block_number],
        tx_hash=event.tx_hash,
        log_index=event.log_index,
        by=by,
        counterparty=counterparty,
        amount=as_money(amount) if amount is not None else None,
        detail=detail,
    )
    return entry, payer, funded


def _piece_audit(piece: _Piece, raw: Any, relation: str, times: dict[int, datetime]) -> PieceAudit:
    holder, value, _, parent_id, tier, status, overdue = raw
    discount = None
    if piece.discount is not None:
        d = piece.discount
        discount = DiscountRecord(
            lender=str(d.args["lender"]),
            seller=str(d.args["seller"]),
            value=as_money(int(d.args["value"])),
            price=as_money(int(d.args["price"])),
            rate_bps=int(d.args["rateBps"]),
            days_to_maturity=int(d.args["daysToMaturity"]),
            block=d.block_number,
            time=times[d.block_number],
            tx_hash=d.tx_hash,
        )
    pledge = None
    if piece.pledge is not None and piece.pledge_event is not None:
        p, last = piece.pledge, piece.pledge_event
        pledge = PledgeRecord(
            lender=str(p.args["lender"]),
            secured_amount=as_money(int(p.args["securedAmount"])),
            loan_maturity=timestamp(int(p.args["loanMaturity"])),
            state=piece.pledge_state,
            block=last.block_number,
            time=times[last.block_number],
            tx_hash=last.tx_hash,
        )
    settlement = None
    if piece.settlement is not None:
        s = piece.settlement
        lienholder = str(s.args["lienholder"])
        settlement = SettlementRecord(
            kind="settled" if s.name == "VoucherSettled" else "redeemed",
            value=as_money(int(s.args["value"])),
            holder=str(s.args["holder"]),
            payer=str(s.args["payer"]) if "payer" in s.args else None,
            lienholder=lienholder if int(lienholder, 16) else None,
            block=s.block_number,
            time=times[s.block_number],
            tx_hash=s.tx_hash,
        )
    return PieceAudit(
        voucher_id=piece.voucher_id,
        parent_id=int(parent_id) or None,
        tier=int(tier),
        relation=relation,
        holder=_address(str(holder)),
        value=as_money(int(value)),
        status=VoucherStatus(int(status)),
        overdue=bool(overdue),
        created_block=piece.created.block_number,
        created_time=times[piece.created.block_number],
        created_tx=piece.created.tx_hash,
        discount=discount,
        pledge=pledge,
        settlement=settlement,
    )


def _voucher_checks(
    pieces: dict[int, _Piece],
    on_chain: dict[int, Any],
    root_raw: Any,
    face: Decimal,
    live: Decimal,
    paid: Decimal,
) -> list[SumCheck]:
    root_face = as_money(int(root_raw[4]))
    root_settled, root_outstanding = as_money(int(root_raw[5])), as_money(int(root_raw[6]))
    paid_events = sum(
        (as_money(int(p.settlement.args["value"])) for p in pieces.values() if p.settlement is not None),
        Decimal("0.00"),
    )
    mismatched = [
        str(i)
        for i, piece in pieces.items()
        if (
            _address(str(on_chain[i][0])),
            int(on_chain[i][1]),
            int(on_chain[i][3]) or None,
            int(on_chain[i][4]),
            int(on_chain[i][5]),
        )
        != (piece.holder, piece.value, piece.parent_id, piece.tier, int(piece.status))
    ]
    return [
        SumCheck(
            "tree closes",
            live + paid == face,
            f"live pieces {live} + paid {paid} = {live + paid}, face value {face}",
        ),
        SumCheck(
            "root record agrees",
            (root_face, root_settled, root_outstanding) == (face, paid, live),
            f"root says face {root_face}, settled {root_settled}, outstanding {root_outstanding}",
        ),
        SumCheck(
            "payment events agree",
            paid_events == paid,
            f"VoucherSettled/VoucherRedeemed events pay {paid_events}, settled pieces hold {paid}",
        ),
        SumCheck(
            "piece count agrees",
            int(root_raw[11]) == len(pieces),
            f"root counts {int(root_raw[11])} pieces, the events create {len(pieces)}",
        ),
        SumCheck(
            "events replay to the contract state",
            not mismatched,
            "every piece's holder, value, parent, tier and status match"
            if not mismatched
            else f"pieces {', '.join(mismatched)} differ between the events and the contract",
        ),
    ]


# ------------------------------------------------------------------ exposure


@dataclass(frozen=True)
class ExposureItem:
    """One financing of the borrower still open at the audited block.

    `kind`: `receipt-pledge` (an active lien on a receipt it holds), `voucher-pledge` (an accepted
    lien on a voucher piece it holds) or `voucher-discount` (a piece it sold at a discount, unpaid).
    `amount` is the secured amount, or for a discount the value the lender bought.
    """

    kind: str
    lender: str
    asset_id: int
    amount: Decimal
    currency: str
    price: Decimal | None
    maturity: datetime | None
    since_block: int
    since_time: datetime
    tx_hash: str
    detail: str


@dataclass(frozen=True)
class LenderTotal:
    lender: str
    currency: str
    receipt_pledges: int
    receipt_secured: Decimal
    voucher_pledges: int
    voucher_secured: Decimal
    discounts: int
    discounted_value: Decimal
    discount_paid: Decimal
    total: Decimal  # receipt_secured + voucher_secured + discounted_value


@dataclass(frozen=True)
class ExposureAudit:
    borrower: str
    at_block: int
    at_time: datetime
    items: list[ExposureItem]
    totals: list[LenderTotal]
    findings: list[str]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _json(self)
        return data

    def csv_table(self) -> tuple[list[str], list[list[str]]]:
        """One row per open financing."""
        return _table(ExposureItem, [_flat(i, ExposureItem) for i in self.items], borrower=self.borrower)


@typed_errors
def audit_exposure(lh: Ledgerhouse, address: str, *, at_block: int | None = None) -> ExposureAudit:
    """Every lien and discount financing `address` at `at_block` (default: now), across all lenders."""
    borrower = checksum(address, what="address")
    chain = _Chain(lh, at_block)
    rc, vc = chain.receipts, chain.receivables
    requested, pledged_vouchers, discounted = chain.logs(
        [
            chain.query(rc, rc.topic["PledgeRequested"], None, None, topic_of(borrower)),
            chain.query(vc, vc.topic["VoucherPledgeAccepted"]),
            chain.query(vc, vc.topic["VoucherDiscounted"]),
        ]
    )
    findings: list[str] = []
    items = _receipt_exposure(chain, borrower, requested, findings)
    items += _voucher_exposure(
        chain,
        borrower,
        [e for e in pledged_vouchers if e.args["holder"] == borrower],
        [e for e in discounted if e.args["seller"] == borrower],
    )
    items.sort(key=lambda i: (i.since_block, i.kind, i.asset_id))
    return ExposureAudit(
        borrower=borrower,
        at_block=chain.block,
        at_time=chain.time_of(chain.block),
        items=items,
        totals=_lender_totals(items),
        findings=findings,
    )


def _receipt_exposure(
    chain: _Chain, borrower: str, requested: list[ChainEvent], findings: list[str]
) -> list[ExposureItem]:
    """Active liens from the events (accepted, not released or foreclosed), confirmed on chain."""
    requests = {(int(e.args["receiptId"]), int(e.args["requestSeq"])): e for e in requested}
    ids = sorted({rid for rid, _ in requests})
    if not ids:
        return []
    rc = chain.receipts
    kinds = [rc.topic[n] for n in ("PledgeAccepted", "PledgeReleased", "Foreclosed")]
    batches = chain.logs(
        [chain.query(rc, kinds, [topic_of(i) for i in part]) for part in _chunks(ids, TOPIC_OR_CHUNK)]
    )
    accepted: dict[int, ChainEvent] = {}
    for event in sorted((e for batch in batches for e in batch), key=_position):
        rid = int(event.args["receiptId"])
        if event.name == "PledgeAccepted" and (rid, int(event.args["requestSeq"])) in requests:
            accepted[rid] = event
        elif event.name in ("PledgeReleased", "Foreclosed"):
            accepted.pop(rid, None)
    contract = chain.receipts_contract
    reads = chain.calls(
        [f for rid in ids for f in (contract.functions.receipt(rid), contract.functions.lien(rid))]
    )
    active: dict[int, tuple[Any, Any]] = {}
    for rid, raw_receipt, raw_lien in zip(ids, reads[0::2], reads[1::2], strict=True):
        if isinstance(raw_receipt, LedgerhouseError) or isinstance(raw_lien, LedgerhouseError):
            continue  # delivered or merged away
        held = _address(str(raw_receipt[0][0])) == borrower
        if held and LienState(int(raw_lien[0][2])) is LienState.ACTIVE:
            active[rid] = (raw_receipt[0], raw_lien[0])
    for rid in sorted(set(accepted) ^ set(active)):
        findings.append(
            f"receipt {rid}: the events say its lien is {'active' if rid in accepted else 'not active'}, "
            f"the contract says {'active' if rid in active else 'not active'}"
        )
    lots = sorted({bytes(r[2]) for r, _ in active.values()})
    lot_views = dict(zip(lots, chain.state([contract.functions.lot(lot) for lot in lots]), strict=True))
    shown = [rid for rid in sorted(active) if rid in accepted]
    times = chain.times(accepted[rid].block_number for rid in shown)
    items = []
    for rid in shown:
        raw_receipt, raw_lien = active[rid]
        lot = lot_views[bytes(raw_receipt[2])][0]
        request = requests[(rid, int(raw_lien[3]))]
        acceptance = accepted[rid]
        quantity = from_base_units(int(raw_receipt[3]), int(lot[4]))
        items.append(
            ExposureItem(
                kind="receipt-pledge",
                lender=_address(str(raw_lien[0])),
                asset_id=rid,
                amount=as_money(int(request.args["securedAmount"])),
                currency=decode_code(request.args["currency"]),
                price=None,
                maturity=timestamp(int(raw_lien[1])),
                since_block=acceptance.block_number,
                since_time=times[acceptance.block_number],
                tx_hash=acceptance.tx_hash,
                detail=f"{quantity} {decode_code(lot[3])} {decode_code(lot[2])}, lot {_hex32(lot[0])}",
            )
        )
    return items


def _voucher_exposure(
    chain: _Chain, borrower: str, pledges: list[ChainEvent], discounts: list[ChainEvent]
) -> list[ExposureItem]:
    """Accepted voucher pledges still on pieces the borrower holds; unpaid pieces it discounted."""
    ids = sorted({int(e.args["voucherId"]) for e in pledges + discounts})
    if not ids:
        return []
    roots = sorted({i - i % VOUCHERS_PER_ROOT for i in ids})
    contract = chain.receivables_contract
    state = chain.state(
        [contract.functions.voucher(i) for i in ids]
        + [contract.functions.lien(i) for i in ids]
        + [contract.functions.discount(i) for i in ids]
        + [contract.functions.root(r) for r in roots]
    )
    n = len(ids)
    piece = {i: state[k][0] for k, i in enumerate(ids)}
    lien = {i: state[n + k][0] for k, i in enumerate(ids)}
    sale = {i: state[2 * n + k][0] for k, i in enumerate(ids)}
    root = {r: state[3 * n + k][0] for k, r in enumerate(roots)}
    last_pledge = {int(e.args["voucherId"]): e for e in pledges}
    last_sale = {int(e.args["voucherId"]): e for e in discounts}
    times = chain.times(e.block_number for e in [*last_pledge.values(), *last_sale.values()])
    items = []
    for vid in ids:
        holder, value, root_id, _, tier, status, _ = piece[vid]
        terms = root[int(root_id)]
        currency, maturity = decode_code(terms[3]), timestamp(int(terms[8]))
        about = f"piece of root {root_id} (obligor {_address(str(terms[0]))}), tier {tier}"
        status_now = VoucherStatus(int(status))
        pledge = last_pledge.get(vid)
        lienholder, secured, loan_maturity, is_accepted, _ = lien[vid]
        if (
            pledge is not None
            and status_now is VoucherStatus.PLEDGED
            and bool(is_accepted)
            and _address(str(holder)) == borrower
            and _address(str(lienholder)) == pledge.args["lienholder"]
        ):
            items.append(
                ExposureItem(
                    kind="voucher-pledge",
                    lender=_address(str(lienholder)),
                    asset_id=vid,
                    amount=as_money(int(secured)),
                    currency=currency,
                    price=None,
                    maturity=timestamp(int(loan_maturity)),
                    since_block=pledge.block_number,
                    since_time=times[pledge.block_number],
                    tx_hash=pledge.tx_hash,
                    detail=f"{about}, value {as_money(int(value))}",
                )
            )
        sold = last_sale.get(vid)
        lender, seller, sold_value, price, rate_bps, _, _ = sale[vid]
        if sold is not None and status_now in _LIVE and _address(str(seller)) == borrower:
            items.append(
                ExposureItem(
                    kind="voucher-discount",
                    lender=_address(str(lender)),
                    asset_id=vid,
                    amount=as_money(int(sold_value)),
                    currency=currency,
                    price=as_money(int(price)),
                    maturity=maturity,
                    since_block=sold.block_number,
                    since_time=times[sold.block_number],
                    tx_hash=sold.tx_hash,
                    detail=f"{about}, bought at {int(rate_bps) / 100:.2f}% a year",
                )
            )
    return items


def _lender_totals(items: list[ExposureItem]) -> list[LenderTotal]:
    grouped: dict[tuple[str, str], list[ExposureItem]] = defaultdict(list)
    for item in items:
        grouped[(item.lender, item.currency)].append(item)
    totals = []
    for (lender, currency), group in sorted(grouped.items()):

        def of(kind: str, group: list[ExposureItem] = group) -> list[ExposureItem]:
            return [i for i in group if i.kind == kind]

        receipts, pledges, sales = of("receipt-pledge"), of("voucher-pledge"), of("voucher-discount")
        receipt_secured = sum((i.amount for i in receipts), Decimal("0.00"))
        voucher_secured = sum((i.amount for i in pledges), Decimal("0.00"))
        sold_value = sum((i.amount for i in sales), Decimal("0.00"))
        totals.append(
            LenderTotal(
                lender=lender,
                currency=currency,
                receipt_pledges=len(receipts),
                receipt_secured=receipt_secured,
                voucher_pledges=len(pledges),
                voucher_secured=voucher_secured,
                discounts=len(sales),
                discounted_value=sold_value,
                discount_paid=sum((i.price or Decimal(0) for i in sales), Decimal("0.00")),
                total=receipt_secured + voucher_secured + sold_value,
            )
        )
    return totals


# ------------------------------------------------------------------ warehouses


@dataclass(frozen=True)
class LotAudit:
    """One lot a warehouse held: every stocktake, shortfall and unfreeze, and its state at the block.

    `live_receipts` and `live_quantity` are the contract's counters (zero when the lot is now at
    another warehouse, `now_at`); `receipt_ids` are the live receipts replayed from the events, and
    `reconciles` says whether the two agree.
    """

    lot_id: str
    commodity: str
    unit: str
    timeline: list[LotEvent]
    shortfalls: int
    now_at: str
    attested: Decimal
    receipted: Decimal
    frozen: bool
    live_receipts: int
    live_quantity: Decimal
    receipt_ids: list[int]
    reconciles: bool


@dataclass(frozen=True)
class WarehouseAudit:
    warehouse: str
    at_block: int
    at_time: datetime
    lots: list[LotAudit]
    findings: list[str]

    @property
    def live_receipts(self) -> int:
        return sum(lot.live_receipts for lot in self.lots)

    @property
    def shortfalls(self) -> int:
        return sum(lot.shortfalls for lot in self.lots)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _json(self)
        data["live_receipts"] = self.live_receipts
        data["shortfalls"] = self.shortfalls
        return data

    def csv_table(self) -> tuple[list[str], list[list[str]]]:
        """Per lot, one row per lot event, then a `current` row with its state at the block."""
        rows = []
        for lot in self.lots:
            label = {"lot_id": lot.lot_id, "commodity": lot.commodity, "unit": lot.unit}
            for e in lot.timeline:
                rows.append({**label, **_flat(e, LotEvent, skip={"lot_id"})})
            current = {
                "event": "current",
                "block": self.at_block,
                "time": self.at_time,
                "attested": lot.attested,
                "receipted": lot.receipted,
                "live_receipts": lot.live_receipts,
                "live_quantity": lot.live_quantity,
                "frozen": lot.frozen,
                "reconciles": lot.reconciles,
            }
            rows.append({**label, **{k: _cell(v) for k, v in current.items()}})
        columns = [
            "lot_id",
            "commodity",
            "unit",
            *_flat(None, LotEvent, skip={"lot_id"}),
            "live_receipts",
            "live_quantity",
            "frozen",
            "reconciles",
        ]
        return columns, [[row.get(c, "") for c in columns] for row in rows]


@typed_errors
def audit_warehouse(lh: Ledgerhouse, address: str, *, at_block: int | None = None) -> WarehouseAudit:
    """Per lot of a warehouse at `at_block` (default: now): attested against receipted at each
    stocktake, every shortfall, and the live receipts (the contract's count, checked by replay)."""
    warehouse = checksum(address, what="address")
    chain = _Chain(lh, at_block)
    rc = chain.receipts
    wh = topic_of(warehouse)
    lot_events, minted, delivered = chain.logs(
        [
            chain.query(rc, [rc.topic[n] for n in _LOT_EVENTS], None, wh),
            chain.query(rc, rc.topic["ReceiptMinted"], None, None, wh),
            chain.query(rc, rc.topic["Delivered"], None, None, wh),
        ]
    )
    by_lot: dict[str, list[ChainEvent]] = defaultdict(list)
    for event in lot_events:
        by_lot[_hex32(event.args["lotId"])].append(event)
    lots = list(by_lot)  # in order of first stocktake
    topics = [topic_of(bytes.fromhex(lot[2:])) for lot in lots]
    split_queries = [
        chain.query(rc, rc.topic["ReceiptSplit"], None, list(part))
        for part in _chunks(topics, TOPIC_OR_CHUNK)
    ]
    merge_queries = [
        chain.query(rc, rc.topic["ReceiptsMerged"], None, None, list(part))
        for part in _chunks(topics, TOPIC_OR_CHUNK)
    ]
    found = chain.logs(split_queries + merge_queries)
    replay = sorted([*minted, *delivered, *(e for batch in found for e in batch)], key=_position)
    live = _replay_live_receipts(replay)

    contract = chain.receipts_contract
    views = chain.state([contract.functions.lot(bytes.fromhex(lot[2:])) for lot in lots])
    times = chain.times([e.block_number for e in lot_events] + [chain.block])
    audits: list[LotAudit] = []
    findings: list[str] = []
    for lot, raw in zip(lots, views, strict=True):
        view = raw[0]
        events = by_lot[lot]
        stocktakes = [e for e in events if e.name == "StocktakeRecorded"]
        last = stocktakes[-1] if stocktakes else None
        decimals = int(view[4])
        now_at = _address(str(view[1]))
        here = now_at == warehouse
        receipts = live.get(lot, {})
        live_count = int(view[9]) if here else 0
        receipted = int(view[6]) if here else 0
        reconciles = len(receipts) == live_count and sum(receipts.values()) == receipted
        if not reconciles:
            findings.append(
                f"lot {lot}: the contract counts {live_count} live receipts for "
                f"{from_base_units(receipted, decimals)}, the events replay to {len(receipts)} for "
                f"{from_base_units(sum(receipts.values()), decimals)}"
            )
        audits.append(
            LotAudit(
                lot_id=lot,
                commodity=decode_code(last.args["commodity"]) if last else decode_code(view[2]),
                unit=decode_code(last.args["unit"]) if last else decode_code(view[3]),
                timeline=_lot_timeline(events, times),
                shortfalls=sum(1 for e in events if e.name == "StockShortfall"),
                now_at=now_at,
                attested=from_base_units(int(view[5]) if here else 0, decimals),
                receipted=from_base_units(receipted, decimals),
                frozen=bool(view[8]) if here else False,
                live_receipts=live_count,
                live_quantity=from_base_units(receipted, decimals),
                receipt_ids=sorted(receipts),
                reconciles=reconciles,
            )
        )
    return WarehouseAudit(
        warehouse=warehouse,
        at_block=chain.block,
        at_time=times[chain.block],
        lots=audits,
        findings=findings,
    )


def _replay_live_receipts(events: list[ChainEvent]) -> dict[str, dict[int, int]]:
    """Live receipts per lot (id -> base units) from mints, splits, merges and deliveries."""
    live: dict[str, dict[int, int]] = defaultdict(dict)
    lot_of: dict[int, str] = {}
    for event in events:
        a = event.args
        if event.name == "ReceiptMinted":
            lot_of[int(a["receiptId"])] = _hex32(a["lotId"])
        subject = int(a["keptId"] if event.name == "ReceiptsMerged" else a["receiptId"])
        lot = lot_of.get(subject)
        if lot is None:
            continue  # a receipt of the lot from its time at another warehouse
        receipts = live[lot]
        if event.name == "ReceiptMinted":
            receipts[subject] = int(a["quantity"])
        elif event.name == "ReceiptSplit":
            parts = [int(q) for q in a["quantities"]]
            receipts[subject] = parts[0]
            first = int(a["firstNewId"])
            for k, part in enumerate(parts[1:]):
                receipts[first + k] = part
                lot_of[first + k] = lot
        elif event.name == "ReceiptsMerged":
            receipts[subject] = int(a["quantity"])
            receipts.pop(int(a["mergedId"]), None)
        elif event.name == "Delivered":
            if a["burned"]:
                receipts.pop(subject, None)
            else:
                receipts[subject] = receipts.get(subject, 0) - int(a["quantity"])
    return live


def _lot_timeline(events: list[ChainEvent], times: dict[int, datetime]) -> list[LotEvent]:
    """The lot's events with quantities in its display unit (a shortfall takes its stocktake's)."""
    decimals_of_tx = {e.tx_hash: int(e.args["decimals"]) for e in events if e.name == "StocktakeRecorded"}
    timeline = []
    decimals = 0
    for event in events:
        decimals = decimals_of_tx.get(event.tx_hash, decimals)
        timeline.append(_lot_event(event, times, decimals))
    return timeline
