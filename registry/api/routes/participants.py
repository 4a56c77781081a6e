"""Admitted members: public registry facts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from client.models import ParticipantOut
from registry.api.deps import ADDRESS_PATTERN, address, db
from registry.services import participants as service

router = APIRouter(prefix="/participants", tags=["participants"])

RoleName = Literal["warehouse", "lender", "core-enterprise", "supplier", "inspector", "auditor", "regulator"]
StatusName = Literal["active", "suspended", "revoked"]


@router.get("", operation_id="listParticipants", response_model=list[ParticipantOut])
async def list_participants(
    session: Annotated[Session, Depends(db)],
    role: Annotated[RoleName | None, Query()] = None,
    status: Annotated[StatusName | None, Query()] = None,
) -> list[ParticipantOut]:
    """Every member ever admitted, with its role, standing and KYC validity as last indexed."""
    return service.list_participants(session, role=role, status=status)


@router.get("/{account}", operation_id="getParticipant", response_model=ParticipantOut)
async def get_participant(
    session: Annotated[Session, Depends(db)], account: Annotated[str, Path(pattern=ADDRESS_PATTERN)]
) -> ParticipantOut:
    """One member by address (404 if never admitted)."""
    return service.get_participant(session, address(account))
