"""Skills routes: search the taxonomy, add a company skill, review the skills an item teaches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from ingest.skills import create_custom_skill, embed_skills, resolve_skill, tag_new_skill
from ingest.taxonomy import normalize_label
from models import repositories as repo
from models import taxonomy_repository as tax
from models.tables import Skill, utcnow
from service.http.deps import AnyCaller, CatalogManager, RuntimeDep, SessionDep
from service.http.errors import Conflict, NotFound, problem_responses
from service.http.pagination import decode_cursor, keyset_page
from service.http.params import RowId
from service.skills.roles import skill_label
from service.skills.schemas import (
    ItemSkillPublic,
    ItemSkillReview,
    SkillCreate,
    SkillCreated,
    SkillLabelPublic,
    SkillPage,
    SkillPublic,
)

router = APIRouter(prefix="/v1", tags=["skills"])


def skill_public(skill: Skill) -> SkillPublic:
    return SkillPublic(
        skill_id=skill.id,
        key=skill.key,
        uri=skill.uri,
        origin=skill.origin,
        label_en=skill.label_en,
        label_nl=skill.label_nl,
        description=skill.description,
        skill_type=skill.skill_type,
        groups=list(skill.groups or []),
        labels=[
            SkillLabelPublic(label=lab.label, language=lab.language, kind=lab.kind) for lab in skill.labels
        ],
    )


@router.get("/skills", response_model=SkillPage, responses=problem_responses(401, 403, 422))
def list_skills(
    caller: AnyCaller,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=200, description="Words of a label, Dutch or English")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> SkillPage:
    """Skills of the tenant's taxonomy: matching `q`, or all a page at a time."""
    if q and q.strip():
        rows = tax.search_skills(session, caller.tenant_id, normalize_label(q), limit)
        return SkillPage(skills=[skill_public(s) for s in rows], next_cursor=None)
    rows = tax.list_skills(session, caller.tenant_id, decode_cursor(cursor), limit + 1)
    page, next_cursor = keyset_page(rows, limit)
    return SkillPage(skills=[skill_public(s) for s in page], next_cursor=next_cursor)


@router.post(
    "/skills",
    status_code=status.HTTP_201_CREATED,
    response_model=SkillCreated,
    responses=problem_responses(401, 403, 409, 422),
)
def create_skill(
    body: SkillCreate, caller: CatalogManager, session: SessionDep, runtime: RuntimeDep
) -> SkillCreated:
    """Add a company skill; it is matched against the whole catalog at once, from stored vectors."""
    existing = resolve_skill(session, caller.tenant_id, body.label)
    if existing is not None:
        raise Conflict(f"label {body.label!r} already names skill {existing.id}", skill_id=existing.id)
    skill = create_custom_skill(
        session, caller.tenant_id, body.label, body.language, body.description, body.alt_labels
    )
    embed_skills(session, caller.tenant_id, runtime.encoder, runtime.settings.model)
    tagged = tag_new_skill(session, caller.tenant_id, skill)
    return SkillCreated(**skill_public(skill).model_dump(), items_tagged=tagged)


@router.get(
    "/catalog/items/{item_id}/skills",
    response_model=list[ItemSkillPublic],
    tags=["catalog"],
    responses=problem_responses(401, 403, 404),
)
def item_skills(item_id: RowId, caller: AnyCaller, session: SessionDep) -> list[ItemSkillPublic]:
    """The skills an item teaches, with confidence, origin and L&D's verdict."""
    if repo.get_item(session, caller.tenant_id, item_id) is None:
        raise NotFound(f"no catalog item {item_id}")
    tags = tax.tags_of_items(session, caller.tenant_id, [item_id]).get(item_id, [])
    skills = tax.get_skills(session, caller.tenant_id, [t.skill_id for t in tags])
    return [
        ItemSkillPublic(
            skill_id=t.skill_id,
            label=skill_label(skills[t.skill_id]),
            confidence=round(t.confidence, 3),
            origin=t.origin,
            status=t.status,
        )
        for t in sorted(tags, key=lambda t: -t.confidence)
        if t.skill_id in skills
    ]


@router.put(
    "/catalog/items/{item_id}/skills/{skill_id}",
    response_model=ItemSkillPublic,
    tags=["catalog"],
    responses=problem_responses(401, 403, 404, 422),
)
def review_item_skill(
    item_id: RowId, skill_id: RowId, body: ItemSkillReview, caller: CatalogManager, session: SessionDep
) -> ItemSkillPublic:
    """Confirm or reject a tag (or add a confirmed one); the verdict survives re-ingests."""
    if repo.get_item(session, caller.tenant_id, item_id) is None:
        raise NotFound(f"no catalog item {item_id}")
    skill = tax.get_skill(session, caller.tenant_id, skill_id)
    if skill is None:
        raise NotFound(f"no skill {skill_id}")
    tag = tax.get_item_tag(session, caller.tenant_id, item_id, skill_id)
    if tag is None:
        tax.add_auto_tags_for_skill(
            session, caller.tenant_id, skill_id, [(item_id, tax.AutoTag(skill_id, 1.0, "manual"))]
        )
        session.flush()
        tag = tax.get_item_tag(session, caller.tenant_id, item_id, skill_id)
        assert tag is not None
    tag.status = body.status
    tag.reviewed_at = utcnow()
    session.flush()
    return ItemSkillPublic(
        skill_id=skill_id,
        label=skill_label(skill),
        confidence=round(tag.confidence, 3),
        origin=tag.origin,
        status=tag.status,
    )
