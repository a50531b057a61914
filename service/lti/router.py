"""LTI 1.3: the login initiation and launch an LMS sends a browser through, the tool's public keys,
the deep-linking picker, and the admin API for platform registrations. Thin: the protocol is in
service/lti/adapter.py, what a launch shows in service/lti/launch.py, the pages in service/lti/pages.py.

The pages are shown inside the LMS's iframe: instead of the dashboard's `frame-ancestors 'none'` they
name the registered platform's origins (a refusal page, which holds no data and no action, may be
framed by any page: the platform may be the unknown one)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pylti1p3.deep_link_resource import DeepLinkResource
from sqlalchemy.orm import Session

from models import lti_repository as lti_repo
from models.tables import LtiPlatform
from recommender.errors import LeerpadError
from service.http.deps import AdminCaller, RuntimeDep, SessionDep
from service.http.errors import problem_responses
from service.lti import adapter, launch, pages
from service.lti.keys import tool_jwks
from service.lti.registration import list_platforms, register_platform
from service.lti.schemas import PlatformIn, PlatformPublic

router = APIRouter(tags=["lti"])

LOGIN_PATH = "/lti/login"
LAUNCH_PATH = "/lti/launch"
JWKS_PATH = "/lti/jwks"
DEEP_LINK_PATH = "/lti/deep-link"
MAX_TOKEN_LENGTH = 60_000  # an id_token with many claims (Canvas sends long ones) stays far below
Param = Annotated[str, Form(max_length=2000)]
Words = Annotated[str, Form(max_length=200)]


def _origins(urls: Iterable[object]) -> list[str]:
    """The http(s) origins of these URLs, as CSP sources (nothing else of a URL gets into a header)."""
    found: list[str] = []
    for url in urls:
        if not isinstance(url, str):
            continue
        parts = urlsplit(url)
        if parts.scheme in ("https", "http") and parts.hostname:
            origin = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
            if origin not in found and all(c not in origin for c in " ;,'\""):
                found.append(origin)
    return found


def _frame_origins(platform: LtiPlatform | None, claims: Mapping[str, Any]) -> list[str]:
    """Where the LMS frames the tool: the registered issuer and login URLs, and the return URLs of the
    signed launch (Canvas's issuer is not the school's own host; its return URL is)."""
    presentation = claims.get(launch.PRESENTATION)
    settings = claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings")
    urls: list[object] = [platform.issuer, platform.auth_login_url] if platform else []
    urls.append(presentation.get("return_url") if isinstance(presentation, Mapping) else None)
    urls.append(settings.get("deep_link_return_url") if isinstance(settings, Mapping) else None)
    return _origins(urls)


def _page(
    body: str,
    status_code: int = 200,
    frame_origins: list[str] | None = None,
    form_origins: list[str] | None = None,
    script_nonce: str | None = None,
) -> HTMLResponse:
    ancestors = " ".join(frame_origins) if frame_origins else "*"
    policy = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        f"form-action 'self'{''.join(' ' + o for o in form_origins or [])}; "
        f"frame-ancestors {ancestors}; base-uri 'none'"
    )
    if script_nonce:
        policy += f"; script-src 'nonce-{script_nonce}'"
    headers = {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    return HTMLResponse(body, status_code=status_code, headers=headers)


def _refusal(exc: adapter.LtiRefused, language: str = "en") -> HTMLResponse:
    return _page(pages.render_refusal(exc.reason, exc.message, language), pages.refusal_status(exc.reason))


@dataclass(frozen=True)
class _Launched:
    """A validated launch as the pages need it: its claims, its platform, language and framing."""

    claims: dict[str, Any]
    platform: LtiPlatform
    language: str
    frames: list[str]

    @classmethod
    def of(cls, protocol: adapter.Protocol, message: adapter.LtiMessage) -> _Launched:
        claims = message.claims()
        platform = protocol.conf.platform
        assert platform is not None, "a validated launch has found its registration"
        return cls(claims, platform, launch.language(claims), _frame_origins(platform, claims))

    def page(self, body: str, status_code: int = 200) -> HTMLResponse:
        return _page(body, status_code, self.frames)

    def no_access(self) -> HTMLResponse:
        text = pages.TEXT[self.language]
        return self.page(
            pages.render_message(text["no_access_title"], text["no_access"], "", self.language), 403
        )


def _protocol(session: Session, request: Request, params: Mapping[str, str]) -> adapter.Protocol:
    return adapter.Protocol.for_request(
        session, params, request.cookies, request.url.scheme == "https", datetime.now(UTC)
    )


def _login(session: Session, request: Request, params: Mapping[str, str]) -> Response:
    protocol = _protocol(session, request, params)
    lti_repo.delete_expired(session, protocol.store.now)
    try:
        location = adapter.login_redirect(protocol, str(request.url_for("lti_launch")))
    except adapter.LtiRefused as exc:
        return _refusal(exc)
    response = RedirectResponse(location, status_code=302, headers={"Cache-Control": "no-store"})
    protocol.cookies.apply(response)
    return response


@router.get(LOGIN_PATH, include_in_schema=False)
def login_get(
    session: SessionDep,
    request: Request,
    iss: Annotated[str, Query(max_length=2000)] = "",
    login_hint: Annotated[str, Query(max_length=2000)] = "",
    target_link_uri: Annotated[str, Query(max_length=2000)] = "",
    lti_message_hint: Annotated[str, Query(max_length=2000)] = "",
    lti_deployment_id: Annotated[str, Query(max_length=2000)] = "",
    client_id: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """OIDC login initiation (third-party initiated login), sent by the platform's browser redirect."""
    params = dict(iss=iss, login_hint=login_hint, target_link_uri=target_link_uri, client_id=client_id)
    params.update(lti_message_hint=lti_message_hint, lti_deployment_id=lti_deployment_id)
    return _login(session, request, _present(params))


