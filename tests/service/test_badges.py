"""Open Badges 3.0: Leerpad issues a badge, and code that shares nothing with the issuing code checks it.

The proof is checked with PyJWT (the issuer signs with joserfc) against the key fetched from the served
JWK Set; the credential against the fields Open Badges 3.0 and VC 2.0 require; the revocation bit in the
served Bitstring Status List decoded by hand (gzip, base64url). Badges from another issuer are signed
here with PyJWT and a key made in the test."""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt as pyjwt
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from ingest.taxonomy import Taxonomy, TaxonomySkill
from models import badges_repository
from models import people_repository as people
from models import repositories as repo
from models.db import transaction
from models.tables import JOB_QUEUED, JOB_SUCCEEDED, Badge, Job
from service.badges import keys
from service.badges.job import run_issue_badges
from service.core.badge_jobs import ISSUE_BADGES
from service.core.runtime import Runtime
from service.skills.taxonomy import import_taxonomy
from tests.support.api_keys import make_key
from tests.support.badges import (
    baked,
    issuer_key,
    other_issuer_badge,
    public_jwk,
    trusted_issuer_body,
)
from tests.support.jobs import run_job
from tests.support.xapi import statement

ESCO_URI = "http://data.europa.eu/esco/skill/0b5f7bd5-7e5a-4d1e-9f3c-3c8a6f1d2e4b"
HOSTILE = '<script>alert("x")</script> & Query tuning'

# Open Badges 3.0 (section B: Data Models) and VC Data Model 2.0: the properties each class requires.
REQUIRED = {
    "OpenBadgeCredential": ("@context", "id", "type", "issuer", "validFrom", "name", "credentialSubject"),
    "Profile": ("id", "type"),
    "AchievementSubject": ("type", "achievement"),
    "Achievement": ("id", "type", "criteria", "description", "name"),
    "Alignment": ("type", "targetName", "targetUrl"),
    "IdentityObject": ("type", "hashed", "identityHash", "identityType"),
    "BitstringStatusListEntry": ("type", "statusPurpose", "statusListIndex", "statusListCredential"),
}


