"""Who is asking: the session, the current user and the one role check used by every route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.auth import sessions
from app.auth.sessions import LoggedIn, SessionUser
from app.users.models import Role
from app.web import SessionDep
from app.web.errors import LoginRequired


def current_auth(request: Request, db: SessionDep) -> LoggedIn | None:
    if not hasattr(request.state, "auth"):
        request.state.auth = sessions.load(
            db,
            request.cookies.get(sessions.COOKIE_NAME),
            settings=request.app.state.settings,
            now=request.app.state.clock(),
        )
        # Give the connection back before FastAPI hops to another thread for the route: a
        # request that holds a connection while it waits for a free thread, with every
        # thread waiting for a connection, deadlocks the worker until the pool times out.
        db.commit()
    return request.state.auth


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


def current_user_in_route(request: Request, db: SessionDep) -> SessionUser:
    """`CurrentUser` for a route that took `SessionToken`, called from the route itself."""
    auth = current_auth(request, db)
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
