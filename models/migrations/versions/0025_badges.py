"""badges: Open Badges 3.0 issuers (key, status list), consents, issued and received badges, trusted issuers

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 20:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    when = sa.DateTime(timezone=True)
    tenant = sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE")
    op.create_table(
        "badge_issuers",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("evidence_level", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=100), nullable=True),
        sa.Column("private_key_pem", sa.Text(), nullable=True),
        sa.Column("public_jwk", sa.JSON(), nullable=True),
        sa.Column("status_bits", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        tenant,
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id"),
        sa.UniqueConstraint("kid"),
    )
    op.create_table(
        "badge_consents",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("employee_id", big, nullable=False),
        sa.Column("consented_at", when, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "employee_id", name="uq_badge_consent"),
    )
    op.create_index("ix_badge_consents_employee_id", "badge_consents", ["employee_id"], unique=False)
    op.create_table(
        "badges",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column("badge_key", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("employee_id", big, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("achievement_key", sa.String(length=400), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("issued_at", when, nullable=False),
        sa.Column("revoked_at", when, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("badge_key"),
        sa.UniqueConstraint("tenant_id", "employee_id", "achievement_key", name="uq_badge_achievement"),
        sa.UniqueConstraint("tenant_id", "status_index", name="uq_badge_status_index"),
    )
    op.create_index("ix_badges_employee_id", "badges", ["employee_id"], unique=False)
    op.create_table(
        "received_badges",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column("badge_key", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("employee_id", big, nullable=False),
        sa.Column("version", sa.String(length=5), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("skill_ids", sa.JSON(), nullable=False),
        sa.Column("credential", sa.JSON(), nullable=False),
        sa.Column("uploaded_at", when, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["employee_id"], ["employees.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("badge_key"),
    )
    op.create_index("ix_received_badges_employee_id", "received_badges", ["employee_id"], unique=False)
    op.create_table(
        "badge_trusted_issuers",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "issuer", name="uq_badge_trusted_issuer"),
    )


def downgrade() -> None:
    for table in ("badge_trusted_issuers", "received_badges", "badges", "badge_consents", "badge_issuers"):
        op.drop_table(table)
