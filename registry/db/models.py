"""The registry's tables. Everything but `documents`, `signin_challenges`, `identifier_spellings`,
`invoices`, `consents` and `profile_reads` is derived from the chain and can be rebuilt from it;
amounts that can exceed 2^63 are kept as exact decimal text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ADDRESS = String(42)
BYTES32 = String(66)


class Amount(TypeDecorator[int]):
    """A uint128 as an exact integer: NUMERIC(39) on PostgreSQL, decimal text on SQLite (whose
    numbers are 64-bit at most)."""

    impl = String(40)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import NUMERIC

            return dialect.type_descriptor(NUMERIC(39, 0))
        return dialect.type_descriptor(String(40))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return value if dialect.name == "postgresql" else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


class Base(DeclarativeBase):
    pass


class IndexerCursor(Base):
    """Where the indexer stands: the last block whose events are all in the database."""

    __tablename__ = "indexer_cursor"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    # The chain's block 0: a database belongs to one chain, and two chains can share a chain id and
    # the deployment addresses (two devnets started in one folder). Null only before migration 0004.
    genesis_hash: Mapped[str | None] = mapped_column(BYTES32, nullable=True)
    registry_address: Mapped[str] = mapped_column(ADDRESS)
    receipts_address: Mapped[str] = mapped_column(ADDRESS)
    receivables_address: Mapped[str] = mapped_column(ADDRESS)
    deployment_block: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(BYTES32)
    events_indexed: Mapped[int] = mapped_column(BigInteger, default=0)
    # Every block from here up has its changes in the journal, so a rollback may stop at any
    # stored block from journal_from - 1 up; below it only a full re-index is safe.
    journal_from: Mapped[int] = mapped_column(BigInteger, default=0)


class IndexedBlock(Base):
    """Hashes of recently indexed blocks, to find the common ancestor after a reorganisation."""

    __tablename__ = "indexed_blocks"
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(BYTES32)
    timestamp: Mapped[int] = mapped_column(BigInteger)


class ChainEventRow(Base):
    """Every Ledgerhouse event, decoded, tagged with the ids that history queries filter on."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    log_index: Mapped[int] = mapped_column(Integer)
    block_time: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(BYTES32)
    contract: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    receipt_id: Mapped[int | None] = mapped_column(BigInteger)
    lot_id: Mapped[str | None] = mapped_column(BYTES32)
    root_id: Mapped[int | None] = mapped_column(BigInteger)
    voucher_id: Mapped[int | None] = mapped_column(BigInteger)
    account: Mapped[str | None] = mapped_column(ADDRESS)
    args: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_events_block_log", "block_number", "log_index", unique=True),
        Index("ix_events_receipt", "receipt_id"),
        Index("ix_events_lot", "lot_id"),
        Index("ix_events_voucher", "voucher_id"),
        Index("ix_events_root", "root_id"),
        Index("ix_events_account", "account"),
        # A member's events of one kind (the credit profile reads a dozen kinds per member).
        Index("ix_events_account_name", "account", "name"),
    )


class Participant(Base):
    __tablename__ = "participants"
    address: Mapped[str] = mapped_column(ADDRESS, primary_key=True)
    role: Mapped[str] = mapped_column(String(24))
    entity_id: Mapped[str] = mapped_column(BYTES32)
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    valid_until: Mapped[int] = mapped_column(BigInteger)
    admitted_at: Mapped[int] = mapped_column(BigInteger)
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[int | None] = mapped_column(BigInteger)

    # one legal entity may be admitted under several addresses: its exposure is summed across them
    __table_args__ = (Index("ix_participants_entity", "entity_id"),)


class Lot(Base):
    """A lot of goods: attested by the last stocktake, receipted by its live receipts."""

    __tablename__ = "lots"
    lot_id: Mapped[str] = mapped_column(BYTES32, primary_key=True)
    warehouse: Mapped[str] = mapped_column(ADDRESS)
    commodity: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(8))
    decimals: Mapped[int] = mapped_column(Integer)
    attested: Mapped[int] = mapped_column(BigInteger)
    receipted: Mapped[int] = mapped_column(BigInteger, default=0)
    live_receipts: Mapped[int] = mapped_column(Integer, default=0)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    last_stocktake_at: Mapped[int] = mapped_column(BigInteger)
    last_shortfall: Mapped[int] = mapped_column(BigInteger, default=0)

    # Lists page in lot-id order, straight off (filter, lot_id); frozen lots are few, and shortfall
    # alerts and the frozen-receipts filter find them by index.
    __table_args__ = tuple(
        Index(f"ix_lots_{column}_id", column, "lot_id") for column in ("warehouse", "commodity", "frozen")
    )


