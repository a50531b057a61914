"""The costs, benefits and business results L&D enters for the KPI report."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, status

from models import figures_repository as figures_repo
from service.http.deps import CatalogManager, SessionDep
from service.http.errors import NotFound, problem_responses
from service.http.params import RowId
from service.reports.figures import figure_public, figure_row
from service.reports.figures_schemas import FigureCreate, FigurePublic, FiguresCreated

router = APIRouter(prefix="/v1", tags=["reports"])

MAX_FIGURES_PER_REQUEST = 1000


@router.post(
    "/reports/figures",
    status_code=status.HTTP_201_CREATED,
    response_model=FiguresCreated,
    responses=problem_responses(401, 403, 413, 422),
)
def add_figures(
    caller: CatalogManager,
    session: SessionDep,
    figures: Annotated[list[FigureCreate], Body(max_length=MAX_FIGURES_PER_REQUEST)],
) -> FiguresCreated:
    """Store costs and benefits (in one currency, for ROI) and business results (Kirkpatrick level 4);
    a bad figure is refused with its index and field, and then none is stored."""
    rows = figures_repo.add_figures(session, [figure_row(caller.tenant_id, figure) for figure in figures])
    return FiguresCreated(created=len(rows), figures=[figure_public(row) for row in rows])


@router.get("/reports/figures", response_model=list[FigurePublic], responses=problem_responses(401, 403, 422))
def list_figures(
    caller: CatalogManager,
    session: SessionDep,
    kind: Literal["cost", "benefit", "result"] | None = Query(default=None),
) -> list[FigurePublic]:
    return [figure_public(row) for row in figures_repo.list_figures(session, caller.tenant_id, kind=kind)]


@router.delete(
    "/reports/figures/{figure_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
def delete_figure(figure_id: RowId, caller: CatalogManager, session: SessionDep) -> None:
    if not figures_repo.delete_figure(session, caller.tenant_id, figure_id):
        raise NotFound(f"no figure {figure_id}")
