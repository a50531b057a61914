"""Queries of the nudges in Slack and Teams (service/nudges holds the rules): the tenant's chat
integrations, employees' nudge settings, the nudges and their deliveries, pulse answers, and the
signed requests already handled (replays)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.tables import (
    NUDGE_PENDING,
    NUDGE_SENT,
    ChatIntegration,
    ChatRequestSeen,
    Employee,
    LearningEvent,
    LearningPath,
    Nudge,
    NudgePreference,
    PulseAnswer,
    utcnow,
)

# --- integrations ---------------------------------------------------------------------------------


def get_integration(session: Session, tenant_id: int, platform: str) -> ChatIntegration | None:
    return session.scalar(
        select(ChatIntegration).where(
            ChatIntegration.tenant_id == tenant_id, ChatIntegration.platform == platform
        )
    )


def save_integration(
    session: Session, tenant_id: int, platform: str, settings: dict[str, Any], secrets: str, pulse: bool
) -> ChatIntegration:
    row = get_integration(session, tenant_id, platform)
    if row is None:
        row = ChatIntegration(tenant_id=tenant_id, platform=platform)
        session.add(row)
    row.settings = dict(settings)
    row.secrets = secrets
    row.pulse_enabled = pulse
    row.updated_at = utcnow()
    session.flush()
    return row


def delete_integration(session: Session, tenant_id: int, platform: str) -> bool:
    result = session.execute(
        delete(ChatIntegration).where(
            ChatIntegration.tenant_id == tenant_id, ChatIntegration.platform == platform
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def tenants_with_integrations(session: Session) -> list[int]:
    return sorted(set(session.scalars(select(ChatIntegration.tenant_id))))


# --- preferences ----------------------------------------------------------------------------------


def get_preference(session: Session, tenant_id: int, employee_id: int) -> NudgePreference | None:
    return session.scalar(
        select(NudgePreference).where(
            NudgePreference.tenant_id == tenant_id, NudgePreference.employee_id == employee_id
        )
    )


def save_preference(session: Session, tenant_id: int, employee_id: int, **values: Any) -> NudgePreference:
    row = get_preference(session, tenant_id, employee_id)
    if row is None:
        row = NudgePreference(tenant_id=tenant_id, employee_id=employee_id)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.flush()
    return row


def opted_in(session: Session, tenant_id: int) -> list[tuple[NudgePreference, Employee]]:
    rows = session.execute(
        select(NudgePreference, Employee)
        .join(Employee, Employee.id == NudgePreference.employee_id)
        .where(NudgePreference.tenant_id == tenant_id, NudgePreference.opted_in.is_(True))
        .order_by(NudgePreference.id)
    ).all()
    return [(pref, employee) for pref, employee in rows]


def employee_by_address(session: Session, tenant_id: int, channel: str, address: str) -> Employee | None:
    """The employee who gave this Slack user id (or Teams id) as their own."""
    return session.scalar(
        select(Employee)
        .join(NudgePreference, NudgePreference.employee_id == Employee.id)
        .where(
            NudgePreference.tenant_id == tenant_id,
            NudgePreference.channel == channel,
            NudgePreference.address == address,
        )
        .limit(1)
    )


# --- nudges ---------------------------------------------------------------------------------------


def last_nudge(session: Session, tenant_id: int, employee_id: int, pulse: bool = False) -> Nudge | None:
    query = select(Nudge).where(Nudge.tenant_id == tenant_id, Nudge.employee_id == employee_id)
    if pulse:
        query = query.where(Nudge.pulse.is_(True))
    return session.scalar(query.order_by(Nudge.created_at.desc(), Nudge.id.desc()).limit(1))


def last_delivered_ref(
    session: Session, tenant_id: int, employee_id: int, channel: str, address: str
) -> dict[str, Any] | None:
    """Where the employee's last delivered nudge to this address is (Slack's channel and ts, Teams'
    conversation and activity): Teams' 1:1 conversation is used again for the next one."""
    return session.scalar(
        select(Nudge.message_ref)
        .where(
            Nudge.tenant_id == tenant_id,
            Nudge.employee_id == employee_id,
            Nudge.channel == channel,
            Nudge.address == address,
            Nudge.status == NUDGE_SENT,
        )
        .order_by(Nudge.sent_at.desc(), Nudge.id.desc())
        .limit(1)
    )


def add_nudge(session: Session, nudge: Nudge) -> Nudge:
    session.add(nudge)
    session.flush()
    return nudge


def get_nudge(session: Session, tenant_id: int, nudge_id: int) -> Nudge | None:
    return session.scalar(select(Nudge).where(Nudge.tenant_id == tenant_id, Nudge.id == nudge_id))


