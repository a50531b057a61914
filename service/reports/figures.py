"""Costs, benefits and business results as L&D enters them: validated, read from CSV, stored whole."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from ingest.files import read_csv_rows
from ingest.records import SourceError
from models import figures_repository as figures_repo
from models import repositories as repo
from models.db import transaction
from models.tables import LdFigure
from recommender.errors import LeerpadError
from service.core.runtime import Runtime
from service.reports.figures_schemas import FigureCreate, FigurePublic

MAX_FIGURES_IN_FILE = 10_000
CSV_REQUIRED = ("kind", "name", "period_start", "period_end", "value", "unit")
CSV_OPTIONAL = ("team", "note")


class FigureInputError(LeerpadError):
    """A figures file that cannot be used; names the file, the line and the field."""


def validation_message(exc: ValidationError) -> str:
    """'field: reason' for the first problem pydantic found."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "__root__")
    reason = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {reason}" if where else reason


def read_figures_csv(path: Path) -> list[FigureCreate]:
    """Figures from a CSV with the columns kind,name,period_start,period_end,value,unit[,team,note]."""
    try:
        headers, rows = read_csv_rows(path)
    except SourceError as exc:
        raise FigureInputError(str(exc)) from exc
    missing = [h for h in CSV_REQUIRED if h not in headers]
    if missing:
        raise FigureInputError(f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(headers)}")
    figures: list[FigureCreate] = []
    for line, row in rows:
        if len(figures) >= MAX_FIGURES_IN_FILE:
            raise FigureInputError(f"{path}: more than {MAX_FIGURES_IN_FILE} figures; split the file")
        values = {name: row.get(name, "").strip() for name in (*CSV_REQUIRED, *CSV_OPTIONAL)}
        try:
            figures.append(
                FigureCreate.model_validate(
                    {
                        **values,
                        "value": _number(values["value"]),
                        "team": values["team"] or None,
                        "note": values["note"] or None,
                    }
                )
            )
        except ValidationError as exc:
            raise FigureInputError(f"{path} line {line}: {validation_message(exc)}") from exc
    return figures


def _number(text: str) -> float | str:
    """A CSV cell as a number (the API takes JSON numbers only); text that is none stays text, for
    the model to name the field."""
    try:
        return float(text)
    except ValueError:
        return text


def figure_row(tenant_id: int, figure: FigureCreate) -> LdFigure:
    return LdFigure(tenant_id=tenant_id, **figure.model_dump())


def figure_public(row: LdFigure) -> FigurePublic:
    return FigurePublic(
        figure_id=row.id,
        created_at=row.created_at,
        kind=row.kind,  # type: ignore[arg-type]
        name=row.name,
        team=row.team,
        period_start=row.period_start,
        period_end=row.period_end,
        value=row.value,
        unit=row.unit,
        note=row.note,
    )


def import_figures(runtime: Runtime, tenant: str, figures: Sequence[FigureCreate]) -> int:
    """Store the figures not stored yet (same kind, name, team and period), in one transaction;
    returns how many were new. Importing the same file twice changes nothing."""
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        known = figures_repo.figure_keys(session, tenant_id)
        new: list[LdFigure] = []
        for figure in figures:
            key = (figure.kind, figure.name, figure.team, figure.period_start, figure.period_end)
            if key not in known:
                known.add(key)
                new.append(figure_row(tenant_id, figure))
        figures_repo.add_figures(session, new)
    return len(new)
