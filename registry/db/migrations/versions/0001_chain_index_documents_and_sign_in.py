"""chain index, documents and sign-in

Revision ID: 0001
Revises:
Create Date: 2026-11-30 04:53:24.197271
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import registry.db.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_lines",
        sa.Column("lender", sa.String(length=42), nullable=False),
        sa.Column("core", sa.String(length=42), nullable=False),
        sa.Column("limit", registry.db.models.Amount(), nullable=False),
        sa.Column("outstanding", registry.db.models.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("expiry", sa.BigInteger(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("lender", "core"),
    )
    op.create_table(
        "documents",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("commitment", sa.String(length=66), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=80), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by", sa.String(length=42), nullable=False),
        sa.Column("uploaded_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_commitment"), ["commitment"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("contract", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("receipt_id", sa.BigInteger(), nullable=True),
        sa.Column("lot_id", sa.String(length=66), nullable=True),
        sa.Column("root_id", sa.BigInteger(), nullable=True),
        sa.Column("voucher_id", sa.BigInteger(), nullable=True),
        sa.Column("account", sa.String(length=42), nullable=True),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_account", ["account"], unique=False)
        batch_op.create_index("ix_events_block_log", ["block_number", "log_index"], unique=True)
        batch_op.create_index("ix_events_lot", ["lot_id"], unique=False)
        batch_op.create_index("ix_events_receipt", ["receipt_id"], unique=False)
        batch_op.create_index("ix_events_root", ["root_id"], unique=False)
        batch_op.create_index("ix_events_voucher", ["voucher_id"], unique=False)

    op.create_table(
        "indexed_blocks",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "indexer_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("registry_address", sa.String(length=42), nullable=False),
        sa.Column("receipts_address", sa.String(length=42), nullable=False),
        sa.Column("receivables_address", sa.String(length=42), nullable=False),
        sa.Column("deployment_block", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("events_indexed", sa.BigInteger(), nullable=False),
        sa.Column("journal_from", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "journal",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("key", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journal_block_number"), ["block_number"], unique=False)

    op.create_table(
        "lots",
        sa.Column("lot_id", sa.String(length=66), nullable=False),
        sa.Column("warehouse", sa.String(length=42), nullable=False),
        sa.Column("commodity", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("decimals", sa.Integer(), nullable=False),
        sa.Column("attested", sa.BigInteger(), nullable=False),
        sa.Column("receipted", sa.BigInteger(), nullable=False),
        sa.Column("live_receipts", sa.Integer(), nullable=False),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("last_stocktake_at", sa.BigInteger(), nullable=False),
        sa.Column("last_shortfall", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lot_id"),
    )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lots_commodity"), ["commodity"], unique=False)
        batch_op.create_index(batch_op.f("ix_lots_warehouse"), ["warehouse"], unique=False)

    op.create_table(
        "participants",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("entity_id", sa.String(length=66), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=False),
        sa.Column("admitted_at", sa.BigInteger(), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_changed_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("address"),
    )
    op.create_table(
        "receipts",
        sa.Column("receipt_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("lot_id", sa.String(length=66), nullable=False),
        sa.Column("warehouse", sa.String(length=42), nullable=False),
        sa.Column("commodity", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=42), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("details", sa.String(length=66), nullable=False),
        sa.Column("items_root", sa.String(length=66), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("delivery_requested", sa.BigInteger(), nullable=False),
        sa.Column("lender", sa.String(length=42), nullable=True),
        sa.Column("secured_amount", registry.db.models.Amount(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("loan_ref", sa.String(length=66), nullable=True),
        sa.Column("loan_maturity", sa.BigInteger(), nullable=True),
        sa.Column("pledged_at", sa.BigInteger(), nullable=True),
        sa.Column("requested_lender", sa.String(length=42), nullable=True),
        sa.Column("request_seq", sa.BigInteger(), nullable=True),
        sa.Column("request_amount", registry.db.models.Amount(), nullable=True),
        sa.Column("request_currency", sa.String(length=3), nullable=True),
        sa.Column("request_loan_ref", sa.String(length=66), nullable=True),
        sa.Column("request_maturity", sa.BigInteger(), nullable=True),
        sa.Column("minted_at", sa.BigInteger(), nullable=False),
        sa.Column("minted_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("receipt_id"),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipts_commodity"), ["commodity"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipts_details"), ["details"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipts_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipts_lender"), ["lender"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipts_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipts_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipts_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_receipts_warehouse"), ["warehouse"], unique=False)

    op.create_table(
        "signin_challenges",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_table(
        "stocktakes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_id", sa.String(length=66), nullable=False),
        sa.Column("warehouse", sa.String(length=42), nullable=False),
        sa.Column("inspector", sa.String(length=42), nullable=False),
        sa.Column("attested", sa.BigInteger(), nullable=False),
        sa.Column("receipted", sa.BigInteger(), nullable=False),
        sa.Column("shortfall", sa.BigInteger(), nullable=False),
        sa.Column("evidence", sa.String(length=66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stocktakes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stocktakes_block_number"), ["block_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_stocktakes_evidence"), ["evidence"], unique=False)
        batch_op.create_index(batch_op.f("ix_stocktakes_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "voucher_roots",
        sa.Column("root_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("obligor", sa.String(length=42), nullable=False),
        sa.Column("payer", sa.String(length=42), nullable=False),
        sa.Column("lender", sa.String(length=42), nullable=False),
        sa.Column("face_value", registry.db.models.Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("maturity", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.String(length=66), nullable=False),
        sa.Column("min_denomination", registry.db.models.Amount(), nullable=False),
        sa.Column("max_depth", sa.Integer(), nullable=False),
        sa.Column("funded", registry.db.models.Amount(), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("root_id"),
    )
    with op.batch_alter_table("voucher_roots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voucher_roots_document"), ["document"], unique=False)
        batch_op.create_index(batch_op.f("ix_voucher_roots_maturity"), ["maturity"], unique=False)
        batch_op.create_index(batch_op.f("ix_voucher_roots_obligor"), ["obligor"], unique=False)

    op.create_table(
        "vouchers",
        sa.Column("voucher_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_id", sa.BigInteger(), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=42), nullable=False),
        sa.Column("value", registry.db.models.Amount(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("lienholder", sa.String(length=42), nullable=True),
        sa.Column("secured_amount", registry.db.models.Amount(), nullable=True),
        sa.Column("loan_ref", sa.String(length=66), nullable=True),
        sa.Column("loan_maturity", sa.BigInteger(), nullable=True),
        sa.Column("offered_to", sa.String(length=42), nullable=True),
        sa.Column("offer_price", registry.db.models.Amount(), nullable=True),
        sa.Column("discounted_by", sa.String(length=42), nullable=True),
        sa.Column("discount_seller", sa.String(length=42), nullable=True),
        sa.Column("discount_price", registry.db.models.Amount(), nullable=True),
        sa.Column("discount_rate_bps", sa.Integer(), nullable=True),
        sa.Column("settled_value", registry.db.models.Amount(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("voucher_id"),
    )
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vouchers_discount_seller"), ["discount_seller"], unique=False)
        batch_op.create_index(batch_op.f("ix_vouchers_discounted_by"), ["discounted_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_vouchers_holder"), ["holder"], unique=False)
        batch_op.create_index(batch_op.f("ix_vouchers_lienholder"), ["lienholder"], unique=False)
        batch_op.create_index(batch_op.f("ix_vouchers_root_id"), ["root_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vouchers_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vouchers_status"))
        batch_op.drop_index(batch_op.f("ix_vouchers_root_id"))
        batch_op.drop_index(batch_op.f("ix_vouchers_lienholder"))
        batch_op.drop_index(batch_op.f("ix_vouchers_holder"))
        batch_op.drop_index(batch_op.f("ix_vouchers_discounted_by"))
        batch_op.drop_index(batch_op.f("ix_vouchers_discount_seller"))

    op.drop_table("vouchers")
    with op.batch_alter_table("voucher_roots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voucher_roots_obligor"))
        batch_op.drop_index(batch_op.f("ix_voucher_roots_maturity"))
        batch_op.drop_index(batch_op.f("ix_voucher_roots_document"))

    op.drop_table("voucher_roots")
    with op.batch_alter_table("stocktakes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktakes_lot_id"))
        batch_op.drop_index(batch_op.f("ix_stocktakes_evidence"))
        batch_op.drop_index(batch_op.f("ix_stocktakes_block_number"))

    op.drop_table("stocktakes")
    op.drop_table("signin_challenges")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipts_warehouse"))
        batch_op.drop_index(batch_op.f("ix_receipts_status"))
        batch_op.drop_index(batch_op.f("ix_receipts_owner"))
        batch_op.drop_index(batch_op.f("ix_receipts_lot_id"))
        batch_op.drop_index(batch_op.f("ix_receipts_lender"))
        batch_op.drop_index(batch_op.f("ix_receipts_expires_at"))
        batch_op.drop_index(batch_op.f("ix_receipts_details"))
        batch_op.drop_index(batch_op.f("ix_receipts_commodity"))

    op.drop_table("receipts")
    op.drop_table("participants")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lots_warehouse"))
        batch_op.drop_index(batch_op.f("ix_lots_commodity"))

    op.drop_table("lots")
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_block_number"))

    op.drop_table("journal")
    op.drop_table("indexer_cursor")
    op.drop_table("indexed_blocks")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_voucher")
        batch_op.drop_index("ix_events_root")
        batch_op.drop_index("ix_events_receipt")
        batch_op.drop_index("ix_events_lot")
        batch_op.drop_index("ix_events_block_log")
        batch_op.drop_index("ix_events_account")

    op.drop_table("events")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_commitment"))

    op.drop_table("documents")
    op.drop_table("credit_lines")