class Stocktake(Base):
    __tablename__ = "stocktakes"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    lot_id: Mapped[str] = mapped_column(BYTES32, index=True)
    warehouse: Mapped[str] = mapped_column(ADDRESS)
    inspector: Mapped[str] = mapped_column(ADDRESS)
    attested: Mapped[int] = mapped_column(BigInteger)
    receipted: Mapped[int] = mapped_column(BigInteger)
    shortfall: Mapped[int] = mapped_column(BigInteger, default=0)
    evidence: Mapped[str] = mapped_column(BYTES32, index=True)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    block_time: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(BYTES32)


class Receipt(Base):
    """A warehouse receipt as it stands now; `status` is live, delivered or merged."""

    __tablename__ = "receipts"
    receipt_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    lot_id: Mapped[str] = mapped_column(BYTES32)
    warehouse: Mapped[str] = mapped_column(ADDRESS)
    commodity: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(ADDRESS)
    quantity: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    details: Mapped[str] = mapped_column(BYTES32, index=True)
    items_root: Mapped[str] = mapped_column(BYTES32)
    status: Mapped[str] = mapped_column(String(12))
    parent_id: Mapped[int | None] = mapped_column(BigInteger)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    delivery_requested: Mapped[int] = mapped_column(BigInteger, default=0)
    lender: Mapped[str | None] = mapped_column(ADDRESS)
    secured_amount: Mapped[int | None] = mapped_column(Amount)
    currency: Mapped[str | None] = mapped_column(String(3))
    loan_ref: Mapped[str | None] = mapped_column(BYTES32)
    loan_maturity: Mapped[int | None] = mapped_column(BigInteger)
    pledged_at: Mapped[int | None] = mapped_column(BigInteger)
    requested_lender: Mapped[str | None] = mapped_column(ADDRESS)
    request_seq: Mapped[int | None] = mapped_column(BigInteger)
    request_amount: Mapped[int | None] = mapped_column(Amount)
    request_currency: Mapped[str | None] = mapped_column(String(3))
    request_loan_ref: Mapped[str | None] = mapped_column(BYTES32)
    request_maturity: Mapped[int | None] = mapped_column(BigInteger)
    minted_at: Mapped[int] = mapped_column(BigInteger)
    minted_block: Mapped[int] = mapped_column(BigInteger)

    # Every list filter pages in receipt-id order: (filter, receipt_id) lets the database read the
    # first page straight off the index instead of sorting every match (20,000 rows for one owner
    # among 100,000 receipts, in a temporary B-tree on SQLite).
    __table_args__ = (
        *(
            Index(f"ix_receipts_{column}_id", column, "receipt_id")
            for column in ("owner", "warehouse", "commodity", "lot_id", "status", "frozen", "lender")
        ),
        # Live receipts about to expire (alerts), without reading every live receipt.
        Index("ix_receipts_status_expiry", "status", "expires_at"),
    )


class CreditLine(Base):
    __tablename__ = "credit_lines"
    lender: Mapped[str] = mapped_column(ADDRESS, primary_key=True)
    core: Mapped[str] = mapped_column(ADDRESS, primary_key=True)
    limit: Mapped[int] = mapped_column(Amount)
    outstanding: Mapped[int] = mapped_column(Amount, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    expiry: Mapped[int] = mapped_column(BigInteger)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


class VoucherRoot(Base):
    """A core enterprise's payable as issued: the terms every piece of its tree shares."""

    __tablename__ = "voucher_roots"
    root_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    obligor: Mapped[str] = mapped_column(ADDRESS, index=True)
    payer: Mapped[str] = mapped_column(ADDRESS)
    lender: Mapped[str] = mapped_column(ADDRESS)
    face_value: Mapped[int] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    maturity: Mapped[int] = mapped_column(BigInteger, index=True)
    document: Mapped[str] = mapped_column(BYTES32, index=True)
    min_denomination: Mapped[int] = mapped_column(Amount)
    max_depth: Mapped[int] = mapped_column(Integer)
    funded: Mapped[int] = mapped_column(Amount, default=0)
    issued_at: Mapped[int] = mapped_column(BigInteger)


class Voucher(Base):
    """One piece of a root; `status` mirrors the contract's (active, pledged, settled, merged, ...)."""

    __tablename__ = "vouchers"
    voucher_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_id: Mapped[int] = mapped_column(BigInteger, index=True)
    parent_id: Mapped[int | None] = mapped_column(BigInteger)
    tier: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(ADDRESS)
    value: Mapped[int] = mapped_column(Amount)
    status: Mapped[str] = mapped_column(String(24))
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    lienholder: Mapped[str | None] = mapped_column(ADDRESS, index=True)
    secured_amount: Mapped[int | None] = mapped_column(Amount)
    loan_ref: Mapped[str | None] = mapped_column(BYTES32)
    loan_maturity: Mapped[int | None] = mapped_column(BigInteger)
    offered_to: Mapped[str | None] = mapped_column(ADDRESS)
    offer_price: Mapped[int | None] = mapped_column(Amount)
    discounted_by: Mapped[str | None] = mapped_column(ADDRESS, index=True)
    discount_seller: Mapped[str | None] = mapped_column(ADDRESS, index=True)
    discount_price: Mapped[int | None] = mapped_column(Amount)
    discount_rate_bps: Mapped[int | None] = mapped_column(Integer)
    settled_value: Mapped[int] = mapped_column(Amount, default=0)
    created_at: Mapped[int] = mapped_column(BigInteger)

    # As for receipts: list filters page in voucher-id order.
    __table_args__ = (
        Index("ix_vouchers_holder_id", "holder", "voucher_id"),
        Index("ix_vouchers_status_id", "status", "voucher_id"),
    )


class Journal(Base):
    """Row images from before each change in the reorg window, so a reorganisation can be undone."""

    __tablename__ = "journal"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    table_name: Mapped[str] = mapped_column(String(32))
    key: Mapped[dict[str, Any]] = mapped_column(JSON)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Document(Base):
    """A file behind an on-chain commitment, stored on disk under its sha256."""

    __tablename__ = "documents"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    commitment: Mapped[str] = mapped_column(BYTES32, index=True)
    subject: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(128))
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(ADDRESS)
    uploaded_at: Mapped[int] = mapped_column(BigInteger)


