"""A supplier's consent to let one lender read its credit profile, signed with EIP-712.

The typed data binds the consent to one deployment (the domain names the chain and the
ParticipantRegistry contract), one supplier, one lender, a scope and a validity window; its digest is
the consent's id. The registry service verifies the signature itself (`recover_consent`) before it
records the consent, and refuses it once revoked or expired.

    terms = consent_terms(supplier.address, lender, days=30)
    signature = sign_consent(supplier, domain, terms)
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from client.errors import InvalidInput
from client.profile_models import CONSENT_SCOPES, ConsentTerms

__all__ = [
    "CONSENT_DOMAIN_NAME",
    "CONSENT_DOMAIN_VERSION",
    "CONSENT_TYPES",
    "MAX_CONSENT_DAYS",
    "consent_digest",
    "consent_domain",
    "consent_terms",
    "recover_consent",
    "sign_consent",
]

CONSENT_DOMAIN_NAME = "Ledgerhouse credit profile"
CONSENT_DOMAIN_VERSION = "1"
MAX_CONSENT_DAYS = 366

CONSENT_TYPES: dict[str, list[dict[str, str]]] = {
    "Consent": [
        {"name": "supplier", "type": "address"},
        {"name": "lender", "type": "address"},
        {"name": "scope", "type": "string"},
        {"name": "issuedAt", "type": "uint64"},
        {"name": "expiresAt", "type": "uint64"},
        {"name": "nonce", "type": "bytes32"},
    ]
}


def consent_domain(chain_id: int, verifying_contract: str) -> dict[str, Any]:
    """The EIP-712 domain: this deployment's chain and ParticipantRegistry."""
    return {
        "name": CONSENT_DOMAIN_NAME,
        "version": CONSENT_DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(verifying_contract),
    }


def consent_terms(
    supplier: str, lender: str, *, days: int, scope: str = "credit-profile", now: int | None = None
) -> ConsentTerms:
    """Terms valid from now for `days` whole days, with a fresh random nonce."""
    if not 1 <= days <= MAX_CONSENT_DAYS:
        raise InvalidInput(f"--days {days}: a consent lasts 1 to {MAX_CONSENT_DAYS} days")
    if scope not in CONSENT_SCOPES:
        raise InvalidInput(f"scope {scope!r}: choose one of {', '.join(CONSENT_SCOPES)}")
    try:
        supplier_, lender_ = to_checksum_address(supplier), to_checksum_address(lender)
    except ValueError:
        raise InvalidInput(f"--lender {lender!r} is not an address (0x and 40 hex digits)") from None
    if supplier_ == lender_:
        raise InvalidInput("a consent names a lender other than the supplier itself")
    issued = int(time.time()) if now is None else now
    return ConsentTerms(
        supplier=supplier_,
        lender=lender_,
        scope="credit-profile",
        issued_at=issued,
        expires_at=issued + days * 86_400,
        nonce="0x" + secrets.token_hex(32),
    )


def consent_message(domain: dict[str, Any], terms: ConsentTerms) -> SignableMessage:
    message = {
        "supplier": to_checksum_address(terms.supplier),
        "lender": to_checksum_address(terms.lender),
        "scope": terms.scope,
        "issuedAt": terms.issued_at,
        "expiresAt": terms.expires_at,
        "nonce": bytes.fromhex(terms.nonce[2:]),
    }
    return encode_typed_data(domain_data=domain, message_types=CONSENT_TYPES, message_data=message)


def consent_digest(domain: dict[str, Any], terms: ConsentTerms) -> str:
    """The EIP-712 digest the supplier signs: the consent's id."""
    signable = consent_message(domain, terms)
    return "0x" + keccak(b"\x19" + signable.version + signable.header + signable.body).hex()


def sign_consent(account: LocalAccount, domain: dict[str, Any], terms: ConsentTerms) -> str:
    """The supplier's EIP-712 signature over the terms, as 0x-hex."""
    if to_checksum_address(account.address) != to_checksum_address(terms.supplier):
        raise InvalidInput(f"the consent is for supplier {terms.supplier}, but the key is {account.address}")
    signed = account.sign_message(consent_message(domain, terms))
    return "0x" + bytes(signed.signature).hex()


def recover_consent(domain: dict[str, Any], terms: ConsentTerms, signature: str) -> str:
    """The address that signed these terms under this domain."""
    return str(Account.recover_message(consent_message(domain, terms), signature=signature))
