"""Sign-In with Ethereum: challenge, then a short-lived session token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from client.models import ChallengeOut, SessionOut
from registry.api.deps import service_state, write_db
from registry.api.schemas import ChallengeIn, SessionIn
from registry.services._format import when

router = APIRouter(prefix="/auth", tags=["sign-in"])


@router.post("/challenge", operation_id="createChallenge", response_model=ChallengeOut)
def challenge(request: Request, body: ChallengeIn) -> ChallengeOut:
    """An EIP-4361 message for the participant to sign with its own key (personal_sign).

    Stores nothing; throttled per address and per client (429 beyond 10 a minute for one address,
    60 from one client)."""
    signin = service_state(request).signin
    signin.throttle.admit(body.address, request.client.host if request.client else "unknown")
    message, nonce, expires_at = signin.challenge(body.address)
    return ChallengeOut(message=message, nonce=nonce, expires_at=when(expires_at))


@router.post("/session", operation_id="createSession", response_model=SessionOut)
def create_session(
    request: Request, body: SessionIn, session: Annotated[Session, Depends(write_db)]
) -> SessionOut:
    """Exchanges a signed challenge for a bearer token; the chain must list the signer as active."""
    state = service_state(request)
    try:
        token, claims = state.signin.verify(
            session, body.message, body.signature, state.ledgerhouse.participants
        )
    finally:
        session.commit()  # a presented nonce is spent, whether or not the sign-in succeeds
    return SessionOut(
        token=token, address=claims.address, role=claims.role, expires_at=when(claims.expires_at)
    )
