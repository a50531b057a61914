"""A job as the API shows it (GET /v1/jobs/{id}, and every route that queues one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from models.tables import Job


class JobPublic(BaseModel):
    job_id: int
    kind: str
    status: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    report: dict[str, Any] | None = Field(
        description="When finished: the ingest report of an ingest job, the verdict of a retrain job"
    )


def job_public(job: Job) -> JobPublic:
    """A job row as the API shows it."""
    return JobPublic(
        job_id=job.id,
        kind=job.kind,
        status=job.status,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        error=job.error,
        report=job.result,
    )
