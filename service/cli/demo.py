"""`leerpad demo`: the bundled fictional company, loaded through the domains' use cases."""

from __future__ import annotations

from typing import Annotated

import typer

from service.cli import context
from service.cli.context import DEFAULT_TENANT


def demo(
    tenant: Annotated[
        str,
        typer.Option("--tenant", help="The company to load the demo into; created when it does not exist."),
    ] = DEFAULT_TENANT,
) -> None:
    """Load the bundled demo: taxonomy, catalogs, roles, employees and assessments of a fictional
    company. The first load embeds about a thousand texts; loading it again changes nothing."""
    import sys

    from tqdm import tqdm

    from service.demo.loader import load_demo

    progress = sys.stderr.isatty()  # bars for a person at a terminal, not in logs
    echo = tqdm.write if progress else typer.echo
    typer.echo(f"loading the demo into tenant {tenant} (only what changed since the last load)")
    with context.runtime() as runtime:
        for line in load_demo(runtime, tenant, progress=progress):
            echo(line)
