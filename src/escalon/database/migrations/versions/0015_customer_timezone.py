"""Customers' own time zones, for the times in messages to them and on their status page.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("customers") as table:
        table.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("customers") as table:
        table.drop_column("timezone")
