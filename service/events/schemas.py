"""Response models for POST /v1/events (the request is a plain list of xAPI statements)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class StatementRejected(BaseModel):
    index: int = Field(description="Position of the statement in the request list, from 0")
    statement_id: str | None = Field(
        description="The statement's id (given, or derived from its content); null when it had no usable one"
    )
    reason: str = Field(
        description="What was wrong, naming the field, e.g. 'timestamp: not an ISO 8601 date-time'"
    )


class EventsAccepted(BaseModel):
    accepted: int = Field(description="Statements stored by this request")
    duplicates: int = Field(
        description="Statements stored before with the same id and content: not stored again"
    )
    rejected: list[StatementRejected]
    accepted_ids: list[str] = Field(description="Ids of the accepted statements, in request order")
    duplicate_ids: list[str] = Field(description="Ids of the duplicates, in request order")
