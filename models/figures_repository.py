"""Queries about the figures L&D enters: costs, benefits and business results. Always per tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import LdFigure


def add_figures(session: Session, rows: Sequence[LdFigure]) -> list[LdFigure]:
    session.add_all(rows)
    session.flush()
    return list(rows)


def list_figures(
    session: Session,
    tenant_id: int,
    kind: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[LdFigure]:
    """The tenant's figures (of one kind) whose period touches [start, end], oldest period first."""
    query = select(LdFigure).where(LdFigure.tenant_id == tenant_id)
    if kind is not None:
        query = query.where(LdFigure.kind == kind)
    if start is not None:
        query = query.where(LdFigure.period_end >= start)
    if end is not None:
        query = query.where(LdFigure.period_start <= end)
    return list(session.scalars(query.order_by(LdFigure.period_start, LdFigure.id)).all())


def figure_keys(session: Session, tenant_id: int) -> set[tuple[str, str, str | None, date, date]]:
    """(kind, name, team, start, end) of every stored figure: what an idempotent import skips."""
    rows = session.execute(
        select(LdFigure.kind, LdFigure.name, LdFigure.team, LdFigure.period_start, LdFigure.period_end).where(
            LdFigure.tenant_id == tenant_id
        )
    ).all()
    return {(r[0], r[1], r[2], r[3], r[4]) for r in rows}


def delete_figure(session: Session, tenant_id: int, figure_id: int) -> bool:
    row = session.get(LdFigure, figure_id)
    if row is None or row.tenant_id != tenant_id:
        return False
    session.delete(row)
    session.flush()
    return True
