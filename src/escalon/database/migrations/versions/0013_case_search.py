"""Searching cases by text, queues filtered and ordered by the clock due first, handing out
waiting cases.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from escalon.cases import search

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (cases written before it name their due clock at their next change)."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_clock", sa.String(length=50), nullable=True))
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handout_at", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_teams_handout_at",
        "teams",
        ["handout_at"],
        unique=False,
        postgresql_where=sa.text("handout_at IS NOT NULL"),
        sqlite_where=sa.text("handout_at IS NOT NULL"),
    )
    op.create_index(
        "ix_cases_due_order",
        "cases",
        [sa.text("coalesce(due_at, 4611686018427387904)"), "id"],
        unique=False,
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE case_search ("
            "case_id BIGINT PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE, "
            "customer TSVECTOR NOT NULL, body TSVECTOR NOT NULL)"
        )
        op.execute(
            "CREATE INDEX ix_case_search_document ON case_search USING GIN ((customer || body))"
        )
    else:
        # Words arrive already cut by Escalon (escalon.cases.search); the tokenizer only splits
        # them at the spaces, so both databases index the same words.
        op.execute(
            "CREATE VIRTUAL TABLE case_search USING fts5("
            "customer, subject, messages, tokenize = 'unicode61 remove_diacritics 0')"
        )
    search.rebuild(bind)


def downgrade() -> None:
    """Undo this revision."""
    op.execute("DROP TABLE case_search")
    op.drop_index("ix_cases_due_order", table_name="cases")
    op.drop_index("ix_teams_handout_at", table_name="teams")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("handout_at")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("due_clock")
