"""uvicorn's HTTP protocol with Nagle's algorithm switched off on every connection.

With `--workers N` uvicorn's supervisor binds the listening socket itself and leaves its `proto` at
0; the sockets it accepts inherit that, and asyncio only sets TCP_NODELAY on a socket that reports
IPPROTO_TCP. Every keep-alive request after a connection's first then waits for the client's
delayed ACK: about 40 ms on Linux (uvicorn issue #3149, still so in 0.54). `leerpad serve` passes
this class as uvicorn's `http`, so one worker and many answer alike.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


def set_no_delay(transport: asyncio.BaseTransport) -> bool:
    """Switch Nagle's algorithm off on a TCP transport's socket; False for any other kind (a Unix
    socket, a transport without one)."""
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # the peer has already gone: nothing to speed up
        return False
    return True


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's own choice of HTTP protocol (httptools when installed, else h11), with TCP_NODELAY."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        set_no_delay(transport)
        super().connection_made(transport)  # type: ignore[arg-type]


UVICORN_HTTP = f"{__name__}:{NoDelayHTTPProtocol.__name__}"
