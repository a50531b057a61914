"""Just-in-time search: the micro-units that best answer a free-text question."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from models import repositories as repo
from service.deps import AnyCaller, RuntimeDep, SessionDep
from service.errors import NotReady, Unprocessable, problem_responses
from service.schemas.catalog import SearchHit, SearchResponse, activity_id, unit_url

router = APIRouter(prefix="/v1", tags=["search"])

SNIPPET_CHARS = 240
UNITS_PER_ITEM = 2  # a search answer should offer several items, not five parts of one page
OVERFETCH = 4


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut + " …"


@router.get("/search", response_model=SearchResponse, responses=problem_responses(401, 403, 422, 503))
def search(
    caller: AnyCaller,
    session: SessionDep,
    runtime: RuntimeDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="The question, in Dutch or English")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    language: Annotated[
        str | None, Query(min_length=2, max_length=8, description="Only units in this language")
    ] = None,
    max_minutes: Annotated[int | None, Query(ge=1, le=600, description="Only units this short")] = None,
) -> SearchResponse:
    query = " ".join(q.split())
    if not query:
        raise Unprocessable("q: the question is empty")
    snapshot = runtime.snapshot(caller.tenant_slug)
    if snapshot is None:
        raise NotReady("this tenant has no catalog index yet: import a catalog first")
    vector = runtime.encoder().encode([query])
    hits = snapshot.search(vector, limit * OVERFETCH)[0]
    units = repo.units_with_items(session, caller.tenant_id, [hit.unit_id for hit in hits])
    results: list[SearchHit] = []
    per_item: dict[int, int] = {}
    for hit in hits:
        unit = units.get(hit.unit_id)
        if unit is None:
            continue
        item = unit.item
        if language and item.language != language:
            continue
        if max_minutes and unit.minutes > max_minutes:
            continue
        if per_item.get(item.id, 0) >= UNITS_PER_ITEM:
            continue
        per_item[item.id] = per_item.get(item.id, 0) + 1
        results.append(
            SearchHit(
                item_id=item.id,
                unit_id=unit.id,
                title=item.title,
                unit_title=unit.title,
                snippet=snippet(unit.text),
                url=unit_url(item.url, unit.anchor),
                minutes=unit.minutes,
                language=item.language,
                format=item.format,
                score=round(hit.score, 4),
                source=item.source,
                external_id=item.external_id,
                activity_id=activity_id(item.source, item.external_id, unit.position),
            )
        )
        if len(results) >= limit:
            break
    return SearchResponse(query=query, results=results, index_version=snapshot.manifest.version)
