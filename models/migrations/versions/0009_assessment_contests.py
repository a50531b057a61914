"""assessment contests: an employee's objection to an assessment, and the decision on it

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 21:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "assessment_contests",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("assessment_id", big, nullable=False),
        sa.Column("employee_id", big, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'upheld', 'corrected')", name="ck_contest_status"),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("assessment_id", name="uq_contest_assessment"),
    )
    with op.batch_alter_table("assessment_contests", schema=None) as batch_op:
        batch_op.create_index("ix_contests_tenant_status", ["tenant_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessment_contests_employee_id"), ["employee_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assessment_contests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_contests_employee_id"))
        batch_op.drop_index("ix_contests_tenant_status")
    op.drop_table("assessment_contests")
