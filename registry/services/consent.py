"""Who may read a member's credit profile, and the log of every read.

A supplier grants one lender access with an EIP-712 signed consent (client.consent): the service
recovers the signer itself and records the consent under its digest; the supplier can revoke it at
once. The member itself reads its own profile, auditors and regulators read every profile; a lender
reads one only under an active (unrevoked, unexpired) consent of that member. Every attempt, let
through or refused, is logged with who, when and on which basis or consent.
"""

from __future__ import annotations

from typing import Any

from eth_utils.address import to_checksum_address
from sqlalchemy import select
from sqlalchemy.orm import Session

from client.consent import MAX_CONSENT_DAYS, consent_digest, recover_consent
from client.profile_models import ConsentIn, ConsentOut, ProfileRead
from registry.db.models import Consent, Participant, ProfileReadRow
from registry.errors import Forbidden, InvalidRequest, NotFound
from registry.services._format import when
from registry.services.participants import entity_of
from registry.services.signin import SessionClaims

OVERSIGHT = ("auditor", "regulator")
CLOCK_SKEW_S = 300
GRANT_HINT = "the supplier grants one with `ledgerhouse supplier consent --lender {lender} --days N`"


def _status(c: Consent, now: int) -> str:
    if c.revoked_at is not None:
        return "revoked"
    return "expired" if c.expires_at <= now else "active"


def consent_out(c: Consent, now: int) -> ConsentOut:
    return ConsentOut(
        id=c.id,
        supplier=c.supplier,
        lender=c.lender,
        scope=c.scope,
        issued_at=when(c.issued_at),
        expires_at=when(c.expires_at),
        registered_at=when(c.registered_at),
        revoked_at=when(c.revoked_at) if c.revoked_at is not None else None,
        status=_status(c, now),
    )


def _refuse(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"{field}: {message}", errors=[{"field": field, "message": message}])


def register(
    session: Session, domain: dict[str, Any], body: ConsentIn, claims: SessionClaims, now: int
) -> ConsentOut:
    """Verifies the supplier's signature and the parties, then records the consent (idempotent for
    the same signed consent; a revoked one stays revoked)."""
    terms = body.consent
    try:
        signer = recover_consent(domain, terms, body.signature)
    except Exception:
        raise _refuse("signature", "cannot be recovered from the consent") from None
    if signer.lower() != terms.supplier.lower():
        raise _refuse("signature", f"signed by {signer}, not by the supplier {terms.supplier}")
    supplier = session.get(Participant, signer)
    if supplier is None or supplier.status != "active":
        state = "not an admitted participant" if supplier is None else supplier.status
        raise _refuse("consent.supplier", f"{signer} is {state}")
    lender = session.get(Participant, _checksum(terms.lender))
    if lender is None or lender.role != "lender" or lender.status != "active":
        what = "not an admitted participant" if lender is None else f"a {lender.status} {lender.role}"
        raise _refuse("consent.lender", f"{terms.lender} is {what}, not an active lender")
    if claims.address not in (supplier.address, lender.address):
        raise Forbidden(
            f"{claims.address} may not register a consent between {supplier.address} and {lender.address}"
        )
    if terms.expires_at <= now:
        raise _refuse(
            "consent.expires_at", f"the consent expired on {when(terms.expires_at):%Y-%m-%d %H:%M:%S} UTC"
        )
    if terms.issued_at > now + CLOCK_SKEW_S:
        raise _refuse("consent.issued_at", "the consent is dated in the future")
    if terms.expires_at - terms.issued_at > MAX_CONSENT_DAYS * 86_400:
        raise _refuse("consent.expires_at", f"a consent lasts at most {MAX_CONSENT_DAYS} days")
    digest = consent_digest(domain, terms)
    existing = session.get(Consent, digest)
    if existing is not None:
        if existing.revoked_at is not None:
            raise _refuse(
                "consent", f"consent {digest} was revoked on {when(existing.revoked_at)}: sign a new one"
            )
        return consent_out(existing, now)
    row = Consent(
        id=digest,
        supplier=supplier.address,
        lender=lender.address,
        scope=terms.scope,
        issued_at=terms.issued_at,
        expires_at=terms.expires_at,
        nonce=terms.nonce.lower(),
        signature=body.signature.lower(),
        registered_by=claims.address,
        registered_at=now,
        revoked_at=None,
        revoked_by=None,
    )
    session.add(row)
    session.flush()
    return consent_out(row, now)


def _checksum(address: str) -> str:
    return to_checksum_address(address)


