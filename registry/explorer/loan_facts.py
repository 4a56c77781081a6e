"""The valuation facts other explorer pages show (a receipt's loan and its LTV), kept apart from
the valuation pages so that pages.py can import them without a cycle."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from registry.db.models import LoanCollateralRow, LoanRow, PriceFeedRow
from registry.explorer.facts import Fact, Field, Links, flag
from registry.services import valuation as service

ALARMING = frozenset({"margin-called", "default", "cure-window-expired", "above-margin-call", "stale-price"})


def ltv_fact(bps: int | None) -> Fact:
    if bps is None:
        return Fact("—", kind="muted")
    return Fact(f"LTV {Decimal(bps).scaleb(-2).quantize(Decimal('0.01'))} %")


def receipt_loan_fields(session: Session, links: Links, receipt_id: int, now: int) -> list[Field]:
    """'Loan': the loan the receipt secures, its LTV at the latest price and where it stands (no
    amounts: they are lien terms). Nothing when the receipt secures no loan."""
    attached = session.get(LoanCollateralRow, receipt_id)
    current = attached is not None and attached.removed_at is None
    loan = session.get(LoanRow, attached.loan_id) if attached is not None and current else None
    if loan is None:
        return []
    status = service.status(loan, session.get(PriceFeedRow, loan.commodity), now)
    return [
        Field(
            "Loan",
            (
                Fact(f"loan {loan.loan_id}", href=links.page("loans", loan.loan_id), kind="id"),
                ltv_fact(loan.ltv_bps),
                flag(status in ALARMING, status, status),
            ),
        )
    ]
