"""What the API accepts (request models and query patterns); what it answers lives in `client.models`,
shared with the SDK.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

# Re-exported for the explorer, which still imports them from here.
from client.models import AlertOut, EventOut, ReceiptOut, RootOut, VoucherOut

__all__ = [
    "CURRENCY_PATTERN",
    "INVOICE_AMOUNT_PATTERN",
    "INVOICE_NUMBER_PATTERN",
    "AlertOut",
    "ChallengeIn",
    "EventOut",
    "InvoiceFields",
    "InvoiceIn",
    "ReceiptOut",
    "RootOut",
    "SessionIn",
    "VoucherOut",
]


class ChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="the participant's address")


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=4096)
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


# What the invoice routes accept: a number with a Latin letter or digit and no control characters, a
# positive amount in major units with at most two decimals, a three-letter currency.
INVOICE_NUMBER_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[0-9A-Za-z][^\x00-\x1f\x7f-\x9f]*$"
INVOICE_AMOUNT_PATTERN = r"^0*[1-9][0-9]{0,35}(\.[0-9]{1,2})?$|^0*\.(0[1-9]|[1-9][0-9]?)$"
CURRENCY_PATTERN = r"^[A-Za-z]{3}$"


class InvoiceFields(BaseModel):
    number: str = Field(
        min_length=1,
        max_length=128,
        pattern=INVOICE_NUMBER_PATTERN,
        description="the invoice number as printed",
    )
    issue_date: date
    amount: str = Field(pattern=INVOICE_AMOUNT_PATTERN, description="in major units, e.g. 1000000.00")
    currency: str = Field(pattern=CURRENCY_PATTERN, description="ISO 4217")


class InvoiceIn(InvoiceFields):
    voucher_id: int = Field(ge=0, le=2**63 - 1, description="the voucher root financing the invoice")
    seller: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="the supplier the root was issued to")
