"""Loans secured by warehouse receipts, valued at the commodity's reference price (the
`CollateralMonitor` contract): loan-to-value (LTV), margin calls, cures and early default.

A lender opens a loan over receipts pledged to it, with its terms: amount outstanding, advance rate,
margin-call LTV, liquidation LTV and cure window. LTV = outstanding / (quantity x price), computed
on chain in integer arithmetic (collateral value rounded down, LTV rounded up: both in the lender's
favour) from a fresh price only. Amounts are `Decimal` in the loan currency's major units
(210000000.00 CNY), quantities in the lots' unit (5000.000 t), LTVs in basis points with a
percentage beside them for people (8750 bps = 87.50 %).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import TYPE_CHECKING, Any, cast

from web3 import Web3
from web3.contract.contract import ContractFunction

from client import errors
from client._contract import ContractClient
from client._encoding import (
    commitment,
    decode_code,
    from_base_units,
    json_value,
    short_code,
    timestamp,
    to_base_units,
)
from client._typed import typed_errors
from client.chain import Signer, TxResult
from client.errors import InvalidInput
from client.participants import Participants
from client.prices import FeedView, Prices

if TYPE_CHECKING:
    from client.receipts import Receipts

__all__ = [
    "MAX_CURE_WINDOW_S",
    "MAX_RECEIPTS",
    "Cure",
    "LoanValuation",
    "LoanView",
    "MarginCheck",
    "MarginStatus",
    "OpenedLoan",
    "Revaluation",
    "Terms",
    "Valuation",
    "parse_duration",
    "parse_percent",
    "percent",
]

MAX_RECEIPTS = 32  # CollateralMonitor.MAX_RECEIPTS
MAX_CURE_WINDOW_S = 90 * 86_400
NO_COLLATERAL_LTV = 2**32 - 1  # the contract's LTV when no collateral is left
QUANTITY_SCALE = 18  # collateral is kept normalised to 18 decimals


class MarginStatus(IntEnum):
    """ICollateralMonitor.MarginStatus."""

    HEALTHY = 0
    ABOVE_MARGIN_CALL = 1
    MARGIN_CALLED = 2
    CURE_WINDOW_EXPIRED = 3
    DEFAULT = 4
    REPAID = 5

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


class Cure(IntEnum):
    """ICollateralMonitor.Cure: how a margin call was cured."""

    REPAYMENT = 0
    COLLATERAL = 1
    PRICE_RECOVERED = 2

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


def _plain(value: Decimal) -> Decimal:
    """`value` without trailing zeros and never in exponent form: 300, not 3E+2 (which
    `Decimal.normalize` gives for 300.000000000000000000)."""
    reduced = value.normalize()
    return reduced.quantize(Decimal(1)) if int(reduced.as_tuple().exponent) > 0 else reduced


def percent(bps: int) -> Decimal:
    """Basis points as a percentage with two decimals (8750 -> 87.50)."""
    return Decimal(bps).scaleb(-2).quantize(Decimal("0.01"))


def parse_percent(text: str | int | Decimal, *, what: str) -> int:
    """'80', '80%' or '87.5 %' as basis points (8000, 8750); a whole number of basis points only."""
    raw = str(text).strip().removesuffix("%").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(f"{what} {text!r} is not a percentage (e.g. 80 or 80%)") from None
    if not value.is_finite() or value <= 0 or value > 100:
        raise InvalidInput(f"{what} {text} must be above 0 % and at most 100 %")
    bps = value.scaleb(2)
    if bps != bps.to_integral_value():
        raise InvalidInput(
            f"{what} {text} has more than two decimal places (basis points are the finest step)"
        )
    return int(bps)


@dataclass(frozen=True)
class Terms:
    """A loan's terms: LTVs in basis points, the cure window in seconds."""

    advance_rate_bps: int
    margin_call_ltv_bps: int
    liquidation_ltv_bps: int
    cure_window_s: int

    def __post_init__(self) -> None:
        a, m, q = self.advance_rate_bps, self.margin_call_ltv_bps, self.liquidation_ltv_bps
        if not 0 < a <= m <= q <= 10_000:
            raise InvalidInput(
                f"terms need 0 < advance rate ≤ margin-call LTV ≤ liquidation LTV ≤ 100 %: got advance rate "
                f"{percent(a)} %, margin call at {percent(m)} %, liquidation at {percent(q)} %"
            )
        if not 1 <= self.cure_window_s <= MAX_CURE_WINDOW_S:
            raise InvalidInput(f"cure window {self.cure_window_s} s must be between 1 s and 90 days")

    @classmethod
    def parse(cls, advance_rate: str, margin_call: str, liquidation: str, cure_window: str) -> Terms:
        """Terms as a banker types them: percentages and a cure window such as 3d, 48h or 3600s."""
        return cls(
            parse_percent(advance_rate, what="advance rate"),
            parse_percent(margin_call, what="margin-call LTV"),
            parse_percent(liquidation, what="liquidation LTV"),
            parse_duration(cure_window, what="cure window"),
        )

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.advance_rate_bps, self.margin_call_ltv_bps, self.liquidation_ltv_bps, self.cure_window_s)

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], json_value(self))


