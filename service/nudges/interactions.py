"""What comes back from Slack and Teams: button clicks on a nudge, the pulse answer, and `/leerpad`.

Slack signs every request with the app's signing secret (`v0` HMAC-SHA256 over
"v0:<timestamp>:<body>"); slack-sdk's SignatureVerifier checks it, with the 5-minute window on the
timestamp. Leerpad also refuses the same signed request a second time within the window (a replay),
by keeping the signature's hash (chat_requests_seen). Each refusal says why.

Teams posts an Action.Submit as a Bot Framework activity to the bot's messaging endpoint with
`Authorization: Bearer <JWT>`; the token is checked with PyJWT against the Bot Framework's key set
(RS256, issuer https://api.botframework.com, audience the bot's app id, not expired). The user is
found by their Microsoft Entra object id or Teams id, whichever they opted in with; with the tenant's
bot, the card is then replaced by its thank-you line through the Bot Framework Connector.

A click becomes a learning event through the events domain's one use case (record_statements):
"done" a completed statement (evidence of the skill, the unit leaves the path), "not relevant" a
dismissed one (the item never comes back), "later" a postponed one (no learning happened: it is no
evidence, and the next nudges skip that step for POSTPONE_DAYS, service.nudges.job)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import jwt
from slack_sdk.signature import Clock, SignatureVerifier
from sqlalchemy.orm import Session

from models import nudges_repository as nudges_repo
from models.tables import Employee, Nudge
from recommender.catalog_columns import step_title
from service.core.activities import activity_id, unit_url
from service.core.runtime import Runtime
from service.core.settings import Settings
from service.events.identities import ActorResolver
from service.events.recording import REJECTED, record_statements
from service.http.errors import Forbidden, NotFound, Unauthorized, Unprocessable
from service.nudges.delivery import ADAPTIVE_CARD, DeliveryFailed, SlackSender
from service.nudges.integrations import SLACK, TEAMS, OpenIntegration
from service.nudges.messages import (
    ANSWERS,
    CARD_VERSION,
    Step,
    check_card,
    slack_answered,
    slack_escape,
    slack_search_answer,
    texts,
)
from service.paths.planning import learner_for
from service.paths.search import search_units

WINDOW_SECONDS = 300  # Slack's: a request older (or newer) than five minutes is refused
MAX_FORM_BYTES = 64 * 1024
VERB_IRIS = {
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "dismissed": "urn:leerpad:verb:dismissed",
    "postponed": "urn:leerpad:verb:postponed",
}
NUDGE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:leerpad:nudge")


class _FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def verify_slack(
    session: Session,
    tenant_id: int,
    integration: OpenIntegration | None,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
) -> None:
    """Refuse (401) a request Slack did not sign with this tenant's secret, or signed more than five
    minutes ago, and (403) one already handled."""
    if integration is None:
        raise NotFound("this tenant has no Slack integration")
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        raise Unauthorized("not signed: X-Slack-Request-Timestamp and X-Slack-Signature are required")
    try:
        sent = int(timestamp)
    except ValueError as exc:
        raise Unauthorized("X-Slack-Request-Timestamp: not a Unix time") from exc
    if abs(now.timestamp() - sent) > WINDOW_SECONDS:
        raise Unauthorized("stale: signed more than 5 minutes from now (a late or replayed request)")
    verifier = SignatureVerifier(
        str(integration.secrets["signing_secret"]), clock=_FixedClock(now.timestamp())
    )
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        raise Unauthorized("the signature does not match this tenant's Slack signing secret")
    digest = hashlib.sha256(f"{SLACK}:{signature}".encode()).hexdigest()
    expires = now + timedelta(seconds=2 * WINDOW_SECONDS)
    if not nudges_repo.remember_request(session, tenant_id, digest, expires, now):
        raise Forbidden("replayed: this signed request was handled already")


def slack_form(body: bytes) -> dict[str, str]:
    if len(body) > MAX_FORM_BYTES:
        raise Unprocessable(f"the form is larger than {MAX_FORM_BYTES} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise Unprocessable("the form is not UTF-8") from exc
    return {name: values[0] for name, values in fields.items() if values}


def slack_payload(body: bytes) -> dict[str, Any]:
    raw = slack_form(body).get("payload")
    if not raw:
        raise Unprocessable("payload: the form field is missing")
    try:
        payload = json.loads(raw)
    except ValueError as exc:
        raise Unprocessable("payload: not JSON") from exc
    if not isinstance(payload, dict):
        raise Unprocessable("payload: not a JSON object")
    return payload


class _KnownActor(ActorResolver):
    """The clicking user is already known to be this employee (their own Slack or Teams id)."""

    def __init__(self, session: Session, tenant_id: int, employee: Employee) -> None:
        super().__init__(session, tenant_id)
        self._employee = employee

    def employee(self, actor: Any) -> Employee | None:
        return self._employee


@dataclass(frozen=True)
class Answered:
    nudge: Nudge
    answer: str  # completed, postponed, dismissed, or pulse
    language: str


def record_answer(
    session: Session,
    settings: Settings,
    tenant_id: int,
    employee: Employee,
    nudge: Nudge,
    answer: str,
    now: datetime,
) -> None:
    """The click as a learning event (completed, postponed, dismissed) and as the nudge's answer."""
    if nudge.employee_id != employee.id:
        raise Forbidden("this nudge was sent to someone else")
    if answer not in ANSWERS:
        raise Unprocessable(f"answer: one of {', '.join(ANSWERS)}")
    if answer in VERB_IRIS:
        statement = {
            "id": str(uuid.uuid5(NUDGE_NAMESPACE, f"{tenant_id}:{nudge.id}:{answer}")),
            "actor": {
                "objectType": "Agent",
                "account": {"homePage": settings.public_url, "name": employee.key},
            },
            "verb": {"id": VERB_IRIS[answer], "display": {"en-US": answer}},
            "object": {"objectType": "Activity", "id": nudge.activity_id},
            "timestamp": now.isoformat(),
            "context": {"platform": f"leerpad-nudge-{nudge.channel}"},
        }
        report = record_statements(
            session, tenant_id, [statement], now, actors=_KnownActor(session, tenant_id, employee)
        )
        if report.outcomes[0].status == REJECTED:
            raise Unprocessable(f"the click could not be recorded: {report.outcomes[0].reason}")
    nudge.response = answer
    nudge.responded_at = now
    session.flush()


