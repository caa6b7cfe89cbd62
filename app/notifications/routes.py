"""The Notifikasi page and the header's bell. Plain forms: works without JavaScript."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.exc import SQLAlchemyError

from app.auth.deps import CurrentUser
from app.notifications import inbox
from app.web import SessionDep, redirect_after_post, render

router = APIRouter()


def unread_badge(request: Request) -> int:
    """The bell's count, for base.html (a template global set by app.main).

    Asked only when a full page renders (htmx fragments have no header), on the request's
    own session (app.web.session keeps it on request.state), so no second connection is
    taken while the route holds one: with every pool connection held by a route, a second
    checkout would wait forever. A page without a request session (an error page raised
    before the route), or after a failed transaction, shows the bell without a count
    rather than failing again.
    """
    auth = getattr(request.state, "auth", None)
    db = getattr(request.state, "db", None)
    if auth is None or db is None:
        return 0
    try:
        return inbox.unread_count(db, user_id=auth.user_id)
    except SQLAlchemyError:
        return 0


@router.get("/notifikasi")
def notifications_page(request: Request, db: SessionDep, user: CurrentUser):
    items = inbox.recent(db, user_id=user.id)
    return render(request, "notifications/list.html", {"items": items})


@router.post("/notifikasi/{notification_id}/buka")
def open_notification(request: Request, db: SessionDep, user: CurrentUser, notification_id: int):
    link = inbox.open_notification(
        db, user_id=user.id, notification_id=notification_id, now=request.app.state.clock()
    )
    return redirect_after_post(request, link)


@router.post("/notifikasi/baca-semua")
def read_all(request: Request, db: SessionDep, user: CurrentUser):
    inbox.mark_all_read(db, user_id=user.id, now=request.app.state.clock())
    return redirect_after_post(request, "/notifikasi")
