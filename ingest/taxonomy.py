"""Reading skills taxonomies: an ESCO CSV download, and the project's own bundled default taxonomy.

This module only reads. It turns files into plain dataclasses (skills, occupations, and the problems met
on the way) so that persistence, matching and tagging can be written and tested without any file format
in mind. A bad row never stops an import: it becomes a `TaxonomyProblem` naming the file and the line,
and only a folder that cannot be an ESCO download at all raises `SourceError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ingest.files import BAD_CSV_KEY, EXTRA_FIELDS_KEY, read_csv_rows
from ingest.records import SourceError

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("default_taxonomy.yaml")
DEFAULT_KEY_PREFIX = "default:"
MAX_PROBLEMS = 1000
RELATION_TYPES = ("essential", "optional")

_ESCO_FILE = re.compile(r"^(skills|occupations|occupationSkillRelations)_([a-z]{2})\.csv$")
# Official files separate alternative labels by newlines; files derived from them often use " | ".
_ALT_SEPARATOR = re.compile(r"\s*\n\s*|\s+\|\s+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class TaxonomySkill:
    """One skill in every language the source gave it, keyed by its ESCO URI or a `default:` slug."""

    key: str
    uri: str | None
    labels: dict[str, str]
    alt_labels: dict[str, tuple[str, ...]]
    descriptions: dict[str, str]
    skill_type: str | None
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaxonomyOccupation:
    """An occupation with the skill keys it needs (essential) and may use (optional)."""

    uri: str
    code: str | None
    labels: dict[str, str]
    alt_labels: dict[str, tuple[str, ...]]
    descriptions: dict[str, str]
    essential: tuple[str, ...]
    optional: tuple[str, ...]


@dataclass(frozen=True)
class TaxonomyProblem:
    """A row that was skipped or partly used, with where it is so that a person can look at it."""

    file: str
    line: int
    reason: str


@dataclass
class Taxonomy:
    skills: list[TaxonomySkill]
    occupations: list[TaxonomyOccupation]
    problems: list[TaxonomyProblem]
    languages: tuple[str, ...]


# --------------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------------

_OPENERS = {"(": ")", "[": "]", "{": "}", "«": "»", "“": "”", "‘": "’", "„": "”", "‚": "’"}
_CLOSERS: dict[str, str] = {}  # closer -> every opener it closes ("”" closes both "“" and "„")
for _opener, _closer in _OPENERS.items():
    _CLOSERS[_closer] = _CLOSERS.get(_closer, "") + _opener
# Characters that carry meaning at the edge of a skill name: C#, C++, F#, .NET, 100%, R&D.
_KEPT_AT_EDGES = frozenset("#+&%$€@")


def _strippable(char: str) -> bool:
    return unicodedata.category(char)[0] == "P" and char not in _KEPT_AT_EDGES


def normalize_label(label: str) -> str:
    """The form labels are compared in: NFKC, casefolded, single spaces, no surrounding punctuation.

    Diacritics are kept ('inspiciënt' and 'inspicient' stay apart, as Dutch spelling needs), and so are
    edge characters that name things (C#, C++, .NET); brackets are only removed when unbalanced or when
    they enclose the whole label, so 'Excel (Microsoft)' keeps its closing bracket.
    """
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", label).casefold()).strip()
    while text:
        first, last = text[0], text[-1]
        if len(text) > 1 and _OPENERS.get(first) == last and _balanced(text[1:-1]):
            text = text[1:-1].strip()
        elif first.isspace() or (
            _strippable(first)
            and not (first == "." and len(text) > 1 and text[1].isalnum())
            and not (first in _OPENERS and _OPENERS[first] in text[1:])
        ):
            text = text[1:].lstrip()
        elif last.isspace() or (
            _strippable(last) and not any(opener in text[:-1] for opener in _CLOSERS.get(last, ""))
        ):
            text = text[:-1].rstrip()
        else:
            break
    return text


def _balanced(text: str) -> bool:
    """Whether every bracket in `text` is closed in order, so that stripping the outer pair is safe."""
    stack: list[str] = []
    for char in text:
        if char in _OPENERS and char not in _CLOSERS:
            stack.append(_OPENERS[char])
        elif char in _CLOSERS and char not in _OPENERS and (not stack or stack.pop() != char):
            return False
    return not stack


def _clean(label: str) -> str:
    return _SPACES.sub(" ", label).strip()


def _split_labels(*cells: str) -> list[str]:
    return [label for cell in cells for label in (_clean(p) for p in _ALT_SEPARATOR.split(cell)) if label]


def _dedupe(labels: Iterable[str], preferred: str | None) -> tuple[str, ...]:
    """Alternative labels without repeats or the preferred label, compared the way lookups compare them."""
    seen = {normalize_label(preferred)} if preferred else set()
    kept: list[str] = []
    for label in labels:
        norm = normalize_label(label)
        if norm and norm not in seen:
            seen.add(norm)
            kept.append(label)
    return tuple(kept)


# --------------------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------------------


class _Problems:
    """Collects problems up to a cap so that a broken million-row file does not give a million entries."""

    def __init__(self, cap: int = MAX_PROBLEMS) -> None:
        self.cap = cap
        self.items: list[TaxonomyProblem] = []
        self.dropped = 0

    def add(self, file: str, line: int, reason: str) -> None:
        if len(self.items) < self.cap:
            self.items.append(TaxonomyProblem(file, line, reason))
        else:
            self.dropped += 1

    def result(self) -> list[TaxonomyProblem]:
        if not self.dropped:
            return list(self.items)
        summary = TaxonomyProblem(
            "", 0, f"{self.dropped:,} more problems not listed (only the first {self.cap:,} are)"
        )
        return [*self.items, summary]


# --------------------------------------------------------------------------------------------------
# ESCO
# --------------------------------------------------------------------------------------------------


@dataclass
class _Draft:
    """A concept being merged across the per-language files."""

    uri: str
    labels: dict[str, str] = field(default_factory=dict)
    alt_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    kind: str | None = None  # skillType for skills, code for occupations
    lines: dict[str, int] = field(default_factory=dict)  # language -> line, to report duplicates
    essential: dict[str, None] = field(default_factory=dict)  # ordered sets of skill URIs
    optional: dict[str, None] = field(default_factory=dict)


def _language_order(languages: Iterable[str]) -> tuple[str, ...]:
    """English first (the fullest ESCO language, and the one that wins for language-neutral columns)."""
    return tuple(sorted(set(languages), key=lambda lang: (lang != "en", lang)))


class _Columns:
    """Looks up a row's value by the official column name, matching the file's headers case-insensitively."""

    def __init__(self, path: Path, headers: list[str], required: tuple[str, ...]) -> None:
        self.by_fold = {h.casefold(): h for h in headers if h}
        missing = [name for name in required if name.casefold() not in self.by_fold]
        if missing:
            found = ", ".join(h for h in headers if h) or "none"
            raise SourceError(
                path, f"missing required column(s) {', '.join(missing)}; the headers found are: {found}"
            )

    def __call__(self, row: dict[str, str], name: str) -> str:
        header = self.by_fold.get(name.casefold())
        return row.get(header, "") if header else ""


def _read_concepts(
    path: Path,
    lang: str,
    drafts: dict[str, _Draft],
    obsolete: set[str],
    problems: _Problems,
    kind_column: str,
) -> None:
    """Merge one skills_<lang>.csv or occupations_<lang>.csv into `drafts` (URI -> concept)."""
    headers, rows = read_csv_rows(path)
    get = _Columns(path, headers, ("conceptUri", "preferredLabel"))
    name = path.name
    for line, row in rows:
        if BAD_CSV_KEY in row:
            problems.add(name, line, f"bad CSV: {row[BAD_CSV_KEY]}; skipped, read on from the next line")
            continue
        if EXTRA_FIELDS_KEY in row:
            problems.add(
                name, line, f"row has {row[EXTRA_FIELDS_KEY]} more field(s) than the header; skipped"
            )
            continue
        uri = get(row, "conceptUri")
        label = _clean(get(row, "preferredLabel"))
        if not uri:
            problems.add(name, line, "empty conceptUri; skipped")
            continue
        if get(row, "status").casefold() == "obsolete":
            obsolete.add(uri)
            problems.add(name, line, f"{uri} is obsolete; skipped")
            continue
        if not label:
            problems.add(name, line, f"{uri} has an empty preferredLabel; skipped")
            continue
        draft = drafts.get(uri)
        if draft is None:
            draft = drafts[uri] = _Draft(uri)
        elif lang in draft.lines:
            problems.add(name, line, f"{uri} appears again (first on line {draft.lines[lang]}); skipped")
            continue
        draft.lines[lang] = line
        draft.labels[lang] = label
        alts = _dedupe(_split_labels(get(row, "altLabels"), get(row, "hiddenLabels")), label)
        if alts:
            draft.alt_labels[lang] = alts
        description = _clean(get(row, "description")) or _clean(get(row, "definition"))
        if description:
            draft.descriptions[lang] = description
        if draft.kind is None:
            draft.kind = get(row, kind_column) or None


@dataclass
class _Unknown:
    """A URI that relations point at but no concept file holds: reported once, with its first line."""

    line: int
    rows: int = 0


def _read_relations(
    path: Path,
    skills: dict[str, _Draft],
    occupations: dict[str, _Draft],
    obsolete: set[str],
    problems: _Problems,
) -> None:
    """Attach occupationSkillRelations rows to the occupations; an unknown URI is one problem, not one per row."""
    headers, rows = read_csv_rows(path)
    get = _Columns(path, headers, ("occupationUri", "relationType", "skillUri"))
    name = path.name
    unknown_skills: dict[str, _Unknown] = {}
    unknown_occupations: dict[str, _Unknown] = {}
    found: list[tuple[int, str]] = []  # reported in line order once the unknown URIs are counted
    for line, row in rows:
        if BAD_CSV_KEY in row:
            problems.add(name, line, f"bad CSV: {row[BAD_CSV_KEY]}; skipped, read on from the next line")
            continue
        if EXTRA_FIELDS_KEY in row:
            found.append((line, f"row has {row[EXTRA_FIELDS_KEY]} more field(s) than the header; skipped"))
            continue
        occupation_uri, skill_uri = get(row, "occupationUri"), get(row, "skillUri")
        relation = get(row, "relationType").casefold()
        if not occupation_uri or not skill_uri:
            found.append((line, "empty occupationUri or skillUri; skipped"))
            continue
        if relation not in RELATION_TYPES:
            shown = get(row, "relationType")
            found.append((line, f"unknown relationType {shown!r} (expected essential or optional); skipped"))
            continue
        if occupation_uri in obsolete or skill_uri in obsolete:
            continue  # the obsolete concept itself was reported where it was read
        occupation = occupations.get(occupation_uri)
        if occupation is None:
            unknown_occupations.setdefault(occupation_uri, _Unknown(line)).rows += 1
            continue
        if skill_uri not in skills:
            unknown_skills.setdefault(skill_uri, _Unknown(line)).rows += 1
            continue
        target = occupation.essential if relation == "essential" else occupation.optional
        target[skill_uri] = None
    for uri, unknown in unknown_occupations.items():
        found.append((unknown.line, _unknown_reason("occupation", uri, unknown.rows)))
    for uri, unknown in unknown_skills.items():
        found.append((unknown.line, _unknown_reason("skill", uri, unknown.rows)))
    for line, reason in sorted(found):
        problems.add(name, line, reason)


def _unknown_reason(what: str, uri: str, count: int) -> str:
    rows_text = "1 relation" if count == 1 else f"{count:,} relations"
    return f"{what} {uri} is in no {what}s file; {rows_text} to it skipped"


def _esco_files(folder: Path) -> dict[str, dict[str, Path]]:
    """Kind ('skills', 'occupations', 'occupationSkillRelations') -> language -> file."""
    found: dict[str, dict[str, Path]] = {}
    for entry in folder.iterdir():
        match = _ESCO_FILE.match(entry.name)
        if match and entry.is_file():
            found.setdefault(match.group(1), {})[match.group(2)] = entry
    return found


def read_esco(path: Path) -> Taxonomy:
    """Read a folder in the layout of the official ESCO CSV download, merging languages by concept URI.

    Skills come from skills_<lang>.csv, occupations from occupations_<lang>.csv, and which skills each
    occupation needs from the first occupationSkillRelations_<lang>.csv (English when present): the
    relations are the same in every language.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise SourceError(folder, "not a folder; expected the ESCO CSV download (skills_<lang>.csv, ...)")
    files = _esco_files(folder)
    if not files.get("skills"):
        names = sorted(entry.name for entry in folder.iterdir())
        shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        raise SourceError(
            folder,
            f"no skills_<lang>.csv file (for example skills_en.csv); found: {shown or 'an empty folder'}",
        )
    problems = _Problems()
    obsolete: set[str] = set()
    skills: dict[str, _Draft] = {}
    occupations: dict[str, _Draft] = {}
    for lang in _language_order(files["skills"]):
        _read_concepts(files["skills"][lang], lang, skills, obsolete, problems, "skillType")
    for lang in _language_order(files.get("occupations", {})):
        _read_concepts(files["occupations"][lang], lang, occupations, obsolete, problems, "code")
    relation_files = files.get("occupationSkillRelations", {})
    if relation_files:
        first = _language_order(relation_files)[0]
        _read_relations(relation_files[first], skills, occupations, obsolete, problems)
    languages = _language_order([*files["skills"], *files.get("occupations", {})])
    return Taxonomy(
        skills=[
            TaxonomySkill(
                key=d.uri,
                uri=d.uri,
                labels=d.labels,
                alt_labels=d.alt_labels,
                descriptions=d.descriptions,
                skill_type=d.kind,
            )
            for d in skills.values()
        ],
        occupations=[
            TaxonomyOccupation(
                uri=d.uri,
                code=d.kind,
                labels=d.labels,
                alt_labels=d.alt_labels,
                descriptions=d.descriptions,
                essential=tuple(d.essential),
                # a skill ESCO lists as both essential and optional for one occupation counts as essential
                optional=tuple(uri for uri in d.optional if uri not in d.essential),
            )
            for d in occupations.values()
        ],
        problems=problems.result(),
        languages=languages,
    )


# --------------------------------------------------------------------------------------------------
# The bundled default taxonomy
# --------------------------------------------------------------------------------------------------

_LINE_KEY = "__line__"
_DEFAULT_LANGUAGES = ("en", "nl")
SKILL_TYPES = ("skill/competence", "knowledge")


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping, so problems can point into the file."""


def _construct_mapping_with_line(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[_LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_with_line)


def _text(value: Any) -> str:
    """A YAML string, cleaned; anything else (61 for an unquoted 1:1, False for no) counts as missing."""
    return _clean(value) if isinstance(value, str) else ""


def _entries(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (entry for entry in value if isinstance(entry, dict))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _default_labels(
    entry: dict[str, Any], name: str, line: int, problems: _Problems
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]] | None:
    """Preferred and alternative labels of one entry; None (and a problem) when a language lacks a label."""
    labels = {lang: _text(entry.get(lang)) for lang in _DEFAULT_LANGUAGES}
    missing = [lang for lang, label in labels.items() if not label]
    if missing:
        problems.add(name, line, f"{entry.get('key')!r} has no label in {', '.join(missing)}; skipped")
        return None
    alt_in = entry.get("alt") or {}
    if not isinstance(alt_in, dict):
        problems.add(
            name, line, f"{entry.get('key')!r} has alt {alt_in!r}; expected a mapping of language to labels"
        )
        alt_in = {}
    alt_in = {lang: value for lang, value in alt_in.items() if lang != _LINE_KEY}
    unknown = sorted(str(lang) for lang in alt_in if lang not in ("all", *_DEFAULT_LANGUAGES))
    if unknown:
        problems.add(
            name, line, f"{entry.get('key')!r} has alt labels for unknown language(s) {', '.join(unknown)}"
        )
    not_text = [a for value in alt_in.values() for a in _as_list(value) if not isinstance(a, str)]
    if not_text:
        problems.add(
            name, line, f"{entry.get('key')!r} has alt labels that are not text: {not_text!r}; quote them"
        )
    alt_labels: dict[str, tuple[str, ...]] = {}
    for lang in _DEFAULT_LANGUAGES:
        # "all" holds names every language uses (abbreviations, product names), given once in the file
        raw = [*_as_list(alt_in.get("all")), *_as_list(alt_in.get(lang))]
        alts = _dedupe((_text(a) for a in raw), labels[lang])
        if alts:
            alt_labels[lang] = alts
    return labels, alt_labels


def _default_skill(entry: dict[str, Any], name: str, problems: _Problems) -> TaxonomySkill | None:
    line = int(entry.get(_LINE_KEY, 0))
    slug = _text(entry.get("key"))
    if not slug:
        problems.add(name, line, "skill without a key; skipped")
        return None
    found = _default_labels(entry, name, line, problems)
    if found is None:
        return None
    skill_type = _text(entry.get("type"))
    if skill_type not in SKILL_TYPES:
        problems.add(name, line, f"{slug!r} has type {skill_type!r}, not one of {', '.join(SKILL_TYPES)}")
    description = _text(entry.get("description"))
    if not description:
        problems.add(name, line, f"{slug!r} has no description")
    group = _text(entry.get("group"))
    return TaxonomySkill(
        key=DEFAULT_KEY_PREFIX + slug,
        uri=None,
        labels=found[0],
        alt_labels=found[1],
        descriptions={"en": description} if description else {},
        skill_type=skill_type or None,
        groups=(group,) if group else (),
    )


def _default_occupation(
    entry: dict[str, Any], name: str, skill_keys: set[str], problems: _Problems
) -> TaxonomyOccupation | None:
    line = int(entry.get(_LINE_KEY, 0))
    slug = _text(entry.get("key"))
    if not slug:
        problems.add(name, line, "occupation without a key; skipped")
        return None
    found = _default_labels(entry, name, line, problems)
    if found is None:
        return None
    needed: dict[str, tuple[str, ...]] = {}
    for relation in RELATION_TYPES:
        keys: list[str] = []
        for raw in entry.get(relation) or []:
            key = DEFAULT_KEY_PREFIX + _text(raw)
            if key not in skill_keys:
                problems.add(name, line, f"occupation {slug!r} names unknown skill {raw!r} as {relation}")
            elif key not in keys:
                keys.append(key)
        needed[relation] = tuple(keys)
    description = _text(entry.get("description"))
    key = DEFAULT_KEY_PREFIX + slug
    return TaxonomyOccupation(
        uri=key,
        code=None,
        labels=found[0],
        alt_labels=found[1],
        descriptions={"en": description} if description else {},
        essential=needed["essential"],
        optional=tuple(k for k in needed["optional"] if k not in needed["essential"]),
    )


def read_default_taxonomy(path: Path = DEFAULT_TAXONOMY_PATH) -> Taxonomy:
    """The project's own skills (tools and company skills ESCO lacks) in English and Dutch.

    Keys are 'default:<slug>'; the file's problems (none, as a test checks) are returned, not raised,
    so that a tenant's own file in the same format can be read the same way.
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # a SafeLoader subclass
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SourceError(path, f"cannot read the taxonomy: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("skills"), list):
        raise SourceError(path, "expected a mapping with a 'skills' list")
    name = path.name
    problems = _Problems()
    skills: list[TaxonomySkill] = []
    seen: dict[str, int] = {}
    for entry in _entries(data["skills"]):
        skill = _default_skill(entry, name, problems)
        if skill is None:
            continue
        line = int(entry.get(_LINE_KEY, 0))
        if skill.key in seen:
            problems.add(
                name, line, f"key {skill.key!r} is used again (first on line {seen[skill.key]}); skipped"
            )
            continue
        seen[skill.key] = line
        skills.append(skill)
    occupations: list[TaxonomyOccupation] = []
    for entry in _entries(data.get("occupations")):
        occupation = _default_occupation(entry, name, set(seen), problems)
        if occupation is not None:
            occupations.append(occupation)
    return Taxonomy(
        skills=skills, occupations=occupations, problems=problems.result(), languages=_DEFAULT_LANGUAGES
    )