def _slack_employee(session: Session, tenant_id: int, payload: Mapping[str, Any]) -> Employee:
    user = payload.get("user") or {}
    user_id = str(user.get("id", "")) if isinstance(user, dict) else ""
    employee = nudges_repo.employee_by_address(session, tenant_id, SLACK, user_id) if user_id else None
    if employee is None:
        raise Forbidden(f"the Slack user {user_id!r} is no employee who opted in to nudges")
    return employee


def _nudge(session: Session, tenant_id: int, value: str) -> tuple[Nudge, str]:
    number, _, rest = value.partition(":")
    if not number.isdigit() or not rest:
        raise Unprocessable("actions[0].value: not a Leerpad nudge answer")
    nudge = nudges_repo.get_nudge(session, tenant_id, int(number))
    if nudge is None:
        raise NotFound(f"no nudge {number}")
    return nudge, rest


def handle_slack_interaction(
    session: Session,
    settings: Settings,
    tenant_id: int,
    integration: OpenIntegration,
    payload: Mapping[str, Any],
    now: datetime,
) -> Answered:
    if payload.get("type") != "block_actions":
        raise Unprocessable("payload.type: only block_actions are handled")
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise Unprocessable("payload.actions: no action")
    action = actions[0]
    employee = _slack_employee(session, tenant_id, payload)
    action_id = str(action.get("action_id", ""))
    if action_id == "leerpad_pulse":
        selected = action.get("selected_option") or {}
        nudge, score = _nudge(session, tenant_id, str(selected.get("value", "")))
        if nudge.employee_id != employee.id or not nudge.pulse:
            raise Forbidden("this pulse question was sent to someone else")
        if not score.isdigit() or not 0 <= int(score) <= 10:
            raise Unprocessable("the pulse answer is a number from 0 to 10")
        nudges_repo.add_pulse_answer(session, tenant_id, employee.id, int(score), now)
        return Answered(nudge, "pulse", nudge.language)
    if not action_id.startswith("leerpad_"):
        raise Unprocessable(f"actions[0].action_id: {action_id[:50]!r} is not a Leerpad button")
    nudge, answer = _nudge(session, tenant_id, str(action.get("value", "")))
    record_answer(session, settings, tenant_id, employee, nudge, answer, now)
    _replace_slack_message(settings, integration, nudge, answer)
    return Answered(nudge, answer, nudge.language)


