"""The business rules of indexing: how each Ledgerhouse event changes the registry's tables.

These mirror the contracts' own state transitions, so the tables answer "who holds what, pledged
to whom, covered by which stocktake" without a chain call; `ledgerhouse audit reconcile` checks
that they still agree with the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from client._encoding import decode_code
from client._types import MemberStatus, Role
from registry.db.models import (
    Base,
    ChainEventRow,
    CreditLine,
    Lot,
    Participant,
    Receipt,
    Stocktake,
    Voucher,
    VoucherRoot,
)
from registry.indexer.decode import DecodedEvent
from registry.indexer.valuation_projection import ValuationProjection

_Row = TypeVar("_Row", Participant, Lot, Receipt, Voucher, VoucherRoot, CreditLine)

__all__ = ["PIECES_PER_ROOT", "VOUCHER_STATUS_AFTER_CANCEL", "ZERO_ADDRESS", "IndexingError", "Projector"]

_EVENTS = Base.metadata.tables[ChainEventRow.__tablename__]

# Keys per IN (...) query when a chunk's rows are loaded: under SQLite's default variable limit.
_LOAD_BATCH = 500

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

# Receivables piece ids: root = n * 1,000,000, its pieces root + 1, root + 2, ...
PIECES_PER_ROOT = 1_000_000

VOUCHER_STATUS_AFTER_CANCEL = "active"


class IndexingError(Exception):
    """An event contradicts what the registry holds: the database no longer mirrors the chain."""


def _code(hex_text: str) -> str:
    return decode_code(bytes.fromhex(hex_text[2:]))


class Projector(ValuationProjection):
    """Applies decoded events, in chain order, inside the caller's transaction.

    One projector serves one transaction. It keeps every row it has read or added in a map of its
    own and never lets a lookup flush: with the session's autoflush, each lookup of a receipt minted
    earlier in the chunk flushed the whole session, which held a backfill to a few hundred events a
    second. Event rows are appended with one multi-row INSERT per flush instead of one ORM object
    each. Call `flush()` where the session would have been flushed.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[tuple[type[Any], Any], Any] = {}
        self._event_rows: list[dict[str, Any]] = []
        self._handlers: dict[str, Callable[[DecodedEvent, int], None]] = {
            name[len("on_") :]: getattr(self, name) for name in dir(self) if name.startswith("on_")
        }

    def apply(self, event: DecodedEvent, block_time: int) -> None:
        self._event_rows.append(_event_row(event, block_time))
        handler = self._handlers.get(event.name)
        if handler is not None:
            handler(event, block_time)

    def flush(self) -> None:
        """Writes what has been applied so far (event rows first, then the changed rows)."""
        if self._event_rows:
            # Core, not the ORM's bulk path: on PostgreSQL the ORM sent one INSERT per row here, Core
            # sends the batch as one multi-row statement.
            self.session.connection().execute(insert(_EVENTS), self._event_rows)
            self._event_rows = []
        self.session.flush()

    def preload(self, events: Iterable[DecodedEvent]) -> None:
        """Reads, in a few queries, every receipt, lot, voucher and member the events name, so that
        applying them costs no further reads."""
        wanted: dict[type[Any], set[Any]] = {Receipt: set(), Lot: set(), Voucher: set(), Participant: set()}
        for event in events:
            a = event.args
            for key in ("receiptId", "keptId", "mergedId"):
                if key in a:
                    wanted[Receipt].add(a[key])
            if event.name == "Transfer" and event.contract == "WarehouseReceipts":
                wanted[Receipt].add(a["id"])
            for key in ("voucherId", "closedId"):
                if key in a:
                    wanted[Voucher].add(a[key])
            if "lotId" in a:
                wanted[Lot].add(a["lotId"])
            if "account" in a:
                wanted[Participant].add(a["account"])
        for model, keys in wanted.items():
            self._load(model, keys)

    def _load(self, model: type[Any], keys: set[Any]) -> None:
        keys = {k for k in keys if (model, k) not in self._rows}
        column = model.__mapper__.primary_key[0]
        ordered = sorted(keys)
        with self.session.no_autoflush:
            for i in range(0, len(ordered), _LOAD_BATCH):
                batch = ordered[i : i + _LOAD_BATCH]
                for row in self.session.scalars(select(model).where(column.in_(batch))):
                    self._rows[(model, getattr(row, column.key))] = row
        for key in keys:
            self._rows.setdefault((model, key), None)

    def _find(self, model: type[_Row], key: Any) -> _Row | None:
        try:
            return self._rows[(model, key)]  # type: ignore[no-any-return]
        except KeyError:
            pass
        with self.session.no_autoflush:
            row = self.session.get(model, key)
        self._rows[(model, key)] = row
        return row

    def _add(self, row: _Row, key: Any) -> _Row:
        self.session.add(row)
        self._rows[(type(row), key)] = row
        return row

    # ------------------------------------------------------------ lookups

    def _receipt(self, receipt_id: int) -> Receipt:
        receipt = self._find(Receipt, receipt_id)
        if receipt is None:
            raise IndexingError(f"event for receipt {receipt_id}, which the registry has never seen")
        return receipt

    def _lot(self, lot_id: str) -> Lot:
        lot = self._find(Lot, lot_id)
        if lot is None:
            raise IndexingError(f"event for lot {lot_id}, which the registry has never seen")
        return lot

    def _voucher(self, voucher_id: int) -> Voucher:
        voucher = self._find(Voucher, voucher_id)
        if voucher is None:
            raise IndexingError(f"event for voucher {voucher_id}, which the registry has never seen")
        return voucher

    # ------------------------------------------------------------ participants

    def on_MemberAdmitted(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        member = self._find(Participant, a["account"])
        if member is None:
            member = self._add(Participant(address=a["account"]), a["account"])
        member.role = Role(a["role"]).label
        member.entity_id = a["entityId"]
        member.name = a["name"]
        member.status = MemberStatus.ACTIVE.label
        member.valid_until = a["validUntil"]
        member.admitted_at = t
        member.status_reason = None
        member.status_changed_at = t

    def _set_status(self, account: str, status: MemberStatus, t: int, reason: str | None) -> None:
        member = self._find(Participant, account)
        if member is None:
            raise IndexingError(f"status change for {account}, who was never admitted")
        member.status = status.label
        member.status_reason = reason
        member.status_changed_at = t

    def on_MembershipSuspended(self, e: DecodedEvent, t: int) -> None:
        self._set_status(e.args["account"], MemberStatus.SUSPENDED, t, e.args["reason"])

    def on_MembershipReinstated(self, e: DecodedEvent, t: int) -> None:
        self._set_status(e.args["account"], MemberStatus.ACTIVE, t, None)

    def on_MembershipRevoked(self, e: DecodedEvent, t: int) -> None:
        self._set_status(e.args["account"], MemberStatus.REVOKED, t, e.args["reason"])

    def on_KycRenewed(self, e: DecodedEvent, t: int) -> None:
        member = self._find(Participant, e.args["account"])
        if member is None:
            raise IndexingError(f"KYC renewal for {e.args['account']}, who was never admitted")
        member.valid_until = e.args["validUntil"]

    # ------------------------------------------------------------ lots and stocktakes

    def on_StocktakeRecorded(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        lot = self._find(Lot, a["lotId"])
        if lot is None:
            blank = Lot(lot_id=a["lotId"], receipted=0, live_receipts=0, frozen=False, last_shortfall=0)
            lot = self._add(blank, a["lotId"])
        lot.warehouse = a["warehouse"]
        lot.commodity = _code(a["commodity"])
        lot.unit = _code(a["unit"])
        lot.decimals = a["decimals"]
        lot.attested = a["attested"]
        lot.last_stocktake_at = t
        shortfall = max(0, a["receipted"] - a["attested"])
        self.session.add(
            Stocktake(
                lot_id=a["lotId"],
                warehouse=a["warehouse"],
                inspector=a["inspector"],
                attested=a["attested"],
                receipted=a["receipted"],
                shortfall=shortfall,
                evidence=a["evidence"],
                block_number=e.block_number,
                block_time=t,
                tx_hash=e.tx_hash,
            )
        )

    def on_StockShortfall(self, e: DecodedEvent, t: int) -> None:
        lot = self._lot(e.args["lotId"])
        lot.frozen = True
        lot.last_shortfall = e.args["shortfall"]

    def on_LotUnfrozen(self, e: DecodedEvent, t: int) -> None:
        lot = self._lot(e.args["lotId"])
        lot.frozen = False

    # ------------------------------------------------------------ receipts

    def on_Transfer(self, e: DecodedEvent, t: int) -> None:
        if e.contract != "WarehouseReceipts":
            return
        sender, to, receipt_id = e.args["from"], e.args["to"], e.args["id"]
        if sender == ZERO_ADDRESS:
            # Minted or split off: ReceiptMinted or ReceiptSplit, later in the same transaction, fills in
            # the rest.
            self._add(_blank_receipt(receipt_id, to, t, e.block_number), receipt_id)
            return
        receipt = self._receipt(receipt_id)
        if to != ZERO_ADDRESS:
            receipt.owner = to

    def on_ReceiptMinted(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        receipt = self._receipt(a["receiptId"])
        lot = self._lot(a["lotId"])
        receipt.lot_id = a["lotId"]
        receipt.warehouse = a["warehouse"]
        receipt.commodity = lot.commodity
        receipt.owner = a["owner"]
        receipt.quantity = a["quantity"]
        receipt.expires_at = _effective_expiry(a["expiresAt"])
        receipt.details = a["details"]
        receipt.items_root = a["itemsRoot"]
        receipt.status = "live"
        lot.receipted += a["quantity"]
        lot.live_receipts += 1

    def on_ReceiptSplit(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        parent = self._receipt(a["receiptId"])
        quantities: list[int] = a["quantities"]
        parent.quantity = quantities[0]
        for offset, quantity in enumerate(quantities[1:]):
            child = self._receipt(a["firstNewId"] + offset)
            for column in ("lot_id", "warehouse", "commodity", "expires_at", "details", "frozen"):
                setattr(child, column, getattr(parent, column))
            child.quantity = quantity
            child.items_root = parent.items_root
            child.parent_id = parent.receipt_id
            child.status = "live"
        self._lot(a["lotId"]).live_receipts += len(quantities) - 1

    def on_ReceiptsMerged(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        kept, merged = self._receipt(a["keptId"]), self._receipt(a["mergedId"])
        kept.quantity = a["quantity"]
        kept.expires_at = min(kept.expires_at, merged.expires_at)
        merged.quantity = 0
        merged.status = "merged"
        self._lot(a["lotId"]).live_receipts -= 1

    def on_DeliveryRequested(self, e: DecodedEvent, t: int) -> None:
        self._receipt(e.args["receiptId"]).delivery_requested = e.args["quantity"]

    def on_DeliveryRequestCancelled(self, e: DecodedEvent, t: int) -> None:
        self._receipt(e.args["receiptId"]).delivery_requested = 0

    def on_Delivered(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        receipt = self._receipt(a["receiptId"])
        lot = self._lot(a["lotId"])
        receipt.delivery_requested = 0
        receipt.quantity -= a["quantity"]
        lot.receipted -= a["quantity"]
        lot.attested = max(0, lot.attested - a["quantity"])
        if a["burned"]:
            receipt.status = "delivered"
            lot.live_receipts -= 1

    def on_PledgeRequested(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        receipt = self._receipt(a["receiptId"])
        receipt.requested_lender = a["lender"]
        receipt.request_seq = a["requestSeq"]
        receipt.request_amount = a["securedAmount"]
        receipt.request_currency = _code(a["currency"])
        receipt.request_loan_ref = a["loanRef"]
        receipt.request_maturity = a["loanMaturity"]

    def on_PledgeRequestCancelled(self, e: DecodedEvent, t: int) -> None:
        _clear_request(self._receipt(e.args["receiptId"]))

    def on_PledgeAccepted(self, e: DecodedEvent, t: int) -> None:
        receipt = self._receipt(e.args["receiptId"])
        receipt.lender = e.args["lender"]
        receipt.secured_amount = receipt.request_amount
        receipt.currency = receipt.request_currency
        receipt.loan_ref = receipt.request_loan_ref
        receipt.loan_maturity = receipt.request_maturity
        receipt.pledged_at = t
        _clear_request(receipt)

    def on_PledgeReleased(self, e: DecodedEvent, t: int) -> None:
        _clear_lien(self._receipt(e.args["receiptId"]))

    def on_Foreclosed(self, e: DecodedEvent, t: int) -> None:
        receipt = self._receipt(e.args["receiptId"])
        _clear_lien(receipt)
        receipt.owner = e.args["to"]

    def on_ReceiptFreezeOrdered(self, e: DecodedEvent, t: int) -> None:
        self._receipt(e.args["receiptId"]).frozen = True

    def on_ReceiptFreezeLifted(self, e: DecodedEvent, t: int) -> None:
        self._receipt(e.args["receiptId"]).frozen = False

    # ------------------------------------------------------------ receivables

    def on_CreditLineSet(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        key = (a["lender"], a["core"])
        line = self._find(CreditLine, key)
        if line is None:
            line = self._add(CreditLine(lender=a["lender"], core=a["core"], outstanding=0), key)
        line.limit = a["limit"]
        line.currency = _code(a["currency"])
        line.expiry = a["expiry"]
        line.closed = False

    def on_CreditLineClosed(self, e: DecodedEvent, t: int) -> None:
        line = self._find(CreditLine, (e.args["lender"], e.args["core"]))
        if line is None:
            raise IndexingError(f"closing a credit line the registry has never seen: {e.args}")
        line.closed = True

    def on_VoucherIssued(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        root_id = a["rootId"]
        self._add(
            VoucherRoot(
                root_id=root_id,
                obligor=a["obligor"],
                payer=a["obligor"],
                lender=a["lender"],
                face_value=a["faceValue"],
                currency=_code(a["currency"]),
                maturity=a["maturity"],
                document=a["document"],
                min_denomination=a["minDenomination"],
                max_depth=a["maxDepth"],
                funded=0,
                issued_at=t,
            ),
            root_id,
        )
        self._add(_new_voucher(root_id, root_id, None, 0, a["holder"], a["faceValue"], t), root_id)
        line = self._find(CreditLine, (a["lender"], a["obligor"]))
        if line is not None:
            line.outstanding += a["faceValue"]

    def on_PayerDesignated(self, e: DecodedEvent, t: int) -> None:
        root = self._find(VoucherRoot, e.args["rootId"])
        if root is None:
            raise IndexingError(f"payer for root {e.args['rootId']}, which the registry has never seen")
        root.payer = e.args["payer"] if e.args["payer"] != ZERO_ADDRESS else root.obligor

    def on_VoucherSplit(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        parent = self._voucher(a["voucherId"])
        parent.value -= a["amount"]
        self._add(
            _new_voucher(
                a["childId"], a["rootId"], parent.voucher_id, parent.tier + 1, a["to"], a["amount"], t
            ),
            a["childId"],
        )

    def on_VoucherTransferred(self, e: DecodedEvent, t: int) -> None:
        self._voucher(e.args["voucherId"]).holder = e.args["to"]

    def on_VouchersMerged(self, e: DecodedEvent, t: int) -> None:
        kept, closed = self._voucher(e.args["voucherId"]), self._voucher(e.args["closedId"])
        kept.tier = max(kept.tier, closed.tier)
        kept.value = e.args["value"]
        closed.value = 0
        closed.status = "merged"

    def on_DiscountOffered(self, e: DecodedEvent, t: int) -> None:
        voucher = self._voucher(e.args["voucherId"])
        voucher.status = "offered-for-discount"
        voucher.offered_to = e.args["lender"]
        voucher.offer_price = e.args["price"]

    def on_DiscountOfferCancelled(self, e: DecodedEvent, t: int) -> None:
        voucher = self._voucher(e.args["voucherId"])
        if voucher.status == "offered-for-discount":
            voucher.status = VOUCHER_STATUS_AFTER_CANCEL
        voucher.offered_to = None
        voucher.offer_price = None

    def on_VoucherDiscounted(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        voucher = self._voucher(a["voucherId"])
        voucher.status = "active"
        voucher.holder = a["lender"]
        voucher.offered_to = None
        voucher.offer_price = None
        voucher.discounted_by = a["lender"]
        voucher.discount_seller = a["seller"]
        voucher.discount_price = a["price"]
        voucher.discount_rate_bps = a["rateBps"]

    def on_VoucherPledgeRequested(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        voucher = self._voucher(a["voucherId"])
        voucher.status = "pledge-requested"
        voucher.offered_to = a["lender"]
        voucher.secured_amount = a["securedAmount"]
        voucher.loan_ref = a["loanRef"]
        voucher.loan_maturity = a["loanMaturity"]

    def on_VoucherPledgeRequestCancelled(self, e: DecodedEvent, t: int) -> None:
        voucher = self._voucher(e.args["voucherId"])
        if voucher.status == "pledge-requested":
            voucher.status = VOUCHER_STATUS_AFTER_CANCEL
        voucher.offered_to = None
        voucher.secured_amount = None
        voucher.loan_ref = None
        voucher.loan_maturity = None

    def on_VoucherPledgeAccepted(self, e: DecodedEvent, t: int) -> None:
        voucher = self._voucher(e.args["voucherId"])
        voucher.status = "pledged"
        voucher.offered_to = None
        voucher.lienholder = e.args["lienholder"]
        voucher.secured_amount = e.args["securedAmount"]

    def on_VoucherPledgeReleased(self, e: DecodedEvent, t: int) -> None:
        voucher = self._voucher(e.args["voucherId"])
        voucher.status = "active"
        _clear_voucher_lien(voucher)

    def _paid(self, e: DecodedEvent) -> Voucher:
        # The contract keeps a paid piece's value (status Settled); only the status changes.
        voucher = self._voucher(e.args["voucherId"])
        voucher.status = "settled"
        voucher.settled_value = e.args["value"]
        _clear_voucher_lien(voucher)
        return voucher

    def _draw_down(self, root_id: int, amount: int) -> None:
        root = self._find(VoucherRoot, root_id)
        if root is None:
            raise IndexingError(f"payment on root {root_id}, which the registry has never seen")
        line = self._find(CreditLine, (root.lender, root.obligor))
        if line is not None:
            line.outstanding -= amount

    def on_VoucherSettled(self, e: DecodedEvent, t: int) -> None:
        self._paid(e)
        self._draw_down(e.args["rootId"], e.args["value"])

    def on_VoucherRedeemed(self, e: DecodedEvent, t: int) -> None:
        self._paid(e)  # the line was drawn down once, when the root was funded

    def on_RootFunded(self, e: DecodedEvent, t: int) -> None:
        root = self._find(VoucherRoot, e.args["rootId"])
        if root is None:
            raise IndexingError(f"funding of root {e.args['rootId']}, which the registry has never seen")
        root.funded += e.args["amount"]
        self._draw_down(root.root_id, e.args["amount"])

    def on_VoucherMarkedOverdue(self, e: DecodedEvent, t: int) -> None:
        self._voucher(e.args["voucherId"]).overdue = True


def _effective_expiry(requested: int) -> int:
    """The contract keeps whole UTC days, rounding a requested expiry up to the next midnight: the
    receipt is expired from that second on, and the registry must say the same."""
    return 0 if requested == 0 else -(-requested // 86_400) * 86_400


def _blank_receipt(receipt_id: int, owner: str, t: int, block: int) -> Receipt:
    return Receipt(
        receipt_id=receipt_id,
        lot_id="",
        warehouse=owner,
        commodity="",
        owner=owner,
        quantity=0,
        expires_at=0,
        details="",
        items_root="",
        status="live",
        frozen=False,
        delivery_requested=0,
        minted_at=t,
        minted_block=block,
    )


def _clear_request(receipt: Receipt) -> None:
    receipt.requested_lender = None
    receipt.request_seq = None
    receipt.request_amount = None
    receipt.request_currency = None
    receipt.request_loan_ref = None
    receipt.request_maturity = None


def _clear_lien(receipt: Receipt) -> None:
    receipt.lender = None
    receipt.secured_amount = None
    receipt.currency = None
    receipt.loan_ref = None
    receipt.loan_maturity = None
    receipt.pledged_at = None


def _clear_voucher_lien(voucher: Voucher) -> None:
    voucher.lienholder = None
    voucher.secured_amount = None
    voucher.loan_ref = None
    voucher.loan_maturity = None
    voucher.offered_to = None


def _new_voucher(
    voucher_id: int, root_id: int, parent_id: int | None, tier: int, holder: str, value: int, t: int
) -> Voucher:
    return Voucher(
        voucher_id=voucher_id,
        root_id=root_id,
        parent_id=parent_id,
        tier=tier,
        holder=holder,
        value=value,
        status="active",
        overdue=False,
        settled_value=0,
        created_at=t,
    )


# Which argument of an event names the receipt, lot, voucher and party that history queries filter on.
_RECEIPT_KEYS = ("receiptId", "keptId")
_VOUCHER_KEYS = ("voucherId",)
_ACCOUNT_KEYS = ("account", "owner", "holder", "warehouse", "lender", "obligor", "to", "publisher")


def _event_row(event: DecodedEvent, block_time: int) -> dict[str, Any]:
    a = event.args
    receipt_id = next((a[k] for k in _RECEIPT_KEYS if k in a), None)
    if event.name == "Transfer" and event.contract == "WarehouseReceipts":
        receipt_id = a["id"]
    voucher_id = next((a[k] for k in _VOUCHER_KEYS if k in a), None)
    root_id = a.get("rootId")
    if event.name == "VoucherIssued":
        voucher_id = root_id
    account = next((a[k] for k in _ACCOUNT_KEYS if k in a and isinstance(a[k], str)), None)
    return {
        "block_number": event.block_number,
        "log_index": event.log_index,
        "block_time": block_time,
        "tx_hash": event.tx_hash,
        "contract": event.contract,
        "name": event.name,
        "receipt_id": receipt_id,
        "lot_id": a.get("lotId"),
        "root_id": root_id,
        "voucher_id": voucher_id,
        "account": account,
        "args": {k: _json_safe(v) for k, v in a.items()},
    }


def _json_safe(value: Any) -> Any:
    # JavaScript readers lose integers above 2^53; amounts travel as decimal strings.
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= 2**53:
        return str(value)
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value
