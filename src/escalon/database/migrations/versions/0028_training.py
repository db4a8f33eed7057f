"""The training ground: the scenario library and the practice sessions played.

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "training_scenarios",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("skill", sa.String(length=40), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("difficulty", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("featured", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("slug", name="uq_training_scenarios_slug"),
    )
    op.create_index("ix_training_scenarios_skill_status", "training_scenarios", ["skill", "status"])
    op.create_table(
        "practice_sessions",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("scenario_id", _ID, nullable=True),
        sa.Column("scenario", sa.JSON(), nullable=False),
        sa.Column("skill", sa.String(length=40), nullable=False),
        sa.Column("difficulty", sa.Integer(), nullable=False),
        sa.Column("trainee_user_id", _ID, nullable=False),
        sa.Column("trainee", sa.String(length=100), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("role_player_user_id", _ID, nullable=True),
        sa.Column("speed", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("virtual_start", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("virtual_end", sa.BigInteger(), nullable=True),
        sa.Column("sandbox_case_id", sa.Integer(), nullable=False),
        sa.Column("sandbox_user_id", sa.Integer(), nullable=False),
        sa.Column("first_response_due", sa.BigInteger(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("feedback", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["scenario_id"], ["training_scenarios.id"]),
        sa.ForeignKeyConstraint(["trainee_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["role_player_user_id"], ["users.id"]),
        sa.UniqueConstraint("key", name="uq_practice_sessions_key"),
    )
    op.create_index(
        "ix_practice_sessions_trainee_started",
        "practice_sessions",
        ["trainee_user_id", "started_at"],
    )
    op.create_index("ix_practice_sessions_status", "practice_sessions", ["status"])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_practice_sessions_status", table_name="practice_sessions")
    op.drop_index("ix_practice_sessions_trainee_started", table_name="practice_sessions")
    op.drop_table("practice_sessions")
    op.drop_index("ix_training_scenarios_skill_status", table_name="training_scenarios")
    op.drop_table("training_scenarios")
