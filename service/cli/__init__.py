"""The `leerpad` command: set-up, ingest, keys, retraining, serving and the worker.

This root app only assembles. Each domain's commands live in the module named like its service
package (catalog, skills, people, reports, trust, jobs, demo; database for the set-up, serve for the HTTP
API); they parse options and call that domain's use cases in service/<domain>/. Every command runs
through `InputErrorsReported` (service/cli/errors.py), the one place an input error becomes a line on
stderr and an exit code. Command modules import only typer, the standard library and small constants
at the top: `leerpad --help` loads none of the heavy libraries (tests/service/test_cli_startup.py).
"""

from __future__ import annotations

import typer

from service.cli import catalog, database, demo, jobs, lti, people, reports, serve, skills, trust
from service.cli.errors import InputErrorsReported

app = typer.Typer(
    name="leerpad",
    help="Leerpad: learning paths that close skills gaps. Settings come from LEERPAD_* variables.",
    cls=InputErrorsReported,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    # Click's plain help: typer's rich panels show every flag as `--dry-run <bool>`, as if it took a value.
    rich_markup_mode=None,
)
# `leerpad --help` lists the commands in this order, then the groups in theirs.
app.command("ingest")(catalog.ingest)
app.command("retrain")(jobs.retrain)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("worker")(jobs.worker)
app.add_typer(database.db_app, name="db")
app.add_typer(database.tenants_app, name="tenants")
app.add_typer(skills.taxonomy_app, name="taxonomy")
app.add_typer(skills.roles_app, name="roles")
app.add_typer(people.identities_app, name="identities")
app.add_typer(trust.keys_app, name="keys")
app.add_typer(catalog.index_app, name="index")
app.add_typer(jobs.models_app, name="models")
app.add_typer(reports.report_app, name="report")
app.add_typer(trust.audit_app, name="audit")
app.add_typer(lti.lti_app, name="lti")


def main() -> None:
    app(prog_name="leerpad")
