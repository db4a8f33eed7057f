"""Root-cause codes: the policy's code a resolution names, counted by the numbers and the review.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("cases", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("root_cause_code", sa.String(length=100), nullable=True))
        batch_op.create_index("ix_cases_root_cause_code", ["root_cause_code"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    # In place (SQLite 3.35+ drops columns): recreating the table would lose the expression
    # index of 0013 (ix_cases_due_order), which reflection cannot copy.
    with op.batch_alter_table("cases", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ix_cases_root_cause_code")
        batch_op.drop_column("root_cause_code")
