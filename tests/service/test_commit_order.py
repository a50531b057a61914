"""A write is committed before its answer leaves: a client told 200 (or 303) finds the write on its
next request, and a commit that fails can never follow an answer of success. FastAPI closes a
request-scoped dependency only after the response is sent; the database session is scoped to the
route function instead (service/http/deps.py). Seen before the fix: the dashboard's login redirected
to a page whose session row was not committed yet, and the browser was sent back to the login form."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from models import people_repository as people
from models.db import transaction
from models.repositories import get_or_create_tenant
from service.app import create_app
from service.core.runtime import Runtime
from tests.support.api_keys import make_key


def test_a_write_is_in_the_database_when_its_answer_starts(runtime: Runtime, tenant: str) -> None:
    app = create_app(runtime=runtime)
    headers = make_key(runtime, tenant, "lms")
    with transaction(runtime.sessions) as session:
        tenant_id = get_or_create_tenant(session, tenant).id
    seen_at_start: list[bool] = []

    async def watching(scope: Any, receive: Any, send: Any) -> None:
        async def send_and_look(message: Any) -> None:
            if message["type"] == "http.response.start" and scope.get("method") == "PUT":
                with runtime.sessions() as other:  # another connection: sees committed rows only
                    seen_at_start.append(people.get_employee(other, tenant_id, "e-commit") is not None)
            await send(message)

        await app(scope, receive, send_and_look)

    with TestClient(watching) as client:
        answer = client.put("/v1/employees/e-commit", json={"language": "nl"}, headers=headers)
    assert answer.status_code == 200
    assert seen_at_start == [True]
