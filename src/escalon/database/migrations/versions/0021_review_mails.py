"""The weekly review's mailing: which week's review was queued for whom, and who opted out.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "review_mails",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("outbox_key", sa.String(length=64), nullable=False),
        sa.Column("queued_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.UniqueConstraint("week", "user_id", name="uq_review_mails_once"),
    )
    op.create_table(
        "review_mail_opt_outs",
        sa.Column("user_id", _ID, primary_key=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("review_mail_opt_outs")
    op.drop_table("review_mails")
