"""Clock events of OLA clocks name their team (`ola:` and a team name of up to 100 characters).

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("clock_events") as table:
        table.alter_column(
            "metric", existing_type=sa.String(length=50), type_=sa.String(length=110)
        )


def downgrade() -> None:
    """Undo this revision (OLA events of long team names are cut to fit)."""
    op.execute("UPDATE clock_events SET metric = substr(metric, 1, 50)")
    with op.batch_alter_table("clock_events") as table:
        table.alter_column(
            "metric", existing_type=sa.String(length=110), type_=sa.String(length=50)
        )
