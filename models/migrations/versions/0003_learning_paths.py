"""learning paths

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 04:51:11.105879
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learning_paths",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("path_key", sa.String(length=40), nullable=False),
        sa.Column("employee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.Column("index_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("path_key"),
    )
    with op.batch_alter_table("learning_paths", schema=None) as batch_op:
        batch_op.create_index(
            "ix_paths_tenant_employee", ["tenant_id", "employee_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("learning_paths", schema=None) as batch_op:
        batch_op.drop_index("ix_paths_tenant_employee")

    op.drop_table("learning_paths")
