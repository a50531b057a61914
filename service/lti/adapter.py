"""pylti1p3next, the LTI 1.3 protocol library, fitted to FastAPI and to the database: its Request,
Cookie and Session abstractions, its tool configuration read from the tenant's platform
registrations, and its login and launch classes with Leerpad's order of checks and refusals.

The library does the protocol (the login redirect's parameters, the id_token's format, signature,
registration, deployment and message checks, the deep-linking response JWT). What it leaves to the
tool is decided here:

- The state is a cookie (SameSite=None; Secure, as a login in an LMS iframe needs), compared by the
  library with the launch's state. The library's second way, a state marked valid after one launch
  so that a reload works, is left out: a launch is used once.
- The nonce is kept in the database, not in the library's session (the process' memory or a cookie),
  and a launch uses it up: a replayed id_token is refused, on any worker.
- The checks run in an order that spends the nonce last, so a forged token cannot use up a
  login's nonce; each failure becomes an `LtiRefused` with a reason the pages explain.
- The audience: a token with several audiences names the tool in `azp` (OpenID Connect Core 2);
  the library would take the first audience.
- A token must carry exp and iat (PyJWT checks them when present only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
import requests
from fastapi import Response
from pylti1p3.cookie import CookieService
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException, LtiKeyException, OIDCException
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.registration import Registration
from pylti1p3.request import Request
from pylti1p3.session import SessionService
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy.orm import Session

from models import lti_repository as lti_repo
from models.tables import LtiPlatform
from recommender.errors import LeerpadError
from service.lti.keys import tool_key

COOKIE_PREFIX = "lti1p3"
COOKIE_PATH = "/lti/"
NONCE_LIFETIME = timedelta(minutes=10)
LAUNCH_LIFETIME = timedelta(hours=1)
KEYSET_TIMEOUT_SECONDS = 10
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"
# Claims that name the user: dropped before a launch is kept (models.tables.LtiLaunch).
PERSONAL_CLAIMS = (
    "sub",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "email",
    "picture",
    "locale",
    "https://purl.imsglobal.org/spec/lti/claim/lis",
    "https://purl.imsglobal.org/spec/lti/claim/ext",
    "https://purl.imsglobal.org/spec/lti/claim/lti1p1",
)

# Why a login or launch was refused (service/lti/pages.py explains each one to the user).
MALFORMED = "malformed"
STATE = "state"
UNKNOWN_ISSUER = "unknown_issuer"
WRONG_AUDIENCE = "wrong_audience"
BAD_SIGNATURE = "bad_signature"
EXPIRED = "expired"
UNKNOWN_DEPLOYMENT = "unknown_deployment"
REPLAYED = "replayed"
KEYSET_UNREACHABLE = "keyset_unreachable"


class LtiRefused(LeerpadError):
    """A login or launch that is not accepted; `reason` is one of the constants above."""

    code = "forbidden"

    def __init__(self, reason: str, message: str, **extra: Any) -> None:
        super().__init__(message, reason=reason, **extra)
        self.reason = reason


class LtiRequest(Request):
    """The form or query parameters of one request, as the library reads them."""

    def __init__(self, params: Mapping[str, str], secure: bool) -> None:
        self._params = dict(params)
        self._secure = secure

    @property
    def session(self) -> dict[str, Any]:  # the library's default session store; ours is LtiStore
        return {}

    def is_secure(self) -> bool:
        return self._secure

    def get_param(self, key: str) -> str:
        return self._params.get(key, "")


class LtiCookies(CookieService):
    """The browser's cookies in, and the ones to set on the answer out (`apply`)."""

    def __init__(self, incoming: Mapping[str, str]) -> None:
        self._incoming = dict(incoming)
        self._outgoing: dict[str, tuple[str, int | None]] = {}

    def _name(self, name: str) -> str:
        return f"{COOKIE_PREFIX}-{name}"

    def get_cookie(self, name: str) -> str | None:
        return self._incoming.get(self._name(name))

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self._outgoing[self._name(name)] = (str(value), exp)

    def apply(self, response: Response) -> None:
        """SameSite=None and Secure: the launch is a POST from the LMS's site into its iframe, and a
        browser sends a cookie there only when it says both (and only over https)."""
        for name, (value, max_age) in self._outgoing.items():
            response.set_cookie(
                name, value, max_age=max_age, path=COOKIE_PATH, secure=True, httponly=True, samesite="none"
            )


