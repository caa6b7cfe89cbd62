"""Staff bimtek pages: the sessions list, creating and editing a session, a session's
page with nominations and decisions, and its participants list. Learner pages are in
learner_routes.py, check-in screens and day lists in checkin_routes.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.datastructures import FormData

from app import citytime
from app.auth.deps import Monitor, Staff, require_role
from app.bimtek import forms, printouts, roster, scheduling, seats, sheets
from app.bimtek.access import BimtekError, can_run_checkin, is_monitor
from app.bimtek.models import Nomination
from app.bimtek.models import NominationStatus as Status
from app.bimtek.pages import XLSX, common, download, int_or_none, now, session_or_404
from app.i18n import gettext as _
from app.users.models import Role, User
from app.users.scope import read_scope
from app.web import FormDep, SessionDep, client_ip, is_htmx, redirect_after_post, render

router = APIRouter()

# Nominating and deciding on nominations: OPD admins (their own OPD) and admins.
Nominator = Annotated[User, Depends(require_role(Role.opd_admin))]


@router.get("/bimtek/sesi")
def sessions_list(request: Request, db: SessionDep, user: Staff):
    return render(
        request,
        "bimtek/sessions.html",
        {
            **common(),
            "rows": roster.sessions_for_staff(db, user=user),
            "scope": read_scope(user),
            "can_create": is_monitor(user),
        },
    )


def _form_page(request, db, *, form, errors, session=None, status_code=200):
    return render(
        request,
        "bimtek/form.html",
        {
            **common(),
            "form": form,
            "errors": errors,
            "session": session,
            "courses": scheduling.bimtek_courses(db),
            "opds": roster.active_opds(db),
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
    at = citytime.local(now(request)).replace(second=0, microsecond=0)
    form = {
        "kapasitas": "30",
        "persen_hadir": "100",
        "jp": "16",
        "daftar_buka": at.strftime("%Y-%m-%dT%H:%M"),
        "daftar_tutup": (at + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
    }
    return _form_page(request, db, form=form, errors={})


@router.post("/bimtek/sesi/baru")
def create_session(request: Request, posted: FormDep, db: SessionDep, user: Monitor):
    form = _posted(posted)
    opd_ids = [o.id for o in roster.active_opds(db)]
    data, errors = forms.parse_session_form(form, opd_ids=opd_ids)
    if data is None:
        return _invalid(request, db, form=form, errors=errors)
    try:
        session = scheduling.create_session(
            db, data=data, actor=user, now=now(request), ip=client_ip(request)
        )
    except scheduling.SessionInvalid as exc:
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
    session = session_or_404(db, session_id)
    flash, kind = None, "ok"
    scope = read_scope(user)
    nomination = db.get(Nomination, int_or_none(n)) if int_or_none(n) else None
    if nomination is not None and nomination.session_id == session.id:
        if scope.allows(nomination.opd_id):
            flash, kind = roster.describe(db, nomination)
    return _session_page(
        request, db, user, session, q=q, flash=flash, flash_kind=kind, block="search_results"
    )


def _session_page(
    request, db, user, session, *, q="", flash=None, flash_kind="ok", status=200, block=None
):
    scope = read_scope(user)
    can_nominate = user.has_role(Role.opd_admin, Role.admin)
    results = []
    if can_nominate and q:
        results = roster.search_people(db, scope=scope, query=q[:100], session_id=session.id)
    nominations = roster.nominations_of(db, session_id=session.id, scope=scope)
    ranks = {
        n.id: roster.waitlist_rank(db, n) for n in nominations if n.status == Status.waitlisted
    }
    return render(
        request,
        "bimtek/session.html",
        {
            **common(),
            "session": session,
            "scope": scope,
            "fill": roster.fill_by_opd(db, session=session, scope=scope),
            "confirmed_total": roster.confirmed_count(db, session_id=session.id),
            "pending": [n for n in nominations if n.status == Status.pending],
            "participants": [n for n in nominations if n.status != Status.pending],
            "ranks": ranks,
            "q": q,
            "results": results,
            "can_nominate": can_nominate,
            "can_edit": is_monitor(user),
            "can_run_checkin": can_run_checkin(user, session),
            "registration_open": seats.registration_open(session, now(request)),
            "flash": flash,
            "flash_kind": flash_kind,
        },
        block=block,
        status_code=status,
    )


@router.get("/bimtek/sesi/{session_id}/ubah")
def edit_session(request: Request, db: SessionDep, user: Monitor, session_id: int):
    session = session_or_404(db, session_id)
    return _form_page(request, db, form=forms.session_to_form(session), errors={}, session=session)


@router.post("/bimtek/sesi/{session_id}/ubah")
def update_session(
    request: Request, posted: FormDep, db: SessionDep, user: Monitor, session_id: int
):
    session = session_or_404(db, session_id)
    form = _posted(posted)
    data, errors = forms.parse_session_form(form, opd_ids=[o.id for o in roster.active_opds(db)])
    if data is None:
        return _invalid(request, db, form=form, errors=errors, session=session)
    try:
        scheduling.update_session(
            db,
            session_id=session_id,
            data=data,
            actor=user,
            now=now(request),
            ip=client_ip(request),
        )
    except scheduling.SessionInvalid as exc:
        session = session_or_404(db, session_id)
        return _invalid(request, db, form=form, errors=exc.errors, session=session)
    return redirect_after_post(request, f"/bimtek/sesi/{session_id}")


# --- nominations ----------------------------------------------------------------------------


@router.post("/bimtek/sesi/{session_id}/nominasi")
def nominate(request: Request, form: FormDep, db: SessionDep, user: Nominator, session_id: int):
    person_id = int_or_none(form.get("pegawai"))
    session = session_or_404(db, session_id)
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
        outcome = seats.nominate(
            db,
            session_id=session_id,
            person_id=person_id,
            actor=user,
            now=now(request),
            ip=client_ip(request),
        )
    except BimtekError as exc:
        session = session_or_404(db, session_id)
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
            now=now(request),
            ip=client_ip(request),
        )
    except BimtekError as exc:
        session_id = db.scalar(select(Nomination.session_id).where(Nomination.id == nomination_id))
        session = session_or_404(db, session_id)
        return _session_page(
            request, db, user, session, flash=str(exc), flash_kind="error", status=409
        )
    nomination = outcome.nomination
    return redirect_after_post(request, f"/bimtek/sesi/{nomination.session_id}?n={nomination.id}")


@router.post("/bimtek/nominasi/{nomination_id}/setujui")
def approve(request: Request, db: SessionDep, user: Nominator, nomination_id: int):
    return _decide(request, db, user, nomination_id, seats.approve)


@router.post("/bimtek/nominasi/{nomination_id}/tolak")
def reject(request: Request, db: SessionDep, user: Nominator, nomination_id: int):
    return _decide(request, db, user, nomination_id, seats.reject)


@router.post("/bimtek/nominasi/{nomination_id}/tarik")
def withdraw(request: Request, db: SessionDep, user: Nominator, nomination_id: int):
    return _decide(request, db, user, nomination_id, seats.withdraw)


@router.get("/bimtek/sesi/{session_id}/peserta.xlsx")
def participants_xlsx(request: Request, db: SessionDep, user: Staff, session_id: int):
    session = session_or_404(db, session_id)
    settings = request.app.state.settings
    header, groups = sheets.participant_sheets(
        db,
        session=session,
        scope=read_scope(user),
        city=settings.city_name,
        office=settings.office_name,
    )
    content = printouts.participants_xlsx(header, groups)
    return download(content, XLSX, f"peserta-bimtek-{session.id}.xlsx")
