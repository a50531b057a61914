"""nudges in Slack and Teams: chat_integrations, nudge_preferences, nudges, pulse_answers,
chat_requests_seen

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 19:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def _tenant() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)


def _employee() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("employee_id", BigId, sa.ForeignKey("employees.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "chat_integrations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _tenant(),
        sa.Column("platform", sa.String(10), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=False),
        sa.Column("pulse_enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.UniqueConstraint("tenant_id", "platform", name="uq_chat_integration"),
    )
    op.create_table(
        "nudge_preferences",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _tenant(),
        _employee(),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("frequency", sa.String(12), nullable=False),
        sa.Column("quiet_start", sa.Integer(), nullable=True),
        sa.Column("quiet_end", sa.Integer(), nullable=True),
        sa.Column("updated_at", When, nullable=False),
        sa.UniqueConstraint("tenant_id", "employee_id", name="uq_nudge_preference"),
    )
    op.create_table(
        "nudges",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _tenant(),
        _employee(),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("step", sa.JSON(), nullable=False),
        sa.Column("activity_id", sa.Text(), nullable=False),
        sa.Column("pulse", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", When, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_ref", sa.JSON(), nullable=True),
        sa.Column("response", sa.String(12), nullable=True),
        sa.Column("responded_at", When, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("sent_at", When, nullable=True),
    )
    op.create_index("ix_nudges_due", "nudges", ["status", "next_attempt_at"])
    op.create_table(
        "pulse_answers",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        _tenant(),
        _employee(),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("answered_at", When, nullable=False),
    )
    op.create_table(
        "chat_requests_seen",
        sa.Column("digest", sa.String(64), primary_key=True),
        _tenant(),
        sa.Column("expires_at", When, nullable=False),
    )
    op.create_index("ix_chat_requests_seen_expires_at", "chat_requests_seen", ["expires_at"])
    for table in ("nudge_preferences", "nudges", "pulse_answers"):
        op.create_index(f"ix_{table}_employee_id", table, ["employee_id"])


def downgrade() -> None:
    for table in ("nudge_preferences", "nudges", "pulse_answers"):
        op.drop_index(f"ix_{table}_employee_id", table_name=table)
    op.drop_index("ix_chat_requests_seen_expires_at", table_name="chat_requests_seen")
    op.drop_table("chat_requests_seen")
    op.drop_table("pulse_answers")
    op.drop_index("ix_nudges_due", table_name="nudges")
    op.drop_table("nudges")
    op.drop_table("nudge_preferences")
    op.drop_table("chat_integrations")
