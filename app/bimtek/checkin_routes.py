"""A bimtek day for staff and facilitators: the day's attendance list, the facilitator's
check-in screen (rotating QR and short code, who is in, marking present by hand) and the
printable daftar hadir."""

from __future__ import annotations

from fastapi import APIRouter, Request
from markupsafe import Markup

from app.auth.deps import CurrentUser, Staff
from app.bimtek import attendance, checkin, printouts, sheets
from app.bimtek.access import can_run_checkin, document_scope
from app.bimtek.pages import XLSX, code_key, common, day_or_404, download, int_or_none, now
from app.errors import NotAllowed
from app.i18n import gettext as _
from app.users.scope import read_scope
from app.web import FormDep, SessionDep, client_ip, is_htmx, redirect_after_post, render

router = APIRouter()


@router.get("/bimtek/sesi/{session_id}/hari/{day_id}")
def day_page(request: Request, db: SessionDep, user: Staff, session_id: int, day_id: int):
    session, day = day_or_404(db, session_id, day_id)
    scope = read_scope(user)
    rows = attendance.day_attendance(db, day=day, scope=scope)
    return render(
        request,
        "bimtek/day.html",
        {
            **common(),
            "session": session,
            "day": day,
            "rows": rows,
            "present": sum(1 for r in rows if r.attendance),
            "scope": scope,
            "can_run_checkin": can_run_checkin(user, session),
        },
    )


def _screen(request, db, user, session_id: int, day_id: int, *, block=None, error=None, status=200):
    session, day = day_or_404(db, session_id, day_id)
    if not can_run_checkin(user, session):
        raise NotAllowed(_("Hanya fasilitator bimtek ini yang dapat membuka layar absensi."))
    at = now(request)
    code = checkin.current_code(code_key(request), session.id, day.id, at)
    url = checkin.checkin_url(request.app.state.settings.base_url, session.id, day.id, code)
    present, confirmed = attendance.live_attendance(db, day=day)
    return render(
        request,
        "bimtek/screen.html",
        {
            **common(),
            "session": session,
            "day": day,
            "code": code,
            # segno draws the SVG from our own URL; no user text reaches it.
            "qr": Markup(checkin.qr_svg(url, title=_("Kode QR daftar hadir"))),  # noqa: S704
            "checkin_url": request.app.state.settings.base_url.rstrip("/") + checkin.CHECKIN_PATH,
            "seconds_left": checkin.seconds_left(at),
            "present": present,
            "confirmed": confirmed,
            "absent": attendance.not_yet_present(db, day=day),
            "opens_closes": attendance.checkin_window(day),
            "closed_because": attendance.checkin_problem(day, at),
            "error": error,
        },
        block=block,
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/bimtek/sesi/{session_id}/hari/{day_id}/absen")
def checkin_screen(
    request: Request, db: SessionDep, user: CurrentUser, session_id: int, day_id: int
):
    return _screen(request, db, user, session_id, day_id)


@router.get("/bimtek/sesi/{session_id}/hari/{day_id}/absen/kode")
def checkin_screen_code(
    request: Request, db: SessionDep, user: CurrentUser, session_id: int, day_id: int
):
    """htmx polls this every 15 s: the QR code and short code of the current window."""
    return _screen(request, db, user, session_id, day_id, block="qr_block")


@router.get("/bimtek/sesi/{session_id}/hari/{day_id}/absen/hadir")
def checkin_screen_list(
    request: Request, db: SessionDep, user: CurrentUser, session_id: int, day_id: int
):
    """htmx polls this every 5 s: who is present."""
    return _screen(request, db, user, session_id, day_id, block="list_block")


@router.post("/bimtek/sesi/{session_id}/hari/{day_id}/absen/manual")
def mark_present(
    request: Request, form: FormDep, db: SessionDep, user: CurrentUser, session_id: int, day_id: int
):
    person_id = int_or_none(form.get("peserta"))
    error = None
    try:
        if person_id is None:
            raise attendance.CheckinRefused(_("Pilih peserta yang hadir."))
        attendance.mark_present(
            db,
            session_id=session_id,
            day_id=day_id,
            person_id=person_id,
            actor=user,
            now=now(request),
            ip=client_ip(request),
        )
    except attendance.CheckinRefused as exc:
        error = str(exc)
    if is_htmx(request):
        return _screen(request, db, user, session_id, day_id, block="list_block", error=error)
    if error:
        return _screen(request, db, user, session_id, day_id, error=error, status=422)
    return redirect_after_post(request, f"/bimtek/sesi/{session_id}/hari/{day_id}/absen")


def _attendance_document(request, db, user, session_id: int, day_id: int):
    session, day = day_or_404(db, session_id, day_id)
    settings = request.app.state.settings
    header, lines, summary = sheets.attendance_sheet(
        db,
        session=session,
        day=day,
        scope=document_scope(user, session),
        city=settings.city_name,
        office=settings.office_name,
    )
    return session, day, header, lines, summary


@router.get("/bimtek/sesi/{session_id}/hari/{day_id}/daftar-hadir.pdf")
def attendance_pdf(
    request: Request, db: SessionDep, user: CurrentUser, session_id: int, day_id: int
):
    session, day, header, lines, summary = _attendance_document(
        request, db, user, session_id, day_id
    )
    content = printouts.attendance_pdf(header, lines, summary=summary)
    return download(content, "application/pdf", f"daftar-hadir-{session.id}-{day.date}.pdf")


@router.get("/bimtek/sesi/{session_id}/hari/{day_id}/daftar-hadir.xlsx")
def attendance_xlsx(
    request: Request, db: SessionDep, user: CurrentUser, session_id: int, day_id: int
):
    session, day, header, lines, summary = _attendance_document(
        request, db, user, session_id, day_id
    )
    content = printouts.attendance_xlsx(header, lines, summary=summary)
    return download(content, XLSX, f"daftar-hadir-{session.id}-{day.date}.xlsx")
