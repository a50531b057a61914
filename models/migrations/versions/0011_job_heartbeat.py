"""jobs.heartbeat_at: when the worker running a job last said it is alive (the job's lease)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch mode, which on SQLite would copy and drop the table). Jobs running
    # during the upgrade have none: their lease counts from started_at.
    op.add_column("jobs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("jobs", "heartbeat_at")  # SQLite 3.35+ drops a column in place
