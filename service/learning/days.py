"""Learning Days: the company's setting, the days of one employee, and the day budget of a path.

The week of a path runs from the day it is planned: week k holds the days start + 7(k - 1) to
start + 7k - 1, so a Learning Day today is in week 1.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from models import repositories as repo
from models.tables import Employee, Tenant
from recommender.errors import LeerpadError
from recommender.paths import LearningDay
from service.http.errors import NotFound
from service.learning.calendar import employee_choice, minutes_per_day, next_day, occurrences
from service.learning.schemas import LearningDaySettings, LearningDaysPublic

SHOWN_DAYS = 6  # the next Learning Days the settings show


class LearningDaysInputError(LeerpadError):
    """Learning Day settings or a request about them that cannot be used; the message names the field."""


def _tenant(session: Session, tenant_id: int) -> Tenant:
    tenant = repo.get_tenant_by_id(session, tenant_id)
    if tenant is None:
        raise NotFound("the key's tenant no longer exists")
    return tenant


def tenant_settings(session: Session, tenant_id: int) -> LearningDaySettings | None:
    """The company's Learning Days, or None when it set none."""
    stored = _tenant(session, tenant_id).learning_days
    return LearningDaySettings.model_validate(stored) if stored else None


def describe(session: Session, tenant_id: int, today: date) -> LearningDaysPublic:
    settings = tenant_settings(session, tenant_id)
    if settings is None:
        return LearningDaysPublic(enabled=False, settings=None, minutes_per_day=None, next_days=[])
    days = occurrences(settings, today, today + timedelta(days=400))[:SHOWN_DAYS]
    return LearningDaysPublic(
        enabled=True, settings=settings, minutes_per_day=minutes_per_day(settings), next_days=days
    )


def change(
    session: Session, tenant_id: int, settings: LearningDaySettings | None, today: date
) -> LearningDaysPublic:
    """Set (or with None, end) the company's Learning Days."""
    if settings is not None and minutes_per_day(settings) < 5:
        raise LearningDaysInputError("a Learning Day of these settings holds less than 5 minutes")
    tenant = _tenant(session, tenant_id)
    tenant.learning_days = settings.model_dump() if settings is not None else None
    session.flush()
    return describe(session, tenant_id, today)


def employee_days(
    session: Session, tenant_id: int, employee: Employee, start: date, end: date
) -> tuple[list[date], int]:
    """The employee's Learning Days from start to end (their weekday, none when they opted out) and
    the minutes of each."""
    settings = tenant_settings(session, tenant_id)
    if settings is None:
        return [], 0
    choice = employee_choice(dict(employee.preferences or {}))
    return occurrences(settings, start, end, choice), minutes_per_day(settings)


def next_employee_day(session: Session, tenant_id: int, employee: Employee, today: date) -> date | None:
    settings = tenant_settings(session, tenant_id)
    if settings is None:
        return None
    return next_day(settings, today, employee_choice(dict(employee.preferences or {})))


def path_learning_days(
    session: Session, tenant_id: int, employee: Employee, start: date, weeks: int
) -> tuple[LearningDay, ...]:
    """The day budget of a path planned on `start` over `weeks` weeks: each of the employee's Learning
    Days in that time, with its week and minutes."""
    if weeks <= 0:
        return ()
    days, minutes = employee_days(session, tenant_id, employee, start, start + timedelta(days=7 * weeks - 1))
    return tuple(LearningDay((day - start).days // 7 + 1, day.isoformat(), minutes) for day in days)
