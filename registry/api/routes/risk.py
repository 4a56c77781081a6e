"""Liens by lender, a borrower's exposure across all banks (signed-in views), and public alerts."""

from __future__ import annotations

import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from client.models import AlertOut, ExposureOut, Page, ReceiptOut
from registry.api.deps import ADDRESS_PATTERN, address, db, participant, require
from registry.services import risk as service
from registry.services.signin import SessionClaims

router = APIRouter(tags=["risk"])

OVERSIGHT = ("auditor", "regulator")


@router.get("/liens/{lender}", operation_id="listLiens", response_model=Page[ReceiptOut])
def liens(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    lender: Annotated[str, Path(pattern=ADDRESS_PATTERN)],
    after: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[ReceiptOut]:
    """The live receipts pledged to `lender`: for that lender, auditors and regulators."""
    account = address(lender)
    require(claims, roles=OVERSIGHT, addresses=(account,))
    items, next_after = service.liens_of(session, account, after=after, limit=limit, viewer=claims)
    return Page[ReceiptOut](items=items, next_after=next_after)


@router.get("/exposure/{borrower}", operation_id="getExposure", response_model=ExposureOut)
def exposure(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    borrower: Annotated[str, Path(pattern=ADDRESS_PATTERN)],
) -> ExposureOut:
    """Every lien and discounted piece of a borrower across all banks, summed over every address of
    its legal entity (named in `addresses`): for the borrower, any lender (the double-financing
    check before a loan), auditors and regulators."""
    account = address(borrower)
    require(claims, roles=(*OVERSIGHT, "lender"), addresses=(account,))
    return service.exposure(session, account)


@router.get("/alerts", operation_id="listAlerts", response_model=Page[AlertOut])
def alerts(
    session: Annotated[Session, Depends(db)],
    expiring_within_days: Annotated[int, Query(ge=0, le=3650)] = 30,
    kind: Annotated[
        Literal[
            "shortfall", "overdue", "expiring", "shared-entity", "margin-call", "near-margin", "stale-price"
        ]
        | None,
        Query(),
    ] = None,
    after: Annotated[
        str | None,
        Query(pattern=service.ALERT_CURSOR_PATTERN, description="next_after of the previous page"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[AlertOut]:
    """Stock shortfalls (naming the lenders), overdue voucher pieces, receipts expiring within the
    given days, legal entities admitted under several addresses, open margin calls, loans near (or
    above, unchecked) their margin call, and stale prices that loans depend on, in that order,
    keyset-paginated; `kind` keeps one kind."""
    now = service.chain_time(session) or int(time.time())
    items, next_after = service.alerts(
        session, now=now, expiring_within_days=expiring_within_days, kind=kind, after=after, limit=limit
    )
    return Page[AlertOut](items=items, next_after=next_after)