def parse_duration(text: str | int, *, what: str) -> int:
    """'3d', '48h', '30m', '3600s' or '3600' as seconds."""
    raw = str(text).strip().lower()
    units = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
    scale = units.get(raw[-1:], 1) if raw else 1
    number = raw[:-1] if raw[-1:] in units else raw
    if not number.isdigit() or int(number) == 0:
        raise InvalidInput(f"{what} {text!r} is not a duration (e.g. 3d, 48h or 3600s)")
    return int(number) * scale


@dataclass(frozen=True)
class LoanView:
    loan_id: int
    lender: str
    borrower: str
    commodity: str
    currency: str
    loan_ref: str
    outstanding: Decimal
    collateral: Decimal  # Σ quantity of the receipts, in the lots' unit
    unit: str
    receipts: list[int]
    terms: Terms
    cure_deadline: datetime | None  # an open margin call's deadline

    def to_json(self) -> dict[str, Any]:
        return cast(dict[str, Any], json_value(self))


@dataclass(frozen=True)
class LoanValuation:
    """A loan valued at the fresh reference price, as the contract computes it."""

    loan_id: int
    lender: str
    borrower: str
    commodity: str
    currency: str
    unit: str
    outstanding: Decimal
    collateral: Decimal
    price: Decimal
    price_as_of: datetime
    value: Decimal  # collateral x price, rounded down
    ltv_bps: int  # rounded up
    status: MarginStatus
    terms: Terms
    cure_deadline: datetime | None
    receipts: list[int]

    @property
    def ltv(self) -> Decimal:
        return percent(self.ltv_bps)

    @property
    def headroom_bps(self) -> int:
        """Basis points of LTV left before the margin call (negative: above it)."""
        return self.terms.margin_call_ltv_bps - self.ltv_bps

    def to_json(self) -> dict[str, Any]:
        data = cast(dict[str, Any], json_value(self))
        data["ltv_percent"] = str(self.ltv)
        return data


@dataclass(frozen=True)
class OpenedLoan:
    loan_id: int
    tx: TxResult


@dataclass(frozen=True)
class MarginCheck:
    """What a keeper's margin check found and did."""

    loan_id: int
    ltv_bps: int
    status: MarginStatus
    price: Decimal
    margin_called: bool  # this check opened a margin call
    cured: bool  # this check closed one (the price recovered)
    cure_deadline: datetime | None
    tx: TxResult

    def to_json(self) -> dict[str, Any]:
        return {
            "loan_id": self.loan_id,
            "ltv_bps": self.ltv_bps,
            "ltv_percent": str(percent(self.ltv_bps)),
            "status": self.status.label,
            "price": str(self.price),
            "margin_called": self.margin_called,
            "cured": self.cured,
            "cure_deadline": self.cure_deadline.isoformat() if self.cure_deadline else None,
            "tx_hash": self.tx.tx_hash,
        }


