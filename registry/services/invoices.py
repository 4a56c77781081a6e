"""Trade invoices behind voucher roots: the fields an issuer disclosed, verified against the root's
on-chain documentHash (client.invoices), and the near-duplicate check a lender or core enterprise
runs before a voucher is issued (MonetaGo-style: the same invoice re-numbered or re-dated)."""

from __future__ import annotations

import re
import time
import unicodedata
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from client.identifiers import canonical_identifier
from client.invoices import Invoice, invoice_document_hash
from client.models import InvoiceCheckOut, InvoiceOut, NearDuplicateOut
from registry.db.models import Invoice as InvoiceRow
from registry.db.models import Participant, VoucherRoot
from registry.errors import CommitmentMismatch, Forbidden, NotFound
from registry.services._format import money

NEAR_DAYS = 5  # invoices of the same parties and amount dated this close are flagged
_DIGITS = re.compile(r"[0-9]+")


def loose_numbers(number: str) -> set[str]:
    """Readings of an invoice number as entered that the near-duplicate check compares: its digit
    groups without leading zeros (INV-2026-0118 and 2026/118 read 2026.118), and its canonical
    form without zeros (INV-2026-0118 and INV2026118 read INV226118)."""
    text = unicodedata.normalize("NFKC", number)
    groups = [g.lstrip("0") or "0" for g in _DIGITS.findall(text)]
    readings = {canonical_identifier(number, what="invoice number").replace("0", "")}
    if groups:
        readings.add(".".join(groups))
    return readings


def _entity(session: Session, account: str, what: str) -> str:
    member = session.get(Participant, account)
    if member is None:
        raise NotFound(f"{what} {account} is not an admitted participant")
    return member.entity_id


def document_of(session: Session, seller: str, buyer: str, invoice: Invoice) -> tuple[str, str, str]:
    seller_entity, buyer_entity = _entity(session, seller, "seller"), _entity(session, buyer, "buyer")
    document = invoice_document_hash(
        bytes.fromhex(seller_entity[2:]), bytes.fromhex(buyer_entity[2:]), invoice
    )
    return "0x" + document.hex(), seller_entity, buyer_entity


def invoice_out(row: InvoiceRow) -> InvoiceOut:
    return InvoiceOut(
        voucher_id=row.root_id,
        document=row.document,
        number=row.number,
        canonical_number=row.number_canonical,
        issue_date=date.fromisoformat(row.issue_date),
        amount=money(row.amount),
        currency=row.currency,
    )


def check(session: Session, *, seller: str, buyer: str, invoice: Invoice) -> InvoiceCheckOut:
    """Whether `invoice` is already financed (same documentHash) or looks like one that is."""
    document, seller_entity, buyer_entity = document_of(session, seller, buyer, invoice)
    root = session.scalars(select(VoucherRoot).where(VoucherRoot.document == document).limit(1)).first()
    near = []
    loose = loose_numbers(invoice.number)
    rows = session.scalars(
        select(InvoiceRow)
        .where(
            InvoiceRow.seller_entity == seller_entity,
            InvoiceRow.buyer_entity == buyer_entity,
            InvoiceRow.currency == invoice.currency,
        )
        .order_by(InvoiceRow.root_id)
    )
    for row in rows:
        if row.document == document or row.amount != invoice.amount:
            continue
        reasons = []
        if row.number_canonical == invoice.canonical_number:
            reasons.append("the same number")
        elif loose_numbers(row.number) & loose:
            reasons.append("a number that differs only in formatting")
        days = abs((date.fromisoformat(row.issue_date) - invoice.issue_date).days)
        if days <= NEAR_DAYS:
            reasons.append(
                "the same date" if days == 0 else f"a date {days} day{'s' if days > 1 else ''} apart"
            )
        if reasons:
            near.append(NearDuplicateOut(**invoice_out(row).model_dump(), reasons=reasons))
    return InvoiceCheckOut(
        document=document,
        already_financed_by=root.root_id if root else None,
        near_duplicates=near,
    )


def register(session: Session, *, registrant: str, root_id: int, seller: str, invoice: Invoice) -> InvoiceOut:
    """Records the invoice fields behind voucher root `root_id`, once they hash to its documentHash."""
    root = session.get(VoucherRoot, root_id)
    if root is None:
        raise NotFound(f"voucher {root_id} is not a voucher root in the registry")
    if registrant not in (root.obligor, seller):
        raise Forbidden(f"{registrant} is neither the issuer nor the seller of voucher {root_id}'s invoice")
    document, seller_entity, buyer_entity = document_of(session, seller, root.obligor, invoice)
    if document != root.document:
        raise CommitmentMismatch(
            f"{invoice.describe()} between {seller} and {root.obligor} is not what voucher {root_id} "
            "finances (its trade-document commitment differs)",
            commitment=document,
            errors=[
                {"field": "body", "message": "the invoice fields do not give the voucher's trade document"}
            ],
        )
    row = session.get(InvoiceRow, document)
    if row is None:
        row = InvoiceRow(
            document=document,
            root_id=root_id,
            seller_entity=seller_entity,
            buyer_entity=buyer_entity,
            number=invoice.number[:128],
            number_canonical=invoice.canonical_number[:128],
            issue_date=invoice.issue_date.isoformat(),
            amount=invoice.amount,
            currency=invoice.currency,
            registered_by=registrant,
            registered_at=int(time.time()),
        )
        session.add(row)
    return invoice_out(row)
