"""What bimtek's route modules share: template helpers, the clock, ids from the query
string, the session/day lookups that answer 404, and file downloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response

from app import citytime
from app.bimtek import checkin, roster
from app.bimtek.models import AttendanceMethod, BimtekDay, BimtekSession
from app.bimtek.models import NominationStatus as Status
from app.errors import NotFound
from app.labels import LABELS

# The labels live in app.labels (one place for every stored value shown to people).
STATUS_LABELS = {s: LABELS["nomination_status"][s.value] for s in Status}
STATUS_TAGS = {
    Status.pending: "warn",
    Status.confirmed: "ok",
    Status.waitlisted: "warn",
    Status.withdrawn: "",
    Status.rejected: "err",
}
METHOD_LABELS = {m: LABELS["attendance_method"][m.value] for m in AttendanceMethod}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def jam(value: datetime | None) -> str:
    """A time of day in the city's zone, as shown on pages and lists ("08.30"); the pages
    name the zone once, in a column heading or after a span (zone_label())."""
    return "—" if value is None else citytime.time_of_day(value)


def common() -> dict[str, Any]:
    """Template context every bimtek page uses."""
    return {
        "jam": jam,
        "hhmm": citytime.hhmm,
        "hours": citytime.hours,
        "status_labels": STATUS_LABELS,
        "status_tags": STATUS_TAGS,
        "method_labels": METHOD_LABELS,
        "Status": Status,
    }


def now(request: Request) -> datetime:
    return request.app.state.clock()


def code_key(request: Request) -> bytes:
    return checkin.derive_key(request.app.state.settings.secret)


def int_or_none(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def session_or_404(db, session_id: int) -> BimtekSession:
    session = roster.get_session(db, session_id)
    if session is None:
        raise NotFound()
    return session


def day_or_404(db, session_id: int, day_id: int) -> tuple[BimtekSession, BimtekDay]:
    session = session_or_404(db, session_id)
    day = roster.get_day(db, session_id=session_id, day_id=day_id)
    if day is None:
        raise NotFound()
    return session, day


def download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )
