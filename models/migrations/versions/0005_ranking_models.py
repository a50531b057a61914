"""ranking models and path impressions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ranking_models",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("data_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data_cut", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("n_train", sa.Integer(), nullable=False),
        sa.Column("n_test", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('candidate', 'active', 'rejected', 'retired')", name="ck_ranking_model_status"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "version", name="uq_ranking_model_version"),
    )
    with op.batch_alter_table("ranking_models", schema=None) as batch_op:
        batch_op.create_index("ix_ranking_models_tenant_status", ["tenant_id", "status"], unique=False)
        batch_op.create_index(
            "uq_ranking_model_one_active",
            ["tenant_id"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
    with op.batch_alter_table("learning_paths", schema=None) as batch_op:
        batch_op.add_column(sa.Column("impressions", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("learning_paths", schema=None) as batch_op:
        batch_op.drop_column("impressions")
    with op.batch_alter_table("ranking_models", schema=None) as batch_op:
        batch_op.drop_index("uq_ranking_model_one_active")
        batch_op.drop_index("ix_ranking_models_tenant_status")

    op.drop_table("ranking_models")
