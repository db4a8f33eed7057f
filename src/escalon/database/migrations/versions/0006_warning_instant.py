"""The warning instant of a case's first-due clock, beside its due instant.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (cases written before it get the instant at their next change)."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warn_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("warn_at")
