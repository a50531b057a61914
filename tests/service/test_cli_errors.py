"""The CLI's one place for input errors (service/cli/errors.py): each known error becomes `error:
message` on stderr and its exit code, without a traceback; any other error stays a fault."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from ingest.pipeline import IngestError, IngestReport, RetireRefused
from ingest.records import SourceError
from ingest.reembed import ReembedError
from service.cli.errors import InputErrorsReported, exit_code
from service.jobs.retraining import RollbackError
from service.reports.figures import FigureInputError
from service.reports.team_reports import ReportInputError
from service.skills.roles import RoleInputError
from service.skills.taxonomy import RoleFileError


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (RetireRefused("would retire 8 of its 8 active items", IngestReport("csv", "lms", "c.csv")), 2),
        (ReembedError("unknown tenant 'nobody'"), 2),
        (ReportInputError("no team 'moon'"), 2),
        (IngestError("the file has no title column"), 1),
        (SourceError("catalog.csv", "no usable headers"), 1),
        (RoleFileError("roles.csv line 3: level 'x' is not a whole number from 0 to 5"), 1),
        (RoleInputError("skills[0].level: 7 is outside 0..5"), 1),
        (FigureInputError("figures.csv line 2: value: not a number"), 1),
        (RollbackError("no earlier model to roll back to"), 1),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_an_input_error_ends_the_command_with_its_message_and_exit_code(error: Exception, code: int) -> None:
    assert exit_code(error) == code
    app = typer.Typer(cls=InputErrorsReported)

    @app.command()
    def fails() -> None:
        raise error

    @app.command()
    def other() -> None:  # a second command, so that the app is a group as `leerpad` is
        raise AssertionError("not called")

    result = CliRunner().invoke(app, ["fails"])
    assert result.exit_code == code
    assert result.stderr == f"error: {error}\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_every_error_of_the_family_is_input_and_corrupt_data_is_a_fault() -> None:
    from recommender.errors import LeerpadError
    from recommender.index import IndexCorruptError
    from service.paths.planning import PathInputError

    assert exit_code(PathInputError("skills[0].skill: '42' is no skill label")) == 1
    assert exit_code(LeerpadError("anything a caller can cause")) == 1
    assert exit_code(IndexCorruptError("snapshot 3: checksum mismatch")) is None
    assert exit_code(ValueError("a bug")) is None


def test_any_other_error_is_a_fault_that_keeps_its_traceback() -> None:
    app = typer.Typer(cls=InputErrorsReported)

    @app.command()
    def breaks() -> None:
        raise KeyError("a bug")

    @app.command()
    def other() -> None:
        raise AssertionError("not called")

    assert exit_code(KeyError("a bug")) is None
    result = CliRunner().invoke(app, ["breaks"])
    assert result.exit_code == 1 and isinstance(result.exception, KeyError)
    assert "error:" not in result.stderr
