"""Approvals judged by the person: the requester's authority and who may decide.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_USER_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_by_user_id", _USER_ID, nullable=True))
        batch_op.add_column(sa.Column("decided_by_user_id", _USER_ID, nullable=True))
        batch_op.add_column(sa.Column("requester_authority", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("requester_basis", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("decider_authority", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("decider_basis", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("needed_level", sa.String(length=100), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_approval_requests_requested_by_user_id_users"),
            "users",
            ["requested_by_user_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_approval_requests_decided_by_user_id_users"),
            "users",
            ["decided_by_user_id"],
            ["id"],
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_approval_requests_decided_by_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_approval_requests_requested_by_user_id_users"), type_="foreignkey"
        )
        for column in (
            "needed_level",
            "decider_basis",
            "decider_authority",
            "requester_basis",
            "requester_authority",
            "decided_by_user_id",
            "requested_by_user_id",
        ):
            batch_op.drop_column(column)
