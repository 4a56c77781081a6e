"""identifier spellings and invoices

Typed identifiers are committed in their canonical form (client.identifiers); the registry keeps
the text as entered beside the canonical form and the commitment. Invoices hold the fields an
issuer disclosed for a voucher root's documentHash (client.invoices), for the near-duplicate check.
Neither is derived from the chain: a re-index keeps them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import registry.db.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identifier_spellings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("commitment", sa.String(length=66), nullable=False),
        sa.Column("canonical", sa.String(length=128), nullable=False),
        sa.Column("as_entered", sa.String(length=128), nullable=False),
        sa.Column("first_seen_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "commitment", "as_entered", name="uq_identifier_spellings"),
    )
    with op.batch_alter_table("identifier_spellings", schema=None) as batch_op:
        batch_op.create_index("ix_identifier_spellings_commitment", ["commitment"], unique=False)
    op.create_table(
        "invoices",
        sa.Column("document", sa.String(length=66), nullable=False),
        sa.Column("root_id", sa.BigInteger(), nullable=False),
        sa.Column("seller_entity", sa.String(length=66), nullable=False),
        sa.Column("buyer_entity", sa.String(length=66), nullable=False),
        sa.Column("number", sa.String(length=128), nullable=False),
        sa.Column("number_canonical", sa.String(length=128), nullable=False),
        sa.Column("issue_date", sa.String(length=10), nullable=False),
        sa.Column("amount", registry.db.models.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("registered_by", sa.String(length=42), nullable=False),
        sa.Column("registered_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("document"),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoices_parties", ["seller_entity", "buyer_entity", "currency"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_parties")
    op.drop_table("invoices")
    with op.batch_alter_table("identifier_spellings", schema=None) as batch_op:
        batch_op.drop_index("ix_identifier_spellings_commitment")
    op.drop_table("identifier_spellings")
