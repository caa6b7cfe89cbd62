"""Server-side sessions: the cookie carries a random token, the database its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.auth.models import AuthSession
from app.config import Settings
from app.db import write_locked
from app.opds.models import Opd
from app.users.models import EmploymentStatus, Role, User, UserRole
from app.web.cookies import SESSION_COOKIE

COOKIE_NAME = SESSION_COOKIE
# Writing last_seen_at on every request would turn every page view into a write; five
# minutes of precision is plenty for an idle timeout counted in hours. (At one minute,
# the touch — a write transaction in a thread — cost the module-page benchmark as much
# CPU as all its session reads: 2,000 learners in an exam wrote it 33 times a second.)
TOUCH_INTERVAL = timedelta(minutes=5)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_cookie(response: Response, token: str, settings: Settings) -> None:
    """Hand the new session's token to the browser (login, activation)."""
    response.set_cookie(
        COOKIE_NAME,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_absolute_minutes * 60,
        path="/",
    )


def create(
    db: Session,
    *,
    user_id: int,
    settings: Settings,
    now: datetime,
    ip: str | None = None,
    user_agent: str | None = None,
) -> str:
    """Start a session and return the raw token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    db.add(
        AuthSession(
            id=token_hash(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(minutes=settings.session_absolute_minutes),
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    return token


@dataclass(frozen=True, slots=True)
class SessionOpd:
    id: int
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class SessionUser:
    """The person asking, as read with their session: the user's columns, OPD and roles.

    A plain value, not the ORM `User`: every page needs it and the ORM spent more on
    loading it than the page spent on its own queries. Code that changes the person
    loads the `User` row by `id` (app.auth.routes)."""

    id: int
    nip: str | None
    nik: str | None
    full_name: str
    email: str | None
    opd_id: int | None
    jabatan: str | None
    golongan: str | None
    tmt: date | None
    employment_status: EmploymentStatus
    active: bool
    password_hash: str | None
    password_changed_at: datetime | None
    locale: str
    created_at: datetime
    opd: SessionOpd | None
    roles: frozenset[Role]

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True, slots=True)
class LoggedIn:
    """A live session (`load`) and its user."""

    id: str
    user_id: int
    last_seen_at: datetime
    expires_at: datetime
    user: SessionUser


_USER_FIELDS = tuple(f for f in SessionUser.__slots__ if f not in ("opd", "roles"))
_USER_COLUMNS = tuple(getattr(User, f) for f in _USER_FIELDS)
# The session, its user, OPD and roles in one statement: one row per role.
_LOAD = (
    select(
        AuthSession.id,
        AuthSession.last_seen_at,
        AuthSession.expires_at,
        *_USER_COLUMNS,
        Opd.code,
        Opd.name,
        UserRole.role,
    )
    .join(User, User.id == AuthSession.user_id)
    .outerjoin(Opd, Opd.id == User.opd_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(AuthSession.id == bindparam("session_id"))
)


def _read(execute, token: str) -> LoggedIn | None:
    """The session row of a token with its user, whether live or not (one statement)."""
    rows = execute(_LOAD, {"session_id": token_hash(token)}).all()
    if not rows:
        return None
    first = rows[0]
    session_id, last_seen, expires_at = first[:3]
    columns = dict(zip(_USER_FIELDS, first[3 : 3 + len(_USER_FIELDS)], strict=True))
    opd_id, code, name = columns["opd_id"], first[-3], first[-2]
    user = SessionUser(
        **columns,
        opd=SessionOpd(opd_id, code, name) if code is not None else None,
        roles=frozenset(row[-1] for row in rows if row[-1] is not None),
    )
    return LoggedIn(session_id, user.id, last_seen, expires_at, user)


def _expired(found: LoggedIn, settings: Settings, now: datetime) -> bool:
    idle_limit = found.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    return now >= found.expires_at or now >= idle_limit or not found.user.active


def load(db: Session, token: str | None, *, settings: Settings, now: datetime) -> LoggedIn | None:
    """The live session for a cookie token, or None. Expired sessions are deleted."""
    if not token or len(token) > 128:
        return None
    found = _read(db.execute, token)
    if found is None:
        return None
    if _expired(found, settings, now):
        write_locked(db)
        db.execute(delete(AuthSession).where(AuthSession.id == found.id))
        db.commit()
        return None
    if now - found.last_seen_at >= TOUCH_INTERVAL:
        # A write inside a read transaction must not be upgraded on SQLite (it fails fast
        # under concurrency); take the write lock in a fresh transaction instead.
        write_locked(db)
        db.execute(_TOUCH, {"session_id": found.id, "now": now})
        db.commit()
        found = replace(found, last_seen_at=now)
    return found


NEEDS_WRITE = object()


def read_live(
    conn: Connection, token: str | None, *, settings: Settings, now: datetime
) -> LoggedIn | None | object:
    """`load` without any write, for the event loop (`EventLoopReader`): the live
    session, None when there is none, or NEEDS_WRITE when `load` has work to do (an
    expired session to delete, a last-seen touch due) — the caller then runs `load` in
    a thread."""
    if not token or len(token) > 128:
        return None
    with conn.begin():
        found = _read(conn.execute, token)
    if found is None:
        return None
    if _expired(found, settings, now) or now - found.last_seen_at >= TOUCH_INTERVAL:
        return NEEDS_WRITE
    return found


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A session found valid by `check`: its id (the token's hash) and its user's id."""

    id: str
    user_id: int


