"""Who held a case when it escalated: what the coaching figures count per person.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("escalations", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("holder", sa.String(length=100), nullable=True))
        batch_op.create_index("ix_escalations_holder", ["holder"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("escalations", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ix_escalations_holder")
        batch_op.drop_column("holder")
