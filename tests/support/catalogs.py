"""Small catalogs as CSV files, the way an LMS exports them."""

from __future__ import annotations

import csv
from pathlib import Path

HEADER = ["external_id", "title", "description", "url", "language", "minutes", "skills"]

# Three items in Dutch and English, each declaring a skill.
ROWS = [
    [
        "sql-1",
        "SQL voor beginners",
        "Leer hoe je met SELECT en WHERE gegevens uit een tabel haalt.",
        "https://lms.example/sql-1",
        "nl",
        "20",
        "SQL",
    ],
    [
        "py-1",
        "Python functions",
        "Write small functions with clear names and test them with pytest.",
        "https://lms.example/py-1",
        "en",
        "15",
        "Python;testing",
    ],
    [
        "fb-1",
        "Feedback geven",
        "Zo geef je feedback die aankomt: concreet gedrag, effect en een vraag.",
        "https://lms.example/fb-1",
        "nl",
        "10",
        "feedback",
    ],
]

# Five items for path tests: three SQL courses at rising depth, feedback and Python.
PATH_CATALOG = [
    [
        "sql-basis",
        "SQL: je eerste SELECT",
        "Leer SELECT, WHERE en ORDER BY op een echte tabel met ritten.",
        "https://lms.example/sql-basis",
        "nl",
        "15",
        "SQL",
    ],
    [
        "sql-joins",
        "SQL joins uitgelegd",
        "Combineer tabellen met INNER JOIN en LEFT JOIN; oefen met klanten en ritten.",
        "https://lms.example/sql-joins",
        "nl",
        "20",
        "SQL",
    ],
    [
        "sql-window",
        "Advanced SQL window functions",
        "Use window functions for running totals and rankings in SQL.",
        "https://lms.example/sql-window",
        "en",
        "25",
        "SQL",
    ],
    [
        "fb-geven",
        "Feedback geven in vijf minuten",
        "Geef feedback met waarneming, effect en een vraag. Oefen met een collega.",
        "https://lms.example/fb",
        "nl",
        "10",
        "feedback geven",
    ],
    [
        "py-intro",
        "Python for analysts",
        "Write your first Python functions to clean a CSV file.",
        "https://lms.example/py",
        "en",
        "30",
        "Python",
    ],
]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def catalog_rows(prefix: str, count: int) -> list[list[str]]:
    """`count` small distinct items with ids prefix-0, prefix-1, ..."""
    return [
        [
            f"{prefix}-{n}",
            f"Cursus {prefix} {n}",
            f"Korte les {n} over {prefix}: oefenen met voorbeelden.",
            "",
            "nl",
            "5",
            "",
        ]
        for n in range(count)
    ]
