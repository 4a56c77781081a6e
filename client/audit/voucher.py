"""Audit of a voucher tree: root, ancestors, descendants, every discount, pledge and payment, and
whether the sums close (live pieces + paid = face value)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from client._encoding import as_money, decode_code, timestamp
from client._typed import typed_errors
from client.audit.reading import (
    VOUCHERS_PER_ROOT,
    AuditChain,
)
from client.audit.report import csv_table, flat_row, json_value
from client.errors import InvalidInput, LedgerhouseError
from client.reader import ChainEvent, checksummed, topic_of
from client.receivables import VoucherStatus

if TYPE_CHECKING:
    from client import Ledgerhouse

__all__ = [
    "LIVE_STATUSES",
    "DiscountRecord",
    "PieceAudit",
    "PledgeRecord",
    "SettlementRecord",
    "SumCheck",
    "TreeDoesNotClose",
    "VoucherAudit",
    "VoucherEntry",
    "audit_voucher",
]


class TreeDoesNotClose(LedgerhouseError):
    """A voucher tree's sums do not add up: live pieces plus what was paid is not the face value."""


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
        data: dict[str, Any] = json_value(self)
        data["closes"] = self.closes
        return data

    def csv_table(self) -> tuple[list[str], list[list[str]]]:
        """The tree, one row per piece, with its last discount, pledge and payment."""
        return csv_table(PieceAudit, [flat_row(p, PieceAudit) for p in self.pieces], root_id=self.root_id)


LIVE_STATUSES = frozenset(
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
    chain = AuditChain(lh, at_block)
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
    live = sum((p.value for p in audited if p.status in LIVE_STATUSES), Decimal("0.00"))
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
        holder=checksummed(str(holder)),
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
            checksummed(str(on_chain[i][0])),
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
