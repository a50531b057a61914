"""tenants.individual_gaps: who may see one employee's gap scores

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 21:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, not batch mode: on SQLite batch mode copies and drops `tenants`, and with
    # foreign keys on, dropping it would cascade into every table that belongs to a tenant.
    op.add_column(
        "tenants", sa.Column("individual_gaps", sa.String(length=20), server_default="all", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("tenants", "individual_gaps")  # SQLite 3.35+ drops a column in place
