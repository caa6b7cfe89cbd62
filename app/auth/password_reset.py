"""Forgot password: a single-use link by e-mail, through the outbox.

- The link carries a random token; only its SHA-256 is stored. It works once, for
  `password_reset_minutes` (30), and stops working when the password changes by any
  route (reset, change, activation) — checked against `User.password_changed_at`, so no
  other code has to remember to revoke it.
- The page answers the same whether or not the account exists, has an address or is
  throttled per account: nobody learns from it who has an account. What differs is only
  what is visible anyway — a 429 for too many requests from one network address.
- The mail goes through the outbox (sealed while it waits: it carries the token) and is
  delivered by `cakap notify run`, which the deployment runs every minute.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import ratelimit
from app.audit.service import record
from app.auth import sessions
from app.auth.models import PasswordResetToken
from app.auth.passwords import Hasher, new_password_problem
from app.auth.service import find_user, normalize_identifier
from app.config import Settings
from app.db import write_locked
from app.i18n import gettext as _
from app.notifications.models import Channel
from app.notifications.outbox import enqueue
from app.users.models import User

HOUR = 3600
MAX_TOKEN_LENGTH = 128


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reset_link(token: str) -> str:
    return f"/lupa-kata-sandi/{token}"


@dataclass(frozen=True)
class Requested:
    """The outcome of a request: `refused` is a message for a throttled address; else
    the page says the same for every account."""

    refused: str | None = None


def request_reset(
    db: Session, *, identifier: str, ip: str, settings: Settings, now: datetime
) -> Requested:
    """Queue a reset link to the account's registered address, if there is one to send.

    Commits. Counted per network address (a visible refusal) and per account (silent:
    refusing visibly would tell that the account exists).
    """
    if not ratelimit.hit(
        db,
        key=f"reset-ip:{ip}",
        limit=settings.password_reset_per_ip_per_hour,
        window_seconds=HOUR,
        now=now,
    ):
        return Requested(
            _("Terlalu banyak permintaan dari alamat jaringan ini. Coba lagi dalam satu jam.")
        )
    account, problem = normalize_identifier(identifier)
    user = None if problem else find_user(db, account)
    # Only accounts that can log in: an imported person without a password activates
    # with the code from their OPD admin instead.
    if user is None or not user.active or not user.email or not user.password_hash:
        db.commit()
        return Requested()
    if not ratelimit.hit(
        db,
        key=f"reset-account:{user.id}",
        limit=settings.password_reset_per_account_per_hour,
        window_seconds=HOUR,
        now=now,
    ):
        return Requested()
    token = secrets.token_urlsafe(32)
    write_locked(db)
    row = PasswordResetToken(
        user_id=user.id,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.password_reset_minutes),
        ip=ip[:64],
    )
    db.add(row)
    db.flush()
    enqueue(
        db,
        recipient=user,
        kind="password_reset",
        dedup_key=f"password.reset:{row.id}",
        context={"minutes": settings.password_reset_minutes},
        link=reset_link(token),
        channels=(Channel.email,),
        sensitive=True,
        now=now,
    )
    record(db, action="password.reset_requested", actor_id=user.id, ip=ip)
    db.commit()
    return Requested()


def expired_message() -> str:
    # One message for every reason: the page need not say which.
    return _(
        "Tautan atur ulang kata sandi ini tidak berlaku lagi: sudah dipakai, sudah "
        "kedaluwarsa, atau kata sandi sudah diganti. Minta tautan baru."
    )


def _usable(db: Session, token: str, now: datetime) -> tuple[PasswordResetToken, User] | str:
    """The token's row and user, or why the link does not work."""
    expired = expired_message()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return expired
    row = db.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash(token))
    )
    if row is None or row.used_at is not None or now >= row.expires_at:
        return expired
    user = db.get(User, row.user_id)
    # An admin's access reset clears the password: the person then activates with the
    # new code, and a link asked for before must not get round that.
    if user is None or not user.active or not user.password_hash:
        return expired
    if user.password_changed_at is not None and user.password_changed_at >= row.created_at:
        return expired
    return row, user


def check_link(db: Session, *, token: str, now: datetime) -> str | None:
    """None when the link can still be used, else the message for the page. Reading the
    link changes nothing (mail scanners open links before people do)."""
    found = _usable(db, token, now)
    db.commit()
    return found if isinstance(found, str) else None


def reset_password(
    db: Session,
    *,
    token: str,
    password: str,
    confirm: str,
    hasher: Hasher,
    settings: Settings,
    now: datetime,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[str | None, str | None]:
    """(problem, None) or (None, new session token). Every other session of the person
    ends, and the link (with every other link they asked for) stops working."""
    found = _usable(db, token, now)
    if isinstance(found, str):
        db.commit()
        return found, None
    row, user = found
    problem = new_password_problem(password, confirm, nip=user.nip)
    if problem:
        return problem, None
    db.commit()  # the read transaction ends before the slow hash (see auth.service.login)
    new_hash = hasher.hash(password)
    write_locked(db)
    # Single use even under a double submit: only one UPDATE can set used_at.
    won = db.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if not won:
        db.rollback()
        return expired_message(), None
    user = db.get(User, row.user_id, populate_existing=True)
    sessions.set_password(db, user, new_hash, now=now)
    session_token = sessions.create(
        db, user_id=user.id, settings=settings, now=now, ip=ip, user_agent=user_agent
    )
    record(db, action="password.reset", actor_id=user.id, ip=ip)
    db.commit()
    return None, session_token