def _has(document: dict[str, Any], kind: str) -> None:
    missing = [name for name in REQUIRED[kind] if name not in document]
    assert not missing, f"{kind} lacks {missing}"


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _path(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def badge_company(runtime: Runtime, tenant: str, client: TestClient) -> str:
    """A tenant with one ESCO skill (with a hostile label), a role needing it at 3, two employees in it."""
    skill = TaxonomySkill(
        key=ESCO_URI,
        uri=ESCO_URI,
        labels={"en": HOSTILE},
        alt_labels={},
        descriptions={"en": "Making slow database queries fast."},
        skill_type="skill/competence",
    )
    import_taxonomy(runtime, tenant, Taxonomy([skill], [], [], ("en",)), origin="esco")
    role = {"name": "Tuner", "skills": [{"skill": ESCO_URI, "level": 3, "importance": "essential"}]}
    assert (
        client.put("/v1/roles/tuner", json=role, headers=make_key(runtime, tenant, "ld")).status_code == 200
    )
    lms = make_key(runtime, tenant, "lms")
    for employee in ("e-1", "e-2"):
        body = {"role": "tuner", "language": "en"}
        assert client.put(f"/v1/employees/{employee}", json=body, headers=lms).status_code == 200
    return tenant


def _reach_target(client: TestClient, headers: dict[str, str], employee: str) -> None:
    evidence = [{"skill": ESCO_URI, "level": 4, "source": "manager"}]
    assert (
        client.post(f"/v1/employees/{employee}/assessments", json=evidence, headers=headers).status_code
        == 200
    )


def _status_bit(client: TestClient, url: str, index: int) -> bool:
    listed = client.get(_path(url))
    assert listed.status_code == 200
    subject = listed.json()["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded.startswith("u")  # multibase base64url, no padding
    bits = gzip.decompress(_b64url(encoded[1:]))
    assert len(bits) >= 16 * 1024  # the spec's minimum, for herd privacy
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def test_an_issued_badge_verifies_independently_and_tampering_and_revocation_show(
    client: TestClient, runtime: Runtime, badge_company: str
) -> None:
    tenant = badge_company
    admin, lms = make_key(runtime, tenant, "admin"), make_key(runtime, tenant, "lms")
    own = make_key(runtime, tenant, "employee", employee="e-1")
    _reach_target(client, lms, "e-1")

    # Opt-in: off for the tenant by default, then the employee's own consent.
    assert client.post("/v1/employees/e-1/badges", headers=lms).status_code == 409
    assert client.put("/v1/badges/settings", json={"enabled": True}, headers=lms).status_code == 403
    assert client.put("/v1/badges/settings", json={"enabled": True}, headers=admin).json()["enabled"] is True
    assert client.post("/v1/employees/e-1/badges", headers=lms).status_code == 409
    assert (
        client.put("/v1/employees/e-1/badges/consent", json={"consent": True}, headers=lms).status_code == 403
    )
    assert (
        client.put("/v1/employees/e-1/badges/consent", json={"consent": True}, headers=own).status_code == 200
    )
    issued = client.post("/v1/employees/e-1/badges", headers=own)
    assert issued.status_code == 200, issued.text
    assert [b["kind"] for b in issued.json()] == ["skill"]
    assert client.post("/v1/employees/e-1/badges", headers=own).json() == []  # once per achievement
    badge_id = issued.json()[0]["badge_id"]
    colleague = make_key(runtime, tenant, "employee", employee="e-2")
    assert client.get(f"/v1/badges/{badge_id}", headers=colleague).status_code == 403
    assert (
        client.get(f"/v1/badges/{badge_id}", headers=make_key(runtime, tenant + "-x", "admin")).status_code
        == 404
    )

    detail = client.get(f"/v1/badges/{badge_id}", headers=own).json()
    token = detail["jwt"]
    header = pyjwt.get_unverified_header(token)
    assert header["alg"] == "ES256" and header["typ"] == "vc+jwt"
    unverified = pyjwt.decode(token, options={"verify_signature": False})
    jwks = client.get(_path(unverified["issuer"]["id"] + "/jwks.json"))
    assert jwks.status_code == 200 and all("d" not in k for k in jwks.json()["keys"])
    key = pyjwt.PyJWKSet.from_dict(jwks.json())[header["kid"]]
    credential = pyjwt.decode(token, key.key, algorithms=["ES256"])  # PyJWT, not the issuing library

    _has(credential, "OpenBadgeCredential")
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert any("purl.imsglobal.org/spec/ob/v3p0/context" in c for c in credential["@context"])
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    _has(credential["issuer"], "Profile")
    assert credential["issuer"]["id"].startswith(runtime.settings.public_url + "/badges/issuers/")
    assert client.get(_path(credential["issuer"]["id"])).json()["type"] == ["Profile"]
    subject = credential["credentialSubject"]
    _has(subject, "AchievementSubject")
    _has(subject["identifier"][0], "IdentityObject")
    assert subject["identifier"][0]["identityHash"].startswith("sha256$")
    achievement = subject["achievement"]
    _has(achievement, "Achievement")
    assert achievement["type"] == ["Achievement"] and achievement["criteria"]["narrative"]
    _has(achievement["alignment"][0], "Alignment")
    assert achievement["alignment"][0]["targetUrl"] == ESCO_URI
    _has(credential["credentialStatus"], "BitstringStatusListEntry")
    # the holder only by a salted hash: "e-1" nowhere as a word (a random UUID may hold "...2e-1b...")
    assert not re.search(r"(?<![\w-])e-1(?![\w-])", json.dumps(credential))

    # A changed payload under the old signature fails the independent check and the public page.
    head, body, signature = token.split(".")
    changed = dict(credential, name="Expert at everything")
    forged_body = base64.urlsafe_b64encode(json.dumps(changed).encode()).decode().rstrip("=")
    forged = f"{head}.{forged_body}.{signature}"
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(forged, key.key, algorithms=["ES256"])
    page = client.post("/badges/verify", data={"credential": forged})
    assert page.status_code == 200 and 'class="status tampered"' in page.text

    # The public page: valid, and the hostile skill name only escaped.
    page = client.get(f"/badges/{badge_id}/verify")
    assert page.status_code == 200 and 'class="status valid"' in page.text
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    assert "e-1" not in page.text

    # The baked PNG holds the JWT in an iTXt chunk named openbadgecredential.
    png = client.get(f"/v1/badges/{badge_id}?format=png", headers=own)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert b"iTXtopenbadgecredential" in png.content
    with Image.open(io.BytesIO(png.content)) as image:
        image.load()
        assert image.text["openbadgecredential"] == token  # type: ignore[attr-defined]

    # Revocation: only an admin; the bit flips in the served list and the page says revoked.
    index = int(credential["credentialStatus"]["statusListIndex"])
    status_url = credential["credentialStatus"]["statusListCredential"]
    assert _status_bit(client, status_url, index) is False
    assert client.post(f"/v1/badges/{badge_id}/revoke", headers=lms).status_code == 403
    assert client.post(f"/v1/badges/{badge_id}/revoke", headers=admin).json()["revoked"] is True
    assert _status_bit(client, status_url, index) is True
    assert 'class="status revoked"' in client.get(f"/badges/{badge_id}/verify").text
    signed_list = client.get(_path(status_url), headers={"Accept": "application/vc+jwt"})
    assert signed_list.headers["content-type"].startswith("application/vc+jwt")
    assert (
        pyjwt.decode(signed_list.text, key.key, algorithms=["ES256"])["type"][1]
        == "BitstringStatusListCredential"
    )

    # Erasure: the employee's badges are revoked in the list and their rows go.
    second = make_key(runtime, tenant, "employee", employee="e-2")
    _reach_target(client, lms, "e-2")
    assert (
        client.put("/v1/employees/e-2/badges/consent", json={"consent": True}, headers=second).status_code
        == 200
    )
    other = client.post("/v1/employees/e-2/badges", headers=lms).json()[0]
    other_claims = pyjwt.decode(
        client.get(f"/v1/badges/{other['badge_id']}", headers=lms).json()["jwt"],
        key.key,
        algorithms=["ES256"],
    )
    other_index = int(other_claims["credentialStatus"]["statusListIndex"])
    assert _status_bit(client, status_url, other_index) is False
    exported = client.get("/v1/employees/e-2/export", headers=lms).json()["tables"]
    assert [b["badge_key"] for b in exported["badges"]] == [other["badge_id"]] and exported["badge_consents"]
    assert client.delete("/v1/employees/e-2", headers=admin).status_code in (200, 204)
    assert _status_bit(client, status_url, other_index) is True
    assert client.get(f"/badges/{other['badge_id']}/verify").status_code == 404


def _gap(client: TestClient, headers: dict[str, str]) -> float:
    """The employee's gap in the one skill; a closed gap is not listed."""
    gaps = client.get("/v1/employees/e-1/gaps", headers=headers).json()["gaps"]
    return float(gaps[0]["gap"]) if gaps else 0.0


def test_an_uploaded_badge_from_a_trusted_issuer_is_verified_and_becomes_evidence(
    client: TestClient, runtime: Runtime, badge_company: str, tmp_path: Path
) -> None:
    tenant = badge_company
    admin = make_key(runtime, tenant, "admin")
    own = make_key(runtime, tenant, "employee", employee="e-1")
    private = issuer_key()
    token = other_issuer_badge(private, target_url=ESCO_URI)
    upload = "/v1/employees/e-1/badges/received"

    def send(data: bytes, name: str = "badge.png") -> Any:
        return client.post(upload, files={"file": (name, data)}, headers=own)

    assert send(baked(token)).status_code == 409  # badges off for the tenant
    client.put("/v1/badges/settings", json={"enabled": True, "evidence_level": 3}, headers=admin)
    before = _gap(client, own)
    assert before == 3.0
    unknown = send(baked(token))
    assert unknown.status_code == 201 and unknown.json()["verified"] is False
    assert "trusted issuers" in unknown.json()["reason"] and _gap(client, own) == before

    trusted = trusted_issuer_body(private)
    assert client.put("/v1/badges/trusted-issuers", json=trusted, headers=own).status_code == 403
    leaked = {**trusted, "jwks": {"keys": [{**public_jwk(private), "d": "secret"}]}}
    assert client.put("/v1/badges/trusted-issuers", json=leaked, headers=admin).status_code == 422
    assert client.put("/v1/badges/trusted-issuers", json=trusted, headers=admin).status_code == 200

    accepted = send(baked(token))
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    assert body["verified"] is True and body["version"] == "3.0" and len(body["skills"]) == 1
    held = client.get("/v1/employees/e-1/assessments", headers=own).json()
    assert [a["source"] for a in held] == ["badge"] and held[0]["level"] == 3
    assert _gap(client, own) == 0.0  # level 3 evidence closes the level-3 requirement

    # The bare JWT is read too; a changed payload, or another key claiming the issuer, is not verified.
    head, _, signature = token.split(".")
    forged_claims = pyjwt.decode(token, options={"verify_signature": False}) | {"name": "Forged"}
    forged = f"{head}.{base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).decode().rstrip('=')}.{signature}"
    assert send(forged.encode(), "badge.jwt").json()["verified"] is False
    impostor = other_issuer_badge(issuer_key(), target_url=ESCO_URI)
    assert send(impostor.encode(), "badge.jwt").json()["verified"] is False
    assert send(token.encode(), "badge.jwt").json()["verified"] is True
    assert send(b"just some text", "x.txt").status_code == 422
    listed = client.get("/v1/employees/e-1/badges", headers=own).json()
    assert [r["verified"] for r in listed["received"]] == [False, True, False, False, True]
    assert (
        sum(a["source"] == "badge" for a in client.get("/v1/employees/e-1/assessments", headers=own).json())
        == 2
    )


# --- issuing on its own: the `issue-badges` job queued when new evidence is stored ----------------


def _badge_jobs(runtime: Runtime, tenant: str) -> list[Job]:
    """The tenant's `issue-badges` jobs, oldest first."""
    with runtime.sessions() as session:
        tenant_row = repo.get_tenant(session, tenant)
        assert tenant_row is not None
        return list(
            session.scalars(
                select(Job)
                .where(Job.tenant_id == tenant_row.id, Job.kind == ISSUE_BADGES)
                .order_by(Job.created_at, Job.id)
            )
        )


def _run_queued(runtime: Runtime, tenant: str) -> list[dict[str, Any]]:
    """Run the tenant's queued `issue-badges` jobs as a worker does; their reports."""
    queued = [job.id for job in _badge_jobs(runtime, tenant) if job.status == JOB_QUEUED]
    for job_id in queued:
        run_job(runtime, job_id)
    ended = {job.id: job for job in _badge_jobs(runtime, tenant)}
    assert all(ended[job_id].status == JOB_SUCCEEDED for job_id in queued), [ended[j].error for j in queued]
    return [dict(ended[job_id].result or {}) for job_id in queued]


def _employee_id(runtime: Runtime, tenant: str, key: str) -> int:
    with runtime.sessions() as session:
        tenant_row = repo.get_tenant(session, tenant)
        employee = people.get_employee(session, tenant_row.id, key) if tenant_row else None
        assert employee is not None
        return employee.id


def _issued(client: TestClient, headers: dict[str, str], employee: str) -> list[dict[str, Any]]:
    listed = client.get(f"/v1/employees/{employee}/badges", headers=headers)
    assert listed.status_code == 200, listed.text
    return list(listed.json()["issued"])


def _opt_in(client: TestClient, runtime: Runtime, tenant: str, employee: str) -> None:
    admin = make_key(runtime, tenant, "admin")
    assert client.put("/v1/badges/settings", json={"enabled": True}, headers=admin).status_code == 200
    own = make_key(runtime, tenant, "employee", employee=employee)
    consent = client.put(f"/v1/employees/{employee}/badges/consent", json={"consent": True}, headers=own)
    assert consent.status_code == 200


def test_evidence_that_reaches_the_target_issues_a_skill_badge_through_one_job(
    client: TestClient, runtime: Runtime, badge_company: str
) -> None:
    tenant = badge_company
    lms = make_key(runtime, tenant, "lms")
    _opt_in(client, runtime, tenant, "e-1")
    # saying yes queues a look at the evidence there is: none yet, so nothing is issued
    assert _run_queued(runtime, tenant) == [{"issued": 0, "kinds": []}]

    _reach_target(client, lms, "e-1")
    _reach_target(client, lms, "e-1")  # more evidence while the job waits joins it
    jobs = _badge_jobs(runtime, tenant)
    e1 = _employee_id(runtime, tenant, "e-1")
    assert [(j.status, j.payload) for j in jobs] == [
        (JOB_SUCCEEDED, {"employee_id": e1}),  # the one the yes queued
        (JOB_QUEUED, {"employee_id": e1}),
    ]
    assert _issued(client, lms, "e-1") == []  # the request only queued it

    assert _run_queued(runtime, tenant) == [{"issued": 1, "kinds": ["skill"]}]
    issued = _issued(client, lms, "e-1")
    assert [b["kind"] for b in issued] == ["skill"] and issued[0]["name"].endswith(": level 3")
    page = client.get(f"/badges/{issued[0]['badge_id']}/verify")
    assert page.status_code == 200 and 'class="status valid"' in page.text

    # Again: new evidence queues a new job (the first has run), which issues nothing new; nor do the
    # job's function run by hand and the route, which share the one rule.
    _reach_target(client, lms, "e-1")
    assert _run_queued(runtime, tenant) == [{"issued": 0, "kinds": []}]
    assert run_issue_badges(runtime, tenant, {"employee_id": e1}) == {"issued": 0, "kinds": []}
    assert client.post("/v1/employees/e-1/badges", headers=lms).json() == []
    assert [b["badge_id"] for b in _issued(client, lms, "e-1")] == [issued[0]["badge_id"]]


def test_saying_yes_after_reaching_the_target_issues_the_badge_earned_before(
    client: TestClient, runtime: Runtime, badge_company: str
) -> None:
    """e-1 reached the role's level before saying yes to badges: the yes queues the job that issues it,
    without waiting for new evidence; saying no queues nothing."""
    tenant = badge_company
    admin, lms = make_key(runtime, tenant, "admin"), make_key(runtime, tenant, "lms")
    assert client.put("/v1/badges/settings", json={"enabled": True}, headers=admin).status_code == 200
    _reach_target(client, lms, "e-1")
    assert _badge_jobs(runtime, tenant) == []  # no consent yet
    own = make_key(runtime, tenant, "employee", employee="e-1")
    answer = client.put("/v1/employees/e-1/badges/consent", json={"consent": False}, headers=own)
    assert answer.status_code == 200 and _badge_jobs(runtime, tenant) == []
    answer = client.put("/v1/employees/e-1/badges/consent", json={"consent": True}, headers=own)
    assert answer.status_code == 200
    assert _run_queued(runtime, tenant) == [{"issued": 1, "kinds": ["skill"]}]
    assert [b["kind"] for b in _issued(client, lms, "e-1")] == ["skill"]


def test_a_badge_issued_meanwhile_is_not_issued_twice(
    client: TestClient, runtime: Runtime, badge_company: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker or a request issued the badge between the job's reading what the employee
    holds and its writing: the unique achievement per employee refuses the second, and the job
    looks again."""
    tenant = badge_company
    lms = make_key(runtime, tenant, "lms")
    _opt_in(client, runtime, tenant, "e-1")
    _reach_target(client, lms, "e-1")
    held = client.post("/v1/employees/e-1/badges", headers=lms).json()  # the request was first
    assert [b["kind"] for b in held] == ["skill"]

    real, calls = badges_repository.badges_of, []

    def stale(session: Any, tenant_id: int, employee_id: int) -> Any:
        calls.append(employee_id)
        return [] if len(calls) == 1 else real(session, tenant_id, employee_id)

    monkeypatch.setattr(badges_repository, "badges_of", stale)
    assert _run_queued(runtime, tenant) == [{"issued": 0, "kinds": []}]
    assert len(calls) == 2  # refused once, then read again
    e1 = _employee_id(runtime, tenant, "e-1")
    with runtime.sessions() as session:
        assert len(session.scalars(select(Badge.id).where(Badge.employee_id == e1)).all()) == 1


def test_no_job_and_no_badge_without_the_tenants_switch_or_the_employees_consent(
    client: TestClient, runtime: Runtime, badge_company: str
) -> None:
    tenant = badge_company
    admin, lms = make_key(runtime, tenant, "admin"), make_key(runtime, tenant, "lms")
    own = make_key(runtime, tenant, "employee", employee="e-1")
    consent = client.put("/v1/employees/e-1/badges/consent", json={"consent": True}, headers=own)
    assert consent.status_code == 200
    _reach_target(client, lms, "e-1")  # consented, but badges are off for the tenant
    _reach_target(client, lms, "e-2")  # and e-2 never said yes
    assert _badge_jobs(runtime, tenant) == []
    assert _issued(client, lms, "e-1") == [] and _issued(client, lms, "e-2") == []

    # Turned on: a job for e-1, who said yes while badges were off (their evidence earned a badge);
    # none for e-2. Turned off again before the job ran: the job issues nothing.
    assert client.put("/v1/badges/settings", json={"enabled": True}, headers=admin).status_code == 200
    e1 = _employee_id(runtime, tenant, "e-1")
    assert [j.payload for j in _badge_jobs(runtime, tenant)] == [{"employee_id": e1}]
    assert client.put("/v1/badges/settings", json={"enabled": False}, headers=admin).status_code == 200
    reports = _run_queued(runtime, tenant)
    assert reports[0]["issued"] == 0 and "off" in reports[0]["skipped"]
    assert _issued(client, lms, "e-1") == []


def test_completing_every_step_of_a_path_issues_a_path_badge(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    tenant = company
    lms = make_key(runtime, tenant, "lms")
    _opt_in(client, runtime, tenant, "e-1")
    _run_queued(runtime, tenant)  # whatever the fixture's evidence earned: none of it a path
    steps = client.post(
        "/v1/employees/e-1/path", json={"minutes_per_week": 60, "weeks": 2}, headers=lms
    ).json()["steps"]
    assert len(steps) >= 2, steps

    def report(verb: str, targets: list[dict[str, Any]]) -> None:
        sent = client.post(
            "/v1/events", json=[statement("e-1", verb, s["activity_id"]) for s in targets], headers=lms
        )
        assert sent.status_code == 200 and sent.json()["accepted"] == len(targets), sent.text

    report("experienced", steps)  # no evidence and completes nothing: no job
    assert [j for j in _badge_jobs(runtime, tenant) if j.status == JOB_QUEUED] == []

    report("completed", steps[:-1])
    assert len([j for j in _badge_jobs(runtime, tenant) if j.status == JOB_QUEUED]) == 1
    _run_queued(runtime, tenant)
    assert "path" not in {b["kind"] for b in _issued(client, lms, "e-1")}

    # The last step through the LRS, as Moodle sends it (HTTP Basic: the tenant and the key).
    key = lms["Authorization"].removeprefix("Bearer ")
    basic = base64.b64encode(f"{tenant}:{key}".encode()).decode()
    lrs = {"Authorization": f"Basic {basic}", "X-Experience-API-Version": "1.0.3"}
    stored = client.post(
        "/xapi/statements", json=[statement("e-1", "completed", steps[-1]["activity_id"])], headers=lrs
    )
    assert stored.status_code == 200, stored.text
    assert "path" in _run_queued(runtime, tenant)[0]["kinds"]
    paths = [b for b in _issued(client, lms, "e-1") if b["kind"] == "path"]
    assert len(paths) == 1 and paths[0]["name"].startswith("Learning path completed")

    report("passed", steps[-1:])  # evidence again: a job, and no second path badge
    assert "path" not in _run_queued(runtime, tenant)[0]["kinds"]
    assert len([b for b in _issued(client, lms, "e-1") if b["kind"] == "path"]) == 1


def test_two_first_badges_at_once_keep_one_signing_key(runtime: Runtime, tenant: str) -> None:
    """Two workers issue a tenant's first badges at the same moment: each finds no key, and the one
    that stores its key second must sign with the first one's, not replace it (the badges signed
    with a replaced key would verify against no published key)."""
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        badges_repository.issuer_or_new(session, tenant_id)
    with runtime.sessions() as late:
        stale = badges_repository.issuer(late, tenant_id)
        assert stale is not None and stale.private_key_pem is None  # read before the other's key
        with transaction(runtime.sessions) as first:
            issuer = badges_repository.issuer(first, tenant_id)
            assert issuer is not None
            kept = keys.signing_key(first, runtime.settings, issuer).thumbprint()
        used = keys.signing_key(late, runtime.settings, stale).thumbprint()
        late.commit()
    assert used == kept and stale.kid == kept
    with runtime.sessions() as session:
        stored = badges_repository.issuer(session, tenant_id)
        assert (
            stored is not None and stored.kid == kept and keys.public_jwks(stored)["keys"][0]["kid"] == kept
        )


@pytest.mark.backends("postgresql")
def test_two_revocations_at_once_both_land_in_the_status_list(runtime: Runtime, tenant: str) -> None:
    """One transaction read the revocation list before another revoked a badge and committed; its own
    revocation must keep the other's bit (it used to write back the whole list as it had read it, so
    the first revoked badge verified as valid again). SQLite has one writer: the late transaction
    would fail there rather than write over the list."""
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        badges_repository.issuer_or_new(session, tenant_id)
    with runtime.sessions() as late:
        stale = badges_repository.issuer(late, tenant_id)
        assert stale is not None and not badges_repository.status_bit(stale.status_bits, 3)
        with transaction(runtime.sessions) as first:
            badges_repository.set_status_bits(first, tenant_id, [3])
        badges_repository.set_status_bits(late, tenant_id, [700])
        late.commit()
    with runtime.sessions() as session:
        stored = badges_repository.issuer(session, tenant_id)
        assert stored is not None
        assert badges_repository.status_bit(stored.status_bits, 3)
        assert badges_repository.status_bit(stored.status_bits, 700)
        assert sum(bin(byte).count("1") for byte in stored.status_bits) == 2
