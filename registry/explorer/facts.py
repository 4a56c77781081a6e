"""The explorer's building blocks: a `Fact` is one shown value (its text, where it links, its full
form on hover), `Field`s and `Table`s arrange them, `Links` knows where each kind of thing is shown
and calls participants by their registered names, and `Events` reads stored chain events as facts.
Nothing here makes markup; the templates (and the `fact`/`cell` filters) escape every value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from client._encoding import decode_code
from client._types import Role
from registry.api.schemas import EventOut
from registry.db.models import ChainEventRow, Lot, Participant, Receipt
from registry.services import receipts as receipts_service
from registry.services._format import money, quantity, when

ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
BYTES32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
ADDRESS_IN_TEXT = re.compile(r"0x[0-9a-fA-F]{40}(?![0-9a-fA-F])")
ZERO_ADDRESS = "0x" + "00" * 20


# ---------------------------------------------------------------- building blocks


@dataclass(frozen=True)
class Fact:
    """One shown value: its text, where it links (if anywhere) and its full form on hover."""

    text: str
    href: str | None = None
    title: str | None = None
    kind: str = ""  # a CSS class: party, tx, hash, time, id, flag-bad, flag-ok, muted


Cell = tuple[Fact, ...]


@dataclass(frozen=True)
class Field:
    label: str
    value: Cell


@dataclass(frozen=True)
class Table:
    id: str
    caption: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    numeric: frozenset[int] = frozenset()  # column indexes aligned right
    empty: str = "none"
    more: str | None = None
    row_classes: list[str] = field(default_factory=list)


def text(value: str, kind: str = "", title: str | None = None) -> Cell:
    return (Fact(value, kind=kind, title=title),)


def listing(facts: Iterable[Fact]) -> Cell:
    """Facts shown as a list: "A, B, C"."""
    out: list[Fact] = []
    for i, f in enumerate(facts):
        if i:
            out.append(Fact(",", kind="sep"))
        out.append(f)
    return tuple(out)


def rate(bps: int) -> str:
    return f"{Decimal(bps).scaleb(-2):f} % a year"


def utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def utc_fact(moment: datetime) -> Fact:
    return Fact(utc(moment), kind="time", title=moment.isoformat())


def short_hex(value: str, head: int = 6, tail: int = 4) -> str:
    return value if len(value) <= head + tail + 1 else f"{value[:head]}…{value[-tail:]}"


class Links:
    """Where each kind of thing is shown, and participants by their registered names."""

    def __init__(self, *, base: str, names: dict[str, str], tx_url: str | None) -> None:
        self.base = base.rstrip("/")
        self.names = names
        self.tx_url = tx_url

    @classmethod
    def load(cls, session: Session, *, base: str, tx_url: str | None) -> Links:
        names = {a: n for a, n in session.execute(select(Participant.address, Participant.name))}
        return cls(base=base, names=names, tx_url=tx_url)

    def page(self, *parts: object) -> str:
        return "/".join([self.base, *(str(p) for p in parts)])

    def party(self, address: str) -> Fact:
        if address == ZERO_ADDRESS:
            return Fact("nobody (zero address)", title=address, kind="muted")
        name = self.names.get(address)
        if name is None:  # not a member (the consortium admin, a stranger): no page to link to
            return Fact(short_hex(address), title=f"{address} (not a registered participant)", kind="party")
        return Fact(name, href=self.page("participants", address), title=address, kind="party")

    def named(self, sentence: str) -> str:
        """A service's sentence with each registered address replaced by its participant's name."""
        return ADDRESS_IN_TEXT.sub(lambda m: self.names.get(m.group(0), m.group(0)), sentence)

    def tx_href(self, tx_hash: str) -> str:
        if self.tx_url:
            return self.tx_url.replace("{hash}", tx_hash)
        return self.page("tx", tx_hash)

    def tx(self, tx_hash: str) -> Fact:
        return Fact(short_hex(tx_hash, 10, 6), href=self.tx_href(tx_hash), title=tx_hash, kind="tx")

    def receipt(self, receipt_id: int) -> Fact:
        return Fact(f"#{receipt_id}", href=self.page("receipts", receipt_id), kind="id")

    def voucher(self, voucher_id: int) -> Fact:
        return Fact(str(voucher_id), href=self.page("vouchers", voucher_id), kind="id")

    def lot(self, lot_id: str, label: str | None = None) -> Fact:
        return Fact(
            label or short_hex(lot_id, 10, 6), href=self.page("lots", lot_id), title=lot_id, kind="hash"
        )


def hash_fact(value: str) -> Fact:
    if value == "0x" + "00" * 32:
        return Fact("none", title=value, kind="muted")
    return Fact(short_hex(value, 10, 6), title=value, kind="hash")


def flag(on: bool, yes: str, no: str) -> Fact:
    return Fact(yes, kind="flag-bad") if on else Fact(no, kind="flag-ok")


# ---------------------------------------------------------------- event arguments

_RECEIPT_ARGS = {"receiptId", "keptId", "mergedId", "firstNewId", "pledgedReceipts"}
_VOUCHER_ARGS = {"rootId", "voucherId", "childId", "closedId"}
_QUANTITY_ARGS = {"quantity", "attested", "receipted", "shortfall", "quantities"}
_MONEY_ARGS = {
    "securedAmount",
    "price",
    "value",
    "amount",
    "faceValue",
    "limit",
    "outstanding",
    "minDenomination",
}
_TIME_ARGS = {
    "expiresAt",
    "loanMaturity",
    "maturity",
    "validUntil",
    "expiry",
    "effectSchedule",
    "acceptSchedule",
}
_CODE_ARGS = {"commodity", "unit", "currency"}


@dataclass(frozen=True)
class Arg:
    name: str
    value: Cell


@dataclass(frozen=True)
class EventRow:
    block: int
    log_index: int
    time: datetime
    contract: str
    event: str
    tx_hash: str
    args: tuple[Arg, ...]
    inherited: bool = False  # the parent receipt's life before a split


class Events:
    """Turns stored events into rows whose arguments read as facts: quantities in the lot's unit,
    money in major units, codes decoded, parties by name, ids linked to their pages."""

    def __init__(self, session: Session, links: Links) -> None:
        self.session = session
        self.links = links
        self._lots: dict[str, Lot | None] = {}
        self._receipt_lots: dict[int, str | None] = {}

    def _lot(self, lot_id: str | None) -> Lot | None:
        if lot_id is None:
            return None
        if lot_id not in self._lots:
            self._lots[lot_id] = self.session.get(Lot, lot_id)
        return self._lots[lot_id]

    def _lot_of_receipt(self, receipt_id: int) -> Lot | None:
        if receipt_id not in self._receipt_lots:
            receipt = self.session.get(Receipt, receipt_id)
            self._receipt_lots[receipt_id] = receipt.lot_id if receipt is not None else None
        return self._lot(self._receipt_lots[receipt_id])

    def _lot_for(self, args: dict[str, Any]) -> Lot | None:
        if isinstance(args.get("lotId"), str):
            return self._lot(args["lotId"])
        for key in ("receiptId", "keptId"):
            if key in args:
                return self._lot_of_receipt(int(args[key]))
        return None

    def row(self, e: EventOut | ChainEventRow, *, inherited: bool = False) -> EventRow:
        if isinstance(e, ChainEventRow):
            e = receipts_service.event_out(e)
        lot = self._lot_for(e.args)
        args = tuple(
            Arg(name, self.value(e.contract, e.event, name, value, lot)) for name, value in e.args.items()
        )
        return EventRow(
            block=e.block,
            log_index=e.log_index,
            time=e.time,
            contract=e.contract,
            event=e.event,
            tx_hash=e.tx_hash,
            args=args,
            inherited=inherited,
        )

    def value(self, contract: str, event: str, name: str, value: object, lot: Lot | None) -> Cell:
        if isinstance(value, list):
            parts = [f for item in value for f in self.value(contract, event, name, item, lot)]
            return listing(parts) or text("none", "muted")
        links = self.links
        if isinstance(value, bool):
            return text("yes" if value else "no")
        if name in _RECEIPT_ARGS or (name == "id" and contract == "WarehouseReceipts"):
            return (links.receipt(int(str(value))),)
        if name in _VOUCHER_ARGS:
            return (links.voucher(int(str(value))),)
        if name == "lotId" and isinstance(value, str):
            return (links.lot(value),)
        if name in _QUANTITY_ARGS:
            if lot is None:
                return text(f"{value} base units")
            return text(f"{quantity(int(str(value)), lot.decimals)} {lot.unit}")
        if name in _MONEY_ARGS:
            return text(money(int(str(value))))
        if name in _TIME_ARGS:
            seconds = int(str(value))
            return text("none", "muted") if seconds == 0 else (utc_fact(when(seconds)),)
        if name in _CODE_ARGS and isinstance(value, str) and value.startswith("0x"):
            return text(decode_code(bytes.fromhex(value[2:])))
        if name == "role" and isinstance(value, int):
            try:
                return text(Role(value).label)
            except ValueError:
                return text(str(value))
        if name == "rateBps":
            return text(rate(int(str(value))))
        if isinstance(value, str) and ADDRESS.match(value):
            return (links.party(value),)
        if isinstance(value, str) and BYTES32.match(value):
            return (hash_fact(value),)
        return text(str(value))

    def table(
        self,
        id: str,
        caption: str,
        rows: Sequence[EventRow],
        *,
        empty: str = "no events",
        with_contract: bool = False,
    ) -> Table:
        columns = ("Block", "Time (UTC)", *(("Contract",) if with_contract else ()), "Event", "Details", "Tx")
        out: list[tuple[Cell, ...]] = []
        classes: list[str] = []
        for r in rows:
            details: list[Fact] = []
            for a in r.args:
                details.append(Fact(f"{a.name}:", kind="arg"))
                details.extend(a.value)
            out.append(
                (
                    text(str(r.block)),
                    (utc_fact(r.time),),
                    *((text(r.contract),) if with_contract else ()),
                    text(r.event, "event"),
                    tuple(details),
                    (self.links.tx(r.tx_hash),),
                )
            )
            classes.append("inherited" if r.inherited else "")
        return Table(
            id=id,
            caption=caption,
            columns=columns,
            rows=out,
            numeric=frozenset({0}),
            empty=empty,
            row_classes=classes,
        )
