"""The credit profile and its consents as the registry answers them (GET /profiles/{address},
POST /consents): typed models shared by the registry service and the SDK.

Every number of a profile is a `Figure`: its value, its unit, and the chain events (transaction
hash and log index) it was computed from, so that anyone with a node can recompute it. Money travels
as decimal text in major units ("1000000.00"), never as a float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "REFS_SHOWN",
    "ConsentContext",
    "ConsentDomain",
    "ConsentIn",
    "ConsentOut",
    "ConsentTerms",
    "CreditLoan",
    "CreditProfile",
    "CreditSection",
    "EventRef",
    "ExposureLine",
    "FacilityLine",
    "FacilityOut",
    "FactorOut",
    "Figure",
    "GoodsHolding",
    "GoodsSection",
    "MonthlyInflow",
    "ObligorRecord",
    "ObligorShare",
    "ProfileRead",
    "ReasonOut",
    "ScoreOut",
    "StandingSection",
    "TradeSection",
]

# A figure lists at most this many of its events (the newest); `refs_total` says how many there are.
REFS_SHOWN = 200

CONSENT_SCOPES = ("credit-profile",)
ConsentScope = Literal["credit-profile"]
LoanOutcome = Literal[
    "open",
    "overdue",
    "released-on-time",
    "released-late",
    "paid-by-obligor",
    "foreclosed",
    "sold",
]


class EventRef(BaseModel):
    """One chain event: where to find it (block, transaction, log index) and what it was."""

    block: int
    tx_hash: str
    log_index: int
    event: str


class Figure(BaseModel):
    """A number of the profile and the events it came from."""

    value: Decimal | None = Field(description="null when it cannot be known (see note)")
    unit: str = Field(
        description="a currency code, 'pieces', 'receipts', 'months', 'days', '%', a goods unit..."
    )
    refs: list[EventRef] = Field(default=[], description=f"the events behind it, newest {REFS_SHOWN} at most")
    refs_total: int = Field(default=0, description="how many events are behind it in all")
    note: str | None = None


class MonthlyInflow(BaseModel):
    month: str = Field(description="YYYY-MM (UTC) of the block that gave the piece to the member")
    obligor: str
    obligor_name: str
    tier: int = Field(
        description="the piece's depth in its voucher tree: 0 = issued by the core to the member"
    )
    currency: str
    pieces: Figure
    value: Figure


class ObligorShare(BaseModel):
    obligor: str
    obligor_name: str
    currency: str
    value: Figure
    share: Figure


class ObligorRecord(BaseModel):
    """How an obligor the member holds paper of pays all of its pieces, not only the member's."""

    obligor: str
    obligor_name: str
    settled_on_time: Figure
    settled_late: Figure
    overdue: Figure = Field(description="pieces marked overdue on chain, or unpaid past maturity now")
    on_time_share: Figure


class TradeSection(BaseModel):
    pieces_received: Figure
    received: list[Figure] = Field(description="value of pieces received, one figure per currency")
    months_active_12: Figure = Field(description="months with pieces received among the last 12")
    monthly: list[MonthlyInflow]
    concentration: list[ObligorShare]
    largest_obligor_share: Figure = Field(description="in the primary currency (most pieces received)")
    obligors: list[ObligorRecord]


class GoodsHolding(BaseModel):
    commodity: str
    unit: str
    receipts: Figure
    quantity: Figure
    value: Figure = Field(description="at the indexed price; null with a note when no price is indexed")


class GoodsSection(BaseModel):
    holdings: list[GoodsHolding]
    receipts_minted_to_member: Figure
    deliveries: Figure
    mean_days_to_delivery: Figure
    shortfalls: Figure = Field(description="stocktakes finding less than receipted on lots the member held")


class CreditLoan(BaseModel):
    kind: Literal["receipt-pledge", "voucher-pledge", "discount"]
    subject_id: int = Field(description="the receipt or voucher piece")
    lender: str
    amount: Decimal
    currency: str
    maturity: datetime | None
    outcome: LoanOutcome
    refs: list[EventRef]


class ExposureLine(BaseModel):
    lender: str
    currency: str
    exposure: Figure
    collateral: Figure = Field(
        description="face value of pledged pieces; receipts only where a price is indexed"
    )


class CreditSection(BaseModel):
    loans: list[CreditLoan]
    taken: Figure
    released_on_time: Figure
    released_late: Figure
    paid_by_obligor: Figure
    overdue: Figure
    foreclosed: Figure
    discounts: Figure
    exposure: list[ExposureLine]


class StandingSection(BaseModel):
    status: str
    admitted_at: datetime
    tenure_months: Figure
    suspensions: Figure
    revocations: Figure
    kyc_valid_until: datetime


class FactorOut(BaseModel):
    code: str
    name: str
    value: Decimal | None
    unit: str
    band: str
    points: int
    max_points: int


class ReasonOut(BaseModel):
    code: str
    text: str
    points_lost: int


class ScoreOut(BaseModel):
    scorecard: str = Field(description="the scorecard's name and version (docs/credit-profile.md)")
    score: int
    min_score: int
    max_score: int
    grade: str
    factors: list[FactorOut]
    reasons: list[ReasonOut] = Field(description="the factors that lowered the score most, worst first")


class FacilityLine(BaseModel):
    currency: str
    receivables_due: Figure = Field(description="unpaid pieces held, maturing within the horizon")
    receivables_advance: Figure
    collateral_value: Figure
    collateral_advance: Figure
    exposure: Figure
    grade_factor: Decimal
    limit: Figure


class FacilityOut(BaseModel):
    horizon_days: int
    lines: list[FacilityLine]
    note: str


class CreditProfile(BaseModel):
    address: str
    name: str
    role: str
    entity_id: str
    addresses: list[str] = Field(description="every address of the member's legal entity, all counted")
    as_of: datetime = Field(description="the time of the newest indexed block")
    as_of_block: int
    trade: TradeSection
    goods: GoodsSection
    credit: CreditSection
    standing: StandingSection
    score: ScoreOut
    facility: FacilityOut
    disclaimer: str


# ---------------------------------------------------------------- consent


class ConsentDomain(BaseModel):
    """The EIP-712 domain a consent is signed under: one deployment's chain and ParticipantRegistry."""

    name: str
    version: str
    chainId: int  # noqa: N815 -- EIP-712's own field name
    verifyingContract: str  # noqa: N815


class ConsentContext(BaseModel):
    """What a supplier needs to sign a consent: the domain, and the registry's 'now' (the later of
    its clock and the newest block's time), from which the consent's validity is counted."""

    domain: ConsentDomain
    now: int


class ConsentTerms(BaseModel):
    """What the supplier signs (EIP-712 type `Consent`)."""

    supplier: str
    lender: str
    scope: ConsentScope = "credit-profile"
    issued_at: int = Field(ge=0, lt=2**64, description="unix seconds")
    expires_at: int = Field(ge=0, lt=2**64, description="unix seconds")
    nonce: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")


class ConsentIn(BaseModel):
    consent: ConsentTerms
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


class ConsentOut(BaseModel):
    id: str = Field(description="the consent's EIP-712 digest")
    supplier: str
    lender: str
    scope: str
    issued_at: datetime
    expires_at: datetime
    registered_at: datetime
    revoked_at: datetime | None
    status: Literal["active", "expired", "revoked"]


class ProfileRead(BaseModel):
    id: int
    subject: str
    reader: str
    reader_role: str
    basis: Literal["self", "oversight", "consent", "refused"]
    consent_id: str | None
    granted: bool
    reason: str
    read_at: datetime
