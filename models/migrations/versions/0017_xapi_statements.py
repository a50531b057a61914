"""xapi_statements: every statement the LRS endpoint was sent; catalog_items.lms_url

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 12:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "xapi_statements",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", BIG_ID, nullable=False),
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("employee_id", BIG_ID, nullable=True),
        sa.Column("actor_ifi", sa.Text(), nullable=False),
        sa.Column("verb_iri", sa.Text(), nullable=False),
        sa.Column("object_id", sa.Text(), nullable=True),
        sa.Column("registration", sa.String(length=36), nullable=True),
        sa.Column("agents", sa.Text(), nullable=False),
        sa.Column("activities", sa.Text(), nullable=False),
        sa.Column("voids", sa.String(length=36), nullable=True),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("effect", sa.String(length=10), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("statement", sa.JSON(), nullable=False),
        sa.CheckConstraint("effect IN ('applied', 'pending', 'none')", name="ck_xapi_statement_effect"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "statement_id", name="uq_xapi_statement"),
    )
    with op.batch_alter_table("xapi_statements", schema=None) as batch_op:
        batch_op.create_index("ix_xapi_statements_tenant_stored", ["tenant_id", "stored_at", "id"])
        batch_op.create_index("ix_xapi_statements_tenant_effect", ["tenant_id", "effect"])
        batch_op.create_index(batch_op.f("ix_xapi_statements_employee_id"), ["employee_id"])
    # NULL for items imported before, and for catalogs that name no LMS page.
    op.add_column("catalog_items", sa.Column("lms_url", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("catalog_items", "lms_url")
    op.drop_table("xapi_statements")