@router.post(LOGIN_PATH, include_in_schema=False)
def login_post(
    session: SessionDep,
    request: Request,
    iss: Param = "",
    login_hint: Param = "",
    target_link_uri: Param = "",
    lti_message_hint: Param = "",
    lti_deployment_id: Param = "",
    client_id: Param = "",
) -> Response:
    """OIDC login initiation as a form post (Moodle and Canvas post it)."""
    params = dict(iss=iss, login_hint=login_hint, target_link_uri=target_link_uri, client_id=client_id)
    params.update(lti_message_hint=lti_message_hint, lti_deployment_id=lti_deployment_id)
    return _login(session, request, _present(params))


def _present(values: Mapping[str, object]) -> dict[str, str]:
    return {k: v for k, v in values.items() if isinstance(v, str) and v}


@router.post(LAUNCH_PATH, name="lti_launch", include_in_schema=False)
def launch_post(
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
    id_token: Annotated[str, Form(max_length=MAX_TOKEN_LENGTH)] = "",
    state: Param = "",
) -> Response:
    """The launch: the platform posts the id_token here; it is checked (adapter.validated_launch) and
    answered with the learner's path, the team report for course staff, or the deep-linking picker."""
    protocol = _protocol(session, request, _present({"id_token": id_token, "state": state}))
    try:
        message = adapter.validated_launch(protocol)
    except adapter.LtiRefused as exc:
        return _refusal(exc)
    launched = _Launched.of(protocol, message)
    tenant_id, language = launched.platform.tenant_id, launched.language
    audience = launch.audience(launched.claims)
    if audience is None or (message.is_deep_link_launch() and audience != launch.STAFF):
        return launched.no_access()
    if message.is_deep_link_launch():
        return launched.page(pages.render_picker(message.get_launch_id(), "", None, language))
    target, activity = launch.deep_link_target(launched.claims)
    if target == launch.TARGET_UNIT and activity:
        unit = launch.linked_unit(session, tenant_id, activity)
        return launched.page(pages.render_unit(unit, False, language), 200 if unit else 404)
    if audience == launch.STAFF:
        report = launch.team_gap_report(runtime, session, tenant_id)
        return launched.page(pages.render_staff_report(report))
    return _learner_page(runtime, session, launched)


