"""`leerpad serve`: the HTTP API under uvicorn, its logs in the service's own format."""

from __future__ import annotations

from typing import Annotated

import typer

from service.cli import context


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="uvicorn worker processes")] = 1,
    worker_healthcheck_timeout: Annotated[
        int,
        typer.Option(
            min=1,
            help="With --workers above 1: seconds a worker may leave the supervisor's ping unanswered "
            "before it is replaced (loading the model at start takes tens of seconds)",
        ),
    ] = 120,
) -> None:
    """Serve the HTTP API (migrates the database first)."""
    import uvicorn

    from service.http.metrics import prepare_multiprocess_dir
    from service.http.protocol import UVICORN_HTTP
    from service.http.request_log import logging_config

    with context.runtime() as runtime:
        settings = runtime.settings
    prepare_multiprocess_dir(clear_dead=True)  # with PROMETHEUS_MULTIPROC_DIR: counts begin again
    # uvicorn's lines in the same format as ours; its access log off: service.http.request_log writes one.
    log_config = logging_config(settings.log_format, settings.log_level)
    uvicorn.run(
        "service.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config,
        access_log=False,
        http=UVICORN_HTTP,  # TCP_NODELAY on every connection, also with --workers above 1
        timeout_worker_healthcheck=worker_healthcheck_timeout,
    )
