"""`cakap maintenance run`: housekeeping for a daily timer (docs/deploy/README.md).

Deletes rows that no rule reads any more, through the services that own them: sessions
past their absolute expiry (nothing else deletes a session nobody comes back with) and
login attempts older than every throttle window (the login path sweeps them only now
and then). Exit code 0; 2 when the database cannot be used.
"""

from __future__ import annotations

import typer

from app.cli.common import console, db_session

maintenance_app = typer.Typer(help="Pemeliharaan berkala (jadwalkan harian).")


@maintenance_app.callback(no_args_is_help=True)
def maintenance() -> None:
    """Pemeliharaan berkala (jadwalkan harian)."""
    # A callback keeps `run` a named subcommand even while it is the only one.


@maintenance_app.command("run")
def maintenance_run() -> None:
    """Hapus sesi kedaluwarsa dan catatan percobaan masuk lama."""
    from app.auth import sessions, throttle
    from app.config import get_settings
    from app.db import utcnow, write_locked

    settings = get_settings()
    now = utcnow()
    with db_session() as db:
        write_locked(db)
        expired_sessions = sessions.purge_expired(db, now=now)
        old_attempts = 0
        while True:
            deleted = throttle.purge_stale(db, settings=settings, now=now)
            old_attempts += deleted
            if deleted < throttle.PURGE_BATCH:
                break
        db.commit()
    console.print(f"Sesi kedaluwarsa dihapus: {expired_sessions}.")
    console.print(f"Catatan percobaan masuk lama dihapus: {old_attempts}.")
