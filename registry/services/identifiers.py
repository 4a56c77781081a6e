"""Typed identifiers as people entered them, kept beside their canonical form and commitment."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from client.identifiers import canonical_identifier, identifier_commitment, is_commitment_hex
from client.models import SpellingOut
from registry.db.models import IdentifierSpelling

MAX_SPELLINGS = 20  # per identifier: the first ones seen; the canonical form says the rest


def remember(session: Session, kind: str, text: str) -> None:
    """Keeps `text` as entered for the identifier it commits to (a hex id is not a spelling).

    Commits on its own: the caller has only read, and a duplicate written concurrently is no error.
    """
    if is_commitment_hex(text):
        return
    as_entered = text.strip()[:128]
    commitment = "0x" + identifier_commitment(text, what=kind).hex()
    known = session.scalars(
        select(IdentifierSpelling.as_entered).where(
            IdentifierSpelling.kind == kind, IdentifierSpelling.commitment == commitment
        )
    ).all()
    if as_entered in known or len(known) >= MAX_SPELLINGS:
        return
    session.add(
        IdentifierSpelling(
            kind=kind,
            commitment=commitment,
            canonical=canonical_identifier(text, what=kind)[:128],
            as_entered=as_entered,
            first_seen_at=int(time.time()),
        )
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()


def spellings(session: Session, kind: str, commitment: str) -> list[SpellingOut]:
    """Every spelling of the identifier behind `commitment` the registry has seen, first seen first."""
    rows = session.scalars(
        select(IdentifierSpelling)
        .where(IdentifierSpelling.kind == kind, IdentifierSpelling.commitment == commitment)
        .order_by(IdentifierSpelling.first_seen_at, IdentifierSpelling.id)
    ).all()
    return [SpellingOut(as_entered=r.as_entered, canonical=r.canonical) for r in rows]
