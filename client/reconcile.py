"""Reconciling the registry with the chain: does the registry service answer what the chain says?

The registry is an index of the chain; an auditor must not trust its database. `reconcile` reads
every participant, lot, receipt (with its lien or pending pledge request) and voucher piece from the
registry's REST API (`RegistryApi`, no database access), reads the same from the contracts at one
block (ids enumerated from the chain's own events: MemberAdmitted, StocktakeRecorded, ReceiptMinted
and ReceiptSplit, VoucherIssued and VoucherSplit; state from the contracts' views, every read in
JSON-RPC batches), and reports each divergence:

- **missing**: on chain, not in the registry (with the chain's values);
- **extra**: in the registry, never on chain (with the registry's values);
- **different**: field by field, the registry's value beside the chain's.

Which block. The registry keeps no history: it answers only for the block it has indexed up to
(`/health` `indexed_block`). So the comparison block is always the registry's indexed block, which
must be at least the pinned block (`at_block`, by default the chain head when the reconciliation
starts): a registry behind it is waited for (`wait` seconds, then `RegistryNotReady`), a registry
ahead of it is compared at its own block. Comparing at the pinned block instead would report every
change the registry indexed after it as a divergence; comparing a lagging registry at the head would
report everything it has not indexed yet. Either way, nothing the registry could not know counts.

The registry keeps indexing while it is read (a page at a time). Its answers are taken between two
`/health` reads; if the indexed block moved between them (from I1 to I2), every item an event
touched in blocks I1+1..I2 is read again on its own, between two more `/health` reads, until one
such round sees the index stand still at a block F. Untouched items did not change between I1 and
F, so every answer then describes block F, and the chain is read at F.

One representation choice of the registry is normalised rather than reported: a receipt delivered
or merged away is compared only by status and origin (lot, warehouse, parent, details), since the
contract no longer holds its state. (Expiries compare exactly: both sides keep the chain's whole
UTC day, the registry rounding the requested second up as the contract does.)
Block times (a receipt's `minted_at`, a lien's `pledged_at`) are not compared.

Lien terms. The registry shows anyone that a receipt or piece is pledged and to whom, but a lien's
or pledge request's terms (secured amount, currency, loan reference, maturity) only to its parties,
auditors and regulators, signed in. Read anonymously, those terms are not compared: the report
counts them (`terms_not_compared`) and says so. Signed in as an auditor or regulator (`api.sign_in()`
first; `ledgerhouse audit reconcile --sign-in`), every term is compared, and a registry that still
withholds one is a divergence (`terms_withheld`: registry true, chain false).

    from client import Ledgerhouse
    from client.reconcile import reconcile
    from client.registry_api import RegistryApi
    report = reconcile(Ledgerhouse.connect(RPC), RegistryApi("http://127.0.0.1:8000"))
    report.divergences  # [] when the registry answers what the chain says
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from eth_utils.address import is_address, to_checksum_address

from client._encoding import as_money, decode_code, from_base_units, timestamp
from client._encoding import valid_until as expiry_shown
from client._typed import typed_errors
from client._types import MemberStatus, Role
from client.audit import VOUCHERS_PER_ROOT, AuditChain, csv_table, flat_row, hex32, json_value
from client.errors import ChainUnavailable, InvalidInput, LedgerhouseError
from client.reader import ChainEvent, LogQuery
from client.receipts import LienState
from client.receivables import VoucherStatus
from client.registry_api import RegistryApi, RegistryRequestFailed

if TYPE_CHECKING:
    from client import Ledgerhouse

__all__ = [
    "ENTITIES",
    "KINDS",
    "Divergence",
    "Reconciliation",
    "RegistryAnswerInvalid",
    "RegistryNotReady",
    "reconcile",
    "registry_url",
]

KINDS = ("missing", "extra", "different")
ENTITIES = ("participant", "lot", "receipt", "lien", "pledge-request", "voucher")
DAY = 86_400
POLL_S = 0.2  # between /health reads while waiting for the registry or the chain
MAX_ROUNDS = 20  # re-read rounds before giving up on a registry that never stands still


class RegistryNotReady(LedgerhouseError):
    """The registry has not indexed the block to compare at, or kept moving while it was read."""


class RegistryAnswerInvalid(LedgerhouseError):
    """The URL does not answer like a Ledgerhouse registry of this chain."""


@dataclass(frozen=True)
class Divergence:
    """One way the registry's answer differs from the chain. `field` is None for missing and extra;
    `registry` and `chain` hold that side's value (for missing or extra, a summary of the record)."""

    kind: str  # missing | extra | different
    entity: str  # participant | lot | receipt | lien | pledge-request | voucher
    id: str
    field: str | None
    registry: str | None
    chain: str | None

    def describe(self) -> str:
        if self.kind == "missing":
            return f"{self.entity} {self.id} is on chain but not in the registry ({self.chain})"
        if self.kind == "extra":
            return f"{self.entity} {self.id} is in the registry but not on chain ({self.registry})"
        return f"{self.entity} {self.id} {self.field}: registry {self.registry}, chain {self.chain}"


