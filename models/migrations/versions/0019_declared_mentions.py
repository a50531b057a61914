"""item_skills: a declared skill from a category list whose meaning disagrees falls below a step's bar

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 14:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# Written out rather than imported: a migration states the values of its own day.
OLD_DECLARED_MENTION = 0.95 * 0.8  # DECLARED_CONFIDENCE x MENTION_SHARE until this revision
NEW_DECLARED_MENTION = 0.85 * 0.8  # LABEL_BASE_LONG x MENTION_SHARE from this revision on


def _move(source: float, target: float) -> None:
    # Only automatic declared tags carry this exact value (a sure declared tag is 0.95 or 1.0); tags
    # L&D reviewed keep their verdict and their confidence.
    op.execute(
        f"UPDATE item_skills SET confidence = {target!r} WHERE origin = 'declared' AND status = 'auto' "
        f"AND confidence BETWEEN {source - 1e-6!r} AND {source + 1e-6!r}"
    )


def upgrade() -> None:
    _move(OLD_DECLARED_MENTION, NEW_DECLARED_MENTION)


def downgrade() -> None:
    _move(NEW_DECLARED_MENTION, OLD_DECLARED_MENTION)
