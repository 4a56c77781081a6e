"""Admitted members as the index knows them, and the legal entity behind each address."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from client.models import ParticipantOut
from registry.db.models import Participant
from registry.errors import NotFound
from registry.services._format import when

# A zero entity id means none declared (the ParticipantRegistry's convention): such members are
# never grouped as one entity.
NO_ENTITY = "0x" + "00" * 32


def participant_out(p: Participant, same_entity: list[str] | None = None) -> ParticipantOut:
    return ParticipantOut.model_construct(
        address=p.address,
        role=p.role,
        name=p.name,
        entity_id=p.entity_id,
        status=p.status,
        kyc_valid_until=when(p.valid_until),
        admitted_at=when(p.admitted_at),
        status_reason=p.status_reason,
        same_entity=same_entity or [],
    )


def list_participants(session: Session, *, role: str | None, status: str | None) -> list[ParticipantOut]:
    query = select(Participant)
    if role:
        query = query.where(Participant.role == role)
    if status:
        query = query.where(Participant.status == status)
    members = session.scalars(query.order_by(Participant.admitted_at, Participant.address)).all()
    by_entity: dict[str, list[str]] = defaultdict(list)
    for entity, account in session.execute(
        select(Participant.entity_id, Participant.address)
        .where(Participant.entity_id.in_({p.entity_id for p in members} - {NO_ENTITY}))
        .order_by(Participant.admitted_at, Participant.address)
    ):
        by_entity[entity].append(account)
    return [participant_out(p, [a for a in by_entity[p.entity_id] if a != p.address]) for p in members]


def get_participant(session: Session, address: str) -> ParticipantOut:
    p = session.get(Participant, address)
    if p is None:
        raise NotFound(f"{address} is not an admitted participant", address=address)
    return participant_out(p, [a for a in entity_addresses(session, p.entity_id) if a != p.address])


def entity_addresses(session: Session, entity_id: str) -> list[str]:
    """Every address ever admitted for the entity, in admission order (revoked ones too: a lien
    taken under a revoked address is still the entity's debt); none for no declared entity."""
    if entity_id == NO_ENTITY:
        return []
    return list(
        session.scalars(
            select(Participant.address)
            .where(Participant.entity_id == entity_id)
            .order_by(Participant.admitted_at, Participant.address)
        )
    )


def entity_of(session: Session, account: str) -> tuple[str | None, list[str]]:
    """The account's entity id and all its addresses, the account first; (None, [account]) for an
    address never admitted."""
    entity = session.scalar(select(Participant.entity_id).where(Participant.address == account))
    if entity is None or entity == NO_ENTITY:
        return None, [account]
    return entity, [account, *(a for a in entity_addresses(session, entity) if a != account)]
