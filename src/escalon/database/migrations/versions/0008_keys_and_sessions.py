"""Keys outside the database: dashboard sessions as rows, the in-database link key dropped, webhook secrets sealed.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("token_id", _ID, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("ended_at", sa.BigInteger(), nullable=True),
        sa.Column("ended_reason", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_dashboard_sessions_token_id_api_tokens")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_dashboard_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_sessions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_dashboard_sessions_secret_hash")),
    )
    op.create_index(op.f("ix_dashboard_sessions_token_id"), "dashboard_sessions", ["token_id"])
    op.create_index(op.f("ix_dashboard_sessions_user_id"), "dashboard_sessions", ["user_id"])

    # Webhook secrets: sealed with the key kept outside the database, none left in plaintext.
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret_sealed", sa.Text(), nullable=True))
    webhooks = sa.table(
        "webhooks",
        sa.column("id", _ID),
        sa.column("secret", sa.String()),
        sa.column("secret_sealed", sa.Text()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(webhooks.c.id, webhooks.c.secret)).all()
    if rows:
        from escalon import keys

        keyring = keys.current()
        for webhook_id, secret in rows:
            bind.execute(
                webhooks.update()
                .where(webhooks.c.id == webhook_id)
                .values(secret_sealed=keyring.seal(secret))
            )
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.alter_column("secret_sealed", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("secret")

    # Links are signed with a key outside the database now: the old one goes.
    op.drop_table("instance_secrets")


def downgrade() -> None:
    """Undo this revision."""
    secrets_table = op.create_table(
        "instance_secrets",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_secrets")),
    )
    # A new key: links signed before the upgrade stay invalid.
    op.bulk_insert(secrets_table, [{"name": "link_signing", "value": secrets.token_urlsafe(32)}])

    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret", sa.String(length=200), nullable=True))
    webhooks = sa.table(
        "webhooks",
        sa.column("id", _ID),
        sa.column("secret", sa.String()),
        sa.column("secret_sealed", sa.Text()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(webhooks.c.id, webhooks.c.secret_sealed)).all()
    if rows:
        from escalon import keys

        keyring = keys.current()
        for webhook_id, sealed in rows:
            bind.execute(
                webhooks.update()
                .where(webhooks.c.id == webhook_id)
                .values(secret=keyring.unseal(sealed))
            )
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.alter_column("secret", existing_type=sa.String(length=200), nullable=False)
        batch_op.drop_column("secret_sealed")

    op.drop_index(op.f("ix_dashboard_sessions_user_id"), table_name="dashboard_sessions")
    op.drop_index(op.f("ix_dashboard_sessions_token_id"), table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
