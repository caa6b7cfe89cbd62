"""The `cakap` command: one Typer app, one module per command group in this package.

Commands call services; they never duplicate their logic. What they share (consoles,
the error exit, a database session, the hasher) is in app/cli/common.py.

Exit codes: 0 ok, 1 problems found, 2 usage or environment error.
"""

from __future__ import annotations

import typer

import app.models  # noqa: F401  (models and the services that hook into progress)
from app import wiring
from app.cli.backup import backup_cmd, restore_cmd
from app.cli.certificates import cert_app, keys_app
from app.cli.courses import courses_app
from app.cli.database import db_app
from app.cli.demo import demo
from app.cli.maintenance import maintenance_app
from app.cli.notify import notify_app
from app.cli.quizzes import quiz_app
from app.cli.reports import report_app
from app.cli.serve import serve
from app.cli.users import users_app

app = typer.Typer(help="Cakap — LMS pelatihan ASN untuk pemerintah kota.", no_args_is_help=True)


@app.callback()
def _wired() -> None:
    """Every command runs with the cross-domain hooks installed, as the app does."""
    wiring.install()


app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(courses_app, name="courses")
app.add_typer(quiz_app, name="quiz")
app.add_typer(report_app, name="report")
app.add_typer(cert_app, name="cert")
app.add_typer(keys_app, name="keys")
app.add_typer(maintenance_app, name="maintenance")
app.add_typer(notify_app, name="notify")
app.command("serve")(serve)
app.command("demo")(demo)
app.command("backup")(backup_cmd)
app.command("restore")(restore_cmd)


def main() -> None:  # pragma: no cover - entry point
    app(prog_name="cakap")
