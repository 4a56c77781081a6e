"""How the PriceFeed and CollateralMonitor events change the registry's valuation tables.

Mixed into `Projector` (its `on_<Event>` handlers are found by name). Loan-to-value is recomputed
with the contract's own integer formula whenever its inputs move: a loan's outstanding amount or
collateral (that loan), or a commodity's reference price (every loan of the commodity, in one
read and one batched update).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from client._encoding import decode_code
from registry.db.models import (
    Journal,
    LoanCollateralRow,
    LoanRow,
    PriceFeedRow,
    PricePublisherRow,
    ReferencePriceRow,
)
from registry.indexer.journal import JOURNAL_BLOCK

if TYPE_CHECKING:
    from registry.indexer.decode import DecodedEvent

MAX_LTV_BPS = 2**32 - 1  # CollateralMonitor.MAX_LTV_BPS: no collateral left
LTV_SCALE = 10**22  # 10^4 bps x 10^18 (quantities normalised to 18 decimals)
QUANTITY_SCALE = 10**18

# ICollateralMonitor.MarginStatus, as labels
MARGIN_STATUS = ("healthy", "above-margin-call", "margin-called", "cure-window-expired", "default", "repaid")


def ltv_bps(outstanding: int, collateral: int, price: int) -> int:
    """LTV in basis points exactly as CollateralMonitor._ltvBps: rounded up, capped."""
    denominator = collateral * price
    if denominator == 0:
        return MAX_LTV_BPS
    return min((outstanding * LTV_SCALE + denominator - 1) // denominator, MAX_LTV_BPS)


def collateral_value(collateral: int, price: int) -> int:
    """Collateral value in the feed's decimals, rounded down (CollateralMonitor.ltv)."""
    return collateral * price // QUANTITY_SCALE


def _code(hex_text: str) -> str:
    return decode_code(bytes.fromhex(hex_text[2:]))


