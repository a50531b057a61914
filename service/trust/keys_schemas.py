"""What the keys API shows of a key: never its secret."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from models.tables import ApiKey


class ApiKeyPublic(BaseModel):
    key_id: int
    prefix: str
    role: str
    employee_id: str | None
    label: str | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None  # true to within a minute (written at most once a minute); None: never

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyPublic:
        return cls(
            key_id=key.id,
            prefix=key.prefix,
            role=key.role,
            employee_id=key.employee_id,
            label=key.label,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )
