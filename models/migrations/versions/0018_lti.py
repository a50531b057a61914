"""lti: LTI 1.3 platform registrations, their deployments, login nonces, kept launches, the tool's key

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "lti_platforms",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=300), nullable=False),
        sa.Column("auth_login_url", sa.String(length=1000), nullable=False),
        sa.Column("auth_token_url", sa.String(length=1000), nullable=False),
        sa.Column("key_set_url", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),
    )
    op.create_index("ix_lti_platforms_tenant_id", "lti_platforms", ["tenant_id"], unique=False)
    op.create_table(
        "lti_deployments",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("platform_id", big, nullable=False),
        sa.Column("deployment_id", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["lti_platforms.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform_id", "deployment_id", name="uq_lti_deployments_platform_deployment"),
    )
    op.create_table(
        "lti_nonces",
        sa.Column("nonce", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_index("ix_lti_nonces_expires_at", "lti_nonces", ["expires_at"], unique=False)
    op.create_table(
        "lti_launches",
        sa.Column("launch_id", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", big, nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("launch_id"),
    )
    op.create_index("ix_lti_launches_expires_at", "lti_launches", ["expires_at"], unique=False)
    op.create_table(
        "lti_tool_keys",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column("kid", sa.String(length=100), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kid"),
    )


def downgrade() -> None:
    op.drop_table("lti_tool_keys")
    op.drop_index("ix_lti_launches_expires_at", table_name="lti_launches")
    op.drop_table("lti_launches")
    op.drop_index("ix_lti_nonces_expires_at", table_name="lti_nonces")
    op.drop_table("lti_nonces")
    op.drop_table("lti_deployments")
    op.drop_index("ix_lti_platforms_tenant_id", table_name="lti_platforms")
    op.drop_table("lti_platforms")
