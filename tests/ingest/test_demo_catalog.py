"""The bundled demo catalog (demo/catalog, read by `leerpad demo`): micro-units, levels, languages, skills.

Reads every demo catalog the way the pipeline does (service.demo.loader.CATALOGS, ingest.pipeline.read_items), so
the units checked are the units `leerpad demo` stores and embeds.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
import yaml

from ingest.pipeline import IngestReport, read_items
from ingest.records import CatalogItem
from ingest.sources import get_source
from ingest.taxonomy import read_default_taxonomy
from service.demo.loader import CATALOGS, DEMO_DIR


@pytest.fixture(scope="module")
def items() -> list[tuple[str, CatalogItem]]:
    out: list[tuple[str, CatalogItem]] = []
    for kind, relative, name in CATALOGS:
        report = IngestReport(kind=kind, source=name, path=relative)
        found = read_items(get_source(kind), DEMO_DIR / relative, report)
        assert report.rejected == [], (name, report.rejected)
        out.extend((name, item) for item in found)
    return out


def test_demo_units_are_micro_and_levels_known(items: list[tuple[str, CatalogItem]]) -> None:
    units = [unit for _, item in items for unit in item.units]
    micro = sum(5 <= unit.minutes <= 15 for unit in units) / len(units)
    assert micro >= 0.8, micro
    # only classroom days and events that cannot honestly be split run over an hour
    long = [item for _, item in items if any(unit.minutes > 60 for unit in item.units)]
    assert all(item.format in ("classroom", "event") for item in long), [i.title for i in long]
    assert len(long) <= 8
    assert sum(item.level is not None for _, item in items) / len(items) >= 0.8
    assert 180 <= len(items) <= 240
    dutch = sum(item.language == "nl" for _, item in items) / len(items)
    assert 0.4 <= dutch <= 0.55, dutch
    assert not [item.title for _, item in items if item.extra.get("modules_error")]


def test_every_role_skill_has_dutch_and_english_micro_units(items: list[tuple[str, CatalogItem]]) -> None:
    taxonomy = read_default_taxonomy()
    skill_of: dict[str, str] = {}
    for skill in taxonomy.skills:
        for label in [*skill.labels.values(), *(a for alts in skill.alt_labels.values() for a in alts)]:
            skill_of[label.casefold()] = skill.key
    roles = yaml.safe_load((DEMO_DIR / "people" / "roles.yaml").read_text(encoding="utf-8"))["roles"]
    needed = {skill_of[entry["skill"].casefold()] for role in roles for entry in role["skills"]}
    units: dict[tuple[str, str], int] = defaultdict(int)
    for _, item in items:
        assert 1 <= len(item.skills) <= 3 or item.format == "page", (item.title, item.skills)
        for label in item.skills:
            key = skill_of.get(label.casefold())
            assert key is not None, f"{item.title}: {label!r} is no label of the default taxonomy"
            units[(key, item.language)] += sum(5 <= unit.minutes <= 15 for unit in item.units)
    missing = [(key, lang) for key in sorted(needed) for lang in ("nl", "en") if units[(key, lang)] < 2]
    assert missing == []
