"""An employee's own nudge settings: opt-in (nothing is sent without it), channel and address,
schedule, frequency, quiet hours."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import nudges_repository as nudges_repo
from models.tables import Employee, NudgePreference
from service.http.errors import NotFound
from service.nudges.schemas import NudgePreferencesIn, NudgePreferencesOut


def _out(employee: Employee, row: NudgePreference) -> NudgePreferencesOut:
    return NudgePreferencesOut(
        employee_id=employee.key,
        opted_in=row.opted_in,
        channel=row.channel,  # type: ignore[arg-type]
        address=row.address,
        weekday=row.weekday,
        hour=row.hour,
        timezone=row.timezone,
        frequency=row.frequency,  # type: ignore[arg-type]
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        updated_at=row.updated_at,
    )


def save_preferences(
    session: Session, tenant_id: int, employee: Employee, body: NudgePreferencesIn
) -> NudgePreferencesOut:
    row = nudges_repo.save_preference(session, tenant_id, employee.id, **body.model_dump())
    return _out(employee, row)


def read_preferences(session: Session, tenant_id: int, employee: Employee) -> NudgePreferencesOut:
    row = nudges_repo.get_preference(session, tenant_id, employee.id)
    if row is None:
        raise NotFound(f"{employee.key!r} has no nudge settings (not opted in)")
    return _out(employee, row)
