"""Trade invoices: the near-duplicate check before issuance, and the fields behind a voucher root."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from client._encoding import money
from client.errors import InvalidInput
from client.identifiers import canonical_identifier
from client.invoices import Invoice
from client.models import InvoiceCheckOut, InvoiceOut
from registry.api.deps import ADDRESS_PATTERN, address, db, participant, write_db
from registry.api.schemas import CURRENCY_PATTERN, INVOICE_AMOUNT_PATTERN, INVOICE_NUMBER_PATTERN, InvoiceIn
from registry.errors import InvalidRequest
from registry.services import invoices as service
from registry.services.signin import SessionClaims

router = APIRouter(prefix="/invoices", tags=["invoices"])


def _invoice(number: str, issue_date: date, amount: str, currency: str) -> Invoice:
    """The invoice, or 422 naming the field that is wrong."""
    for field, check in (
        ("number", lambda: canonical_identifier(number, what="invoice number")),
        ("amount", lambda: money(amount, what="invoice amount")),
        ("currency", lambda: Invoice.of("X", issue_date, "1", currency)),
    ):
        try:
            check()
        except InvalidInput as exc:
            raise InvalidRequest(f"{field}: {exc}", errors=[{"field": field, "message": str(exc)}]) from None
    return Invoice.of(number, issue_date, amount, currency)


@router.get("/check", operation_id="checkInvoice", response_model=InvoiceCheckOut)
def check_invoice(
    session: Annotated[Session, Depends(db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    seller: Annotated[str, Query(pattern=ADDRESS_PATTERN, description="the supplier")],
    buyer: Annotated[str, Query(pattern=ADDRESS_PATTERN, description="the core enterprise")],
    number: Annotated[str, Query(min_length=1, max_length=128, pattern=INVOICE_NUMBER_PATTERN)],
    issue_date: Annotated[date, Query()],
    amount: Annotated[str, Query(pattern=INVOICE_AMOUNT_PATTERN, description="major units, e.g. 1000000.00")],
    currency: Annotated[str, Query(pattern=CURRENCY_PATTERN)] = "CNY",
) -> InvoiceCheckOut:
    """Whether the invoice is already financed, and the financed invoices of the same parties and
    amount whose number differs only in formatting or whose date is within a few days (any member)."""
    invoice = _invoice(number, issue_date, amount, currency)
    return service.check(session, seller=address(seller), buyer=address(buyer), invoice=invoice)


@router.post("", operation_id="registerInvoice", response_model=InvoiceOut, status_code=201)
def register_invoice(
    session: Annotated[Session, Depends(write_db)],
    claims: Annotated[SessionClaims, Depends(participant)],
    body: InvoiceIn,
) -> InvoiceOut:
    """Discloses the invoice behind a voucher root (its issuer or seller); refused unless the fields
    hash to the root's on-chain documentHash."""
    invoice = _invoice(body.number, body.issue_date, body.amount, body.currency)
    stored = service.register(
        session,
        registrant=claims.address,
        root_id=body.voucher_id,
        seller=address(body.seller),
        invoice=invoice,
    )
    session.commit()
    return stored
