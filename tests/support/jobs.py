"""Running queued jobs in the test's own process."""

from __future__ import annotations

from models.tables import JOB_FAILED, JOB_SUCCEEDED, Job
from service.core.runtime import Runtime
from service.worker import run_next_job


def run_job(runtime: Runtime, job_id: int) -> None:
    """Run queued jobs until this one has ended (a shared test database may hold older ones)."""
    for _ in range(1000):  # other tests' jobs (a daily purge per tenant, say) may be ahead of it
        with runtime.sessions() as session:
            job = session.get(Job, job_id)
            assert job is not None
            if job.status in (JOB_SUCCEEDED, JOB_FAILED):
                return
        assert run_next_job(runtime), f"job {job_id} is not in the queue"
    raise AssertionError(f"job {job_id} did not end")
