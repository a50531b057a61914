"""Nudges in Slack and Teams against local stand-ins for Slack's Web API, the Microsoft identity
platform's token endpoint and the Bot Framework Connector (a Teams Azure Bot), a Teams Workflows
webhook and the Bot Framework's key set: the exact payloads (hostile catalog titles stay text), retries with
back-off and Retry-After (an injected clock, no sleeps), opt-in, opt-out and quiet hours, the
signature checks, and clicks that become learning events and change the next path."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
from fastapi.testclient import TestClient

from ingest.taxonomy import read_default_taxonomy
from models import nudges_repository as nudges_repo
from models import people_repository as people
from models.db import transaction
from models.tables import Nudge
from service.core.runtime import Runtime
from service.nudges.delivery import DeliveryFailed, TeamsBot
from service.nudges.job import next_step, run_nudges
from service.skills.taxonomy import import_taxonomy
from tests.support.api_keys import make_key
from tests.support.catalogs import HEADER, write_csv
from tests.support.chat_standins import (
    SLACK_OK,
    BotConnector,
    BotKeys,
    StandIn,
    bot_connector,
    slack_click,
    slack_signed,
    stand_in,
)
from tests.support.xapi import statement

HOSTILE = "<!channel> *SQL* joins <script>alert(1)</script> & more"
ROWS = [
    [
        "sql-hostile",
        HOSTILE,
        "SQL joins: combineer tabellen met JOIN en ON.",
        "https://lms.example/sql-j",
        "nl",
        "10",
        "SQL",
    ],
    [
        "sql-group",
        "SQL groeperen",
        "GROUP BY en HAVING voor totalen per groep in SQL.",
        "https://lms.example/sql-g",
        "nl",
        "12",
        "SQL",
    ],
]
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-1234-5678-abcdefghijkl"
MONDAY_0930_AMSTERDAM = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)  # CET: UTC+1


@pytest.fixture
def slack() -> Iterator[StandIn]:
    with stand_in(default=SLACK_OK) as server:
        yield server


def _company(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, rows: list[list[str]] = ROWS
) -> dict[str, dict[str, str]]:
    import_taxonomy(runtime, tenant, read_default_taxonomy(), origin="default")
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "c.csv", rows, header=HEADER))
    keys = {role: make_key(runtime, tenant, role) for role in ("admin", "ld", "lms")}
    keys["employee"] = make_key(runtime, tenant, "employee", employee="e-1")
    role = {"name": "Analist", "skills": [{"skill": "SQL", "level": 4, "importance": "essential"}]}
    assert client.put("/v1/roles/analyst", json=role, headers=keys["ld"]).status_code == 200
    for key in ("e-1", "e-2"):
        body = {"role": "analyst", "language": "nl" if key == "e-1" else "en"}
        assert client.put(f"/v1/employees/{key}", json=body, headers=keys["lms"]).status_code == 200
    return keys


def _connect_slack(
    client: TestClient, keys: dict[str, dict[str, str]], slack: StandIn, pulse: bool = False
) -> None:
    body = {"bot_token": TOKEN, "signing_secret": SECRET, "api_url": slack.url, "pulse_enabled": pulse}
    answer = client.put("/v1/integrations/slack", json=body, headers=keys["admin"])
    assert answer.status_code == 200, answer.text


def _opt_in(client: TestClient, headers: dict[str, str], employee: str = "e-1", **extra: object) -> None:
    body = {"opted_in": True, "channel": "slack", "address": "U0E1", "weekday": 0, "hour": 9, **extra}
    answer = client.put(f"/v1/employees/{employee}/nudges", json=body, headers=headers)
    assert answer.status_code == 200, answer.text


def _nudges(runtime: Runtime, tenant: str, employee: str = "e-1") -> list[Nudge]:
    with transaction(runtime.sessions) as session:
        tenant_id = people_tenant(runtime, tenant)
        row = people.get_employee(session, tenant_id, employee)
        assert row is not None
        found = list(nudges_repo.nudges_of(session, tenant_id, row.id))
        session.expunge_all()
        return found


def people_tenant(runtime: Runtime, tenant: str) -> int:
    from models import repositories as repo

    with transaction(runtime.sessions) as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None
        return row.id


def test_secrets_are_stored_encrypted_and_never_answered(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, slack: StandIn
) -> None:
    keys = _company(runtime, tenant, tmp_path, client)
    _connect_slack(client, keys, slack)
    shown = client.get("/v1/integrations/slack", headers=keys["admin"])
    assert shown.status_code == 200
    assert TOKEN not in shown.text and SECRET not in shown.text
    assert shown.json()["secret_hint"] == "…ijkl"
    assert shown.json()["request_urls"]["interactivity"].endswith(f"/slack/{tenant}/interactions")
    from models import repositories as repo

    with transaction(runtime.sessions) as session:
        tenant_row = repo.get_tenant(session, tenant)
        assert tenant_row is not None
        stored = nudges_repo.get_integration(session, tenant_row.id, "slack")
        assert stored is not None
        assert TOKEN not in stored.secrets and SECRET not in stored.secrets
    assert client.get("/v1/integrations/slack", headers=keys["ld"]).status_code == 403
    assert client.delete("/v1/integrations/slack", headers=keys["admin"]).status_code == 204
    assert client.get("/v1/integrations/slack", headers=keys["admin"]).status_code == 404


def test_nothing_is_sent_without_opt_in_nor_after_opt_out(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, slack: StandIn
) -> None:
    keys = _company(runtime, tenant, tmp_path, client)
    _connect_slack(client, keys, slack)
    assert run_nudges(runtime, tenant, MONDAY_0930_AMSTERDAM)["made"] == 0  # nobody opted in
    _opt_in(client, keys["employee"], opted_in=False)
    assert run_nudges(runtime, tenant, MONDAY_0930_AMSTERDAM)["made"] == 0
    assert slack.requests == []
    # an employee key sets only its own settings
    other = {"opted_in": True, "channel": "slack", "address": "U0E2"}
    assert client.put("/v1/employees/e-2/nudges", json=other, headers=keys["employee"]).status_code == 403


def test_a_due_nudge_goes_out_with_the_exact_blocks_and_hostile_titles_stay_text(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, slack: StandIn
) -> None:
    keys = _company(runtime, tenant, tmp_path, client, rows=ROWS[:1])
    _connect_slack(client, keys, slack)
    _opt_in(client, keys["employee"])
    early = MONDAY_0930_AMSTERDAM - timedelta(hours=1)  # 08:30 local: the slot is 09:00
    assert run_nudges(runtime, tenant, early) == {"made": 0, "sent": 0, "failed": 0, "waiting": 0}
    assert run_nudges(runtime, tenant, MONDAY_0930_AMSTERDAM) == {
        "made": 1,
        "sent": 1,
        "failed": 0,
        "waiting": 0,
    }
    assert run_nudges(runtime, tenant, MONDAY_0930_AMSTERDAM + timedelta(hours=2))["made"] == 0  # once a slot
    [nudge] = _nudges(runtime, tenant)
    assert nudge.status == "sent" and nudge.message_ref == {"channel": "D0NUDGE", "ts": "1733300000.000100"}
    [call] = slack.calls("chat.postMessage")
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    sent = call.json()
    why = nudge.step["why"]
    assert why and nudge.step["title"] == HOSTILE
    plain = {"type": "plain_text", "emoji": False}
    assert sent == {
        "channel": "U0E1",
        "text": "Je volgende leerstap: &lt;!channel&gt; *SQL* joins &lt;script&gt;alert(1)&lt;/script&gt; &amp; more (10 minuten)",
        "mrkdwn": False,
        "blocks": [
            {"type": "header", "text": {**plain, "text": HOSTILE}},
            {"type": "context", "elements": [{**plain, "text": "Je volgende leerstap · 10 minuten"}]},
            {"type": "section", "text": {**plain, "text": why}},
            {
                "type": "actions",
                "block_id": f"leerpad_nudge_{nudge.id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "leerpad_open",
                        "text": {**plain, "text": "Openen"},
                        "url": "https://lms.example/sql-j",
                    },
                    {
                        "type": "button",
                        "action_id": "leerpad_completed",
                        "text": {**plain, "text": "Gedaan"},
                        "value": f"{nudge.id}:completed",
                        "style": "primary",
                    },
                    {
                        "type": "button",
                        "action_id": "leerpad_postponed",
                        "text": {**plain, "text": "Later"},
                        "value": f"{nudge.id}:postponed",
                    },
                    {
                        "type": "button",
                        "action_id": "leerpad_dismissed",
                        "text": {**plain, "text": "Niet relevant"},
                        "value": f"{nudge.id}:dismissed",
                    },
                ],
            },
        ],
    }
    # no mrkdwn anywhere a hostile text can reach
    assert '"mrkdwn"' not in json.dumps(sent["blocks"])


def test_failed_deliveries_are_retried_with_back_off_and_retry_after_and_never_lost(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, slack: StandIn
) -> None:
    keys = _company(runtime, tenant, tmp_path, client, rows=ROWS[:1])
    _connect_slack(client, keys, slack)
    _opt_in(client, keys["employee"])
    now = MONDAY_0930_AMSTERDAM
    slack.script = [
        (500, {}, {"ok": False, "error": "internal_error"}),
        (429, {"Retry-After": "7"}, {"ok": False, "error": "ratelimited"}),
        (500, {}, {"ok": False, "error": "internal_error"}),
    ]
    assert run_nudges(runtime, tenant, now)["failed"] == 1
    [nudge] = _nudges(runtime, tenant)
    assert (nudge.status, nudge.attempts, nudge.next_attempt_at) == (
        "pending",
        1,
        now + timedelta(seconds=30),
    )
    assert nudge.last_error == "slack 500: internal_error"
    assert run_nudges(runtime, tenant, now + timedelta(seconds=29))["failed"] == 0  # not due yet: no call
    assert len(slack.calls("chat.postMessage")) == 1
    later = now + timedelta(seconds=30)
    assert run_nudges(runtime, tenant, later)["failed"] == 1
    [nudge] = _nudges(runtime, tenant)
    assert (nudge.attempts, nudge.next_attempt_at) == (2, later + timedelta(seconds=7))  # Slack's Retry-After
    assert nudge.last_error == "slack 429: ratelimited"
    third = later + timedelta(seconds=7)
    run_nudges(runtime, tenant, third)
    [nudge] = _nudges(runtime, tenant)
    assert (nudge.attempts, nudge.next_attempt_at) == (
        3,
        third + timedelta(seconds=120),
    )  # 30 s doubled twice
    assert run_nudges(runtime, tenant, third + timedelta(seconds=120))["sent"] == 1
    [nudge] = _nudges(runtime, tenant)
    assert (nudge.status, nudge.attempts, nudge.last_error) == ("sent", 4, None)
    assert len(slack.calls("chat.postMessage")) == 4
    assert len({c.body for c in slack.calls("chat.postMessage")}) == 1  # the same message each time


def test_quiet_hours_hold_a_nudge_back(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, slack: StandIn
) -> None:
    keys = _company(runtime, tenant, tmp_path, client, rows=ROWS[:1])
    _connect_slack(client, keys, slack)
    _opt_in(client, keys["employee"], quiet_start=9, quiet_end=11)  # the 09:00 slot falls in them
    assert run_nudges(runtime, tenant, MONDAY_0930_AMSTERDAM)["made"] == 0
    assert run_nudges(runtime, tenant, MONDAY_0930_AMSTERDAM + timedelta(hours=1, minutes=29))["made"] == 0
    assert run_nudges(runtime, tenant, MONDAY_0930_AMSTERDAM + timedelta(hours=1, minutes=31))["sent"] == 1


def _sent_nudge(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, slack: StandIn
) -> tuple[dict[str, dict[str, str]], Nudge]:
    keys = _company(runtime, tenant, tmp_path, client)
    _connect_slack(client, keys, slack)
    _opt_in(client, keys["employee"])
    assert run_nudges(runtime, tenant, MONDAY_0930_AMSTERDAM)["sent"] == 1
    [nudge] = _nudges(runtime, tenant)
    return keys, nudge


def test_slack_signatures_valid_wrong_replayed_stale(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, slack: StandIn
) -> None:
    _, nudge = _sent_nudge(runtime, tenant, tmp_path, client, slack)
    url = f"/slack/{tenant}/interactions"
    body = slack_click("U0E1", "leerpad_postponed", f"{nudge.id}:postponed")
    unsigned = client.post(url, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert unsigned.status_code == 401 and "not signed" in unsigned.json()["detail"]
    wrong = client.post(url, content=body, headers=slack_signed("another-secret-0000", body))
    assert wrong.status_code == 401 and "does not match" in wrong.json()["detail"]
    stale = client.post(
        url,
        content=body,
        headers=slack_signed(SECRET, body, timestamp=int(datetime.now(UTC).timestamp()) - 301),
    )
    assert stale.status_code == 401 and "stale" in stale.json()["detail"]
    tampered_headers = slack_signed(SECRET, body)
    tampered = client.post(url, content=body.replace(b"postponed", b"completed"), headers=tampered_headers)
    assert tampered.status_code == 401
    headers = slack_signed(SECRET, body)
    valid = client.post(url, content=body, headers=headers)
    assert valid.status_code == 200, valid.text
    assert valid.json() == {"ok": True, "answer": "postponed"}
    replayed = client.post(url, content=body, headers=headers)
    assert replayed.status_code == 403 and "replayed" in replayed.json()["detail"]
    stranger = slack_click("U0NOBODY", "leerpad_completed", f"{nudge.id}:completed")
    assert client.post(url, content=stranger, headers=slack_signed(SECRET, stranger)).status_code == 403
    [kept] = _nudges(runtime, tenant)
    assert kept.response == "postponed"


def _path_items(client: TestClient, headers: dict[str, str]) -> list[str]:
    path = client.post("/v1/employees/e-1/path", json={"minutes_per_week": 60, "weeks": 2}, headers=headers)
    assert path.status_code == 200, path.text
    return [step["title"] for step in path.json()["steps"]]


def test_a_click_becomes_the_learning_event_and_changes_the_next_path(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, slack: StandIn
) -> None:
    keys, nudge = _sent_nudge(runtime, tenant, tmp_path, client, slack)
    title = nudge.step["title"]
    assert title in _path_items(client, keys["lms"])
    body = slack_click("U0E1", "leerpad_dismissed", f"{nudge.id}:dismissed")
    answer = client.post(f"/slack/{tenant}/interactions", content=body, headers=slack_signed(SECRET, body))
    assert answer.status_code == 200, answer.text
    events = client.get("/v1/employees/e-1/export", headers=keys["admin"]).json()
    learning = (
        [e for e in events["tables"]["learning_events"]] if "tables" in events else events["learning_events"]
    )
    assert [(e["verb"], e["activity_id"]) for e in learning] == [("dismissed", nudge.activity_id)]
    assert title not in _path_items(client, keys["lms"])  # a dismissed item leaves the path
    [update] = slack.calls("chat.update")
    assert update.json() == {
        "channel": "D0NUDGE",
        "ts": "1733300000.000100",
        "text": "Je volgende leerstap",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "plain_text",
                    "emoji": False,
                    "text": f"Begrepen, dit verdwijnt uit je leerpad: {title}",
                },
            }
        ],
    }


def test_done_counts_as_evidence(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, slack: StandIn
) -> None:
    keys, nudge = _sent_nudge(runtime, tenant, tmp_path, client, slack)
    before = client.get("/v1/employees/e-1/gaps", headers=keys["lms"]).json()
    body = slack_click("U0E1", "leerpad_completed", f"{nudge.id}:completed")
    assert (
        client.post(
            f"/slack/{tenant}/interactions", content=body, headers=slack_signed(SECRET, body)
        ).status_code
        == 200
    )
    after = client.get("/v1/employees/e-1/gaps", headers=keys["lms"]).json()
    assert before != after
    assert nudge.step["title"] not in _path_items(client, keys["lms"])


def test_leerpad_command_answers_with_three_units_in_the_askers_language(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, slack: StandIn
) -> None:
    keys = _company(runtime, tenant, tmp_path, client)
    _connect_slack(client, keys, slack)
    _opt_in(client, keys["employee"])
    body = urlencode({"command": "/leerpad", "text": "SQL tabellen combineren", "user_id": "U0E1"}).encode()
    url = f"/slack/{tenant}/commands"
    assert client.post(url, content=body, headers=slack_signed("wrong-secret-00000", body)).status_code == 401
    answer = client.post(url, content=body, headers=slack_signed(SECRET, body))
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["response_type"] == "ephemeral"
    assert found["blocks"][0]["text"]["text"] == "Drie korte antwoorden op: SQL tabellen combineren"
    hits = found["blocks"][1:]
    assert 1 <= len(hits) <= 3
    assert hits[0]["text"]["text"] == f"{HOSTILE} (10 minuten)"
    assert hits[0]["text"]["type"] == "plain_text"
    assert "&lt;!channel&gt;" in found["text"] or "<!channel>" not in found["text"]


# --- Teams ------------------------------------------------------------------------------------------


def test_without_a_bot_secret_teams_cards_go_to_the_workflows_webhook_fallback(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient
) -> None:
    keys = _company(runtime, tenant, tmp_path, client, rows=ROWS[:1])
    bot = BotKeys()
    with stand_in(default={}) as teams:
        teams.static["/keys"] = bot.jwks
        body = {
            "webhook_url": teams.url + "workflows/leerpad",
            "bot_app_id": "app-1234",
            "bot_jwks_url": teams.url + "keys",
        }
        connected = client.put("/v1/integrations/teams", json=body, headers=keys["admin"])
        assert connected.status_code == 200, connected.text
        assert connected.json()["delivery"] == "webhook" and connected.json()["service_url"] is None
        _opt_in(client, keys["employee"], channel="teams", address="aad-e1")
        assert run_nudges(runtime, tenant, MONDAY_0930_AMSTERDAM)["sent"] == 1
        [nudge] = _nudges(runtime, tenant)
        [call] = teams.calls("/workflows/leerpad")
        message = call.json()
        assert message["type"] == "message" and message["recipient"] == "aad-e1"
        card = message["attachments"][0]["content"]
        assert message["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
        assert card["body"][1] == {
            "type": "RichTextBlock",
            "inlines": [{"type": "TextRun", "text": HOSTILE, "weight": "Bolder"}],
        }
        assert all(b["type"] != "TextBlock" or b["text"] == "Je volgende leerstap" for b in card["body"])
        assert card["actions"] == [
            {"type": "Action.OpenUrl", "title": "Openen", "url": "https://lms.example/sql-j"},
            {
                "type": "Action.Submit",
                "title": "Gedaan",
                "data": {"leerpad_nudge": nudge.id, "answer": "completed"},
            },
            {
                "type": "Action.Submit",
                "title": "Later",
                "data": {"leerpad_nudge": nudge.id, "answer": "postponed"},
            },
            {
                "type": "Action.Submit",
                "title": "Niet relevant",
                "data": {"leerpad_nudge": nudge.id, "answer": "dismissed"},
            },
        ]
        activity = {
            "type": "message",
            "from": {"id": "29:1", "aadObjectId": "aad-e1"},
            "value": {"leerpad_nudge": nudge.id, "answer": "completed"},
        }
        url = f"/teams/{tenant}/messages"
        assert client.post(url, json=activity).status_code == 401
        wrong_audience = {"Authorization": f"Bearer {bot.token('another-bot')}"}
        refused = client.post(url, json=activity, headers=wrong_audience)
        assert refused.status_code == 401 and "audience" in refused.json()["detail"]
        expired = {"Authorization": f"Bearer {bot.token('app-1234', expires_in=-600)}"}
        assert "expired" in client.post(url, json=activity, headers=expired).json()["detail"]
        forged = {"Authorization": f"Bearer {BotKeys().token('app-1234')}"}  # another key, same kid
        assert client.post(url, json=activity, headers=forged).status_code == 401
        answer = client.post(url, json=activity, headers={"Authorization": f"Bearer {bot.token('app-1234')}"})
        assert answer.status_code == 200, answer.text
        reply = answer.json()["attachments"][0]["content"]["body"][0]["inlines"][0]["text"]
        assert reply == f"Goed gedaan! Gemarkeerd als gedaan: {HOSTILE}"
    [kept] = _nudges(runtime, tenant)
    assert kept.response == "completed"


APP_ID = "00000000-0000-4000-8000-00000000b07a"
APP_SECRET = "Q~bot.secret_0123456789-abcdefghijklmnop"
ENTRA_TENANT = "11111111-2222-4333-8444-555555555555"
TEAMS_USER = "29:1e1TeamsUserId-_abc"


def _connect_bot(
    client: TestClient, keys: dict[str, dict[str, str]], server: StandIn, **extra: object
) -> dict[str, object]:
    body = {
        "bot_app_id": APP_ID,
        "bot_app_secret": APP_SECRET,
        "bot_tenant_id": ENTRA_TENANT,
        "service_url": server.url + "teams",
        "bot_login_url": server.url,
        "bot_jwks_url": server.url + "keys",
        **extra,
    }
    answer = client.put("/v1/integrations/teams", json=body, headers=keys["admin"])
    assert answer.status_code == 200, answer.text
    shown: dict[str, object] = answer.json()
    return shown


def _submit(nudge_id: int, answer: str, user: str = TEAMS_USER) -> dict[str, object]:
    """The activity Teams posts for an Action.Submit of a card the bot sent."""
    return {
        "type": "message",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "from": {"id": user, "aadObjectId": "f0e1d2c3-0000-4000-8000-000000000001"},
        "conversation": {"id": "a:1conv-1", "conversationType": "personal", "tenantId": ENTRA_TENANT},
        "replyToId": "1:1",
        "value": {"leerpad_nudge": nudge_id, "answer": answer},
    }


def test_teams_settings_seal_the_bot_secret_and_check_the_urls(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient
) -> None:
    keys = _company(runtime, tenant, tmp_path, client, rows=ROWS[:1])
    admin = keys["admin"]
    base = {"bot_app_id": APP_ID, "bot_app_secret": APP_SECRET, "bot_tenant_id": ENTRA_TENANT}
    answer = client.put("/v1/integrations/teams", json=base, headers=admin)
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert APP_SECRET not in answer.text
    assert shown["delivery"] == "bot" and shown["secret_hint"] == "…mnop"
    assert shown["service_url"] == "https://smba.trafficmanager.net/emea/"
    assert shown["bot_app_id"] == APP_ID and shown["bot_tenant_id"] == ENTRA_TENANT
    assert shown["request_urls"] == {"messaging_endpoint": f"http://127.0.0.1:8000/teams/{tenant}/messages"}
    assert APP_SECRET not in client.get("/v1/integrations/teams", headers=admin).text
    with transaction(runtime.sessions) as session:
        stored = nudges_repo.get_integration(session, people_tenant(runtime, tenant), "teams")
        assert stored is not None and APP_SECRET not in stored.secrets
        assert APP_SECRET not in json.dumps(stored.settings)
    refused = {
        "plain http": {**base, "service_url": "http://smba.trafficmanager.net/emea/"},
        "not a url": {**base, "service_url": "smba.trafficmanager.net"},
        "both ways": {**base, "webhook_url": "https://prod-00.westeurope.logic.azure.com/workflows/1"},
        "neither": {"bot_app_id": APP_ID, "bot_tenant_id": ENTRA_TENANT},
        "no tenant": {"bot_app_id": APP_ID, "bot_app_secret": APP_SECRET},
        "login over http": {**base, "bot_login_url": "http://login.example/"},
    }
    for why, body in refused.items():
        assert client.put("/v1/integrations/teams", json=body, headers=admin).status_code == 422, why
    assert client.put("/v1/integrations/teams", json=base, headers=keys["ld"]).status_code == 403


def test_a_teams_nudge_goes_out_from_the_tenants_bot_and_its_click_comes_back(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient
) -> None:
    keys = _company(runtime, tenant, tmp_path, client, rows=ROWS[:1])
    bot = BotKeys()
    connector = BotConnector(APP_ID, APP_SECRET, ENTRA_TENANT)
    with bot_connector(connector) as server:
        server.static["/keys"] = bot.jwks
        assert _connect_bot(client, keys, server)["delivery"] == "bot"
        _opt_in(client, keys["employee"], channel="teams", address=TEAMS_USER)
        assert run_nudges(runtime, tenant, MONDAY_0930_AMSTERDAM)["sent"] == 1
        [nudge] = _nudges(runtime, tenant)
        # 1. the token: the client-credentials grant, from the bot's own Entra tenant
        [token] = server.calls(f"/{ENTRA_TENANT}/oauth2/v2.0/token")
        assert token.headers["content-type"] == "application/x-www-form-urlencoded"
        assert parse_qs(token.body.decode()) == {
            "grant_type": ["client_credentials"],
            "client_id": [APP_ID],
            "client_secret": [APP_SECRET],
            "scope": ["https://api.botframework.com/.default"],
        }
        # 2. the 1:1 conversation with the employee, in the company's tenant
        [opened] = server.calls("/teams/v3/conversations")
        assert opened.headers["authorization"] == "Bearer bf-token-1"
        assert opened.json() == {
            "bot": {"id": f"28:{APP_ID}"},
            "members": [{"id": TEAMS_USER}],
            "isGroup": False,
            "tenantId": ENTRA_TENANT,
            "channelData": {"tenant": {"id": ENTRA_TENANT}},
        }
        # 3. the card, as an Adaptive Card attachment whose buttons carry the nudge and the answer
        [posted] = server.calls("/teams/v3/conversations/a:1conv-1/activities")
        assert posted.headers["authorization"] == "Bearer bf-token-1"
        activity = posted.json()
        assert list(activity) == ["type", "attachments"] and activity["type"] == "message"
        [attachment] = activity["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = attachment["content"]
        assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
        assert card["body"][1] == {
            "type": "RichTextBlock",
            "inlines": [{"type": "TextRun", "text": HOSTILE, "weight": "Bolder"}],
        }
        assert card["actions"] == [
            {"type": "Action.OpenUrl", "title": "Openen", "url": "https://lms.example/sql-j"},
            *(
                {
                    "type": "Action.Submit",
                    "title": title,
                    "data": {"leerpad_nudge": nudge.id, "answer": answer},
                }
                for title, answer in (
                    ("Gedaan", "completed"),
                    ("Later", "postponed"),
                    ("Niet relevant", "dismissed"),
                )
            ),
        ]
        assert nudge.status == "sent" and nudge.message_ref == {
            "bot_app_id": APP_ID,
            "service_url": server.url + "teams/",
            "conversation_id": "a:1conv-1",
            "activity_id": "1:1",
        }
        # the click: a Bot Framework activity to the bot's messaging endpoint, from the Teams id
        url = f"/teams/{tenant}/messages"
        click = _submit(nudge.id, "dismissed")
        assert client.post(url, json=click).status_code == 401
        forged = {"Authorization": f"Bearer {BotKeys().token(APP_ID)}"}
        assert client.post(url, json=click, headers=forged).status_code == 401
        signed = {"Authorization": f"Bearer {bot.token(APP_ID)}"}
        stranger = client.post(
            url, json=_submit(nudge.id, "dismissed", user="29:someone-else"), headers=signed
        )
        assert stranger.status_code == 403
        answer = client.post(url, json=click, headers=signed)
        assert answer.status_code == 200, answer.text
        thanks = f"Begrepen, dit verdwijnt uit je leerpad: {HOSTILE}"
        # the card is replaced by its thank-you line (its buttons go), through the Connector
        [update] = server.calls("/teams/v3/conversations/a:1conv-1/activities/1:1", method="PUT")
        assert update.headers["authorization"] == "Bearer bf-token-1"  # the token is kept until it expires
        assert update.json() == {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [{"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": thanks}]}],
                    },
                }
            ],
            "id": "1:1",
        }
        events = client.get("/v1/employees/e-1/export", headers=keys["admin"]).json()
        learning = events["tables"]["learning_events"] if "tables" in events else events["learning_events"]
        assert [(e["verb"], e["activity_id"]) for e in learning] == [("dismissed", nudge.activity_id)]
        # a week later: the next nudge goes to the same conversation with the same token
        with transaction(runtime.sessions) as session:
            session.add(
                Nudge(
                    tenant_id=nudge.tenant_id,
                    employee_id=nudge.employee_id,
                    channel="teams",
                    address=TEAMS_USER,
                    language="nl",
                    step=nudge.step,
                    activity_id=nudge.activity_id,
                    status="pending",
                    attempts=0,
                    next_attempt_at=MONDAY_0930_AMSTERDAM + timedelta(days=7),
                    created_at=MONDAY_0930_AMSTERDAM + timedelta(days=7),
                )
            )
        assert run_nudges(runtime, tenant, MONDAY_0930_AMSTERDAM + timedelta(days=7))["sent"] == 1
        assert len(server.calls("/teams/v3/conversations")) == 1
        assert len(server.calls("/teams/v3/conversations/a:1conv-1/activities", method="POST")) == 2
        assert len(server.calls("/oauth2/v2.0/token")) == 1
    [first, *_] = _nudges(runtime, tenant)
    assert first.response == "dismissed"


def test_teams_bot_deliveries_retry_with_back_off_and_retry_after_and_are_never_lost(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient
) -> None:
    keys = _company(runtime, tenant, tmp_path, client, rows=ROWS[:1])
    # a multi-tenant bot registration: its token comes from the botframework.com tenant
    connector = BotConnector(APP_ID, APP_SECRET, ENTRA_TENANT, authority="botframework.com")
    with bot_connector(connector) as server:
        _connect_bot(client, keys, server, bot_multi_tenant=True)
        _opt_in(client, keys["employee"], channel="teams", address=TEAMS_USER)
        server.path_script["/oauth2/v2.0/token"] = [(503, {}, {"error": "temporarily_unavailable"})]
        server.path_script["/activities"] = [
            (429, {"Retry-After": "7"}, {"error": {"code": "Throttled", "message": "Too many requests"}})
        ]
        now = MONDAY_0930_AMSTERDAM
        assert run_nudges(runtime, tenant, now)["failed"] == 1
        [nudge] = _nudges(runtime, tenant)
        assert (nudge.status, nudge.attempts, nudge.next_attempt_at) == (
            "pending",
            1,
            now + timedelta(seconds=30),
        )
        assert nudge.last_error == "teams token 503: temporarily_unavailable"
        assert run_nudges(runtime, tenant, now + timedelta(seconds=29))["failed"] == 0  # not due: no call
        later = now + timedelta(seconds=30)
        assert run_nudges(runtime, tenant, later)["failed"] == 1
        [nudge] = _nudges(runtime, tenant)
        assert (nudge.attempts, nudge.next_attempt_at) == (2, later + timedelta(seconds=7))  # Retry-After
        assert nudge.last_error == "teams activity 429: Throttled"
        assert run_nudges(runtime, tenant, later + timedelta(seconds=7))["sent"] == 1
        [nudge] = _nudges(runtime, tenant)
        assert (nudge.status, nudge.attempts, nudge.last_error) == ("sent", 3, None)
        tokens = server.calls("/botframework.com/oauth2/v2.0/token")
        assert len(tokens) == 2 and parse_qs(tokens[1].body.decode())["client_id"] == [APP_ID]
        posts = server.calls("/activities", method="POST")
        assert len(posts) == 2 and posts[0].body == posts[1].body  # the same card each time
        assert len(connector.cards) == 1


def test_the_bot_asks_a_new_token_after_a_401_and_opens_a_new_chat_when_teams_forgot_the_old_one() -> None:
    card = {"type": "AdaptiveCard", "version": "1.4", "body": []}
    connector = BotConnector(APP_ID, APP_SECRET, ENTRA_TENANT)
    with bot_connector(connector) as server:
        bot = TeamsBot(APP_ID, APP_SECRET, ENTRA_TENANT, ENTRA_TENANT, server.url, server.url + "emea/")
        server.path_script["/v3/conversations"] = [
            (401, {}, {"error": {"code": "Unauthorized", "message": "Authorization has been denied"}})
        ]
        with pytest.raises(DeliveryFailed, match="teams conversation 401: Unauthorized"):
            bot.post_card(TEAMS_USER, card)
        sent = bot.post_card(TEAMS_USER, card, conversation="a:1gone")  # a chat Teams no longer knows
        assert sent == {
            "bot_app_id": APP_ID,
            "service_url": server.url + "emea/",
            "conversation_id": "a:1conv-1",
            "activity_id": "1:1",
        }
        tokens = server.calls(f"/{ENTRA_TENANT}/oauth2/v2.0/token")
        assert len(tokens) == 2  # the token refused with 401 was dropped
        assert [r.path for r in server.requests if "/v3/" in r.path] == [
            "/emea/v3/conversations",
            "/emea/v3/conversations/a:1gone/activities",
            "/emea/v3/conversations",
            "/emea/v3/conversations/a:1conv-1/activities",
        ]
        assert connector.cards == [card]


# --- KPIs -------------------------------------------------------------------------------------------


def test_kpis_compare_completion_after_a_nudge_with_without_and_show_the_pulse_only_from_five(
    runtime: Runtime, client: TestClient, company: str
) -> None:
    lms, ld = make_key(runtime, company, "lms"), make_key(runtime, company, "ld")
    now = datetime.now(UTC).replace(microsecond=0)
    people_ids = [f"k-{n}" for n in range(6)]
    first_steps: dict[str, dict[str, object]] = {}
    others = 0
    for n, key in enumerate(people_ids):
        team = "small" if n < 3 else "other"
        body = {"role": "analyst", "language": "nl", "team": team}
        assert client.put(f"/v1/employees/{key}", json=body, headers=lms).status_code == 200
        path = client.post(
            f"/v1/employees/{key}/path", json={"minutes_per_week": 120, "weeks": 4}, headers=lms
        )
        steps = path.json()["steps"]
        assert len(steps) >= 2
        first_steps[key] = steps[0]
        others += len(
            {(s["item_id"], s["unit_id"]) for s in steps[1:]} - {(steps[0]["item_id"], steps[0]["unit_id"])}
        )
        if n == 0:
            second = steps[1]
    tenant_id = people_tenant(runtime, company)
    with transaction(runtime.sessions) as session:
        for n, key in enumerate(people_ids):
            employee = people.get_employee(session, tenant_id, key)
            assert employee is not None
            step = first_steps[key]
            nudges_repo.add_nudge(
                session,
                Nudge(
                    tenant_id=tenant_id,
                    employee_id=employee.id,
                    channel="slack",
                    address=f"U{n}",
                    language="nl",
                    step={"item_id": step["item_id"], "unit_id": step["unit_id"], "title": step["title"]},
                    activity_id=str(step["activity_id"]),
                    status="sent",
                    sent_at=now - timedelta(hours=1),
                ),
            )
            if n < 5:
                nudges_repo.add_pulse_answer(session, tenant_id, employee.id, [10, 9, 9, 6, 3][n], now)
    later = (now + timedelta(minutes=2)).isoformat()  # after the paths were planned
    done = [
        statement(key, "completed", str(first_steps[key]["activity_id"]), timestamp=later)
        for key in people_ids[:4]
    ]
    done.append(statement("k-0", "completed", str(second["activity_id"]), timestamp=later))
    assert client.post("/v1/events", json=done, headers=lms).json()["accepted"] == 5
    report = client.get("/v1/reports/kpis", headers=ld).json()
    assert report["completion_rate"] is not None  # the existing keys stay
    nudges = report["nudges"]
    assert nudges["nudges_sent"] == 6 and nudges["nudged_employees"] == 6 and nudges["effect_days"] == 7
    assert nudges["completion_after_nudge"] == {"value": round(4 / 6, 4), "employees": 6, "suppressed": False}
    assert nudges["completion_without_nudge"] == {
        "value": round(1 / others, 4),
        "employees": 6,
        "suppressed": False,
    }
    assert nudges["pulse_answers"] == 5
    assert nudges["pulse_enps"] == {"value": 20.0, "employees": 5, "suppressed": False}
    assert nudges["pulse_mean"] == {"value": 7.4, "employees": 5, "suppressed": False}
    small = client.get("/v1/reports/kpis?team=small", headers=ld).json()["nudges"]
    assert small["completion_after_nudge"] == {"value": None, "employees": 3, "suppressed": True}
    assert small["pulse_enps"]["value"] is None and small["nudges_sent"] == 0

    def csv_figures(query: str) -> dict[str, tuple[float | None, int, bool]]:
        """The nudge rows of the KPI CSV, as (value, employees, suppressed) per figure."""
        text = client.get(f"/v1/reports/kpis?format=csv{query}", headers=ld).text
        return {
            row["figure"]: (
                float(row["value"]) if row["value"] else None,
                int(row["employees"]),
                row["suppressed"] == "true",
            )
            for row in csv.DictReader(io.StringIO(text, newline=""))
            if row["period"] == "window" and row["figure"] in nudges
        }

    names = ["completion_after_nudge", "completion_without_nudge", "pulse_enps", "pulse_mean"]
    as_json = {name: tuple(nudges[name].values()) for name in names}
    assert csv_figures("") == as_json
    assert csv_figures("&team=small") == {name: (None, 3, True) for name in names}


def test_a_team_that_differs_from_the_company_by_fewer_than_five_hides_its_nudge_figures(
    runtime: Runtime, client: TestClient, company: str
) -> None:
    """Team `five` all nudged and all answering the pulse, and one of team `rest` too: the team's
    figures would give away that sixth person's (their answer is six times the company's mean minus
    five times the team's), so the team report hides them (docs/reports.md, rule 2)."""
    lms, ld = make_key(runtime, company, "lms"), make_key(runtime, company, "ld")
    now = datetime.now(UTC).replace(microsecond=0)
    tenant_id = people_tenant(runtime, company)
    keys = [f"d-{n}" for n in range(10)]
    for n, key in enumerate(keys):
        body = {"role": "analyst", "language": "nl", "team": "five" if n < 5 else "rest"}
        assert client.put(f"/v1/employees/{key}", json=body, headers=lms).status_code == 200
    with transaction(runtime.sessions) as session:
        for n, key in enumerate(keys[:6]):
            employee = people.get_employee(session, tenant_id, key)
            assert employee is not None
            nudges_repo.add_nudge(
                session,
                Nudge(
                    tenant_id=tenant_id,
                    employee_id=employee.id,
                    channel="slack",
                    address=f"U{n}",
                    language="nl",
                    step={"item_id": 1, "unit_id": None, "title": "SQL"},
                    activity_id="urn:leerpad:test",
                    status="sent",
                    sent_at=now - timedelta(hours=1),
                ),
            )
            nudges_repo.add_pulse_answer(session, tenant_id, employee.id, [10, 9, 9, 6, 3, 0][n], now)
    everyone = client.get("/v1/reports/kpis", headers=ld).json()["nudges"]
    assert everyone["pulse_enps"] == {"value": 0.0, "employees": 6, "suppressed": False}
    assert everyone["completion_after_nudge"] == {"value": 0.0, "employees": 6, "suppressed": False}
    five = client.get("/v1/reports/kpis?team=five", headers=ld).json()
    assert five["suppressed"] is False  # five of eleven: the report itself shows
    for name in ("completion_after_nudge", "pulse_enps", "pulse_mean"):
        assert five["nudges"][name] == {"value": None, "employees": 5, "suppressed": True}, name
    assert five["nudges"]["nudges_sent"] == 0


