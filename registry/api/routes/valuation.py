"""Commodity prices and their history (public), loans valued at them (the lender, the borrower,
auditors and regulators), a lender's book by LTV, and open margin calls."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from client.models import LoanValuationOut, Page, PriceOut, PricePointOut
from registry.api.deps import ADDRESS_PATTERN, address, db, participant, require
from registry.services import valuation as service
from registry.services.risk import chain_time
from registry.services.signin import SessionClaims

router = APIRouter(tags=["valuation"])

OVERSIGHT = ("auditor", "regulator")
COMMODITY_PATTERN = r"^[A-Za-z0-9._-]{1,16}$"
MAX_ID = 2**63 - 1


def _now(session: Session) -> int:
    return chain_time(session) or int(time.time())


@router.get("/prices", operation_id="listPrices", response_model=list[PriceOut])
def list_prices(session: Annotated[Session, Depends(db)]) -> list[PriceOut]:
    """Every commodity's reference price, its age and freshness, and each publisher's latest post."""
    return service.prices(session, now=_now(session))


@router.get("/prices/{commodity}", operation_id="getPrice", response_model=PriceOut)
def get_price(
    session: Annotated[Session, Depends(db)],
    commodity: Annotated[str, Path(pattern=COMMODITY_PATTERN)],
) -> PriceOut:
    """A commodity's reference price (median of the fresh counted posts), its age, each post."""
    return service.price(session, commodity, now=_now(session))


@router.get(
    "/prices/{commodity}/history", operation_id="listPriceHistory", response_model=Page[PricePointOut]
)
def price_history(
    session: Annotated[Session, Depends(db)],
    commodity: Annotated[str, Path(pattern=COMMODITY_PATTERN)],
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="a round id: older rounds follow")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[PricePointOut]:
    """Every reference price the feed computed, newest first."""
    items, next_after = service.history(session, commodity, after=after, limit=limit)
    return Page[PricePointOut](items=items, next_after=next_after)


@router.get("/loans/{loan_id}", operation_id="getLoanValuation", response_model=LoanValuationOut)
def get_loan(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    loan_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> LoanValuationOut:
    """A loan valued at the latest reference price: collateral value, LTV, margin-call state."""
    view = service.loan(session, loan_id, now=_now(session))
    require(claims, roles=OVERSIGHT, addresses=(view.lender, view.borrower))
    return view


@router.get(
    "/receipts/{receipt_id}/loan", operation_id="getReceiptLoanValuation", response_model=LoanValuationOut
)
def get_receipt_loan(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    receipt_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> LoanValuationOut:
    """The valuation of the loan a receipt secures (LTV is over all of the loan's receipts)."""
    from registry.errors import NotFound

    loan_id = service.loan_of_receipt(session, receipt_id)
    if loan_id is None:
        raise NotFound(f"receipt {receipt_id} does not secure any loan", receipt_id=receipt_id)
    return get_loan(session, claims, loan_id)


@router.get("/liens/{lender}/loans", operation_id="listLenderLoans", response_model=Page[LoanValuationOut])
def lender_loans(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    lender: Annotated[str, Path(pattern=ADDRESS_PATTERN)],
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="next_after of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[LoanValuationOut]:
    """The lender's loans with something outstanding, worst LTV first: for that lender and oversight."""
    account = address(lender)
    require(claims, roles=OVERSIGHT, addresses=(account,))
    items, next_after = service.lender_book(session, account, now=_now(session), limit=limit, after=after)
    return Page[LoanValuationOut](items=items, next_after=next_after)


@router.get("/margin-calls", operation_id="listMarginCalls", response_model=Page[LoanValuationOut])
def margin_calls(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="next_after of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[LoanValuationOut]:
    """Loans with a margin call open (within or past the cure window): for auditors and regulators;
    a lender sees its own book at /liens/{lender}/loans and everyone the alerts at /alerts."""
    require(claims, roles=OVERSIGHT)
    items, next_after = service.margin_calls(session, now=_now(session), limit=limit, after=after)
    return Page[LoanValuationOut](items=items, next_after=next_after)
