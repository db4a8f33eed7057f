"""Team assignment: the strategy a team hands out its cases by, whom its round robin gave the
last one, and each agent's count of open cases.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignment", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("last_assignee", sa.String(length=100), nullable=True))
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("open_cases", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE agents SET open_cases = (SELECT count(*) FROM cases WHERE cases.assignee = "
        "agents.handle AND cases.status IN ('open', 'pending_customer', 'on_hold'))"
    )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("open_cases")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("last_assignee")
        batch_op.drop_column("assignment")