def test_the_pulse_goes_with_a_nudge_at_most_monthly_and_its_answer_is_stored(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, slack: StandIn
) -> None:
    keys = _company(runtime, tenant, tmp_path, client, rows=ROWS[:1])
    _connect_slack(client, keys, slack, pulse=True)
    _opt_in(client, keys["employee"])
    run_nudges(runtime, tenant, MONDAY_0930_AMSTERDAM)
    run_nudges(runtime, tenant, MONDAY_0930_AMSTERDAM + timedelta(days=7))
    first, second = _nudges(runtime, tenant)
    assert (first.pulse, second.pulse) == (True, False)
    blocks = slack.calls("chat.postMessage")[0].json()["blocks"]
    question = blocks[-1]["elements"][0]
    assert question["action_id"] == "leerpad_pulse" and len(question["options"]) == 11
    body = urlencode(
        {
            "payload": json.dumps(
                {
                    "type": "block_actions",
                    "user": {"id": "U0E1"},
                    "actions": [
                        {"action_id": "leerpad_pulse", "selected_option": {"value": f"{first.id}:8"}}
                    ],
                }
            )
        }
    ).encode()
    answer = client.post(f"/slack/{tenant}/interactions", content=body, headers=slack_signed(SECRET, body))
    assert answer.json() == {"ok": True, "answer": "pulse"}
    with transaction(runtime.sessions) as session:
        assert nudges_repo.pulse_scores(
            session,
            people_tenant(runtime, tenant),
            datetime.now(UTC) - timedelta(days=1),
            datetime.now(UTC) + timedelta(days=1),
        ) == [(first.employee_id, 8)]


