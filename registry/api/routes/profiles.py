"""Credit profiles behind the member's consent, the consents themselves and the log of reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from client.consent import consent_domain
from client.profile_models import (
    ConsentContext,
    ConsentDomain,
    ConsentIn,
    ConsentOut,
    CreditProfile,
    ProfileRead,
)
from registry.api.deps import ADDRESS_PATTERN, ServiceState, address, db, participant, service_state, write_db
from registry.errors import Forbidden
from registry.services import consent as consents
from registry.services.profile import compute_profile
from registry.services.signin import SessionClaims, kyc_now

router = APIRouter(tags=["profiles"])

CONSENT_ID_PATTERN = r"^0x[0-9a-fA-F]{64}$"


def _domain(state: ServiceState) -> dict[str, object]:
    manifest = state.indexer.manifest
    return consent_domain(manifest.chain_id, manifest.address_of("ParticipantRegistry"))


@router.get("/consents/domain", operation_id="getConsentDomain", response_model=ConsentContext)
def domain(
    session: Annotated[Session, Depends(db)], state: Annotated[ServiceState, Depends(service_state)]
) -> ConsentContext:
    """The EIP-712 domain a supplier signs its consent under (this deployment's chain and
    ParticipantRegistry), and the registry's 'now' by which consents are judged."""
    return ConsentContext(domain=ConsentDomain.model_validate(_domain(state)), now=kyc_now(session))


@router.post("/consents", operation_id="grantConsent", response_model=ConsentOut, status_code=201)
def grant(
    session: Annotated[Session, Depends(write_db)],
    state: Annotated[ServiceState, Depends(service_state)],
    claims: Annotated[SessionClaims, Depends(participant)],
    body: ConsentIn,
) -> ConsentOut:
    """Records a supplier's EIP-712 signed consent for one lender to read its credit profile until
    it expires or is revoked (sent by the supplier or the lender it names)."""
    stored = consents.register(session, _domain(state), body, claims, kyc_now(session))
    session.commit()
    return stored


@router.delete("/consents/{consent_id}", operation_id="revokeConsent", response_model=ConsentOut)
def revoke(
    session: Annotated[Session, Depends(write_db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    consent_id: Annotated[str, Path(pattern=CONSENT_ID_PATTERN)],
) -> ConsentOut:
    """Revokes a consent at once (the supplier only): the lender's next read is refused."""
    revoked = consents.revoke(session, consent_id, claims, kyc_now(session))
    session.commit()
    return revoked


@router.get("/profiles/{member}", operation_id="getProfile", response_model=CreditProfile)
def profile(
    session: Annotated[Session, Depends(write_db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    member: Annotated[str, Path(pattern=ADDRESS_PATTERN)],
    consent: Annotated[
        str | None,
        Query(pattern=CONSENT_ID_PATTERN, description="the consent to read under (else any active one)"),
    ] = None,
) -> CreditProfile:
    """The member's credit profile, every figure with the chain events behind it: for the member,
    auditors, regulators, and a lender holding the member's active consent. Every attempt is logged."""
    subject = address(member)
    now = kyc_now(session)
    granted, basis, consent_id, reason = consents.authorize_read(session, subject, claims, consent, now)
    if granted:
        result = compute_profile(session, subject)  # 404 for a non-member: nothing logged
    consents.log_read(
        session, subject, claims, granted=granted, basis=basis, consent_id=consent_id, reason=reason, now=now
    )
    session.commit()
    if not granted:
        raise Forbidden(f"{claims.address} may not read {subject}'s credit profile: {reason}")
    return result


@router.get("/profiles/{member}/reads", operation_id="listProfileReads", response_model=list[ProfileRead])
def reads(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    member: Annotated[str, Path(pattern=ADDRESS_PATTERN)],
    before: Annotated[int | None, Query(ge=0, le=2**63 - 1, description="ids below this one")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ProfileRead]:
    """Who tried to read the member's profile, when, on which basis or consent, and whether it was
    let through, newest first: for the member, auditors and regulators."""
    return consents.reads_of(session, address(member), claims, before=before, limit=limit)


@router.get("/profiles/{member}/consents", operation_id="listConsents", response_model=list[ConsentOut])
def consents_list(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    member: Annotated[str, Path(pattern=ADDRESS_PATTERN)],
) -> list[ConsentOut]:
    """Every consent the member gave, newest first: for the member, auditors and regulators."""
    return consents.consents_of(session, address(member), claims, kyc_now(session))
