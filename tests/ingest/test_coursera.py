"""The Coursera source: courses.v1 pages (file, list of pages, folder) and CSV exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.records import CatalogItem, SourceError
from ingest.sources import get_source
from ingest.sources.coursera import CourseraSource
from tests.support.parsing import parse_all

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
COURSERA_CSV = DATA / "coursera_sample" / "coursera.csv"
PAGES = Path(__file__).resolve().parent / "fixtures" / "coursera_pages"


def ingest(path: Path) -> tuple[list[CatalogItem], list[tuple[int, str, str | None]]]:
    return parse_all(CourseraSource(), path)


def test_kind_and_registry() -> None:
    assert CourseraSource.kind == "coursera"
    assert isinstance(get_source("coursera"), CourseraSource)


# -- courses.v1 JSON -----------------------------------------------------------------------------


def check_fixture_items(items: list[CatalogItem], rejected: list[tuple[int, str, str | None]]) -> None:
    assert [i.external_id for i in items] == ["Xq3Lw9aZEeeBkQ", "Tt7bPq1hEeiNvw", "Mm2cRt8kEeaUjA"]
    assert rejected == [(4, "course has no id", "id")]
    kitchen, feedback, sheets = items

    assert kitchen.title == "Kitchen Data Basics"
    assert kitchen.url == "https://www.coursera.org/learn/kitchen-data-basics"
    assert kitchen.language == "en"
    assert kitchen.minutes == 6 * 60 * 4  # 4-8 hours/week, 4 weeks assumed
    assert kitchen.skills == ("data analysis", "data science")
    assert kitchen.provider == "Fictional Institute of Cooking"  # from linked partners.v1
    assert kitchen.format == "course"
    assert kitchen.extra["workload"] == "4-8 hours/week"

    assert feedback.language == "nl"  # primaryLanguages ["nl-NL"]
    assert feedback.minutes == 2 * 60 * 4  # 4 weeks of study, 2 hours/week
    assert feedback.provider == "coursera:902, coursera:903"  # partners not in linked
    assert feedback.skills == ("communication skills", "personal development")

    assert sheets.provider == "Coursera"
    assert sheets.language == "en"  # no primaryLanguages: detected
    assert sheets.extra["minutes_estimated"] is True
    assert sheets.minutes == 1
    assert sheets.units[0].text == sheets.description


def test_folder_of_pages_read_in_order() -> None:
    items, rejected = ingest(PAGES)
    check_fixture_items(items, rejected)


def test_list_of_pages_in_one_file(tmp_path: Path) -> None:
    pages = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(PAGES.glob("*.json"))]
    path = tmp_path / "all.json"
    path.write_text(json.dumps(pages), encoding="utf-8")
    items, rejected = ingest(path)
    check_fixture_items(items, rejected)
    records = list(CourseraSource().read_records(path))
    assert records[2].origin.endswith("all.json page 2")


def test_single_page_file() -> None:
    items, rejected = ingest(PAGES / "page_2.json")
    assert [i.external_id for i in items] == ["Mm2cRt8kEeaUjA"]
    assert rejected == [(2, "course has no id", "id")]


def test_bad_json_and_wrong_shape_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"elements": [', encoding="utf-8")
    with pytest.raises(SourceError, match="not valid JSON.*line 1"):
        list(CourseraSource().read_records(broken))
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"courses": []}', encoding="utf-8")
    with pytest.raises(SourceError, match="courses.v1"):
        list(CourseraSource().read_records(wrong))
    empty = tmp_path / "empty_folder"
    empty.mkdir()
    with pytest.raises(SourceError, match=r"\*\.json"):
        list(CourseraSource().read_records(empty))


# -- CSV exports ---------------------------------------------------------------------------------


def test_real_coursera_csv() -> None:
    items, rejected = ingest(COURSERA_CSV)
    assert rejected == []
    assert len(items) == 165
    assert len({i.external_id for i in items}) == 165
    first = items[0]
    assert first.title == "IBM Technical Support"
    assert first.external_id == "ibm-technical-support"
    assert first.extra["coursera_type"] == "professional-certificates"
    assert first.rating == 4.7
    assert first.language == "en"
    assert first.provider == "Coursera"
    assert first.line == 2
    assert "Cloud Computing" in first.skills and "User Experience" in first.skills
    assert len(first.skills) == 47
    assert first.extra["minutes_estimated"] is True
    assert all(i.rating is not None and 0 <= i.rating <= 5 for i in items)
    assert sum(1 for i in items if i.skills) == 158  # 7 rows have no tags
    assert sum(i.language == "en" for i in items) >= 140


def test_csv_export_with_other_column_names(tmp_path: Path) -> None:
    path = tmp_path / "kaggle.csv"
    path.write_text(
        "course_title,course_organization,course_Certificate_type,course_rating,course_difficulty,"
        "course_skills,course_time,course_url\n"
        "Python Basics,Fictional University,COURSE,4.6,Beginner,\"['Python', 'Loops', 'Python']\","
        "1 - 4 Weeks,https://www.coursera.org/learn/python-basics-fictional\n"
        'Leading Calm Teams,Example School,SPECIALIZATION,,Mixed,"Leadership, Coaching",'
        "1-3 Months,\n"
        "Broken Rating,X,COURSE,four,Conversant,,,https://www.coursera.org/learn/broken\n",
        encoding="utf-8",
    )
    items, rejected = ingest(path)
    assert rejected == [(4, "bad rating 'four': expected a number from 0 to 5", "rating")]
    python, calm = items
    assert python.external_id == "python-basics-fictional"
    assert python.provider == "Fictional University"
    assert python.skills == ("Python", "Loops")
    assert python.level == "beginner"
    assert python.minutes == 750
    assert python.rating == 4.6
    assert "minutes_estimated" not in python.extra
    assert calm.external_id == "leading-calm-teams"  # no url: slug of the name
    assert calm.level is None and calm.rating is None
    assert calm.minutes == 2400
    assert calm.skills == ("Leadership", "Coaching")


def test_csv_without_a_name_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Foo,Url\nx,https://example.invalid\n", encoding="utf-8")
    with pytest.raises(SourceError) as info:
        list(CourseraSource().read_records(path))
    assert "'Foo', 'Url'" in info.value.reason