def revoke(session: Session, consent_id: str, claims: SessionClaims, now: int) -> ConsentOut:
    """Revokes at once: the next read under it is refused. Only the supplier (any address of its
    legal entity) may revoke."""
    row = session.get(Consent, consent_id.lower())
    if row is None:
        raise NotFound(f"no consent {consent_id}")
    _, supplier_addresses = entity_of(session, row.supplier)
    if claims.address not in supplier_addresses:
        raise Forbidden(f"only the supplier {row.supplier} may revoke consent {row.id}")
    if row.revoked_at is None:
        row.revoked_at = now
        row.revoked_by = claims.address
        session.flush()
    return consent_out(row, now)


def consents_of(session: Session, subject: str, claims: SessionClaims, now: int) -> list[ConsentOut]:
    _, addrs = entity_of(session, subject)
    role = current_role(session, claims)
    if claims.address not in addrs and role not in OVERSIGHT:
        raise Forbidden(f"{claims.address} ({role}) may not list {subject}'s consents")
    rows = session.scalars(
        select(Consent).where(Consent.supplier.in_(addrs)).order_by(Consent.registered_at.desc(), Consent.id)
    )
    return [consent_out(c, now) for c in rows]


def current_role(session: Session, claims: SessionClaims) -> str:
    """The reader's role as the index holds it now, not as it was at sign-in: a role changed since
    (a handover) must not keep its reach for the rest of the session."""
    member = session.get(Participant, claims.address)
    return member.role if member is not None else claims.role


def authorize_read(
    session: Session, subject: str, claims: SessionClaims, consent_id: str | None, now: int
) -> tuple[bool, str, str | None, str]:
    """(granted, basis, consent id, reason) of `claims` reading `subject`'s profile."""
    _, addrs = entity_of(session, subject)
    if claims.address in addrs:
        return True, "self", None, "the member's own profile"
    role = current_role(session, claims)
    if role in OVERSIGHT:
        return True, "oversight", None, f"{role}s read every profile"
    if role != "lender":
        return (
            False,
            "refused",
            None,
            f"a {role} may not read credit profiles; a lender needs the member's consent",
        )
    query = select(Consent).where(Consent.supplier.in_(addrs), Consent.lender == claims.address)
    if consent_id is not None:
        query = query.where(Consent.id == consent_id.lower())
    candidates = list(session.scalars(query.order_by(Consent.registered_at.desc(), Consent.id)))
    active = [c for c in candidates if _status(c, now) == "active"]
    if active:
        return (
            True,
            "consent",
            active[0].id,
            f"consent {active[0].id}, valid until {when(active[0].expires_at)}",
        )
    if consent_id is not None and not candidates:
        return False, "refused", None, f"consent {consent_id} is not one {subject} gave {claims.address}"
    if candidates:
        latest = candidates[0]
        state = (
            f"was revoked on {when(latest.revoked_at)}"
            if latest.revoked_at is not None
            else f"expired on {when(latest.expires_at)}"
        )
        return (
            False,
            "refused",
            latest.id,
            f"consent {latest.id} from {subject} to {claims.address} {state}; "
            + GRANT_HINT.format(lender=claims.address),
        )
    return (
        False,
        "refused",
        None,
        f"no consent from {subject} to {claims.address}; " + GRANT_HINT.format(lender=claims.address),
    )


def log_read(
    session: Session,
    subject: str,
    claims: SessionClaims,
    *,
    granted: bool,
    basis: str,
    consent_id: str | None,
    reason: str,
    now: int,
) -> None:
    session.add(
        ProfileReadRow(
            subject=subject,
            reader=claims.address,
            reader_role=current_role(session, claims),
            basis=basis,
            consent_id=consent_id,
            granted=granted,
            reason=reason,
            read_at=now,
        )
    )
    session.flush()


def reads_of(
    session: Session, subject: str, claims: SessionClaims, *, before: int | None, limit: int
) -> list[ProfileRead]:
    """The log of reads of `subject`'s profile (every address of its entity), newest first: for the
    member itself, auditors and regulators."""
    _, addrs = entity_of(session, subject)
    role = current_role(session, claims)
    if claims.address not in addrs and role not in OVERSIGHT:
        raise Forbidden(f"{claims.address} ({role}) may not see who read {subject}'s profile")
    query = select(ProfileReadRow).where(ProfileReadRow.subject.in_(addrs))
    if before is not None:
        query = query.where(ProfileReadRow.id < before)
    rows = session.scalars(query.order_by(ProfileReadRow.id.desc()).limit(limit))
    return [
        ProfileRead(
            id=r.id,
            subject=r.subject,
            reader=r.reader,
            reader_role=r.reader_role,
            basis=r.basis,
            consent_id=r.consent_id,
            granted=r.granted,
            reason=r.reason,
            read_at=when(r.read_at),
        )
        for r in rows
    ]
