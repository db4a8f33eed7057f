"""Rate limits shared by every process.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_counters")),
    )
    op.create_index("ix_rate_counters_expires_at", "rate_counters", ["expires_at"], unique=False)
    # What a webhook's receiver answered to a failed delivery: for admins only (last_error
    # says what happened without the receiver's words).
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_response", sa.Text(), nullable=True))
    # Errors written before carried the receiver's answer and the webhook's URL (a chat tool's
    # URL is its credential) where supervisors read them: moved to the admins' column.
    outbox = _outbox()
    op.execute(
        outbox.update()
        .where(outbox.c.channel == "webhook", outbox.c.last_error.like("POST %"))
        .values(
            last_response=outbox.c.last_error,
            last_error="the webhook refused (before release 0011: its answer is for admins)",
        )
    )


def downgrade() -> None:
    """Undo this revision."""
    outbox = _outbox()
    op.execute(
        outbox.update()
        .where(outbox.c.last_response.like("POST %"))
        .values(last_error=outbox.c.last_response)
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("last_response")
    op.drop_index("ix_rate_counters_expires_at", table_name="rate_counters")
    op.drop_table("rate_counters")


def _outbox() -> sa.TableClause:
    return sa.table(
        "outbox",
        sa.column("channel", sa.String()),
        sa.column("last_error", sa.Text()),
        sa.column("last_response", sa.Text()),
    )
