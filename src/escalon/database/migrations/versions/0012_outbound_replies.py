"""Agents' replies go out through the outbox: each reply's row names its message, and a team
may have its own support address to send from.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_message_id", _ID, nullable=True))
        batch_op.create_index(op.f("ix_outbox_case_message_id"), ["case_message_id"], unique=False)
        batch_op.create_foreign_key(
            op.f("fk_outbox_case_message_id_messages"), "messages", ["case_message_id"], ["id"]
        )
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("support_address", sa.String(length=320), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("support_address")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_outbox_case_message_id_messages"), type_="foreignkey")
        batch_op.drop_index(op.f("ix_outbox_case_message_id"))
        batch_op.drop_column("case_message_id")
