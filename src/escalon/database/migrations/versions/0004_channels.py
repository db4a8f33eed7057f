"""Channels: raw inbound e-mails, attachments, thread references, in-app staff notifications,
the installation's own secrets, and the format a webhook speaks (signed JSON or Slack's).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "inbound_emails",
        sa.Column("id", _ID, nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("envelope_from", sa.String(length=500), nullable=True),
        sa.Column("envelope_to", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("case_id", _ID, nullable=True),
        sa.Column("message_row_id", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_inbound_emails_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["message_row_id"],
            ["messages.id"],
            name=op.f("fk_inbound_emails_message_row_id_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_emails")),
    )
    op.create_index(op.f("ix_inbound_emails_case_id"), "inbound_emails", ["case_id"])
    op.create_index(op.f("ix_inbound_emails_message_id"), "inbound_emails", ["message_id"])
    op.create_table(
        "attachments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("message_row_id", _ID, nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_attachments_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["message_row_id"], ["messages.id"], name=op.f("fk_attachments_message_row_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_case_id"), "attachments", ["case_id"])
    op.create_index(op.f("ix_attachments_message_row_id"), "attachments", ["message_row_id"])
    op.create_table(
        "thread_refs",
        sa.Column("id", _ID, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=998), nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_thread_refs_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thread_refs")),
        sa.UniqueConstraint("channel", "ref", name="uq_thread_refs_channel_ref"),
    )
    op.create_index(op.f("ix_thread_refs_case_id"), "thread_refs", ["case_id"])
    op.create_table(
        "staff_notifications",
        sa.Column("id", _ID, nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("case_id", _ID, nullable=True),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("read_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_staff_notifications_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_notifications")),
    )
    op.create_index("ix_staff_notifications_agent_id", "staff_notifications", ["agent", "id"])
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("format", sa.String(length=20), nullable=False, server_default="escalon")
        )
    secrets_table = op.create_table(
        "instance_secrets",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_secrets")),
    )
    # The key that signs the links customers get (survey, status page): made here, once.
    op.bulk_insert(secrets_table, [{"name": "link_signing", "value": secrets.token_urlsafe(32)}])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("instance_secrets")
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_column("format")
    op.drop_index("ix_staff_notifications_agent_id", table_name="staff_notifications")
    op.drop_table("staff_notifications")
    op.drop_index(op.f("ix_thread_refs_case_id"), table_name="thread_refs")
    op.drop_table("thread_refs")
    op.drop_index(op.f("ix_attachments_message_row_id"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_case_id"), table_name="attachments")
    op.drop_table("attachments")
    op.drop_index(op.f("ix_inbound_emails_message_id"), table_name="inbound_emails")
    op.drop_index(op.f("ix_inbound_emails_case_id"), table_name="inbound_emails")
    op.drop_table("inbound_emails")
