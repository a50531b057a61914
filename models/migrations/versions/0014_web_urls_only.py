"""catalog urls: only http(s) links; clears any other url already stored

Clients render an item's url as a link, so a `javascript:` or `data:` url from a catalog file ran in
their pages. Ingest now rejects such a url as a field (ingest.normalise.urls.web_url_problem); this clears
those imported before, from the items and from the steps of paths stored to be fetched again
(GET /v1/paths/{id}). A url that does not start with http:// or https:// and a host is cleared. The
items' content hashes are left: the next import of the same file updates each such item once.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 12:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BATCH = 500
WEB_PREFIXES = ("http://", "https://")

items = sa.table("catalog_items", sa.column("id", sa.BigInteger()), sa.column("url", sa.Text()))
paths = sa.table("learning_paths", sa.column("id", sa.BigInteger()), sa.column("response", sa.JSON()))


def _web(url: Any) -> bool:
    """The rule the UPDATE below applies to items: http:// or https:// with something after it."""
    lowered = url.lower() if isinstance(url, str) else ""
    return any(lowered.startswith(scheme) and len(lowered) > len(scheme) for scheme in WEB_PREFIXES)


def upgrade() -> None:
    bind = op.get_bind()
    lowered = sa.func.lower(items.c.url)
    web = sa.or_(lowered.like("http://_%"), lowered.like("https://_%"))
    bind.execute(items.update().where(items.c.url.is_not(None), sa.not_(web)).values(url=None))
    last = 0
    while True:  # stored paths, in batches: their answers are JSON, cleared step by step
        rows = bind.execute(
            sa.select(paths.c.id, paths.c.response).where(paths.c.id > last).order_by(paths.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        for row in rows:
            response = row.response if isinstance(row.response, dict) else None
            steps = (response or {}).get("steps")
            if not isinstance(steps, list):
                continue
            bad = [
                s for s in steps if isinstance(s, dict) and s.get("url") is not None and not _web(s["url"])
            ]
            if not bad:
                continue
            for step in bad:
                step["url"] = None
            bind.execute(paths.update().where(paths.c.id == row.id).values(response=response))


def downgrade() -> None:
    pass  # the urls cleared were unsafe to serve; there is nothing to put back
