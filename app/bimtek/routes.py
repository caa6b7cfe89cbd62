"""Bimtek pages: "Bimtek saya", check-in, sessions for OPD admins and Diskominfo, the
facilitator's check-in screen and the printable lists."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import select
from starlette.datastructures import FormData

from app.auth.deps import CurrentUser, Monitor, Staff, require_role
from app.bimtek import checkin, documents, forms, service
from app.bimtek.models import AttendanceMethod, BimtekDay, BimtekSession, Nomination
from app.bimtek.models import NominationStatus as Status
from app.i18n import gettext as _
from app.labels import LABELS
from app.users.models import Role, User
from app.web import FormDep, SessionDep, client_ip, is_htmx, redirect_after_post, render

router = APIRouter()

# Nominating and deciding on nominations: OPD admins (their own OPD) and admins.
Nominator = Annotated[User, Depends(require_role(Role.opd_admin))]

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
    """A time of day in Asia/Jakarta, as shown on pages and lists ("08.30")."""
    return "—" if value is None else forms.to_local(value).strftime("%H.%M")


def _common() -> dict[str, Any]:
    return {
        "jam": jam,
        "status_labels": STATUS_LABELS,
        "status_tags": STATUS_TAGS,
        "method_labels": METHOD_LABELS,
        "Status": Status,
    }


def _now(request: Request) -> datetime:
    return request.app.state.clock()


def _key(request: Request) -> bytes:
    return checkin.derive_key(request.app.state.settings.secret)


def _int_or_none(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _session_or_404(db, session_id: int) -> BimtekSession:
    session = service.get_session(db, session_id)
    if session is None:
        raise HTTPException(404)
    return session


def _day_or_404(db, session_id: int, day_id: int) -> tuple[BimtekSession, BimtekDay]:
    session = _session_or_404(db, session_id)
    day = service.get_day(db, session_id=session_id, day_id=day_id)
    if day is None:
        raise HTTPException(404)
    return session, day


def _forbidden(exc: PermissionError) -> HTTPException:
    return HTTPException(403, str(exc) or _("Anda tidak memiliki akses ke halaman ini."))


# --- learners ------------------------------------------------------------------------------


def _mine_page(request, db, user, *, flash=None, flash_kind="ok", status_code=200):
    now = _now(request)
    upcoming, history = service.my_bimtek(db, user=user, now=now)
    facilitating = [
        s
        for s in service.list_sessions(db)
        if service.is_facilitator(user, s)
        and (s.last_day is None or s.last_day.date >= service.local_today(now))
    ]
    return render(
        request,
        "bimtek/mine.html",
        {
            **_common(),
            "upcoming": upcoming,
            "history": history,
            "facilitating": facilitating,
            "today": service.local_today(now),
            "credits": service.jp_credits(db, user_id=user.id),
            "is_staff": user.has_role(Role.opd_admin, Role.kominfo, Role.admin),
            "flash": flash,
            "flash_kind": flash_kind,
        },
        status_code=status_code,
    )


@router.get("/bimtek")
def my_bimtek(request: Request, db: SessionDep, user: CurrentUser, n: str | None = None):
    flash, kind = None, "ok"
    nomination = db.get(Nomination, _int_or_none(n)) if _int_or_none(n) else None
    if nomination is not None and nomination.user_id == user.id:
        flash, kind = service.describe(db, nomination, own=True)
    return _mine_page(request, db, user, flash=flash, flash_kind=kind)


@router.post("/bimtek/sesi/{session_id}/daftar")
def self_register(request: Request, db: SessionDep, user: CurrentUser, session_id: int):
    try:
        outcome = service.self_register(
            db, session_id=session_id, user=user, now=_now(request), ip=client_ip(request)
        )
    except LookupError as exc:
        raise HTTPException(404) from exc
    except service.BimtekError as exc:
        return _mine_page(request, db, user, flash=str(exc), flash_kind="error", status_code=409)
    return redirect_after_post(request, f"/bimtek?n={outcome.nomination.id}")


@router.post("/bimtek/sesi/{session_id}/mundur")
def withdraw_self(request: Request, db: SessionDep, user: CurrentUser, session_id: int):
    nomination = service.my_nomination(db, session_id=session_id, user_id=user.id)
    if nomination is None:
        raise HTTPException(404)
    try:
        service.withdraw(
            db,
            nomination_id=nomination.id,
            actor=user,
            now=_now(request),
            ip=client_ip(request),
        )
    except service.BimtekError as exc:
        return _mine_page(request, db, user, flash=str(exc), flash_kind="error", status_code=409)
    return redirect_after_post(request, f"/bimtek?n={nomination.id}")


def _checkin_page(
    request,
    db,
    user,
    *,
    session_id: int | None,
    day_id: int | None,
    code: str,
    method: str,
    error: str | None = None,
    recorded=None,
    status_code: int = 200,
):
    now = _now(request)
    target = None
    if session_id is not None and day_id is not None:
        target = service.get_day(db, session_id=session_id, day_id=day_id)
    return render(
        request,
        "bimtek/checkin.html",
        {
            **_common(),
            "target": target,
            "code": (code or "")[:16],
            "method": method,
            "error": error,
            "recorded": recorded,
            "todays": service.todays_days(db, user_id=user.id, now=now),
            "code_length": checkin.CODE_LENGTH,
        },
        block="checkin_form",
        status_code=status_code,
    )


@router.get("/bimtek/absen")
def checkin_form(
    request: Request,
    db: SessionDep,
    user: CurrentUser,
    sesi: str | None = None,
    hari: str | None = None,
    kode: str | None = None,
    tercatat: str | None = None,
):
    """The confirm form a scanned QR code opens; it only shows, the POST records."""
    recorded = None
    day_id = _int_or_none(tercatat)
    if day_id is not None:
        recorded = service.attendance_record(db, day_id=day_id, user_id=user.id)
    return _checkin_page(
        request,
        db,
        user,
        session_id=_int_or_none(sesi),
        day_id=_int_or_none(hari),
        code=kode or "",
        method=AttendanceMethod.qr.value if kode else AttendanceMethod.code.value,
        recorded=recorded,
    )


@router.post("/bimtek/absen")
def checkin_submit(request: Request, form: FormDep, db: SessionDep, user: CurrentUser):
    session_id, day_id = _int_or_none(form.get("sesi")), _int_or_none(form.get("hari"))
    code = str(form.get("kode") or "")[:32]
    method = (
        AttendanceMethod.qr if form.get("cara") == AttendanceMethod.qr else AttendanceMethod.code
    )
    try:
        result = service.check_in(
            db,
            user=user,
            code=code,
            key=_key(request),
            now=_now(request),
            session_id=session_id,
            day_id=day_id,
            method=method,
        )
    except service.CheckinRefused as exc:
        return _checkin_page(
            request,
            db,
            user,
            session_id=session_id,
            day_id=day_id,
            code=code,
            method=method.value,
            error=str(exc),
            status_code=200 if is_htmx(request) else exc.status_code,
        )
    return redirect_after_post(request, f"/bimtek/absen?tercatat={result.day.id}")


# --- staff: sessions ------------------------------------------------------------------------


@router.get("/bimtek/sesi")
def sessions_list(request: Request, db: SessionDep, user: Staff):
    return render(
        request,
        "bimtek/sessions.html",
        {
            **_common(),
            "rows": service.sessions_for_staff(db, user=user),
            "scope": service.staff_scope(user),
            "can_create": service.is_monitor(user),
        },
    )


def _form_page(request, db, *, form, errors, session=None, status_code=200):
    return render(
        request,
        "bimtek/form.html",
        {
            **_common(),
            "form": form,
            "errors": errors,
            "session": session,
            "courses": service.bimtek_courses(db),
            "opds": service.active_opds(db),
            "day_rows": forms.day_rows_for(form),
            "open_quotas": any(k.startswith("kuota-") and v for k, v in {**form, **errors}.items()),
        },
        block="session_form",
        status_code=status_code,
    )


def _invalid(request, db, *, form, errors, session=None):
    return _form_page(
        request,
        db,
        form=form,
        errors=errors,
        session=session,
        status_code=200 if is_htmx(request) else 422,
    )


def _posted(data: FormData) -> dict[str, str]:
    return {key: str(value) for key, value in data.items() if isinstance(value, str)}


@router.get("/bimtek/sesi/baru")
def new_session(request: Request, db: SessionDep, user: Monitor):
    now = forms.to_local(_now(request)).replace(second=0, microsecond=0)
    form = {
        "kapasitas": "30",
        "persen_hadir": "100",
        "jp": "16",
        "daftar_buka": now.strftime("%Y-%m-%dT%H:%M"),
        "daftar_tutup": (now + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
    }
    return _form_page(request, db, form=form, errors={})


@router.post("/bimtek/sesi/baru")
def create_session(request: Request, posted: FormDep, db: SessionDep, user: Monitor):
    form = _posted(posted)
    opd_ids = [o.id for o in service.active_opds(db)]
    data, errors = forms.parse_session_form(form, opd_ids=opd_ids)
    if data is None:
        return _invalid(request, db, form=form, errors=errors)
    try:
        session = service.create_session(
            db, data=data, actor=user, now=_now(request), ip=client_ip(request)
        )
    except service.SessionInvalid as exc:
        return _invalid(request, db, form=form, errors=exc.errors)
    return redirect_after_post(request, f"/bimtek/sesi/{session.id}")


@router.get("/bimtek/sesi/{session_id}")
def session_page(
    request: Request,
    db: SessionDep,
    user: Staff,
    session_id: int,
    q: str = "",
    n: str | None = None,
):
    session = _session_or_404(db, session_id)
    flash, kind = None, "ok"
    scope = service.staff_scope(user)
    nomination = db.get(Nomination, _int_or_none(n)) if _int_or_none(n) else None
    if nomination is not None and nomination.session_id == session.id:
        if scope.allows(nomination.opd_id):
            flash, kind = service.describe(db, nomination)
    return _session_page(
        request, db, user, session, q=q, flash=flash, flash_kind=kind, block="search_results"
    )


def _session_page(
    request, db, user, session, *, q="", flash=None, flash_kind="ok", status=200, block=None
):
    scope = service.staff_scope(user)
    can_nominate = user.has_role(Role.opd_admin, Role.admin)
    results = []
    if can_nominate and q:
        results = service.search_people(db, scope=scope, query=q[:100], session_id=session.id)
    nominations = service.nominations_of(db, session_id=session.id, scope=scope)
    ranks = {
        n.id: service.waitlist_rank(db, n) for n in nominations if n.status == Status.waitlisted
    }
    return render(
        request,
        "bimtek/session.html",
        {
            **_common(),
            "session": session,
            "scope": scope,
            "fill": service.fill_by_opd(db, session=session, scope=scope),
            "confirmed_total": service.confirmed_count(db, session_id=session.id),
            "pending": [n for n in nominations if n.status == Status.pending],
            "participants": [n for n in nominations if n.status != Status.pending],
            "ranks": ranks,
            "q": q,
            "results": results,
            "can_nominate": can_nominate,
            "can_edit": service.is_monitor(user),
            "can_run_checkin": service.can_run_checkin(user, session),
            "registration_open": session.registration_opens
            <= _now(request)
            <= session.registration_closes,
            "flash": flash,
            "flash_kind": flash_kind,
        },
        block=block,
        status_code=status,
    )


@router.get("/bimtek/sesi/{session_id}/ubah")
def edit_session(request: Request, db: SessionDep, user: Monitor, session_id: int):
    session = _session_or_404(db, session_id)
    return _form_page(request, db, form=forms.session_to_form(session), errors={}, session=session)


@router.post("/bimtek/sesi/{session_id}/ubah")
def update_session(
    request: Request, posted: FormDep, db: SessionDep, user: Monitor, session_id: int
):
    session = _session_or_404(db, session_id)
    form = _posted(posted)
    data, errors = forms.parse_session_form(form, opd_ids=[o.id for o in service.active_opds(db)])
    if data is None:
        return _invalid(request, db, form=form, errors=errors, session=session)
    try:
        service.update_session(
            db,
            session_id=session_id,
            data=data,
            actor=user,
            now=_now(request),
            ip=client_ip(request),
        )
    except LookupError as exc:
        raise HTTPException(404) from exc
    except service.SessionInvalid as exc:
        session = _session_or_404(db, session_id)
        return _invalid(request, db, form=form, errors=exc.errors, session=session)
    return redirect_after_post(request, f"/bimtek/sesi/{session_id}")


# --- staff: nominations ---------------------------------------------------------------------


@router.post("/bimtek/sesi/{session_id}/nominasi")
def nominate(request: Request, form: FormDep, db: SessionDep, user: Nominator, session_id: int):
    person_id = _int_or_none(form.get("pegawai"))
    session = _session_or_404(db, session_id)
    if person_id is None:
        return _session_page(
            request,
            db,
            user,
            session,
            flash=_("Pilih pegawai yang akan dinominasikan."),
            flash_kind="error",
            status=422,
        )
    try:
        outcome = service.nominate(
            db,
            session_id=session_id,
            person_id=person_id,
            actor=user,
            now=_now(request),
            ip=client_ip(request),
        )
    except LookupError as exc:
        raise HTTPException(404) from exc
    except PermissionError as exc:
        raise _forbidden(exc) from exc
    except service.BimtekError as exc:
        session = _session_or_404(db, session_id)
        return _session_page(
            request, db, user, session, flash=str(exc), flash_kind="error", status=409
        )
    return redirect_after_post(request, f"/bimtek/sesi/{session_id}?n={outcome.nomination.id}")


def _decide(request: Request, db, user: User, nomination_id: int, action):
    try:
        outcome = action(
            db,
            nomination_id=nomination_id,
            actor=user,
            now=_now(request),
            ip=client_ip(request),
        )
    except LookupError as exc:
        raise HTTPException(404) from exc
    except PermissionError as exc:
        raise _forbidden(exc) from exc
    except service.BimtekError as exc:
        session_id = db.scalar(select(Nomination.session_id).where(Nomination.id == nomination_id))
        session = _session_or_404(db, session_id)
        return _session_page(
            request, db, user, session, flash=str(exc), flash_kind="error", status=409
        )
    nomination = outcome.nomination
    return redirect_after_post(request, f"/bimtek/sesi/{nomination.session_id}?n={nomination.id}")


@router.post("/bimtek/nominasi/{nomination_id}/setujui")
def approve(request: Request, db: SessionDep, user: Nominator, nomination_id: int):
    return _decide(request, db, user, nomination_id, service.approve)


@router.post("/bimtek/nominasi/{nomination_id}/tolak")
def reject(request: Request, db: SessionDep, user: Nominator, nomination_id: int):
    return _decide(request, db, user, nomination_id, service.reject)


@router.post("/bimtek/nominasi/{nomination_id}/tarik")
def withdraw(request: Request, db: SessionDep, user: Nominator, nomination_id: int):
    return _decide(request, db, user, nomination_id, service.withdraw)


# --- attendance -----------------------------------------------------------------------------


@router.get("/bimtek/sesi/{session_id}/hari/{day_id}")
def day_page(request: Request, db: SessionDep, user: Staff, session_id: int, day_id: int):
    session, day = _day_or_404(db, session_id, day_id)
    scope = service.staff_scope(user)
    rows = service.day_attendance(db, day=day, scope=scope)
    return render(
        request,
        "bimtek/day.html",
        {
            **_common(),
            "session": session,
            "day": day,
            "rows": rows,
            "present": sum(1 for r in rows if r.attendance),
            "scope": scope,
            "can_run_checkin": service.can_run_checkin(user, session),
        },
    )


def _screen(request, db, user, session_id: int, day_id: int, *, block=None, error=None, status=200):
    session, day = _day_or_404(db, session_id, day_id)
    if not service.can_run_checkin(user, session):
        raise HTTPException(
            403, _("Hanya fasilitator bimtek ini yang dapat membuka layar absensi.")
        )
    now = _now(request)
    code = checkin.current_code(_key(request), session.id, day.id, now)
    url = checkin.checkin_url(request.app.state.settings.base_url, session.id, day.id, code)
    present, confirmed = service.live_attendance(db, day=day)
    return render(
        request,
        "bimtek/screen.html",
        {
            **_common(),
            "session": session,
            "day": day,
            "code": code,
            # segno draws the SVG from our own URL; no user text reaches it.
            "qr": Markup(checkin.qr_svg(url, title=_("Kode QR daftar hadir"))),  # noqa: S704
            "checkin_url": request.app.state.settings.base_url.rstrip("/") + checkin.CHECKIN_PATH,
            "seconds_left": checkin.seconds_left(now),
            "present": present,
            "confirmed": confirmed,
            "absent": service.not_yet_present(db, day=day),
            "opens_closes": service.checkin_window(day),
            "closed_because": service.checkin_problem(day, now),
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
    person_id = _int_or_none(form.get("peserta"))
    error = None
    try:
        if person_id is None:
            raise service.CheckinRefused(_("Pilih peserta yang hadir."))
        service.mark_present(
            db,
            session_id=session_id,
            day_id=day_id,
            person_id=person_id,
            actor=user,
            now=_now(request),
            ip=client_ip(request),
        )
    except LookupError as exc:
        raise HTTPException(404) from exc
    except PermissionError as exc:
        raise _forbidden(exc) from exc
    except service.CheckinRefused as exc:
        error = str(exc)
    if is_htmx(request):
        return _screen(request, db, user, session_id, day_id, block="list_block", error=error)
    if error:
        return _screen(request, db, user, session_id, day_id, error=error, status=422)
    return redirect_after_post(request, f"/bimtek/sesi/{session_id}/hari/{day_id}/absen")


# --- documents ------------------------------------------------------------------------------


def _document_scope(user: User, session: BimtekSession) -> service.Scope:
    try:
        return service.document_scope(user, session)
    except PermissionError as exc:
        raise _forbidden(exc) from exc


def _attendance_document(request, db, user, session_id: int, day_id: int):
    session, day = _day_or_404(db, session_id, day_id)
    scope = _document_scope(user, session)
    settings = request.app.state.settings
    header, lines, summary = service.attendance_sheet(
        db,
        session=session,
        day=day,
        scope=scope,
        city=settings.city_name,
        office=settings.office_name,
    )
    return session, day, header, lines, summary


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )


@router.get("/bimtek/sesi/{session_id}/hari/{day_id}/daftar-hadir.pdf")
def attendance_pdf(
    request: Request, db: SessionDep, user: CurrentUser, session_id: int, day_id: int
):
    session, day, header, lines, summary = _attendance_document(
        request, db, user, session_id, day_id
    )
    content = documents.attendance_pdf(header, lines, summary=summary)
    return _download(content, "application/pdf", f"daftar-hadir-{session.id}-{day.date}.pdf")


@router.get("/bimtek/sesi/{session_id}/hari/{day_id}/daftar-hadir.xlsx")
def attendance_xlsx(
    request: Request, db: SessionDep, user: CurrentUser, session_id: int, day_id: int
):
    session, day, header, lines, summary = _attendance_document(
        request, db, user, session_id, day_id
    )
    content = documents.attendance_xlsx(header, lines, summary=summary)
    return _download(content, XLSX, f"daftar-hadir-{session.id}-{day.date}.xlsx")


@router.get("/bimtek/sesi/{session_id}/peserta.xlsx")
def participants_xlsx(request: Request, db: SessionDep, user: Staff, session_id: int):
    session = _session_or_404(db, session_id)
    scope = service.staff_scope(user)
    settings = request.app.state.settings
    header, groups = service.participant_sheets(
        db, session=session, scope=scope, city=settings.city_name, office=settings.office_name
    )
    content = documents.participants_xlsx(header, groups)
    return _download(content, XLSX, f"peserta-bimtek-{session.id}.xlsx")
