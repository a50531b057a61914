"""tenants.min_step_relevance: the tenant's own bar for a unit to be a path step

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 06:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: the product's default (recommender.paths.MIN_STEP_RELEVANCE). A plain ADD COLUMN, as 0008.
    op.add_column("tenants", sa.Column("min_step_relevance", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("tenants", "min_step_relevance")
