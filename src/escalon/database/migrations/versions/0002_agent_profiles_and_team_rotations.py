"""Agent profiles (chat handle, skills, languages, time zone, working hours, authority) and
team on-call rotations.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("skills", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("languages", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("working_hours", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("authority", sa.JSON(), nullable=True))
    # Agents from before: no skills or languages, UTC; then the columns become required.
    op.execute("UPDATE agents SET skills = '[]', languages = '[]', timezone = 'UTC'")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        for column, kind in (("skills", sa.JSON()), ("languages", sa.JSON())):
            batch_op.alter_column(column, existing_type=kind, nullable=False)
        batch_op.alter_column("timezone", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rotation", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("rotation")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        for column in ("authority", "working_hours", "timezone", "languages", "skills", "chat"):
            batch_op.drop_column(column)
