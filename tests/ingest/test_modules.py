"""Module-aware ingestion: module lists in every tabular source become 5 to 15 minute units."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import cast

import pytest
from openpyxl import Workbook

from ingest.normalise.levels import level_from_text
from ingest.normalise.modules import (
    Module,
    ModuleListError,
    course_structure,
    module_units,
    modules_from_description,
    modules_from_json,
    parse_module_list,
    resolve_module_minutes,
)
from ingest.pipeline import IngestReport, ingest_catalog
from ingest.sources.coursera import CourseraSource
from ingest.sources.csv_source import CsvSource
from ingest.sources.goodhabitz import GoodHabitzSource
from recommender.embedding import Encoder
from service.core.runtime import Runtime
from tests.support.encoders import CountingEncoder
from tests.support.parsing import parse_all


def minutes(units: tuple[object, ...]) -> list[int]:
    return [u.minutes for u in units]  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------------- parsing


def test_module_list_cell_titles_minutes_and_separators() -> None:
    modules = parse_module_list(
        "Intro (5 min); Je eerste draaitabel (12 min) | Git (basis) (1 uur)\n- Afsluiting (8 minuten)"
    )
    assert [(m.title, m.minutes) for m in modules] == [
        ("Intro", 5),
        ("Je eerste draaitabel", 12),
        ("Git (basis)", 60),  # a parenthesis without digits or time words belongs to the title
        ("Afsluiting", 8),
    ]
    assert parse_module_list("  ;  ") == ()
    assert [m.minutes for m in parse_module_list("Welkom; Praktijk (10 min)")] == [None, 10]


@pytest.mark.parametrize(
    ("cell", "named"),
    [
        ("Intro (vijf min); Deel A (12 min)", "entry 1"),
        ("Intro (5 min); (12 min)", "entry 2"),
        ("Intro (5 min); Deel A (0 min)", "entry 2"),
        ('[{"name": "A", "minutes": "soon"}]', "module 1"),
        ('[{"minutes": 5}]', "module 1"),
        ('[{"name": "A", "lessons": "all"}]', "module 1"),
        ("[not json", "not valid JSON"),
    ],
)
def test_malformed_module_lists_name_the_entry(cell: str, named: str) -> None:
    with pytest.raises(ModuleListError, match=named):
        parse_module_list(cell)


def test_json_modules_with_lessons_and_workload_texts() -> None:
    modules = modules_from_json(
        [
            {"name": "Welcome", "description": "What you will build.", "minutes": 4},
            {
                "name": "Joins",
                "workload": "35 minutes",
                "lessons": [
                    {"name": "Inner joins", "minutes": 12, "description": "Matching rows."},
                    {"title": "Left joins", "duration": "13 min"},
                    "Join pitfalls",
                ],
            },
        ]
    )
    assert modules[0] == Module("Welcome", 4, "What you will build.")
    assert [(ls.title, ls.minutes) for ls in modules[1].lessons] == [
        ("Inner joins", 12),
        ("Left joins", 13),
        ("Join pitfalls", None),
    ]


def test_module_text_is_plain_text() -> None:
    [module] = modules_from_json(
        [{"name": "Bad\u202e\x00 <b>title</b>\n\n x", "description": "line 1\r\nline 2\x07\u2028end"}]
    )
    assert module.title == "Bad <b>title</b> x"  # no control or bidi characters; tags stay text
    assert module.text == "line 1\nline 2\nend"
    [long] = parse_module_list("x" * 1000 + " (5 min)")
    assert len(long.title) <= 300


def test_modules_listed_in_a_description() -> None:
    description = (
        "In deze cursus leer je SQL.\n\n"
        "Module 1: Kennismaking met SQL (15 min) – je schrijft je eerste SELECT\n"
        "Module 2: Filteren met WHERE (10 min)\n"
        "- Module 3. Joins (12 min): tabellen combineren\n"
    )
    modules = modules_from_description(description)
    assert [(m.title, m.minutes, m.text) for m in modules] == [
        ("Kennismaking met SQL", 15, "je schrijft je eerste SELECT"),
        ("Filteren met WHERE", 10, ""),
        ("Joins", 12, "tabellen combineren"),
    ]
    weeks = modules_from_description("Week 1: Basics\nWeek 2: Practice\nLes 3 – not the same list")
    assert [m.title for m in weeks] == ["Basics", "Practice", "not the same list"]
    assert modules_from_description("Module 1: only one line") == ()
    assert modules_from_description("Week 2: B\nWeek 1: A") == ()  # out of order: not a list


def test_level_stated_in_a_description() -> None:
    assert level_from_text("About this course.\nLevel: Beginner\n") == "beginner"
    assert level_from_text("Niveau: gevorderd.") == "advanced"
    assert level_from_text("An intermediate-level course on SQL.") == "intermediate"
    assert level_from_text("Level: Mixed") is None
    assert level_from_text("For beginners and experts alike.") is None


# ----------------------------------------------------------------------------------- splitting


def test_minutes_finest_level_wins_and_missing_minutes_share_the_rest() -> None:
    settled = resolve_module_minutes(
        (
            Module("A", 10),
            Module("B", 99, lessons=(Module("b1", 12), Module("b2", 8))),  # lessons win: 20
            Module("C"),
            Module("D"),
        ),
        total=60,
    )
    assert [m.minutes for m in settled] == [10, 20, 15, 15]
    lessons = resolve_module_minutes((Module("M", 30, lessons=(Module("x", 10), Module("y"))),), None)
    assert [ls.minutes for ls in lessons[0].lessons] == [10, 20]
    with pytest.raises(ModuleListError, match="no duration to share"):
        resolve_module_minutes((Module("A", 10), Module("B")), total=None)
    with pytest.raises(ModuleListError, match="leave none"):
        resolve_module_minutes((Module("A", 30), Module("B")), total=30)


def test_units_follow_modules_merge_tiny_ones_and_split_long_ones_into_lessons() -> None:
    units = module_units(
        (
            Module("Welcome", 3, "Hi."),
            Module("Basics", 10, "The basics."),
            Module(
                "Deep dive", 36, lessons=(Module("Part 1", 12), Module("Part 2", 12), Module("Part 3", 12))
            ),
            Module("Workshop", 40, "A long exercise."),  # no lessons: whole, honest minutes
            Module("Quiz", 2),
        )
    )
    assert [(u.position, u.title, u.minutes) for u in units] == [
        (0, "Welcome", 13),
        (1, "Part 1", 12),
        (2, "Part 2", 12),
        (3, "Part 3", 12),
        (4, "Workshop", 42),  # the short quiz between nothing and an overlong module joins it
    ]
    assert units[0].text == "Hi.\n\nBasics\nThe basics."
    assert units[4].text == "A long exercise.\n\nQuiz"


def test_course_structure_item_minutes_are_the_modules_and_bad_lists_keep_the_course_whole() -> None:
    structure = course_structure("Excel", "Draaitabellen.", 45, modules="Intro (5 min); Deel A (12 min)")
    assert structure.origin == "modules" and structure.minutes == 17 and minutes(structure.units) == [5, 12]
    extra: dict[str, object] = {"minutes_estimated": True}
    structure.annotate(extra, "Onderdelen", 45)
    assert extra == {"units_from": "modules"}  # module minutes are known minutes
    bad = course_structure("Excel", "Draaitabellen.", 45, modules="Intro (5 min); Deel A (twaalf min)")
    assert bad.origin == "whole" and bad.minutes == 45 and minutes(bad.units) == [45]
    extra = {}
    bad.annotate(extra, "Onderdelen", 45)
    assert "Onderdelen" in str(extra["modules_error"]) and "entry 2" in str(extra["modules_error"])


# ----------------------------------------------------------------------------------- sources


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


GH_HEADER = ["Titel", "Beschrijving", "Duur", "Taal", "Niveau", "Onderdelen"]
GH_ROWS = [
    [
        "Excel draaitabellen",
        "Maak overzichten van grote tabellen.",
        "45 min",
        "Nederlands",
        "Beginner",
        "Intro (5 min); Je eerste draaitabel (12 min); Filteren en sorteren (10 min); Grafieken (13 min)",
    ],
    [
        "Kapotte lijst",
        "Een lijst met een fout.",
        "30 min",
        "Nederlands",
        "Beginner",
        "Intro (5 min); Deel (?? min)",
    ],
    [
        "Feedback geven",
        "Les 1 – Waarom feedback (8 min)\nLes 2 – Het model (12 min)\nLes 3 – Oefenen (10 min)",
        "30 min",
        "Nederlands",
        "Gemiddeld",
        "",
    ],
]


def test_goodhabitz_csv_onderdelen_and_a_malformed_row_kept_whole(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_rows(tmp_path / "gh.csv", GH_HEADER, GH_ROWS)
    with caplog.at_level(logging.WARNING, logger="leerpad"):
        items, rejected = parse_all(GoodHabitzSource(), path)
    assert rejected == []
    excel, broken, feedback = items
    assert [u.title for u in excel.units] == [
        "Intro",
        "Je eerste draaitabel",
        "Filteren en sorteren",
        "Grafieken",
    ]
    assert minutes(excel.units) == [5, 12, 10, 13] and excel.minutes == 40
    assert excel.extra["stated_minutes"] == 45 and excel.extra["units_from"] == "modules"
    assert [u.position for u in excel.units] == [0, 1, 2, 3]
    assert broken.minutes == 30 and len(broken.units) == 1
    assert "'Onderdelen'" in str(broken.extra["modules_error"])
    assert "line 3" in caplog.text and "'Onderdelen'" in caplog.text
    assert feedback.extra["units_from"] == "description" and minutes(feedback.units) == [8, 12, 10]


def test_goodhabitz_xlsx_modules_column(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Title", "Description", "Duration", "Level", "Modules"])
    sheet.append(["Pivot tables", "Summaries.", "30 min", "Beginner", "Intro (6 min) | Build one (12 min)"])
    book.save(tmp_path / "gh.xlsx")
    [item], rejected = parse_all(GoodHabitzSource(), tmp_path / "gh.xlsx")
    assert rejected == [] and minutes(item.units) == [6, 12] and item.minutes == 18


def test_generic_csv_modules_column(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "lms.csv",
        ["external_id", "title", "description", "minutes", "modules"],
        [
            ["a", "SQL", "Queries.", "40", "Welkom (5 min); SELECT (12 min); WHERE; Joins (15 min)"],
            ["b", "Broken", "Text.", "40", "Welkom (5 min); (12 min)"],
            ["c", "Plain", "No modules.", "40", ""],
        ],
    )
    (sql, broken, plain), rejected = parse_all(CsvSource(), path)
    assert rejected == []
    assert minutes(sql.units) == [5, 12, 8, 15] and sql.minutes == 40  # WHERE shares what is left
    assert "entry 2" in str(broken.extra["modules_error"]) and minutes(broken.units) == [40]
    assert minutes(plain.units) == [40] and plain.extra == {}


def test_coursera_json_modules_lessons_and_level(tmp_path: Path) -> None:
    page = {
        "elements": [
            {
                "id": "c1",
                "name": "SQL for Analysts",
                "slug": "sql-for-analysts",
                "description": "Query data.\n\nLevel: Intermediate",
                "workload": "2 hours",
                "modules": [
                    {"name": "Welcome", "minutes": 5, "description": "How the course works."},
                    {
                        "name": "Joins",
                        "workload": "36 minutes",
                        "lessons": [
                            {"name": "Inner joins", "minutes": 12},
                            {"name": "Left joins", "minutes": 12},
                            {"name": "Pitfalls", "minutes": 12},
                        ],
                    },
                ],
            },
            {"id": "c2", "name": "Broken", "description": "x", "workload": "1 hour", "modules": {"a": 1}},
            {
                "id": "c3",
                "name": "Leveled",
                "description": "y",
                "workload": "1 hour",
                "difficultyLevel": "BEGINNER",
            },
        ],
        "paging": {},
    }
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    (sql, broken, leveled), rejected = parse_all(CourseraSource(), path)
    assert rejected == []
    assert [u.title for u in sql.units] == ["Welcome", "Inner joins", "Left joins", "Pitfalls"]
    assert sql.minutes == 41 and sql.level == "intermediate" and sql.extra["stated_minutes"] == 120
    assert sql.units[0].text == "How the course works."
    assert broken.minutes == 60 and "expected a list" in str(broken.extra["modules_error"])
    assert leveled.level == "beginner"


def test_coursera_csv_syllabus_column(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path / "c.csv",
        ["Course Name", "Description", "Duration", "Syllabus"],
        [
            [
                "Git basics",
                "Version control.",
                "1 hour",
                "Commits (10 min); Branches (12 min); Merging (14 min)",
            ]
        ],
    )
    [item], rejected = parse_all(CourseraSource(), path)
    assert rejected == [] and minutes(item.units) == [10, 12, 14]


# ----------------------------------------------------------------------------------- pipeline


def test_reingesting_a_file_with_modules_changes_and_embeds_nothing(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path
) -> None:
    path = write_rows(tmp_path / "gh.csv", GH_HEADER, GH_ROWS)

    def run(counting: CountingEncoder) -> IngestReport:
        return ingest_catalog(
            runtime.sessions,
            lambda: cast(Encoder, counting),
            runtime.settings.model,
            runtime.settings.index_root,
            tenant=tenant,
            kind="goodhabitz",
            path=path,
        )

    first = run(CountingEncoder(encoder))
    assert first.created == 3 and first.rejected_total == 0
    assert first.units == 4 + 1 + 3 and first.embedded == first.units
    again = CountingEncoder(encoder)
    second = run(again)
    assert (second.created, second.updated, second.unchanged, second.embedded) == (0, 0, 3, 0)
    assert again.texts == 0
