"""Repositories against SQLite and PostgreSQL: keys, tenants, jobs claimed exactly once."""

from __future__ import annotations

import threading

from models import repositories as repo
from models.db import transaction
from models.tables import JOB_QUEUED, JOB_RUNNING, JOB_SUCCEEDED
from service.runtime import Runtime


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
                repo.finish_job(session, job.id, {"ok": True}, None)

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
        repo.finish_job(session, job.id, None, "test done")
