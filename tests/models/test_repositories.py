"""Repositories against SQLite and PostgreSQL: keys (and when they were last used), tenants, jobs
claimed exactly once, path candidates."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from ingest.indexing import columns_from_database, tags_from_database
from models import repositories as repo
from models import taxonomy_repository as tax
from models.db import transaction
from models.tables import (
    JOB_FAILED,
    JOB_QUEUED,
    JOB_RUNNING,
    JOB_SUCCEEDED,
    CatalogItem,
    ItemSkill,
    Job,
    MicroUnit,
    Skill,
)
from service.core.runtime import Runtime


def test_api_key_is_found_by_its_secret_only(runtime: Runtime, tenant: str) -> None:
    with transaction(runtime.sessions) as session:
        row = repo.get_or_create_tenant(session, tenant)
        key, secret = repo.create_api_key(session, row, "ld")
        assert key.key_hash != secret and secret not in key.key_hash
    with runtime.sessions() as session:
        found = repo.find_api_key(session, secret)
        assert found is not None and found.role == "ld"
        assert repo.find_api_key(session, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
        assert repo.find_api_key(session, "not-a-key") is None


def test_a_keys_use_is_recorded_only_when_the_last_is_older_than_the_interval(
    runtime: Runtime, tenant: str
) -> None:
    every = timedelta(seconds=60)
    start = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    with transaction(runtime.sessions) as session:
        key, _ = repo.create_api_key(session, repo.get_or_create_tenant(session, tenant), "lms")
        assert key.last_used_at is None
    steps = [(0, True), (30, False), (60, False), (61, True), (120, False), (200, True)]
    recorded = start
    for seconds, writes in steps:
        now = start + timedelta(seconds=seconds)
        with transaction(runtime.sessions) as session:
            assert repo.record_key_use(session, key.id, now, every) is writes, seconds
        recorded = now if writes else recorded
        with runtime.sessions() as session:
            row = repo.get_api_key(session, key.tenant_id, key.id)
            assert row is not None and row.last_used_at == recorded, seconds


def test_get_or_create_tenant_is_idempotent(runtime: Runtime, tenant: str) -> None:
    with transaction(runtime.sessions) as session:
        first = repo.get_or_create_tenant(session, tenant).id
    with transaction(runtime.sessions) as session:
        assert repo.get_or_create_tenant(session, tenant).id == first


def test_concurrent_workers_claim_each_job_once(runtime: Runtime, tenant: str) -> None:
    with transaction(runtime.sessions) as session:
        row = repo.get_or_create_tenant(session, tenant)
        job_ids = {repo.enqueue_job(session, row.id, "noop", {"n": n}).id for n in range(12)}
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while True:
            with transaction(runtime.sessions) as session:
                job = repo.claim_next_job(session, name)
                if job is None:
                    return
                with lock:
                    claimed.append(job.id)
                repo.finish_job(session, job.id, name, {"ok": True}, None)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    mine = [job_id for job_id in claimed if job_id in job_ids]
    assert sorted(mine) == sorted(job_ids)
    with runtime.sessions() as session:
        for job_id in job_ids:
            job = repo.get_job(session, repo.get_tenant(session, tenant).id, job_id)  # type: ignore[union-attr]
            assert job is not None and job.status == JOB_SUCCEEDED and job.attempts == 1


def test_orphaned_running_job_goes_back_to_the_queue(runtime: Runtime, tenant: str) -> None:
    with transaction(runtime.sessions) as session:
        row = repo.get_or_create_tenant(session, tenant)
        job = repo.enqueue_job(session, row.id, "noop", {})
    with transaction(runtime.sessions) as session:
        claimed = repo.claim_next_job(session, "gone-host:1:1")
        assert claimed is not None
    with transaction(runtime.sessions) as session:
        assert repo.get_job(session, row.id, job.id).status == JOB_RUNNING  # type: ignore[union-attr]
        assert repo.requeue_job(session, job.id) == 1
    with runtime.sessions() as session:
        assert repo.get_job(session, row.id, job.id).status == JOB_QUEUED  # type: ignore[union-attr]
    with transaction(runtime.sessions) as session:  # leave no queued job for other tests' workers
        left = session.get(Job, job.id)
        assert left is not None
        left.status = JOB_FAILED


def test_one_job_waits_per_employee_and_a_claimed_one_gets_a_successor(runtime: Runtime, tenant: str) -> None:
    kind = "employee-noop"
    with transaction(runtime.sessions) as session:
        row, other = (
            repo.get_or_create_tenant(session, tenant),
            repo.get_or_create_tenant(session, tenant + "-b"),
        )
        assert repo.enqueue_employee_job(session, row.id, kind, 7) is True
        assert repo.enqueue_employee_job(session, row.id, kind, 7) is False  # one is waiting already
        assert repo.enqueue_employee_job(session, row.id, kind, 8) is True  # another employee
        assert repo.enqueue_employee_job(session, row.id, "other-noop", 7) is True  # another kind
        assert repo.enqueue_employee_job(session, other.id, kind, 7) is True  # another tenant
    with transaction(runtime.sessions) as session:
        waiting = session.scalars(select(Job).where(Job.tenant_id == row.id, Job.kind == kind)).all()
        assert sorted(job.payload["employee_id"] for job in waiting) == [7, 8]
        first = next(job for job in waiting if job.payload["employee_id"] == 7)
        first.status = JOB_RUNNING  # a worker claimed it: it runs on what it read
    with transaction(runtime.sessions) as session:
        assert repo.enqueue_employee_job(session, row.id, kind, 7) is True
        assert repo.enqueue_employee_job(session, row.id, kind, 7) is False
    with transaction(runtime.sessions) as session:  # leave no queued job for other tests' workers
        mine = session.scalars(select(Job).where(Job.tenant_id.in_([row.id, other.id]))).all()
        assert len(mine) == 5  # four, and the successor
        for job in mine:
            job.status = JOB_FAILED


def _item(tenant_id: int, number: int, rating: float | None, status: str = "active") -> CatalogItem:
    return CatalogItem(
        tenant_id=tenant_id,
        source="test",
        kind="csv",
        external_id=f"x{number}",
        title=f"Item {number}",
        description="",
        language="nl",
        minutes=10,
        format="article",
        rating=rating,
        content_hash="h",
        status=status,
        units=[
            MicroUnit(
                tenant_id=tenant_id, position=0, title=f"Part {number}", text="t", minutes=10, text_hash="h"
            )
        ],
    )


def test_tag_table_keeps_the_most_confident_per_skill(runtime: Runtime, tenant: str) -> None:
    """The catalog columns and tag table a path request reads, as the publisher and a worker build them
    from the database: per skill the most confident tags first, ties by rating; rejected tags and
    retired items left out."""
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        skill = Skill(
            tenant_id=tenant_id, key=f"custom:{tenant}", origin="custom", label_en="Skill", content_hash="h"
        )
        items = [_item(tenant_id, n, rating=float(n)) for n in range(6)]
        items.append(_item(tenant_id, 6, rating=None, status="retired"))
        session.add_all([skill, *items])
        session.flush()
        # confidences: items 0-2 at 0.9 (ties broken by rating, best first), 3 at 0.95, 4 rejected, 5 at 0.5
        confidence = [0.9, 0.9, 0.9, 0.95, 0.99, 0.5, 0.99]
        for number, item in enumerate(items):
            status = "rejected" if number == 4 else "auto"
            session.add(
                ItemSkill(
                    tenant_id=tenant_id,
                    item_id=item.id,
                    skill_id=skill.id,
                    confidence=confidence[number],
                    origin="label",
                    status=status,
                )
            )
        skill_id = skill.id
        titles = {item.units[0].id: item.title for item in items}
    try:
        with runtime.sessions() as session:
            columns = columns_from_database(session, tenant_id)
            table = tags_from_database(session, tenant_id, columns)
            best = table.best(columns, [skill_id], (), per_skill=3)
            rows = best.rows.tolist()
            assert [
                (skill, confidence, titles[int(columns.unit_id[row])])
                for skill, confidence, row in zip(
                    best.skills.tolist(), best.confidence.tolist(), rows, strict=True
                )
            ] == [
                (skill_id, 0.95, "Item 3"),
                (skill_id, 0.9, "Item 2"),
                (skill_id, 0.9, "Item 1"),
            ]
            card = columns.unit(rows[0])
            assert {table.evidence_of(e) for e in best.entries.tolist()} <= {
                "declared",
                "label",
                "embedding",
                "confirmed",
            }
            assert (card.item_title, card.unit_title, card.language, card.rating) == (
                "Item 3",
                "Part 3",
                "nl",
                3.0,
            )
            everything = table.best(columns, [skill_id], (), per_skill=60)
            assert sorted(titles[int(columns.unit_id[row])] for row in everything.rows.tolist()) == [
                f"Item {n}" for n in (0, 1, 2, 3, 5)
            ]
            assert sorted(columns.item_title.text(row) for row in range(columns.size)) == [
                f"Item {n}" for n in range(6)
            ]
            assert table.covered([skill_id], 0.92) == {skill_id}
            assert table.covered([skill_id], 0.99) == set()  # the 0.99 tags are rejected or retired
    finally:  # a catalog without vectors would make this shared database's readiness check fail
        with transaction(runtime.sessions) as session:
            session.execute(delete(CatalogItem).where(CatalogItem.tenant_id == tenant_id))


def test_every_tag_change_moves_the_tags_version(runtime: Runtime, tenant: str) -> None:
    """A worker rebuilds its tag table when `tags_version` moves: adding, reviewing and removing a tag
    through a session each move it once; a flush that changes no tag does not."""

    def version() -> int:
        with runtime.sessions() as session:
            found = repo.get_tenant(session, tenant)
            assert found is not None
            return found.tags_version

    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        skill = Skill(
            tenant_id=tenant_id,
            key=f"versioned:{tenant}",
            origin="custom",
            label_en="Skill",
            content_hash="h",
        )
        item = _item(tenant_id, 1, rating=None)
        session.add_all([skill, item])
    start = version()
    try:
        with transaction(runtime.sessions) as session:
            session.add(
                ItemSkill(
                    tenant_id=tenant_id, item_id=item.id, skill_id=skill.id, confidence=0.8, origin="label"
                )
            )
        assert version() == start + 1
        with transaction(runtime.sessions) as session:
            found = session.get(CatalogItem, item.id)
            assert found is not None
            found.title = "Renamed"  # not a tag
        assert version() == start + 1
        with transaction(runtime.sessions) as session:
            tag = tax.get_item_tag(session, tenant_id, item.id, skill.id)
            assert tag is not None
            tag.status = "rejected"
        assert version() == start + 2
        with transaction(runtime.sessions) as session:
            tag = tax.get_item_tag(session, tenant_id, item.id, skill.id)
            session.delete(tag)
        assert version() == start + 3
    finally:
        with transaction(runtime.sessions) as session:
            session.execute(delete(CatalogItem).where(CatalogItem.tenant_id == tenant_id))
