"""Server-side sessions: the cookie carries a random token, the database its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.orm import Session, joinedload
from starlette.responses import Response

from app.auth.models import AuthSession
from app.config import Settings
from app.db import write_locked
from app.users.models import User
from app.web.cookies import SESSION_COOKIE

COOKIE_NAME = SESSION_COOKIE
# Writing last_seen_at on every request would turn every page view into a write;
# a minute of precision is plenty for an idle timeout counted in hours.
TOUCH_INTERVAL = timedelta(seconds=60)


_WITH_USER = [joinedload(AuthSession.user).joinedload(User.role_rows)]


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


def load(
    db: Session, token: str | None, *, settings: Settings, now: datetime
) -> AuthSession | None:
    """The live session for a cookie token, or None. Expired sessions are deleted."""
    if not token or len(token) > 128:
        return None
    # One query for the session, its user, OPD and roles (every request runs this).
    auth = db.get(AuthSession, token_hash(token), options=_WITH_USER)
    if auth is None:
        return None
    idle_limit = auth.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if now >= auth.expires_at or now >= idle_limit or not auth.user.active:
        write_locked(db)
        db.execute(delete(AuthSession).where(AuthSession.id == auth.id))
        db.commit()
        return None
    if now - auth.last_seen_at >= TOUCH_INTERVAL:
        # A write inside a read transaction must not be upgraded on SQLite (it fails fast
        # under concurrency); take the write lock in a fresh transaction instead.
        write_locked(db)
        db.execute(update(AuthSession).where(AuthSession.id == auth.id).values(last_seen_at=now))
        db.commit()
        auth.last_seen_at = now
    return auth


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
