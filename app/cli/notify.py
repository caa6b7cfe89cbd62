"""`cakap notify run`: deliver the outbox's due e-mails (for a timer every minute;
docs/deploy/README.md).

Silent when there was nothing to do, so cron mails nobody every minute. Exit codes: 0 ok
(also when SMTP is not configured: the mails wait in the outbox, and it says so), 1 when
the mail server could not be reached or a message failed, 2 when the database cannot be
used.
"""

from __future__ import annotations

import typer
from rich.markup import escape

from app.cli.common import console, db_session, err

notify_app = typer.Typer(help="Notifikasi: kirim email yang menunggu di outbox.")


@notify_app.callback(no_args_is_help=True)
def notify() -> None:
    """Notifikasi: kirim email yang menunggu di outbox."""


@notify_app.command("run")
def notify_run(
    batch_size: int = typer.Option(None, "--batch", min=1, help="Pesan per klaim."),
) -> None:
    """Kirim email yang sudah waktunya (jadwalkan tiap menit)."""
    from app.config import get_settings
    from app.db import utcnow
    from app.notifications import delivery

    settings = get_settings()
    with db_session() as db:
        report = delivery.run(db, settings=settings, clock=utcnow, batch_size=batch_size)
    if report.not_configured:
        if report.waiting:
            console.print(
                f"SMTP belum diatur (CAKAP_SMTP_HOST): {report.waiting} email menunggu di outbox."
            )
        return
    if report.sent or report.retrying or report.failed:
        console.print(
            f"Terkirim: {report.sent}. Dicoba lagi nanti: {report.retrying}. "
            f"Gagal: {report.failed}."
        )
    if report.unreachable:
        err.print(f"Server email tidak dapat dihubungi: {escape(report.unreachable)}")
    if report.problems:
        raise typer.Exit(1)