def _replace_slack_message(
    settings: Settings, integration: OpenIntegration, nudge: Nudge, answer: str
) -> None:
    """chat.update: the nudge becomes its thank-you line (the buttons go). Best effort: the event is
    recorded whether or not Slack takes the update."""
    ref = nudge.message_ref or {}
    if not ref.get("channel") or not ref.get("ts"):
        return
    title = str(nudge.step.get("title", ""))
    blocks = slack_answered(title, answer, nudge.language)
    client = SlackSender(str(integration.secrets["bot_token"]), integration.slack_api_url(settings)).client()
    try:
        client.chat_update(
            channel=ref["channel"], ts=ref["ts"], blocks=blocks, text=texts(nudge.language)["intro"]
        )
    except Exception as exc:  # Slack being away must not lose the recorded answer
        nudge.last_error = f"chat.update: {type(exc).__name__}: {exc}"[:500]


# --- Teams ----------------------------------------------------------------------------------------


def verify_teams(
    integration: OpenIntegration | None, authorization: str, now: datetime, keys: Any = None
) -> dict[str, Any]:
    """The Bot Framework token of a Teams activity, checked; its claims. `keys` (a PyJWKClient)
    is made from the integration's key set URL unless given."""
    if integration is None:
        raise NotFound("this tenant has no Teams integration")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("not signed: Authorization: Bearer <Bot Framework token> is required")
    client = keys or jwt.PyJWKClient(str(integration.settings["bot_jwks_url"]), cache_keys=True)
    try:
        key = client.get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience=str(integration.settings["bot_app_id"]),
            issuer=str(integration.settings["bot_issuer"]),
            options={"require": ["exp", "iss", "aud"]},
            leeway=timedelta(minutes=5),
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the Bot Framework token has expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise Unauthorized("the Bot Framework token is for another bot (audience)") from exc
    except jwt.InvalidIssuerError as exc:
        raise Unauthorized("the Bot Framework token has another issuer") from exc
    except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
        raise Unauthorized(f"the Bot Framework token is not valid: {exc}") from exc
    return claims


def _teams_employee(session: Session, tenant_id: int, sender: Mapping[str, Any]) -> Employee:
    """The employee who opted in with this Teams user's Microsoft Entra object id or Teams id ("29:...")."""
    for address in (sender.get("aadObjectId"), sender.get("id")):
        if not address:
            continue
        employee = nudges_repo.employee_by_address(session, tenant_id, TEAMS, str(address))
        if employee is not None:
            return employee
    shown = str(sender.get("aadObjectId") or sender.get("id") or "")
    raise Forbidden(f"the Teams user {shown!r} is no employee who opted in to nudges")