class ValuationProjection:
    """The valuation handlers; `Projector` provides the session and its row map."""

    session: Session
    _rows: dict[tuple[type[Any], Any], Any]

    def flush(self) -> None:  # provided by Projector
        raise NotImplementedError

    def _get(self, model: type[Any], key: Any) -> Any:
        try:
            return self._rows[(model, key)]
        except KeyError:
            pass
        with self.session.no_autoflush:
            row = self.session.get(model, key)
        self._rows[(model, key)] = row
        return row

    def _put(self, row: Any, key: Any) -> Any:
        self.session.add(row)
        self._rows[(type(row), key)] = row
        return row

    # ------------------------------------------------------------ prices

    def on_FeedCreated(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        commodity = _code(a["commodity"])
        self._put(
            PriceFeedRow(
                commodity=commodity,
                aggregator=a["aggregator"],
                unit=_code(a["unit"]),
                currency=_code(a["currency"]),
                decimals=a["decimals"],
                max_age=a["maxAge"],
                max_deviation_bps=a["maxDeviationBps"],
                created_at=t,
                round_id=0,
                contributors=0,
            ),
            commodity,
        )

    def _feed(self, commodity: str) -> PriceFeedRow | None:
        row = self._get(PriceFeedRow, commodity)
        return row if isinstance(row, PriceFeedRow) else None

    def on_FeedParametersChanged(self, e: DecodedEvent, t: int) -> None:
        feed = self._feed(_code(e.args["commodity"]))
        if feed is not None:
            feed.max_age = e.args["maxAge"]
            feed.max_deviation_bps = e.args["maxDeviationBps"]

    def _publisher(self, e: DecodedEvent) -> PricePublisherRow:
        key = (_code(e.args["commodity"]), e.args["publisher"])
        row = self._get(PricePublisherRow, key)
        if row is None:
            row = self._put(
                PricePublisherRow(commodity=key[0], publisher=key[1], admitted=True, pending=False), key
            )
        assert isinstance(row, PricePublisherRow)
        return row

    def on_PublisherAdmitted(self, e: DecodedEvent, t: int) -> None:
        self._publisher(e).admitted = True

    def on_PublisherRemoved(self, e: DecodedEvent, t: int) -> None:
        row = self._publisher(e)
        row.admitted, row.price, row.as_of, row.source, row.pending = False, None, None, None, False

    def on_PricePosted(self, e: DecodedEvent, t: int) -> None:
        row = self._publisher(e)
        a = e.args
        row.price, row.as_of, row.source, row.pending = (
            a["price"],
            a["asOf"],
            _code(a["source"]),
            a["pending"],
        )
        row.posted_at = t

    def on_PriceConfirmed(self, e: DecodedEvent, t: int) -> None:
        self._publisher(e).pending = False

    def on_ReferencePriceUpdated(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        commodity = _code(a["commodity"])
        self._put(
            ReferencePriceRow(
                commodity=commodity,
                round_id=a["roundId"],
                price=a["price"],
                as_of=a["asOf"],
                contributors=a["contributors"],
                block_number=e.block_number,
                block_time=t,
            ),
            (commodity, a["roundId"]),
        )
        feed = self._feed(commodity)
        if feed is None:
            return
        feed.price = a["price"] or None
        feed.price_as_of = a["asOf"] if a["price"] else None
        feed.round_id, feed.contributors, feed.price_updated_at = a["roundId"], a["contributors"], t
        self._revalue_commodity(feed)

    def _revalue_commodity(self, feed: PriceFeedRow) -> None:
        """Every loan of the commodity re-valued at the new price, in the database: on PostgreSQL
        one UPDATE in exact NUMERIC arithmetic; on SQLite (amounts are decimal text there) one read
        and one batched update computed in Python. Both are the contract's formula."""
        self.flush()  # loans opened earlier in this chunk are valued too
        price, round_id = feed.price or 0, feed.round_id
        connection = self.session.connection()
        block = self.session.info.get(JOURNAL_BLOCK)
        if block is not None:
            # Within the reorg window: each loan's image before the update goes to the journal first
            # (its own format, one multi-row insert), as the journal does for the ORM's flushes.
            loans = LoanRow.__table__
            images = [
                dict(r._mapping)
                for r in connection.execute(select(loans).where(loans.c.commodity == feed.commodity))
            ]
            if images:
                connection.execute(
                    insert(Journal),
                    [
                        {
                            "block_number": block,
                            "table_name": "loans",
                            "key": {"loan_id": i["loan_id"]},
                            "before": i,
                        }
                        for i in images
                    ],
                )
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(
                    "UPDATE loans SET valued_round = :round, "
                    "ltv_bps = CASE WHEN :price = 0 THEN NULL WHEN collateral = 0 THEN :max_ltv "
                    "ELSE LEAST(div(outstanding * :scale + collateral * :price - 1, collateral * :price), "
                    ":max_ltv) END, "
                    "value = CASE WHEN :price = 0 THEN NULL ELSE div(collateral * :price, :quantity) END "
                    "WHERE commodity = :commodity"
                ),
                {
                    "round": round_id,
                    "price": price,
                    "max_ltv": MAX_LTV_BPS,
                    "scale": LTV_SCALE,
                    "quantity": QUANTITY_SCALE,
                    "commodity": feed.commodity,
                },
            )
            loan_ids = None  # every loan of the commodity
        else:
            rows = connection.exec_driver_sql(
                "SELECT loan_id, outstanding, collateral FROM loans WHERE commodity = ?", (feed.commodity,)
            ).all()
            updates = [
                (
                    ltv_bps(int(outstanding), int(collateral), price) if price else None,
                    str(collateral_value(int(collateral), price)) if price else None,
                    round_id,
                    loan_id,
                )
                for loan_id, outstanding, collateral in rows
            ]
            if updates:
                connection.exec_driver_sql(
                    "UPDATE loans SET ltv_bps = ?, value = ?, valued_round = ? WHERE loan_id = ?", updates
                )
            loan_ids = {u[3] for u in updates}
        # Rows this projector holds as objects must not flush stale values over the update.
        for (model, key), loan in list(self._rows.items()):
            mine = isinstance(loan, LoanRow) and loan.commodity == feed.commodity
            if model is LoanRow and mine and (loan_ids is None or key in loan_ids):
                self.session.expire(loan, ["ltv_bps", "value", "valued_round"])

    # ------------------------------------------------------------ loans

    def _loan(self, loan_id: int) -> LoanRow | None:
        row = self._get(LoanRow, loan_id)
        return row if isinstance(row, LoanRow) else None

    def _revalue(self, loan: LoanRow) -> None:
        feed = self._feed(loan.commodity)
        price = feed.price if feed is not None else None
        if not price:
            loan.ltv_bps, loan.value, loan.valued_round = None, None, None
            return
        loan.ltv_bps = ltv_bps(loan.outstanding, loan.collateral, price)
        loan.value = collateral_value(loan.collateral, price)
        loan.valued_round = feed.round_id if feed is not None else None

    def on_LoanOpened(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        loan = LoanRow(
            loan_id=a["loanId"],
            lender=a["lender"],
            borrower=a["borrower"],
            commodity=_code(a["commodity"]),
            currency=_code(a["currency"]),
            loan_ref=a["loanRef"],
            outstanding=a["outstanding"],
            collateral=0,
            advance_rate_bps=a["advanceRateBps"],
            margin_call_ltv_bps=a["marginCallLtvBps"],
            liquidation_ltv_bps=a["liquidationLtvBps"],
            cure_window=a["cureWindow"],
            opened_at=t,
            opened_block=e.block_number,
        )
        self._put(loan, loan.loan_id)
        self._revalue(loan)

    def on_CollateralAdded(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        loan = self._loan(a["loanId"])
        if loan is None:
            return
        existing = self._get(LoanCollateralRow, a["receiptId"])
        if isinstance(existing, LoanCollateralRow):  # a receipt that secured a loan before
            existing.loan_id, existing.quantity, existing.added_at = a["loanId"], a["quantity"], t
            existing.removed_at = None
        else:
            self._put(
                LoanCollateralRow(
                    receipt_id=a["receiptId"], loan_id=a["loanId"], quantity=a["quantity"], added_at=t
                ),
                a["receiptId"],
            )
        loan.collateral = a["collateral"]
        self._revalue(loan)

    def on_CollateralRemoved(self, e: DecodedEvent, t: int) -> None:
        a = e.args
        existing = self._get(LoanCollateralRow, a["receiptId"])
        if isinstance(existing, LoanCollateralRow):
            existing.removed_at = t
        loan = self._loan(a["loanId"])
        if loan is not None:
            loan.collateral = a["collateral"]
            self._revalue(loan)

    def on_RepaymentRecorded(self, e: DecodedEvent, t: int) -> None:
        loan = self._loan(e.args["loanId"])
        if loan is not None:
            loan.outstanding = e.args["outstanding"]
            self._revalue(loan)

    def on_MarginCalled(self, e: DecodedEvent, t: int) -> None:
        loan = self._loan(e.args["loanId"])
        if loan is not None:
            loan.cure_deadline, loan.margin_called_at = e.args["cureDeadline"], t

    def on_MarginCallCured(self, e: DecodedEvent, t: int) -> None:
        loan = self._loan(e.args["loanId"])
        if loan is not None:
            loan.cure_deadline = None

    def on_MarginChecked(self, e: DecodedEvent, t: int) -> None:
        loan = self._loan(e.args["loanId"])
        if loan is not None:
            status = int(e.args["status"])
            loan.last_status = MARGIN_STATUS[status] if status < len(MARGIN_STATUS) else str(status)
            loan.last_checked_at = t