@dataclass(frozen=True)
class Reconciliation:
    """The registry against the chain at one block (`at_block`, the registry's indexed block)."""

    registry_url: str
    chain_id: int
    at_block: int
    requested_block: int  # the pinned block: --at-block, or the chain head at the start
    rereads: int  # items read again because the registry indexed further while it was read
    checked: dict[str, int]  # entity -> ids compared (on either side)
    divergences: list[Divergence] = field(default_factory=list)
    signed_in_as: str | None = None  # "ADDRESS (role)", or None: read anonymously
    # entity -> records whose lien terms the registry withheld from this reader, so not compared
    terms_not_compared: dict[str, int] = field(default_factory=dict)

    def terms_note(self) -> str | None:
        """One sentence on lien terms left uncompared, or None if every term was compared."""
        skipped = {entity: n for entity, n in self.terms_not_compared.items() if n}
        if not skipped:
            return None
        what = ", ".join(f"{n} {entity}{'s' if n != 1 else ''}" for entity, n in skipped.items())
        who = f"as {self.signed_in_as}" if self.signed_in_as else "anonymously"
        return (
            f"lien terms not compared for {what}: read {who}, the registry shows them only to the "
            "lienholder, the owner, auditors and regulators (--sign-in with an auditor's key)"
        )

    @property
    def clean(self) -> bool:
        return not self.divergences

    @property
    def counts(self) -> dict[str, int]:
        tally = Counter(d.kind for d in self.divergences)
        return {kind: tally[kind] for kind in KINDS}

    def summary(self) -> str:
        """One line: how many divergences of each kind, between which registry and which chain."""
        n = len(self.divergences)
        kinds = ", ".join(f"{count} {kind}" for kind, count in self.counts.items() if count)
        what = f"{n} divergence{'s' if n != 1 else ''}" + (f" ({kinds})" if kinds else "")
        return (
            f"reconcile: {what} between the registry at {self.registry_url} "
            f"and chain {self.chain_id} at block {self.at_block}"
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json_value(self)
        data["clean"] = self.clean
        data["counts"] = self.counts
        return data

    def csv_table(self) -> tuple[list[str], list[list[str]]]:
        """One row per divergence."""
        return csv_table(
            Divergence, [flat_row(d, Divergence) for d in self.divergences], at_block=self.at_block
        )


def registry_url(text: str) -> str:
    """`text` as a registry base URL (http or https, a host, no query), or InvalidInput."""
    value = text.strip().rstrip("/")
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok or parts.query:
        raise InvalidInput(f"--registry {text!r} is not a registry URL like http://127.0.0.1:8000")
    return value


# ------------------------------------------------------------------ the reconciliation


@typed_errors
def reconcile(
    lh: Ledgerhouse, api: RegistryApi, *, at_block: int | None = None, wait: float = 60.0
) -> Reconciliation:
    """Compares everything the registry at `api` answers with the chain, at the registry's indexed
    block once it has reached `at_block` (default: the chain head now); waits up to `wait` seconds."""
    deadline = time.monotonic() + wait
    head = _chain_head(lh)
    if at_block is not None and at_block > head:
        raise InvalidInput(f"--at-block {at_block} is beyond the chain head (block {head})")
    pinned = head if at_block is None else at_block
    start = _wait_for_registry(lh, api, pinned, deadline)

    registry = _read_registry(api)
    block = _indexed_block(lh, api)
    first_block = start
    rereads = 0
    rounds = 0
    while block != start:
        # The index moved while it was read: read again what the chain changed since `first_block`.
        rounds += 1
        if rounds > MAX_ROUNDS:
            raise RegistryNotReady(
                f"the registry at {api.base_url} kept indexing while it was read "
                f"(blocks {first_block} to {block}, {MAX_ROUNDS} rounds): try again when the chain is quieter"
            )
        _wait_for_chain(lh, block, deadline, api.base_url)
        touched = _touched(lh, first_block, block)
        rereads += _reread(api, registry, touched)
        start, block = block, _indexed_block(lh, api)

    _wait_for_chain(lh, block, deadline, api.base_url)
    chain = _read_chain(lh, block)
    divergences: list[Divergence] = []
    checked: dict[str, int] = {}
    skipped: dict[str, int] = {}
    oversight = api.session is not None and api.session.get("role") in OVERSIGHT
    for entity in ENTITIES:
        ids = set(registry[entity]) | set(chain[entity])
        checked[entity] = len(ids)
        found, skipped[entity] = _compare(entity, registry, chain, oversight=oversight)
        divergences += found
    who = f"{api.session.get('address')} ({api.session.get('role')})" if api.session else None
    return Reconciliation(
        registry_url=api.base_url,
        chain_id=lh.chain_id,
        at_block=block,
        requested_block=pinned,
        rereads=rereads,
        checked=checked,
        divergences=divergences,
        signed_in_as=who,
        terms_not_compared={entity: n for entity, n in skipped.items() if entity in _TERMS},
    )


def _chain_head(lh: Ledgerhouse) -> int:
    try:
        return int(lh.w3.eth.block_number)
    except Exception as exc:  # web3 raises many transport errors; none may escape the SDK
        raise ChainUnavailable(f"cannot read the chain head: {exc}") from exc


def _health(lh: Ledgerhouse, api: RegistryApi) -> dict[str, Any]:
    try:
        health = api.health()
    except RegistryRequestFailed as exc:
        chain = exc.problem.get("status") if isinstance(exc.problem, dict) else None
        if exc.status == 503 and chain == "chain-unreachable":
            raise RegistryNotReady(f"the registry at {api.base_url} cannot reach its chain") from None
        detail = str(exc.problem.get("detail") or "").strip()
        raise RegistryAnswerInvalid(
            f"{api.base_url}/health answered HTTP {exc.status}: not a Ledgerhouse registry"
            + (f" ({detail})" if detail else "")
        ) from None
    except (ValueError, TypeError):  # not JSON, or not an object
        raise RegistryAnswerInvalid(
            f"{api.base_url}/health did not answer JSON: not a Ledgerhouse registry"
        ) from None
    if not isinstance(health.get("indexed_block"), int) or not isinstance(health.get("chain_id"), int):
        raise RegistryAnswerInvalid(f"{api.base_url}/health does not answer like a Ledgerhouse registry")
    if health["chain_id"] != lh.chain_id:
        raise RegistryAnswerInvalid(
            f"the registry at {api.base_url} indexes chain {health['chain_id']}, not chain {lh.chain_id}"
        )
    return health


def _indexed_block(lh: Ledgerhouse, api: RegistryApi) -> int:
    return int(_health(lh, api)["indexed_block"])


def _wait_for_registry(lh: Ledgerhouse, api: RegistryApi, block: int, deadline: float) -> int:
    """The registry's indexed block once it is at least `block`."""
    while True:
        indexed = _indexed_block(lh, api)
        if indexed >= block:
            return indexed
        if time.monotonic() >= deadline:
            raise RegistryNotReady(
                f"the registry at {api.base_url} has indexed up to block {indexed}, not yet block {block} "
                "(does it index with --confirmations? pass --at-block with a block it has indexed, "
                "or a longer --wait)"
            )
        time.sleep(POLL_S)


def _wait_for_chain(lh: Ledgerhouse, block: int, deadline: float, url: str) -> None:
    """Waits for the auditor's node to reach `block`, which the registry has already indexed."""
    while _chain_head(lh) < block:
        if time.monotonic() >= deadline:
            raise RegistryNotReady(
                f"the registry at {url} has indexed block {block}, beyond this node's head "
                f"(block {_chain_head(lh)}): is the node syncing?"
            )
        time.sleep(POLL_S)


# ------------------------------------------------------------------ records and fields

# entity -> id -> field -> value. Registry values are as the API sent them (JSON); chain values are
# Python values (addresses checksummed, Decimal, datetime, int, bool, str).
Side = dict[str, dict[str, dict[str, Any]]]

# How each field is compared: address (checksummed), hex (case-insensitive), text, int, decimal
# (numerically: "180.000" = 180), bool, time (to the second), day (a receipt expiry, in whole UTC days).
_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "participant": (
        ("role", "text"),
        ("name", "text"),
        ("entity_id", "hex"),
        ("status", "text"),
        ("status_reason", "text"),
        ("kyc_valid_until", "time"),
        ("admitted_at", "time"),
    ),
    "lot": (
        ("warehouse", "address"),
        ("commodity", "text"),
        ("unit", "text"),
        ("decimals", "int"),
        ("attested", "decimal"),
        ("receipted", "decimal"),
        ("live_receipts", "int"),
        ("frozen", "bool"),
        ("last_stocktake_at", "time"),
    ),
    "receipt": (
        ("status", "text"),
        ("owner", "address"),
        ("quantity", "decimal"),
        ("warehouse", "address"),
        ("lot_id", "hex"),
        ("commodity", "text"),
        ("expires_at", "time"),
        ("frozen", "bool"),
        ("delivery_requested", "decimal"),
        ("parent_id", "int"),
        ("details", "hex"),
    ),
    "lien": (
        ("lender", "address"),
        ("secured_amount", "decimal"),
        ("currency", "text"),
        ("loan_ref", "hex"),
        ("loan_maturity", "time"),
    ),
    "pledge-request": (
        ("lender", "address"),
        ("request_seq", "int"),
        ("secured_amount", "decimal"),
        ("currency", "text"),
        ("loan_maturity", "time"),
    ),
    "voucher": (
        ("status", "text"),
        ("holder", "address"),
        ("value", "decimal"),
        ("root_id", "int"),
        ("parent_id", "int"),
        ("tier", "int"),
        ("overdue", "bool"),
        ("obligor", "address"),
        ("currency", "text"),
        ("maturity", "time"),
        ("lienholder", "address"),
        ("secured_amount", "decimal"),
        ("discounted_by", "address"),
        ("discount_price", "decimal"),
        ("discount_rate_bps", "int"),
    ),
}
# A lien's terms, and the flag by which the registry says it withheld them from this reader
# (registry.services.visibility); auditors and regulators are never refused them.
_TERMS: dict[str, tuple[frozenset[str], str]] = {
    "lien": (frozenset({"secured_amount", "currency", "loan_ref", "loan_maturity"}), "terms_withheld"),
    "pledge-request": (frozenset({"secured_amount", "currency", "loan_maturity"}), "terms_withheld"),
    "voucher": (frozenset({"secured_amount"}), "lien_terms_withheld"),
}
OVERSIGHT = ("auditor", "regulator")
# A lien or pledge request is reported on its own only when its receipt is on both sides.
_PARENT = {"lien": "receipt", "pledge-request": "receipt"}


