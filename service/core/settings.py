"""Settings from LEERPAD_* environment variables, read when asked for, never at import."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.db import sqlite_url
from recommender.embedding import model_name


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEERPAD_", extra="ignore")

    home: Path = Path("./var")
    database_url: str = ""
    # PostgreSQL connections per process: `db_pool_size` kept open, up to `db_max_overflow` more while
    # busy. The server's max_connections must cover (pool + overflow) x every process of every replica.
    db_pool_size: int = Field(default=5, ge=1, le=100)
    db_max_overflow: int = Field(default=10, ge=0, le=100)
    embedding_model: str = ""
    # Limits that protect the service from oversized or flooding requests.
    # Every request body but a catalog upload (JSON, forms), refused with 413 while it streams in. The
    # largest valid request, 1,000 xAPI statements each as large as the largest one Moodle's
    # logstore_xapi sends, is 2.4 MB compact and 4.0 MB pretty-printed: 6 MiB leaves over half as
    # much again (tests/service/test_limits.py measures it).
    max_json_bytes: int = Field(default=6 * 1024 * 1024, gt=0)
    # A multipart catalog upload to POST /v1/catalog/imports.
    max_upload_bytes: int = 50 * 1024 * 1024
    max_page_size: int = 200
    # Requests per minute per API key (per client address for requests without a key), with bursts of
    # up to `rate_limit_burst` at once; past it, 429 with Retry-After. 0 turns the limit off. Counted
    # in Redis when `redis_url` is set, else per process: with N workers a key may make up to N times
    # as many (service.http.limits.RateLimit).
    rate_limit_per_minute: int = Field(default=600, ge=0)
    # OpenMP threads FAISS may use in one API process. 1: a served worker's parallelism comes from
    # concurrent requests and more workers; a request's threads spinning against other requests' and
    # other processes' on a busy machine made 8 HNSW queries at 100,000 units take 24 ms instead of 4.
    search_threads: int = Field(default=1, ge=1, le=64)
    rate_limit_burst: int = Field(default=120, ge=1)
    # Redis (redis:// or rediss://) for state every worker and replica shares: the rate limit's budgets,
    # one per key in all (service.http.shared_budgets). Empty: each process counts on its own. Keys start
    # with `redis_key_prefix`, so that several deployments can share one Redis.
    redis_url: str = ""
    redis_key_prefix: str = Field(default="leerpad", min_length=1, max_length=100)
    # The dashboard's login (service/reports/dashboard/sessions.py) ends `dashboard_session_hours` after it
    # began, or after `dashboard_idle_minutes` without a request, whichever comes first.
    dashboard_session_hours: float = Field(default=8.0, gt=0)
    dashboard_idle_minutes: float = Field(default=30.0, gt=0)
    # Mark the dashboard's cookies Secure on every answer. Without it they are Secure when the request
    # came over https, which behind a proxy uvicorn believes (X-Forwarded-Proto) only from the
    # addresses in FORWARDED_ALLOW_IPS.
    secure_cookies: bool = False
    # The API process runs queued jobs itself unless a separate `leerpad worker` does.
    run_jobs_in_api: bool = True
    # Logs go to stderr, one JSON object per line (`text` for people at a terminal), at `log_level`
    # (debug, info, warning, error); service.http.request_log.
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    # How long the audit log keeps a request (then the daily purge job deletes it): about 6 months.
    audit_retention_days: int = 183
    # A running job is leased (service.jobs.queue): its process renews `heartbeat_at` every
    # `job_heartbeat_seconds`; a job not renewed for `job_lease_seconds` is taken for orphaned (its
    # worker died, on any host) and queued again, or failed once it has been started
    # `job_max_attempts` times.
    job_heartbeat_seconds: float = Field(default=30.0, gt=0)
    job_lease_seconds: float = Field(default=300.0, gt=0)
    job_max_attempts: int = Field(default=3, ge=1)

    # Several replicas without a shared LEERPAD_HOME (ingest/shared_snapshots.py): where published index
    # snapshots are shared, a directory every replica mounts or s3://bucket/prefix (credentials and
    # region from the standard AWS variables; `s3_endpoint_url` for an S3-compatible server). Whoever
    # publishes uploads there; every process looks for a newer one at most every
    # `snapshot_poll_seconds` per tenant and downloads it into its local `index_dir`.
    snapshot_store: str = ""
    s3_endpoint_url: str = ""
    snapshot_poll_seconds: float = Field(default=5.0, ge=0)
    # The local snapshot folder; empty: LEERPAD_HOME/index. Give each replica its own when they share
    # LEERPAD_HOME (for uploads and pseudonym.key) but take their snapshots from `snapshot_store`.
    index_dir: str = ""
    # Where people and other systems reach this service (https in production): the links in nudges,
    # the request URLs Slack and Teams are given, and the URLs under which Open Badges name their
    # issuer, revocation list and keys (service/badges), so it must not change once badges are issued.
    public_url: str = "http://127.0.0.1:8000"
    # The secret that encrypts each tenant's badge signing key in the database and keys the pseudonymous
    # identity badges carry. Empty: a random one made on first use in LEERPAD_HOME/badge-key.secret
    # (every replica must share it, like pseudonym.key). Losing it means new keys, and old badges no
    # longer verify.
    badge_key_secret: str = ""

    # Nudges in Slack and Teams (service/nudges). `secrets_key`: a Fernet key (32 url-safe base64
    # bytes; `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`)
    # that encrypts the integrations' secrets in the database; empty: a key made on first use in
    # LEERPAD_HOME/secrets.key (share it between replicas as pseudonym.key). `slack_api_url`: Slack's
    # Web API (a local stand-in in tests). `nudge_check_seconds`: how often a worker queues the nudge job.
    secrets_key: str = ""
    slack_api_url: str = "https://slack.com/api/"
    nudge_check_seconds: float = Field(default=300.0, gt=0)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("redis://", "rediss://")):
            raise ValueError("LEERPAD_REDIS_URL must start with redis:// or rediss://")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")) or any(c in value for c in "?# "):
            raise ValueError("LEERPAD_PUBLIC_URL must be an http(s) URL without query or fragment")
        return value

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _lease_outlasts_heartbeats(self) -> Settings:
        # A lease must survive a missed heartbeat or two (a busy database), or live jobs get requeued.
        if self.job_lease_seconds <= 2 * self.job_heartbeat_seconds:
            raise ValueError(
                f"LEERPAD_JOB_LEASE_SECONDS ({self.job_lease_seconds:g}) must be more than twice "
                f"LEERPAD_JOB_HEARTBEAT_SECONDS ({self.job_heartbeat_seconds:g})"
            )
        return self

    @cached_property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def db_url(self) -> str:
        return self.database_url or sqlite_url(self.resolved_home)

    @property
    def index_root(self) -> Path:
        if self.index_dir:
            return Path(self.index_dir).expanduser().resolve()
        return self.resolved_home / "index"

    @property
    def uploads_dir(self) -> Path:
        return self.resolved_home / "uploads"

    @property
    def model(self) -> str:
        """The name stored beside every vector; `embedding_model` empty means the bundled model."""
        return model_name(self.embedding_model or None)

    def prepare(self) -> None:
        """Create the folders the service writes to."""
        for folder in (self.resolved_home, self.index_root, self.uploads_dir):
            folder.mkdir(parents=True, exist_ok=True)