def _learner_page(runtime: RuntimeDep, session: Session, launched: _Launched) -> Response:
    claims, language, tenant_id = launched.claims, launched.language, launched.platform.tenant_id
    employee = launch.find_learner(session, tenant_id, claims)
    if employee is None:
        return launched.page(pages.render_unmapped(launch.actors(claims), language), 404)
    name = str(claims.get("name") or claims.get("given_name") or "")
    try:
        path = launch.learner_path(runtime, session, tenant_id, employee, name, datetime.now(UTC))
    except LeerpadError as exc:  # no role to plan for, say
        title = pages.TEXT[language]["cannot_plan_title"]
        return launched.page(pages.render_message(title, exc.message, "", language), 422)
    return launched.page(pages.render_path(path, language))


@router.post(DEEP_LINK_PATH, include_in_schema=False)
def deep_link(
    session: SessionDep,
    request: Request,
    launch_id: Annotated[str, Form(max_length=200)] = "",
    target: Annotated[str, Form(max_length=20)] = "",
    q: Words = "",
    activity: Param = "",
) -> Response:
    """The picker's request: a search (the picker again, with results), or a choice, answered with
    the signed LtiDeepLinkingResponse posted back to the platform."""
    protocol = _protocol(session, request, {})
    try:
        message = adapter.kept_launch(protocol, launch_id)
    except adapter.LtiRefused as exc:
        return _refusal(exc)
    launched = _Launched.of(protocol, message)
    tenant_id, language, claims = launched.platform.tenant_id, launched.language, launched.claims
    if launch.audience(claims) != launch.STAFF or not message.is_deep_link_launch():
        return launched.no_access()
    resource = DeepLinkResource().set_url(str(request.url_for("lti_launch"))).set_target("iframe")
    if target == launch.TARGET_UNIT:
        unit = launch.linked_unit(session, tenant_id, activity)
        if unit is None:
            return launched.page(pages.render_unit(None, False, language), 404)
        resource.set_title(unit.title).set_custom_params(
            {launch.TARGET_PARAM: launch.TARGET_UNIT, launch.ACTIVITY_PARAM: unit.activity_id}
        )
    elif target == launch.TARGET_PATH:
        resource.set_title(pages.TEXT[language]["path_link_title"]).set_custom_params(
            {launch.TARGET_PARAM: launch.TARGET_PATH}
        )
    else:
        results = launch.search_units(session, tenant_id, q)
        return launched.page(pages.render_picker(launch_id, q, results, language))
    deep_link = message.get_deep_link()
    token = deep_link.get_response_jwt([resource])
    return_url = str(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]["deep_link_return_url"]
    )
    nonce = secrets.token_urlsafe(16)
    body = pages.render_deep_link_return(return_url, token, nonce, language)
    return _page(body, 200, launched.frames, form_origins=_origins([return_url]), script_nonce=nonce)


@router.get(JWKS_PATH, include_in_schema=False)
def jwks(session: SessionDep) -> JSONResponse:
    """The tool's public key set, for platforms to check what the tool signs (deep-linking responses)."""
    return JSONResponse(tool_jwks(session), headers={"Cache-Control": "public, max-age=3600"})


@router.post(
    "/v1/lti/platforms", response_model=PlatformPublic, responses=problem_responses(401, 403, 409, 422)
)
def add_platform(body: PlatformIn, caller: AdminCaller, session: SessionDep) -> PlatformPublic:
    """Register an LMS as an LTI 1.3 platform of this company (or update its registration): the
    values its tool settings show. Launches with any deployment id not listed are refused."""
    return register_platform(session, caller.tenant_id, body)


@router.get("/v1/lti/platforms", response_model=list[PlatformPublic], responses=problem_responses(401, 403))
def get_platforms(caller: AdminCaller, session: SessionDep) -> list[PlatformPublic]:
    """The LMS platforms registered for this company."""
    return list_platforms(session, caller.tenant_id)