def test_workers_queue_one_nudges_job_per_connected_tenant(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, slack: StandIn
) -> None:
    from models import repositories as repo
    from service.nudges.job import NUDGES, schedule_nudges

    keys = _company(runtime, tenant, tmp_path, client, rows=ROWS[:1])
    _connect_slack(client, keys, slack)
    schedule_nudges(runtime)
    schedule_nudges(runtime)  # one is waiting already: no second
    with transaction(runtime.sessions) as session:
        job = repo.latest_job_of_kind(session, people_tenant(runtime, tenant), NUDGES)
        assert job is not None and job.status == "queued"


def test_later_is_a_postponed_event_and_the_next_nudge_skips_that_step_for_a_week(
    runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient, slack: StandIn
) -> None:
    keys, nudge = _sent_nudge(runtime, tenant, tmp_path, client, slack)
    body = slack_click("U0E1", "leerpad_postponed", f"{nudge.id}:postponed")
    answer = client.post(f"/slack/{tenant}/interactions", content=body, headers=slack_signed(SECRET, body))
    assert answer.status_code == 200, answer.text
    events = client.get("/v1/employees/e-1/export", headers=keys["admin"]).json()
    learning = events["tables"]["learning_events"] if "tables" in events else events["learning_events"]
    assert [(e["verb"], e["activity_id"]) for e in learning] == [("postponed", nudge.activity_id)]
    assert nudge.step["title"] in _path_items(client, keys["lms"])  # later is no dismissal
    clicked = datetime.now(UTC)
    with transaction(runtime.sessions) as session:
        employee = people.get_employee(session, nudge.tenant_id, "e-1")
        assert employee is not None
        within = next_step(runtime, session, tenant, nudge.tenant_id, employee, clicked + timedelta(days=6))
        after = next_step(runtime, session, tenant, nudge.tenant_id, employee, clicked + timedelta(days=8))
    assert within is not None and within.activity_id != nudge.activity_id
    assert after is not None and after.activity_id == nudge.activity_id
