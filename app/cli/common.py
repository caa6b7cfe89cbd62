"""What every `cakap` command shares: the consoles, the error exit, a database session
and the password hasher, all built from the instance settings."""

from __future__ import annotations

from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError

from app import migrate
from app.auth.passwords import Hasher, hasher_from_settings
from app.config import get_settings
from app.db import engine_from_settings, make_sessionmaker

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `Galat: message` on stderr and exit with `code` (2: usage or environment)."""
    # Escaped: messages carry file names, NIPs and database errors, never rich markup.
    err.print(f"[red]Galat:[/red] {escape(message)}")
    raise typer.Exit(code)


@contextmanager
def db_session(check: bool = True):
    """A session on the instance database; with `check`, refuse an unmigrated one."""
    settings = get_settings()
    engine = engine_from_settings(settings)
    try:
        if check:
            migrate.ensure_migrated(engine)
        with make_sessionmaker(engine, settings)() as session:
            yield session
    except migrate.DatabaseNotMigrated as exc:
        fail(str(exc))
    except OperationalError as exc:
        fail(f"database tidak dapat dihubungi ({settings.db_url.split('@')[-1]}): {exc.orig}")
    finally:
        engine.dispose()


def hasher() -> Hasher:
    return hasher_from_settings(get_settings())
