"""The taxonomy reader against the real ESCO files, small hand-written ESCO folders, and the bundled taxonomy.

Expected numbers for the real data are counted here from the files with the standard csv module, so the
tests check the reader against the data rather than against numbers copied into the test.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import TypeVar

import pytest

from ingest.records import SourceError
from ingest.taxonomy import (
    DEFAULT_KEY_PREFIX,
    MAX_PROBLEMS,
    Taxonomy,
    TaxonomyOccupation,
    TaxonomySkill,
    normalize_label,
    read_default_taxonomy,
    read_esco,
)

ESCO = Path(__file__).resolve().parents[3] / "shared" / "data" / "esco"
OFFICIAL = ESCO / "official_layout"

SKILL_HEADERS = [
    "conceptType", "conceptUri", "skillType", "reuseLevel", "preferredLabel", "altLabels", "hiddenLabels",
    "status", "modifiedDate", "scopeNote", "definition", "inScheme", "description",
]  # fmt: skip
OCCUPATION_HEADERS = [
    "conceptType", "conceptUri", "iscoGroup", "preferredLabel", "altLabels", "hiddenLabels", "status",
    "modifiedDate", "regulatedProfessionNote", "scopeNote", "definition", "inScheme", "description", "code",
]  # fmt: skip
RELATION_HEADERS = ["occupationUri", "relationType", "skillType", "skillUri"]

SKILL = "http://data.europa.eu/esco/skill/"
OCCUPATION = "http://data.europa.eu/esco/occupation/"


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, headers: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers)
        writer.writeheader()
        writer.writerows(rows)
    return path


Concept = TypeVar("Concept", TaxonomySkill, TaxonomyOccupation)


def by_label(items: list[Concept], label: str, lang: str = "en") -> Concept:
    found = [item for item in items if item.labels.get(lang) == label]
    assert len(found) == 1, f"{len(found)} concepts labelled {label!r} in {lang}"
    return found[0]


@pytest.fixture(scope="module")
def official() -> Taxonomy:
    if not OFFICIAL.is_dir():
        pytest.fail(f"the ESCO test data is missing at {OFFICIAL}")
    return read_esco(OFFICIAL)


# --------------------------------------------------------------------------------------------------
# The real ESCO files
# --------------------------------------------------------------------------------------------------


def test_official_layout_counts_match_the_files(official: Taxonomy) -> None:
    skill_rows = csv_rows(OFFICIAL / "skills_en.csv")
    occupation_rows = csv_rows(OFFICIAL / "occupations_en.csv")
    assert len(official.skills) == len(skill_rows) == 2334
    assert len(official.occupations) == len(occupation_rows) == 3039
    assert official.languages == ("en",)
    assert official.problems == []
    assert {s.key for s in official.skills} == {r["conceptUri"] for r in skill_rows}
    assert all(s.uri == s.key and s.labels["en"] for s in official.skills)


def test_every_official_relation_is_resolved(official: Taxonomy) -> None:
    """No problems were reported, so every relation row must have landed on its occupation."""
    expected: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"essential": set(), "optional": set()})
    for row in csv_rows(OFFICIAL / "occupationSkillRelations_en.csv"):
        expected[row["occupationUri"]][row["relationType"]].add(row["skillUri"])
    assert sum(len(r["essential"]) + len(r["optional"]) for r in expected.values()) >= 24_000
    skill_keys = {s.key for s in official.skills}
    for occupation in official.occupations:
        wanted = expected.get(occupation.uri, {"essential": set(), "optional": set()})
        assert set(occupation.essential) == wanted["essential"]
        # ESCO lists a few skills as both essential and optional for one occupation: essential wins
        assert set(occupation.optional) == wanted["optional"] - wanted["essential"]
        assert set(occupation.essential) <= skill_keys and set(occupation.optional) <= skill_keys
        assert len(set(occupation.essential)) == len(occupation.essential)


def test_a_known_occupation_has_its_essential_skills(official: Taxonomy) -> None:
    developer = by_label(official.occupations, "software developer")
    assert developer.uri == OCCUPATION + "f2b15a0e-e65a-438a-affb-29b9d50b77d1"
    assert developer.code == "2512.4"
    labels = {s.key: s.labels["en"] for s in official.skills}
    essential = {labels[key] for key in developer.essential}
    rows = csv_rows(OFFICIAL / "occupationSkillRelations_en.csv")
    mine = [r for r in rows if r["occupationUri"] == developer.uri]
    from_file = {labels[r["skillUri"]] for r in mine if r["relationType"] == "essential"}
    assert essential == from_file
    assert {"computer programming", "debug software", "use software design patterns"} <= essential
    assert len(developer.optional) > 50
    assert "Software developers implement" in developer.descriptions["en"]


def test_alt_labels_are_split_on_newlines_and_pipes(official: Taxonomy) -> None:
    e_services = by_label(official.skills, "use e-services")  # altLabels joined by " | " in this file
    assert e_services.alt_labels["en"][:3] == (
        "apply e-services",
        "able to use e-services",
        "use electronic services",
    )
    director = by_label(official.occupations, "technical director")  # altLabels on separate lines
    assert director.alt_labels["en"] == (
        "technical and operations director",
        "head of technical",
        "director of technical arts",
        "head of technical department",
        "technical supervisor",
        "technical manager",
    )
    drawer = by_label(official.occupations, "metal drawing machine operator")
    assert "wiredrawing machine tender" in drawer.alt_labels["en"]  # the double space is collapsed
    concepts: list[TaxonomySkill | TaxonomyOccupation] = [*official.skills, *official.occupations]
    for concept in concepts:
        for alts in concept.alt_labels.values():
            assert all(alt and "\n" not in alt and " | " not in alt for alt in alts)


def test_dutch_occupations_merge_with_english_by_uri(tmp_path: Path) -> None:
    for name in ("skills_en.csv", "occupations_en.csv", "occupationSkillRelations_en.csv"):
        (tmp_path / name).symlink_to(OFFICIAL / name)
    (tmp_path / "occupations_nl.csv").symlink_to(ESCO / "occupations_nl.csv")
    taxonomy = read_esco(tmp_path)

    assert taxonomy.languages == ("en", "nl")
    assert taxonomy.problems == []
    english = {r["conceptUri"] for r in csv_rows(OFFICIAL / "occupations_en.csv")}
    dutch_rows = {r["conceptUri"]: r for r in csv_rows(ESCO / "occupations_nl.csv")}
    assert {o.uri for o in taxonomy.occupations} == english | set(dutch_rows)
    assert sum("nl" in o.labels for o in taxonomy.occupations) == len(dutch_rows)

    director = by_label(taxonomy.occupations, "technical director")
    assert dutch_rows[director.uri]["preferredLabel"] == "inspiciënt"
    assert director.labels == {"en": "technical director", "nl": "inspiciënt"}
    assert director.alt_labels["nl"] == (
        "toneelmeester",
        "inspiciënte",
        "technisch directeur",
        "chef-inspiciënt",
    )
    assert director.descriptions["nl"].startswith("Technische directeuren")
    assert director.code == "2654.1.7"
    assert by_label(taxonomy.occupations, "inspiciënt", "nl") is director
    developer = by_label(taxonomy.occupations, "software developer")
    assert developer.labels["nl"] == dutch_rows[developer.uri]["preferredLabel"] == "software ontwikkelaar"
    assert len(developer.essential) > 10  # the relations still attach to the merged occupation


# --------------------------------------------------------------------------------------------------
# Small hand-written ESCO folders
# --------------------------------------------------------------------------------------------------


def skill_row(uri: str, label: str, **values: str) -> dict[str, str]:
    row = {
        "conceptType": "KnowledgeSkillCompetence",
        "conceptUri": SKILL + uri,
        "skillType": "skill/competence",
    }
    return row | {"preferredLabel": label, "status": "released"} | values


def occupation_row(uri: str, label: str, **values: str) -> dict[str, str]:
    row = {"conceptType": "Occupation", "conceptUri": OCCUPATION + uri, "preferredLabel": label}
    return row | {"status": "released"} | values


def relation(occupation: str, kind: str, skill: str) -> dict[str, str]:
    return {"occupationUri": OCCUPATION + occupation, "relationType": kind, "skillUri": SKILL + skill}


def test_skills_in_two_languages_merge_per_language(tmp_path: Path) -> None:
    english = [
        skill_row(
            "give-feedback",
            "give constructive feedback",
            altLabels="provide feedback\noffer feedback",
            hiddenLabels="feedback giving | provide feedback",
            description="Provide useful feedback.",
        ),
        skill_row("sql", "SQL", skillType="knowledge", altLabels="Structured Query Language"),
    ]
    dutch = [  # another order, and a skill type in Dutch that English overrides
        skill_row("sql", "SQL", skillType="kennis", altLabels="sql"),
        skill_row(
            "give-feedback",
            "opbouwende feedback geven",
            altLabels="feedback geven\nOpbouwende feedback geven",
            description="Geef bruikbare feedback.",
        ),
    ]
    write_csv(tmp_path / "skills_en.csv", SKILL_HEADERS, english)
    write_csv(tmp_path / "skills_nl.csv", SKILL_HEADERS, dutch)
    taxonomy = read_esco(tmp_path)

    assert taxonomy.problems == []
    assert taxonomy.languages == ("en", "nl")
    assert taxonomy.occupations == []
    assert [s.key for s in taxonomy.skills] == [SKILL + "give-feedback", SKILL + "sql"]  # English order first
    feedback, sql = taxonomy.skills
    assert feedback.labels == {"en": "give constructive feedback", "nl": "opbouwende feedback geven"}
    # hidden labels join the alternatives; repeats and the preferred label (compared normalised) drop out
    assert feedback.alt_labels == {
        "en": ("provide feedback", "offer feedback", "feedback giving"),
        "nl": ("feedback geven",),
    }
    assert feedback.descriptions == {"en": "Provide useful feedback.", "nl": "Geef bruikbare feedback."}
    assert sql.skill_type == "knowledge"  # language-neutral columns come from English
    assert sql.alt_labels == {"en": ("Structured Query Language",)}
    assert sql.groups == ()


def test_bad_rows_become_problems_with_file_and_line(tmp_path: Path) -> None:
    write_csv(tmp_path / "skills_en.csv", SKILL_HEADERS, [
        skill_row("a", "skill a"),                      # line 2
        skill_row("", "no uri") | {"conceptUri": ""},   # line 3
        skill_row("c", ""),                             # line 4
        skill_row("a", "skill a again"),                # line 5
        skill_row("old", "an old skill", status="obsolete"),  # line 6
        skill_row("b", "skill b"),                      # line 7
    ])  # fmt: skip
    write_csv(tmp_path / "occupations_en.csv", OCCUPATION_HEADERS, [occupation_row("o1", "occupation one")])
    write_csv(tmp_path / "occupationSkillRelations_en.csv", RELATION_HEADERS, [
        relation("o1", "essential", "a"),        # line 2
        relation("o1", "essential", "missing"),  # line 3: unknown skill
        relation("o1", "optional", "missing"),   # line 4: same unknown skill, no second problem
        relation("o1", "sometimes", "b"),        # line 5: unknown relation type
        relation("nobody", "essential", "a"),    # line 6: unknown occupation
        relation("o1", "optional", "old"),       # line 7: obsolete skill, already reported
        relation("o1", "optional", "a"),         # line 8: also essential, so essential only
        relation("o1", "Optional", "b"),         # line 9
    ])  # fmt: skip
    taxonomy = read_esco(tmp_path)

    assert [s.labels["en"] for s in taxonomy.skills] == ["skill a", "skill b"]
    (occupation,) = taxonomy.occupations
    assert occupation.essential == (SKILL + "a",)
    assert occupation.optional == (SKILL + "b",)
    found = [(p.file, p.line) for p in taxonomy.problems]
    assert found == [
        ("skills_en.csv", 3),
        ("skills_en.csv", 4),
        ("skills_en.csv", 5),
        ("skills_en.csv", 6),
        ("occupationSkillRelations_en.csv", 3),
        ("occupationSkillRelations_en.csv", 5),
        ("occupationSkillRelations_en.csv", 6),
    ]
    reasons = [p.reason for p in taxonomy.problems]
    assert "empty conceptUri" in reasons[0]
    assert "empty preferredLabel" in reasons[1]
    assert "first on line 2" in reasons[2]
    assert "obsolete" in reasons[3]
    assert SKILL + "missing" in reasons[4] and "2 relations" in reasons[4]
    assert "'sometimes'" in reasons[5]
    assert OCCUPATION + "nobody" in reasons[6] and "1 relation " in reasons[6]


def test_problems_are_capped_with_a_summary(tmp_path: Path) -> None:
    write_csv(tmp_path / "skills_en.csv", SKILL_HEADERS, [skill_row("a", "skill a")])
    write_csv(tmp_path / "occupations_en.csv", OCCUPATION_HEADERS, [occupation_row("o1", "occupation one")])
    rows = [relation("o1", "essential", f"unknown-{n}") for n in range(MAX_PROBLEMS + 25)]
    write_csv(tmp_path / "occupationSkillRelations_en.csv", RELATION_HEADERS, rows)
    problems = read_esco(tmp_path).problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1].line == 0 and "25 more problems" in problems[-1].reason


def test_a_folder_without_skills_is_refused_naming_what_it_holds(tmp_path: Path) -> None:
    write_csv(tmp_path / "occupations_en.csv", OCCUPATION_HEADERS, [occupation_row("o1", "occupation one")])
    write_csv(
        tmp_path / "skills.csv", SKILL_HEADERS, [skill_row("a", "skill a")]
    )  # no language: not ESCO's name
    with pytest.raises(SourceError) as caught:
        read_esco(tmp_path)
    assert "skills_<lang>.csv" in caught.value.reason
    assert "occupations_en.csv" in caught.value.reason and "skills.csv" in caught.value.reason


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a folder"):
        read_esco(tmp_path / "nowhere")


def test_missing_required_columns_are_refused_with_the_headers_found(tmp_path: Path) -> None:
    write_csv(tmp_path / "skills_en.csv", ["uri", "label", "description"], [{"uri": "x", "label": "y"}])
    with pytest.raises(SourceError) as caught:
        read_esco(tmp_path)
    assert caught.value.path.endswith("skills_en.csv")
    assert "conceptUri" in caught.value.reason and "preferredLabel" in caught.value.reason
    assert "uri, label, description" in caught.value.reason


def test_relations_without_their_columns_are_refused(tmp_path: Path) -> None:
    write_csv(tmp_path / "skills_en.csv", SKILL_HEADERS, [skill_row("a", "skill a")])
    write_csv(tmp_path / "occupationSkillRelations_en.csv", ["occupationUri", "skillUri"], [])
    with pytest.raises(SourceError, match="relationType"):
        read_esco(tmp_path)


# --------------------------------------------------------------------------------------------------
# Label normalisation
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("  Feedback   Geven ", "feedback geven"),
        ("Python.", "python"),
        ("“Tone of voice”", "tone of voice"),
        ("(AVG)", "avg"),
        ("- SQL;", "sql"),
        ("inspiciënt", "inspiciënt"),  # diacritics stay
        ("ﬁnanciële geletterdheid", "financiële geletterdheid"),  # NFKC ligature
        ("Ｅｘｃｅｌ", "excel"),  # full-width letters
        ("C#", "c#"),
        ("C++", "c++"),
        (".NET", ".net"),
        ("Excel (Microsoft)", "excel (microsoft)"),
        ("STRASSE", "strasse"),
        ("...", ""),
    ],
)
def test_normalize_label(label: str, expected: str) -> None:
    assert normalize_label(label) == expected


def test_normalized_forms_of_composed_and_decomposed_text_are_equal() -> None:
    assert normalize_label("financie\u0308le") == normalize_label("financi\u00eble")


# --------------------------------------------------------------------------------------------------
# The bundled default taxonomy
# --------------------------------------------------------------------------------------------------

GROUPS = {
    "Software engineering", "Data", "Leadership", "Communication", "Sales", "Customer service", "Product",
    "Design", "Security & privacy", "Personal effectiveness", "Finance", "HR", "Office tools", "Languages",
}  # fmt: skip


@pytest.fixture(scope="module")
def default() -> Taxonomy:
    return read_default_taxonomy()


def test_default_taxonomy_reads_without_problems(default: Taxonomy) -> None:
    assert default.problems == []
    assert default.languages == ("en", "nl")
    assert 130 <= len(default.skills) <= 170
    assert 6 <= len(default.occupations) <= 8


def test_default_skills_are_complete(default: Taxonomy) -> None:
    keys = [s.key for s in default.skills]
    assert len(keys) == len(set(keys))
    for skill in default.skills:
        assert skill.key.startswith(DEFAULT_KEY_PREFIX) and skill.uri is None
        assert skill.labels["en"] and skill.labels["nl"], skill.key
        assert skill.descriptions["en"].endswith("."), skill.key
        assert skill.skill_type in ("skill/competence", "knowledge"), skill.key
        assert len(skill.groups) == 1 and skill.groups[0] in GROUPS, skill.key
    assert {s.groups[0] for s in default.skills} == GROUPS


def test_default_taxonomy_covers_what_esco_lacks(default: Taxonomy) -> None:
    keys = {s.key.removeprefix(DEFAULT_KEY_PREFIX) for s in default.skills}
    wanted = {
        "react", "typescript", "dbt", "figma", "docker", "kubernetes", "aws", "git", "jira", "salesforce", "crm",
        "excel", "power-bi", "looker", "python", "sql", "gdpr", "okrs", "giving-feedback", "leadership",
        "complaint-handling", "spin-selling", "one-on-ones", "incident-management", "business-writing-dutch",
    }  # fmt: skip
    assert wanted <= keys
    labels = {s.labels["nl"] for s in default.skills}
    assert {"feedback geven", "leidinggeven", "klachtafhandeling", "AVG"} <= labels


def test_default_occupations_refer_to_existing_skills(default: Taxonomy) -> None:
    keys = {s.key for s in default.skills}
    for occupation in default.occupations:
        assert occupation.uri.startswith(DEFAULT_KEY_PREFIX)
        assert occupation.labels["en"] and occupation.labels["nl"]
        assert occupation.essential and set(occupation.essential) <= keys, occupation.uri
        assert set(occupation.optional) <= keys, occupation.uri
        assert not set(occupation.essential) & set(occupation.optional), occupation.uri
    assert (
        by_label(default.occupations, "klantenservicemedewerker", "nl").labels["en"]
        == "customer support agent"
    )


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_no_default_label_names_two_skills(default: Taxonomy, lang: str) -> None:
    """A label (preferred or alternative) shared by two skills would make label matching ambiguous."""
    owners: dict[str, set[str]] = defaultdict(set)
    for skill in default.skills:
        for label in (skill.labels[lang], *skill.alt_labels.get(lang, ())):
            owners[normalize_label(label)].add(skill.key)
    shared = {label: sorted(keys) for label, keys in owners.items() if len(keys) > 1}
    assert shared == {}


def test_default_taxonomy_reports_its_own_mistakes(tmp_path: Path) -> None:
    """A tenant's file in the same format gets problems with lines instead of a crash."""
    path = tmp_path / "mine.yaml"
    path.write_text(
        "skills:\n"
        "  - {key: a, en: A, nl: A, type: knowledge, group: Data, description: An a.}\n"
        "  - {key: a, en: B, nl: B, type: knowledge, group: Data, description: A b.}\n"
        "  - {key: c, en: C, type: knowledge, description: A c.}\n"
        "  - {key: d, en: D, nl: D, type: skill, description: A d., alt: {all: [1:1]}}\n"
        "occupations:\n"
        "  - {key: o, en: O, nl: O, essential: [a, zz]}\n",
        encoding="utf-8",
    )
    taxonomy = read_default_taxonomy(path)
    assert [s.key for s in taxonomy.skills] == ["default:a", "default:d"]
    assert [(p.file, p.line) for p in taxonomy.problems] == [
        ("mine.yaml", 3),
        ("mine.yaml", 4),
        ("mine.yaml", 5),
        ("mine.yaml", 5),
        ("mine.yaml", 7),
    ]
    assert taxonomy.occupations[0].essential == ("default:a",)
