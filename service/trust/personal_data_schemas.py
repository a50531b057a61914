"""The export of everything held about one employee (GET /v1/employees/{employee_id}/export)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from service.people.schemas import EmployeePublic, GapsPublic


class EmployeeExport(BaseModel):
    employee_id: str
    exported_at: datetime
    employee: EmployeePublic
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="Every table that holds data about employees (models/personal_data.py) with the "
        "rows about this one, columns as stored: learning events with the statement as received, "
        "paths with their request, answer and impressions, API keys without the secret's hash, "
        "audit entries found by the employee's pseudonym"
    )
    gaps: GapsPublic | None = Field(description="The gaps as the gap model computes them now")
    gaps_withheld: str | None = Field(description="Why `gaps` is null, when it is")
    erasure: dict[str, str] = Field(
        description="Per table: what DELETE /v1/employees/{employee_id} does to these rows"
    )
