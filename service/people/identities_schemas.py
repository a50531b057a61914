"""Request and response models for actor identities: which employee an LMS's xAPI actor is."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from service.core.schemas import Label, Strict, json_shape_problem
from service.people.identities import MAX_HOME_PAGE_CHARS, MAX_HOME_PAGES

ACTOR_EXAMPLE = {"objectType": "Agent", "account": {"homePage": "https://moodle.example", "name": "2"}}


class IdentityIn(Strict):
    employee_id: Label
    actor: dict[str, Any] = Field(
        description="An xAPI Agent with one identifier: account {homePage, name}, mbox, mbox_sha1sum or openid",
        examples=[ACTOR_EXAMPLE],
    )

    @field_validator("actor")
    @classmethod
    def _small_actor(cls, value: dict[str, Any]) -> dict[str, Any]:
        problem = json_shape_problem(value, 4, 20)
        if problem:
            raise ValueError(problem)
        return value


class IdentityProblem(BaseModel):
    where: str  # "[3]": the index in the request; "people.csv line 4" in a file
    reason: str


class IdentitiesMapped(BaseModel):
    created: int
    updated: int  # mappings of an actor that now name another employee
    unchanged: int
    problems: list[IdentityProblem]


class IdentityPublic(BaseModel):
    employee_id: str
    actor_key: str = Field(
        description='canonical: "account|<homePage>|<name>", "mbox|mailto:<address>", '
        '"mbox_sha1sum|<hex>" or "openid|<uri>"'
    )


class IdentitiesPage(BaseModel):
    identities: list[IdentityPublic]
    next_cursor: str | None


class HomePages(Strict):
    home_pages: list[str] = Field(
        max_length=MAX_HOME_PAGES,
        description="LMS sites whose xAPI account names are employee ids. Empty: every site's are.",
        examples=[["https://moodle.example"]],
    )

    @field_validator("home_pages")
    @classmethod
    def _short(cls, value: list[str]) -> list[str]:
        for i, page in enumerate(value):
            if len(page) > MAX_HOME_PAGE_CHARS:
                raise ValueError(f"home_pages[{i}]: longer than {MAX_HOME_PAGE_CHARS} characters")
        return value
