"""The GoodHabitz source: Dutch and English headers, CSV and XLSX, the real Dutch provider list."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from ingest.records import CatalogItem, SourceError
from ingest.sources import get_source, goodhabitz
from ingest.sources.goodhabitz import HEADER_MAP, GoodHabitzSource
from tests.support.parsing import parse_all

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
NL_OFFERS = DATA / "nl_ai_training_offers" / "ai_courses_cleaned.csv"


def ingest(path: Path) -> tuple[list[CatalogItem], list[tuple[int, str, str | None]]]:
    return parse_all(GoodHabitzSource(), path)


def test_kind_registry_and_documented_mapping() -> None:
    assert GoodHabitzSource.kind == "goodhabitz"
    assert isinstance(get_source("goodhabitz"), GoodHabitzSource)
    assert goodhabitz.__doc__ is not None
    for header in ("Titel", "Beschrijving", "Categorie", "Duur", "Taal", "Niveau", "Link"):
        assert header in goodhabitz.__doc__  # the mapping is documented where it is defined
        assert header.lower() in HEADER_MAP


def test_real_dutch_provider_list() -> None:
    items, rejected = ingest(NL_OFFERS)
    assert rejected == []
    assert len(items) == 27
    by_title = {i.title: i for i in items}
    assert len({i.external_id for i in items}) == 27

    first = by_title["Artificiële Intelligentie in de Zorg"]
    assert first.minutes == 68  # "60-75 minuten": midpoint 67.5, halves round up
    assert first.language == "nl"
    assert first.provider == "WZ2025 (FMS)"
    assert first.url == "https://www.wz2025.nl/2021/11/06/artificiele-intelligentie-in-de-zorg"
    assert first.external_id == "wz2025-nl-2021-11-06-artificiele-intelligentie-in-de-zorg"
    assert first.extra["audience"] == "Algemeen"
    assert first.extra["cost"] == "In overleg"
    assert first.line == 2

    assert by_title["Bijeenkomst Succesvolle AI: hoe maak je dat meetbaar"].minutes == 240  # "4 uur"
    assert by_title["Netwerk AI"].minutes == 225  # "3 uur 45 min"
    assert by_title["Masterclass AI in de Zorg"].minutes == 480  # "1 dag"
    assert by_title["EuSoMII Webinars"].minutes == 60

    vague = by_title["Opleidingen en Trainingen AI"]  # "verschillend"
    assert vague.extra["duration_text"] == "verschillend"
    assert vague.extra["minutes_estimated"] is True
    assert vague.minutes == 1

    # Dutch titles are Dutch; titles with no signal take the Dutch headers' language; English titles
    # (FutureLearn, MIT, RSNA ...) are English courses and say so.
    for title in (
        "Artificiële Intelligentie in de Zorg",
        "Bijeenkomst Succesvolle AI: hoe maak je dat meetbaar",
        "Kunstmatige Intelligentie (AI) in de Zorg",
        "Netwerk AI",
        "LabICT voor Beheerders",
    ):
        assert by_title[title].language == "nl", title
    assert by_title["How AI Can Support Healthcare"].language == "en"
    assert sum(i.language == "nl" for i in items) >= 15
    assert all(len(i.units) == 1 and i.units[0].text for i in items)


def test_english_headers_case_insensitive_with_category_and_level(tmp_path: Path) -> None:
    path = tmp_path / "gh.csv"
    path.write_text(
        "TITLE,description,Category,DURATION,Language,Level,URL,Format,Skills\n"
        "Time management,Plan your week and keep your focus.,Productivity,45 min,English,Beginner Level,"
        'https://gh.example/tm,Video,"planning, focus"\n'
        "Presenteren,Leer presenteren met zelfvertrouwen.,Communicatie,,Nederlands,Gevorderd,,Artikel,\n",
        encoding="utf-8",
    )
    items, rejected = ingest(path)
    assert rejected == []
    tm, pres = items
    assert tm.minutes == 45 and tm.language == "en" and tm.level == "beginner" and tm.format == "video"
    assert tm.skills == ("planning", "focus")  # named skills; the category is only a shelf then
    assert tm.extra["category"] == "Productivity"
    assert tm.provider == "GoodHabitz"
    assert tm.external_id == "gh-example-tm"
    assert pres.level == "advanced" and pres.format == "article" and pres.language == "nl"
    assert pres.external_id == "presenteren"  # no id, no url: slug of the title
    assert pres.minutes == 1 and pres.extra["minutes_estimated"] is True
    assert "duration_text" not in pres.extra


def test_xlsx_with_dutch_headers_and_id_column(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Cursus-ID", "Titel", "Omschrijving", "Thema", "Duur", "Niveau", "Vorm"])
    sheet.append(
        [
            1001,
            "Feedback geven en ontvangen",
            "Hoe geef je feedback die aankomt?",
            "Communicatie",
            "30 min",
            "Basis",
            "E-learning",
        ]
    )
    sheet.append([1002, "", "Rij zonder titel", "", "", "", ""])
    sheet.append([1003, "Stressmanagement", "", "Vitaliteit", 25, "Expert", "Podcast"])
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    items, rejected = ingest(path)
    assert rejected == [(3, "empty title", "title")]
    feedback, stress = items
    assert feedback.external_id == "1001"
    assert feedback.minutes == 30 and feedback.level == "beginner" and feedback.format == "course"
    assert feedback.language == "nl"
    assert feedback.skills == ("Communicatie",)
    assert (
        stress.line == 4
        and stress.minutes == 25
        and stress.format == "podcast"
        and stress.level == "advanced"
    )
    assert stress.units[0].text == "Stressmanagement\nVitaliteit"


def test_unknown_level_is_kept_not_rejected(tmp_path: Path) -> None:
    path = tmp_path / "gh.csv"
    path.write_text("Titel,Niveau\nExcel,Niveau 7\n", encoding="utf-8")
    (item,), rejected = ingest(path)
    assert rejected == []
    assert item.level is None and item.extra["level_text"] == "Niveau 7"


def test_headers_that_map_to_nothing_are_refused_with_the_headers_found(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Foo,Bar,Prijs\n1,2,3\n", encoding="utf-8")
    with pytest.raises(SourceError) as info:
        list(GoodHabitzSource().read_records(path))
    assert "'Foo', 'Bar', 'Prijs'" in info.value.reason
    assert "Titel" in info.value.reason


def test_other_extensions_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(SourceError, match=r"\.csv or \.xlsx"):
        list(GoodHabitzSource().read_records(path))


def test_broken_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SourceError, match="XLSX"):
        list(GoodHabitzSource().read_records(path))


def test_a_broken_row_in_a_goodhabitz_export_is_rejected_alone(tmp_path: Path) -> None:
    path = tmp_path / "gh.csv"
    path.write_text(
        "Titel,Omschrijving,Taal\n"
        "Plannen,Plan je week.,Nederlands\n"
        '"Presenteren"x,Leer presenteren.,Nederlands\n'
        "Feedback,Geef feedback die landt.,Nederlands\n",
        encoding="utf-8",
    )
    items, rejected = ingest(path)
    assert [i.title for i in items] == ["Plannen", "Feedback"]
    assert [line for line, _, _ in rejected] == [3] and "bad CSV" in rejected[0][1]
