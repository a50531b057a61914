"""SQLAlchemy 2 tables. Every row that belongs to a company carries its `tenant_id`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

ITEM_ACTIVE = "active"
ITEM_RETIRED = "retired"

JOB_QUEUED = "queued"
JOB_RUNNING = "running"
JOB_SUCCEEDED = "succeeded"
JOB_FAILED = "failed"

MODEL_CANDIDATE = "candidate"
MODEL_ACTIVE = "active"
MODEL_REJECTED = "rejected"
MODEL_RETIRED = "retired"
MODEL_STATUSES = (MODEL_CANDIDATE, MODEL_ACTIVE, MODEL_REJECTED, MODEL_RETIRED)

# BIGINT on PostgreSQL, INTEGER (the rowid alias, so autoincrement works) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out; SQLite stores no zone, so one is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime}


class Tenant(Base):
    """A company. `index_version` moves with every catalog change, so a snapshot can prove it is current."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    index_version: Mapped[int] = mapped_column(Integer, default=0)
    # Moves with every change to the tenant's item tags (models/tags_version.py), so a worker knows
    # when the tag table it keeps beside the snapshot (service/core/runtime.py) is out of date.
    tags_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Who sees one employee's gap scores: everyone the API lets in ("all"), the employee alone
    # ("employees_only"), or nobody ("aggregates_only": team reports only). See service/people/visibility.py.
    individual_gaps: Mapped[str] = mapped_column(String(20), default="all", server_default="all")
    # How relevant a unit must be to become a path step (and for a gap to count as having content);
    # NULL: the product's default. See service/paths/step_relevance.py.
    min_step_relevance: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The company's Learning Days (service/learning/calendar.py: a calendar rule or a share of contract
    # hours); NULL: none set.
    learning_days: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiKey(Base):
    """A hashed API key; the secret itself is shown once, at creation."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    employee_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # When a request last came with the key, true to within a minute (service/http/deps.py); None: never.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CatalogItem(Base):
    """One catalog item as its source knows it, normalised."""

    __tablename__ = "catalog_items"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "external_id", name="uq_item_source_external_id"),
        Index("ix_items_tenant_status", "tenant_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The LMS's own page of the course or module (a CSV catalog's lms_url): xAPI statements name it.
    lms_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str] = mapped_column(String(8))
    minutes: Mapped[int] = mapped_column(Integer)
    level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    format: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str | None] = mapped_column(String(200), nullable=True)
    rating: Mapped[float | None] = mapped_column(Float, nullable=True)
    declared_skills: Mapped[list[Any]] = mapped_column(JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default=ITEM_ACTIVE)
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    units: Mapped[list[MicroUnit]] = relationship(
        back_populates="item", order_by="MicroUnit.position", cascade="all, delete-orphan"
    )


class MicroUnit(Base):
    """A 5 to 15 minute piece of an item, with its cached embedding (the index is rebuilt from these)."""

    __tablename__ = "micro_units"
    __table_args__ = (
        UniqueConstraint("item_id", "position", name="uq_unit_item_position"),
        Index("ix_units_tenant_active", "tenant_id", "active", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    minutes: Mapped[int] = mapped_column(Integer)
    anchor: Mapped[str | None] = mapped_column(String(300), nullable=True)
    text_hash: Mapped[str] = mapped_column(String(64))
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    embedding_model: Mapped[str | None] = mapped_column(String(300), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    item: Mapped[CatalogItem] = relationship(back_populates="units")


class IngestRun(Base):
    """The record of one import: what was asked, what happened, the full report."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(Text)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12))
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Job(Base):
    """A durable unit of background work (an upload to ingest, ...), claimed by a worker."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default=JOB_QUEUED)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The running worker's last sign of life (service.jobs.queue.Heartbeat); past the lease it is requeued.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# --- skills, roles, employees (the skills-gap half) ---------------------------------------------

SKILL_ESCO = "esco"
SKILL_DEFAULT = "default"
SKILL_CUSTOM = "custom"

TAG_DECLARED = "declared"
TAG_LABEL = "label"
TAG_EMBEDDING = "embedding"
TAG_AUTO = "auto"
TAG_CONFIRMED = "confirmed"
TAG_REJECTED = "rejected"
PHRASE_MAX = 200  # characters of a label tag's phrase (labels are matched up to six words)


class Skill(Base):
    """A skill of a tenant's taxonomy: imported from ESCO, from the bundled default, or the tenant's own."""

    __tablename__ = "skills"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key", name="uq_skill_key"),
        Index("ix_skills_tenant_uri", "tenant_id", "uri"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(300))  # the ESCO URI, or "custom:<slug>" / "default:<slug>"
    uri: Mapped[str | None] = mapped_column(String(300), nullable=True)
    origin: Mapped[str] = mapped_column(String(10))
    label_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    label_nl: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    skill_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    groups: Mapped[list[Any]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    embedding_model: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    labels: Mapped[list[SkillLabel]] = relationship(back_populates="skill", cascade="all, delete-orphan")


class SkillLabel(Base):
    """A preferred, alternative or hidden label of a skill in one language; `normalized` is what lookups use."""

    __tablename__ = "skill_labels"
    __table_args__ = (
        UniqueConstraint("skill_id", "language", "normalized", name="uq_skill_label"),
        Index("ix_skill_labels_lookup", "tenant_id", "normalized"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(12))  # preferred, alternative, hidden

    skill: Mapped[Skill] = relationship(back_populates="labels")


class Occupation(Base):
    """An ESCO occupation with its labels; roles can be made from it."""

    __tablename__ = "occupations"
    __table_args__ = (UniqueConstraint("tenant_id", "uri", name="uq_occupation_uri"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    uri: Mapped[str] = mapped_column(String(300))
    code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    label_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    label_nl: Mapped[str | None] = mapped_column(Text, nullable=True)
    alt_labels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # language -> [labels]
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))


class OccupationSkill(Base):
    __tablename__ = "occupation_skills"
    __table_args__ = (UniqueConstraint("occupation_id", "skill_id", name="uq_occupation_skill"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    occupation_id: Mapped[int] = mapped_column(ForeignKey("occupations.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(10))  # essential, optional


class ItemSkill(Base):
    """A skill an item teaches: where the tag came from, how sure it is, and L&D's verdict on it."""

    __tablename__ = "item_skills"
    __table_args__ = (
        UniqueConstraint("item_id", "skill_id", name="uq_item_skill"),
        Index("ix_item_skills_skill", "tenant_id", "skill_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    confidence: Mapped[float] = mapped_column(Float)
    origin: Mapped[str] = mapped_column(String(10))  # declared, label, embedding
    # A label tag: the item text's own words that named the skill ("retention analysis" for product
    # analytics), quoted by a step's `why`. NULL for other origins and for tags made before 0015.
    phrase: Mapped[str | None] = mapped_column(String(PHRASE_MAX), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default=TAG_AUTO)  # auto, confirmed, rejected
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Role(Base):
    """A role profile: which skills it needs, at which level, how important each is."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "key", name="uq_role_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))  # the role_id callers use
    name: Mapped[str] = mapped_column(Text)
    occupation_id: Mapped[int | None] = mapped_column(
        ForeignKey("occupations.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    skills: Mapped[list[RoleSkill]] = relationship(back_populates="role", cascade="all, delete-orphan")


class RoleSkill(Base):
    __tablename__ = "role_skills"
    __table_args__ = (UniqueConstraint("role_id", "skill_id", name="uq_role_skill"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(Integer)
    importance: Mapped[float] = mapped_column(Float)

    role: Mapped[Role] = relationship(back_populates="skills")


class Employee(Base):
    """An employee as the LMS knows them: role, team, language, preferences. Personal data: see erasure."""

    __tablename__ = "employees"
    __table_args__ = (UniqueConstraint("tenant_id", "key", name="uq_employee_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))  # the employee_id callers use
    role_id: Mapped[int | None] = mapped_column(ForeignKey("roles.id", ondelete="SET NULL"), nullable=True)
    target_role_id: Mapped[int | None] = mapped_column(
        ForeignKey("roles.id", ondelete="SET NULL"), nullable=True
    )
    team: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str] = mapped_column(String(8), default="nl")
    preferences: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ActorIdentity(Base):
    """How an LMS names an employee in its learning records (an xAPI actor), and who that is here.

    `actor_key` is the actor's one identifier in canonical form (service.events.identities.actor_key):
    "account|<homePage>|<name>", "mbox|mailto:<address>", "mbox_sha1sum|<hex>" or "openid|<uri>".
    One actor names one employee; an employee may have several (one per LMS, an address and an account)."""

    __tablename__ = "actor_identities"
    __table_args__ = (UniqueConstraint("tenant_id", "actor_key", name="uq_actor_identity"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    actor_key: Mapped[str] = mapped_column(String(760))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AccountHomePage(Base):
    """An LMS whose xAPI accounts name employees by their employee id (`account.name` is the key).

    A tenant without any trusts every account's name (what /v1/events always did); once it lists one,
    accounts of other home pages name an employee only through an ActorIdentity."""

    __tablename__ = "account_home_pages"
    __table_args__ = (UniqueConstraint("tenant_id", "home_page", name="uq_account_home_page"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    home_page: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Assessment(Base):
    """One piece of evidence of an employee's level in a skill."""

    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_employee_skill", "tenant_id", "employee_id", "skill_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"))
    level: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(12))  # self, manager, test, 360, completion
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LearningPath(Base):
    """A path as it was given: the request, the answer and the model that built it, to fetch again."""

    __tablename__ = "learning_paths"
    __table_args__ = (Index("ix_paths_tenant_employee", "tenant_id", "employee_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    path_key: Mapped[str] = mapped_column(String(40), unique=True)
    employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), nullable=True
    )
    request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    response: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model_version: Mapped[str] = mapped_column(String(100))
    index_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Per step: unit_id, item_id, skill_id, the ranking features and the score; the training data
    # of the ranking model (docs/ranking-model.md). Never part of the response.
    impressions: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- learning events (the feedback half) --------------------------------------------------------


class LearningEvent(Base):
    """One xAPI statement an employee's LMS sent, kept as received beside the fields the model reads.

    The statement id is unique per tenant, so a resent statement is recognised and never stored twice.
    """

    __tablename__ = "learning_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "statement_id", name="uq_event_statement"),
        Index("ix_events_tenant_employee", "tenant_id", "employee_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    statement_id: Mapped[str] = mapped_column(String(36))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    verb: Mapped[str] = mapped_column(String(12))  # completed, passed, ... (service.events.xapi.VERB_IRIS)
    verb_iri: Mapped[str] = mapped_column(Text)
    activity_id: Mapped[str] = mapped_column(Text)  # the statement's object.id
    # The item the activity is (or the item of the unit it is); kept when the unit is re-split.
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_items.id", ondelete="SET NULL"), nullable=True, index=True
    )
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("micro_units.id", ondelete="SET NULL"), nullable=True, index=True
    )
    score_scaled: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_raw: Mapped[float | None] = mapped_column(Float, nullable=True)
    success: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    completion: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the statement's timestamp
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    statement: Mapped[dict[str, Any]] = mapped_column(JSON)  # as received


