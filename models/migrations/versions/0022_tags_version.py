"""tenants.tags_version: moves with every change to a tenant's item tags

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-04 16:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tenants", sa.Column("tags_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    # in place (SQLite 3.35+ too): a batch copy of tenants would cascade to every row that names it
    op.drop_column("tenants", "tags_version")
