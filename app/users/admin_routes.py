"""People administration: search and manage users, ASN import, activation lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from app.auth.deps import Admin, OpdManager
from app.db import SessionDep
from app.i18n import gettext as _
from app.opds.models import Opd
from app.users import admin, importing
from app.users.activation import issue_codes
from app.users.documents import activation_pdf, activation_xlsx
from app.users.importer import MAX_BYTES
from app.users.models import Role
from app.web import FormDep, client_ip, redirect_after_post, render

router = APIRouter()

ROLE_CHOICES = [
    (Role.opd_admin, "Admin OPD"),
    (Role.kominfo, "Diskominfo"),
    (Role.admin, "Administrator"),
]


def _person_or_404(db, user, user_id: int):
    person = admin.managed_or_none(db, actor=user, user_id=user_id)
    if person is None:
        raise HTTPException(404)
    return person


def _opds(db):
    return db.scalars(select(Opd).where(Opd.active.is_(True)).order_by(Opd.name)).all()


@router.get("/admin/pengguna")
def users_list(
    request: Request,
    db: SessionDep,
    user: OpdManager,
    q: str = "",
    opd: int | None = None,
    page: int = 1,
):
    people, total = admin.search(db, actor=user, q=q[:100], opd_id=opd, page=page)
    return render(
        request,
        "admin/users.html",
        {
            "people": people,
            "total": total,
            "q": q,
            "opd": opd,
            "page": max(page, 1),
            "pages": max(1, -(-total // admin.PAGE_SIZE)),
            "opds": _opds(db),
        },
        block="results",
    )


@router.get("/admin/pengguna/{user_id}")
def user_detail(request: Request, db: SessionDep, user: OpdManager, user_id: int):
    person = _person_or_404(db, user, user_id)
    return render(
        request,
        "admin/user.html",
        {"person": person, "opds": _opds(db), "role_choices": ROLE_CHOICES},
    )


@router.post("/admin/pengguna/{user_id}/status")
def user_status(
    request: Request,
    db: SessionDep,
    user: OpdManager,
    user_id: int,
    active: Annotated[str, Form(max_length=5)] = "0",
):
    person = _person_or_404(db, user, user_id)
    try:
        admin.set_active(db, actor=user, person=person, active=active == "1", ip=client_ip(request))
    except admin.Forbidden as exc:
        raise HTTPException(403, str(exc)) from exc
    return redirect_after_post(request, f"/admin/pengguna/{user_id}")


@router.post("/admin/pengguna/{user_id}/opd")
def user_opd(
    request: Request, db: SessionDep, user: Admin, user_id: int, opd_id: Annotated[int, Form()]
):
    person = _person_or_404(db, user, user_id)
    opd = db.get(Opd, opd_id)
    if opd is None or not opd.active:
        raise HTTPException(422, _("OPD tujuan tidak ditemukan."))
    admin.change_opd(
        db, actor=user, person=person, opd=opd, now=request.app.state.clock(), ip=client_ip(request)
    )
    return redirect_after_post(request, f"/admin/pengguna/{user_id}")


@router.post("/admin/pengguna/{user_id}/peran")
def user_roles(request: Request, form: FormDep, db: SessionDep, user: Admin, user_id: int):
    person = _person_or_404(db, user, user_id)
    try:
        roles = {Role(value) for value in form.getlist("roles")}
    except ValueError as exc:
        raise HTTPException(422, _("Peran tidak dikenal.")) from exc
    try:
        admin.set_roles(db, actor=user, person=person, roles=roles, ip=client_ip(request))
    except admin.Forbidden as exc:
        raise HTTPException(403, str(exc)) from exc
    return redirect_after_post(request, f"/admin/pengguna/{user_id}")


@router.post("/admin/pengguna/{user_id}/reset")
def user_reset(request: Request, db: SessionDep, user: OpdManager, user_id: int):
    person = _person_or_404(db, user, user_id)
    issued = admin.reset_access(
        db, actor=user, person=person, now=request.app.state.clock(), ip=client_ip(request)
    )
    # Shown once, on this response only: never stored in clear, never in a URL.
    return render(
        request,
        "admin/user.html",
        {"person": person, "opds": _opds(db), "role_choices": ROLE_CHOICES, "issued": issued},
    )


@router.get("/admin/impor")
def import_page(request: Request, db: SessionDep, user: OpdManager):
    return render(
        request,
        "admin/import.html",
        {"max_mb": MAX_BYTES // (1024 * 1024), "opds": _opd_choices(db, user)},
    )


def _opd_choices(db, user):
    if user.has_role(Role.admin):
        return _opds(db)
    return [db.get(Opd, user.opd_id)] if user.opd_id else []


@router.post("/admin/impor")
def import_upload(request: Request, db: SessionDep, user: OpdManager, berkas: UploadFile):
    content = berkas.file.read(MAX_BYTES + 1)
    try:
        job = importing.create_job(
            db,
            actor=user,
            content=content,
            filename=berkas.filename or "impor.csv",
            now=request.app.state.clock(),
        )
    except importing.ImportError_ as exc:
        return render(
            request,
            "admin/import.html",
            {
                "error": str(exc),
                "max_mb": MAX_BYTES // (1024 * 1024),
                "opds": _opd_choices(db, user),
            },
            status_code=422,
        )
    return redirect_after_post(request, f"/admin/impor/{job.id}")


@router.get("/admin/impor/{job_id}")
def import_job(request: Request, db: SessionDep, user: OpdManager, job_id: int):
    job = importing.visible_job(db, job_id=job_id, user=user)
    if job is None:
        raise HTTPException(404)
    return render(request, "admin/import_job.html", {"job": job}, block="job")


@router.post("/admin/impor/{job_id}/terapkan")
def import_apply(
    request: Request, db: SessionDep, user: OpdManager, job_id: int, tasks: BackgroundTasks
):
    job = importing.visible_job(db, job_id=job_id, user=user)
    if job is None:
        raise HTTPException(404)
    if importing.start(db, job=job):
        # Applied after the response; the job page polls its progress (works across workers,
        # the progress lives in the database).
        tasks.add_task(
            importing.apply_job,
            request.app.state.sessionmaker,
            job_id=job.id,
            clock=request.app.state.clock,
        )
    return redirect_after_post(request, f"/admin/impor/{job.id}")


@router.post("/admin/aktivasi")
def activation_list(
    request: Request,
    db: SessionDep,
    user: OpdManager,
    opd_id: Annotated[int, Form()],
    format: Annotated[str, Form(max_length=4)] = "xlsx",
):
    """New codes for everyone of the OPD who has not activated yet, as a file to hand out.

    A POST, because it changes data: earlier unused codes of these people stop working."""
    if not user.has_role(Role.admin) and user.opd_id != opd_id:
        raise HTTPException(403, _("Anda hanya dapat mengelola pegawai OPD Anda."))
    opd = db.get(Opd, opd_id)
    if opd is None:
        raise HTTPException(404)
    people = admin.pending_activation(db, opd_id=opd.id)
    issued = issue_codes(
        db, users=people, actor_id=user.id, now=request.app.state.clock(), reason="list"
    )
    db.commit()
    settings = request.app.state.settings
    if format == "pdf":
        body, media, ext = activation_pdf(settings, opd, issued), "application/pdf", "pdf"
    else:
        body = activation_xlsx(settings, opd, issued)
        media, ext = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="aktivasi-{opd.code}.{ext}"',
            "Cache-Control": "no-store",
        },
    )