class LtiToolConf(ToolConfAbstract[LtiRequest]):
    """The tool configuration from the database: a registration is found by issuer and client id
    (an issuer may have several clients, in several tenants). `platform` is the registration the
    last lookup found: the launch's tenant."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.platform: LtiPlatform | None = None
        self.issuers_relation_types = {}  # the library keeps it on the class; ours is never used

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        return self.find_registration_by_params(iss, "", *args, **kwargs)

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        """The registration of this issuer and client id; a login without a client id (it is
        optional there) finds the issuer's only one."""
        platforms = lti_repo.platforms_of_issuer(self.session, iss)
        if not platforms:
            raise LtiRefused(UNKNOWN_ISSUER, f"no LMS with issuer {iss!r} is registered", issuer=iss)
        if not client_id and len(platforms) == 1:
            chosen: LtiPlatform | None = platforms[0]
        else:
            chosen = next((p for p in platforms if p.client_id == client_id), None)
        if chosen is None:
            raise LtiRefused(
                WRONG_AUDIENCE,
                f"client id {client_id!r} is not registered for issuer {iss!r}",
                issuer=iss,
                client_id=client_id,
            )
        self.platform = chosen
        key = tool_key(self.session)
        return (
            Registration()
            .set_issuer(chosen.issuer)
            .set_client_id(chosen.client_id)
            .set_auth_login_url(chosen.auth_login_url)
            .set_auth_token_url(chosen.auth_token_url)
            .set_key_set_url(chosen.key_set_url)
            .set_tool_private_key(key.private_key_pem)
            .set_tool_public_key(key.public_key_pem)
        )

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        platform = self.platform
        if platform is None or platform.issuer != iss:
            return None
        if deployment_id not in {d.deployment_id for d in platform.deployments}:
            return None
        return Deployment().set_deployment_id(deployment_id)


class LtiStore(SessionService):
    """Where the library keeps a login's nonce and a launch's claims: the database (see the module
    docstring). The library's state-params and valid-state entries are not kept."""

    def __init__(self, request: LtiRequest, session: Session, tool_conf: LtiToolConf, now: datetime) -> None:
        super().__init__(request)
        self.session = session
        self.tool_conf = tool_conf
        self.now = now

    def _tenant_id(self) -> int:
        assert self.tool_conf.platform is not None, "the registration is found before anything is kept"
        return self.tool_conf.platform.tenant_id

    def save_nonce(self, nonce: str) -> None:
        lti_repo.add_nonce(self.session, self._tenant_id(), nonce, self.now + NONCE_LIFETIME)

    def check_nonce(self, nonce: str) -> bool:
        """Uses the nonce up: True once, for a nonce this tool sent and not older than its lifetime."""
        return lti_repo.use_nonce(self.session, nonce, self.now)

    def save_launch_data(self, key: str, jwt_body: Mapping[str, Any]) -> None:
        """Only a deep-linking launch is kept (the picker's next request needs it), without the user."""
        if jwt_body.get(MESSAGE_TYPE) != DEEP_LINKING_REQUEST:
            return
        claims = {k: v for k, v in jwt_body.items() if k not in PERSONAL_CLAIMS}
        lti_repo.keep_launch(self.session, self._tenant_id(), key, claims, self.now + LAUNCH_LIFETIME)

    def get_launch_data(self, key: str) -> Mapping[str, Any]:
        kept = lti_repo.kept_launch(self.session, key, self.now)
        return kept.claims if kept is not None else {}

    def save_state_params(self, state: str, params: dict[str, object]) -> None:
        return None

    def get_state_params(self, state: str) -> dict[str, object]:
        return {}

    def set_state_valid(self, state: str, id_token_hash: str) -> None:
        return None

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        return False  # only the browser's state cookie counts


class _UrlOnly(Redirect[str]):
    """The login's redirect as a URL; the router answers with it."""

    def __init__(self, location: str) -> None:
        self.location = location

    def do_redirect(self) -> str:
        return self.location

    def do_js_redirect(self) -> str:
        return self.location

    def set_redirect_url(self, location: str) -> None:
        self.location = location

    def get_redirect_url(self) -> str:
        return self.location


class LtiLogin(OIDCLogin[LtiRequest, LtiToolConf, LtiStore, LtiCookies, str]):
    def get_redirect(self, url: str) -> Redirect[str]:
        return _UrlOnly(url)


