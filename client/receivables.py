"""Receivables: a core enterprise's payable vouchers, split down the supply chain tier by tier,
discounted or pledged at banks, and settled at maturity.

Money is `Decimal` in the currency's major unit (yuan) and integer minor units (fen) on chain.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum
from typing import Any, cast

from web3.exceptions import ContractLogicError

from client._contract import ContractClient, topic_of
from client._encoding import (
    as_money,
    commitment,
    decode_code,
    json_value,
    money,
    short_code,
    timestamp,
)
from client._types import Role
from client.chain import TxResult, checksum, decode_revert
from client.errors import InvalidInput
from client.invoices import Invoice, already_financed, invoice_document_hash

__all__ = [
    "CreditLineView",
    "Receivables",
    "RootView",
    "VoucherStatus",
    "VoucherView",
]

DEFAULT_MAX_DEPTH = 5


class VoucherStatus(IntEnum):
    NONE = 0
    ACTIVE = 1
    OFFERED_FOR_DISCOUNT = 2
    PLEDGE_REQUESTED = 3
    PLEDGED = 4
    SETTLED = 5
    MERGED = 6

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


@dataclass(frozen=True)
class VoucherView:
    voucher_id: int
    holder: str
    value: Decimal
    currency: str
    root_id: int
    parent_id: int | None
    tier: int
    status: VoucherStatus
    overdue: bool
    obligor: str
    maturity: datetime

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], json_value(self))


@dataclass(frozen=True)
class RootView:
    root_id: int
    obligor: str
    lender: str
    payer: str | None
    currency: str
    face_value: Decimal
    settled: Decimal
    outstanding: Decimal
    issued_at: datetime
    maturity: datetime
    min_denomination: Decimal
    max_depth: int
    pieces: int
    funded: bool
    document: str

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], json_value(self))


@dataclass(frozen=True)
class CreditLineView:
    lender: str
    core: str
    limit: Decimal
    outstanding: Decimal
    currency: str
    expiry: datetime
    open: bool

    @property
    def available(self) -> Decimal:
        return self.limit - self.outstanding

    def to_json(self) -> dict[str, Any]:
        return {**cast(dict[str, Any], json_value(self)), "available": str(self.available)}


class Receivables(ContractClient):
    """The receivables contract, for every role; writes need a signer."""

    ARTIFACT = "Receivables"

    # ------------------------------------------------------------ lender

    def set_credit_line(
        self, core: str, *, limit: Decimal | int | str, currency: str, expires: date
    ) -> TxResult:
        """Grants (or changes) the calling lender's credit line to a core enterprise."""
        core_address = checksum(core, what="core enterprise")
        self.participants.require_active(core_address, Role.CORE_ENTERPRISE)
        call = self.contract.functions.setCreditLine(
            core_address,
            money(limit, what="limit"),
            short_code(currency.upper(), 3, what="currency"),
            self._future_day(expires, what="credit line expiry"),
        )
        return self._send(call)

    def close_credit_line(self, core: str) -> TxResult:
        return self._send(self.contract.functions.closeCreditLine(checksum(core, what="core enterprise")))

    def credit_line(self, lender: str, core: str) -> CreditLineView:
        limit, outstanding, currency, expiry, is_open = self.contract.functions.creditLine(
            checksum(lender, what="lender"), checksum(core, what="core enterprise")
        ).call()
        return CreditLineView(
            lender=checksum(lender),
            core=checksum(core),
            limit=as_money(int(limit)),
            outstanding=as_money(int(outstanding)),
            currency=decode_code(currency),
            expiry=timestamp(int(expiry)),
            open=bool(is_open),
        )

    def credit_lines_of(self, core: str) -> list[CreditLineView]:
        """Every lender's current line to `core`, found from the CreditLineSet events."""
        found = self.logs([None, None, topic_of(checksum(core))], event="CreditLineSet")
        lenders = {str(e.args["lender"]) for e in found}
        return [self.credit_line(lender, core) for lender in sorted(lenders)]

    # ------------------------------------------------------------ core enterprise

    def issue(
        self,
        to: str,
        *,
        amount: Decimal | int | str,
        currency: str,
        maturity: date,
        document: bytes,
        lender: str | None = None,
        min_denomination: Decimal | int | str = "0.01",
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> tuple[TxResult, int]:
        """Issues a voucher to a supplier, drawing on a lender's credit line; returns (tx, voucher id).

        Without `lender`, the one open line in `currency` with room for `amount` is used.
        """
        holder = checksum(to, what="supplier")
        face = money(amount, what="amount")
        code = currency.upper()
        if lender is None:
            lender = self._pick_line(self.signer.address, face, code)
        if not 1 <= max_depth <= 255:
            raise InvalidInput(f"max tier depth {max_depth} must be between 1 and 255")
        if len(document) != 32:
            raise InvalidInput("the trade document commitment must be 32 bytes")
        used_by = int(self.contract.functions.documentUsedBy(self.signer.address, document).call())
        if used_by:
            from client._contract_errors import DocumentAlreadyFinanced

            raise DocumentAlreadyFinanced(document, used_by, labels=self.signer.labels)
        params = (
            holder,
            checksum(lender, what="lender"),
            face,
            short_code(code, 3, what="currency"),
            self._future_day(maturity, what="maturity"),
            document,
            money(min_denomination, what="minimum denomination"),
            max_depth,
        )
        tx = self._send(self.contract.functions.issue(params))
        return tx, int(self.events_in(tx, "VoucherIssued")[0]["args"]["rootId"])

    def invoice_document(self, supplier: str, invoice: Invoice, *, buyer: str | None = None) -> bytes:
        """The trade-document commitment of `invoice`, sold by `supplier` to `buyer` (default: the
        signing core enterprise), from the entity ids the participant registry records for both."""
        seller = self.participants.member(checksum(supplier, what="supplier"))
        if seller is None:
            raise InvalidInput(f"supplier {supplier} is not an admitted participant")
        core_address = buyer or self.signer.address
        core = self.participants.member(checksum(core_address, what="buyer"))
        if core is None:
            raise InvalidInput(f"buyer {core_address} is not an admitted participant")
        return invoice_document_hash(
            bytes.fromhex(seller.entity_id[2:]), bytes.fromhex(core.entity_id[2:]), invoice
        )

    def issue_invoice(
        self,
        to: str,
        invoice: Invoice,
        *,
        maturity: date,
        amount: Decimal | int | str | None = None,
        lender: str | None = None,
        min_denomination: Decimal | int | str = "0.01",
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> tuple[TxResult, int]:
        """Issues a voucher financing `invoice` (its face value defaults to the invoice amount, and
        may not exceed it); the commitment binds both parties and the invoice's fields, so only this
        invoice, however its number is typed, is refused a second time."""
        face = invoice.display_amount if amount is None else amount
        if money(face, what="amount") > invoice.amount:
            raise InvalidInput(
                f"amount {face} {invoice.currency} exceeds {invoice.describe()}: "
                "a voucher finances at most its invoice"
            )
        document = self.invoice_document(to, invoice)
        from client._contract_errors import DocumentAlreadyFinanced

        try:
            return self.issue(
                to,
                amount=face,
                currency=invoice.currency,
                maturity=maturity,
                document=document,
                lender=lender,
                min_denomination=min_denomination,
                max_depth=max_depth,
            )
        except DocumentAlreadyFinanced as exc:
            seller = self.participants.member(checksum(to, what="supplier"))
            raise already_financed(exc, invoice, seller.name if seller else to) from None

    def _pick_line(self, core: str, face: int, currency: str) -> str:
        lines = [
            line
            for line in self.credit_lines_of(core)
            if line.open and line.currency == currency and line.available >= as_money(face)
        ]
        if len(lines) != 1:
            found = "no" if not lines else f"{len(lines)}"
            raise InvalidInput(
                f"{found} open {currency} credit line(s) with room for {as_money(face)}: "
                "name the lender with --lender"
            )
        return lines[0].lender

    def designate_payer(self, root_id: int, payer: str | None) -> TxResult:
        target = checksum(payer, what="payer") if payer else "0x" + "00" * 20
        return self._send(self.contract.functions.designatePayer(root_id, target))

    def settle(self, voucher_id: int, payment_ref: str) -> TxResult:
        """Records payment of one piece at maturity (obligor or its paying bank)."""
        return self._send(self.contract.functions.settle(voucher_id, commitment(payment_ref)))

    def fund_root(self, root_id: int, payment_ref: str) -> TxResult:
        """Records payment of a whole root at once; each piece is then redeemed individually."""
        return self._send(self.contract.functions.fundRoot(root_id, commitment(payment_ref)))

    # ------------------------------------------------------------ holder

    def split(self, voucher_id: int, to: str, amount: Decimal | int | str) -> tuple[TxResult, int]:
        """Moves `amount` into a new piece for `to`; returns (tx, new voucher id)."""
        call = self.contract.functions.split(
            voucher_id, checksum(to, what="recipient"), money(amount, what="amount")
        )
        tx = self._send(call)
        return tx, int(self.events_in(tx, "VoucherSplit")[0]["args"]["childId"])

    def transfer(self, voucher_id: int, to: str) -> TxResult:
        return self._send(self.contract.functions.transfer(voucher_id, checksum(to, what="recipient")))

    def merge(self, voucher_id: int, other_id: int) -> tuple[TxResult, int]:
        tx = self._send(self.contract.functions.merge(voucher_id, other_id))
        return tx, min(voucher_id, other_id)

    def offer_discount(self, voucher_id: int, lender: str, price: Decimal | int | str) -> TxResult:
        lender_address = checksum(lender, what="lender")
        self.participants.require_active(lender_address, Role.LENDER)
        return self._send(
            self.contract.functions.offerDiscount(voucher_id, lender_address, money(price, what="price"))
        )

    def cancel_discount_offer(self, voucher_id: int) -> TxResult:
        return self._send(self.contract.functions.cancelDiscountOffer(voucher_id))

    def redeem(self, voucher_id: int) -> TxResult:
        return self._send(self.contract.functions.redeem(voucher_id))

    def mark_overdue(self, voucher_id: int) -> TxResult:
        return self._send(self.contract.functions.markOverdue(voucher_id))

    def set_paused(self, paused: bool) -> TxResult:
        """Stops (or resumes) every state change of the receivables contract (consortium admin)."""
        return self._send(self.contract.functions.pause() if paused else self.contract.functions.unpause())

    def request_pledge(
        self, voucher_id: int, lender: str, *, amount: Decimal | int | str, maturity: date, loan_ref: str
    ) -> TxResult:
        call = self.contract.functions.requestPledge(
            voucher_id,
            checksum(lender, what="lender"),
            money(amount, what="secured amount"),
            commitment(loan_ref),
            self._future_day(maturity, what="loan maturity"),
        )
        return self._send(call)

    # ------------------------------------------------------------ lender side of discounts and pledges

    def accept_discount(
        self, voucher_id: int, payment_ref: str, price: Decimal | int | str | None = None
    ) -> TxResult:
        """Buys the offered piece at the offered price (or checks it equals `price`)."""
        _, offered = self.contract.functions.discountOffer(voucher_id).call()
        agreed = money(price, what="price") if price is not None else int(offered)
        return self._send(self.contract.functions.acceptDiscount(voucher_id, agreed, commitment(payment_ref)))

    def accept_pledge(self, voucher_id: int) -> TxResult:
        """Accepts the pending pledge on its requested terms."""
        _, secured, _, _, loan_ref = self.contract.functions.lien(voucher_id).call()
        return self._send(self.contract.functions.acceptPledge(voucher_id, int(secured), bytes(loan_ref)))

    def release_pledge(self, voucher_id: int) -> TxResult:
        return self._send(self.contract.functions.releasePledge(voucher_id))

    def discount(self, voucher_id: int) -> dict[str, Any]:
        lender, seller, value, price, rate_bps, days, payment_ref = self.contract.functions.discount(
            voucher_id
        ).call()
        return {
            "lender": lender,
            "seller": seller,
            "value": str(as_money(int(value))),
            "price": str(as_money(int(price))),
            "rate_bps": int(rate_bps),
            "days_to_maturity": int(days),
            "payment_ref": "0x" + bytes(payment_ref).hex(),
        }

    # ------------------------------------------------------------ reads

    def root(self, root_id: int) -> RootView:
        try:
            raw = self.contract.functions.root(root_id).call()
        except ContractLogicError as exc:
            raise decode_revert(exc.data) from None
        (
            obligor,
            lender,
            payer,
            currency,
            face,
            settled,
            outstanding,
            issued_at,
            maturity,
            min_denom,
            max_depth,
            pieces,
            funded,
            document,
        ) = raw
        if int(issued_at) == 0:  # the contract answers zeros for an id it never issued
            from client._contract_errors import RootNotFound

            raise RootNotFound(root_id, labels=self._labels())
        return RootView(
            root_id=root_id,
            obligor=obligor,
            lender=lender,
            payer=payer if int(payer, 16) else None,
            currency=decode_code(currency),
            face_value=as_money(int(face)),
            settled=as_money(int(settled)),
            outstanding=as_money(int(outstanding)),
            issued_at=timestamp(int(issued_at)),
            maturity=timestamp(int(maturity)),
            min_denomination=as_money(int(min_denom)),
            max_depth=int(max_depth),
            pieces=int(pieces),
            funded=bool(funded),
            document="0x" + bytes(document).hex(),
        )

    def voucher(self, voucher_id: int, *, root: RootView | None = None) -> VoucherView:
        try:
            holder, value, root_id, parent_id, tier, status, overdue = self.contract.functions.voucher(
                voucher_id
            ).call()
        except ContractLogicError as exc:
            raise decode_revert(exc.data) from None
        if VoucherStatus(int(status)) is VoucherStatus.NONE:  # never issued: zeros, not a voucher
            from client._contract_errors import VoucherNotFound

            raise VoucherNotFound(voucher_id, labels=self._labels())
        root = root or self.root(int(root_id))
        return VoucherView(
            voucher_id=voucher_id,
            holder=holder,
            value=as_money(int(value)),
            currency=root.currency,
            root_id=int(root_id),
            parent_id=int(parent_id) or None,
            tier=int(tier),
            status=VoucherStatus(int(status)),
            overdue=bool(overdue),
            obligor=root.obligor,
            maturity=root.maturity,
        )

    def tree(self, root_id: int) -> list[VoucherView]:
        """Every piece of a root (root first, then in creation order), with its current state."""
        root = self.root(root_id)
        splits = self.logs([None, topic_of(root_id)], event="VoucherSplit")
        ids = [root_id] + [int(e.args["childId"]) for e in splits]
        return [self.voucher(i, root=root) for i in ids]

    def penetration(self, core: str) -> dict[str, Any]:
        """How far a core enterprise's credit reaches: live value per tier and holder, over all its roots."""
        core_address = checksum(core, what="core enterprise")
        issued = self.logs([None, None, topic_of(core_address)], event="VoucherIssued")
        roots = [int(e.args["rootId"]) for e in issued]
        by_tier: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        currencies: set[str] = set()
        total = Decimal(0)
        for root_id in roots:
            for piece in self.tree(root_id):
                if piece.status in (VoucherStatus.SETTLED, VoucherStatus.MERGED) or piece.value == 0:
                    continue
                by_tier[piece.tier][piece.holder] += piece.value
                currencies.add(piece.currency)
                total += piece.value
        return {
            "core": core_address,
            "roots": roots,
            "currency": ",".join(sorted(currencies)),
            "outstanding": str(total),
            "tiers": {
                str(tier): {holder: str(value) for holder, value in sorted(holders.items())}
                for tier, holders in sorted(by_tier.items())
            },
        }
