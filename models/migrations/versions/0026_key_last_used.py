"""api_keys.last_used_at: when a request last came with the key (to the minute), null for never

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # in place (SQLite 3.35+ too): a batch copy of api_keys would cascade to the dashboard sessions
    op.drop_column("api_keys", "last_used_at")
