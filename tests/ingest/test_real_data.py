"""The real public data in ../shared/data through the whole pipeline: counts, languages, minutes,
micro-unit sizes, and a second ingest that changes and encodes nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from models import repositories as repo
from models.tables import CatalogItem, MicroUnit
from recommender.embedding import Encoder
from service.core.runtime import Runtime
from tests.support.encoders import CountingEncoder


def ingest(runtime: Runtime, tenant: str, kind: str, path: Path, encoder: CountingEncoder):
    from ingest.pipeline import ingest_catalog

    return ingest_catalog(
        runtime.sessions,
        lambda: encoder,
        runtime.settings.model,
        runtime.settings.index_root,
        tenant=tenant,
        kind=kind,
        path=path,  # type: ignore[arg-type]
    )


def stored(runtime: Runtime, tenant: str) -> tuple[list[CatalogItem], list[MicroUnit]]:
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None
        items = list(session.scalars(select(CatalogItem).where(CatalogItem.tenant_id == row.id)).all())
        units = list(session.scalars(select(MicroUnit).where(MicroUnit.tenant_id == row.id)).all())
        session.expunge_all()
    return items, units


def assert_second_ingest_is_a_no_op(
    runtime: Runtime, tenant: str, kind: str, path: Path, encoder: Encoder, items: int
) -> None:
    version = runtime.store(tenant).current_version()
    counting = CountingEncoder(encoder)
    again = ingest(runtime, tenant, kind, path, counting)
    assert (again.created, again.updated, again.unchanged, again.retired, again.embedded) == (
        0,
        0,
        items,
        0,
        0,
    )
    assert counting.texts == 0
    assert runtime.store(tenant).current_version() == version


@pytest.mark.slow
def test_coursera_sample(runtime: Runtime, tenant: str, encoder: Encoder, shared_data: Path) -> None:
    path = shared_data / "coursera_sample" / "coursera.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    report = ingest(runtime, tenant, "coursera", path, CountingEncoder(encoder))
    assert report.created + report.rejected_total == len(rows) == 165
    assert report.created >= 160
    items, units = stored(runtime, tenant)
    languages = {i.title: i.language for i in items}
    assert sum(lang == "en" for lang in languages.values()) >= 0.8 * len(items)
    assert languages["Analista de Datos de IBM"] == "es"  # the sample holds Spanish courses too
    assert not [i.title for i in items if "Ã" in i.title + i.description]  # its mojibake is repaired
    assert sum(1 for i in items if i.declared_skills) >= 0.9 * len(items)
    assert all(i.url and i.url.startswith("https://www.coursera.org/") for i in items)
    assert all(i.rating is None or 0 <= i.rating <= 5 for i in items)
    assert all(u.minutes >= 1 for u in units)
    assert runtime.check_index(tenant, repair=False) is None
    assert_second_ingest_is_a_no_op(runtime, tenant, "coursera", path, encoder, report.created)


@pytest.mark.slow
def test_dutch_training_offers(runtime: Runtime, tenant: str, encoder: Encoder, shared_data: Path) -> None:
    path = shared_data / "nl_ai_training_offers" / "ai_courses_cleaned.csv"
    report = ingest(runtime, tenant, "goodhabitz", path, CountingEncoder(encoder))
    assert report.created + report.rejected_total == 27
    assert all(r.reason for r in report.rejected)
    items, _ = stored(runtime, tenant)
    by_title = {i.title: i for i in items}
    assert sum(i.language == "nl" for i in items) > len(items) / 2
    assert by_title["Netwerk AI"].language == "nl"
    assert by_title["How AI Can Support Healthcare"].language == "en"
    assert by_title["Netwerk AI"].minutes == 225  # "3 uur 45 min"
    assert by_title["Artificiële Intelligentie in de Zorg"].minutes in (67, 68)
    assert by_title["Bijeenkomst Succesvolle AI: hoe maak je dat meetbaar"].minutes == 240
    assert_second_ingest_is_a_no_op(runtime, tenant, "goodhabitz", path, encoder, report.created)


@pytest.mark.slow
@pytest.mark.backends("sqlite")
def test_sourcegraph_handbook_as_a_wiki(
    runtime: Runtime, tenant: str, encoder: Encoder, shared_data: Path
) -> None:
    """Once, on SQLite: the two smaller real catalogs above cover both databases."""
    folder = shared_data / "wiki_sourcegraph_handbook" / "content"
    pages = list(folder.rglob("*.md"))
    report = ingest(runtime, tenant, "wiki", folder, CountingEncoder(encoder))
    assert report.created + report.rejected_total == len(pages) > 800
    assert report.rejected_total <= 5  # pages with nothing but front matter
    assert all(r.reason == "empty page" and r.origin.endswith(".md") for r in report.rejected)
    items, units = stored(runtime, tenant)
    assert all(i.language == "en" for i in items)
    assert all(1 <= u.minutes <= 15 for u in units)
    long_pages = {i.id for i in items if i.minutes >= 5}
    sized = [u for u in units if u.item_id in long_pages]
    assert sum(5 <= u.minutes <= 15 for u in sized) >= 0.8 * len(sized)
    assert report.embedded == len(units)
    assert runtime.check_index(tenant, repair=False) is None
    assert_second_ingest_is_a_no_op(runtime, tenant, "wiki", folder, encoder, report.created)
