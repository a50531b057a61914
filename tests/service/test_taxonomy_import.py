"""Taxonomy imports into the database: idempotent, ESCO occupations become roles, Dutch titles find them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from ingest.taxonomy import read_default_taxonomy, read_esco
from models import people_repository as people
from models import repositories as repo
from models import taxonomy_repository as tax
from models.db import transaction
from models.tables import Skill
from service.core.runtime import Runtime
from service.skills.taxonomy import RoleDefinition, import_roles, import_taxonomy
from tests.support.catalogs import ROWS, write_csv


def skill_hashes(runtime: Runtime, tenant: str) -> dict[str, str]:
    with runtime.sessions() as session:
        tenant_id = repo.get_tenant(session, tenant).id  # type: ignore[union-attr]
        return {
            s.key: s.content_hash for s in session.scalars(select(Skill).where(Skill.tenant_id == tenant_id))
        }


def test_importing_the_same_taxonomy_twice_changes_nothing(
    runtime: Runtime, tenant: str, tmp_path: Path
) -> None:
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "c.csv", ROWS))
    first = import_taxonomy(runtime, tenant, read_default_taxonomy(), origin="default")
    assert first.skills_created >= 100 and first.embedded >= first.skills_created and first.items_tagged == 3
    before = skill_hashes(runtime, tenant)
    second = import_taxonomy(runtime, tenant, read_default_taxonomy(), origin="default")
    assert (second.skills_created, second.skills_updated, second.embedded, second.items_tagged) == (
        0,
        0,
        0,
        0,
    )
    assert second.skills_unchanged == first.skills_created + first.skills_updated
    assert second.occupations_unchanged == first.occupations_created
    assert skill_hashes(runtime, tenant) == before


def test_dutch_and_english_labels_resolve_to_the_same_skill(runtime: Runtime, tenant: str) -> None:
    from ingest.skills import resolve_skill

    import_taxonomy(runtime, tenant, read_default_taxonomy(), origin="default")
    with runtime.sessions() as session:
        tenant_id = repo.get_tenant(session, tenant).id  # type: ignore[union-attr]
        pairs = [
            ("giving feedback", "feedback geven"),
            ("leadership", "leidinggeven"),
            ("complaint handling", "klachtafhandeling"),
        ]
        for english, dutch in pairs:
            en, nl = resolve_skill(session, tenant_id, english), resolve_skill(session, tenant_id, dutch)
            assert en is not None and nl is not None and en.id == nl.id, (english, dutch)


@pytest.fixture(scope="module")
def esco_folder(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """The official English layout plus the Dutch occupations file, as one ESCO download folder."""
    folder = tmp_path_factory.mktemp("esco")
    for source in (shared_data / "esco" / "official_layout").glob("*_en.csv"):
        (folder / source.name).symlink_to(source)
    (folder / "occupations_nl.csv").symlink_to(shared_data / "esco" / "occupations_nl.csv")
    return folder


@pytest.mark.slow
@pytest.mark.backends("sqlite")
def test_esco_occupation_becomes_a_role_found_by_its_dutch_title(
    runtime: Runtime, tenant: str, esco_folder: Path
) -> None:
    """Once, on SQLite (encoding 2,334 ESCO skills is the slow part); the default taxonomy covers PostgreSQL."""
    taxonomy = read_esco(esco_folder)
    report = import_taxonomy(runtime, tenant, taxonomy, origin="esco")
    assert report.skills_created == len(taxonomy.skills) > 2000
    assert report.occupations_created == len(taxonomy.occupations) > 3000
    again = import_taxonomy(runtime, tenant, taxonomy, origin="esco")
    assert (again.skills_created, again.skills_updated, again.occupations_updated, again.embedded) == (
        0,
        0,
        0,
        0,
    )

    developer = next(o for o in taxonomy.occupations if o.labels.get("en") == "software developer")
    dutch_title = developer.labels["nl"]
    import_roles(runtime, tenant, [RoleDefinition("dev", "Developer", occupation=dutch_title)])
    with runtime.sessions() as session:
        tenant_id = repo.get_tenant(session, tenant).id  # type: ignore[union-attr]
        role = people.get_role(session, tenant_id, "dev")
        assert role is not None
        by_key = {
            s.id: s.key
            for s in tax.get_skills(session, tenant_id, [rs.skill_id for rs in role.skills]).values()
        }
        essential = {by_key[rs.skill_id] for rs in role.skills if rs.importance == 1.0}
        optional = {by_key[rs.skill_id] for rs in role.skills if rs.importance == 0.5}
    assert essential == set(developer.essential) and essential
    assert optional == set(developer.optional) - set(developer.essential)
    assert all(rs.level == 3 for rs in role.skills if rs.importance == 1.0)


def test_role_file_with_a_bad_level_stores_nothing(runtime: Runtime, tenant: str, tmp_path: Path) -> None:
    from service.skills.taxonomy import RoleFileError, read_role_file

    import_taxonomy(runtime, tenant, read_default_taxonomy(), origin="default")
    path = tmp_path / "roles.csv"
    path.write_text(
        "role_id,name,skill,level,importance\nanalyst,Analyst,SQL,4,essential\nanalyst,Analyst,Excel,9,optional\n"
    )
    with pytest.raises(RoleFileError, match="line 3.*level 9"):
        read_role_file(path)
    good = tmp_path / "ok.yaml"
    good.write_text(
        "roles:\n  - id: analyst\n    name: Analyst\n    skills:\n      - {skill: SQL, level: 4, importance: essential}\n      - {skill: Excel, level: 3, importance: optional}\n"
    )
    lines = import_roles(runtime, tenant, read_role_file(good))
    assert lines == ["role analyst: 2 skills (0 new custom skills)"]
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_tenant(session, tenant).id  # type: ignore[union-attr]
        assert people.get_role(session, tenant_id, "analyst") is not None
