"""A trade invoice's identity on chain: the parties and the invoice's own fields, not a file's bytes.

A voucher root commits to the trade document it finances, and the chain refuses a second voucher on
the same commitment. If the commitment were a hash of the invoice number alone, any other core
enterprise could block a competitor's financing by issuing a 1-fen voucher on its number, and two
unrelated firms whose invoices share a number would block each other; if it were the hash of a
file, a re-scan of the same invoice (other bytes) would be financed again. So the commitment is

    keccak256(abi.encode(keccak256("ledgerhouse.trade-invoice.v1"), sellerEntityId, buyerEntityId,
                         keccak256(canonical invoice number), issueDate as YYYYMMDD (uint32),
                         amount in minor units (uint128), currency (bytes3)))

with the entity ids the ParticipantRegistry records for the seller (the supplier the voucher is
issued to) and the buyer (the core enterprise that issues it), and the invoice number in its
canonical form (client.identifiers): only the real invoice collides with itself. The domain string
is versioned: a later definition gets a new one, and old commitments keep their meaning.

The file (PDF, scan) may still be uploaded to the registry as evidence; it is not the identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from client._encoding import as_money, money, short_code
from client.errors import InvalidInput
from client.identifiers import canonical_identifier

__all__ = [
    "INVOICE_DOMAIN",
    "Invoice",
    "already_financed",
    "invoice_document_hash",
]

INVOICE_DOMAIN = "ledgerhouse.trade-invoice.v1"
_DOMAIN_HASH = keccak(text=INVOICE_DOMAIN)


@dataclass(frozen=True)
class Invoice:
    """A trade invoice as its issuer discloses it: number as entered, issue date, amount, currency."""

    number: str
    issue_date: date
    amount: int  # minor units (fen, cents)
    currency: str

    @classmethod
    def of(cls, number: str, issue_date: date, amount: Decimal | int | str, currency: str) -> Invoice:
        """Validates the fields as typed: `amount` in major units (e.g. "1000000.00")."""
        canonical_identifier(number, what="invoice number")  # refuses a number with nothing in it
        code = currency.strip().upper()
        short_code(code, 3, what="currency")
        if len(code) != 3 or not code.isalpha():
            raise InvalidInput(f"currency {currency!r} is not an ISO 4217 code such as CNY")
        return cls(number.strip(), issue_date, money(amount, what="invoice amount"), code)

    @property
    def canonical_number(self) -> str:
        return canonical_identifier(self.number, what="invoice number")

    @property
    def display_amount(self) -> Decimal:
        return as_money(self.amount)

    def describe(self) -> str:
        """How messages name the invoice: its number as entered, date and amount."""
        day = self.issue_date.isoformat()
        return f"invoice {self.number} ({day}, {self.display_amount} {self.currency})"

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "canonical_number": self.canonical_number,
            "issue_date": self.issue_date.isoformat(),
            "amount": str(self.display_amount),
            "currency": self.currency,
        }


def invoice_document_hash(seller_entity: bytes, buyer_entity: bytes, invoice: Invoice) -> bytes:
    """The 32-byte trade-document commitment of `invoice` between two legal entities (see module)."""
    if len(seller_entity) != 32 or len(buyer_entity) != 32:
        raise InvalidInput("entity ids are 32-byte commitments (as the participant registry records them)")
    if not 0 < invoice.amount < 2**128:
        raise InvalidInput(f"invoice amount {invoice.display_amount} is out of range")
    day = invoice.issue_date
    encoded = encode(
        ["bytes32", "bytes32", "bytes32", "bytes32", "uint32", "uint128", "bytes3"],
        [
            _DOMAIN_HASH,
            seller_entity,
            buyer_entity,
            keccak(text=invoice.canonical_number),
            day.year * 10_000 + day.month * 100 + day.day,
            invoice.amount,
            invoice.currency.encode(),
        ],
    )
    return keccak(encoded)


def already_financed(exc: Any, invoice: Invoice, seller: str) -> Any:
    """`exc` (a DocumentAlreadyFinanced) re-worded to name the invoice and the voucher, not the hash."""
    exc.reason = f"{invoice.describe()} of {seller} is already financed by voucher {exc.voucherId}"
    exc.args = (f"{type(exc).__name__}: {exc.reason}",)
    return exc
