"""The learner's bimtek pages: "Bimtek saya", self-registration and withdrawal, check-in."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app import citytime
from app.auth.deps import CurrentUser
from app.bimtek import attendance, checkin, completion, learner, roster, seats
from app.bimtek.access import BimtekError, is_facilitator
from app.bimtek.models import AttendanceMethod, Nomination
from app.bimtek.pages import code_key, common, int_or_none, now
from app.errors import NotFound
from app.users.models import Role
from app.web import FormDep, SessionDep, client_ip, is_htmx, redirect_after_post, render

router = APIRouter()


def _mine_page(request, db, user, *, flash=None, flash_kind="ok", status_code=200):
    at = now(request)
    today = citytime.today(at)
    upcoming, history = learner.my_bimtek(db, user=user, now=at)
    facilitating = [
        s
        for s in roster.list_sessions(db)
        if is_facilitator(user, s) and (s.last_day is None or s.last_day.date >= today)
    ]
    return render(
        request,
        "bimtek/mine.html",
        {
            **common(),
            "upcoming": upcoming,
            "history": history,
            "facilitating": facilitating,
            "today": today,
            "credits": completion.jp_credits(db, user_id=user.id),
            "is_staff": user.has_role(Role.opd_admin, Role.kominfo, Role.admin),
            "flash": flash,
            "flash_kind": flash_kind,
        },
        status_code=status_code,
    )


@router.get("/bimtek")
def my_bimtek(request: Request, db: SessionDep, user: CurrentUser, n: str | None = None):
    flash, kind = None, "ok"
    nomination = db.get(Nomination, int_or_none(n)) if int_or_none(n) else None
    if nomination is not None and nomination.user_id == user.id:
        flash, kind = roster.describe(db, nomination, own=True)
    return _mine_page(request, db, user, flash=flash, flash_kind=kind)


@router.post("/bimtek/sesi/{session_id}/daftar")
def self_register(request: Request, db: SessionDep, user: CurrentUser, session_id: int):
    try:
        outcome = seats.self_register(
            db, session_id=session_id, user=user, now=now(request), ip=client_ip(request)
        )
    except BimtekError as exc:
        return _mine_page(request, db, user, flash=str(exc), flash_kind="error", status_code=409)
    return redirect_after_post(request, f"/bimtek?n={outcome.nomination.id}")


@router.post("/bimtek/sesi/{session_id}/mundur")
def withdraw_self(request: Request, db: SessionDep, user: CurrentUser, session_id: int):
    nomination = roster.my_nomination(db, session_id=session_id, user_id=user.id)
    if nomination is None:
        raise NotFound()
    try:
        seats.withdraw(
            db,
            nomination_id=nomination.id,
            actor=user,
            now=now(request),
            ip=client_ip(request),
        )
    except BimtekError as exc:
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
    target = None
    if session_id is not None and day_id is not None:
        target = roster.get_day(db, session_id=session_id, day_id=day_id)
    return render(
        request,
        "bimtek/checkin.html",
        {
            **common(),
            "target": target,
            "code": (code or "")[:16],
            "method": method,
            "error": error,
            "recorded": recorded,
            "todays": attendance.todays_days(db, user_id=user.id, now=now(request)),
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
    day_id = int_or_none(tercatat)
    if day_id is not None:
        recorded = attendance.attendance_record(db, day_id=day_id, user_id=user.id)
    return _checkin_page(
        request,
        db,
        user,
        session_id=int_or_none(sesi),
        day_id=int_or_none(hari),
        code=kode or "",
        method=AttendanceMethod.qr.value if kode else AttendanceMethod.code.value,
        recorded=recorded,
    )


@router.post("/bimtek/absen")
def checkin_submit(request: Request, form: FormDep, db: SessionDep, user: CurrentUser):
    session_id, day_id = int_or_none(form.get("sesi")), int_or_none(form.get("hari"))
    code = str(form.get("kode") or "")[:32]
    method = (
        AttendanceMethod.qr if form.get("cara") == AttendanceMethod.qr else AttendanceMethod.code
    )
    try:
        result = attendance.check_in(
            db,
            user=user,
            code=code,
            key=code_key(request),
            now=now(request),
            session_id=session_id,
            day_id=day_id,
            method=method,
        )
    except attendance.CheckinRefused as exc:
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