class SigninChallenge(Base):
    """A sign-in nonce handed out and not yet used; each is good once, until it expires."""

    __tablename__ = "signin_challenges"
    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    address: Mapped[str] = mapped_column(ADDRESS)
    issued_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class IdentifierSpelling(Base):
    """A typed identifier as someone entered it, beside its canonical form and the commitment the
    chain holds (client.identifiers): the chain keeps only the hash, people read the text."""

    __tablename__ = "identifier_spellings"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    commitment: Mapped[str] = mapped_column(BYTES32, index=True)
    canonical: Mapped[str] = mapped_column(String(128))
    as_entered: Mapped[str] = mapped_column(String(128))
    first_seen_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("kind", "commitment", "as_entered", name="uq_identifier_spellings"),)


class Invoice(Base):
    """The fields of a trade invoice its issuer disclosed, verified against the voucher root's
    on-chain documentHash (client.invoices): what the near-duplicate check searches."""

    __tablename__ = "invoices"
    document: Mapped[str] = mapped_column(BYTES32, primary_key=True)
    root_id: Mapped[int] = mapped_column(BigInteger)
    seller_entity: Mapped[str] = mapped_column(BYTES32)
    buyer_entity: Mapped[str] = mapped_column(BYTES32)
    number: Mapped[str] = mapped_column(String(128))
    number_canonical: Mapped[str] = mapped_column(String(128))
    issue_date: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    registered_by: Mapped[str] = mapped_column(ADDRESS)
    registered_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_invoices_parties", "seller_entity", "buyer_entity", "currency"),)


class Consent(Base):
    """A supplier's EIP-712 signed consent letting one lender read its credit profile until it
    expires or the supplier revokes it (registry.services.consent). Not derived from the chain."""

    __tablename__ = "consents"
    id: Mapped[str] = mapped_column(BYTES32, primary_key=True)  # the EIP-712 digest
    supplier: Mapped[str] = mapped_column(ADDRESS)
    lender: Mapped[str] = mapped_column(ADDRESS)
    scope: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    nonce: Mapped[str] = mapped_column(BYTES32)
    signature: Mapped[str] = mapped_column(String(132))
    registered_by: Mapped[str] = mapped_column(ADDRESS)
    registered_at: Mapped[int] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)
    revoked_by: Mapped[str | None] = mapped_column(ADDRESS)

    __table_args__ = (Index("ix_consents_supplier_lender", "supplier", "lender"),)


class ProfileReadRow(Base):
    """Every attempt to read a credit profile: who, when, on which basis or consent, and whether it
    was let through (append-only; the supplier lists it at GET /profiles/{address}/reads)."""

    __tablename__ = "profile_reads"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subject: Mapped[str] = mapped_column(ADDRESS)
    reader: Mapped[str] = mapped_column(ADDRESS)
    reader_role: Mapped[str] = mapped_column(String(24))
    basis: Mapped[str] = mapped_column(String(16))
    consent_id: Mapped[str | None] = mapped_column(BYTES32)
    granted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    read_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_profile_reads_subject_id", "subject", "id"),)


# Tables rebuilt from the chain; a re-index empties exactly these (the valuation tables join below).
CHAIN_DERIVED: tuple[type[Base], ...] = (
    IndexedBlock,
    ChainEventRow,
    Participant,
    Lot,
    Stocktake,
    Receipt,
    CreditLine,
    VoucherRoot,
    Voucher,
    Journal,
)
# Append-only tables keyed by block: undone by deleting rows above the common ancestor.
APPEND_ONLY = (IndexedBlock, ChainEventRow, Stocktake)