@dataclass(frozen=True)
class Revaluation:
    """The daily revaluation: every open loan valued, and margin checks sent where one changes state."""

    valued: list[LoanValuation]
    refused: dict[int, str]  # loan id -> why it could not be valued (a stale or missing price)
    checks: list[MarginCheck]

    def to_json(self) -> dict[str, Any]:
        return {
            "valued": [v.to_json() for v in self.valued],
            "refused": {str(k): v for k, v in self.refused.items()},
            "checks": [c.to_json() for c in self.checks],
        }


Progress = Callable[[int, int], None]


class Valuation(ContractClient):
    """The collateral monitor: lenders open loans and record repayments, borrowers add collateral,
    keepers check margins; everyone reads LTV."""

    ARTIFACT = "CollateralMonitor"

    def __init__(
        self,
        w3: Web3,
        address: str,
        participants: Participants,
        prices: Prices,
        receipts: Receipts,
        signer: Signer | None = None,
        *,
        from_block: int = 0,
    ) -> None:
        super().__init__(w3, address, participants, signer, from_block=from_block)
        self.prices = prices
        self.receipts = receipts  # for the receipts' commodities

    # ------------------------------------------------------------ helpers

    def _feed(self, commodity: str) -> FeedView:
        return self.prices.feed(commodity)

    def _amount(self, value: Decimal | int | str, decimals: int, *, what: str) -> int:
        return to_base_units(value, decimals, what=what, bits=128)

    # ------------------------------------------------------------ lender

    def set_default_terms(self, commodity: str, terms: Terms) -> TxResult:
        """The caller's (a lender's) default terms for `commodity`, used when a loan gives none."""
        code = short_code(commodity, 16, what="commodity")
        return self._send(self.contract.functions.setDefaultTerms(code, terms.as_tuple()))

    def default_terms(self, lender: str, commodity: str) -> Terms | None:
        code = short_code(commodity, 16, what="commodity")
        raw = self.contract.functions.defaultTerms(lender, code).call()
        return None if int(raw[0]) == 0 else Terms(*(int(v) for v in raw))

    def open_loan_call(
        self,
        receipt_ids: Sequence[int],
        *,
        amount: Decimal | int | str,
        currency: str,
        loan_ref: str,
        terms: Terms | None = None,
    ) -> ContractFunction:
        """The validated `openLoan` call: the commodity is the receipts' own."""
        ids = list(dict.fromkeys(receipt_ids))
        if len(ids) != len(receipt_ids):
            raise InvalidInput("the receipt list repeats a receipt")
        if not 1 <= len(ids) <= MAX_RECEIPTS:
            raise InvalidInput(f"a loan is secured by 1 to {MAX_RECEIPTS} receipts, not {len(ids)}")
        commodities = {self.receipts.receipt(rid).commodity for rid in ids}
        if len(commodities) != 1:
            raise InvalidInput(f"the receipts hold different commodities ({', '.join(sorted(commodities))})")
        commodity = commodities.pop()
        feed = self._feed(commodity)
        if currency.strip().upper() != feed.currency:
            raise InvalidInput(
                f"{commodity} is priced in {feed.currency}: a loan in {currency.strip()} cannot be valued"
            )
        if terms is None and self.default_terms(self.signer.address, commodity) is None:
            raise InvalidInput(
                f"no terms given and you have set no default terms for {commodity}: give --advance-rate, "
                "--margin-call, --liquidation and --cure-window, or set defaults first"
            )
        return self.contract.functions.openLoan(
            short_code(commodity, 16, what="commodity"),
            short_code(feed.currency, 3, what="currency"),
            commitment(loan_ref),
            self._amount(amount, feed.decimals, what="amount"),
            terms.as_tuple() if terms else (0, 0, 0, 0),
            ids,
        )

    def open_loan(
        self,
        receipt_ids: Sequence[int],
        *,
        amount: Decimal | int | str,
        currency: str,
        loan_ref: str,
        terms: Terms | None = None,
    ) -> OpenedLoan:
        """Opens a loan secured by receipts pledged to the caller (a lender); needs a fresh price and
        an opening LTV within the advance rate. Returns the loan id."""
        tx = self._send(
            self.open_loan_call(receipt_ids, amount=amount, currency=currency, loan_ref=loan_ref, terms=terms)
        )
        opened = self.events_in(tx.receipt, "LoanOpened")
        return OpenedLoan(loan_id=int(opened[0]["args"]["loanId"]), tx=tx)

    def repay(self, loan_id: int, amount: Decimal | int | str) -> TxResult:
        """Records a repayment (the lender): at most what is outstanding; may cure a margin call."""
        loan = self.loan(loan_id)
        decimals = self._feed(loan.commodity).decimals
        base = self._amount(amount, decimals, what="repayment")
        if loan.outstanding == 0:
            raise InvalidInput(f"loan {loan_id} is repaid: nothing is outstanding")
        if from_base_units(base, decimals) > loan.outstanding:
            raise InvalidInput(
                f"a repayment of {amount} {loan.currency} on loan {loan_id} is more than the "
                f"{loan.outstanding} {loan.currency} outstanding"
            )
        return self._send(self.contract.functions.recordRepayment(loan_id, base))

    def add_collateral(self, loan_id: int, receipt_ids: Sequence[int]) -> TxResult:
        """Pledges further receipts to the loan (lender or borrower); may cure a margin call."""
        ids = list(dict.fromkeys(receipt_ids))
        if not ids or len(ids) != len(receipt_ids):
            raise InvalidInput("give one or more distinct receipts to add")
        return self._send(self.contract.functions.addCollateral(loan_id, ids))

    def remove_collateral(self, receipt_id: int) -> TxResult:
        """Drops a receipt whose lien ended from its loan (anyone)."""
        return self._send(self.contract.functions.removeCollateral(receipt_id))

    # ------------------------------------------------------------ keeper

    def check_margin(self, loan_id: int) -> MarginCheck:
        """Checks the loan's margin at the fresh price (anyone): opens a margin call above the
        margin-call LTV, closes an open one at or below it. `StalePrice` when the price is stale."""
        tx = self._send(self.contract.functions.checkMargin(loan_id))
        checked = self.events_in(tx.receipt, "MarginChecked")[0]["args"]
        called = self.events_in(tx.receipt, "MarginCalled")
        cured = self.events_in(tx.receipt, "MarginCallCured")
        loan = self.loan(loan_id)
        decimals = self._feed(loan.commodity).decimals
        return MarginCheck(
            loan_id=loan_id,
            ltv_bps=int(checked["ltvBps"]),
            status=MarginStatus(int(checked["status"])),
            price=from_base_units(int(checked["price"]), decimals),
            margin_called=bool(called),
            cured=bool(cured),
            cure_deadline=loan.cure_deadline,
            tx=tx,
        )

    def revalue_all(
        self, *, lender: str | None = None, check: bool = True, progress: Progress | None = None
    ) -> Revaluation:
        """The daily job: values every open loan (of `lender`, or all), and with `check` sends a margin
        check for each loan whose standing a check would change (above the margin-call LTV with no
        call open, or a call open while the price has recovered). Loans that cannot be valued (a
        stale price) are listed, not skipped silently."""
        loans = [ln for ln in self.loans(lender=lender) if ln.outstanding > 0]
        valued: list[LoanValuation] = []
        refused: dict[int, str] = {}
        value_of = typed_errors(self._valued)  # a refusal typed, to list it
        for i, loan in enumerate(loans, start=1):
            try:
                valued.append(value_of(loan))
            except errors.ContractRevert as exc:
                refused[loan.loan_id] = exc.reason
            if progress:
                progress(i, len(loans))
        checks = []
        if check:
            for v in valued:
                recovered = v.cure_deadline is not None and v.status is MarginStatus.HEALTHY
                if v.status is MarginStatus.ABOVE_MARGIN_CALL or recovered:
                    checks.append(self.check_margin(v.loan_id))
        return Revaluation(valued=valued, refused=refused, checks=checks)

    # ------------------------------------------------------------ reads

    def loan_count(self) -> int:
        return int(self.contract.functions.loanCount().call())

    def loan(self, loan_id: int) -> LoanView:
        """The loan as stored; `LoanNotFound` if no such loan."""
        raw = self.contract.functions.loan(loan_id).call()
        receipts = [int(r) for r in self.contract.functions.loanReceipts(loan_id).call()]
        return self._view(loan_id, raw, receipts)

    def _view(self, loan_id: int, raw: Any, receipts: list[int]) -> LoanView:
        lender, borrower, commodity, currency, loan_ref, outstanding, collateral, deadline, _count, terms = (
            raw
        )
        code = decode_code(commodity)
        feed = self._feed(code)
        return LoanView(
            loan_id=loan_id,
            lender=str(lender),
            borrower=str(borrower),
            commodity=code,
            currency=decode_code(currency),
            loan_ref="0x" + bytes(loan_ref).hex(),
            outstanding=from_base_units(int(outstanding), feed.decimals),
            collateral=_plain(from_base_units(int(collateral), QUANTITY_SCALE)),
            unit=feed.unit,
            receipts=receipts,
            terms=Terms(*(int(v) for v in terms)),
            cure_deadline=timestamp(int(deadline)) if int(deadline) else None,
        )

    def loans(self, *, lender: str | None = None) -> list[LoanView]:
        """Every loan (of `lender`, if given), read in batches."""
        count = self.loan_count()
        ids = list(range(1, count + 1))
        raws = self.call_many([self.contract.functions.loan(i) for i in ids])
        wanted = [
            (i, raw[0])
            for i, raw in zip(ids, raws, strict=True)
            if lender is None or str(raw[0][0]).lower() == lender.lower()
        ]
        receipts = self.call_many([self.contract.functions.loanReceipts(i) for i, _ in wanted])
        return [
            self._view(i, raw, [int(r) for r in rs[0]]) for (i, raw), rs in zip(wanted, receipts, strict=True)
        ]

    def _valued(self, loan: LoanView) -> LoanValuation:
        ltv_bps, value, price, as_of = self.contract.functions.ltv(loan.loan_id).call()
        status = MarginStatus(int(self.contract.functions.marginStatus(loan.loan_id).call()))
        decimals = self._feed(loan.commodity).decimals
        return LoanValuation(
            loan_id=loan.loan_id,
            lender=loan.lender,
            borrower=loan.borrower,
            commodity=loan.commodity,
            currency=loan.currency,
            unit=loan.unit,
            outstanding=loan.outstanding,
            collateral=loan.collateral,
            price=from_base_units(int(price), decimals),
            price_as_of=timestamp(int(as_of)),
            value=from_base_units(int(value), decimals),
            ltv_bps=int(ltv_bps),
            status=status,
            terms=loan.terms,
            cure_deadline=loan.cure_deadline,
            receipts=loan.receipts,
        )

    def value(self, loan_id: int) -> LoanValuation:
        """The loan valued at the fresh price; `StalePrice` / `NoPrice` when there is none."""
        return self._valued(self.loan(loan_id))

    def loan_of(self, receipt_id: int) -> int | None:
        """The loan the receipt secures, if any."""
        loan_id = int(self.contract.functions.loanOf(receipt_id).call())
        return loan_id or None

    def ltv(self, receipt_id: int) -> LoanValuation:
        """The valuation of the loan `receipt_id` secures (LTV is over all of the loan's receipts)."""
        loan_id = self.loan_of(receipt_id)
        if loan_id is None:
            raise InvalidInput(f"receipt {receipt_id} does not secure any loan")
        return self.value(loan_id)

    def is_foreclosable(self, receipt_id: int) -> bool:
        """True when the receipt's loan is in default: past its cure deadline and, at a fresh price,
        above its liquidation LTV (the lender may then foreclose before maturity)."""
        return bool(self.contract.functions.isForeclosable(receipt_id).call())
