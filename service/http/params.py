"""Path parameter types shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from service.core.schemas import MAX_ROW_ID

# A row id: 1 up to the largest BIGINT, so that no id a caller makes up reaches the database as an
# out-of-range number (PostgreSQL refuses those with an error, not with "no such row").
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

# A key the caller chose (employee_id, role_id): what an LMS or HR system can send in a path segment.
Key = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@-]+$")]
