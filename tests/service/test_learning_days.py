"""Learning Days (the calendar rule, the day budget in a path, the .ics invite), an employee's own
progress, team challenges with opt-in, and the KPIs they add, with groups under five hidden."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from icalendar import Calendar

from models import people_repository as people
from models import repositories as repo
from models.db import transaction
from models.tables import LearningPath
from service.core.runtime import Runtime
from service.learning.calendar import minutes_per_day, occurrences
from service.learning.schemas import LearningDaySettings
from tests.support.api_keys import make_key
from tests.support.xapi import statement

FIRST_FRIDAY = {"mode": "calendar", "frequency": "monthly", "weekday": "friday", "nth": 1, "hours_per_day": 8}
HOSTILE = "Evil\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:pwned; a,b \\ c"


def test_the_first_friday_of_each_month_across_a_year_boundary() -> None:
    rule = LearningDaySettings.model_validate(FIRST_FRIDAY)
    assert occurrences(rule, date(2026, 11, 15), date(2027, 3, 5)) == [
        date(2026, 12, 4),
        date(2027, 1, 1),  # a public holiday stays a Learning Day: holidays are out of scope
        date(2027, 2, 5),
        date(2027, 3, 5),
    ]
    assert occurrences(rule, date(2026, 11, 15), date(2027, 2, 1), "monday") == [
        date(2026, 12, 7),
        date(2027, 1, 4),
        date(2027, 2, 1),
    ]
    assert occurrences(rule, date(2026, 11, 15), date(2027, 3, 5), "off") == []
    last = LearningDaySettings.model_validate({**FIRST_FRIDAY, "nth": -1})
    assert occurrences(last, date(2026, 12, 1), date(2027, 1, 31)) == [date(2026, 12, 25), date(2027, 1, 29)]
    assert minutes_per_day(rule) == 480
    share = LearningDaySettings.model_validate(
        {"mode": "share", "share_percent": 5, "contract_hours_per_week": 36, "frequency": "monthly"}
    )
    assert minutes_per_day(share) == 468  # 5% of 36 h = 108 min a week, 52/12 weeks a month
    weekly = share.model_copy(update={"frequency": "weekly"})
    assert minutes_per_day(weekly) == 108


def _set_days(
    client: TestClient, runtime: Runtime, company: str, body: dict[str, object]
) -> dict[str, object]:
    admin = make_key(runtime, company, "admin")
    answer = client.put("/v1/settings/learning-days", json=body, headers=admin)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_path_plans_units_on_the_learning_day_and_the_invite_lists_them(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    lms, ld = make_key(runtime, company, "lms"), make_key(runtime, company, "ld")
    assert client.get("/v1/settings/learning-days", headers=ld).json()["enabled"] is False
    assert client.get("/v1/employees/e-1/learning-day.ics", headers=lms).status_code == 404
    weekly = {"mode": "calendar", "frequency": "weekly", "weekday": "friday", "hours_per_day": 1}
    settings = _set_days(client, runtime, company, weekly)
    assert settings["minutes_per_day"] == 60 and len(settings["next_days"]) == 6
    assert (
        client.put(
            "/v1/settings/learning-days", json={"mode": "share"}, headers=make_key(runtime, company)
        ).status_code
        == 422
    )

    path = client.post("/v1/employees/e-1/path", json={"minutes_per_week": 5, "weeks": 2}, headers=lms)
    assert path.status_code == 200, path.text
    body = path.json()
    days = [d["date"] for d in body["learning_days"]]
    assert len(days) == 2 and all(date.fromisoformat(d).weekday() == 4 for d in days)
    on_days = [s for s in body["steps"] if s["learning_day"]]
    assert on_days, body["steps"]
    for day in body["learning_days"]:
        planned = [s["minutes"] for s in body["steps"] if s["learning_day"] == day["date"]]
        assert sum(planned) == day["planned_minutes"] <= day["minutes"] == 60
    assert body["total_minutes"] <= body["budget_minutes"] == 5 * 2 + 60 * 2

    first = body["learning_days"][0]["date"]
    ics = client.get(
        "/v1/employees/e-1/learning-day.ics", headers=make_key(runtime, company, "employee", "e-1")
    )
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(ics.content).walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert event.decoded("dtstart") == date.fromisoformat(first)
    assert str(event["summary"]) == "Leerdag"
    for step in (s for s in body["steps"] if s["learning_day"] == first):
        assert f"{step['title']} ({step['minutes']} min) {step['url']}" in str(event["description"])

    # hostile catalog text: the title of a stored step holds a newline, ';', ',' and BEGIN:VEVENT
    with transaction(runtime.sessions) as session:
        tenant = repo.get_tenant(session, company)
        assert tenant is not None
        employee = people.get_employee(session, tenant.id, "e-1")
        assert employee is not None
        step = {"title": HOSTILE, "minutes": 10, "url": "https://lms.example/x", "learning_day": first}
        session.add(
            LearningPath(
                tenant_id=tenant.id,
                path_key="f" * 32,
                employee_id=employee.id,
                request={},
                response={"steps": [step]},
                model_version="test",
            )
        )
    ics = client.get("/v1/employees/e-1/learning-day.ics", headers=lms)
    parsed = Calendar.from_ical(ics.content)
    events = parsed.walk("VEVENT")
    assert len(events) == 1
    assert str(events[0]["description"]) == f"- {HOSTILE} (10 min) https://lms.example/x"
    assert str(events[0]["summary"]) == "Leerdag"

    # the employee opts out: no Learning Days in their path or invite
    client.put(
        "/v1/employees/e-1", json={"role": "analyst", "preferences": {"learning_day": "off"}}, headers=lms
    )
    again = client.post(
        "/v1/employees/e-1/path", json={"minutes_per_week": 5, "weeks": 2}, headers=lms
    ).json()
    assert again["learning_days"] == [] and not any(s["learning_day"] for s in again["steps"])
    assert client.get("/v1/employees/e-1/learning-day.ics", headers=lms).status_code == 404
    bad = {"role": "analyst", "preferences": {"learning_day": "someday"}}
    assert client.put("/v1/employees/e-1", json=bad, headers=lms).status_code == 422


def _team(client: TestClient, runtime: Runtime, company: str, team: str, count: int) -> list[str]:
    lms = make_key(runtime, company, "lms")
    keys = [f"{team}-{n}" for n in range(count)]
    for key in keys:
        body = {"role": "analyst", "team": team, "preferences": {"minutes_per_week": 30}}
        assert client.put(f"/v1/employees/{key}", json=body, headers=lms).status_code == 200
    return keys


def _learned(
    client: TestClient, runtime: Runtime, company: str, employee: str, minutes: int, when: datetime
) -> None:
    event = statement(employee, "completed", timestamp=when.isoformat().replace("+00:00", "Z"))
    event["result"] = {"duration": f"PT{minutes}M", "completion": True}
    answer = client.post("/v1/events", json=[event], headers=make_key(runtime, company, "lms"))
    assert answer.json()["accepted"] == 1, answer.text


def test_progress_and_team_challenges_show_no_one_elses_figures(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    now = datetime.now(UTC)
    members = _team(client, runtime, company, "data", 5)
    own = make_key(runtime, company, "employee", members[0])
    for weeks_ago, minutes in ((0, 20), (0, 15), (1, 30), (2, 45)):
        _learned(client, runtime, company, members[0], minutes, now - timedelta(weeks=weeks_ago, minutes=1))
    lms = make_key(runtime, company, "lms")
    evidence = [
        {"skill": "SQL", "level": 4, "source": "test", "observed_at": (now - timedelta(days=2)).isoformat()},
        {
            "skill": "Figma",
            "level": 3,
            "source": "manager",
            "observed_at": (now - timedelta(days=2)).isoformat(),
        },
    ]  # a milestone is a skill the gap model (GET .../gaps) puts at the level the role asks: Figma, not
    # SQL, whose test at 4 is weighed with the completions of a basic SQL course above
    assert (
        client.post(f"/v1/employees/{members[0]}/assessments", json=evidence, headers=lms).status_code == 200
    )

    progress = client.get(f"/v1/employees/{members[0]}/progress", headers=own)
    assert progress.status_code == 200, progress.text
    mine = progress.json()
    assert (mine["weekly_goal_minutes"], mine["minutes_this_week"], mine["goal_met_this_week"]) == (
        30,
        35,
        True,
    )
    assert mine["streak_weeks"] == 3
    assert [(m["skill"], m["required"]) for m in mine["milestones"]] == [("Figma", 3)]
    colleague = make_key(runtime, company, "employee", members[1])
    assert client.get(f"/v1/employees/{members[0]}/progress", headers=colleague).status_code == 403

    ld = make_key(runtime, company, "ld")
    start = now.date() - timedelta(days=1)
    challenge = {
        "team": "data",
        "title": "300 minuten",
        "goal_minutes": 300,
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=30)).isoformat(),
    }
    created = client.post("/v1/challenges", json=challenge, headers=ld)
    assert created.status_code == 201, created.text
    url = f"/v1/challenges/{created.json()['challenge_id']}/participants"
    assert client.put(f"{url}/{members[0]}", headers=colleague).status_code == 403
    outsider = _team(client, runtime, company, "sales", 1)[0]
    assert client.put(f"{url}/{outsider}", headers=lms).status_code == 422
    for n, member in enumerate(members[:4]):
        joined = client.put(f"{url}/{member}", headers=make_key(runtime, company, "employee", member)).json()
        assert joined["participants"] == n + 1 and joined["team_minutes"] is None and joined["suppressed"]
    _learned(client, runtime, company, members[4], 50, now - timedelta(minutes=1))
    five = client.put(f"{url}/{members[4]}", headers=lms).json()
    assert five["participants"] == 5 and not five["suppressed"]
    assert five["team_minutes"] == 20 + 15 + 50 and five["progress"] == round(85 / 300, 4)
    listed = client.get("/v1/challenges", headers=own).json()["challenges"]
    assert listed[0]["joined"] is True and listed[0]["team_minutes"] == 85
    assert "employees" not in listed[0] and members[4] not in str(listed)  # a total, never who did what
    assert (
        client.get(f"/v1/employees/{members[0]}/progress", headers=own).json()["challenges"][0][
            "team_minutes"
        ]
        == 85
    )
    left = client.delete(f"{url}/{members[4]}", headers=make_key(runtime, company, "employee", members[4]))
    assert left.json()["participants"] == 4 and left.json()["team_minutes"] is None


def test_the_kpis_show_learning_day_use_and_time_to_proficiency_for_five_or_more(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    members = _team(client, runtime, company, "ops", 5)
    now = datetime.now(UTC)
    day = (now - timedelta(days=10)).date()
    lms = make_key(runtime, company, "lms")
    with transaction(runtime.sessions) as session:
        tenant = repo.get_tenant(session, company)
        assert tenant is not None
        for n, key in enumerate(members):
            employee = people.get_employee(session, tenant.id, key)
            assert employee is not None
            session.add(
                LearningPath(
                    tenant_id=tenant.id,
                    path_key=f"{n:032x}",
                    employee_id=employee.id,
                    request={"weeks": 2},
                    response={
                        "learning_days": [
                            {"date": day.isoformat(), "week": 1, "minutes": 480, "planned_minutes": 100}
                        ]
                    },
                    model_version="test",
                    created_at=now - timedelta(days=12),
                )
            )
    on_day = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
    for key, minutes in zip(members, (100, 50, 0, 200, 25), strict=True):
        if minutes:
            _learned(client, runtime, company, key, minutes, on_day)
        opened = (now - timedelta(days=40)).isoformat()
        reached = (now - timedelta(days=40 - 5 * (1 + members.index(key)))).isoformat()
        evidence = [
            {"skill": "SQL", "level": 1, "source": "test", "observed_at": opened},
            {"skill": "SQL", "level": 4, "source": "manager", "observed_at": reached},
        ]
        assert client.post(f"/v1/employees/{key}/assessments", json=evidence, headers=lms).status_code == 200

    ld = make_key(runtime, company, "ld")
    report = client.get("/v1/reports/kpis", headers=ld).json()  # e-1 and the five of ops
    use = report["learning_days"]
    assert use["overall"]["employees"] == 5 and not use["overall"]["suppressed"]
    assert use["overall"]["share"] == (100 + 50 + 0 + 100 + 25) / 500
    assert [t["team"] for t in use["teams"]] == ["ops"]
    sql = next(s for s in report["time_to_proficiency"] if s["skill"] == "SQL")
    assert sql["employees"] == 5 and sql["median_days"] == 15.0  # 5, 10, 15, 20, 25 days

    # four of them: hidden
    erased = client.delete(f"/v1/employees/{members[4]}", headers=make_key(runtime, company, "admin"))
    assert erased.status_code in (200, 204)
    smaller = client.get("/v1/reports/kpis", headers=ld).json()
    assert smaller["learning_days"]["overall"] == {
        "team": None,
        "employees": 4,
        "planned_minutes": None,
        "used_minutes": None,
        "share": None,
        "suppressed": True,
    }
    assert smaller["learning_days"]["teams"][0]["suppressed"]
    sql = next(s for s in smaller["time_to_proficiency"] if s["skill"] == "SQL")
    assert sql["employees"] == 4 and sql["median_days"] is None and sql["suppressed"]
