"""The demo company's Learning Days and one team challenge: the first Friday of each month, 8 hours,
and "300 minutes of learning this month" for the platform team, which five of its people joined."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from models import learning_repository as learning
from models import repositories as repo
from models.db import transaction
from service.core.runtime import Runtime
from service.learning import challenges, days
from service.learning.schemas import ChallengeIn, LearningDaySettings

DEMO_DAYS = LearningDaySettings(
    mode="calendar", frequency="monthly", weekday="friday", nth=1, hours_per_day=8
)
TEAM = "platform"
JOINED = 5


def load_learning_days(runtime: Runtime, tenant: str) -> Iterator[str]:
    today = datetime.now(UTC).date()
    with transaction(runtime.sessions) as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None, "the demo tenant exists once its employees are loaded"
        if days.tenant_settings(session, row.id) is None:
            days.change(session, row.id, DEMO_DAYS, today)
        first = today.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        if not learning.list_challenges(session, row.id, TEAM):
            created = challenges.create(
                session,
                row.id,
                ChallengeIn(
                    team=TEAM, title="300 minutes this month", goal_minutes=300, starts_on=first, ends_on=last
                ),
            )
            team = [p.id for p in learning.people(session, row.id) if p.team == TEAM][:JOINED]
            for employee_id in team:
                learning.join_challenge(session, row.id, created.challenge_id, employee_id)
        upcoming = days.describe(session, row.id, today).next_days
    shown = upcoming[0].isoformat() if upcoming else "none"
    yield f"{'learning days':14} first Friday of each month, 8 hours (next: {shown}); a challenge for {TEAM}"
