"""L&D figures: costs, benefits and business results for the KPI report

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 20:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ld_figures",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('cost', 'benefit', 'result')", name="ck_ld_figure_kind"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ld_figures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ld_figures_tenant_kind_start", ["tenant_id", "kind", "period_start"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ld_figures", schema=None) as batch_op:
        batch_op.drop_index("ix_ld_figures_tenant_kind_start")
    op.drop_table("ld_figures")
