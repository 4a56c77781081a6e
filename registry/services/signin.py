"""Sign-In with Ethereum (EIP-4361): a participant proves its key, the chain vouches for its role.

The service hands out a one-time nonce inside a full EIP-4361 message; the participant signs it
with personal_sign (EIP-191); the service recovers the signer, checks the message is its own (domain,
URI, chain, nonce unused and unexpired) and that the participant registry on chain lists the signer
as an active member with valid KYC, then issues a short-lived HS256 session token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlparse

import jwt
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils.address import to_checksum_address
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from client.participants import Participants
from registry.db.models import IndexedBlock, Participant, SigninChallenge
from registry.errors import AuthenticationRequired, Forbidden, SignInRejected, TooManyRequests

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


def _seconds(iso: str) -> int | None:
    try:
        return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
    except ValueError:
        return None


def kyc_now(session: Session) -> int:
    """'Now' for KYC validity: this server's clock or the newest indexed block's, whichever is later
    (the contracts judge validity by block time; a lagging clock must not extend a lapsed KYC)."""
    chain = session.scalar(select(func.max(IndexedBlock.timestamp)))
    return max(int(time.time()), int(chain or 0))


class ChallengeThrottle:
    """At most `per_address` challenges per address and `per_client` per client IP in a sliding
    `window_s` (per API process): a flood is answered 429 instead of costing work."""

    def __init__(self, *, per_address: int = 10, per_client: int = 60, window_s: float = 60.0) -> None:
        self.per_address, self.per_client, self.window_s = per_address, per_client, window_s
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._seen.setdefault(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def admit(self, address: str, client: str) -> None:
        """Counts one challenge for `address` asked by `client`, or raises TooManyRequests (a
        refused request counts against neither)."""
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 100_000:  # bounded memory: forget keys whose window has passed
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - self.window_s}
            by_client = self._recent(f"client:{client}", now)
            by_address = self._recent(f"address:{address.lower()}", now)
            if len(by_client) >= self.per_client:
                raise TooManyRequests(f"too many sign-in challenges from {client}: wait a minute")
            if len(by_address) >= self.per_address:
                raise TooManyRequests(f"too many sign-in challenges for {address}: wait a minute")
            by_client.append(now)
            by_address.append(now)


class SignIn:
    def __init__(
        self,
        *,
        public_url: str,
        chain_id: int,
        secret: str,
        session_ttl_s: int,
        throttle: ChallengeThrottle | None = None,
    ) -> None:
        parsed = urlparse(public_url)
        self.domain = parsed.netloc
        self.uri = public_url.rstrip("/")
        self.chain_id = chain_id
        self._secret = secret
        self.session_ttl_s = session_ttl_s
        self.throttle = throttle or ChallengeThrottle()

    def message(self, address: str, nonce: str, issued_at: int, expires_at: int) -> str:
        return (
            f"{self.domain} wants you to sign in with your Ethereum account:\n{address}\n\n{STATEMENT}\n\n"
            f"URI: {self.uri}\nVersion: 1\nChain ID: {self.chain_id}\nNonce: {nonce}\n"
            f"Issued At: {_iso(issued_at)}\nExpiration Time: {_iso(expires_at)}"
        )

    def _mac(self, address: str, salt: str, issued_at: int, expires_at: int) -> str:
        data = f"{self.domain}|{self.chain_id}|{address}|{salt}|{issued_at}|{expires_at}".encode()
        return hmac.new(self._secret.encode(), data, hashlib.sha256).hexdigest()[:24]

    def challenge(self, address: str, *, now: int | None = None) -> tuple[str, str, int]:
        """A fresh EIP-4361 message for `address` to sign; its nonce is good once, for 5 minutes.

        Nothing is stored: the nonce (8 random hex digits, then 24 of an HMAC-SHA256 under the
        service's secret over the address and the times) proves the registry issued it, so asking
        for challenges (for any address, as often as the throttle allows) writes no rows. A nonce is
        recorded only when a member signs in with it, and then only until it expires.
        """
        account = to_checksum_address(address)
        issued_at = int(time.time()) if now is None else now
        expires_at = issued_at + CHALLENGE_TTL_S
        salt = secrets.token_hex(4)
        nonce = salt + self._mac(account, salt, issued_at, expires_at)
        return self.message(account, nonce, issued_at, expires_at), nonce, expires_at

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
        nonce, address = fields["nonce"], fields["address"]
        issued_at, expires_at = _seconds(fields["issued_at"]), _seconds(fields["expires_at"])
        salt, mac = nonce[:8], nonce[8:]
        if (
            issued_at is None
            or expires_at is None
            or len(nonce) != 32
            or not hmac.compare_digest(mac, self._mac(address, salt, issued_at, expires_at))
            or self.message(address, nonce, issued_at, expires_at) != message
        ):
            raise SignInRejected("the message differs from the challenge this registry issued")
        now = int(time.time())
        if expires_at < now:
            raise SignInRejected("the challenge expired: ask for a new one")
        session.execute(delete(SigninChallenge).where(SigninChallenge.expires_at < now))
        if session.get(SigninChallenge, nonce) is not None:
            raise SignInRejected("unknown or already used nonce: ask for a new challenge")
        challenge = SigninChallenge(
            nonce=nonce, address=address, issued_at=issued_at, expires_at=expires_at, used=True
        )
        try:
            signer = Account.recover_message(encode_defunct(text=message), signature=signature)
        except Exception:
            raise SignInRejected("the signature cannot be recovered") from None
        if signer != challenge.address:
            raise SignInRejected(f"signed by {signer}, not by {challenge.address}")
        try:  # spent at once, by whichever of two concurrent sign-ins gets here first
            with session.begin_nested():
                session.add(challenge)
        except IntegrityError:
            raise SignInRejected("unknown or already used nonce: ask for a new challenge") from None
        member = participants.member(signer)
        if member is None:
            raise Forbidden(f"{signer} is not an admitted participant")
        if member.status.label != "active":
            raise Forbidden(f"{signer} ({member.name}) is {member.status.label}")
        if member.valid_until.timestamp() < now:
            raise Forbidden(f"{signer} ({member.name}) has KYC that lapsed on {member.valid_until.date()}")
        # A session never outlives the member's KYC.
        expires_at = min(now + self.session_ttl_s, int(member.valid_until.timestamp()))
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
        if member is not None and member.valid_until < kyc_now(session):
            lapsed = datetime.fromtimestamp(member.valid_until, UTC).date()
            raise Forbidden(
                f"{member.address} ({member.name}) has KYC that lapsed on {lapsed}: the session ended"
            )
        return SessionClaims(
            address=str(payload["sub"]), role=str(payload["role"]), expires_at=int(payload["exp"])
        )
