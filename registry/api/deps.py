"""What routes receive: a database session, the signed-in participant, normalised identifiers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from eth_utils.address import to_checksum_address
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from client import Ledgerhouse
from client.errors import InvalidInput
from client.identifiers import identifier_commitment
from registry.errors import AuthenticationRequired, Forbidden, InvalidRequest, NotFound
from registry.indexer.runner import Indexer
from registry.services.chain_head import ChainHead
from registry.services.documents import DocumentStore
from registry.services.signin import SessionClaims, SignIn
from registry.settings import Settings

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"


@dataclass
class ServiceState:
    """Everything a request may need, made once at start-up (the service's app state; "registry"
    names the member contract and the HTTP service, not this)."""

    settings: Settings
    sessions: sessionmaker[Session]
    ledgerhouse: Ledgerhouse
    signin: SignIn
    store: DocumentStore
    indexer: Indexer
    chain_head: ChainHead


def service_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


async def db(request: Request) -> AsyncIterator[Session]:
    """A session, opened on the event loop (opening one touches no database). A sync dependency cost
    two thread hand-offs per request (enter and exit), each a GIL hand-over. The single-item reads
    and the receipt pages are `async def` and query inline too (index lookups well under a
    millisecond; a sync route adds the endpoint's and the response check's hand-offs); the
    aggregating lists (alerts, penetration, vouchers, lots, trees) stay sync, in the thread pool:
    inline they measured no cheaper and would hold the event loop for milliseconds."""
    with service_state(request).sessions() as session:
        yield session


def write_db(request: Request) -> Iterator[Session]:
    """A session the route commits itself: a dependency's teardown runs after the response is sent,
    and a client must never see an answer before its write is durable."""
    with service_state(request).sessions() as session:
        yield session


# Declares the sign-in scheme in the OpenAPI spec (the Authorize button of /docs); the header itself
# is read below, so that a missing and a malformed one each get their own message.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="session",
    bearerFormat="JWT",
    description="The token from POST /auth/session (Sign-In with Ethereum, EIP-4361), valid 15 minutes.",
)


def participant(
    request: Request,
    session: Annotated[Session, Depends(db)],
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> SessionClaims:
    authorization = request.headers.get("authorization")
    if not authorization:
        raise AuthenticationRequired(
            "this view needs a session: POST /auth/challenge, sign, POST /auth/session"
        )
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationRequired("send the session as 'Authorization: Bearer TOKEN'")
    return service_state(request).signin.authenticate(session, token.strip())


def viewer(
    request: Request,
    session: Annotated[Session, Depends(db)],
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> SessionClaims | None:
    """The signed-in participant on a public view, or None for an anonymous caller: a public view
    answers both, showing a lien's terms only to those who may see them (services.visibility). A
    session that is sent must be valid: a bad or expired one is refused, never read as anonymous."""
    if not request.headers.get("authorization"):
        return None
    return participant(request, session, _scheme)


# On an open route with `viewer`: the session is optional (anonymous `{}` or the bearer session).
OPTIONAL_SESSION: dict[str, Any] = {"security": [{}]}


def require(claims: SessionClaims, *, roles: tuple[str, ...] = (), addresses: tuple[str, ...] = ()) -> None:
    """Allows the listed roles and addresses; anyone else gets 403 naming who may."""
    if claims.role in roles or claims.address in addresses:
        return
    allowed = ", ".join([*roles, *addresses])
    raise Forbidden(f"{claims.address} ({claims.role}) may not see this; allowed: {allowed}")


def address(value: str) -> str:
    return to_checksum_address(value)


def lot_id(value: str, *, field: str = "lot") -> str:
    """A lot's on-chain id from either its 0x-hex id or the goods' identity text, committed in its
    canonical form (client.identifiers: the same lot however it is typed)."""
    if not value.strip():
        raise InvalidRequest(
            f"{field}: a lot id or identity cannot be blank", errors=[{"field": field, "message": "blank"}]
        )
    try:
        return "0x" + identifier_commitment(value, what=field).hex()
    except InvalidInput as exc:  # no letters or digits, or a control character: no lot has it
        raise NotFound(f"{exc}: no lot is committed under it") from None
