"""audit_log.request_id: the request id (X-Request-ID) of the request, to find its log lines

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch mode, which on SQLite would copy and drop the table).
    op.add_column("audit_log", sa.Column("request_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_log", "request_id")  # SQLite 3.35+ drops a column in place
