"""credit profile consents and read log

A supplier's EIP-712 signed consent for one lender to read its credit profile (revocable, with an
expiry), and the log of every attempt to read a profile. Neither is derived from the chain: a
re-index keeps them. Events are also indexed by (account, name): a profile reads a dozen kinds of a
member's events.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_account_name", ["account", "name"], unique=False)
    op.create_table(
        "consents",
        sa.Column("id", sa.String(length=66), nullable=False),
        sa.Column("supplier", sa.String(length=42), nullable=False),
        sa.Column("lender", sa.String(length=42), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.String(length=66), nullable=False),
        sa.Column("signature", sa.String(length=132), nullable=False),
        sa.Column("registered_by", sa.String(length=42), nullable=False),
        sa.Column("registered_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_by", sa.String(length=42), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index("ix_consents_supplier_lender", ["supplier", "lender"], unique=False)
    op.create_table(
        "profile_reads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject", sa.String(length=42), nullable=False),
        sa.Column("reader", sa.String(length=42), nullable=False),
        sa.Column("reader_role", sa.String(length=24), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("consent_id", sa.String(length=66), nullable=True),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("read_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("profile_reads", schema=None) as batch_op:
        batch_op.create_index("ix_profile_reads_subject_id", ["subject", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_account_name")
    with op.batch_alter_table("profile_reads", schema=None) as batch_op:
        batch_op.drop_index("ix_profile_reads_subject_id")
    op.drop_table("profile_reads")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index("ix_consents_supplier_lender")
    op.drop_table("consents")