def _empty() -> Side:
    return {entity: {} for entity in ENTITIES}


def _canon(kind: str, value: Any) -> Any:
    """A value in the form both sides are compared in; anything unparseable stays as its text."""
    if value is None:
        return None
    try:
        if kind == "address":
            return to_checksum_address(str(value)) if is_address(str(value)) else str(value)
        if kind == "hex":
            return str(value).lower()
        if kind == "int":
            return int(value) if not isinstance(value, bool | float) else str(value)
        if kind == "decimal":
            number = Decimal(str(value))
            return number if number.is_finite() else str(value)
        if kind == "bool":
            return value if isinstance(value, bool) else str(value)
        if kind in ("time", "day"):
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            seconds = int(moment.timestamp())
            return -(-seconds // DAY) * DAY if kind == "day" else seconds  # the chain rounds up
    except (ValueError, TypeError, InvalidOperation):
        return str(value)
    return str(value)


def _show(value: Any) -> str | None:
    """A value as text, the way the registry's JSON writes it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def _summary(entity: str, record: dict[str, Any]) -> str:
    """A whole record on one line: `field=value` pairs separated by "; "."""
    return "; ".join(
        f"{name}={_show(record[name])}"
        for name, _ in _FIELDS[entity]
        if name in record and record[name] is not None
    )


def _id_order(entity: str, key: str) -> tuple[int, str]:
    return (int(key), "") if entity in ("receipt", "lien", "pledge-request", "voucher") else (0, key)


def _compare(entity: str, registry: Side, chain: Side, *, oversight: bool) -> tuple[list[Divergence], int]:
    """The entity's divergences, and how many records' lien terms were withheld (so not compared)."""
    ours, theirs = registry[entity], chain[entity]
    parent = _PARENT.get(entity)
    terms, flag = _TERMS.get(entity, (frozenset(), ""))
    out: list[Divergence] = []
    withheld = 0
    for key in sorted(set(ours) | set(theirs), key=lambda k: _id_order(entity, k)):
        if parent is not None and not (key in registry[parent] and key in chain[parent]):
            continue  # its receipt is itself missing or extra
        if key not in ours:
            out.append(Divergence("missing", entity, key, None, None, _summary(entity, theirs[key])))
            continue
        if key not in theirs:
            out.append(Divergence("extra", entity, key, None, _summary(entity, ours[key]), None))
            continue
        mine, truth = ours[key], theirs[key]
        hidden = bool(flag) and mine.get(flag) is True
        if hidden:
            withheld += 1
            if oversight:  # an auditor or regulator is never refused a lien's terms
                out.append(Divergence("different", entity, key, flag, "true", "false"))
        for name, kind in _FIELDS[entity]:
            if name not in truth:
                continue  # not known on chain for this record (e.g. the owner of a burned receipt)
            if hidden and name in terms:
                continue
            if _canon(kind, mine.get(name)) != _canon(kind, truth[name]):
                out.append(
                    Divergence("different", entity, key, name, _show(mine.get(name)), _show(truth[name]))
                )
    return out, withheld


# ------------------------------------------------------------------ the registry's side


def _registry_call(api: RegistryApi, what: str, call: Callable[[], Any], *, absent_ok: bool = False) -> Any:
    """The registry's answer; None for a 404 where `absent_ok` (one item, no longer there)."""
    try:
        return call()
    except RegistryRequestFailed as exc:
        if exc.status == 404 and absent_ok:
            return None
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise RegistryAnswerInvalid(f"the registry at {api.base_url} answered {what} oddly: {exc}") from None


def _participant_key(address: Any) -> str:
    text = str(address)
    return to_checksum_address(text) if is_address(text) else text


def _put(side: Side, entity: str, item: dict[str, Any]) -> None:
    """Files one item the API answered under its id (a receipt's lien and request separately)."""
    if entity == "participant":
        side["participant"][_participant_key(item.get("address"))] = item
    elif entity == "lot":
        side["lot"][str(item.get("lot_id")).lower()] = item
    elif entity == "voucher":
        side["voucher"][str(item.get("voucher_id"))] = item
    else:
        key = str(item.get("receipt_id"))
        side["receipt"][key] = item
        for sub, name in (("lien", "lien"), ("pledge-request", "pledge_request")):
            if isinstance(item.get(name), dict):
                side[sub][key] = item[name]
            else:
                side[sub].pop(key, None)


def _read_registry(api: RegistryApi) -> Side:
    """Everything the registry answers: participants, lots, receipts, vouchers, every page."""
    side = _empty()
    for entity, call in (
        ("participant", api.participants),
        ("lot", api.lots),
        ("receipt", api.receipts),
        ("voucher", api.vouchers),
    ):
        for item in _objects(api, entity, _registry_call(api, f"the {entity} list", call)):
            _put(side, entity, item)
    return side


def _objects(api: RegistryApi, entity: str, items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise RegistryAnswerInvalid(
            f"the registry at {api.base_url} answered a {entity} list that is not a list of objects"
        )
    return items


@dataclass
class _Touched:
    """What events in a range of blocks changed (over-approximated: a re-read is always safe)."""

    participants: set[str] = field(default_factory=set)
    lots: set[str] = field(default_factory=set)
    lot_receipts: set[str] = field(default_factory=set)  # lots whose every receipt changed (a freeze)
    receipts: set[int] = field(default_factory=set)
    vouchers: set[int] = field(default_factory=set)

    def __len__(self) -> int:
        return (
            len(self.participants)
            + len(self.lots)
            + len(self.lot_receipts)
            + len(self.receipts)
            + len(self.vouchers)
        )


def _touched(lh: Ledgerhouse, after: int, through: int) -> _Touched:
    """The participants, lots, receipts and vouchers that events in blocks after+1..through touched."""
    chain = AuditChain(lh, through)
    codecs = (chain.receipts, chain.receivables, chain.participants)
    touched = _Touched()
    for events in chain.logs([LogQuery(codec, (), after + 1, through) for codec in codecs]):
        for event in events:
            a = event.args
            for key in ("receiptId", "keptId", "mergedId", "id"):
                if isinstance(a.get(key), int):
                    touched.receipts.add(int(a[key]))
            if event.name == "ReceiptSplit":
                first = int(a["firstNewId"])
                touched.receipts.update(range(first, first + len(a["quantities"]) - 1))
            if isinstance(a.get("lotId"), bytes):
                touched.lots.add(hex32(a["lotId"]))
                if event.name in ("StockShortfall", "LotUnfrozen", "StocktakeRecorded"):
                    touched.lot_receipts.add(hex32(a["lotId"]))
            for key in ("voucherId", "childId", "closedId"):
                if isinstance(a.get(key), int):
                    touched.vouchers.add(int(a[key]))
            if event.name == "VoucherIssued":
                touched.vouchers.add(int(a["rootId"]))
            if isinstance(a.get("account"), str):
                touched.participants.add(str(a["account"]))
    return touched


def _put_all(api: RegistryApi, side: Side, lot: str) -> None:
    """Every receipt of a lot again (a freeze or unfreeze of the lot changes each one's answer)."""
    for item in _objects(
        api, "receipt", _registry_call(api, "a lot's receipts", lambda: api.receipts(lot=lot))
    ):
        _put(side, "receipt", item)


def _reread(api: RegistryApi, side: Side, touched: _Touched) -> int:
    """Reads each touched item again on its own (absent now: dropped); returns how many."""

    def one(entity: str, key: str, path: str) -> None:
        item = _registry_call(api, path, lambda: api.get(path), absent_ok=True)
        if isinstance(item, dict):
            _put(side, entity, item)
            return
        side[entity].pop(key, None)
        if entity == "receipt":
            side["lien"].pop(key, None)
            side["pledge-request"].pop(key, None)

    for account in sorted(touched.participants):
        one("participant", account, f"/participants/{account}")
    for lot in sorted(touched.lots):
        one("lot", lot, f"/lots/{lot}")
    for lot in sorted(touched.lot_receipts):
        _put_all(api, side, lot)
    for rid in sorted(touched.receipts):
        one("receipt", str(rid), f"/receipts/{rid}")
    for vid in sorted(touched.vouchers):
        one("voucher", str(vid), f"/vouchers/{vid}")
    return len(touched)


# ------------------------------------------------------------------ the chain's side


@dataclass(frozen=True)
class _Origin:
    """Where a receipt came from, as its mint or split event says."""

    lot_id: str
    warehouse: str
    details: str
    parent_id: int | None


_RECEIPT_EVENTS = (
    "StocktakeRecorded",
    "ReceiptMinted",
    "ReceiptSplit",
    "ReceiptsMerged",
    "Delivered",
    "PledgeRequested",
)
_VOUCHER_EVENTS = ("VoucherIssued", "VoucherSplit")
_MEMBER_EVENTS = ("MemberAdmitted", "MembershipSuspended", "MembershipReinstated", "MembershipRevoked")


def _read_chain(lh: Ledgerhouse, block: int) -> Side:
    """Every participant, lot, receipt, lien, pledge request and voucher as the contracts hold them
    at `block`; ids from the events, state from the views, all in JSON-RPC batches."""
    chain = AuditChain(lh, block)
    rc, rv = chain.receipts, chain.receivables
    pr = chain.participants
    receipt_events, voucher_events, member_events = chain.logs(
        [
            chain.query(rc, [rc.topic[n] for n in _RECEIPT_EVENTS]),
            chain.query(rv, [rv.topic[n] for n in _VOUCHER_EVENTS]),
            chain.query(pr, [pr.topic[n] for n in _MEMBER_EVENTS]),
        ]
    )

    lots: dict[str, None] = {}  # in order of first stocktake
    origins: dict[int, _Origin] = {}
    burned: dict[int, str] = {}
    requests: dict[tuple[int, int], ChainEvent] = {}
    for e in receipt_events:
        a = e.args
        if e.name == "StocktakeRecorded":
            lots.setdefault(hex32(a["lotId"]))
        elif e.name == "ReceiptMinted":
            origins[int(a["receiptId"])] = _Origin(
                hex32(a["lotId"]), str(a["warehouse"]), hex32(a["details"]), None
            )
        elif e.name == "ReceiptSplit":
            parent_id = int(a["receiptId"])
            parent = origins.get(parent_id, _Origin(hex32(a["lotId"]), "", "", None))
            first = int(a["firstNewId"])
            for k in range(len(a["quantities"]) - 1):
                origins[first + k] = _Origin(parent.lot_id, parent.warehouse, parent.details, parent_id)
        elif e.name == "ReceiptsMerged":
            burned[int(a["mergedId"])] = "merged"
        elif e.name == "Delivered" and a["burned"]:
            burned[int(a["receiptId"])] = "delivered"
        elif e.name == "PledgeRequested":
            requests[(int(a["receiptId"]), int(a["requestSeq"]))] = e
    voucher_ids: list[int] = []
    for e in voucher_events:
        voucher_ids.append(int(e.args["rootId"] if e.name == "VoucherIssued" else e.args["childId"]))
    root_ids = sorted({i for i in voucher_ids if i % VOUCHERS_PER_ROOT == 0})
    members: dict[str, str | None] = {}  # account -> status reason, in order of admission
    for e in member_events:
        reason = e.args.get("reason") if e.name in ("MembershipSuspended", "MembershipRevoked") else None
        members[str(e.args["account"])] = str(reason) if reason is not None else None

    receipts = [rid for rid in sorted(origins) if rid not in burned]
    wr, rb, reg = (
        chain.receipts_contract.functions,
        chain.receivables_contract.functions,
        chain.registry.functions,
    )
    calls = [
        *(wr.lot(bytes.fromhex(lot[2:])) for lot in lots),
        *(f for rid in receipts for f in (wr.receipt(rid), wr.lien(rid))),
        *(rb.root(r) for r in root_ids),
        *(f for vid in voucher_ids for f in (rb.voucher(vid), rb.lien(vid), rb.discount(vid))),
        *(reg.member(account) for account in members),
    ]
    results = iter(chain.calls(calls))

    side = _empty()
    lot_views: dict[str, Any] = {}
    for lot in lots:
        view = _value(next(results))
        lot_views[lot] = view
        side["lot"][lot] = _lot_record(view)

    delivery: list[int] = []
    for rid in receipts:
        raw, raw_lien = next(results), next(results)
        origin = origins[rid]
        record: dict[str, Any] = {
            "warehouse": origin.warehouse,
            "lot_id": origin.lot_id,
            "parent_id": origin.parent_id,
            "details": origin.details,
        }
        side["receipt"][str(rid)] = record
        if isinstance(raw, LedgerhouseError):
            record["status"] = "unknown to the contract"
            continue
        owner, warehouse, lot_id, quantity, expires_at, _, frozen, delivery_requested, _ = raw[0]
        lot_view = lot_views.get(hex32(lot_id))
        decimals = int(lot_view[4]) if lot_view is not None else 0
        record.update(
            status="live",
            owner=str(owner),
            quantity=from_base_units(int(quantity), decimals),
            warehouse=str(warehouse),
            lot_id=hex32(lot_id),
            commodity=decode_code(lot_view[2]) if lot_view is not None else "",
            expires_at=expiry_shown(int(expires_at)) if int(expires_at) else None,
            frozen=bool(frozen),
            delivery_requested=None,
        )
        if delivery_requested:
            delivery.append(rid)
        _lien_records(side, rid, _value(raw_lien), requests)
    for rid, amount in zip(delivery, chain.state([wr.deliveryRequest(rid) for rid in delivery]), strict=True):
        lot_view = lot_views.get(str(side["receipt"][str(rid)]["lot_id"]))
        decimals = int(lot_view[4]) if lot_view is not None else 0
        side["receipt"][str(rid)]["delivery_requested"] = from_base_units(int(amount[0]), decimals)
    for rid, kind in burned.items():
        if rid in origins:
            side["receipt"][str(rid)] = {
                "status": kind,
                "warehouse": origins[rid].warehouse,
                "lot_id": origins[rid].lot_id,
                "parent_id": origins[rid].parent_id,
                "details": origins[rid].details,
            }

    roots = {r: _value(next(results)) for r in root_ids}
    for vid in voucher_ids:
        view, lien, sale = _value(next(results)), _value(next(results)), _value(next(results))
        side["voucher"][str(vid)] = _voucher_record(
            vid, view, roots.get(vid - vid % VOUCHERS_PER_ROOT), lien, sale
        )

    for account, reason in members.items():
        role, status, admitted_at, valid_until, _, entity_id, name = _value(next(results))
        side["participant"][account] = {
            "role": Role(int(role)).label if int(role) in Role._value2member_map_ else str(role),
            "name": str(name),
            "entity_id": hex32(entity_id),
            "status": MemberStatus(int(status)).label
            if int(status) in MemberStatus._value2member_map_
            else str(status),
            "status_reason": reason,
            "kyc_valid_until": timestamp(int(valid_until)),
            "admitted_at": timestamp(int(admitted_at)),
        }
    return side


def _value(result: tuple[Any, ...] | LedgerhouseError) -> Any:
    """The single (struct) output of a view that cannot revert."""
    if isinstance(result, LedgerhouseError):
        raise result
    return result[0]


def _nonzero(address: Any) -> bool:
    return int(str(address), 16) != 0


def _lot_record(view: Any) -> dict[str, Any]:
    _, warehouse, commodity, unit, decimals, attested, receipted, last_stocktake, frozen, live = view
    return {
        "warehouse": str(warehouse),
        "commodity": decode_code(commodity),
        "unit": decode_code(unit),
        "decimals": int(decimals),
        "attested": from_base_units(int(attested), int(decimals)),
        "receipted": from_base_units(int(receipted), int(decimals)),
        "live_receipts": int(live),
        "frozen": bool(frozen),
        "last_stocktake_at": timestamp(int(last_stocktake)),
    }


def _lien_records(side: Side, rid: int, lien: Any, requests: dict[tuple[int, int], ChainEvent]) -> None:
    """A receipt's active lien or pending pledge request; amount, currency and loan reference come
    from the PledgeRequested event of its request sequence (the contract keeps only their hash)."""
    lender, maturity, state, seq = lien
    if LienState(int(state)) is LienState.NONE:
        return
    request = requests.get((rid, int(seq)))
    terms: dict[str, Any] = {
        "lender": str(lender),
        "secured_amount": as_money(int(request.args["securedAmount"])) if request else None,
        "currency": decode_code(request.args["currency"]) if request else None,
        "loan_maturity": timestamp(int(maturity)),
    }
    if LienState(int(state)) is LienState.ACTIVE:
        terms["loan_ref"] = hex32(request.args["loanRef"]) if request else None
        side["lien"][str(rid)] = terms
    else:
        terms["request_seq"] = int(seq)
        side["pledge-request"][str(rid)] = terms


def _voucher_record(vid: int, view: Any, root: Any, lien: Any, sale: Any) -> dict[str, Any]:
    holder, value, root_id, parent_id, tier, status, overdue = view
    lienholder, secured, _, accepted, _ = lien
    buyer, _, _, price, rate_bps, _, _ = sale
    record: dict[str, Any] = {
        "status": VoucherStatus(int(status)).label
        if int(status) in VoucherStatus._value2member_map_
        else str(status),
        "holder": str(holder),
        "value": as_money(int(value)),
        "root_id": int(root_id),
        "parent_id": int(parent_id) or None,
        "tier": int(tier),
        "overdue": bool(overdue),
        "lienholder": str(lienholder) if accepted and _nonzero(lienholder) else None,
        "secured_amount": as_money(int(secured)) if _nonzero(lienholder) else None,
        "discounted_by": str(buyer) if _nonzero(buyer) else None,
        "discount_price": as_money(int(price)) if _nonzero(buyer) else None,
        "discount_rate_bps": int(rate_bps) if _nonzero(buyer) else None,
    }
    if root is not None:
        obligor, _, _, currency, _, _, _, _, maturity, *_ = root
        record.update(obligor=str(obligor), currency=decode_code(currency), maturity=timestamp(int(maturity)))
    return record
