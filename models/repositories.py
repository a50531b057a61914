"""All queries live here: the rest of the code asks these functions, never builds select() itself.

Every function that reads company data takes the tenant id and filters by it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from models.tables import (
    ITEM_ACTIVE,
    JOB_FAILED,
    JOB_QUEUED,
    JOB_RUNNING,
    JOB_SUCCEEDED,
    ApiKey,
    CatalogItem,
    DashboardSession,
    IngestRun,
    Job,
    MicroUnit,
    Skill,
    Tenant,
    utcnow,
)

KEY_PREFIX = "lp"


# --- tenants -----------------------------------------------------------------------------------


def get_tenant(session: Session, slug: str) -> Tenant | None:
    return session.scalar(select(Tenant).where(Tenant.slug == slug))


def get_tenant_by_id(session: Session, tenant_id: int) -> Tenant | None:
    return session.get(Tenant, tenant_id)


def get_or_create_tenant(session: Session, slug: str) -> Tenant:
    """A tenant is created on first use."""
    tenant = get_tenant(session, slug)
    if tenant is None:
        tenant = Tenant(slug=slug, name=slug, index_version=0)
        session.add(tenant)
        session.flush()
    return tenant


def create_tenant(session: Session, slug: str, name: str | None = None) -> Tenant:
    """A new tenant (the caller has checked that the slug is free)."""
    tenant = Tenant(slug=slug, name=name or slug, index_version=0)
    session.add(tenant)
    session.flush()
    return tenant


def list_tenants(session: Session) -> Sequence[Tenant]:
    return session.scalars(select(Tenant).order_by(Tenant.id)).all()


def bump_index_version(session: Session, tenant: Tenant) -> int:
    """Mark the catalog as changed; the published index must catch up to this number."""
    tenant.index_version = (tenant.index_version or 0) + 1
    session.flush()
    return tenant.index_version


# --- API keys ----------------------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_key(
    session: Session, tenant: Tenant, role: str, employee_id: str | None = None, label: str | None = None
) -> tuple[ApiKey, str]:
    """Store a new key's hash; returns the row and the plain key (shown once)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        tenant_id=tenant.id,
        prefix=prefix,
        key_hash=hash_secret(secret),
        role=role,
        employee_id=employee_id,
        label=label,
    )
    session.add(key)
    session.flush()
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


def find_api_key(session: Session, token: str) -> ApiKey | None:
    """The live key matching a presented token, compared by hash in constant time."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1], ApiKey.revoked_at.is_(None)))
    if key is None or not secrets.compare_digest(key.key_hash, hash_secret(parts[2])):
        return None
    return key


def record_key_use(session: Session, key_id: int, now: datetime, every: timedelta) -> bool:
    """Set the key's last_used_at to `now` unless it was set `every` or less before: one UPDATE
    whose condition holds for one request only, however many workers see the same key at once.
    True when it wrote. Cross-tenant like find_api_key: it runs as a request is authenticated."""
    result = session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - every))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def list_api_keys(session: Session, tenant_id: int) -> Sequence[ApiKey]:
    """The tenant's keys, revoked ones too, oldest first (rows hold only hashes, never a secret)."""
    return session.scalars(select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.id)).all()


def get_api_key(session: Session, tenant_id: int, key_id: int) -> ApiKey | None:
    """One of the tenant's keys by its id."""
    return session.scalar(select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id))


def get_api_key_by_ref(session: Session, ref: str) -> ApiKey | None:
    """A key named as `leerpad keys list` shows it: its prefix (or a whole key, whose prefix is
    used), else its numeric id."""
    ref = ref.strip()
    parts = ref.split("_", 2)
    if len(parts) == 3 and parts[0] == KEY_PREFIX:
        ref = parts[1]
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == ref))
    if key is None and ref.isdigit():
        key = session.get(ApiKey, int(ref))
    return key


