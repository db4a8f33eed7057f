"""The admin audit trail: append-only, like the cases' audit trail.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column(
            "actor_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_admin_audit_actor_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit")),
    )
    op.create_index("ix_admin_audit_action_id", "admin_audit", ["action", "id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION escalon_admin_audit_is_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'admin_audit is append-only: % refused', TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER admin_audit_append_only BEFORE UPDATE OR DELETE ON admin_audit "
            "FOR EACH ROW EXECUTE FUNCTION escalon_admin_audit_is_append_only()"
        )
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER admin_audit_no_{operation.lower()} BEFORE {operation} "
            "ON admin_audit BEGIN "
            f"SELECT RAISE(ABORT, 'admin_audit is append-only: {operation} refused'); END"
        )


def downgrade() -> None:
    """Undo this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS admin_audit_append_only ON admin_audit")
        op.execute("DROP FUNCTION IF EXISTS escalon_admin_audit_is_append_only()")
    else:
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS admin_audit_no_{operation}")
    op.drop_index("ix_admin_audit_action_id", table_name="admin_audit")
    op.drop_table("admin_audit")
