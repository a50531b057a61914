"""The demo's nudges: ten employees of Fietsjes B.V. opted in (eight in Slack, two in Teams), each
sent a nudge with the next step of their path, seven of whom clicked "done"; eight answered the
learning pulse. No Slack or Teams is connected (the demo reaches no outside service): connect one
with PUT /v1/integrations/slack or /teams and the worker sends the next nudges. The KPI report's
`nudges` figures come from this history. Loaded once per tenant."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from models import nudges_repository as nudges_repo
from models import people_repository as people
from models import repositories as repo
from models.db import transaction
from models.tables import NUDGE_SENT, Nudge
from service.core.runtime import Runtime
from service.events.recording import ACCEPTED, record_statements
from service.nudges.job import next_step

OPTED_IN = 10
CLICKED_DONE = 7
PULSE = (10, 9, 9, 8, 7, 9, 6, 10)


def load_nudges(runtime: Runtime, tenant: str) -> Iterator[str]:
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        if nudges_repo.opted_in(session, tenant_id):
            yield f"{'nudges':14} already set up: nothing added"
            return
        employees = list(people.list_employees(session, tenant_id))[:OPTED_IN]
        now = datetime.now(UTC)
        sent: list[tuple[str, str]] = []
        for n, employee in enumerate(employees):
            channel = "teams" if n >= OPTED_IN - 2 else "slack"
            address = f"U0DEMO{n:03d}" if channel == "slack" else f"demo-aad-{n:03d}"
            nudges_repo.save_preference(
                session,
                tenant_id,
                employee.id,
                opted_in=True,
                channel=channel,
                address=address,
                weekday=n % 5,
                hour=9,
                timezone="Europe/Amsterdam",
                frequency="weekly",
                quiet_start=None,
                quiet_end=None,
            )
            step = next_step(runtime, session, tenant, tenant_id, employee, now)
            if step is None:
                continue
            nudges_repo.add_nudge(
                session,
                Nudge(
                    tenant_id=tenant_id,
                    employee_id=employee.id,
                    channel=channel,
                    address=address,
                    language="nl" if employee.language == "nl" else "en",
                    step=step.to_json(),
                    activity_id=step.activity_id,
                    pulse=n < len(PULSE),
                    status=NUDGE_SENT,
                    attempts=1,
                    next_attempt_at=now,
                    created_at=now,
                    sent_at=now,
                    response="completed" if len(sent) < CLICKED_DONE else None,
                    responded_at=now if len(sent) < CLICKED_DONE else None,
                ),
            )
            if n < len(PULSE):
                nudges_repo.add_pulse_answer(session, tenant_id, employee.id, PULSE[n], now)
            sent.append((employee.key, step.activity_id))
        clicked = datetime.now(UTC)
        statements = [
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:leerpad:demo-nudge:{tenant}:{key}")),
                "actor": {
                    "objectType": "Agent",
                    "account": {"homePage": "https://lms.fietsjes.example", "name": key},
                },
                "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
                "object": {"objectType": "Activity", "id": activity},
                "timestamp": clicked.isoformat(),
            }
            for key, activity in sent[:CLICKED_DONE]
        ]
        report = record_statements(session, tenant_id, statements, clicked)
    done = len(report.ids(ACCEPTED))
    yield f"{'nudges':14} {len(employees)} opted in, {len(sent)} nudges sent, {done} done from a click"
