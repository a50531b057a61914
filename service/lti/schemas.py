"""Request and response models of the LTI platform registrations (POST/GET /v1/lti/platforms)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from service.core.schemas import Strict

Url = Annotated[str, StringConstraints(min_length=8, max_length=1000, strip_whitespace=True)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]


class PlatformIn(Strict):
    issuer: Url = Field(
        description="The platform's issuer (the `iss` of its id_tokens), e.g. https://moodle.example"
    )
    client_id: Identifier = Field(description="The client id the platform gave this tool")
    auth_login_url: Url = Field(description="The platform's OIDC authentication URL")
    auth_token_url: Url = Field(description="The platform's OAuth2 access token URL")
    key_set_url: Url = Field(description="The platform's public keyset (JWKS) URL")
    deployment_ids: Annotated[list[Identifier], Field(min_length=1, max_length=50)] = Field(
        description="The deployment ids launches may carry; any other is refused"
    )


class PlatformPublic(BaseModel):
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: list[str]
