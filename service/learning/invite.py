"""The employee's invite for their next Learning Day (`.ics`), written by the icalendar package: one
all-day event with the units their latest path plans on that day (title, minutes, link) in its
description. Catalog titles are hostile text: icalendar escapes `\\`, `;`, `,` and newlines in TEXT
values and folds long lines, so no title can end the event or add a property of its own."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event
from sqlalchemy.orm import Session

from models import learning_repository as learning
from models.tables import Employee
from service.learning.days import next_employee_day

PRODUCT_ID = "-//Leerpad//Learning Days//EN"
MAX_UNITS = 50


def day_units(response: dict[str, Any], day: date) -> list[dict[str, Any]]:
    """The steps of a stored path planned on `day`."""
    steps = response.get("steps") or []
    return [s for s in steps if isinstance(s, dict) and s.get("learning_day") == day.isoformat()][:MAX_UNITS]


def _description(units: list[dict[str, Any]], dutch: bool) -> str:
    if not units:
        return (
            "Vraag een leerpad aan om deze dag te vullen."
            if dutch
            else "Ask for a learning path to fill this day."
        )
    lines = []
    for unit in units:
        line = f"- {unit.get('title', '')} ({int(unit.get('minutes') or 0)} min)"
        if unit.get("url"):
            line += f" {unit['url']}"
        lines.append(line)
    return "\n".join(lines)


def invite(
    session: Session, tenant_id: int, tenant_slug: str, employee: Employee, now: datetime
) -> bytes | None:
    """The .ics of the employee's next Learning Day, or None when they have none (no company setting,
    or they opted out)."""
    day = next_employee_day(session, tenant_id, employee, now.date())
    if day is None:
        return None
    latest = learning.latest_path(session, tenant_id, employee.id)
    units = day_units(latest.response, day) if latest else []
    dutch = employee.language == "nl"
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"learning-day-{day.isoformat()}-{employee.id}@{tenant_slug}.leerpad")
    event.add("dtstamp", now)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", "Leerdag" if dutch else "Learning Day")
    event.add("description", _description(units, dutch))
    event.add("transp", "OPAQUE")
    event.add("categories", ["Learning Day"])
    calendar.add_component(event)
    return bytes(calendar.to_ical())
