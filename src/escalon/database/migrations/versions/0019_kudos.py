"""Kudos given by hand: one person thanking another for how they handled a case.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "kudos",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("person", sa.String(length=100), nullable=False),
        sa.Column("giver", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.UniqueConstraint("case_id", "person", "giver", name="uq_kudos_once"),
    )
    op.create_index("ix_kudos_case_id", "kudos", ["case_id"])
    op.create_index("ix_kudos_person", "kudos", ["person"])
    op.create_index("ix_kudos_at", "kudos", ["at"])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_kudos_at", table_name="kudos")
    op.drop_index("ix_kudos_person", table_name="kudos")
    op.drop_index("ix_kudos_case_id", table_name="kudos")
    op.drop_table("kudos")
