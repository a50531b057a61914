"""Catalog maintenance as jobs: re-tagging the catalog, and a catalog update that re-embeds and
re-tags only what changed while searches keep being answered from the previous snapshot."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from ingest.skills import create_custom_skill
from models import repositories as repo
from models.db import transaction
from recommender.embedding import EncodeKind, Encoder
from service.app import create_app
from service.core.runtime import Runtime
from tests.support.api_keys import make_key
from tests.support.catalogs import ROWS, write_csv
from tests.support.jobs import run_job
from tests.support.settings import make_settings

GATE_WORD = "Gatekeeper"  # only the updated row's text holds it, so only the job's encoding waits
JOB_THREAD = "catalog-update-job"


class GatedEncoder:
    """The real encoder; records what the job thread encodes, and a batch that holds GATE_WORD
    waits until the test opens the gate."""

    def __init__(self, inner: Encoder) -> None:
        self.inner, self.name, self.dimension = inner, inner.name, inner.dimension
        self.waiting, self.gate = threading.Event(), threading.Event()
        self.job_texts: list[str] = []

    def encode(
        self, texts: Sequence[str], progress: bool = False, kind: EncodeKind = "passage"
    ) -> np.ndarray:
        if threading.current_thread().name == JOB_THREAD:
            self.job_texts.extend(texts)
        if any(GATE_WORD in text for text in texts):
            self.waiting.set()
            assert self.gate.wait(timeout=120), "the test never opened the gate"
        return self.inner.encode(texts, kind=kind)


def item_ids(runtime: Runtime, tenant: str) -> dict[str, int]:
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None
        page = repo.list_items(session, row.id, repo.ItemFilter(), after_id=0, limit=100)
        return {item.external_id: item.id for item in page}


def tag_labels(client: TestClient, item_id: int, headers: dict[str, str]) -> dict[str, str]:
    tags = client.get(f"/v1/catalog/items/{item_id}/skills", headers=headers)
    assert tags.status_code == 200, tags.text
    return {tag["label"]: tag["status"] for tag in tags.json()}


def test_retag_runs_as_a_job_and_keeps_reviewed_tags(
    client: TestClient, runtime: Runtime, tenant: str, tmp_path: Path
) -> None:
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "c.csv", ROWS))
    ids = item_ids(runtime, tenant)
    ld = make_key(runtime, tenant, "ld")
    rejected = next(tag for tag in client.get(f"/v1/catalog/items/{ids['fb-1']}/skills", headers=ld).json())
    review = client.put(
        f"/v1/catalog/items/{ids['fb-1']}/skills/{rejected['skill_id']}",
        json={"status": "rejected"},
        headers=ld,
    )
    assert review.status_code == 200
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        # A skill stored the way a taxonomy import stores one: not yet matched against the catalog.
        create_custom_skill(session, tenant_id, "pytest", "en")
    assert "pytest" not in tag_labels(client, ids["py-1"], ld)

    assert client.post("/v1/catalog/retag", headers=make_key(runtime, tenant, "lms")).status_code == 403
    queued = client.post("/v1/catalog/retag", headers=ld)
    assert queued.status_code == 202 and queued.json()["kind"] == "retag"
    assert queued.json()["status"] == "queued"
    assert "pytest" not in tag_labels(client, ids["py-1"], ld)  # nothing happens until a worker runs it

    run_job(runtime, queued.json()["job_id"])
    done = client.get(f"/v1/jobs/{queued.json()['job_id']}", headers=ld).json()
    assert done["status"] == "succeeded", done
    assert done["report"] == {"items_tagged": 3, "skills_embedded": 1}
    assert tag_labels(client, ids["py-1"], ld)["pytest"] == "auto"
    assert tag_labels(client, ids["fb-1"], ld)[rejected["label"]] == "rejected"


def search_titles(client: TestClient, headers: dict[str, str], query: str) -> tuple[int, list[str]]:
    answer = client.get("/v1/search", params={"q": query, "limit": 10}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["index_version"], [hit["title"] for hit in answer.json()["results"]]


@pytest.mark.slow
def test_catalog_update_job_reindexes_only_changes_while_the_old_snapshot_answers(
    database_url: str, tmp_path: Path, encoder: Encoder, tenant: str
) -> None:
    gated = GatedEncoder(encoder)
    runtime = Runtime(make_settings(tmp_path / "home", database_url), encoder=gated)  # type: ignore[arg-type]
    runtime.migrate()
    first = runtime.ingest(tenant, "csv", write_csv(tmp_path / "v1.csv", ROWS))
    assert first.created == 3
    updated = [row[:] for row in ROWS]
    updated[1][1] = "Python functions and the Gatekeeper pattern"
    updated[1][2] = f"{GATE_WORD}: small Python functions that check input before the work starts."
    updated[2] = [
        "dw-1",
        "Data warehouse basics",
        "Star schemas, facts and dimensions for reporting.",
        "https://lms.example/dw-1",
        "en",
        "12",
        "",
    ]
    update = write_csv(tmp_path / "v2.csv", updated)
    with TestClient(create_app(runtime=runtime)) as client:
        headers = make_key(runtime, tenant, "lms")
        old_version, old_titles = search_titles(client, headers, "feedback geven")
        assert "Feedback geven" in old_titles
        with open(update, "rb") as handle:
            queued = client.post(
                "/v1/catalog/imports",
                params={"kind": "csv"},
                files={"file": ("v2.csv", handle, "text/csv")},
                headers=make_key(runtime, tenant, "ld"),
            )
        assert queued.status_code == 202
        worker = threading.Thread(target=run_job, args=(runtime, queued.json()["job_id"]), name=JOB_THREAD)
        worker.start()
        try:
            assert gated.waiting.wait(timeout=120), "the job never reached the encoder"
            # The job is mid-way: the service still answers, from the snapshot it had.
            during_version, during_titles = search_titles(client, headers, "feedback geven")
            assert during_version == old_version and "Feedback geven" in during_titles
            assert client.get("/readyz").status_code == 200
        finally:
            gated.gate.set()
            worker.join(timeout=120)
        assert not worker.is_alive()

        report = client.get(
            f"/v1/jobs/{queued.json()['job_id']}", headers=make_key(runtime, tenant, "ld")
        ).json()
        assert report["status"] == "succeeded", report
        outcome = report["report"]
        assert (outcome["created"], outcome["updated"], outcome["unchanged"], outcome["retired"]) == (
            1,
            1,
            1,
            1,
        )
        # Only the changed and the new item were encoded and tagged; the unchanged one was not.
        assert outcome["items_tagged"] == 2 and outcome["skills_embedded"] == 0
        assert outcome["embedded"] == len(gated.job_texts) >= 2
        assert any(GATE_WORD in text for text in gated.job_texts)
        assert any("Star schemas" in text for text in gated.job_texts)
        assert not any("SELECT" in text for text in gated.job_texts)

        new_version, new_titles = search_titles(client, headers, "star schema facts dimensions")
        assert new_version > old_version and new_titles[0] == "Data warehouse basics"
        assert "Feedback geven" not in search_titles(client, headers, "feedback geven")[1]
        snapshot = runtime.snapshot(tenant)
        assert snapshot is not None and runtime.check_index(tenant, repair=False) is None
    runtime.close()