@dataclass
class Protocol:
    """What one request needs of the library: its request, configuration, store and cookies."""

    request: LtiRequest
    conf: LtiToolConf
    store: LtiStore
    cookies: LtiCookies

    @classmethod
    def for_request(
        cls,
        session: Session,
        params: Mapping[str, str],
        cookies: Mapping[str, str],
        secure: bool,
        now: datetime,
    ) -> Protocol:
        request = LtiRequest(params, secure)
        conf = LtiToolConf(session)
        return cls(request, conf, LtiStore(request, session, conf, now), LtiCookies(cookies))


def login_redirect(protocol: Protocol, launch_url: str) -> str:
    """The URL of the platform's authentication endpoint to send the browser to, with a new state
    (set as a cookie on the answer: `protocol.cookies.apply`) and nonce (kept in the database)."""
    login = LtiLogin(
        protocol.request, protocol.conf, session_service=protocol.store, cookie_service=protocol.cookies
    )
    try:
        return login.get_redirect_object(launch_url).get_redirect_url()
    except OIDCException as exc:
        raise LtiRefused(MALFORMED, str(exc)) from exc


class LtiMessage(MessageLaunch[LtiRequest, LtiToolConf, LtiStore, LtiCookies]):
    """A launch: validated on first use of its claims, or by `validate()`."""

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)

    def get_client_id(self) -> str:
        """The audience: the only one, or, of several, the one `azp` names."""
        body: Mapping[str, Any] = self._get_jwt_body()
        aud = body.get("aud")
        if isinstance(aud, list):
            azp = body.get("azp")
            if len(aud) > 1 and azp not in aud:
                raise LtiRefused(WRONG_AUDIENCE, "a token with several audiences must name the tool in azp")
            return str(azp if len(aud) > 1 else (aud[0] if aud else ""))
        return str(aud or "")

    def validate(self) -> LtiMessage:
        self._validated = True
        self.set_jwt_verify_options({"verify_aud": False, "require": ["exp", "iat"]})
        try:
            _step(STATE, self.validate_state)
            _step(MALFORMED, self.validate_jwt_format)
            _step(WRONG_AUDIENCE, self.validate_registration)
            _step(BAD_SIGNATURE, self.validate_jwt_signature)
            _step(UNKNOWN_DEPLOYMENT, self.validate_deployment)
            _step(MALFORMED, self.validate_message)
            _step(REPLAYED, self.validate_nonce)  # last: only a genuine launch uses its nonce up
            self.save_launch_data()
        except BaseException:
            self._validated = False
            raise
        return self

    def claims(self) -> dict[str, Any]:
        return dict(self.get_launch_data())


def _step(reason: str, check: Callable[[], object]) -> None:
    """Run one of the library's checks; its failure becomes an LtiRefused with `reason` (or a more
    precise one: an expired token, a keyset that could not be fetched)."""
    try:
        check()
    except LtiRefused:
        raise
    except (LtiException, OIDCException, AssertionError, KeyError, TypeError, ValueError) as exc:
        cause = exc.__cause__
        if isinstance(cause, jwt.ExpiredSignatureError):
            raise LtiRefused(EXPIRED, "the launch's token has expired") from exc
        if isinstance(exc, LtiKeyException) and "fetching" in str(exc):
            raise LtiRefused(KEYSET_UNREACHABLE, str(exc)) from exc
        raise LtiRefused(reason, str(exc) or type(exc).__name__) from exc


class _KeysetFetch(requests.Session):
    """The library fetches the platform's keyset with requests and no timeout: a platform that does not
    answer would hold a worker thread for good. This session gives every request a timeout."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", KEYSET_TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


def validated_launch(protocol: Protocol) -> LtiMessage:
    """The launch of this request (the form's id_token and state), validated."""
    launch = LtiMessage(
        protocol.request,
        protocol.conf,
        session_service=protocol.store,
        cookie_service=protocol.cookies,
        requests_session=_KeysetFetch(),
    )
    return launch.validate()


def kept_launch(protocol: Protocol, launch_id: str) -> LtiMessage:
    """A deep-linking launch validated earlier, by its launch id (the picker's form carries it)."""
    try:
        return LtiMessage.from_cache(
            launch_id,
            protocol.request,
            protocol.conf,
            session_service=protocol.store,
            cookie_service=protocol.cookies,
        )  # type: ignore[return-value]
    except LtiException as exc:
        raise LtiRefused(STATE, "this page has expired (or was opened elsewhere)") from exc
