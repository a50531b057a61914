"""The FastAPI application: create_app() builds it; the lifespan loads everything heavy once."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from recommender.index import set_search_threads
from service.badges import public_router as public_badges
from service.badges import router as badges
from service.catalog import router as catalog
from service.core.runtime import Runtime
from service.core.settings import Settings
from service.events import router as events
from service.http import health
from service.http.api_docs import DOCS_URL, REDOC_URL, DocsPolicy
from service.http.errors import document_problems, install_error_handlers
from service.http.input_guard import TextGuard
from service.http.limits import BodySizeLimit, RateLimit, rate_limited
from service.http.metrics import RequestMetrics, prepare_multiprocess_dir
from service.http.request_log import RequestLog
from service.jobs import models_router as models
from service.learning import router as learning
from service.lti import router as lti
from service.nudges import chat_router as chat
from service.nudges import router as nudges
from service.paths import gaps_router as gaps
from service.paths import router as paths
from service.paths import search_router as search
from service.people import router as people
from service.reports import figures_router as figures
from service.reports import router as reports
from service.reports.dashboard import router as dashboard
from service.skills import router as skills
from service.trust import audit_router as audit
from service.trust import contests_router as contests
from service.trust import keys_router as api_keys
from service.trust import personal_data_router as personal_data
from service.trust import settings_router as tenant_settings
from service.trust.audit import AuditTrail
from service.trust.personal_data import install_access_log_pseudonyms, log_path_pseudonymiser
from service.worker import JobThread
from service.xapi import identities_router as identities
from service.xapi import router as xapi
from service.xapi.openapi import document_statements
from service.xapi.protocol import PREFIX as XAPI_PREFIX
from service.xapi.protocol import VersionHeader

log = logging.getLogger("leerpad")


def create_app(
    settings: Settings | None = None, runtime: Runtime | None = None, freeze_loaded_objects: bool = False
) -> FastAPI:
    """Build the app; pass a runtime to share an encoder and engine (tests), else one is made at start.

    `freeze_loaded_objects` (a served process: `create_served_app`): once everything heavy is loaded,
    hand it to `gc.freeze()`. Off for apps made in tests, which start many in one process."""
    settings = settings or (runtime.settings if runtime else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = runtime is None
        active = runtime or Runtime(settings)
        app.state.runtime = active
        install_access_log_pseudonyms(active)  # uvicorn's access log names employees by pseudonym
        prepare_multiprocess_dir()  # with PROMETHEUS_MULTIPROC_DIR set, counts go to files there
        for slug in active.tenants_with_catalog():
            problem = active.check_index(slug, repair=True)
            if problem:
                log.error("index of %s is not usable: %s", slug, problem)
        active.encoder()  # load the model before the first request, not during it
        set_search_threads(settings.search_threads)
        if freeze_loaded_objects:
            # What was loaded now (the model, the libraries: about 600,000 objects) lives as long as
            # the process. Frozen, the collector no longer walks it on every full collection, which
            # otherwise stalls a request now and then for up to a few hundred milliseconds.
            gc.collect()
            gc.freeze()
        jobs = JobThread(active) if settings.run_jobs_in_api else None
        if jobs:
            jobs.start()
        try:
            yield
        finally:
            if jobs:
                jobs.stop()
            if own:
                active.close()

    # FastAPI's own /docs and /redoc load their scripts from a CDN: blank on a machine without
    # internet. These serve them from the fastapi-offline wheel (service/http/api_docs.py).
    app = FastAPIOffline(
        docs_url=DOCS_URL,
        redoc_url=REDOC_URL,
        title="Leerpad",
        version="1.0.0",
        summary="What to learn next, in the time you have, and why.",
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},  # else Swagger UI asks validator.swagger.io
    )
    app.add_middleware(DocsPolicy, paths=(DOCS_URL, REDOC_URL, app.swagger_ui_oauth2_redirect_url))
    # Middleware, innermost first: the text guard reads bodies inside the size limit.
    app.add_middleware(TextGuard)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_json_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        upload_paths=(catalog.UPLOAD_PATH,),
    )
    app.add_middleware(AuditTrail)  # it also records requests the size limit refused
    # A flood is refused before anything else is done for it.
    app.add_middleware(
        RateLimit,
        per_minute=settings.rate_limit_per_minute,
        burst=settings.rate_limit_burst,
        redis_url=settings.redis_url,
        redis_prefix=settings.redis_key_prefix,
    )
    # Outermost: every request is timed and counted, and gets its request id and access log line,
    # the ones refused above included.
    app.add_middleware(RequestMetrics)
    app.add_middleware(VersionHeader)  # every answer under /xapi/, the refusals above included
    app.add_middleware(RequestLog, employee_path_pseudonymiser=log_path_pseudonymiser)
    install_error_handlers(app)
    _document_middleware_answers(app)
    app.include_router(health.router)
    app.include_router(catalog.router)
    app.include_router(search.router)
    app.include_router(skills.router)
    app.include_router(people.router)
    app.include_router(identities.router)
    app.include_router(gaps.router)
    app.include_router(personal_data.router)
    app.include_router(paths.router)
    app.include_router(events.router)
    app.include_router(xapi.router)
    app.include_router(models.router)
    app.include_router(reports.router)
    app.include_router(audit.router)
    app.include_router(tenant_settings.router)
    app.include_router(learning.router)
    app.include_router(api_keys.router)
    app.include_router(contests.router)
    app.include_router(figures.router)
    app.include_router(dashboard.router)
    app.include_router(lti.router)
    app.include_router(badges.router)
    app.include_router(public_badges.router)
    app.include_router(nudges.router)
    app.include_router(chat.router)
    app.mount("/static", dashboard.static_files(), name="static")
    return app


def _document_middleware_answers(app: FastAPI) -> None:
    """The OpenAPI document also names what comes from outside the routes: 400 (a body that cannot be
    read) and 413 (the size limit) to any request with a body, 422 everywhere (the text guard reads
    every query string) but under /xapi/, where xAPI's 400 stands for it, 429 wherever the rate limit
    applies; and every error as problem+json. The LRS's Statement resource is written by
    service.xapi.openapi (its routes read the xAPI protocol themselves)."""
    build = app.openapi

    def extra_statuses(path: str, operation: dict[str, Any]) -> set[int]:
        invalid = 400 if path.startswith(XAPI_PREFIX) else 422
        statuses = {400, 413, invalid} if "requestBody" in operation else {invalid}
        return statuses | ({429} if rate_limited(path) else set())

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            document_problems(document, extra_statuses)
            document_statements(document)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_served_app() -> FastAPI:
    """The app `leerpad serve` runs in each uvicorn worker (settings from the environment)."""
    return create_app(freeze_loaded_objects=True)
