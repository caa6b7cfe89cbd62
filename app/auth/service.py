"""Logging in and changing passwords — no HTTP here."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth import sessions, throttle
from app.auth.passwords import Hasher, password_problem
from app.config import Settings
from app.db import write_locked
from app.i18n import gettext as _
from app.users.models import User
from app.users.nip import looks_like_nip, nip_problem, normalize_nip

MAX_IDENTIFIER_LENGTH = 254


class LoginOutcome(enum.Enum):
    ok = "ok"
    invalid = "invalid"
    throttled = "throttled"
    malformed = "malformed"


@dataclass
class LoginResult:
    outcome: LoginOutcome
    message: str = ""
    user: User | None = None
    token: str | None = None


def normalize_identifier(raw: str) -> tuple[str, str | None]:
    """(account key, problem). NIPs lose their spaces; emails are lower-cased."""
    raw = (raw or "").strip()
    if not raw:
        return "", _("Isi NIP atau email.")
    if len(raw) > MAX_IDENTIFIER_LENGTH:
        return raw[:MAX_IDENTIFIER_LENGTH], _("NIP atau email terlalu panjang.")
    if looks_like_nip(raw):
        nip = normalize_nip(raw)
        return nip, nip_problem(nip)
    return raw.lower(), None


def find_user(db: Session, account: str) -> User | None:
    if "@" in account:
        return db.scalar(select(User).where(func.lower(User.email) == account))
    return db.scalar(select(User).where(User.nip == account))


def login(
    db: Session,
    *,
    identifier: str,
    password: str,
    hasher: Hasher,
    settings: Settings,
    now: datetime,
    ip: str,
    user_agent: str | None = None,
) -> LoginResult:
    """Check credentials and start a session. Throttled per account and per address."""
    account, problem = normalize_identifier(identifier)
    if problem:
        return LoginResult(LoginOutcome.malformed, problem)
    if len(password) > 1024:
        return LoginResult(LoginOutcome.malformed, _("Kata sandi terlalu panjang."))
    if throttle.is_throttled(db, account=account, ip=ip, settings=settings, now=now):
        return LoginResult(
            LoginOutcome.throttled,
            _("Terlalu banyak percobaan masuk yang gagal. Coba lagi setelah %(n)s menit.")
            % {"n": settings.login_window_minutes},
        )
    user = find_user(db, account)
    stored = user.password_hash if user else None
    # End the read transaction before the slow hash: on SQLite a read transaction held
    # across ~0.2 s of argon2 and then upgraded to a write is what makes concurrent logins
    # fail with "database is locked". Writes below take the write lock up front.
    db.commit()
    ok, new_hash = hasher.verify_and_update(password, stored)
    write_locked(db)
    if not ok or user is None or not user.active:
        throttle.record_failure(db, account=account, ip=ip, settings=settings, now=now)
        record(db, action="login.failed", target=account, ip=ip)
        db.commit()
        return LoginResult(LoginOutcome.invalid, _("NIP/email atau kata sandi salah."))
    if new_hash:
        user.password_hash = new_hash
    token = sessions.create(
        db, user_id=user.id, settings=settings, now=now, ip=ip, user_agent=user_agent
    )
    record(db, action="login", actor_id=user.id, ip=ip)
    db.commit()
    return LoginResult(LoginOutcome.ok, user=user, token=token)


def change_password(
    db: Session,
    *,
    user: User,
    current: str,
    new: str,
    confirm: str,
    hasher: Hasher,
    now: datetime,
    settings: Settings,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[str | None, str | None]:
    """Change the password: (problem message, None) or (None, new session token).

    Every session of the user ends, this one included: a stolen session dies with the old
    password, and the caller continues on a fresh session id.
    """
    ok, _rehash = hasher.verify_and_update(current, user.password_hash)
    if not ok:
        return _("Kata sandi saat ini salah."), None
    if new != confirm:
        return _("Konfirmasi kata sandi baru tidak sama."), None
    problem = password_problem(new, nip=user.nip)
    if problem:
        return problem, None
    user.password_hash = hasher.hash(new)
    user.password_changed_at = now
    sessions.destroy_all_for_user(db, user.id)
    token = sessions.create(
        db, user_id=user.id, settings=settings, now=now, ip=ip, user_agent=user_agent
    )
    record(db, action="password.changed", actor_id=user.id, ip=ip)
    db.commit()
    return None, token