def revoke_api_key(session: Session, key: ApiKey) -> bool:
    """Revoke a key from now on (find_api_key stops finding it); False when it was revoked already."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    # Its dashboard logins end with it (find_session already refuses them; this drops the rows).
    session.execute(delete(DashboardSession).where(DashboardSession.key_id == key.id))
    session.flush()
    return True


# --- catalog -----------------------------------------------------------------------------------


def items_of_source(session: Session, tenant_id: int, source: str) -> dict[str, CatalogItem]:
    """All items (active and retired) of one source, by external id, with their units loaded."""
    rows = session.scalars(
        select(CatalogItem)
        .where(CatalogItem.tenant_id == tenant_id, CatalogItem.source == source)
        .options(selectinload(CatalogItem.units))
    ).all()
    return {row.external_id: row for row in rows}


def active_titles_of_source(session: Session, tenant_id: int, source: str) -> dict[str, str]:
    """The active items of one source: external id -> title, in the order they were stored."""
    rows = session.execute(
        select(CatalogItem.external_id, CatalogItem.title)
        .where(
            CatalogItem.tenant_id == tenant_id,
            CatalogItem.source == source,
            CatalogItem.status == ITEM_ACTIVE,
        )
        .order_by(CatalogItem.id)
    ).all()
    return {external_id: title for external_id, title in rows}


@dataclass(frozen=True)
class ItemFilter:
    source: str | None = None
    language: str | None = None
    format: str | None = None
    level: str | None = None
    status: str | None = ITEM_ACTIVE
    q: str | None = None


def list_items(
    session: Session, tenant_id: int, filters: ItemFilter, after_id: int, limit: int
) -> Sequence[CatalogItem]:
    """A page of items in id order, starting after `after_id` (keyset pagination)."""
    query = select(CatalogItem).where(CatalogItem.tenant_id == tenant_id, CatalogItem.id > after_id)
    if filters.status:
        query = query.where(CatalogItem.status == filters.status)
    if filters.source:
        query = query.where(CatalogItem.source == filters.source)
    if filters.language:
        query = query.where(CatalogItem.language == filters.language)
    if filters.format:
        query = query.where(CatalogItem.format == filters.format)
    if filters.level:
        query = query.where(CatalogItem.level == filters.level)
    if filters.q:
        query = query.where(CatalogItem.title.ilike(f"%{filters.q}%"))
    query = query.order_by(CatalogItem.id).limit(limit).options(selectinload(CatalogItem.units))
    return session.scalars(query).all()


def get_item(session: Session, tenant_id: int, item_id: int) -> CatalogItem | None:
    return session.scalar(
        select(CatalogItem)
        .where(CatalogItem.tenant_id == tenant_id, CatalogItem.id == item_id)
        .options(selectinload(CatalogItem.units))
    )


def unit_texts(session: Session, tenant_id: int, unit_ids: Sequence[int]) -> dict[int, str]:
    """The texts of these units by id (active units of active items only): what a search hit quotes."""
    if not unit_ids:
        return {}
    rows = session.execute(
        select(MicroUnit.id, MicroUnit.text)
        .join(CatalogItem, MicroUnit.item_id == CatalogItem.id)
        .where(*_active_units_among(tenant_id, unit_ids))
    ).all()
    return {int(row[0]): str(row[1] or "") for row in rows}


def _active_units_among(tenant_id: int, unit_ids: Sequence[int]) -> tuple[ColumnElement[bool], ...]:
    """Conditions for these units, when active, of active items of the tenant (units joined to items)."""
    return (
        MicroUnit.tenant_id == tenant_id,
        MicroUnit.id.in_(list(unit_ids)),
        MicroUnit.active.is_(True),
        CatalogItem.status == ITEM_ACTIVE,
    )


@dataclass(frozen=True)
class UnitCard:
    """What a path needs of an active unit and its item, read as plain columns: building ORM objects
    for hundreds of candidates per request cost more than the whole retrieval."""

    unit_id: int
    item_id: int
    unit_title: str
    minutes: int
    position: int
    anchor: str | None
    item_title: str
    url: str | None
    language: str
    format: str
    level: str | None
    rating: float | None
    updated_at: datetime | None  # the source's own date of the content; None when it gave none
    source: str
    external_id: str
    minutes_known: bool = True  # False: the source gave no duration; `minutes` is a reading-time guess


UNIT_CARD_COLUMNS = (
    MicroUnit.id,
    CatalogItem.id,
    MicroUnit.title,
    MicroUnit.minutes,
    MicroUnit.position,
    MicroUnit.anchor,
    CatalogItem.title,
    CatalogItem.url,
    CatalogItem.language,
    CatalogItem.format,
    CatalogItem.level,
    CatalogItem.rating,
    CatalogItem.source_updated_at,  # never the import date: "recently updated" must be the source's word
    CatalogItem.source,
    CatalogItem.external_id,
    CatalogItem.extra,
)


def unit_card(row: Sequence[Any]) -> UnitCard:
    """A row selected with UNIT_CARD_COLUMNS first, as a card."""
    updated_at = row[12]
    if isinstance(updated_at, str):
        updated_at = datetime.fromisoformat(updated_at)
    if updated_at is not None and updated_at.tzinfo is None:
        updated_at = updated_at.replace(tzinfo=UTC)
    return UnitCard(
        unit_id=int(row[0]),
        item_id=int(row[1]),
        unit_title=row[2],
        minutes=int(row[3]),
        position=int(row[4]),
        anchor=row[5],
        item_title=row[6],
        url=row[7],
        language=row[8],
        format=row[9],
        level=row[10],
        rating=None if row[11] is None else float(row[11]),
        updated_at=updated_at,
        source=row[13],
        external_id=row[14],
        minutes_known=not (isinstance(row[15], dict) and row[15].get("minutes_estimated")),
    )


def active_unit_cards(session: Session, tenant_id: int) -> list[UnitCard]:
    """Cards of every active unit of an active item: what a snapshot's catalog columns hold."""
    rows = session.execute(
        select(*UNIT_CARD_COLUMNS)
        .join(CatalogItem, MicroUnit.item_id == CatalogItem.id)
        .where(
            MicroUnit.tenant_id == tenant_id, MicroUnit.active.is_(True), CatalogItem.status == ITEM_ACTIVE
        )
        .order_by(MicroUnit.id)
    ).all()
    return list(map(unit_card, rows))


