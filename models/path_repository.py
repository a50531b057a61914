"""Stored learning paths: kept with the model that built them, fetched again by their key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import LearningPath


def save_path(session: Session, path: LearningPath) -> LearningPath:
    session.add(path)
    session.flush()
    return path


def get_path(session: Session, tenant_id: int, path_key: str) -> LearningPath | None:
    return session.scalar(
        select(LearningPath).where(LearningPath.tenant_id == tenant_id, LearningPath.path_key == path_key)
    )
