"""Control characters in catalog text, from any source, are dropped before anything is stored: a
terminal obeys ESC [31m in a title `leerpad ingest` prints, and a bidi override makes a title or skill
read as other text in a report. Text without them is left exactly as it was (its hash stays)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ingest.normalise.values import without_controls
from ingest.pipeline import IngestReport, read_items
from ingest.sources import get_source


@pytest.mark.parametrize(
    ("text", "one_line", "expected"),
    [
        ("SQL \x1b[31mrood\x1b[0m", True, "SQL [31mrood [0m"),
        ("Excel\u202e\u2066 voor beginners", True, "Excel voor beginners"),
        ("Regel 1\r\nRegel\t2", True, "Regel 1 Regel 2"),
        ("Regel 1\r\nRegel\t2\x07\u202e", False, "Regel 1\r\nRegel\t2"),
        ("Gewoon  een titel", True, "Gewoon  een titel"),  # nothing to drop: left exactly as it was
        ("👩\u200d💻 Zero\u200bwidth", True, "👩\u200d💻 Zero\u200bwidth"),  # joiners are no controls
    ],
)
def test_without_controls(text: str, one_line: bool, expected: str) -> None:
    assert without_controls(text, one_line=one_line) == expected


def test_an_import_drops_controls_from_every_text_and_rejects_a_title_of_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [
                ["external_id", "title", "description", "provider", "skills"],
                [
                    "x-1",
                    "SQL\x1b[2J\u202e",
                    "Leer\x07 SQL.\nTweede regel.",
                    "Aan\x1bbieder",
                    "S\u202eQL;Excel\x7f",
                ],
                ["x-2", "Gewone titel", "Niets aan de hand.", "", ""],
                ["x-3", "\x1b\x07", "Alleen controletekens in de titel.", "", ""],
            ]
        )
    report = IngestReport(kind="csv", source="csv", path=str(path))
    items = {item.external_id: item for item in read_items(get_source("csv"), path, report)}
    evil = items["x-1"]
    assert (evil.title, evil.provider, evil.skills) == ("SQL [2J", "Aan bieder", ("S QL", "Excel"))
    assert evil.description == "Leer SQL.\nTweede regel."
    assert all("\x1b" not in u.title + u.text and "\x07" not in u.text for u in evil.units)
    assert items["x-2"].title == "Gewone titel"
    [rejection] = report.rejected
    assert (rejection.line, rejection.field) == (
        5,
        "title",
    )  # line 5: x-1 spans two and "control characters" in rejection.reason
