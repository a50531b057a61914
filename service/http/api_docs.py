"""The API's documentation pages, /docs (Swagger UI) and /redoc (ReDoc), work without internet:
their scripts come from the fastapi-offline wheel (served at /static-offline-docs), and a
Content-Security-Policy tells the browser to fetch nothing from anywhere else (ReDoc's bundle would
otherwise load its logo from its CDN on every visit)."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
# FastAPI's pages start Swagger UI with an inline script and style ReDoc with an inline <style>;
# ReDoc's search runs in a worker made from a blob: URL.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_HEADERS = [(b"content-security-policy", DOCS_POLICY.encode()), (b"referrer-policy", b"no-referrer")]


class DocsPolicy:
    """Adds DOCS_POLICY to the answers of the documentation pages, and to nothing else."""

    def __init__(self, app: ASGIApp, paths: Iterable[str | None]) -> None:
        self.app = app
        self.paths = frozenset(path for path in paths if path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_policy)
