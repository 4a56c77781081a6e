"""What the registry service answers, as typed models: its HTTP API renders them and the SDK's
`RegistryApi` returns them, so a bank's code and the service share one definition.

Quantities and money travel as decimal strings ("300.000", "1000000.00") so no JSON reader rounds
them; base units are given beside them where a program wants exact integers. Only pydantic is needed
(a dependency of the SDK), so `client` keeps importing nothing from `registry`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

__all__ = [
    "AlertOut",
    "ChallengeOut",
    "DocumentOut",
    "EventOut",
    "ExposureItemOut",
    "ExposureOut",
    "HealthOut",
    "InvoiceCheckOut",
    "InvoiceOut",
    "LienOut",
    "LoanValuationOut",
    "LotDetailOut",
    "LotOut",
    "NearDuplicateOut",
    "Page",
    "ParticipantOut",
    "PenetrationOut",
    "PledgeRequestOut",
    "PriceOut",
    "PricePointOut",
    "PublisherPostOut",
    "ReceiptOut",
    "RootOut",
    "SessionOut",
    "SpellingOut",
    "StocktakeOut",
    "VoucherOut",
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_after: int | str | None = Field(
        None, description="Pass as `after` for the next page; null on the last"
    )


class ParticipantOut(BaseModel):
    address: str
    role: str
    name: str
    entity_id: str
    status: str
    kyc_valid_until: datetime
    admitted_at: datetime
    status_reason: str | None = None
    same_entity: list[str] = Field(
        default=[],
        description="the other addresses admitted for the same legal entity (entity id); "
        "non-empty flags one entity under several addresses, whose exposure is summed across them",
    )


TERMS_NOTE = (
    "; null when terms_withheld: the terms are shown only to the lienholder, the owner, "
    "auditors and regulators, signed in"
)


class LienOut(BaseModel):
    lender: str = Field(description="the lienholder: public, as the lien's existence is")
    secured_amount: str | None = Field(description="the secured amount" + TERMS_NOTE)
    currency: str | None = Field(description="of the secured amount" + TERMS_NOTE)
    loan_ref: str | None = Field(description="the loan reference commitment" + TERMS_NOTE)
    loan_maturity: datetime | None = Field(description="the loan's maturity" + TERMS_NOTE)
    pledged_at: datetime
    terms_withheld: bool = Field(default=False, description="the terms are not shown to this caller")


class PledgeRequestOut(BaseModel):
    lender: str = Field(description="the lender asked: public")
    request_seq: int
    secured_amount: str | None = Field(description="the amount asked for" + TERMS_NOTE)
    currency: str | None = Field(description="of the amount" + TERMS_NOTE)
    loan_maturity: datetime | None = Field(description="the loan's maturity" + TERMS_NOTE)
    terms_withheld: bool = Field(default=False, description="the terms are not shown to this caller")


class ReceiptOut(BaseModel):
    receipt_id: int
    status: str = Field(description="live, delivered or merged")
    owner: str
    warehouse: str
    lot_id: str
    commodity: str
    unit: str
    quantity: str
    quantity_base_units: int
    expires_at: datetime | None
    details: str
    frozen: bool = Field(description="frozen by a regulator or through a stock shortfall of its lot")
    delivery_requested: str | None
    parent_id: int | None
    lien: LienOut | None
    pledge_request: PledgeRequestOut | None
    minted_at: datetime


class EventOut(BaseModel):
    event: str
    contract: str
    block: int
    log_index: int
    time: datetime
    tx_hash: str
    args: dict[str, object]


class StocktakeOut(BaseModel):
    inspector: str
    attested: str
    receipted: str
    shortfall: str
    evidence: str
    block: int
    time: datetime
    tx_hash: str


class LotOut(BaseModel):
    lot_id: str
    warehouse: str
    commodity: str
    unit: str
    decimals: int
    attested: str
    receipted: str
    uncovered: str = Field(description="receipted minus attested, if positive: goods missing behind receipts")
    live_receipts: int
    frozen: bool
    last_stocktake_at: datetime


class SpellingOut(BaseModel):
    as_entered: str = Field(description="the identifier as someone typed it")
    canonical: str = Field(description="its canonical form, which the chain commits to (client.identifiers)")


class LotDetailOut(LotOut):
    stocktakes: list[StocktakeOut]
    identities: list[SpellingOut] = Field(
        default=[], description="the goods' identity as entered when the lot was looked up by it"
    )


class AlertOut(BaseModel):
    kind: str = Field(description="shortfall, overdue, expiring or shared-entity")
    subject: str
    detail: str
    parties: list[str]
    since: datetime | None = None


class VoucherOut(BaseModel):
    voucher_id: int
    root_id: int
    parent_id: int | None
    tier: int
    holder: str
    value: str
    currency: str
    status: str
    overdue: bool
    obligor: str
    maturity: datetime
    lienholder: str | None = Field(description="the lienholder (or lender asked): public")
    secured_amount: str | None = Field(description="the pledge's secured amount" + TERMS_NOTE)
    lien_terms_withheld: bool = Field(
        default=False, description="the pledge's terms are not shown to this caller"
    )
    discounted_by: str | None
    discount_price: str | None
    discount_rate_bps: int | None


class RootOut(BaseModel):
    root_id: int
    obligor: str
    payer: str
    lender: str
    face_value: str
    currency: str
    maturity: datetime
    document: str
    funded: str
    settled: str
    outstanding: str
    pieces: list[VoucherOut]
    closes: bool = Field(description="live value plus paid value equals the face value")


class PenetrationOut(BaseModel):
    core: str
    roots: list[int]
    outstanding: dict[str, str] = Field(description="live value per currency")
    tiers: dict[str, dict[str, str]] = Field(description="tier -> holder -> live value")
    suppliers_reached: int
    deepest_tier: int


class ExposureItemOut(BaseModel):
    kind: str = Field(description="receipt-lien, voucher-pledge or voucher-discount")
    borrower: str = Field(description="the address of the borrower's entity the item is under")
    subject_id: int
    lender: str
    amount: str
    currency: str
    maturity: datetime | None


class ExposureOut(BaseModel):
    borrower: str
    entity_id: str | None = Field(description="the borrower's legal entity; null if never admitted")
    addresses: list[str] = Field(
        description="every address of the borrower's entity, the borrower first: the items and "
        "totals are summed across all of them"
    )
    items: list[ExposureItemOut]
    totals: dict[str, dict[str, str]] = Field(description="lender -> currency -> amount")


class HealthOut(BaseModel):
    status: str
    chain_id: int
    chain_head: int | None
    indexed_block: int
    lag_blocks: int | None
    events_indexed: int
    database: str
    detail: str | None = Field(
        None, description="why the status is not ok, e.g. 'no new block for 12 s (head #340)'"
    )


class ChallengeOut(BaseModel):
    message: str = Field(description="EIP-4361 text to sign with personal_sign (EIP-191)")
    nonce: str
    expires_at: datetime


class SessionOut(BaseModel):
    token: str
    token_type: str = "Bearer"  # noqa: S105 -- the scheme name, not a secret
    address: str
    role: str
    expires_at: datetime


class DocumentOut(BaseModel):
    sha256: str
    commitment: str
    subject: str
    subject_id: str
    size: int
    content_type: str
    filename: str
    uploaded_by: str
    uploaded_at: datetime


class InvoiceOut(BaseModel):
    voucher_id: int = Field(description="the voucher root financing it")
    document: str = Field(description="the trade-document commitment (client.invoices)")
    number: str = Field(description="as entered")
    canonical_number: str
    issue_date: date
    amount: str
    currency: str


class NearDuplicateOut(InvoiceOut):
    reasons: list[str] = Field(description="besides the same parties and amount")


class InvoiceCheckOut(BaseModel):
    document: str
    already_financed_by: int | None = Field(description="the voucher root committing to this very invoice")
    near_duplicates: list[NearDuplicateOut]


# Valuation: prices, their history, and loans valued at them. Prices and amounts are decimal
# strings in the currency's major units, quantities in the lots' unit, LTVs in basis points with
# a percentage beside them.


class PublisherPostOut(BaseModel):
    publisher: str
    admitted: bool
    price: str | None
    as_of: datetime | None
    age_s: int | None
    source: str | None
    pending: bool = Field(description="waits for a second publisher before it counts")


class PriceOut(BaseModel):
    commodity: str
    unit: str
    currency: str
    price: str | None = Field(description="the reference price (median of the fresh counted posts)")
    as_of: datetime | None
    age_s: int | None = Field(description="seconds since as_of, at the newest indexed block's time")
    fresh: bool = Field(description="false: older than max_age_s, which is no price on chain")
    max_age_s: int
    max_deviation_bps: int
    round_id: int
    contributors: int
    aggregator: str = Field(description="the feed's Chainlink AggregatorV3Interface")
    publishers: list[PublisherPostOut]


class PricePointOut(BaseModel):
    round_id: int
    price: str
    as_of: datetime
    contributors: int
    block_number: int
    block_time: datetime


class LoanValuationOut(BaseModel):
    loan_id: int
    lender: str
    borrower: str
    commodity: str
    currency: str
    unit: str
    loan_ref: str
    outstanding: str
    collateral: str = Field(description="the receipts' total quantity, in the lots' unit")
    receipts: list[int]
    price: str | None
    price_as_of: datetime | None
    price_fresh: bool
    value: str | None = Field(description="collateral x price, rounded down")
    ltv_bps: int | None = Field(description="outstanding / value in basis points, rounded up")
    ltv_percent: str | None
    advance_rate_bps: int
    margin_call_ltv_bps: int
    liquidation_ltv_bps: int
    cure_window_s: int
    cure_deadline: datetime | None = Field(description="an open margin call's deadline")
    status: str = Field(
        description="healthy, near-margin, above-margin-call, margin-called, cure-window-expired, default, "
        "repaid or stale-price (no fresh price: nothing is valued on chain)"
    )
    last_check: str | None = Field(description="the status the last on-chain margin check recorded")