def due_deliveries(session: Session, tenant_id: int, now: datetime, limit: int = 100) -> list[Nudge]:
    """Pending nudges whose next attempt is due; on PostgreSQL rows another worker holds are skipped."""
    query = (
        select(Nudge)
        .where(Nudge.tenant_id == tenant_id, Nudge.status == NUDGE_PENDING, Nudge.next_attempt_at <= now)
        .order_by(Nudge.next_attempt_at, Nudge.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def postponed_activities(session: Session, tenant_id: int, employee_id: int, since: datetime) -> set[str]:
    """The activities of the employee's nudges answered "later" since `since`."""
    return set(
        session.scalars(
            select(Nudge.activity_id).where(
                Nudge.tenant_id == tenant_id,
                Nudge.employee_id == employee_id,
                Nudge.response == "postponed",
                Nudge.responded_at >= since,
            )
        )
    )


def nudges_of(session: Session, tenant_id: int, employee_id: int) -> Sequence[Nudge]:
    return session.scalars(
        select(Nudge)
        .where(Nudge.tenant_id == tenant_id, Nudge.employee_id == employee_id)
        .order_by(Nudge.created_at, Nudge.id)
    ).all()


# --- replays --------------------------------------------------------------------------------------


def remember_request(
    session: Session, tenant_id: int, digest: str, expires_at: datetime, now: datetime
) -> bool:
    """Record a signed request; False when it was seen before (a replay). Expired ones are forgotten."""
    session.execute(delete(ChatRequestSeen).where(ChatRequestSeen.expires_at < now))
    try:
        with session.begin_nested():
            session.add(ChatRequestSeen(digest=digest, tenant_id=tenant_id, expires_at=expires_at))
    except IntegrityError:
        return False
    return True


# --- pulse ----------------------------------------------------------------------------------------


def add_pulse_answer(session: Session, tenant_id: int, employee_id: int, score: int, now: datetime) -> None:
    session.add(PulseAnswer(tenant_id=tenant_id, employee_id=employee_id, score=score, answered_at=now))
    session.flush()


# --- what the KPIs read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SentNudge:
    employee_id: int
    item_id: int | None
    unit_id: int | None
    sent_at: datetime


@dataclass(frozen=True)
class Completion:
    employee_id: int
    item_id: int | None
    unit_id: int | None
    occurred_at: datetime


def sent_nudges(session: Session, tenant_id: int, start: datetime, end: datetime) -> list[SentNudge]:
    rows = session.execute(
        select(Nudge.employee_id, Nudge.step, Nudge.sent_at).where(
            Nudge.tenant_id == tenant_id,
            Nudge.sent_at.is_not(None),
            Nudge.sent_at >= start,
            Nudge.sent_at < end,
        )
    ).all()
    return [
        SentNudge(int(e), step.get("item_id"), step.get("unit_id"), sent)
        for e, step, sent in rows
        if sent is not None
    ]


def completions(
    session: Session, tenant_id: int, employee_ids: Sequence[int], since: datetime
) -> list[Completion]:
    rows = session.execute(
        select(
            LearningEvent.employee_id, LearningEvent.item_id, LearningEvent.unit_id, LearningEvent.occurred_at
        ).where(
            LearningEvent.tenant_id == tenant_id,
            LearningEvent.employee_id.in_(list(employee_ids)),
            LearningEvent.verb.in_(("completed", "passed")),
            LearningEvent.occurred_at >= since,
        )
    ).all()
    return [Completion(int(e), i, u, at) for e, i, u, at in rows]


def path_units(
    session: Session, tenant_id: int, employee_ids: Sequence[int], start: datetime, end: datetime
) -> list[tuple[int, int | None, int | None, datetime]]:
    """(employee, item, unit, when planned) of every step of the paths planned for them in the window."""
    rows = session.execute(
        select(LearningPath.employee_id, LearningPath.response, LearningPath.created_at).where(
            LearningPath.tenant_id == tenant_id,
            LearningPath.employee_id.in_(list(employee_ids)),
            LearningPath.created_at >= start,
            LearningPath.created_at < end,
        )
    ).all()
    found: list[tuple[int, int | None, int | None, datetime]] = []
    for employee_id, response, created in rows:
        for step in (response or {}).get("steps", []):
            found.append((int(employee_id), step.get("item_id"), step.get("unit_id"), created))
    return found


def pulse_scores(session: Session, tenant_id: int, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """(employee, score) of the answers in the window, the latest per employee."""
    rows = session.execute(
        select(PulseAnswer.employee_id, PulseAnswer.score)
        .where(
            PulseAnswer.tenant_id == tenant_id,
            PulseAnswer.answered_at >= start,
            PulseAnswer.answered_at < end,
        )
        .order_by(PulseAnswer.answered_at, PulseAnswer.id)
    ).all()
    latest = {int(e): int(s) for e, s in rows}
    return sorted(latest.items())
