"""Recurring topics among escalated cases, stored by run: the run, its topics, each case's topic.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "topic_runs",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("claim_key", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("period_start", sa.BigInteger(), nullable=False),
        sa.Column("window_end", sa.BigInteger(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("period_cases", sa.Integer(), nullable=False),
        sa.Column("earlier_cases", sa.Integer(), nullable=False),
        sa.Column("topics", sa.Integer(), nullable=False),
        sa.Column("escalation_mark", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("claim_key", name="uq_topic_runs_claim_key"),
    )
    op.create_index("ix_topic_runs_status_id", "topic_runs", ["status", "id"])
    op.create_table(
        "run_topics",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("period_cases", sa.Integer(), nullable=False),
        sa.Column("earlier_cases", sa.Integer(), nullable=False),
        sa.Column("samples", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["topic_runs.id"]),
    )
    op.create_index("ix_run_topics_run_id", "run_topics", ["run_id"])
    op.create_table(
        "topic_cases",
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("topic_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["topic_runs.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["topic_id"], ["run_topics.id"]),
        sa.PrimaryKeyConstraint("run_id", "case_id"),
    )
    op.create_index("ix_topic_cases_topic_id", "topic_cases", ["topic_id"])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_topic_cases_topic_id", table_name="topic_cases")
    op.drop_table("topic_cases")
    op.drop_index("ix_run_topics_run_id", table_name="run_topics")
    op.drop_table("run_topics")
    op.drop_index("ix_topic_runs_status_id", table_name="topic_runs")
    op.drop_table("topic_runs")
