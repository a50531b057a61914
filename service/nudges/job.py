"""The `nudges` job (run by service/worker.py): makes a nudge for every opted-in employee whose slot
is due (their next path step, planned as POST /v1/employees/{id}/path plans it), then delivers every
pending nudge whose attempt is due. A failed delivery stays pending with its error, its attempts and
the time of its next attempt (exponential back-off, Slack's or Teams' Retry-After on a 429): a
nudge is never lost. Delivery waits for the end of the employee's quiet hours.

Workers queue the job for every tenant with an integration every LEERPAD_NUDGE_CHECK_SECONDS; on
PostgreSQL the pending rows are claimed FOR UPDATE SKIP LOCKED, so two workers never send one twice."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from models import nudges_repository as nudges_repo
from models import repositories as repo
from models.db import transaction
from models.tables import JOB_QUEUED, JOB_RUNNING, NUDGE_PENDING, NUDGE_SENT, Employee, Nudge, utcnow
from recommender.errors import LeerpadError
from service.core.runtime import Runtime
from service.nudges.delivery import DeliveryFailed, SlackSender, TeamsWebhookSender
from service.nudges.integrations import SLACK, TEAMS, OpenIntegration, open_integration
from service.nudges.messages import Step, slack_blocks, slack_fallback, teams_card, teams_message
from service.nudges.schedule import Schedule, backoff, is_due, is_quiet, pulse_due, quiet_until
from service.paths.planning import budget_for, content_check, employee_plan, plan_path, store_path
from service.people.employees import role_to_reach

log = logging.getLogger("leerpad.nudges")

NUDGES = "nudges"
POSTPONE_DAYS = 7  # a step answered "later" is not the nudge's step again for a week
MAX_ERROR = 500


def schedule_nudges(runtime: Runtime, now: datetime | None = None) -> int:
    """Queue a `nudges` job for each tenant with a Slack or Teams integration, unless one is waiting
    or ran within the check interval."""
    moment = now or utcnow()
    every = timedelta(seconds=runtime.settings.nudge_check_seconds * 0.9)
    queued = 0
    with transaction(runtime.sessions) as session:
        for tenant_id in nudges_repo.tenants_with_integrations(session):
            last = repo.latest_job_of_kind(session, tenant_id, NUDGES)
            if last is not None and (
                last.status in (JOB_QUEUED, JOB_RUNNING) or last.created_at > moment - every
            ):
                continue
            repo.enqueue_job(session, tenant_id, NUDGES, {})
            queued += 1
    return queued


def _schedule(pref: Any) -> Schedule:
    return Schedule(pref.weekday, pref.hour, pref.timezone, pref.frequency, pref.quiet_start, pref.quiet_end)


def next_step(
    runtime: Runtime, session: Session, tenant_slug: str, tenant_id: int, employee: Employee, now: datetime
) -> Step | None:
    """The first step of the path planned for the employee now (stored, as every path shown is)
    that they did not answer "later" in the last POSTPONE_DAYS."""
    try:
        role = role_to_reach(session, tenant_id, employee, None)
    except LeerpadError:
        return None  # no role yet: nothing to plan
    has_content = content_check(runtime, tenant_slug, session, tenant_id)
    plan = employee_plan(
        session, tenant_id, employee, role, budget_for(employee, None, None), None, now, has_content
    )
    planned = plan_path(runtime, tenant_slug, session, tenant_id, plan, now)
    if not planned.body["steps"]:
        return None
    snapshot = runtime.snapshot(tenant_slug)
    store_path(
        session,
        tenant_id,
        employee,
        {"nudge": True},
        planned,
        snapshot.manifest.version if snapshot else None,
    )
    postponed = nudges_repo.postponed_activities(
        session, tenant_id, employee.id, now - timedelta(days=POSTPONE_DAYS)
    )
    first = next((s for s in planned.body["steps"] if s["activity_id"] not in postponed), None)
    if first is None:
        return None
    return Step(
        title=str(first["title"]),
        minutes=int(first["minutes"]),
        why=str(first.get("why_without_levels") or first.get("why") or ""),
        url=str(first.get("url") or ""),
        activity_id=str(first["activity_id"]),
        item_id=first.get("item_id"),
        unit_id=first.get("unit_id"),
    )


def make_due_nudges(runtime: Runtime, tenant_slug: str, now: datetime) -> int:
    made = 0
    with transaction(runtime.sessions) as session:
        tenant = repo.get_tenant(session, tenant_slug)
        if tenant is None:
            return 0
        connected = {
            platform: found
            for platform in (SLACK, TEAMS)
            if (found := open_integration(session, runtime.settings, tenant.id, platform)) is not None
        }
        for pref, employee in nudges_repo.opted_in(session, tenant.id):
            integration = connected.get(pref.channel)
            if integration is None:
                continue
            last = nudges_repo.last_nudge(session, tenant.id, employee.id)
            if not is_due(_schedule(pref), now, last.created_at if last else None):
                continue
            step = next_step(runtime, session, tenant_slug, tenant.id, employee, now)
            if step is None:
                continue
            last_pulse = nudges_repo.last_nudge(session, tenant.id, employee.id, pulse=True)
            pulse = integration.pulse_enabled and pulse_due(
                last_pulse.created_at if last_pulse else None, now
            )
            nudges_repo.add_nudge(
                session,
                Nudge(
                    tenant_id=tenant.id,
                    employee_id=employee.id,
                    channel=pref.channel,
                    address=pref.address,
                    language="nl" if employee.language == "nl" else "en",
                    step=step.to_json(),
                    activity_id=step.activity_id,
                    pulse=pulse,
                    status=NUDGE_PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                ),
            )
            made += 1
    return made


def send(
    runtime: Runtime, integration: OpenIntegration, nudge: Nudge, conversation: str | None = None
) -> dict[str, Any]:
    """Deliver the nudge; where the message is (to replace it after a click). `conversation`: the
    Teams 1:1 conversation of the employee's last nudge through the bot, used again."""
    step = Step(**nudge.step)
    if integration.platform == SLACK:
        sender = SlackSender(
            str(integration.secrets["bot_token"]), integration.slack_api_url(runtime.settings)
        )
        return sender.post(
            nudge.address,
            slack_fallback(step, nudge.language),
            slack_blocks(nudge.id, step, nudge.language, nudge.pulse),
        )
    card = teams_card(nudge.id, step, nudge.language, nudge.pulse)
    bot = integration.teams_bot
    if bot is None:  # the Workflows webhook fallback: the card's buttons do not come back
        return TeamsWebhookSender(str(integration.secrets["webhook_url"])).post(
            teams_message(card, nudge.address)
        )
    return bot.post_card(nudge.address, card, conversation)


