"""Re-embedding a tenant after a model switch (ingest/reembed.py), against both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from ingest.reembed import ReembedError, reembed_tenant
from models import repositories as repo
from models.tables import MicroUnit, Skill
from recommender.embedding import Encoder
from service.core.runtime import Runtime
from tests.support.catalogs import ROWS, write_csv
from tests.support.encoders import CountingEncoder
from tests.support.ingest import run_ingest

OLD_MODEL = "some-older-model"


def _reembed(runtime: Runtime, tenant: str, encoder: CountingEncoder, **kw: bool):
    settings = runtime.settings
    return reembed_tenant(
        runtime.sessions,
        lambda: encoder,
        settings.model,
        settings.index_root,
        tenant,
        **kw,  # type: ignore[arg-type, return-value]
    )


def _models(runtime: Runtime, tenant: str) -> tuple[set[str | None], set[str | None]]:
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None
        units = set(session.scalars(select(MicroUnit.embedding_model).where(MicroUnit.tenant_id == row.id)))
        skills = set(session.scalars(select(Skill.embedding_model).where(Skill.tenant_id == row.id)))
        return units, skills


def test_units_and_skills_of_another_model_are_reembedded_and_served(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    report = run_ingest(runtime, tenant, write_csv(tmp_path / "c.csv", ROWS), CountingEncoder(encoder))
    with runtime.sessions() as session:  # as if the catalog had been embedded under another model
        tenant_id = repo.get_tenant(session, tenant).id  # type: ignore[union-attr]
        session.execute(
            update(MicroUnit).where(MicroUnit.tenant_id == tenant_id).values(embedding_model=OLD_MODEL)
        )
        session.execute(update(Skill).where(Skill.tenant_id == tenant_id).values(embedding_model=OLD_MODEL))
        session.commit()
        skills = session.scalar(select(func.count()).select_from(Skill).where(Skill.tenant_id == tenant_id))
    with pytest.raises(ValueError, match="cannot join an index"):  # what the switch runs into without it
        runtime.rebuild_index(tenant)
    before = runtime.store(tenant).current_version()

    counting = CountingEncoder(encoder)
    result = _reembed(runtime, tenant, counting, only_stale=True)
    assert (result.units, result.skills) == (report.units, skills)
    assert counting.texts == report.units + skills
    assert _models(runtime, tenant) == ({runtime.settings.model}, {runtime.settings.model})
    assert result.index_version is not None and before is not None and result.index_version > before
    assert runtime.check_index(tenant, repair=False) is None
    snapshot = runtime.snapshot(tenant)
    assert snapshot is not None and snapshot.manifest.model == runtime.settings.model
    assert snapshot.count == result.index_count == report.units
    hits = snapshot.search(encoder.encode(["SQL voor beginners: SELECT en WHERE"]), 1)[0]
    with runtime.sessions() as session:
        unit = session.get(MicroUnit, hits[0].unit_id)
        assert unit is not None and unit.item.external_id == "sql-1"

    nothing = CountingEncoder(encoder)
    again = _reembed(runtime, tenant, nothing, only_stale=True)
    assert (again.units, again.skills, nothing.texts) == (0, 0, 0)
    everything = _reembed(runtime, tenant, CountingEncoder(encoder))
    assert (everything.units, everything.skills) == (report.units, skills)
    stored = runtime.snapshot(tenant)
    assert stored is not None and stored.count == report.units


def test_refuses_an_unknown_tenant_and_a_foreign_encoder(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    with pytest.raises(ReembedError, match="unknown tenant"):
        _reembed(runtime, tenant, CountingEncoder(encoder))
    run_ingest(runtime, tenant, write_csv(tmp_path / "c.csv", ROWS), CountingEncoder(encoder))
    version = runtime.store(tenant).current_version()
    foreign = CountingEncoder(encoder)
    foreign.name = OLD_MODEL
    with pytest.raises(ReembedError, match="not the configured model"):
        _reembed(runtime, tenant, foreign)
    assert foreign.texts == 0 and runtime.store(tenant).current_version() == version
    assert runtime.check_index(tenant, repair=False) is None
