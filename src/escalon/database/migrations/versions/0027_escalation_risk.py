"""Escalation risk at intake: each fitting of the model (coefficients as JSON) and each case's
risk as scored.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "risk_models",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("claim_key", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("escalated", sa.Integer(), nullable=False),
        sa.Column("model", sa.JSON(), nullable=True),
        sa.Column("evaluation", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("claim_key", name="uq_risk_models_claim_key"),
    )
    op.create_index("ix_risk_models_status_id", "risk_models", ["status", "id"])
    op.create_table(
        "case_risks",
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("model_id", _ID, nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("scored_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_case_risks_probability", "case_risks", ["probability"])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_case_risks_probability", table_name="case_risks")
    op.drop_table("case_risks")
    op.drop_index("ix_risk_models_status_id", table_name="risk_models")
    op.drop_table("risk_models")