def _teams_conversation(session: Session, integration: OpenIntegration, nudge: Nudge) -> str | None:
    """The bot's 1:1 conversation with this address, from the last nudge the same bot delivered to it."""
    bot = integration.teams_bot
    if bot is None:
        return None
    ref = nudges_repo.last_delivered_ref(session, nudge.tenant_id, nudge.employee_id, TEAMS, nudge.address)
    if not ref or ref.get("bot_app_id") != bot.app_id:
        return None
    conversation = ref.get("conversation_id")
    return str(conversation) if conversation else None


def deliver_due(runtime: Runtime, tenant_slug: str, now: datetime) -> dict[str, int]:
    counts = {"sent": 0, "failed": 0, "waiting": 0}
    with transaction(runtime.sessions) as session:
        tenant = repo.get_tenant(session, tenant_slug)
        if tenant is None:
            return counts
        integrations: dict[str, OpenIntegration | None] = {}
        for nudge in nudges_repo.due_deliveries(session, tenant.id, now):
            pref = nudges_repo.get_preference(session, tenant.id, nudge.employee_id)
            if pref is None or not pref.opted_in:
                continue  # opted out since: it stays pending, unsent
            schedule = _schedule(pref)
            if is_quiet(schedule, now):
                nudge.next_attempt_at = quiet_until(schedule, now)
                counts["waiting"] += 1
                continue
            if nudge.channel not in integrations:
                integrations[nudge.channel] = open_integration(
                    session, runtime.settings, tenant.id, nudge.channel
                )
            integration = integrations[nudge.channel]
            if integration is None:
                continue
            try:
                conversation = _teams_conversation(session, integration, nudge)
                nudge.message_ref = send(runtime, integration, nudge, conversation)
            except DeliveryFailed as exc:
                nudge.attempts += 1
                nudge.last_error = exc.reason[:MAX_ERROR]
                nudge.next_attempt_at = now + backoff(nudge.attempts, exc.retry_after)
                counts["failed"] += 1
                log.warning("nudge %s not delivered (attempt %s): %s", nudge.id, nudge.attempts, exc.reason)
                continue
            nudge.attempts += 1
            nudge.status = NUDGE_SENT
            nudge.sent_at = now
            nudge.last_error = None
            counts["sent"] += 1
        session.flush()
    return counts


def run_nudges(runtime: Runtime, tenant_slug: str, now: datetime | None = None) -> dict[str, Any]:
    """The job: make what is due, then deliver what is pending."""
    moment = now or utcnow()
    made = make_due_nudges(runtime, tenant_slug, moment)
    return {"made": made, **deliver_due(runtime, tenant_slug, moment)}
