"""Response models of the valuation API: prices, their history, and loans valued at them.

Prices and amounts are decimal strings in the currency's major units (never floats), quantities in
the lots' unit, LTVs in basis points with a percentage beside them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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
