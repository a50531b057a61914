"""/v1/search with the product's default encoder (multilingual-e5-small; the rest of the suite
encodes with MiniLM), on a small Dutch and English catalog: a question that names a unit's words
finds it, and a strong English answer is not pushed below Dutch units that only share a word."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from recommender.embedding import DEFAULT_MODEL, Encoder
from service.app import create_app
from service.core.runtime import Runtime
from service.paths.search import ANSWERS, Found, close_to_best, languages_first, length_factor
from tests.support.api_keys import make_key
from tests.support.catalogs import HEADER, write_csv
from tests.support.settings import make_settings

CATALOG = [
    [
        "datalek",
        "Een datalek melden",
        "Wat je doet als persoonsgegevens bij de verkeerde terechtkomen: binnen 72 uur melden bij de privacy officer.",
        "https://wiki.example/datalek",
        "nl",
        "5",
        "",
    ],
    [
        "phishing",
        "Phishing herkennen",
        "Herken valse mails en meld ze bij security.",
        "https://wiki.example/phishing",
        "nl",
        "6",
        "",
    ],
    [
        "python-nl",
        "Python installeren op je laptop",
        "Installeer Python en een editor, en draai je eerste script.",
        "https://lms.example/py",
        "nl",
        "10",
        "",
    ],
    [
        "pandas",
        "Pivot tables in pandas",
        "Reshape a pandas DataFrame with pivot_table and groupby to summarise sales per region.",
        "https://lms.example/pandas",
        "en",
        "12",
        "",
    ],
    [
        "retro",
        "De retrospective leiden",
        "Zo leid je een retrospective: terugkijken op de sprint en verbeterpunten kiezen.",
        "https://lms.example/retro",
        "nl",
        "8",
        "",
    ],
    [
        "sql-dag",
        "SQL-bootcamp: een dag SQL",
        "Een hele dag SQL in het klaslokaal: select, joins met uitleg, groeperen, subqueries en veel oefenen.",
        "https://lms.example/sql-dag",
        "nl",
        "480",
        "",
    ],
    [
        "joins",
        "Joins uitgelegd",
        "Wat een join doet, met uitleg van inner en left joins aan de hand van een voorbeeld.",
        "https://lms.example/joins",
        "nl",
        "9",
        "",
    ],
    [
        "okr",
        "Goede key results schrijven",
        "Een OKR-kwartaal begint met meetbare key results.",
        "https://lms.example/okr",
        "nl",
        "9",
        "",
    ],
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    home = tmp_path_factory.mktemp("home-default-encoder")
    runtime = Runtime(make_settings(home, embedding_model=DEFAULT_MODEL), encoder=Encoder(DEFAULT_MODEL))
    runtime.migrate()
    runtime.ingest("zoek", "csv", write_csv(home / "c.csv", CATALOG, header=HEADER))
    with TestClient(create_app(runtime=runtime)) as test_client:
        yield test_client, make_key(runtime, "zoek", "lms")
    runtime.close()


def _search(
    client: tuple[TestClient, dict[str, str]], question: str, limit: int = 3
) -> list[dict[str, object]]:
    test_client, key = client
    response = test_client.get(
        "/v1/search", params={"q": question, "languages": "nl", "limit": limit}, headers=key
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("datalek melden", "Een datalek melden"),
        ("retrospective", "De retrospective leiden"),
        ("OKR opstellen", "Goede key results schrijven"),
        ("ik kreeg een verdachte e-mail met een link", "Phishing herkennen"),
        ("SQL joins uitleg", "Joins uitgelegd"),  # not the day of classroom SQL that names joins too
    ],
)
def test_a_question_finds_the_unit_that_answers_it(
    client: tuple[TestClient, dict[str, str]], question: str, title: str
) -> None:
    hits = _search(client, question)
    assert hits and hits[0]["title"] == title, hits


def test_a_strong_english_answer_comes_before_dutch_units_that_only_share_a_word(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    hits = _search(client, "python pandas dataframe")
    assert hits[0]["title"] == "Pivot tables in pandas" and hits[0]["language_fallback"], hits
    assert all(h["language"] == "nl" for h in hits[1:])


def test_languages_first_keeps_own_answers_on_top_and_orders_the_rest_by_score() -> None:
    def found(score: float, fallback: bool) -> Found:
        return Found(unit=None, score=score, language_fallback=fallback)  # type: ignore[arg-type]

    strong_nl, weak_nl, english = found(ANSWERS + 0.1, False), found(ANSWERS - 0.2, False), found(0.9, True)
    assert languages_first([strong_nl, weak_nl, english]) == [strong_nl, english, weak_nl]
    assert languages_first([weak_nl, english]) == [english, weak_nl]


def test_hits_far_below_the_best_are_left_out() -> None:
    assert close_to_best([(1, 0.8), (2, 0.5), (3, 0.3), (4, 0.1)], share=0.4) == [(1, 0.8), (2, 0.5)]
    assert close_to_best([]) == []


def test_a_question_with_one_answer_gets_no_filler(client: tuple[TestClient, dict[str, str]]) -> None:
    titles = [h["title"] for h in _search(client, "OKR opstellen", limit=6)]
    # six units, one about OKRs: the rest score far below it and are not offered as answers
    assert titles[0] == "Goede key results schrijven" and len(titles) <= 3, titles


def test_length_factor_prefers_what_can_be_taken_now() -> None:
    assert length_factor(5) == length_factor(30) == 1.0
    assert 0.85 < length_factor(120) < length_factor(60) < 1.0
    assert length_factor(480) == pytest.approx(0.85) and length_factor(960) == pytest.approx(0.85)
    assert length_factor(10, known=False) == pytest.approx(0.925)
