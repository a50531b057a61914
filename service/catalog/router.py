"""Catalog routes: list and read items, upload a catalog for import, follow the import job."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status

from ingest.sources import KINDS
from models import repositories as repo
from models.tables import ITEM_ACTIVE, ITEM_RETIRED
from service.catalog.present import item_public
from service.catalog.schemas import ItemPage, ItemPublic
from service.http.deps import AnyCaller, CatalogManager, RuntimeDep, SessionDep
from service.http.errors import NotFound, PayloadTooLarge, Unprocessable, problem_responses
from service.http.pagination import decode_cursor, keyset_page
from service.http.params import RowId
from service.jobs.queue import enqueue_ingest, enqueue_retag
from service.jobs.schemas import JobPublic, job_public

router = APIRouter(prefix="/v1", tags=["catalog"])


UPLOAD_CHUNK = 1024 * 1024
# The one route whose (multipart) body may be as large as LEERPAD_MAX_UPLOAD_BYTES; every other body
# has the small cap LEERPAD_MAX_JSON_BYTES (service.http.limits.BodySizeLimit).
UPLOAD_PATH = "/v1/catalog/imports"
UPLOAD_SUFFIXES = {
    "coursera": (".json", ".csv"),
    "goodhabitz": (".csv", ".xlsx"),
    "wiki": (".zip", ".xml", ".md", ".markdown"),
    "csv": (".csv",),
}


@router.get("/catalog/items", response_model=ItemPage, responses=problem_responses(401, 403, 422))
def list_items(
    caller: AnyCaller,
    session: SessionDep,
    runtime: RuntimeDep,
    cursor: Annotated[
        str | None, Query(max_length=200, description="From next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    source: Annotated[str | None, Query(max_length=100)] = None,
    language: Annotated[str | None, Query(min_length=2, max_length=8)] = None,
    format: Annotated[str | None, Query(max_length=20)] = None,
    level: Annotated[str | None, Query(max_length=20)] = None,
    status_: Annotated[
        str, Query(alias="status", pattern=f"^({ITEM_ACTIVE}|{ITEM_RETIRED}|all)$")
    ] = ITEM_ACTIVE,
    q: Annotated[str | None, Query(max_length=200, description="Words in the title")] = None,
) -> ItemPage:
    """Items of the caller's tenant in a stable order, a page at a time."""
    limit = min(limit, runtime.settings.max_page_size)
    filters = repo.ItemFilter(
        source=source,
        language=language,
        format=format,
        level=level,
        status=None if status_ == "all" else status_,
        q=q,
    )
    rows = repo.list_items(session, caller.tenant_id, filters, decode_cursor(cursor), limit + 1)
    page, next_cursor = keyset_page(rows, limit)
    return ItemPage(items=[item_public(row) for row in page], next_cursor=next_cursor)


@router.get("/catalog/items/{item_id}", response_model=ItemPublic, responses=problem_responses(401, 403, 404))
def get_item(item_id: RowId, caller: AnyCaller, session: SessionDep) -> ItemPublic:
    row = repo.get_item(session, caller.tenant_id, item_id)
    if row is None:
        raise NotFound(f"no catalog item {item_id}")
    return item_public(row)


def _safe_filename(name: str | None, kind: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip("._")
    return base[:120] or f"upload-{kind}"


@router.post(
    UPLOAD_PATH.removeprefix(router.prefix),
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobPublic,
    responses=problem_responses(401, 403, 409, 413, 422),
)
def import_catalog(
    caller: CatalogManager,
    runtime: RuntimeDep,
    kind: Annotated[
        str, Query(pattern=f"^({'|'.join(KINDS)})$", description="Which connector reads the file")
    ],
    file: Annotated[
        UploadFile, File(description="The catalog file (a .zip for a wiki folder or Confluence export)")
    ],
    source: Annotated[
        str | None,
        Query(
            max_length=100, pattern=r"^[A-Za-z0-9._:-]+$", description="Name of the source; default: the kind"
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        Query(
            description="Read, validate and count (created, updated, unchanged, retired, rejected); write nothing"
        ),
    ] = False,
    allow_retire: Annotated[
        bool,
        Query(
            description="Allow the import to retire more than 20% (and more than 4) of the source's active items"
        ),
    ] = False,
) -> JobPublic:
    """Store the upload and queue its import; follow it at GET /v1/jobs/{id}. An import that would
    retire more than 20% of its source's active items (and more than 4) gets 409 at once, listing
    them, unless allow_retire=true; a dry run reports it instead."""
    filename = _safe_filename(file.filename, kind)
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in UPLOAD_SUFFIXES[kind]:
        raise Unprocessable(
            f"file {filename!r}: a {kind} import takes {', '.join(UPLOAD_SUFFIXES[kind])} files"
        )
    folder = runtime.settings.uploads_dir / caller.tenant_slug / uuid.uuid4().hex
    folder.mkdir(parents=True)
    target = folder / filename
    written = 0
    with open(target, "wb") as out:
        while chunk := file.file.read(UPLOAD_CHUNK):
            written += len(chunk)
            if written > runtime.settings.max_upload_bytes:
                out.close()
                target.unlink(missing_ok=True)
                raise PayloadTooLarge(
                    f"file {filename!r} is larger than {runtime.settings.max_upload_bytes} bytes"
                )
            out.write(chunk)
    if written == 0:
        target.unlink(missing_ok=True)
        raise Unprocessable(f"file {filename!r} is empty")
    job = enqueue_ingest(
        runtime,
        caller.tenant_id,
        kind=kind,
        path=target,
        source=source,
        filename=filename,
        dry_run=dry_run,
        allow_retire=allow_retire,
        tenant_slug=caller.tenant_slug,
    )
    return job_public(job)


@router.post(
    "/catalog/retag",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobPublic,
    responses=problem_responses(401, 403),
)
def queue_retag(caller: CatalogManager, runtime: RuntimeDep) -> JobPublic:
    """Queue a re-tagging of the whole catalog (after a taxonomy change); follow it at GET /v1/jobs/{id}.
    Tags an L&D reviewer confirmed or removed are kept."""
    return job_public(enqueue_retag(runtime, caller.tenant_id))


@router.get(
    "/jobs/{job_id}", response_model=JobPublic, tags=["jobs"], responses=problem_responses(401, 403, 404)
)
def get_job(job_id: RowId, caller: CatalogManager, session: SessionDep) -> JobPublic:
    job = repo.get_job(session, caller.tenant_id, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    return job_public(job)
