"""Where a case's category came from (the opening request, a keyword, the classifier, a person)
and the classifier's confidence.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category_source", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("category_confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    # In place (SQLite 3.35+ drops columns): recreating the table would lose the expression
    # index of 0013 (ix_cases_due_order), which reflection cannot copy.
    with op.batch_alter_table("cases", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("category_confidence")
        batch_op.drop_column("category_source")
