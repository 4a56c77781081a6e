"""list filters indexed in id order

Every list route filters on one column and pages by id; single-column indexes made the database
sort every match before returning the first page. (column, id) indexes return it directly.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

RECEIPT_FILTERS = ("owner", "warehouse", "commodity", "lot_id", "status", "lender")
VOUCHER_FILTERS = ("holder", "status")


def upgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        for column in RECEIPT_FILTERS:
            batch_op.drop_index(f"ix_receipts_{column}")
            batch_op.create_index(f"ix_receipts_{column}_id", [column, "receipt_id"], unique=False)
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        for column in VOUCHER_FILTERS:
            batch_op.drop_index(f"ix_vouchers_{column}")
            batch_op.create_index(f"ix_vouchers_{column}_id", [column, "voucher_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        for column in VOUCHER_FILTERS:
            batch_op.drop_index(f"ix_vouchers_{column}_id")
            batch_op.create_index(f"ix_vouchers_{column}", [column], unique=False)
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        for column in RECEIPT_FILTERS:
            batch_op.drop_index(f"ix_receipts_{column}_id")
            batch_op.create_index(f"ix_receipts_{column}", [column], unique=False)
