"""Logging in and changing passwords — no HTTP here."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth import sessions, throttle
from app.auth.passwords import HashBusy, Hasher, new_password_problem
from app.config import Settings
from app.db import write_locked
from app.i18n import N_
from app.i18n import gettext as _
from app.users.models import User
from app.users.nip import looks_like_nip, nip_problem, normalize_nip

MAX_IDENTIFIER_LENGTH = 254
BUSY_MESSAGE = N_("Server sedang sibuk memeriksa kata sandi. Coba lagi dalam beberapa detik.")


class LoginOutcome(enum.Enum):
    ok = "ok"
    invalid = "invalid"
    throttled = "throttled"
    busy = "busy"  # every password-hashing slot of this worker stayed taken
    malformed = "malformed"


@dataclass
class LoginResult:
    outcome: LoginOutcome
    message: str = ""
    user: User | None = None
    token: str | None = None
    retry_after: int | None = None  # seconds, when throttled


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
    """Check credentials and start a session.

    The attempt is counted before the password is hashed (see `throttle`), so parallel
    guesses cannot outrun the throttle; an attempt over a budget is refused unhashed.
    """
    account, problem = normalize_identifier(identifier)
    if problem:
        return LoginResult(LoginOutcome.malformed, problem)
    if len(password) > 1024:
        return LoginResult(LoginOutcome.malformed, _("Kata sandi terlalu panjang."))
    attempt = throttle.reserve(db, account=account, ip=ip, settings=settings, now=now)
    if isinstance(attempt, throttle.Refusal):
        return LoginResult(LoginOutcome.throttled, attempt.message, retry_after=attempt.retry_after)
    user = find_user(db, account)
    stored = user.password_hash if user else None
    # End the read transaction before the slow hash: on SQLite a read transaction held
    # across ~0.1 s of argon2 and then upgraded to a write is what makes concurrent logins
    # fail with "database is locked". Writes below take the write lock up front.
    db.commit()
    try:
        ok, new_hash = hasher.verify_and_update(password, stored)
    except HashBusy as busy:
        # No password was checked: the attempt must not eat into the person's budget.
        write_locked(db)
        throttle.forget(db, attempt)
        db.commit()
        return LoginResult(LoginOutcome.busy, _(BUSY_MESSAGE), retry_after=busy.retry_after)
    write_locked(db)
    if not ok or user is None or not user.active:
        # The reserved row stays: it is the failure.
        throttle.sweep(db, attempt_id=attempt, settings=settings, now=now)
        record(db, action="login.failed", target=account, ip=ip)
        db.commit()
        if user is not None and user.active and stored is None:
            # Imported people have no password until they activate: a plain "wrong
            # password" sends them round in circles. (NIPs are printed on every SK; that
            # the account exists is no secret worth the confusion.)
            return LoginResult(
                LoginOutcome.invalid,
                _(
                    "Akun ini belum diaktifkan. Minta kode aktivasi kepada admin OPD Anda, "
                    "lalu buat kata sandi di halaman Aktivasi akun."
                ),
            )
        return LoginResult(LoginOutcome.invalid, _("NIP/email atau kata sandi salah."))
    throttle.forget(db, attempt)
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
    problem = new_password_problem(new, confirm, nip=user.nip)
    if problem:
        return problem, None
    sessions.set_password(db, user, hasher.hash(new), now=now)
    token = sessions.create(
        db, user_id=user.id, settings=settings, now=now, ip=ip, user_agent=user_agent
    )
    record(db, action="password.changed", actor_id=user.id, ip=ip)
    db.commit()
    return None, token
