"""participants by entity

One legal entity (entity id) may be admitted under several addresses; the registry sums a
borrower's exposure across all of them, names them on each participant and flags the entity in
/alerts, each by looking participants up by entity id.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.create_index("ix_participants_entity", ["entity_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_index("ix_participants_entity")
