"""What the API benchmarks share: a synthetic catalog, company and feedback history written straight
into the database in bulk (no encoding), a real `leerpad serve` process, and small measuring helpers.

Used by bench/api.py, bench/load.py and bench/memory.py. Every generator is seeded, so a run writes
the same rows each time.

- `insert_catalog`: N micro-units (1 to 3 per item) whose vectors are random unit vectors mixed with
  a random skill's stored vector, texts made of skill labels and filler words, 30% of items tagged.
  It continues after the highest item and unit ids already stored, so a catalog can grow in steps.
- `add_people`: one role and a few employees through the service functions (bench/api.py).
- `add_company`: roles through the service functions, then thousands of employees and their
  assessments in bulk (bench/load.py).
- `add_feedback_history`: weekly paths shown weeks ago (with their impressions) and the learning
  events that followed, so that `leerpad retrain` has real work to do.
- `Server`: `leerpad serve` in its own process, its worker processes and their memory (/proc).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import insert, select, text

from models import repositories as repo
from models.db import transaction
from models.tables import (
    Assessment,
    CatalogItem,
    Employee,
    ItemSkill,
    LearningEvent,
    LearningPath,
    MicroUnit,
    Role,
    Skill,
)
from recommender.embedding import vectors_from_bytes
from recommender.ranking import FEATURES
from service.core.activities import activity_id
from service.core.runtime import Runtime
from service.people.employees import AssessmentInput, add_assessments, upsert_employee
from service.skills.roles import RoleSkillInput, upsert_role

ROOT = Path(__file__).resolve().parents[1]
LEERPAD = Path(sys.executable).parent / "leerpad"
TAGGED_SHARE = 0.3
BATCH = 5000
FILLER = (
    *("leer", "oefen", "basis", "praktijk", "voorbeeld", "stap", "werk", "klant", "overzicht", "les"),
    *("learn", "practice", "basics", "example", "step", "team", "work", "data", "customer", "lesson"),
    *("introduction", "inleiding", "advanced", "gevorderd", "exercise", "opdracht", "guide", "module"),
)
FORMATS = ("course", "video", "article", "microlearning")
ADL = "http://adlnet.gov/expapi/verbs/"


@dataclass
class SkillRow:
    id: int
    key: str
    label: str
    vector: np.ndarray


def deadline_watchdog(seconds: float, on_fire: Callable[[], None] | None = None) -> None:
    """Stop the whole process when the global deadline passes, whatever it is doing (`on_fire` first,
    to stop child processes)."""

    def fire() -> None:
        print(f"\nglobal deadline of {seconds:.0f}s reached: stopping", flush=True)
        if on_fire is not None:
            try:
                on_fire()
            except Exception as exc:  # the exit below matters more
                print(f"cleaning up failed: {exc}", flush=True)
        os._exit(3)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()


def load_skills(runtime: Runtime, tenant_id: int) -> list[SkillRow]:
    with runtime.sessions() as session:
        rows = session.execute(
            select(Skill.id, Skill.key, Skill.label_en, Skill.label_nl, Skill.embedding)
            .where(Skill.tenant_id == tenant_id, Skill.embedding.is_not(None))
            .order_by(Skill.id)
        ).all()
    return [
        SkillRow(r[0], r[1], r[2] or r[3] or r[1], vectors_from_bytes([blob], len(blob) // 4)[0])
        for r in rows
        if (blob := r[4]) is not None
    ]


def insert_catalog(
    runtime: Runtime, tenant_id: int, skills: list[SkillRow], units: int, dimension: int, seed: int
) -> tuple[int, int, int]:
    """N more micro-units (1 to 3 per item) with mixed random vectors, numbered after the highest ids
    already stored; returns (items, units, item tags) written by this call."""
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    model = runtime.settings.model
    now = datetime.now(UTC)
    skill_matrix = np.stack([s.vector for s in skills])
    with runtime.engine.connect() as conn:
        first_item = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM catalog_items")).scalar_one())
        first_unit = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM micro_units")).scalar_one())
    item_id, unit_id, last_unit, tags = first_item, first_unit, first_unit + units, 0
    with runtime.engine.begin() as conn:
        while unit_id < last_unit:
            items_rows, unit_rows, tag_rows = [], [], []
            batch_end = min(last_unit, unit_id + BATCH)
            while unit_id < batch_end:
                item_id += 1
                count = min(pick.randint(1, 3), batch_end - unit_id)
                topic = pick.randrange(len(skills))
                language = pick.choice(("nl", "en"))
                title = f"{skills[topic].label} {pick.choice(FILLER)} {item_id}"
                # Each unit: a random direction mixed with the item's topic skill, by a random weight.
                noise = rng.standard_normal((count, dimension)).astype(np.float32)
                noise /= np.linalg.norm(noise, axis=1, keepdims=True)
                weights = rng.uniform(0.0, 1.0, (count, 1)).astype(np.float32)
                mixed = (1.0 - weights) * noise + weights * skill_matrix[topic]
                mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
                minutes = 0
                for position in range(count):
                    unit_id += 1
                    labels = [skills[topic].label] + [
                        skills[pick.randrange(len(skills))].label for _ in range(2)
                    ]
                    words = labels + pick.choices(FILLER, k=pick.randint(12, 30))
                    pick.shuffle(words)
                    body = " ".join(words)
                    unit_minutes = pick.randint(5, 15)
                    minutes += unit_minutes
                    unit_rows.append(
                        {
                            "id": unit_id,
                            "tenant_id": tenant_id,
                            "item_id": item_id,
                            "position": position,
                            "title": f"{title} ({position + 1})",
                            "text": body,
                            "minutes": unit_minutes,
                            "anchor": None,
                            "text_hash": hashlib.sha256(body.encode()).hexdigest(),
                            "embedding": mixed[position].astype(np.float32).tobytes(),
                            "embedding_model": model,
                            "active": True,
                        }
                    )
                items_rows.append(
                    {
                        "id": item_id,
                        "tenant_id": tenant_id,
                        "source": "bench",
                        "kind": "csv",
                        "external_id": f"item-{item_id}",
                        "title": title,
                        "description": " ".join(pick.choices(FILLER, k=15)),
                        "url": f"https://lms.example/item/{item_id}",
                        "language": language,
                        "minutes": minutes,
                        "level": pick.choice((None, "beginner", "intermediate", "advanced")),
                        "format": pick.choice(FORMATS),
                        "provider": None,
                        "rating": None,
                        "declared_skills": [],
                        "extra": {},
                        "content_hash": hashlib.sha256(title.encode()).hexdigest(),
                        "status": "active",
                        "source_updated_at": None,
                        "created_at": now,
                        "updated_at": now,
                        "retired_at": None,
                    }
                )
                if pick.random() < TAGGED_SHARE:
                    tagged = {topic} | {pick.randrange(len(skills)) for _ in range(pick.randint(0, 1))}
                    for index in tagged:
                        tag_rows.append(
                            {
                                "tenant_id": tenant_id,
                                "item_id": item_id,
                                "skill_id": skills[index].id,
                                "confidence": round(pick.uniform(0.6, 1.0), 3),
                                "origin": "label",
                                "status": "auto",
                                "reviewed_at": None,
                            }
                        )
            conn.execute(insert(CatalogItem), items_rows)
            conn.execute(insert(MicroUnit), unit_rows)
            if tag_rows:
                conn.execute(insert(ItemSkill), tag_rows)
            tags += len(tag_rows)
        if conn.dialect.name == "postgresql":
            # The ids above were given explicitly: move the sequences past them, so that rows added
            # later the ordinary way (an ingest during the load test) get fresh ids.
            for table in ("catalog_items", "micro_units"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
    return item_id - first_item, unit_id - first_unit, tags


def publish(runtime: Runtime, tenant: str) -> int:
    """Mark the catalog changed and publish its snapshot (vectors and BM25); returns the version."""
    with transaction(runtime.sessions) as session:
        repo.bump_index_version(session, repo.get_or_create_tenant(session, tenant))
    return runtime.rebuild_index(tenant)


def add_people(runtime: Runtime, tenant: str, role_keys: list[str], seed: int, employees: int) -> str:
    """One role "analyst" of the given skills and `employees` employees with 2 to 4 assessments each,
    through the service functions; returns an lms key."""
    pick = random.Random(seed)
    with transaction(runtime.sessions) as session:
        row = repo.get_or_create_tenant(session, tenant)
        upsert_role(
            session,
            row.id,
            "analyst",
            "Data-analist",
            [
                RoleSkillInput(skill=key, level=4, importance=pick.choice((1.0, 0.75, 0.5)))
                for key in role_keys
            ],
            runtime.encoder,
            runtime.settings.model,
        )
        for number in range(employees):
            employee = upsert_employee(
                session,
                row.id,
                f"e-{number}",
                role="analyst",
                target_role=None,
                team=None,
                language=pick.choice(("nl", "en")),
                preferences={},
            )
            entries = [
                AssessmentInput(
                    skill=key, level=float(pick.randint(0, 3)), source=pick.choice(("test", "manager"))
                )
                for key in pick.sample(role_keys, pick.randint(2, 4))
            ]
            add_assessments(session, row.id, employee, entries, self_only=False)
        _, secret = repo.create_api_key(session, row, "lms", label="bench")
    return secret


def add_company(
    runtime: Runtime,
    tenant: str,
    skills: Sequence[SkillRow],
    *,
    roles: int,
    role_skills: int,
    employees: int,
    seed: int,
) -> str:
    """`roles` roles of `role_skills` skills each (through `upsert_role`), then `employees` employees
    `e-0` .. (each with a role, a team of about 25 and 2 to 4 assessments of their role's skills, at
    levels 0 to 3 against a required 4) written in bulk; returns an lms key."""
    pick = random.Random(seed)
    role_skill_keys: dict[int, list[int]] = {}
    with transaction(runtime.sessions) as session:
        row = repo.get_or_create_tenant(session, tenant)
        tenant_id = row.id
        for number in range(roles):
            chosen = pick.sample(list(skills), role_skills)
            role, _ = upsert_role(
                session,
                tenant_id,
                f"role-{number}",
                f"Rol {number}",
                [
                    RoleSkillInput(skill=s.key, level=4, importance=pick.choice((1.0, 0.75, 0.5)))
                    for s in chosen
                ],
                runtime.encoder,
                runtime.settings.model,
            )
            role_skill_keys[role.id] = [s.id for s in chosen]
        _, secret = repo.create_api_key(session, row, "lms", label="bench")
    role_ids = sorted(role_skill_keys)
    now = datetime.now(UTC)
    assigned = [pick.choice(role_ids) for _ in range(employees)]
    with runtime.engine.begin() as conn:
        for start in range(0, employees, BATCH):
            conn.execute(
                insert(Employee),
                [
                    {
                        "tenant_id": tenant_id,
                        "key": f"e-{number}",
                        "role_id": assigned[number],
                        "target_role_id": None,
                        "team": f"team-{number // 25}",
                        "language": pick.choice(("nl", "en")),
                        "preferences": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                    for number in range(start, min(employees, start + BATCH))
                ],
            )
        ids = dict(
            conn.execute(select(Employee.key, Employee.id).where(Employee.tenant_id == tenant_id)).all()
        )
        rows = [
            {
                "tenant_id": tenant_id,
                "employee_id": ids[f"e-{number}"],
                "skill_id": skill_id,
                "level": float(pick.randint(0, 3)),
                "source": pick.choice(("test", "manager")),
                "observed_at": now - timedelta(days=pick.randint(1, 200)),
                "created_at": now,
            }
            for number in range(employees)
            for skill_id in pick.sample(role_skill_keys[assigned[number]], pick.randint(2, 4))
        ]
        for start in range(0, len(rows), BATCH):
            conn.execute(insert(Assessment), rows[start : start + BATCH])
    return secret


def likes_format(features: Mapping[str, float]) -> float:
    """The chance that an employee completes a unit: they like a format, whatever its relevance (the
    rules weigh `format` little, so a learned model can do better; tests/service/feedback_factories)."""
    return 1.0 / (1.0 + math.exp(-(-1.0 + 8.0 * (features["format"] - 0.5))))


def add_feedback_history(
    runtime: Runtime, tenant: str, *, employees: int, weeks: int, per_path: int, seed: int
) -> tuple[int, int]:
    """For employees e-0 .. e-(employees-1): a weekly path `weeks` weeks long, starting `weeks + 6`
    weeks ago (so every 28-day window has ended), each showing `per_path` random units with random
    ranking features, and the events that followed (completed with the chance `likes_format` gives,
    else failed 30% of the time). Written in bulk; returns (impressions, events)."""
    rng = np.random.default_rng(seed)
    with runtime.sessions() as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        people = dict(
            session.execute(select(Employee.key, Employee.id).where(Employee.tenant_id == tenant_id)).all()
        )
        units = session.execute(
            select(
                MicroUnit.id,
                MicroUnit.item_id,
                MicroUnit.position,
                CatalogItem.source,
                CatalogItem.external_id,
            )
            .join(CatalogItem, CatalogItem.id == MicroUnit.item_id)
            .where(MicroUnit.tenant_id == tenant_id, MicroUnit.active.is_(True))
        ).all()
    start = datetime.now(UTC) - timedelta(weeks=weeks + 6)
    path_rows: list[dict[str, object]] = []
    event_rows: list[dict[str, object]] = []
    impressions = 0
    for number in range(employees):
        employee_id = people[f"e-{number}"]
        for week in range(weeks):
            shown_at = start + timedelta(weeks=week, minutes=number % 600)
            shown = []
            for index in rng.choice(len(units), size=per_path, replace=False):
                unit_id, item_id, position, source, external_id = units[int(index)]
                features = {name: round(float(rng.uniform()), 4) for name in FEATURES}
                shown.append({"unit_id": unit_id, "item_id": item_id, "skill_id": 0, "features": features})
                if rng.random() < likes_format(features):
                    verb = "completed"
                elif rng.random() < 0.3:
                    verb = "failed"
                else:
                    continue
                at = shown_at + timedelta(days=float(rng.uniform(0.5, 5)))
                event_rows.append(
                    {
                        "tenant_id": tenant_id,
                        "statement_id": str(uuid.uuid4()),
                        "employee_id": employee_id,
                        "verb": verb,
                        "verb_iri": ADL + verb,
                        "activity_id": activity_id(source, external_id, position),
                        "item_id": item_id,
                        "unit_id": unit_id,
                        "occurred_at": at,
                        "stored_at": at,
                        "statement": {},
                    }
                )
            impressions += len(shown)
            path_rows.append(
                {
                    "tenant_id": tenant_id,
                    "path_key": uuid.uuid4().hex,
                    "employee_id": employee_id,
                    "request": {},
                    "response": {},
                    "model_version": "rules-1",
                    "index_version": None,
                    "impressions": shown,
                    "created_at": shown_at,
                }
            )
    with runtime.engine.begin() as conn:
        for begin in range(0, len(path_rows), BATCH):
            conn.execute(insert(LearningPath), path_rows[begin : begin + BATCH])
        for begin in range(0, len(event_rows), BATCH):
            conn.execute(insert(LearningEvent), event_rows[begin : begin + BATCH])
    return impressions, len(event_rows)


def role_matrix(runtime: Runtime, tenant_id: int) -> np.ndarray:
    """The stored vectors of the first role's skills: the dense queries one path request makes."""
    with runtime.sessions() as session:
        role_id = session.scalar(select(Role.id).where(Role.tenant_id == tenant_id).order_by(Role.id))
        blobs = session.scalars(
            text(
                "SELECT s.embedding FROM role_skills r JOIN skills s ON s.id = r.skill_id "
                "WHERE r.role_id = :role AND s.embedding IS NOT NULL ORDER BY s.id"
            ),
            {"role": role_id},
        ).all()
    return vectors_from_bytes(list(blobs), len(blobs[0]) // 4)


# --- measuring ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: Sequence[float], share: float) -> float:
    return float(np.percentile(np.asarray(values), share * 100)) if len(values) else float("nan")


def time_calls(call: Callable[[], object], minimum: int, budget_s: float, maximum: int) -> float:
    """Median seconds per call of `call()`, over at least `minimum` calls within about `budget_s`."""
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < maximum and (len(times) < minimum or time.perf_counter() - started < budget_s):
        begin = time.perf_counter()
        call()
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


MEMORY_FIELDS = ("Rss", "Pss", "Private_Clean", "Private_Dirty", "Shared_Clean", "Shared_Dirty", "Anonymous")


def memory_of(pid: int) -> dict[str, float]:
    """MiB from /proc/<pid>/smaps_rollup: Rss, Pss (shared pages divided among the processes that
    map them), Uss (private pages), Anonymous; and the peak RSS (VmHWM) from /proc/<pid>/status."""
    found: dict[str, float] = {}
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 3 and parts[-1] == "kB" and parts[0].rstrip(":") in MEMORY_FIELDS:
                found[parts[0].rstrip(":")] = int(parts[1]) / 1024
    found["Uss"] = found.get("Private_Clean", 0.0) + found.get("Private_Dirty", 0.0)
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                found["Peak"] = int(line.split()[1]) / 1024
    return found


def mapped_file_memory(pid: int, suffix: str) -> dict[str, float]:
    """MiB of Rss and Pss of the process's mappings of files whose path ends with `suffix`
    (the FAISS snapshot files a worker maps), and how many such mappings there are."""
    totals = {"Rss": 0.0, "Pss": 0.0, "mappings": 0.0}
    inside = False
    with open(f"/proc/{pid}/smaps") as handle:
        for line in handle:
            first = line.split(maxsplit=1)[0]
            if "-" in first and not first.endswith(":"):  # a mapping's header line
                inside = line.rstrip().endswith(suffix)
                totals["mappings"] += 1 if inside else 0
            elif inside and first in ("Rss:", "Pss:"):
                totals[first[:-1]] += int(line.split()[1]) / 1024
    return totals


def mapped_paths(pid: int, suffix: str) -> set[str]:
    """The files ending with `suffix` that the process has mapped (from /proc/<pid>/maps)."""
    with open(f"/proc/{pid}/maps") as handle:
        return {parts[5] for line in handle if len(parts := line.split()) >= 6 and parts[5].endswith(suffix)}


class Server:
    """`leerpad serve` on 127.0.0.1 in its own process (a process group, so that stopping it stops
    its uvicorn workers too), its output in a log file."""

    def __init__(
        self, env: Mapping[str, str], workers: int, log_path: Path, extra_env: Mapping[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log_path = log_path
        environment = {**os.environ, **env, **(extra_env or {})}
        self._log = open(log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                str(LEERPAD),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout_s: float, probe: str = "/readyz") -> None:
        """Until `probe` answers 200 and every worker process has started."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                ready = httpx.get(f"{self.base}{probe}", timeout=5).status_code == 200
            except httpx.HTTPError:
                ready = False
            if ready and (self.workers == 1 or len(self.worker_pids()) >= self.workers):
                return
            time.sleep(0.3)
        raise RuntimeError(f"the server was not ready within {timeout_s:.0f}s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: uvicorn's spawned workers, or the server itself."""
        if self.workers == 1:
            return [self.process.pid]
        found = []
        for child in children(self.process.pid):
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                found.append(child)
        return sorted(found)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found