# ---------------------------------------------------------------- collateral valuation (issue 19)
# Derived from the PriceFeed and CollateralMonitor events; prices and amounts are integers in the
# feed's decimals (the currency's minor units), loan collateral is Σ quantity normalised to 18
# decimals, exactly as on chain.


class PriceFeedRow(Base):
    """A commodity's feed, its bounds, and its latest reference price."""

    __tablename__ = "price_feeds"
    commodity: Mapped[str] = mapped_column(String(16), primary_key=True)
    aggregator: Mapped[str] = mapped_column(ADDRESS)
    unit: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3))
    decimals: Mapped[int] = mapped_column(Integer)
    max_age: Mapped[int] = mapped_column(BigInteger)
    max_deviation_bps: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[int | None] = mapped_column(Amount)
    price_as_of: Mapped[int | None] = mapped_column(BigInteger)
    round_id: Mapped[int] = mapped_column(BigInteger, default=0)
    contributors: Mapped[int] = mapped_column(Integer, default=0)
    price_updated_at: Mapped[int | None] = mapped_column(BigInteger)


class PricePublisherRow(Base):
    """A publisher admitted (or once admitted) for a commodity, and its latest post."""

    __tablename__ = "price_publishers"
    commodity: Mapped[str] = mapped_column(String(16), primary_key=True)
    publisher: Mapped[str] = mapped_column(ADDRESS, primary_key=True)
    admitted: Mapped[bool] = mapped_column(Boolean, default=True)
    price: Mapped[int | None] = mapped_column(Amount)
    as_of: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str | None] = mapped_column(String(12))
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    posted_at: Mapped[int | None] = mapped_column(BigInteger)


class ReferencePriceRow(Base):
    """Every reference price a feed computed: the price history."""

    __tablename__ = "reference_prices"
    commodity: Mapped[str] = mapped_column(String(16), primary_key=True)
    round_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    price: Mapped[int] = mapped_column(Amount)
    as_of: Mapped[int] = mapped_column(BigInteger)
    contributors: Mapped[int] = mapped_column(Integer)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_time: Mapped[int] = mapped_column(BigInteger)


class LoanRow(Base):
    """A loan against receipts, its terms, its margin-call state and its LTV at the latest
    reference price (recomputed by the indexer whenever the price, the outstanding amount or the
    collateral moves; whether that price is still fresh is judged when read)."""

    __tablename__ = "loans"
    loan_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    lender: Mapped[str] = mapped_column(ADDRESS)
    borrower: Mapped[str] = mapped_column(ADDRESS)
    commodity: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    loan_ref: Mapped[str] = mapped_column(BYTES32)
    outstanding: Mapped[int] = mapped_column(Amount)
    collateral: Mapped[int] = mapped_column(Amount)
    advance_rate_bps: Mapped[int] = mapped_column(Integer)
    margin_call_ltv_bps: Mapped[int] = mapped_column(Integer)
    liquidation_ltv_bps: Mapped[int] = mapped_column(Integer)
    cure_window: Mapped[int] = mapped_column(BigInteger)
    cure_deadline: Mapped[int | None] = mapped_column(BigInteger)
    margin_called_at: Mapped[int | None] = mapped_column(BigInteger)
    last_status: Mapped[str | None] = mapped_column(String(24))
    last_checked_at: Mapped[int | None] = mapped_column(BigInteger)
    ltv_bps: Mapped[int | None] = mapped_column(BigInteger)
    value: Mapped[int | None] = mapped_column(Amount)
    valued_round: Mapped[int | None] = mapped_column(BigInteger)
    opened_at: Mapped[int] = mapped_column(BigInteger)
    opened_block: Mapped[int] = mapped_column(BigInteger)

    # No index holds ltv_bps or value: a price move rewrites them on every loan of the commodity, and
    # PostgreSQL updates rows in place (HOT) only when no index covers a changed column.
    __table_args__ = (
        Index("ix_loans_lender", "lender"),
        Index("ix_loans_commodity", "commodity"),
        Index("ix_loans_cure_deadline", "cure_deadline"),
    )


class LoanCollateralRow(Base):
    """A receipt securing a loan (a receipt secures at most one loan at a time)."""

    __tablename__ = "loan_collateral"
    receipt_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    loan_id: Mapped[int] = mapped_column(BigInteger, index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[int] = mapped_column(BigInteger)
    # Set when the receipt left the loan (its lien ended): kept, not deleted, so that the reorg
    # journal (which records inserts and updates) can undo it.
    removed_at: Mapped[int | None] = mapped_column(BigInteger)


CHAIN_DERIVED += (PriceFeedRow, PricePublisherRow, ReferencePriceRow, LoanRow, LoanCollateralRow)
