"""Learning Days and team challenges: tenants.learning_days, learning_challenges, challenge_participants

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.add_column("tenants", sa.Column("learning_days", sa.JSON(), nullable=True))
    op.create_table(
        "learning_challenges",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("goal_minutes", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_challenges_tenant_team", "learning_challenges", ["tenant_id", "team"])
    op.create_table(
        "challenge_participants",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("challenge_id", big, nullable=False),
        sa.Column("employee_id", big, nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["challenge_id"], ["learning_challenges.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("challenge_id", "employee_id", name="uq_challenge_participant"),
    )
    op.create_index(op.f("ix_challenge_participants_employee_id"), "challenge_participants", ["employee_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_challenge_participants_employee_id"), table_name="challenge_participants")
    op.drop_table("challenge_participants")
    op.drop_index("ix_challenges_tenant_team", table_name="learning_challenges")
    op.drop_table("learning_challenges")
    # in place (SQLite 3.35+ too): a batch copy of tenants would cascade to every row that names it
    op.drop_column("tenants", "learning_days")
