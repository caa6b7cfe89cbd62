"""Delivering the outbox's e-mails: what `cakap notify run` does.

A run claims due messages in small batches and sends them over one SMTP connection:
1. **claim** (one short write transaction): due rows — waiting and past next_attempt_at,
   or `sending` under a claim older than the lease (a run that died) — are marked
   `sending` with this run's claim time. PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED`, so
   overlapping runs and several servers take disjoint rows without waiting on each other;
   SQLite: the write lock (`BEGIN IMMEDIATE`), so a second run sees the rows as claimed.
2. **send**, outside any transaction: no lock is held while the mail server answers.
3. **record** each outcome in its own commit (sent; waiting for a retry with backoff;
   failed), guarded by the claim time, so a run whose lease ran out cannot overwrite the
   run that took over.
A message is therefore sent once by overlapping runs. Only a crash between the server's
acceptance and step 3 sends it a second time, after the lease — with the same Message-ID.
Background work commits per message, and says so: a run that dies loses no outcome it
has recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import write_locked
from app.notifications.mail import (
    ConnectionLost,
    Outgoing,
    PermanentError,
    SmtpTransport,
    TransientError,
    build_message,
)
from app.notifications.models import Channel, Notification, Status
from app.notifications.outbox import bodies


def retry_delay(attempts: int, *, base_seconds: int, max_seconds: int) -> timedelta:
    """Exponential backoff after the `attempts`-th try: base, 2×base, 4×base … capped."""
    exponent = min(max(attempts, 1) - 1, 30)
    return timedelta(seconds=min(base_seconds * 2**exponent, max_seconds))


@dataclass
class RunReport:
    sent: int = 0
    retrying: int = 0  # a try failed; waiting for the next one
    failed: int = 0  # given up
    unreachable: str | None = None  # the connection error that ended the run
    not_configured: bool = False
    waiting: int = 0  # e-mails in the outbox that no run has sent yet (not configured)

    @property
    def problems(self) -> bool:
        return bool(self.unreachable or self.failed or self.retrying)


def _due(now: datetime, settings: Settings):
    lease = now - timedelta(minutes=settings.notify_sending_lease_minutes)
    return and_(
        Notification.channel == Channel.email,
        or_(
            and_(Notification.status == Status.waiting, Notification.next_attempt_at <= now),
            and_(Notification.status == Status.sending, Notification.claimed_at < lease),
        ),
    )


def claim(db: Session, *, now: datetime, settings: Settings, limit: int) -> list[Notification]:
    """Claim up to `limit` due e-mails for this run (commits). Disjoint across runs."""
    write_locked(db)
    rows = db.scalars(
        select(Notification)
        .where(_due(now, settings))
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
        # PostgreSQL: rows another run is claiming are left to it (SQLite holds the one
        # write lock instead; it renders no such clause).
        .with_for_update(skip_locked=True)
        # This session may hold older copies (from an earlier batch of the same run).
        .execution_options(populate_existing=True)
    ).all()
    for row in rows:
        row.status = Status.sending
        row.claimed_at = now
        row.attempts += 1
    db.commit()
    return list(rows)


def _record(db: Session, row: Notification, **values) -> None:
    write_locked(db)
    if db.get_bind().dialect.name == "postgresql":
        # One commit per message would wait for a WAL flush each (a third of the run's
        # time on the bench). Without it, only a crash of the database server itself can
        # forget the last fraction of a second of outcomes — those messages are then
        # sent again after the lease, the same rare case as a run dying mid-message.
        db.execute(text("SET LOCAL synchronous_commit TO OFF"))
    outbox = Notification.__table__
    # A Core UPDATE: the ORM's version would first match it against every object this
    # session holds (a run holds its whole history), which made recording cost more than
    # sending. The next claim reloads what it takes (populate_existing).
    db.execute(
        update(outbox)
        .where(
            outbox.c.id == row.id,
            outbox.c.status == Status.sending,
            outbox.c.claimed_at == row.claimed_at,
        )
        .values(**values)
    )
    db.commit()


def _retry(db: Session, row: Notification, error: str, *, now: datetime, settings: Settings):
    delay = retry_delay(
        row.attempts,
        base_seconds=settings.notify_retry_seconds,
        max_seconds=settings.notify_retry_max_seconds,
    )
    _record(
        db,
        row,
        status=Status.waiting,
        next_attempt_at=now + delay,
        claimed_at=None,
        last_error=error[:2000],
    )


def _outgoing(settings: Settings, row: Notification) -> Outgoing:
    text, html = bodies(settings, row)
    return Outgoing(
        to=row.to_address or "",
        subject=row.subject,
        text=text,
        html=html,
        message_key=f"cakap.notification.{row.id}",
    )


def run(
    db: Session,
    *,
    settings: Settings,
    clock: Callable[[], datetime],
    transport: SmtpTransport | None = None,
    batch_size: int | None = None,
) -> RunReport:
    """Send every due e-mail; commits per claim and per message (see the module doc)."""
    report = RunReport()
    if not settings.smtp_configured and transport is None:
        report.not_configured = True
        report.waiting = db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.channel == Channel.email, Notification.status == Status.waiting)
        )
        db.commit()
        return report
    own_transport = transport is None
    transport = transport or SmtpTransport(settings)
    try:
        while report.unreachable is None:
            batch = claim(
                db, now=clock(), settings=settings, limit=batch_size or settings.notify_batch_size
            )
            if not batch:
                break
            for index, row in enumerate(batch):
                try:
                    message = build_message(
                        _outgoing(settings, row),
                        sender=settings.mail_sender,
                        base_url=settings.base_url,
                        now=clock(),
                    )
                    transport.send(message)
                except ConnectionLost as exc:
                    # The server is down: this message and the rest of the batch wait for
                    # the next run. Not counted against notify_max_attempts — a server
                    # that is away for a weekend must not cost anyone their mail.
                    report.unreachable = str(exc)
                    for waiting in batch[index:]:
                        _retry(db, waiting, str(exc), now=clock(), settings=settings)
                        report.retrying += 1
                    break
                except TransientError as exc:
                    if row.attempts >= settings.notify_max_attempts:
                        _record(db, row, status=Status.failed, last_error=str(exc)[:2000])
                        report.failed += 1
                    else:
                        _retry(db, row, str(exc), now=clock(), settings=settings)
                        report.retrying += 1
                except (PermanentError, ValueError) as exc:
                    _record(db, row, status=Status.failed, last_error=str(exc)[:2000])
                    report.failed += 1
                else:
                    done = {"status": Status.sent, "sent_at": clock(), "last_error": None}
                    if row.sealed:
                        done.update(body_text=None, body_html=None)  # the secret is gone
                    _record(db, row, **done)
                    report.sent += 1
    finally:
        if own_transport:
            transport.close()
    return report