def handle_teams_activity(
    session: Session,
    settings: Settings,
    tenant_id: int,
    activity: Mapping[str, Any],
    now: datetime,
    integration: OpenIntegration | None = None,
) -> Answered:
    """An Action.Submit of a nudge card: `value` holds the nudge and the answer; `from` the user. With
    the tenant's bot, the card is then replaced by its thank-you line (its buttons go)."""
    value = activity.get("value")
    sender = activity.get("from")
    if not isinstance(value, dict) or not isinstance(sender, dict):
        raise Unprocessable("value and from: an Action.Submit activity is expected")
    employee = _teams_employee(session, tenant_id, sender)
    nudge_id = value.get("leerpad_nudge")
    if not isinstance(nudge_id, int):
        raise Unprocessable("value.leerpad_nudge: the nudge's number")
    nudge = nudges_repo.get_nudge(session, tenant_id, nudge_id)
    if nudge is None:
        raise NotFound(f"no nudge {nudge_id}")
    pulse = value.get("pulse")
    if pulse not in (None, "") and nudge.pulse and nudge.employee_id == employee.id:
        score = str(pulse)
        if not score.isdigit() or not 0 <= int(score) <= 10:
            raise Unprocessable("pulse: a number from 0 to 10")
        nudges_repo.add_pulse_answer(session, tenant_id, employee.id, int(score), now)
    answer = str(value.get("answer", ""))
    record_answer(session, settings, tenant_id, employee, nudge, answer, now)
    answered = Answered(nudge, answer, nudge.language)
    if integration is not None:
        _replace_teams_card(integration, answered)
    return answered


def teams_answered_card(answered: Answered) -> dict[str, Any]:
    """The thank-you card: its text is a TextRun (the title is never read as Markdown)."""
    title = str(answered.nudge.step.get("title", ""))
    line = texts(answered.language)[f"thanks_{answered.answer}"].format(title=title)
    card = {
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": [{"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": line}]}],
    }
    check_card(card)
    return card


def _replace_teams_card(integration: OpenIntegration, answered: Answered) -> None:
    """PUT the thank-you card over the nudge's card in the bot's conversation. Best effort, as Slack's
    chat.update: the answer is recorded whether or not Teams takes the update."""
    bot = integration.teams_bot
    ref = answered.nudge.message_ref or {}
    if bot is None or not ref.get("conversation_id") or not ref.get("activity_id"):
        return
    try:
        bot.update_card(ref, teams_answered_card(answered))
    except DeliveryFailed as exc:
        answered.nudge.last_error = f"update: {exc.reason}"[:500]


def teams_reply(answered: Answered) -> dict[str, Any]:
    """The answer to the activity's POST: a message with the thank-you card (what a test or an
    emulator shows; in Teams the card itself is replaced, _replace_teams_card)."""
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "content": teams_answered_card(answered)}],
    }


# --- /leerpad <question> --------------------------------------------------------------------------

COMMAND_HITS = 3
MAX_QUESTION = 500


def answer_command(
    runtime: Runtime, session: Session, tenant_slug: str, tenant_id: int, form: Mapping[str, str]
) -> dict[str, Any]:
    """Three micro-units for the question, found as GET /v1/search finds them, in the asker's
    languages; an asker who never opted in gets the answer in English and Dutch."""
    question = " ".join(str(form.get("text", "")).split())[:MAX_QUESTION]
    user_id = str(form.get("user_id", ""))
    employee = nudges_repo.employee_by_address(session, tenant_id, SLACK, user_id) if user_id else None
    language = employee.language if employee is not None else "en"
    if employee is None:
        return {"response_type": "ephemeral", "text": slack_escape(texts("en")["unknown_user"])}
    if not question:
        return {
            "response_type": "ephemeral",
            "text": slack_escape(texts(language)["search_none"].format(query="")),
        }
    if runtime.snapshot(tenant_slug) is None:
        return slack_search_answer(question, [], language)
    found = search_units(
        runtime,
        session,
        tenant_slug,
        tenant_id,
        question,
        COMMAND_HITS,
        languages=learner_for(employee, None).languages,
    )
    hits = [
        Step(
            title=step_title(hit.unit.item_title, hit.unit.unit_title),
            minutes=hit.unit.minutes,
            why="",
            url=unit_url(hit.unit.url, hit.unit.anchor) or "",
            activity_id=activity_id(hit.unit.source, hit.unit.external_id, hit.unit.position),
        )
        for hit in found
    ]
    return slack_search_answer(question, hits, language)
