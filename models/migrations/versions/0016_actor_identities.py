"""actor_identities and account_home_pages: which employee an LMS's xAPI actor is

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 12:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "actor_identities",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("actor_key", sa.String(length=760), nullable=False),
        sa.Column("employee_id", big, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "actor_key", name="uq_actor_identity"),
    )
    op.create_index("ix_actor_identities_employee_id", "actor_identities", ["employee_id"], unique=False)
    op.create_table(
        "account_home_pages",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("home_page", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "home_page", name="uq_account_home_page"),
    )


def downgrade() -> None:
    op.drop_table("account_home_pages")
    op.drop_index("ix_actor_identities_employee_id", table_name="actor_identities")
    op.drop_table("actor_identities")
