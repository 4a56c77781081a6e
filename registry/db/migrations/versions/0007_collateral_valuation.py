"""collateral valuation

Price feeds, their publishers' latest posts and the reference-price history (PriceFeed events);
loans against receipts, their collateral, margin-call state and LTV at the latest reference price
(CollateralMonitor events). All derived from the chain: a re-index rebuilds them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:53:52
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import registry.db.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loan_collateral",
        sa.Column("receipt_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("added_at", sa.BigInteger(), nullable=False),
        sa.Column("removed_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("receipt_id"),
    )
    with op.batch_alter_table("loan_collateral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_collateral_loan_id"), ["loan_id"], unique=False)

    op.create_table(
        "loans",
        sa.Column("loan_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("lender", sa.String(length=42), nullable=False),
        sa.Column("borrower", sa.String(length=42), nullable=False),
        sa.Column("commodity", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("loan_ref", sa.String(length=66), nullable=False),
        sa.Column("outstanding", registry.db.models.Amount(), nullable=False),
        sa.Column("collateral", registry.db.models.Amount(), nullable=False),
        sa.Column("advance_rate_bps", sa.Integer(), nullable=False),
        sa.Column("margin_call_ltv_bps", sa.Integer(), nullable=False),
        sa.Column("liquidation_ltv_bps", sa.Integer(), nullable=False),
        sa.Column("cure_window", sa.BigInteger(), nullable=False),
        sa.Column("cure_deadline", sa.BigInteger(), nullable=True),
        sa.Column("margin_called_at", sa.BigInteger(), nullable=True),
        sa.Column("last_status", sa.String(length=24), nullable=True),
        sa.Column("last_checked_at", sa.BigInteger(), nullable=True),
        sa.Column("ltv_bps", sa.BigInteger(), nullable=True),
        sa.Column("value", registry.db.models.Amount(), nullable=True),
        sa.Column("valued_round", sa.BigInteger(), nullable=True),
        sa.Column("opened_at", sa.BigInteger(), nullable=False),
        sa.Column("opened_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("loan_id"),
    )
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.create_index("ix_loans_commodity", ["commodity"], unique=False)
        batch_op.create_index("ix_loans_cure_deadline", ["cure_deadline"], unique=False)
        batch_op.create_index("ix_loans_lender", ["lender"], unique=False)

    op.create_table(
        "price_feeds",
        sa.Column("commodity", sa.String(length=16), nullable=False),
        sa.Column("aggregator", sa.String(length=42), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("decimals", sa.Integer(), nullable=False),
        sa.Column("max_age", sa.BigInteger(), nullable=False),
        sa.Column("max_deviation_bps", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("price", registry.db.models.Amount(), nullable=True),
        sa.Column("price_as_of", sa.BigInteger(), nullable=True),
        sa.Column("round_id", sa.BigInteger(), nullable=False),
        sa.Column("contributors", sa.Integer(), nullable=False),
        sa.Column("price_updated_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("commodity"),
    )
    op.create_table(
        "price_publishers",
        sa.Column("commodity", sa.String(length=16), nullable=False),
        sa.Column("publisher", sa.String(length=42), nullable=False),
        sa.Column("admitted", sa.Boolean(), nullable=False),
        sa.Column("price", registry.db.models.Amount(), nullable=True),
        sa.Column("as_of", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=12), nullable=True),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("posted_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("commodity", "publisher"),
    )
    op.create_table(
        "reference_prices",
        sa.Column("commodity", sa.String(length=16), nullable=False),
        sa.Column("round_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("price", registry.db.models.Amount(), nullable=False),
        sa.Column("as_of", sa.BigInteger(), nullable=False),
        sa.Column("contributors", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("commodity", "round_id"),
    )


def downgrade() -> None:
    op.drop_table("reference_prices")
    op.drop_table("price_publishers")
    op.drop_table("price_feeds")
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_index("ix_loans_lender")
        batch_op.drop_index("ix_loans_cure_deadline")
        batch_op.drop_index("ix_loans_commodity")

    op.drop_table("loans")
    with op.batch_alter_table("loan_collateral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_collateral_loan_id"))

    op.drop_table("loan_collateral")
