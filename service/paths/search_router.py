"""Just-in-time search: the micro-units that best answer a free-text question."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from models import people_repository as people
from service.catalog.schemas import SearchHit, SearchResponse
from service.core.activities import activity_id, unit_url
from service.http.deps import AnyCaller, RuntimeDep, SessionDep
from service.http.errors import NotReady, Unprocessable, problem_responses
from service.paths.planning import learner_for
from service.paths.search import search_units

router = APIRouter(prefix="/v1", tags=["search"])

SNIPPET_CHARS = 240


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
    languages: Annotated[
        str | None,
        Query(
            max_length=40,
            pattern=r"^[A-Za-z]{2}(-[A-Za-z0-9]{2,8})?(,[A-Za-z]{2}(-[A-Za-z0-9]{2,8})?)*$",
            description="Preferred languages, first preferred (nl,en): units in them come first, others "
            "only after, marked language_fallback. Default for an employee key: the employee's languages",
        ),
    ] = None,
) -> SearchResponse:
    """Hybrid retrieval (dense and BM25 with Dutch and English stemming, fused), as paths use."""
    query = " ".join(q.split())
    if not query:
        raise Unprocessable("q: the question is empty")
    snapshot = runtime.snapshot(caller.tenant_slug)
    if snapshot is None:
        raise NotReady("this tenant has no catalog index yet: import a catalog first")
    found = search_units(
        runtime,
        session,
        caller.tenant_slug,
        caller.tenant_id,
        query,
        limit,
        languages=search_languages(session, caller, languages),
        only_language=language,
        max_minutes=max_minutes,
    )
    results = [
        SearchHit(
            item_id=hit.unit.item_id,
            unit_id=hit.unit.unit_id,
            title=hit.unit.item_title,
            unit_title=hit.unit.unit_title,
            snippet=snippet(hit.text),
            url=unit_url(hit.unit.url, hit.unit.anchor),
            minutes=hit.unit.minutes,
            language=hit.unit.language,
            format=hit.unit.format,
            score=round(hit.score, 4),
            source=hit.unit.source,
            external_id=hit.unit.external_id,
            activity_id=activity_id(hit.unit.source, hit.unit.external_id, hit.unit.position),
            language_fallback=hit.language_fallback,
            minutes_known=hit.unit.minutes_known,
        )
        for hit in found
    ]
    return SearchResponse(query=query, results=results, index_version=snapshot.manifest.version)


def search_languages(session: SessionDep, caller: AnyCaller, languages: str | None) -> list[str]:
    """The request's languages, else an employee caller's own (as for paths), else none preferred."""
    if languages:
        return [part.strip() for part in languages.split(",") if part.strip()][:5]
    if caller.role == "employee" and caller.employee_id:
        employee = people.get_employee(session, caller.tenant_id, caller.employee_id)
        if employee is not None:
            return list(learner_for(employee, None).languages)
    return []
