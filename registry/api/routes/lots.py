"""Lots: attested versus receipted quantity and the stocktakes behind it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from client.models import LotDetailOut, LotOut, Page
from registry.api.deps import ADDRESS_PATTERN, address, db, lot_id
from registry.services import identifiers
from registry.services import receipts as service

router = APIRouter(prefix="/lots", tags=["lots"])


@router.get("", operation_id="listLots", response_model=Page[LotOut])
def list_lots(
    session: Annotated[Session, Depends(db)],
    warehouse: Annotated[str | None, Query(pattern=ADDRESS_PATTERN)] = None,
    commodity: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
    frozen: Annotated[bool | None, Query()] = None,
    after: Annotated[str | None, Query(pattern=r"^0x[0-9a-f]{64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[LotOut]:
    """Lots with attested against receipted quantity, keyset-paginated (`next_after`)."""
    items, next_after = service.list_lots(
        session,
        warehouse=address(warehouse) if warehouse else None,
        commodity=commodity,
        frozen=frozen,
        after=after,
        limit=limit,
    )
    return Page[LotOut](items=items, next_after=next_after)


@router.get("/{lot}", operation_id="getLot", response_model=LotDetailOut)
async def get_lot(
    session: Annotated[Session, Depends(db)],
    lot: Annotated[
        str,
        Path(
            min_length=1,
            max_length=128,
            pattern=r"[^\s\x1c-\x1f\x85]",  # what lot_id() enforces: not blank (str.strip whitespace)
            description="lot id (0x + 64 hex) or the goods' identity",
        ),
    ],
) -> LotDetailOut:
    """One lot by its 0x id or the goods' identity as typed: attested vs receipted and every stocktake."""
    the_id = lot_id(lot)
    found = service.get_lot(session, the_id)
    identifiers.remember(session, "lot", lot)  # the lot exists: keep the text as entered beside it
    found.identities = identifiers.spellings(session, "lot", the_id)
    return found
