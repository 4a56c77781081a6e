"""a registry database belongs to one chain: the indexer cursor records the chain's block 0

Two chains can share a chain id and the contracts' addresses (two devnets started in one folder, or
a devnet restarted without its state); each then saw the other's blocks as a reorganisation and
re-indexed from scratch. The indexer now refuses a chain whose block 0 is not the recorded one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("indexer_cursor", schema=None) as batch_op:
        batch_op.add_column(sa.Column("genesis_hash", sa.String(length=66), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indexer_cursor", schema=None) as batch_op:
        batch_op.drop_column("genesis_hash")