# Whether a stored xAPI statement has changed learning events (XapiStatement.effect).
EFFECT_APPLIED = "applied"  # it is (or made) a learning event
EFFECT_PENDING = "pending"  # a verb Leerpad reads, but no employee or catalog item is known for it yet
EFFECT_NONE = "none"  # nothing to apply: a verb Leerpad does not read, a voiding statement, ...
EFFECTS = (EFFECT_APPLIED, EFFECT_PENDING, EFFECT_NONE)


class XapiStatement(Base):
    """Every statement the LRS endpoint (/xapi/) was sent, kept as stored (with `stored`, `authority`
    and `version` set), whatever its verb: an LRS keeps what it is sent. The columns beside it are what
    the statement queries filter on; `agents` and `activities` list the related agents' and
    activities' identifiers, one per line between newlines, for related_agents/related_activities."""

    __tablename__ = "xapi_statements"
    __table_args__ = (
        UniqueConstraint("tenant_id", "statement_id", name="uq_xapi_statement"),
        CheckConstraint(f"effect IN {EFFECTS!r}", name="ck_xapi_statement_effect"),
        Index("ix_xapi_statements_tenant_stored", "tenant_id", "stored_at", "id"),
        Index("ix_xapi_statements_tenant_effect", "tenant_id", "effect"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    statement_id: Mapped[str] = mapped_column(String(36))
    # The employee the actor maps to, once known (service.events.identities).
    employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL"), nullable=True, index=True
    )
    actor_ifi: Mapped[str] = mapped_column(
        Text
    )  # the actor's identifier: mbox:..., account:<home> <name>, ...
    verb_iri: Mapped[str] = mapped_column(Text)
    object_id: Mapped[str | None] = mapped_column(Text, nullable=True)  # an Activity's id
    registration: Mapped[str | None] = mapped_column(String(36), nullable=True)
    agents: Mapped[str] = mapped_column(Text)
    activities: Mapped[str] = mapped_column(Text)
    voids: Mapped[str | None] = mapped_column(String(36), nullable=True)  # a voiding statement's target
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    effect: Mapped[str] = mapped_column(String(10))
    fingerprint: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())
    statement: Mapped[dict[str, Any]] = mapped_column(JSON)


