"""Login throttling, kept in SQL so it holds across worker processes.

An attempt is counted *before* its password is checked: `reserve` stores it as a failure
in a short write transaction of its own, serialised per account and per address (SQLite's
write lock; PostgreSQL advisory locks), and refuses it without any hashing when a budget
is used up. So in a burst of parallel guesses at most the budget of passwords is ever
verified, and a right password that arrives after the budget is gone is refused too. A
login that succeeds removes its row (`forget`): only failures count.

Three budgets, each a sliding window:
- per (account, address): `login_max_failures` per `login_window_minutes` — someone
  guessing elsewhere does not lock a person out of their own office;
- per account over all addresses: `login_max_failures_per_account` per
  `login_account_window_minutes` — stops guessing spread over many addresses;
- per address over all accounts: `login_max_failures_per_ip` per `login_window_minutes` —
  stops password spraying, high enough for an office behind one NAT.

Not `app.ratelimit`: its fixed windows allow twice a budget in a burst that straddles a
window boundary, and it cannot take back the attempt of a login that succeeded.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from app.auth.models import LoginAttempt
from app.config import Settings
from app.db import write_locked
from app.i18n import gettext as _

# About one failure in SWEEP_ONE_IN also deletes rows no window needs any more.
SWEEP_ONE_IN = 32


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int  # seconds until the budget that refused has room again


def _advisory_key(name: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


def _serialise(db: Session, *, account: str, ip: str) -> None:
    """Let one reservation at a time count and insert for this account and this address."""
    if db.get_bind().dialect.name != "postgresql":
        write_locked(db)  # BEGIN IMMEDIATE: one writer across all processes
        return
    # Always account first, then address: two reservations never wait on each other in
    # opposite orders. Transaction-scoped, so the commit below releases them.
    for name in (f"login-account:{account}", f"login-ip:{ip}"):
        db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _advisory_key(name)})


def _refusal(db: Session, where, *, limit: int, minutes: int, now: datetime) -> int | None:
    """Seconds until `where` has room again, or None when it has room now."""
    since = now - timedelta(minutes=minutes)
    in_window = (LoginAttempt.at > since, *where)
    count = db.scalar(select(func.count()).select_from(LoginAttempt).where(*in_window))
    if count < limit:
        return None
    # Room comes back when the row that took the budget's last place leaves the window.
    freeing = db.scalar(
        select(LoginAttempt.at)
        .where(*in_window)
        .order_by(LoginAttempt.at)
        .offset(count - limit)
        .limit(1)
    )
    return max(1, math.ceil((freeing + timedelta(minutes=minutes) - now).total_seconds()))


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def reserve(
    db: Session, *, account: str, ip: str, settings: Settings, now: datetime
) -> int | Refusal:
    """Count one login attempt before its password is checked: its row id, or a Refusal.

    Commits. The row counts as a failure until `forget` removes it.
    """
    account, ip = account[:254], ip[:64]
    _serialise(db, account=account, ip=ip)
    budgets = [
        (
            (LoginAttempt.account == account, LoginAttempt.ip == ip),
            settings.login_max_failures,
            settings.login_window_minutes,
            _("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(n)s menit."),
        ),
        (
            (LoginAttempt.account == account,),
            settings.login_max_failures_per_account,
            settings.login_account_window_minutes,
            _(
                "Terlalu banyak percobaan masuk yang gagal ke akun ini dari berbagai alamat. "
                "Coba lagi dalam %(n)s menit. Bila itu bukan Anda, hubungi admin OPD Anda."
            ),
        ),
        (
            (LoginAttempt.ip == ip,),
            settings.login_max_failures_per_ip,
            settings.login_window_minutes,
            _(
                "Terlalu banyak percobaan masuk yang gagal dari alamat jaringan ini. "
                "Coba lagi dalam %(n)s menit."
            ),
        ),
    ]
    for where, limit, minutes, message in budgets:
        wait = _refusal(db, where, limit=limit, minutes=minutes, now=now)
        if wait is not None:
            db.commit()  # nothing written; releases the lock
            return Refusal(message % {"n": _minutes(wait)}, wait)
    attempt = LoginAttempt(account=account, ip=ip, at=now)
    db.add(attempt)
    db.commit()
    return attempt.id


def forget(db: Session, attempt_id: int) -> None:
    """Take back a reserved attempt: the login succeeded, or no password was checked.
    The caller commits."""
    db.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))


def sweep(db: Session, *, attempt_id: int, settings: Settings, now: datetime) -> None:
    """Now and then, delete rows older than every window. The caller commits."""
    if attempt_id % SWEEP_ONE_IN:
        return
    purge_stale(db, settings=settings, now=now)


PURGE_BATCH = 1000


def purge_stale(db: Session, *, settings: Settings, now: datetime) -> int:
    """Delete up to PURGE_BATCH attempts older than every window; returns how many.
    The caller commits (`cakap maintenance run` repeats it until fewer come back)."""
    longest = max(settings.login_window_minutes, settings.login_account_window_minutes)
    stale = (
        select(LoginAttempt.id)
        .where(LoginAttempt.at < now - timedelta(minutes=longest))
        .limit(PURGE_BATCH)
        # PostgreSQL: rows another sweep is deleting are left to it, so two sweeps never
        # wait on each other (SQLite's single writer needs no such clause; it renders none).
        .with_for_update(skip_locked=True)
    )
    return db.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(stale))).rowcount
