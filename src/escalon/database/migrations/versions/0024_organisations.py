"""Customer organisations: tier, time zone, business calendar, e-mail domains; customers in one.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "organisations",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tier", sa.String(100), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("name", name="uq_organisations_name"),
    )
    op.create_table(
        "organisation_domains",
        sa.Column("domain", sa.String(253), primary_key=True),
        sa.Column("organisation_id", Id, nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_organisation_domains_organisation_id_organisations",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_organisation_domains_organisation_id", "organisation_domains", ["organisation_id"]
    )
    with op.batch_alter_table("customers") as table:
        table.add_column(sa.Column("organisation_id", Id, nullable=True))
        table.create_foreign_key(
            "fk_customers_organisation_id_organisations",
            "organisations",
            ["organisation_id"],
            ["id"],
            ondelete="SET NULL",
        )
        table.create_index("ix_customers_organisation_id", ["organisation_id"])


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("customers") as table:
        table.drop_index("ix_customers_organisation_id")
        table.drop_constraint("fk_customers_organisation_id_organisations", type_="foreignkey")
        table.drop_column("organisation_id")
    op.drop_index("ix_organisation_domains_organisation_id", table_name="organisation_domains")
    op.drop_table("organisation_domains")
    op.drop_table("organisations")
