"""Sign-In with Ethereum (EIP-4361): a participant proves its key, the chain vouches for its role.

The service hands out a one-time nonce inside a full EIP-4361 message; the participant signs it
with personal_sign (EIP-191); the service recovers the signer, checks the message is its own (domain,
URI, chain, nonce unused and unexpired) and that the participant registry on chain lists the signer
as an active member with valid KYC, then issues a short-lived HS256 session token.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlparse

import jwt
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils.address import to_checksum_address
from sqlalchemy import delete
from sqlalchemy.orm import Session

from client.participants import Participants
from registry.db.models import Participant, SigninChallenge
from registry.errors import AuthenticationRequired, Forbidden, SignInRejected

CHALLENGE_TTL_S = 300
STATEMENT = "Sign in to the Ledgerhouse registry."
ISSUER = "ledgerhouse-registry"

_MESSAGE = re.compile(
    r"^(?P<domain>[^\s]+) wants you to sign in with your Ethereum account:\n"
    r"(?P<address>0x[0-9a-fA-F]{40})\n\n"
    r"(?P<statement>[^\n]*)\n\n"
    r"URI: (?P<uri>[^\n]+)\n"
    r"Version: (?P<version>1)\n"
    r"Chain ID: (?P<chain_id>\d+)\n"
    r"Nonce: (?P<nonce>[A-Za-z0-9]{8,})\n"
    r"Issued At: (?P<issued_at>[^\n]+)\n"
    r"Expiration Time: (?P<expires_at>[^\n]+)$"
)


@dataclass(frozen=True)
class SessionClaims:
    address: str
    role: str
    expires_at: int


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SignIn:
    def __init__(self, *, public_url: str, chain_id: int, secret: str, session_ttl_s: int) -> None:
        parsed = urlparse(public_url)
        self.domain = parsed.netloc
        self.uri = public_url.rstrip("/")
        self.chain_id = chain_id
        self._secret = secret
        self.session_ttl_s = session_ttl_s

    def message(self, address: str, nonce: str, issued_at: int, expires_at: int) -> str:
        return (
            f"{self.domain} wants you to sign in with your Ethereum account:\n{address}\n\n{STATEMENT}\n\n"
            f"URI: {self.uri}\nVersion: 1\nChain ID: {self.chain_id}\nNonce: {nonce}\n"
            f"Issued At: {_iso(issued_at)}\nExpiration Time: {_iso(expires_at)}"
        )

    def challenge(self, session: Session, address: str) -> tuple[str, str, int]:
        """A fresh EIP-4361 message for `address` to sign; its nonce is good once, for 5 minutes."""
        account = to_checksum_address(address)
        now = int(time.time())
        session.execute(delete(SigninChallenge).where(SigninChallenge.expires_at < now))
        nonce = secrets.token_hex(16)
        expires_at = now + CHALLENGE_TTL_S
        session.add(
            SigninChallenge(nonce=nonce, address=account, issued_at=now, expires_at=expires_at, used=False)
        )
        return self.message(account, nonce, now, expires_at), nonce, expires_at

    def verify(
        self, session: Session, message: str, signature: str, participants: Participants
    ) -> tuple[str, SessionClaims]:
        """Checks a signed challenge; returns a session token and what it carries."""
        match = _MESSAGE.match(message)
        if match is None:
            raise SignInRejected("the message is not a Ledgerhouse EIP-4361 sign-in message")
        fields = match.groupdict()
        if fields["domain"] != self.domain or fields["uri"] != self.uri:
            raise SignInRejected(f"the message is for {fields['domain']}, not this registry ({self.domain})")
        if int(fields["chain_id"]) != self.chain_id:
            raise SignInRejected(f"the message is for chain {fields['chain_id']}, not chain {self.chain_id}")
        challenge = session.get(SigninChallenge, fields["nonce"], with_for_update=True)
        now = int(time.time())
        if challenge is None or challenge.used:
            raise SignInRejected("unknown or already used nonce: ask for a new challenge")
        if challenge.expires_at < now:
            raise SignInRejected("the challenge expired: ask for a new one")
        if (
            self.message(challenge.address, challenge.nonce, challenge.issued_at, challenge.expires_at)
            != message
        ):
            raise SignInRejected("the message differs from the challenge this registry issued")
        try:
            signer = Account.recover_message(encode_defunct(text=message), signature=signature)
        except Exception:
            raise SignInRejected("the signature cannot be recovered") from None
        if signer != challenge.address:
            raise SignInRejected(f"signed by {signer}, not by {challenge.address}")
        challenge.used = True
        member = participants.member(signer)
        if member is None:
            raise Forbidden(f"{signer} is not an admitted participant")
        if member.status.label != "active":
            raise Forbidden(f"{signer} ({member.name}) is {member.status.label}")
        if member.valid_until.timestamp() < now:
            raise Forbidden(f"{signer} ({member.name}) has KYC that lapsed on {member.valid_until.date()}")
        expires_at = now + self.session_ttl_s
        claims = SessionClaims(address=signer, role=member.role.label, expires_at=expires_at)
        token = jwt.encode(
            {"sub": signer, "role": claims.role, "iat": now, "exp": expires_at, "iss": ISSUER},
            self._secret,
            algorithm="HS256",
        )
        return token, claims

    def authenticate(self, session: Session, token: str) -> SessionClaims:
        """The participant behind a bearer token, still active in the index."""
        try:
            payload = jwt.decode(token, self._secret, algorithms=["HS256"], issuer=ISSUER)
        except jwt.ExpiredSignatureError:
            raise AuthenticationRequired("the session expired: sign in again") from None
        except jwt.InvalidTokenError:
            raise AuthenticationRequired("the session token is invalid") from None
        member = session.get(Participant, payload["sub"])
        if member is not None and member.status != "active":
            raise Forbidden(f"{member.address} ({member.name}) is {member.status} since the session began")
        return SessionClaims(
            address=str(payload["sub"]), role=str(payload["role"]), expires_at=int(payload["exp"])
        )
