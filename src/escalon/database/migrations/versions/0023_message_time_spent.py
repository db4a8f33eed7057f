"""Time an agent spent on a reply or note, for handle times and the staffing forecast.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("messages") as table:
        table.add_column(sa.Column("time_spent_seconds", sa.Integer(), nullable=True))
    op.create_index(
        "ix_messages_timed_at",
        "messages",
        ["at"],
        postgresql_where=sa.text("time_spent_seconds IS NOT NULL"),
        sqlite_where=sa.text("time_spent_seconds IS NOT NULL"),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_messages_timed_at", table_name="messages")
    with op.batch_alter_table("messages") as table:
        table.drop_column("time_spent_seconds")
