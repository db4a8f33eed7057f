"""Inbound mail: every delivery stored, duplicates recognised by Message-ID and content, a review list, random outbound Message-IDs, case participants.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_outbox_message_id"), ["message_id"])
    # Mail sent before this revision carried the key as its Message-ID: kept, so customers'
    # replies to it still find their case (they must still come from the case's customer).
    op.execute(
        "UPDATE outbox SET message_id = '<' || key || '@escalon.invalid>' WHERE channel = 'email'"
    )

    with op.batch_alter_table("inbound_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("taken", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of", _ID, nullable=True))
        batch_op.add_column(sa.Column("hold_reason", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("handled_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("handled_at", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_inbound_emails_taken"), ["taken"])
        batch_op.create_foreign_key(
            op.f("fk_inbound_emails_duplicate_of_inbound_emails"),
            "inbound_emails",
            ["duplicate_of"],
            ["id"],
        )
        batch_op.create_index(op.f("ix_inbound_emails_status"), ["status"])
        batch_op.create_index("ix_inbound_emails_sender_received_at", ["sender", "received_at"])
    # Mails stored but never taken before this revision (the orphans of a failed intake) are
    # held for review, where staff see them and can take them again.
    op.execute(
        "UPDATE inbound_emails SET status = 'held', hold_reason = 'failed', "
        "error = COALESCE(error, 'stored, but not taken into a case before an upgrade') "
        "WHERE status = 'received'"
    )

    op.create_table(
        "case_participants",
        sa.Column("id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_participants_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_participants")),
        sa.UniqueConstraint("case_id", "address", name="uq_case_participants_case_address"),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("case_participants")
    with op.batch_alter_table("inbound_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_emails_sender_received_at")
        batch_op.drop_index(op.f("ix_inbound_emails_status"))
        batch_op.drop_constraint(
            op.f("fk_inbound_emails_duplicate_of_inbound_emails"), type_="foreignkey"
        )
        batch_op.drop_constraint(op.f("uq_inbound_emails_taken"), type_="unique")
        for column in (
            "handled_at",
            "handled_by",
            "hold_reason",
            "duplicate_of",
            "taken",
            "fingerprint",
            "sender",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_outbox_message_id"), type_="unique")
        batch_op.drop_column("message_id")
