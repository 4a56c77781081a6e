"""Receivables: voucher pieces, a root's split tree, a core enterprise's penetration by tier."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from client.models import Page, PenetrationOut, RootOut, VoucherOut
from registry.api.deps import ADDRESS_PATTERN, OPTIONAL_SESSION, address, db, viewer
from registry.services import receivables as service
from registry.services.signin import SessionClaims

router = APIRouter(tags=["receivables"])

VoucherStatus = Literal["active", "offered-for-discount", "pledge-requested", "pledged", "settled", "merged"]
MAX_ID = 2**63 - 1


@router.get(
    "/vouchers", operation_id="listVouchers", openapi_extra=OPTIONAL_SESSION, response_model=Page[VoucherOut]
)
def list_vouchers(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims | None, Depends(viewer)],
    holder: Annotated[str | None, Query(pattern=ADDRESS_PATTERN)] = None,
    obligor: Annotated[str | None, Query(pattern=ADDRESS_PATTERN, description="core enterprise")] = None,
    root: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    status: Annotated[VoucherStatus | None, Query()] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[VoucherOut]:
    """Voucher pieces filtered by holder, obligor, root or status, keyset-paginated (`next_after`).
    A pledge's lienholder is public; its secured amount only for the lienholder, the holder,
    auditors and regulators, signed in (`lien_terms_withheld`)."""
    items, next_after = service.list_vouchers(
        session,
        holder=address(holder) if holder else None,
        obligor=address(obligor) if obligor else None,
        root_id=root,
        status=status,
        after=after,
        limit=limit,
        viewer=claims,
    )
    return Page[VoucherOut](items=items, next_after=next_after)


@router.get(
    "/vouchers/{voucher_id}",
    operation_id="getVoucher",
    openapi_extra=OPTIONAL_SESSION,
    response_model=VoucherOut,
)
async def get_voucher(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims | None, Depends(viewer)],
    voucher_id: Annotated[int, Path(ge=0, le=MAX_ID)],
) -> VoucherOut:
    """One voucher piece: value, holder, tier, parent, root and status (a pledge's amount as in /vouchers)."""
    return service.get_voucher(session, voucher_id, claims)


@router.get(
    "/vouchers/{voucher_id}/tree",
    operation_id="getVoucherTree",
    openapi_extra=OPTIONAL_SESSION,
    response_model=RootOut,
)
def voucher_tree(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims | None, Depends(viewer)],
    voucher_id: Annotated[int, Path(ge=0, le=MAX_ID)],
) -> RootOut:
    """The root's whole split tree, and whether live plus paid value closes to the face value (a
    pledge's amount as in /vouchers)."""
    return service.root_tree(session, voucher_id, claims)


@router.get("/cores/{core}/penetration", operation_id="getPenetration", response_model=PenetrationOut)
def core_penetration(
    session: Annotated[Session, Depends(db)], core: Annotated[str, Path(pattern=ADDRESS_PATTERN)]
) -> PenetrationOut:
    """How far a core enterprise's credit reaches down its supply chain, tier by tier."""
    return service.penetration(session, address(core))
