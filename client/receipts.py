"""Warehouse receipts: stocktakes, minting, endorsement, split/merge, pledges, delivery, due diligence.

Quantities are `Decimal` in the lot's display unit (e.g. 1500.250 t) and integers on chain (base
units, `decimals` fixed per lot by the inspector). Money is `Decimal` in the currency's major unit
and integer minor units on chain. Nothing here uses floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import TYPE_CHECKING, Any, cast

from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError

from client._contract import ChainEvent, ContractClient, topic_of
from client._encoding import (
    as_money,
    commitment,
    decode_code,
    from_base_units,
    json_value,
    money,
    short_code,
    timestamp,
    to_base_units,
    valid_until,
)
from client._types import Role
from client.chain import TxResult, calldata, checksum, decode_revert
from client.errors import InvalidInput, LedgerhouseError
from client.identifiers import canonical_identifier, identifier_commitment, is_commitment_hex

if TYPE_CHECKING:
    from client.batch import BatchResult, MintRow, Progress, StocktakeRow

__all__ = [
    "DueDiligenceReport",
    "LienState",
    "LienView",
    "LotView",
    "MintResult",
    "ReceiptView",
    "Receipts",
]

# Gas limit for a bulk (non-serialized) mint when pipelining without per-call estimation: the
# heaviest case (new holder, first receipt ever) measures ~100k, so 150k leaves a wide margin.
BULK_MINT_GAS = 150_000
RECEIPTS_PER_TX = 10  # bulk mints per multicall transaction: shares the 21,000 base cost
PIPELINE_DEPTH = 20  # transactions per JSON-RPC batch when pipelining


class LienState(IntEnum):
    NONE = 0
    REQUESTED = 1
    ACTIVE = 2


@dataclass(frozen=True)
class LotView:
    lot_id: str
    warehouse: str
    commodity: str
    unit: str
    decimals: int
    attested: Decimal
    receipted: Decimal
    last_stocktake_at: datetime
    frozen: bool
    live_receipts: int
    identity: str | None = None  # the goods' identity as entered, when the lot was asked for by it
    canonical: str | None = None  # its canonical form, which the chain commits to (client.identifiers)

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], json_value(self))


@dataclass(frozen=True)
class LienView:
    state: LienState
    lender: str | None
    loan_maturity: datetime | None
    request_seq: int
    secured_amount: Decimal | None = None
    currency: str | None = None
    loan_ref: str | None = None

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], json_value(self))


@dataclass(frozen=True)
class ReceiptView:
    receipt_id: int
    owner: str
    warehouse: str
    lot_id: str
    commodity: str
    unit: str
    quantity: Decimal
    expires_at: datetime | None
    pledge_locked: bool
    frozen: bool
    delivery_requested: bool
    serialized: bool

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], json_value(self))


@dataclass(frozen=True)
class MintResult:
    receipt_id: int
    tx: TxResult


@dataclass
class DueDiligenceReport:
    """What a bank needs to decide whether a receipt is safe to lend against, from the chain alone."""

    receipt_id: int
    exists: bool
    genuine: bool = False
    receipt: ReceiptView | None = None
    lot: LotView | None = None
    lien: LienView | None = None
    expired: bool = False
    stocktake_age: timedelta | None = None
    warehouse_active: bool = False
    warehouse_name: str | None = None
    minted_by: str | None = None
    minted_at_block: int | None = None
    history: list[ChainEvent] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    @property
    def safe_to_lend(self) -> bool:
        return self.exists and not self.findings

    def to_json(self) -> dict[str, Any]:
        return {
            "receipt_id": self.receipt_id,
            "exists": self.exists,
            "safe_to_lend": self.safe_to_lend,
            "findings": self.findings,
            "genuine": self.genuine,
            "minted_by": self.minted_by,
            "minted_at_block": self.minted_at_block,
            "warehouse": {"name": self.warehouse_name, "active": self.warehouse_active},
            "receipt": self.receipt.to_json() if self.receipt else None,
            "lien": self.lien.to_json() if self.lien else None,
            "expired": self.expired,
            "lot": self.lot.to_json() if self.lot else None,
            "stock_cover": (
                {
                    "attested": str(self.lot.attested),
                    "receipted": str(self.lot.receipted),
                    "covered": self.lot.attested >= self.lot.receipted,
                    "last_stocktake_age_hours": round(self.stocktake_age.total_seconds() / 3600, 1)
                    if self.stocktake_age
                    else None,
                }
                if self.lot
                else None
            ),
            "history": [e.to_json() for e in self.history],
        }


class Receipts(ContractClient):
    """The warehouse-receipt contract, for every role; writes need a signer."""

    ARTIFACT = "WarehouseReceipts"

    def _lot_raw(self, lot: str) -> Any:
        return self.contract.functions.lot(identifier_commitment(lot, what="lot")).call()

    def _decimals_of(self, lot: str) -> int:
        return self.attested_lot(lot).decimals

    def attested_lot(self, lot: str) -> LotView:
        """The lot, or InvalidInput if no inspector ever attested it."""
        view = self.lot(lot)
        if view.lot_id == "0x" + "00" * 32:
            raise InvalidInput(f"lot {lot!r} has never been attested by an inspector")
        return view

    # ------------------------------------------------------------ inspector

    def stocktake_call(
        self,
        warehouse: str,
        lot: str,
        *,
        commodity: str,
        quantity: Decimal | int | str,
        unit: str,
        decimals: int = 3,
        evidence: bytes = b"",
    ) -> ContractFunction:
        if not 0 <= decimals <= 18:
            raise InvalidInput(f"decimals {decimals} must be between 0 and 18")
        try:
            zero = Decimal(str(quantity).strip()) == 0
        except InvalidOperation:
            zero = False  # not a number: to_base_units names it
        base = 0 if zero else to_base_units(quantity, decimals, what="quantity")
        lot_id = identifier_commitment(lot, what="lot")
        self._remember(lot, lot_id)
        raw = self.contract.functions.lot(lot_id).call()
        live: list[int] = []
        if int(raw[6]) > base:  # a shortfall: the chain wants every live receipt to name exposed lenders
            live = self.live_receipts(lot)
        return self.contract.functions.recordStocktake(
            checksum(warehouse, what="warehouse"),
            lot_id,
            short_code(commodity, 16, what="commodity"),
            short_code(unit, 8, what="unit"),
            decimals,
            base,
            evidence.ljust(32, b"\0")[:32] if evidence else b"\0" * 32,
            live,
        )

    def stocktake(self, warehouse: str, lot: str, **kwargs: Any) -> TxResult:
        """Attests the quantity of `lot` physically present at `warehouse` (INSPECTOR)."""
        return self._send(self.stocktake_call(warehouse, lot, **kwargs))

    # ------------------------------------------------------------ warehouse

    def mint_call(
        self,
        to: str,
        lot: str,
        *,
        commodity: str,
        quantity: Decimal | int | str,
        expires: date | None = None,
        details: bytes = b"",
        items: list[str] | None = None,
        decimals: int | None = None,
        unit: str | None = None,
    ) -> ContractFunction:
        """The validated mint call; `details` is the commitment to grade, location and documents.
        With `unit`, the lot must be attested in that unit (what the warehouse's paperwork says)."""
        if unit is not None:
            attested = self.attested_lot(lot)
            if attested.unit != unit:
                raise InvalidInput(f"lot {lot} is attested in {attested.unit!r}, not {unit!r}")
            decimals = attested.decimals if decimals is None else decimals
        lot_decimals = self._decimals_of(lot) if decimals is None else decimals
        base = to_base_units(quantity, lot_decimals, what="quantity")
        expires_at = self._future_day(expires, what="expiry date") if expires is not None else 0
        self._remember(lot, identifier_commitment(lot, what="lot"))
        args = (
            checksum(to, what="recipient"),
            identifier_commitment(lot, what="lot"),
            short_code(commodity, 16, what="commodity"),
            base,
            expires_at,
            details.ljust(32, b"\0")[:32] if details else b"\0" * 32,
        )
        if items:
            serials = sorted({identifier_commitment(item, what="serial") for item in items})
            if len(serials) != len(items):
                raise InvalidInput("the item list repeats a serial")
            return self.contract.functions.mintSerialized(*args, serials)
        return self.contract.functions.mint(*args)

    def mint(self, to: str, lot: str, **kwargs: Any) -> MintResult:
        """Issues a receipt (WAREHOUSE); returns its id."""
        tx = self._send(self.mint_call(to, lot, **kwargs))
        return MintResult(receipt_id=self.minted_ids(tx)[0], tx=tx)

    def bundle(
        self, calls: Sequence[ContractFunction], per_tx: int = RECEIPTS_PER_TX
    ) -> list[ContractFunction]:
        """Groups calls `per_tx` to a `multicall` transaction (each keeps the caller and its checks)."""
        return [
            self.contract.functions.multicall([bytes.fromhex(calldata(c)[2:]) for c in calls[i : i + per_tx]])
            for i in range(0, len(calls), per_tx)
        ]

    def mint_many(self, calls: Sequence[ContractFunction], *, per_tx: int = RECEIPTS_PER_TX) -> list[int]:
        """Mints bulk receipts `per_tx` to a transaction, all pipelined; returns the new ids in order.

        The calls are not simulated one by one (validate first, e.g. with `mint_call`): each
        transaction carries the bulk-mint gas profile, and a failure raises its decoded error.
        """
        bundles = self.bundle(calls, per_tx)
        sent = []
        for start in range(0, len(bundles), PIPELINE_DEPTH):
            group = bundles[start : start + PIPELINE_DEPTH]
            sent += self.signer.submit_many(group, gas=BULK_MINT_GAS * per_tx)
        return [rid for result in self.signer.wait_many(sent) for rid in self.minted_ids(result)]

    def mint_batch(
        self, rows: Sequence[MintRow], *, source: str = "batch", progress: Progress | None = None
    ) -> BatchResult:
        """Mints every row, or none: all rows are checked against the chain first (recipients'
        standing, lot attestation and cover, duplicates within the rows) and every bad row is named
        at once (`BatchRefused`); a refusal once sending began raises `BatchPartlyDone`, which says
        which rows were minted (ids) and which were not. Rows already minted (a re-run) are skipped."""
        from client.batch import check_mint_rows, mint_plan

        report = progress or _quiet
        return mint_plan(self, check_mint_rows(self, rows, source=source, progress=report), progress=report)

    def stocktake_batch(
        self, rows: Sequence[StocktakeRow], *, source: str = "batch", progress: Progress | None = None
    ) -> BatchResult:
        """Records every stocktake row, or none, with the same check-first rule as `mint_batch`."""
        from client.batch import check_stocktake_rows, stocktake_plan

        report = progress or _quiet
        plan = check_stocktake_rows(self, rows, source=source, progress=report)
        return stocktake_plan(self, plan, progress=report)

    def minted_ids(self, tx: TxResult) -> list[int]:
        """Ids of the receipts a transaction minted, read straight from the ReceiptMinted topics."""
        minted = self.codec.topic["ReceiptMinted"]
        ids = []
        for log in tx.receipt["logs"]:
            topics = [t if isinstance(t, str) else "0x" + bytes(t).hex() for t in log["topics"]]
            address = str(log["address"]).lower()
            if topics and topics[0] == minted and address == self.contract.address.lower():
                ids.append(int(topics[1], 16))
        return ids

    def confirm_delivery(self, receipt_id: int, items: list[str] | None = None) -> TxResult:
        """Releases the goods of a pending delivery request (issuing WAREHOUSE)."""
        serials = sorted(identifier_commitment(i, what="serial") for i in items) if items else []
        return self._send(self.contract.functions.confirmDelivery(receipt_id, serials))

    # ------------------------------------------------------------ owner

    def transfer(self, receipt_id: int, to: str) -> TxResult:
        """Endorses the receipt to another active member."""
        owner = self.signer.address
        return self._send(
            self.contract.functions.transferFrom(owner, checksum(to, what="recipient"), receipt_id)
        )

    def split(self, receipt_id: int, quantities: list[Decimal | int | str]) -> tuple[TxResult, list[int]]:
        """Splits a bulk receipt; returns the ids of all parts (the original first)."""
        view = self.receipt(receipt_id)
        decimals = self.lot(view.lot_id).decimals
        base = [to_base_units(q, decimals, what="part quantity") for q in quantities]
        tx = self._send(self.contract.functions.split(receipt_id, base))
        first_new = int(self.events_in(tx.receipt, "ReceiptSplit")[0]["args"]["firstNewId"])
        return tx, [receipt_id, *range(first_new, first_new + len(base) - 1)]

    def merge(self, kept_id: int, merged_id: int) -> TxResult:
        """Merges `merged_id` into `kept_id` (same lot and owner, bulk receipts)."""
        return self._send(self.contract.functions.merge(kept_id, merged_id, [], []))

    def request_delivery(self, receipt_id: int, quantity: Decimal | int | str | None = None) -> TxResult:
        view = self.receipt(receipt_id)
        decimals = self.lot(view.lot_id).decimals
        base = to_base_units(quantity if quantity is not None else view.quantity, decimals, what="quantity")
        return self._send(self.contract.functions.requestDelivery(receipt_id, base))

    def request_pledge(
        self,
        receipt_id: int,
        lender: str,
        *,
        amount: Decimal | int | str,
        currency: str,
        maturity: date,
        loan_ref: str = "",
    ) -> tuple[TxResult, int]:
        """Asks `lender` to accept a pledge; returns the request number the lender accepts."""
        lender_address = checksum(lender, what="lender")
        self.participants.require_active(lender_address, Role.LENDER)
        maturity_ts = self._future_day(maturity, what="loan maturity")
        call = self.contract.functions.requestPledge(
            receipt_id,
            lender_address,
            money(amount, what="amount"),
            short_code(currency.upper(), 3, what="currency"),
            commitment(loan_ref) if loan_ref else b"\0" * 32,
            maturity_ts,
        )
        tx = self._send(call)
        seq = int(self.events_in(tx.receipt, "PledgeRequested")[0]["args"]["requestSeq"])
        return tx, seq

    def cancel_pledge_request(self, receipt_id: int) -> TxResult:
        return self._send(self.contract.functions.cancelPledgeRequest(receipt_id))

    # ------------------------------------------------------------ lender

    def accept_pledge(self, receipt_id: int, request_seq: int | None = None) -> TxResult:
        """Accepts the pending request (the current one unless `request_seq` pins it)."""
        seq = request_seq if request_seq is not None else self.lien(receipt_id).request_seq
        return self._send(self.contract.functions.acceptPledge(receipt_id, seq))

    def release_pledge(self, receipt_id: int) -> TxResult:
        return self._send(self.contract.functions.releasePledge(receipt_id))

    def foreclose(self, receipt_id: int, to: str | None = None) -> TxResult:
        target = checksum(to, what="buyer") if to else self.signer.address
        return self._send(self.contract.functions.foreclose(receipt_id, target))

    # ------------------------------------------------------------ regulator

    def freeze(self, receipt_id: int, reason: str) -> TxResult:
        return self._send(self.contract.functions.freezeReceipt(receipt_id, _reason(reason)))

    def unfreeze(self, receipt_id: int, reason: str) -> TxResult:
        return self._send(self.contract.functions.unfreezeReceipt(receipt_id, _reason(reason)))

    def set_paused(self, paused: bool) -> TxResult:
        """Stops (or resumes) every state change of the receipts contract (consortium admin)."""
        return self._send(self.contract.functions.setPaused(paused))

    def unfreeze_lot(self, lot: str) -> TxResult:
        return self._send(self.contract.functions.unfreezeLot(identifier_commitment(lot, what="lot")))

    # ------------------------------------------------------------ reads

    def receipt(self, receipt_id: int) -> ReceiptView:
        try:
            raw = self.contract.functions.receipt(receipt_id).call()
        except ContractLogicError as exc:
            raise decode_revert(exc.data, self._labels()) from None
        owner, warehouse, lot_id, quantity, expires_at, locked, frozen, delivery, serialized = raw
        lot = self.lot("0x" + bytes(lot_id).hex())
        return ReceiptView(
            receipt_id=receipt_id,
            owner=owner,
            warehouse=warehouse,
            lot_id="0x" + bytes(lot_id).hex(),
            commodity=lot.commodity,
            unit=lot.unit,
            quantity=from_base_units(int(quantity), lot.decimals),
            expires_at=valid_until(int(expires_at)) if expires_at else None,
            pledge_locked=bool(locked),
            frozen=bool(frozen),
            delivery_requested=bool(delivery),
            serialized=bool(serialized),
        )

    def delivery_request(self, receipt_id: int) -> Decimal | None:
        """The quantity the owner asked the warehouse to release, in the lot's unit; None when the
        owner has asked for nothing (what `confirm_delivery` would release)."""
        requested = int(self.contract.functions.deliveryRequest(receipt_id).call())
        if requested == 0:
            return None
        return from_base_units(requested, self.lot(self.receipt(receipt_id).lot_id).decimals)

    def lot(self, lot: str) -> LotView:
        """The lot by its 0x id or the goods' identity (shown as entered beside its canonical form)."""
        view = self._lot_view(self._lot_raw(lot))
        if is_commitment_hex(lot):
            return view
        return replace(view, identity=lot.strip(), canonical=canonical_identifier(lot, what="lot"))

    def lots(self, lots: list[str]) -> list[LotView]:
        """Several lots in one JSON-RPC batch (what `mint-batch` checks every row against)."""
        raws = self.call_many(
            [self.contract.functions.lot(identifier_commitment(lot, what="lot")) for lot in lots]
        )
        return [self._lot_view(raw[0]) for raw in raws]

    @staticmethod
    def _lot_view(raw: Any) -> LotView:
        lot_id, warehouse, commodity, unit, decimals, attested, receipted, last, frozen, live = raw
        return LotView(
            lot_id="0x" + bytes(lot_id).hex(),
            warehouse=Web3.to_checksum_address(warehouse),
            commodity=decode_code(commodity),
            unit=decode_code(unit),
            decimals=int(decimals),
            attested=from_base_units(int(attested), int(decimals)),
            receipted=from_base_units(int(receipted), int(decimals)),
            last_stocktake_at=timestamp(int(last)),
            frozen=bool(frozen),
            live_receipts=int(live),
        )

    def lien(self, receipt_id: int) -> LienView:
        lender, maturity, state, seq = self.contract.functions.lien(receipt_id).call()
        lien_state = LienState(int(state))
        if lien_state is LienState.NONE:
            return LienView(state=lien_state, lender=None, loan_maturity=None, request_seq=int(seq))
        terms = self._pledge_terms(receipt_id, int(seq))
        return LienView(
            state=lien_state,
            lender=lender,
            loan_maturity=timestamp(int(maturity)),
            request_seq=int(seq),
            **terms,
        )

    def _pledge_terms(self, receipt_id: int, seq: int) -> dict[str, Any]:
        """Amount, currency and loan reference live in the PledgeRequested event, not in storage."""
        for event in self.history(receipt_id, follow_parents=False):
            if event.name == "PledgeRequested" and int(event.args["requestSeq"]) == seq:
                return {
                    "secured_amount": as_money(int(event.args["securedAmount"])),
                    "currency": decode_code(event.args["currency"]),
                    "loan_ref": "0x" + bytes(event.args["loanRef"]).hex(),
                }
        return {}

    def history(self, receipt_id: int, *, follow_parents: bool = True) -> list[ChainEvent]:
        """Every event of the receipt, oldest first; a part of a split starts with its parent's history."""
        topic = topic_of(receipt_id)
        own = self.logs([None, topic]) + self.logs([None, None, None, topic])  # ids, and Transfer's tokenId
        merged = self.logs([None, None, topic])  # ReceiptsMerged(keptId, mergedId, ...)
        events = sorted(
            {
                (e.block_number, e.log_index): e
                for e in own + [m for m in merged if m.name == "ReceiptsMerged"]
            }.values(),
            key=lambda e: (e.block_number, e.log_index),
        )
        if (
            follow_parents
            and events
            and events[0].name == "Transfer"
            and int(events[0].args["from"], 16) == 0
        ):
            parent = self._split_parent(events[0].tx_hash, receipt_id)
            if parent is not None:
                before = [e for e in self.history(parent) if e.block_number <= events[0].block_number]
                return before + events
        return events

    def _split_parent(self, tx_hash: str, receipt_id: int) -> int | None:
        receipt = self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        for event in self.events_in(receipt, "ReceiptSplit"):
            first = int(event["args"]["firstNewId"])
            if first <= receipt_id < first + len(event["args"]["quantities"]) - 1:
                return int(event["args"]["receiptId"])
        return None

    def live_receipts(self, lot: str) -> list[int]:
        """Ids of the lot's live receipts, ascending: candidates from the events, confirmed on chain."""
        lot_topic = topic_of(identifier_commitment(lot, what="lot"))
        candidates: set[int] = set()
        for event in self.logs([None, None, lot_topic]):
            if event.name == "ReceiptMinted":
                candidates.add(int(event.args["receiptId"]))
            elif event.name == "ReceiptSplit":
                first = int(event.args["firstNewId"])
                candidates.update(range(first, first + len(event.args["quantities"]) - 1))
        lot_id = identifier_commitment(lot, what="lot")
        live = []
        for receipt_id in sorted(candidates):
            try:
                raw = self.contract.functions.receipt(receipt_id).call()
            except ContractLogicError:
                continue  # delivered or merged away
            if bytes(raw[2]) == lot_id:
                live.append(receipt_id)
        return live

    def exposed_lenders(self, lot: str) -> list[tuple[int, str]]:
        """(receipt id, lienholder) of every live receipt of `lot` under an active lien, read from
        state. After a shortfall freeze this is the complete alert: no lien on a frozen lot can be
        accepted and none of its receipts split, merged or moved, so the set is fixed (the
        {StockShortfall} event names those among the receipts the inspector listed)."""
        live = self.live_receipts(lot)
        liens = self.call_many([self.contract.functions.lien(receipt_id) for receipt_id in live])
        exposed: list[tuple[int, str]] = []
        for receipt_id, (raw,) in zip(live, liens, strict=True):
            lender, _maturity, state, _seq = raw
            if LienState(int(state)) is LienState.ACTIVE:
                exposed.append((receipt_id, Web3.to_checksum_address(lender)))
        return exposed

    # ------------------------------------------------------------ due diligence

    def check(self, receipt_id: int) -> DueDiligenceReport:
        """One report: genuine, status, lien, frozen or expired, stock cover, warehouse standing, history."""
        report = DueDiligenceReport(receipt_id=receipt_id, exists=False)
        try:
            view = self.receipt(receipt_id)
        except LedgerhouseError:
            report.findings.append(f"receipt {receipt_id} does not exist (never minted, or delivered)")
            report.history = self.history(receipt_id)
            return report
        report.exists = True
        report.receipt = view
        report.lot = self.lot(view.lot_id)
        report.lien = self.lien(receipt_id)
        report.history = self.history(receipt_id)
        now = self._now()
        report.stocktake_age = timedelta(seconds=max(0, now - int(report.lot.last_stocktake_at.timestamp())))

        mint = next((e for e in report.history if e.name == "ReceiptMinted"), None)
        if mint is not None:
            report.minted_by = str(mint.args["warehouse"])
            report.minted_at_block = mint.block_number
            report.genuine = self._was_active_warehouse(report.minted_by, mint.block_number)
        if not report.genuine:
            report.findings.append("not genuine: no mint by a warehouse admitted at mint time was found")

        member = self.participants.member(view.warehouse)
        report.warehouse_name = member.name if member else None
        report.warehouse_active = bool(member and member.active)
        if not report.warehouse_active:
            report.findings.append(f"issuing warehouse {view.warehouse} is not an active member")
        if report.lien.state is LienState.ACTIVE:
            report.findings.append(f"already pledged to {report.lien.lender}")
        elif report.lien.state is LienState.REQUESTED:
            report.findings.append(f"a pledge request to {report.lien.lender} is pending")
        if view.frozen:
            report.findings.append("frozen (judicial freeze or stocktake shortfall on its lot)")
        if view.delivery_requested:
            report.findings.append("a delivery request is pending: the goods may leave the warehouse")
        if view.expires_at is not None and int(view.expires_at.timestamp()) < now:
            report.expired = True
            report.findings.append(f"expired on {view.expires_at.date().isoformat()}")
        if report.lot.attested < report.lot.receipted:
            report.findings.append(
                f"stock cover short: {report.lot.attested} {report.lot.unit} attested, "
                f"{report.lot.receipted} {report.lot.unit} receipted"
            )
        max_age = int(self.contract.functions.parameters().call()[0])
        if report.stocktake_age.total_seconds() > max_age:
            report.findings.append(f"last stocktake is {report.stocktake_age.days} days old")
        return report

    def _was_active_warehouse(self, warehouse: str, block: int) -> bool:
        """Whether the registry, as it stood in the mint's block, had `warehouse` active as one
        (from the node's past state, or from the registry's events where the node has none)."""
        return self.participants.standing_at(warehouse, Role.WAREHOUSE, block) is None


def _quiet(stage: str, done: int, total: int) -> None:
    del stage, done, total


def _reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput("a reason is required for the record")
    return reason.strip()
