"""Alembic from code: upgrade, and the start-up check that refuses an un-migrated database."""

from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from app.config import PROJECT_ROOT


class DatabaseNotMigrated(RuntimeError):
    pass


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


@functools.cache
def head_revision() -> str | None:
    """The newest migration shipped with this code (read once: a deploy restarts the
    process; reading the scripts cost /readyz 25 ms per call)."""
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    return ScriptDirectory.from_config(cfg).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ensure_migrated(engine: Engine) -> None:
    """Refuse to serve a database that is not at the latest migration."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "kosong" if current is None else f"pada revisi {current}"
        raise DatabaseNotMigrated(
            f"Database {state}, sedangkan kode membutuhkan revisi {head}. "
            "Jalankan 'cakap db upgrade' lalu mulai ulang server. "
            f"(Database is not migrated: run 'cakap db upgrade'.)"
        )