def active_unit_vectors(session: Session, tenant_id: int) -> tuple[list[int], list[bytes], set[str]]:
    """Ids and stored vectors of every active, embedded unit; plus the models that made them."""
    rows = session.execute(
        select(MicroUnit.id, MicroUnit.embedding, MicroUnit.embedding_model)
        .where(
            MicroUnit.tenant_id == tenant_id,
            MicroUnit.active.is_(True),
            MicroUnit.embedding.is_not(None),
        )
        .order_by(MicroUnit.id)
    ).all()
    return [r[0] for r in rows], [r[1] for r in rows if r[1] is not None], {r[2] or "" for r in rows}


def embedding_models_in_use(session: Session, tenant_id: int) -> set[str]:
    """The models that made the stored vectors of the tenant's active units and its skills."""
    units = select(MicroUnit.embedding_model).where(
        MicroUnit.tenant_id == tenant_id, MicroUnit.active.is_(True), MicroUnit.embedding.is_not(None)
    )
    skills = select(Skill.embedding_model).where(Skill.tenant_id == tenant_id, Skill.embedding.is_not(None))
    return {str(m or "") for m in session.scalars(units.union(skills)).all()}


def count_active_units(session: Session, tenant_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(MicroUnit)
            .where(MicroUnit.tenant_id == tenant_id, MicroUnit.active.is_(True))
        )
        or 0
    )


def count_items_by_status(session: Session, tenant_id: int) -> dict[str, int]:
    rows = session.execute(
        select(CatalogItem.status, func.count())
        .where(CatalogItem.tenant_id == tenant_id)
        .group_by(CatalogItem.status)
    ).all()
    return {status: int(n) for status, n in rows}


# --- ingest runs -------------------------------------------------------------------------------


def record_ingest_run(
    session: Session,
    tenant_id: int,
    *,
    kind: str,
    source: str,
    path: str,
    dry_run: bool,
    status: str,
    report: dict[str, Any],
    error: str | None,
    started_at: datetime,
) -> IngestRun:
    run = IngestRun(
        tenant_id=tenant_id,
        kind=kind,
        source=source,
        path=path,
        dry_run=dry_run,
        status=status,
        report=report,
        error=error,
        started_at=started_at,
        finished_at=utcnow(),
    )
    session.add(run)
    session.flush()
    return run


# --- jobs --------------------------------------------------------------------------------------


def enqueue_job(session: Session, tenant_id: int, kind: str, payload: dict[str, Any]) -> Job:
    job = Job(tenant_id=tenant_id, kind=kind, status=JOB_QUEUED, payload=payload, attempts=0)
    session.add(job)
    session.flush()
    return job


