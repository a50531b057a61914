"""item_skills.phrase: the words of an item's text that named the skill of a label tag

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 10:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for tags made before: a step's `why` then says the text names the skill "or another name
    # for it" until the next tagging run (an import, or POST /v1/catalog/retag) fills it in.
    op.add_column("item_skills", sa.Column("phrase", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("item_skills", "phrase")
