"""`cakap db ...`: database migrations (Alembic, through app.migrate)."""

from __future__ import annotations

import typer
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from app import migrate
from app.cli.common import console, db_session, fail
from app.config import get_settings

db_app = typer.Typer(help="Migrasi database.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Migrasikan database ke revisi terbaru."""
    settings = get_settings()
    try:
        migrate.upgrade(settings.db_url, revision)
    except OperationalError as exc:
        fail(f"database tidak dapat dihubungi: {exc.orig}")
    except SQLAlchemyError as exc:
        fail(f"migrasi gagal: {exc}")
    console.print(
        f"Database pada revisi {migrate.head_revision() if revision == 'head' else revision}."
    )


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(..., help="Revisi tujuan, mis. 'base' atau '-1'."),
) -> None:
    """Kembalikan database ke revisi sebelumnya."""
    migrate.downgrade(get_settings().db_url, revision)
    console.print(f"Database diturunkan ke {revision}.")


@db_app.command("current")
def db_current() -> None:
    """Tampilkan revisi database saat ini."""
    with db_session(check=False) as db:
        current = migrate.current_revision(db.get_bind())
    console.print(f"sekarang: {current}  terbaru: {migrate.head_revision()}")
