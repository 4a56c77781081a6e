"""Warehouse receipts: public registry facts (who holds what, pledged or not)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy.orm import Session

from client.models import EventOut, Page, ReceiptOut
from registry.api.deps import ADDRESS_PATTERN, OPTIONAL_SESSION, address, db, lot_id, viewer
from registry.api.rendering import json_response
from registry.services import receipts as service
from registry.services.signin import SessionClaims

router = APIRouter(prefix="/receipts", tags=["receipts"])

ReceiptStatus = Literal["live", "delivered", "merged", "pledged", "frozen"]
MAX_ID = 2**63 - 1


@router.get("", operation_id="listReceipts", openapi_extra=OPTIONAL_SESSION, response_model=Page[ReceiptOut])
async def list_receipts(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims | None, Depends(viewer)],
    owner: Annotated[str | None, Query(pattern=ADDRESS_PATTERN)] = None,
    warehouse: Annotated[str | None, Query(pattern=ADDRESS_PATTERN)] = None,
    commodity: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
    lot: Annotated[
        str | None,
        Query(min_length=1, max_length=128, pattern=r"[^\s\x1c-\x1f\x85]", description="lot id or identity"),
    ] = None,
    status: Annotated[ReceiptStatus | None, Query()] = None,
    lender: Annotated[str | None, Query(pattern=ADDRESS_PATTERN, description="lienholder")] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="next_after of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """Receipts by owner, warehouse, commodity, lot, status or lender, keyset-paginated (`next_after`).
    Public: a lien shows its lender to anyone, its terms only to the lienholder, the owner,
    auditors and regulators, signed in (`terms_withheld` says when they are left out)."""
    filters = service.ReceiptFilter(
        owner=address(owner) if owner else None,
        warehouse=address(warehouse) if warehouse else None,
        commodity=commodity,
        lot=lot_id(lot) if lot else None,
        status=status,
        lender=address(lender) if lender else None,
    )
    items, next_after = service.receipt_page(session, filters, after=after, limit=limit, viewer=claims)
    return json_response({"items": items, "next_after": next_after})


@router.get(
    "/{receipt_id}", operation_id="getReceipt", openapi_extra=OPTIONAL_SESSION, response_model=ReceiptOut
)
async def get_receipt(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims | None, Depends(viewer)],
    receipt_id: Annotated[int, Path(ge=0, le=MAX_ID)],
) -> Response:
    """One receipt: holder, lot, quantity, expiry (the end of the day typed, UTC), lien and pledge
    request (their terms for the lienholder, the owner, auditors and regulators, signed in)."""
    return json_response(service.receipt_by_id(session, receipt_id, claims))


@router.get(
    "/{receipt_id}/history",
    operation_id="getReceiptHistory",
    openapi_extra=OPTIONAL_SESSION,
    response_model=list[EventOut],
)
async def receipt_history(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims | None, Depends(viewer)],
    receipt_id: Annotated[int, Path(ge=0, le=MAX_ID)],
) -> list[EventOut]:
    """Every event of the receipt, oldest first; a split part includes its parent's life up to the
    split. A pledge request's terms only for its parties, auditors and regulators (`termsWithheld`)."""
    return service.receipt_history(session, receipt_id, claims)
