"""Who is asking: the session, the current user and the one role check used by every route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.auth import sessions
from app.auth.sessions import LoggedIn, SessionUser
from app.users.models import Role
from app.web.errors import LoginRequired


async def current_auth(request: Request) -> LoggedIn | None:
    """The request's live session (or None), looked up once per request.

    On the event loop when the app has an `EventLoopReader` (SQLite) and the lookup has
    nothing to write; in a thread otherwise (PostgreSQL, an expired session to delete, a
    last-seen touch due: once a minute per session)."""
    if hasattr(request.state, "auth"):
        return request.state.auth
    state = request.app.state
    token = request.cookies.get(sessions.COOKIE_NAME)
    found = sessions.NEEDS_WRITE
    reader = getattr(state, "loop_reader", None)
    if reader is not None:
        try:
            found = sessions.read_live(
                reader.connection(), token, settings=state.settings, now=state.clock()
            )
        except SQLAlchemyError:
            reader.failed()  # the thread below answers, on a pooled connection
    if found is sessions.NEEDS_WRITE:
        found = await run_in_threadpool(_load_in_thread, request)
    request.state.auth = found
    return found


def _load_in_thread(request: Request) -> LoggedIn | None:
    with request.app.state.sessionmaker() as db:
        return _load(request, db)


def _load(request: Request, db) -> LoggedIn | None:
    state = request.app.state
    auth = sessions.load(
        db, request.cookies.get(sessions.COOKIE_NAME), settings=state.settings, now=state.clock()
    )
    request.state.auth = auth
    return auth


AuthDep = Annotated[LoggedIn | None, Depends(current_auth)]


# The checks below only read what current_auth loaded; as coroutines they run on the event
# loop instead of taking a threadpool hop each.
async def optional_user(auth: AuthDep) -> SessionUser | None:
    return auth.user if auth else None


async def current_user(auth: AuthDep) -> SessionUser:
    if auth is None:
        raise LoginRequired()
    return auth.user


async def session_token(request: Request) -> str:
    """The session cookie's token, for a route that checks the session itself on a lean
    path (quizzes.routes.save_one) instead of loading the user first: no cookie, no way
    in. Such a route calls `current_user_in_route` whenever the lean path did not settle
    the request, so a stale token ends on the login page as with `CurrentUser`."""
    token = request.cookies.get(sessions.COOKIE_NAME)
    if not token:
        raise LoginRequired()
    return token


session_token.checks_login = True  # read by the access-matrix test, like allowed_roles
SessionToken = Annotated[str, Depends(session_token)]


def current_user_in_route(request: Request, db: Session) -> SessionUser:
    """`CurrentUser` for a route that took `SessionToken`, called from the route itself."""
    auth = request.state.auth if hasattr(request.state, "auth") else _load(request, db)
    db.commit()  # end the read transaction: the route's next step may want the write lock
    if auth is None:
        raise LoginRequired()
    return auth.user


OptionalUser = Annotated[SessionUser | None, Depends(optional_user)]
CurrentUser = Annotated[SessionUser, Depends(current_user)]


def require_role(*roles: Role):
    """Dependency: the user must hold one of `roles` (admins may do everything)."""
    allowed = frozenset(roles) | {Role.admin}

    async def check(user: CurrentUser) -> SessionUser:
        if not user.roles & allowed:
            raise HTTPException(status_code=403, detail="Anda tidak memiliki akses ke halaman ini.")
        return user

    check.allowed_roles = allowed  # read by the access-matrix test
    return check


Staff = Annotated[SessionUser, Depends(require_role(Role.opd_admin, Role.kominfo))]
Monitor = Annotated[SessionUser, Depends(require_role(Role.kominfo))]
Admin = Annotated[SessionUser, Depends(require_role(Role.admin))]
# People managers: an OPD admin for their own OPD (scoped in the services), or an admin.
OpdManager = Annotated[SessionUser, Depends(require_role(Role.opd_admin))]
