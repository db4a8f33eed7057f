"""Breach forecast: fitted models stored as numbers, and each team's queue by due instant.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "forecast_models",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("looks", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("claim_key", sa.String(length=40), nullable=True),
        sa.UniqueConstraint("claim_key", name="uq_forecast_models_claim_key"),
    )
    op.create_index("ix_forecast_models_kind_id", "forecast_models", ["kind", "id"])
    op.create_index(
        "ix_cases_team_due_at",
        "cases",
        ["team", "due_at"],
        postgresql_where=sa.text("due_at IS NOT NULL"),
        sqlite_where=sa.text("due_at IS NOT NULL"),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_cases_team_due_at", table_name="cases")
    op.drop_index("ix_forecast_models_kind_id", table_name="forecast_models")
    op.drop_table("forecast_models")