_CHECK = (
    select(
        AuthSession.id,
        AuthSession.user_id,
        AuthSession.last_seen_at,
        AuthSession.expires_at,
        User.active,
    )
    .join(User, User.id == AuthSession.user_id)
    .where(AuthSession.id == bindparam("session_id"))
)


def check(
    conn: Connection, token: str | None, *, settings: Settings, now: datetime
) -> LiveSession | None:
    """The live session of a cookie token in one Core statement, without loading the user:
    for hot paths that need only who is asking (the answer save). Runs in the caller's
    transaction, which must already hold the write lock: a session due for its
    last-seen touch is touched in it. Anything else than a live session gives None, and
    the caller takes the full path (`load`), which also deletes an expired session."""
    if not token or len(token) > 128:
        return None
    row = conn.execute(_CHECK, {"session_id": token_hash(token)}).one_or_none()
    if row is None:
        return None
    session_id, user_id, last_seen, expires_at, active = row
    if (
        not active
        or now >= expires_at
        or now >= last_seen + timedelta(minutes=settings.session_idle_minutes)
    ):
        return None
    if now - last_seen >= TOUCH_INTERVAL:
        conn.execute(_TOUCH, {"session_id": session_id, "now": now})
    return LiveSession(session_id, user_id)


_TOUCH = (
    update(AuthSession)
    .where(AuthSession.id == bindparam("session_id"))
    .values(last_seen_at=bindparam("now"))
)


def destroy(db: Session, session_id: str) -> None:
    db.execute(delete(AuthSession).where(AuthSession.id == session_id))


def set_password(db: Session, user: User, password_hash: str, *, now: datetime) -> None:
    """The one way a password is set (change, reset link, activation): every session of
    the person ends — one opened with the old password must not outlive it — and the time
    is kept, which voids any reset link issued before (auth.password_reset)."""
    user.password_hash = password_hash
    user.password_changed_at = now
    destroy_all_for_user(db, user.id)


def destroy_all_for_user(db: Session, user_id: int, *, keep: str | None = None) -> None:
    stmt = delete(AuthSession).where(AuthSession.user_id == user_id)
    if keep:
        stmt = stmt.where(AuthSession.id != keep)
    db.execute(stmt)


def purge_expired(db: Session, *, now: datetime) -> int:
    """Delete sessions past their absolute expiry; returns how many. The caller commits
    (`cakap maintenance run`, scheduled daily)."""
    ids = db.scalars(select(AuthSession.id).where(AuthSession.expires_at <= now)).all()
    if ids:
        db.execute(delete(AuthSession).where(AuthSession.id.in_(ids)))
    return len(ids)