def enqueue_employee_job(session: Session, tenant_id: int, kind: str, employee_id: int) -> bool:
    """Queue a job of `kind` for one employee (payload `{"employee_id": <row id>}`) unless one is
    queued for them already; True when a new one was queued, in the caller's transaction.

    The waiting job is found by a conditional update (it sets nothing new), so on PostgreSQL its row
    stays locked until the caller commits: a worker's claim (FOR UPDATE SKIP LOCKED) passes it by
    until the caller's writes are visible, and a job a worker claimed first (it runs on what it
    read) is no longer queued, so a new one is. On SQLite the database's one writer orders them."""
    waiting = session.execute(
        update(Job)
        .where(
            Job.tenant_id == tenant_id,
            Job.kind == kind,
            Job.status == JOB_QUEUED,
            Job.payload["employee_id"].as_integer() == employee_id,
        )
        .values(status=JOB_QUEUED)
        .execution_options(synchronize_session=False)
    )
    if waiting.rowcount:  # type: ignore[attr-defined]
        return False
    enqueue_job(session, tenant_id, kind, {"employee_id": employee_id})
    return True


def latest_job_of_kind(session: Session, tenant_id: int, kind: str) -> Job | None:
    return session.scalar(
        select(Job)
        .where(Job.tenant_id == tenant_id, Job.kind == kind)
        .order_by(Job.created_at.desc())
        .limit(1)
    )


def get_job(session: Session, tenant_id: int, job_id: int) -> Job | None:
    return session.scalar(select(Job).where(Job.tenant_id == tenant_id, Job.id == job_id))


def claim_next_job(session: Session, worker: str) -> Job | None:
    """Take the oldest queued job. The conditional update makes the claim atomic on SQLite too;
    on PostgreSQL, concurrent workers also skip rows another one holds (FOR UPDATE SKIP LOCKED).
    The claim starts the job's lease: `heartbeat_at` is now, and `heartbeat_job` keeps it fresh."""
    query = select(Job.id).where(Job.status == JOB_QUEUED).order_by(Job.created_at, Job.id).limit(1)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    job_id = session.scalar(query)
    if job_id is None:
        return None
    now = utcnow()
    claimed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JOB_QUEUED)
        .values(
            status=JOB_RUNNING, locked_by=worker, started_at=now, heartbeat_at=now, attempts=Job.attempts + 1
        )
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return None
    job = session.get(Job, job_id, populate_existing=True)
    return job


def heartbeat_job(session: Session, job_id: int, worker: str) -> bool:
    """Renew the lease of a job `worker` runs; False when the job is no longer its own (it was
    requeued, or another worker holds it now)."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JOB_RUNNING, Job.locked_by == worker)
        .values(heartbeat_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish_job(
    session: Session, job_id: int, worker: str, result: dict[str, Any] | None, error: str | None
) -> bool:
    """Record the outcome of a job `worker` ran; False (and nothing written) when the job is no
    longer its own: its lease ran out and another worker took it over, whose outcome counts."""
    finished = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker)
        .values(
            status=JOB_FAILED if error else JOB_SUCCEEDED,
            result=result,
            error=error,
            finished_at=utcnow(),
            locked_by=None,
        )
    )
    return bool(finished.rowcount)  # type: ignore[attr-defined]


def running_jobs(session: Session) -> Sequence[Job]:
    return session.scalars(select(Job).where(Job.status == JOB_RUNNING)).all()


def _still_held(job_id: int, owner: str | None, stale_before: datetime | None) -> list[ColumnElement[bool]]:
    """The job is running, held by `owner` (when given), and its lease ran out before `stale_before`
    (when given): nothing changed since it was read."""
    conditions: list[ColumnElement[bool]] = [Job.id == job_id, Job.status == JOB_RUNNING]
    if owner is not None:
        conditions.append(Job.locked_by == owner)
    if stale_before is not None:
        conditions.append(func.coalesce(Job.heartbeat_at, Job.started_at) < stale_before)
    return conditions


def requeue_job(
    session: Session, job_id: int, *, owner: str | None = None, stale_before: datetime | None = None
) -> int:
    """A running job whose worker died goes back to the queue. With `owner` and `stale_before`, only
    while that worker still holds it with a lease older than then (another worker may have requeued
    and claimed it, or the owner renewed its lease, since it was read)."""
    result = session.execute(
        update(Job)
        .where(*_still_held(job_id, owner, stale_before))
        .values(status=JOB_QUEUED, locked_by=None, heartbeat_at=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def fail_running_job(
    session: Session,
    job_id: int,
    error: str,
    *,
    owner: str | None = None,
    stale_before: datetime | None = None,
) -> int:
    """A running job whose worker died, and that must not run again, ends as failed (same guards as
    `requeue_job`)."""
    result = session.execute(
        update(Job)
        .where(*_still_held(job_id, owner, stale_before))
        .values(status=JOB_FAILED, error=error, finished_at=utcnow(), locked_by=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
