"""Which employee an xAPI actor is: the one rule every way a statement comes in (POST /v1/events and
the LRS endpoint, service/xapi) goes through, so a new mapping rule changes them all at once.

The rule here: the actor's `account.name` is the employee's key in the tenant, as POST /v1/events
documents it. The LRS endpoint passes the tenant's identity mapping instead
(service.people.identities, which the events domain cannot import: people reads events). An actor
that names no employee maps to None: /v1/events rejects its statement, the LRS endpoint stores it as
pending and applies it once the employee or the mapping exists (service.xapi.store.apply_pending).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from models import people_repository as people

# Which employee (employees.id) each actor is, in order: the signature of a mapping rule.
ActorMapping = Callable[[Session, int, Sequence[Mapping[str, Any]]], list[int | None]]


def account_name(actor: Mapping[str, Any]) -> str | None:
    """The actor's account name, stripped, when it has one."""
    account = actor.get("account")
    name = account.get("name") if isinstance(account, Mapping) else None
    return name.strip() if isinstance(name, str) and name.strip() else None


def employee_ids_for_actors(
    session: Session, tenant_id: int, actors: Sequence[Mapping[str, Any]]
) -> list[int | None]:
    """The employee (employees.id) each actor is, in order; None where the tenant knows none."""
    names = [account_name(actor) for actor in actors]
    known = people.employee_ids_by_key(session, tenant_id, {name for name in names if name})
    return [known.get(name) if name else None for name in names]