# --- ranking models (the retrained rankers) -----------------------------------------------------


class RankingModel(Base):
    """A ranker a retraining run produced, with the evidence it was judged on; at most one is active
    per tenant (a partial unique index), and none active means the rules (`rules-1`) rank paths."""

    __tablename__ = "ranking_models"
    __table_args__ = (
        UniqueConstraint("tenant_id", "version", name="uq_ranking_model_version"),
        CheckConstraint(f"status IN {MODEL_STATUSES!r}", name="ck_ranking_model_status"),
        Index(
            "uq_ranking_model_one_active",
            "tenant_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_ranking_models_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # logreg
    status: Mapped[str] = mapped_column(String(12))  # candidate, active, rejected, retired
    params: Mapped[str] = mapped_column(Text)  # LearnedModel.to_bytes(): JSON, never pickle
    metric: Mapped[str] = mapped_column(String(40))  # the promotion metric, e.g. ndcg@10
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # current, candidate, gain, ...
    reason: Mapped[str] = mapped_column(Text)
    data_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    data_cut: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    data_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    n_train: Mapped[int] = mapped_column(Integer)
    n_test: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# --- L&D figures (costs, benefits, business results) --------------------------------------------

FIGURE_COST = "cost"
FIGURE_BENEFIT = "benefit"
FIGURE_RESULT = "result"
FIGURE_KINDS = (FIGURE_COST, FIGURE_BENEFIT, FIGURE_RESULT)


class LdFigure(Base):
    """A cost, benefit or business result L&D entered for a period: the KPI report's ROI and its
    Kirkpatrick level 4. `team` None means the whole company."""

    __tablename__ = "ld_figures"
    __table_args__ = (
        CheckConstraint(f"kind IN {FIGURE_KINDS!r}", name="ck_ld_figure_kind"),
        Index("ix_ld_figures_tenant_kind_start", "tenant_id", "kind", "period_start"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200), nullable=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))  # EUR, %, days, count, ...
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- audit log ----------------------------------------------------------------------------------


class AuditEntry(Base):
    """One API request as it was answered: who asked (key and role), what (route, query, a digest of
    the body), which model and index version answered, and a digest of the answer. Append-only: the
    only delete is the retention purge. An employee is named by a pseudonym, never by their key."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_tenant_at", "tenant_id", "at"), Index("ix_audit_at", "at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), nullable=True)
    key_id: Mapped[int | None] = mapped_column(BigId, nullable=True)  # kept when the key is deleted
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    method: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(
        String(300)
    )  # the route template, e.g. /v1/employees/{employee_id}/path
    subject: Mapped[str | None] = mapped_column(
        String(64), nullable=True
    )  # pseudonym of the employee asked about
    query: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    body_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    body_bytes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[int] = mapped_column(Integer)
    answer_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    index_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_ms: Mapped[float] = mapped_column(Float)
    # The request id (X-Request-ID) the answer carried, which every log line of the request carries too.
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


# --- contested assessments ----------------------------------------------------------------------

CONTEST_OPEN = "open"
CONTEST_UPHELD = "upheld"  # the assessment stands and counts again
CONTEST_CORRECTED = "corrected"  # the assessment was wrong: it no longer counts
CONTEST_STATUSES = (CONTEST_OPEN, CONTEST_UPHELD, CONTEST_CORRECTED)
# An assessment under a contest in one of these is no evidence: still being decided, or shown wrong.
NOT_EVIDENCE_STATUSES = (CONTEST_OPEN, CONTEST_CORRECTED)


def counts_as_evidence(contest_status: str | None) -> bool:
    """Whether an assessment whose latest contest has this status (None: never contested) counts.
    The one rule: people_repository's SQL filter and the assessments list both use it."""
    return contest_status not in NOT_EVIDENCE_STATUSES


class AssessmentContest(Base):
    """An employee's objection to an assessment. While open, and after a correction, the assessment
    is not used as evidence; L&D or an admin decides (docs/skills-model.md)."""

    __tablename__ = "assessment_contests"
    __table_args__ = (
        CheckConstraint(f"status IN {CONTEST_STATUSES!r}", name="ck_contest_status"),
        Index("ix_contests_tenant_status", "tenant_id", "status"),
        UniqueConstraint("assessment_id", name="uq_contest_assessment"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=CONTEST_OPEN)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# --- dashboard sessions -------------------------------------------------------------------------


class DashboardSession(Base):
    """A browser's login to the L&D dashboard (service/reports/dashboard/sessions.py). The cookie holds a
    random id; only its SHA-256 is stored, so a copy of this table opens no session. It belongs to
    the key it was opened with: revoking or deleting the key ends it."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# --- LTI 1.3 (service/lti) ----------------------------------------------------------------------


class LtiPlatform(Base):
    """An LMS registered as an LTI 1.3 platform of one tenant: what its launches are checked against.
    An issuer and client id name one registration across all tenants, because the login initiation
    (/lti/login) names no tenant: the registration is how a launch finds its company."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(300))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    deployments: Mapped[list[LtiDeployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="LtiDeployment.deployment_id"
    )


class LtiDeployment(Base):
    """A deployment id the platform may launch with; a launch with any other is refused."""

    __tablename__ = "lti_deployments"
    __table_args__ = (
        UniqueConstraint("platform_id", "deployment_id", name="uq_lti_deployments_platform_deployment"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(300))

    platform: Mapped[LtiPlatform] = relationship(back_populates="deployments")


class LtiNonce(Base):
    """A nonce the tool sent with a login redirect; a launch uses it up (deleted), so a replayed
    id_token finds none. In the database, not in a cookie, because every worker must see it used."""

    __tablename__ = "lti_nonces"

    nonce: Mapped[str] = mapped_column(String(200), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class LtiLaunch(Base):
    """A validated launch kept for the request after it (the deep-linking picker's search and choice),
    by a random launch id, for an hour; the claims that name the user are left out before storing."""

    __tablename__ = "lti_launches"

    launch_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    claims: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class LtiToolKey(Base):
    """The tool's own RSA key pair (it signs deep-linking responses; /lti/jwks serves the public half).
    Made once, the first time it is needed, and kept in the database rather than in a file under the
    home directory, so that every worker and replica signs with the one key the platforms know."""

    __tablename__ = "lti_tool_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- progress: team challenges --------------------------------------------------------------------


class LearningChallenge(Base):
    """A team goal L&D sets (e.g. 300 minutes of learning in a team this month). Only the team's total
    over the employees who joined is ever shown, never one person's share (service/learning/challenges.py)."""

    __tablename__ = "learning_challenges"
    __table_args__ = (Index("ix_challenges_tenant_team", "tenant_id", "team"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    team: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    goal_minutes: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChallengeParticipant(Base):
    """An employee who joined a team challenge (opt-in; leaving deletes the row)."""

    __tablename__ = "challenge_participants"
    __table_args__ = (UniqueConstraint("challenge_id", "employee_id", name="uq_challenge_participant"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    challenge_id: Mapped[int] = mapped_column(ForeignKey("learning_challenges.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- nudges in Slack and Microsoft Teams (service/nudges) ---------------------------------------------

NUDGE_PENDING = "pending"  # made, not delivered yet (or a delivery failed and is tried again)
NUDGE_SENT = "sent"
NUDGE_STATUSES = (NUDGE_PENDING, NUDGE_SENT)


class ChatIntegration(Base):
    """A tenant's Slack app or Teams connection. `settings` holds what may be shown (base URL, the
    Teams bot's app id); `secrets` the Fernet token of the secrets (bot token, signing secret,
    webhook URL), never shown again and not readable in a dump without LEERPAD_SECRETS_KEY."""

    __tablename__ = "chat_integrations"
    __table_args__ = (UniqueConstraint("tenant_id", "platform", name="uq_chat_integration"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(10))  # slack or teams
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets: Mapped[str] = mapped_column(Text)  # Fernet token of a JSON object
    pulse_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NudgePreference(Base):
    """One employee's own nudge settings: nothing is sent without `opted_in`."""

    __tablename__ = "nudge_preferences"
    __table_args__ = (UniqueConstraint("tenant_id", "employee_id", name="uq_nudge_preference"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    opted_in: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(10))  # slack or teams
    address: Mapped[str] = mapped_column(String(200))  # Slack user id (U...) or Teams user id / address
    weekday: Mapped[int] = mapped_column(Integer, default=0)  # 0 Monday .. 6 Sunday
    hour: Mapped[int] = mapped_column(Integer, default=9)  # local hour
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam")
    frequency: Mapped[str] = mapped_column(String(12), default="weekly")  # weekly or twice_weekly
    quiet_start: Mapped[int | None] = mapped_column(Integer, nullable=True)  # local hour, inclusive
    quiet_end: Mapped[int | None] = mapped_column(Integer, nullable=True)  # local hour, exclusive
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Nudge(Base):
    """One nudge: made when due, then delivered (retried with back-off until it is: never lost), then
    answered (completed, postponed, dismissed) from a button."""

    __tablename__ = "nudges"
    __table_args__ = (Index("ix_nudges_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    step: Mapped[dict[str, Any]] = mapped_column(JSON)  # title, minutes, why, url, activity_id, unit_id
    activity_id: Mapped[str] = mapped_column(Text)
    pulse: Mapped[bool] = mapped_column(Boolean, default=False)  # the learning pulse question goes with it
    status: Mapped[str] = mapped_column(String(10), default=NUDGE_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    message_ref: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # Slack channel, ts
    response: Mapped[str | None] = mapped_column(String(12), nullable=True)  # completed, postponed, dismissed
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PulseAnswer(Base):
    """An answer to the learning pulse question (0-10); reported only for groups of five or more."""

    __tablename__ = "pulse_answers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChatRequestSeen(Base):
    """A signed Slack or Teams request already handled (its signature's hash), kept for the replay
    window, so the same request sent again is refused."""

    __tablename__ = "chat_requests_seen"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# --- Open Badges 3.0 (service/badges) -----------------------------------------------------------

BADGE_STATUS_LIST_BITS = 131_072  # W3C Bitstring Status List v1.0: at least 16 KB of bits, for herd privacy
BADGE_SKILL = "skill"
BADGE_PATH = "path"


class BadgeIssuer(Base):
    """A tenant as an Open Badges issuer: the opt-in switch, the signing key and the revocation list.

    The private key is stored as encrypted PKCS#8 (service/badges/keys.py): the password comes from a
    secret outside the database, so a dump of this table signs nothing. `status_bits` is the
    tenant's one revocation list, a bit per issued badge (1: revoked); it names nobody, so an erased
    employee's badges stay revoked here after their rows are gone."""

    __tablename__ = "badge_issuers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # the level (0..5) a verified badge from elsewhere counts as, for each skill it is aligned to
    evidence_level: Mapped[int] = mapped_column(Integer, default=3)
    kid: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    private_key_pem: Mapped[str | None] = mapped_column(Text, nullable=True)  # encrypted PKCS#8
    public_jwk: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status_bits: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BadgeConsent(Base):
    """An employee's own yes to having badges issued to them (issuing is opt-in per employee)."""

    __tablename__ = "badge_consents"
    __table_args__ = (UniqueConstraint("tenant_id", "employee_id", name="uq_badge_consent"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Badge(Base):
    """An Open Badges 3.0 credential Leerpad issued to an employee: the signed JWT as sent, and what
    it was issued for (a skill at its target level, or a completed path)."""

    __tablename__ = "badges"
    __table_args__ = (
        UniqueConstraint("tenant_id", "employee_id", "achievement_key", name="uq_badge_achievement"),
        UniqueConstraint("tenant_id", "status_index", name="uq_badge_status_index"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    badge_key: Mapped[str] = mapped_column(String(40), unique=True)  # a random UUID, the public id
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # skill, path
    achievement_key: Mapped[str] = mapped_column(String(400))  # "skill:<skill key>:<level>", "path:<path id>"
    name: Mapped[str] = mapped_column(Text)
    status_index: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(Text)  # the JWT-VC
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReceivedBadge(Base):
    """A badge an employee earned elsewhere and uploaded (Open Badges 2.0 or 3.0), with the outcome
    of its verification and the skills of the tenant it counts as evidence for."""

    __tablename__ = "received_badges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    badge_key: Mapped[str] = mapped_column(String(40), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(5))  # 2.0, 3.0
    issuer: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    verified: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)  # why it is (not) verified
    skill_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the skills it counted for
    credential: Mapped[dict[str, Any]] = mapped_column(JSON)  # the decoded badge
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BadgeTrustedIssuer(Base):
    """An issuer of badges whose public keys the tenant registered: an uploaded badge is verified
    offline against these keys (Open Badges 2.0 hosted verification would need the internet)."""

    __tablename__ = "badge_trusted_issuers"
    __table_args__ = (UniqueConstraint("tenant_id", "issuer", name="uq_badge_trusted_issuer"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    issuer: Mapped[str] = mapped_column(String(500))  # the issuer's id (URL or DID) as its badges name it
    name: Mapped[str] = mapped_column(Text)
    keys: Mapped[dict[str, Any]] = mapped_column(JSON)  # a JWK Set of public keys
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
