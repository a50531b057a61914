"""The one place where the CLI turns an input error into a message and an exit code, never a
traceback: `InputErrorsReported`, the root app's command group, runs every command inside
`report_input_errors`. A command raises its domain's error; it does not catch it.

Exit code 2: what the command line asked for cannot be done as asked (a refused retirement, an unknown
team, a model that cannot re-embed); 1: the input it read was wrong (a catalog, a role file, a
figures file, a rollback with nothing to roll back to).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer.core import TyperGroup


def exit_code(error: Exception) -> int | None:
    """The exit code an error of the one family (recommender.errors.LeerpadError) ends its command
    with; None for any other error, and for stored data that contradicts itself (a fault, which keeps
    its traceback). The refusing classes are imported here, when a command has failed, because their
    modules load the database layer that `leerpad --help` must not."""
    from ingest.pipeline import RetireRefused
    from ingest.reembed import ReembedError
    from recommender.errors import CORRUPT, LeerpadError
    from service.reports.team_reports import ReportInputError

    if not isinstance(error, LeerpadError) or error.code == CORRUPT:
        return None
    return 2 if isinstance(error, (RetireRefused, ReembedError, ReportInputError)) else 1


@contextmanager
def report_input_errors() -> Iterator[None]:
    """Run a command; an input error it raises becomes `error: message` on stderr and its exit code."""
    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise  # typer's own ways out (usage errors, --help, fail()): nothing to translate
    except Exception as error:
        code = exit_code(error)
        if code is None:
            raise
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code) from error


class InputErrorsReported(TyperGroup):
    """The root command group: every command, of any sub-group, runs inside report_input_errors."""

    # `ctx` as TyperGroup.invoke takes it: typer's own (vendored) click Context, not a public name.
    def invoke(self, ctx: Any) -> Any:
        with report_input_errors():
            return super().invoke(ctx)
