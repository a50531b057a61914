"""TCP_NODELAY on every connection uvicorn accepts, also on a listening socket bound the way
uvicorn's `--workers N` supervisor binds it (proto 0, so asyncio itself leaves Nagle on)."""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import Receive, Scope, Send

from service.http.protocol import UVICORN_HTTP


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:  # a minimal ASGI app
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _supervisor_style_socket() -> socket.socket:
    """Bound as uvicorn's Config.bind_socket does: the family only, `proto` left at 0."""
    sock = socket.socket(family=socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.set_inheritable(True)
    return sock


@contextmanager
def _serving(http: str, sock: socket.socket) -> Iterator[uvicorn.Server]:
    config = uvicorn.Config(_hello, http=http, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)  # polls a real other process or server, up to the deadline
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _no_delay_of_open_connections(server: uvicorn.Server) -> list[int]:
    return [
        protocol.transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        for protocol in server.server_state.connections
    ]


def test_keep_alive_connections_have_no_delay_on_a_supervisor_bound_socket() -> None:
    sock = _supervisor_style_socket()
    assert sock.proto == 0  # the condition under which asyncio does not set TCP_NODELAY
    port = sock.getsockname()[1]
    with _serving(UVICORN_HTTP, sock) as server:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for _ in range(3):  # one connection, kept alive
            client.request("GET", "/")
            response = client.getresponse()
            assert (response.status, response.read()) == (200, b"ok")
        flags = _no_delay_of_open_connections(server)
        client.close()
    assert flags and all(flags), flags
