"""The generic csv source: required headers, per-row rejections with line and field, units."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.normalise.minutes import WORDS_PER_MINUTE
from ingest.normalise.units import UNIT_MAX_MINUTES, UNIT_MIN_MINUTES
from ingest.records import CatalogItem, SourceError
from ingest.sources import get_source
from ingest.sources.csv_source import CsvSource
from tests.support.parsing import parse_all

HEADER = (
    "external_id,title,description,url,language,minutes,level,format,provider,skills,updated_at,rating,notes"
)


def ingest(path: Path) -> tuple[list[CatalogItem], list[tuple[int, str, str | None]]]:
    return parse_all(CsvSource(), path)


def write(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "lms.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_kind_and_registry() -> None:
    assert CsvSource.kind == "csv"
    assert isinstance(get_source("csv"), CsvSource)


def test_full_row(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c-1,Feedback geven,In deze module leer je hoe je feedback geeft.,https://lms.example/c-1,nl-NL,"
        "25,Beginnend,E-learning,Acme Academy,feedback; communicatie ;;,2024-03-01,4.5,ignored",
    )
    items, rejected = ingest(path)
    assert rejected == []
    (item,) = items
    assert item.external_id == "c-1"
    assert item.language == "nl"
    assert item.minutes == 25
    assert item.level == "beginner"
    assert item.format == "course"
    assert item.provider == "Acme Academy"
    assert item.skills == ("feedback", "communicatie")
    assert item.updated_at == datetime(2024, 3, 1, tzinfo=UTC)
    assert item.rating == 4.5
    assert item.url == "https://lms.example/c-1"
    assert item.line == 2
    assert len(item.units) == 1
    assert item.units[0].title == "Feedback geven"
    assert item.units[0].minutes == 25
    assert item.units[0].text == item.description


def test_only_required_columns_and_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a,Writing clear emails,This short course shows you how to write emails that people read.",
        header="External_ID, Title ,DESCRIPTION",
    )
    (item,), rejected = ingest(path)
    assert rejected == []
    assert item.language == "en"
    assert item.minutes == 1  # reading time of the description
    assert item.format == "course"
    assert item.level is None and item.url is None and item.provider is None and item.rating is None


def test_missing_required_header_lists_found_and_missing(tmp_path: Path) -> None:
    path = write(tmp_path, "1,x", header="id,title")
    with pytest.raises(SourceError) as info:
        list(CsvSource().read_records(path))
    assert "external_id" in info.value.reason and "description" in info.value.reason
    assert "found id, title" in info.value.reason


def test_row_rejections_name_line_field_and_value(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ok,Good,A fine description.,,,,,,,,,,",
        ",No id,Text,,,,,,,,,,",
        "no-desc,No description,,,,,,,,,,,",
        "m1,Bad minutes,Text,,,lots,,,,,,,",
        "m2,Zero minutes,Text,,,0,,,,,,,",
        "m3,Huge minutes,Text,,,20000,,,,,,,",
        "d1,Bad date,Text,,,,,,,,31-02-2024,,",
        "r1,Bad rating,Text,,,,,,,,,great,",
        "r2,Rating too high,Text,,,,,,,,,7,",
        "l1,Bad level,Text,,,,wizard,,,,,,",
        "ok2,Also good,Another description.,,en,10,Mixed,Webinar,,,2024-01-02T10:00:00+01:00,0,",
    )
    items, rejected = ingest(path)
    assert [i.external_id for i in items] == ["ok", "ok2"]
    by_line = {line: (reason, field) for line, reason, field in rejected}
    assert by_line[3] == ("empty required field 'external_id'", "external_id")
    assert by_line[4] == ("empty required field 'description'", "description")
    assert by_line[5][1] == "minutes" and "'lots'" in by_line[5][0]
    assert by_line[6][1] == "minutes" and "'0'" in by_line[6][0]
    assert by_line[7][1] == "minutes" and "'20000'" in by_line[7][0]
    assert by_line[8][1] == "updated_at" and "'31-02-2024'" in by_line[8][0]
    assert by_line[9][1] == "rating" and "'great'" in by_line[9][0]
    assert by_line[10][1] == "rating" and "'7'" in by_line[10][0]
    assert by_line[11][1] == "level" and "'wizard'" in by_line[11][0]
    assert items[1].level is None
    assert items[1].format == "event"
    assert items[1].rating == 0.0
    assert items[1].updated_at is not None and items[1].updated_at.utcoffset().total_seconds() == 3600


def test_duplicate_external_id_is_rejected_with_first_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x,First,Text one.",
        "y,Other,Text two.",
        "x,Second,Text three.",
        header="external_id,title,description",
    )
    items, rejected = ingest(path)
    assert [i.title for i in items] == ["First", "Other"]
    assert rejected == [(4, "duplicate external_id 'x', first seen on line 2", "external_id")]


def test_line_numbers_count_multiline_descriptions(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'a,One,"line one\nline two\nline three"',
        ",Two,missing id",
        header="external_id,title,description",
    )
    items, rejected = ingest(path)
    assert items[0].description == "line one\nline two\nline three"
    assert rejected == [(5, "empty required field 'external_id'", "external_id")]


def test_row_with_too_many_fields_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "a,Title,Text, with a comma", header="external_id,title,description")
    items, rejected = ingest(path)
    assert items == []
    assert rejected[0][0] == 2 and "more field" in rejected[0][1]


def test_long_description_is_split_into_micro_units(tmp_path: Path) -> None:
    wpm = WORDS_PER_MINUTE
    body = "\n\n".join(
        f"## Hoofdstuk {n}\n\n" + " ".join(f"woord{n}x{i}" for i in range(8 * wpm)) for n in range(1, 4)
    )
    path = tmp_path / "long.csv"
    path.write_text(f'external_id,title,description\nlong,Lange cursus,"{body}"\n', encoding="utf-8")
    (item,), rejected = ingest(path)
    assert rejected == []
    assert [u.title for u in item.units] == ["Hoofdstuk 1", "Hoofdstuk 2", "Hoofdstuk 3"]
    assert [u.anchor for u in item.units] == ["hoofdstuk-1", "hoofdstuk-2", "hoofdstuk-3"]
    assert all(UNIT_MIN_MINUTES <= u.minutes <= UNIT_MAX_MINUTES for u in item.units)
    assert item.minutes == 25  # 4800 words plus the heading words


def test_semicolon_windows_1252_export(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "external_id;title;description;minutes\n7;Café-gesprekken;Een sessie over ideeën, geld (€) en "
        "samenwerken in het team;1,5 uur\n".encode("cp1252")
    )
    (item,), rejected = ingest(path)
    assert rejected == []
    assert item.title == "Café-gesprekken"
    assert "ideeën, geld (€)" in item.description
    assert item.minutes == 90
    assert item.language == "nl"


def test_a_row_whose_quote_is_never_closed_is_rejected_and_the_rest_imported(tmp_path: Path) -> None:
    """It refused the whole file ('line 3: bad CSV') while the README promises row-by-row rejection."""
    path = write(
        tmp_path,
        "a,Eerste,Tekst een",
        'b,"Tweede,Tekst zonder einde',
        "c,Derde,Tekst drie",
        header="external_id,title,description",
    )
    items, rejected = ingest(path)
    assert [i.external_id for i in items] == ["a", "c"]
    assert [(line, "bad CSV" in reason) for line, reason, _ in rejected] == [(3, True)]
