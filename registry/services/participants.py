"""Admitted members as the index knows them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.api.schemas import ParticipantOut
from registry.db.models import Participant
from registry.errors import NotFound
from registry.services._format import when


def participant_out(p: Participant) -> ParticipantOut:
    return ParticipantOut.model_construct(
        address=p.address,
        role=p.role,
        name=p.name,
        entity_id=p.entity_id,
        status=p.status,
        kyc_valid_until=when(p.valid_until),
        admitted_at=when(p.admitted_at),
        status_reason=p.status_reason,
    )


def list_participants(session: Session, *, role: str | None, status: str | None) -> list[ParticipantOut]:
    query = select(Participant)
    if role:
        query = query.where(Participant.role == role)
    if status:
        query = query.where(Participant.status == status)
    return [
        participant_out(p)
        for p in session.scalars(query.order_by(Participant.admitted_at, Participant.address))
    ]


def get_participant(session: Session, address: str) -> ParticipantOut:
    p = session.get(Participant, address)
    if p is None:
        raise NotFound(f"{address} is not an admitted participant", address=address)
    return participant_out(p)
