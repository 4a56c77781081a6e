"""Audit of one receipt: its full life (its own events, its split parents', its lot's) up to a
block, its state at that block as the contract holds it, and where the two disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from client._encoding import as_money, decode_code, from_base_units, timestamp, valid_until
from client._typed import typed_errors
from client._types import Role
from client.audit.reading import (
    AuditChain,
    hex32,
    position,
)
from client.audit.report import csv_table, flat_row, json_value
from client.errors import ChainUnavailable, InvalidInput, LedgerhouseError
from client.reader import ChainEvent, LogQuery, checksummed, topic_of
from client.receipts import LienState

if TYPE_CHECKING:
    from client import Ledgerhouse

__all__ = [
    "LOT_EVENTS",
    "RECEIPT_EVENTS",
    "LienSummary",
    "LotEvent",
    "ReceiptAudit",
    "ReceiptEntry",
    "ReceiptState",
    "audit_receipt",
    "lot_event",
]


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
        data: dict[str, Any] = json_value(self)
        return data

    def csv_table(self) -> tuple[list[str], list[list[str]]]:
        """The history, one row per entry."""
        return csv_table(ReceiptEntry, [flat_row(e, ReceiptEntry) for e in self.history])


# Receipt events whose first indexed topic is a receipt id.
RECEIPT_EVENTS = frozenset(
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
LOT_EVENTS = ("StocktakeRecorded", "StockShortfall", "LotUnfrozen")


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
    chain = AuditChain(lh, at_block)
    if receipt_id <= 0:
        raise InvalidInput(f"receipt id {receipt_id} must be a positive whole number")

    # Its own events, then each split parent's up to the split that created the part.
    lineage: list[tuple[int, list[ChainEvent]]] = []
    subject, cut = receipt_id, None
    while True:
        events = _own_receipt_events(chain, subject)
        if cut is not None:
            events = [e for e in events if position(e) <= cut]
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
        subject, cut = int(split.args["receiptId"]), position(split)

    mint = next(e for e in lineage[-1][1] if e.name == "ReceiptMinted")
    lot_id = hex32(mint.args["lotId"])
    [lot_events] = chain.logs(
        [chain.query(chain.receipts, [chain.receipts.topic[n] for n in LOT_EVENTS], lot_id)]
    )
    stocktake = next(
        (e for e in reversed(lot_events) if e.name == "StocktakeRecorded" and position(e) < position(mint)),
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
            position(e)
            for e in own_events
            if (e.name == "Delivered" and e.args["burned"])
            or (e.name == "ReceiptsMerged" and int(e.args["mergedId"]) == receipt_id)
        ),
        (chain.block + 1, 0),
    )
    tagged += [
        (e, receipt_id, "lot")
        for e in lot_events
        if e.name in ("StockShortfall", "LotUnfrozen") and position(mint) < position(e) <= end
    ]
    tagged.sort(key=lambda t: position(t[0]))

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
        stocktake=lot_event(stocktake, times, decimals) if stocktake else None,
        history=history,
        state=state,
        findings=findings,
    )


def _own_receipt_events(chain: AuditChain, receipt_id: int) -> list[ChainEvent]:
    codec, topic = chain.receipts, topic_of(receipt_id)
    by_id, transfers, merged = chain.logs(
        [
            chain.query(codec, None, topic),
            chain.query(codec, codec.topic["Transfer"], None, None, topic),
            chain.query(codec, codec.topic["ReceiptsMerged"], None, topic),
        ]
    )
    unique = {position(e): e for e in [*(e for e in by_id if e.name in RECEIPT_EVENTS), *transfers, *merged]}
    return sorted(unique.values(), key=position)


def _split_creating(chain: AuditChain, receipt_id: int, created: ChainEvent) -> ChainEvent | None:
    """The ReceiptSplit that created `receipt_id` (in the transaction of its first event)."""
    codec = chain.receipts
    block = created.block_number
    [splits] = chain.logs([LogQuery(codec, (codec.topic["ReceiptSplit"],), block, block)])
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


def lot_event(event: ChainEvent, times: dict[int, datetime], decimals: int) -> LotEvent:
    a = event.args

    def qty(name: str) -> Decimal | None:
        return from_base_units(int(a[name]), decimals) if name in a else None

    return LotEvent(
        event=event.name,
        lot_id=hex32(a["lotId"]),
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
    owner = checksummed(str(owner_raw))
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
                lender=checksummed(str(lender)),
                request_seq=int(seq),
                loan_maturity=timestamp(int(maturity)),
                secured_amount=as_money(int(request.args["securedAmount"])) if request else None,
                currency=decode_code(request.args["currency"]) if request else None,
                loan_ref=hex32(request.args["loanRef"]) if request else None,
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
