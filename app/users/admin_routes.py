"""People administration: search and manage users, ASN import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from app.auth.deps import Admin, OpdManager
from app.i18n import gettext as _
from app.labels import label
from app.opds.models import Opd
from app.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE
from app.users import admin, importing
from app.users.import_template import template_csv, template_xlsx
from app.users.importer import MAX_BYTES
from app.users.models import Role
from app.users.scope import Management, management
from app.web import (
    FormDep,
    SessionDep,
    client_ip,
    confirmation,
    confirmed,
    redirect_after_post,
    render,
)

router = APIRouter()

# The roles an admin can give (learner always stays); labels from the one table.
GRANTABLE_ROLES = (Role.opd_admin, Role.kominfo, Role.admin)


# The acting admin's own password, asked for when an admin manages another admin.
PasswordField = Annotated[str, Form(max_length=256)]


def _person_or_404(db, user, user_id: int):
    person = admin.visible_or_none(db, actor=user, user_id=user_id)
    if person is None:
        raise HTTPException(404)
    return person


def _user_page(request, db, user, person, *, issued=None, error=None, status_code=200):
    return render(
        request,
        "admin/user.html",
        {
            "person": person,
            "opds": _opds(db),
            "role_choices": GRANTABLE_ROLES,
            # refused | allowed | reauthenticate: which buttons (and fields) the page shows
            "manage": management(user, person).value,
            "issued": issued,
            "error": error,
        },
        status_code=status_code,
    )


def _refusal(request, db, user, person, *, action: str, password: str):
    """None if the user may do `action` to the person, else the 403 page (audited)."""
    try:
        admin.authorize(
            db,
            actor=user,
            person=person,
            action=action,
            password=password,
            hasher=request.app.state.hasher,
            now=request.app.state.clock(),
            ip=client_ip(request),
        )
    except admin.Forbidden as exc:
        return _user_page(request, db, user, person, error=str(exc), status_code=403)
    return None


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
    return _user_page(request, db, user, person)


def _ask_first(request, form, user, person, *, title: str, message: str, button: str):
    """The confirmation page for a destructive action on `person`, or None when it is
    already confirmed — or not simply allowed: a refusal then says so (and is audited), and
    an admin acting on an admin confirms by re-entering their password on the form."""
    if confirmed(form) or management(user, person) is not Management.allowed:
        return None
    return confirmation(
        request,
        form,
        title=title,
        message=message,
        back=f"/admin/pengguna/{person.id}",
        button=button,
    )


@router.post("/admin/pengguna/{user_id}/status")
def user_status(
    request: Request,
    form: FormDep,
    db: SessionDep,
    user: OpdManager,
    user_id: int,
    active: Annotated[str, Form(max_length=5)] = "0",
    password: PasswordField = "",
):
    person = _person_or_404(db, user, user_id)
    if active != "1" and (
        asked := _ask_first(
            request,
            form,
            user,
            person,
            title=_("Nonaktifkan akun %(n)s?") % {"n": person.full_name},
            message=_(
                "%(n)s tidak dapat masuk lagi dan semua sesinya diakhiri. Riwayat belajar, "
                "nilai, dan sertifikatnya tetap tersimpan; akun dapat diaktifkan kembali."
            )
            % {"n": person.full_name},
            button=_("Ya, nonaktifkan"),
        )
    ):
        return asked
    if refused := _refusal(request, db, user, person, action="status", password=password):
        return refused
    try:
        admin.set_active(db, actor=user, person=person, active=active == "1", ip=client_ip(request))
    except admin.Forbidden as exc:
        raise HTTPException(403, str(exc)) from exc
    return redirect_after_post(request, f"/admin/pengguna/{user_id}")


@router.post("/admin/pengguna/{user_id}/opd")
def user_opd(
    request: Request,
    db: SessionDep,
    user: Admin,
    user_id: int,
    opd_id: Annotated[int, Form()],
    password: PasswordField = "",
):
    person = _person_or_404(db, user, user_id)
    if refused := _refusal(request, db, user, person, action="opd", password=password):
        return refused
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
    password = str(form.get("password", ""))[:256]
    if refused := _refusal(request, db, user, person, action="roles", password=password):
        return refused
    try:
        roles = {Role(value) for value in form.getlist("roles")}
    except ValueError as exc:
        raise HTTPException(422, _("Peran tidak dikenal.")) from exc
    removed = sorted(label(r, "role") for r in person.roles - roles - {Role.learner})
    if removed and (
        asked := _ask_first(
            request,
            form,
            user,
            person,
            title=_("Cabut peran %(n)s?") % {"n": person.full_name},
            message=_(
                "%(n)s kehilangan peran %(r)s beserta akses halaman-halamannya, mulai "
                "permintaan berikutnya."
            )
            % {"n": person.full_name, "r": ", ".join(removed)},
            button=_("Ya, cabut peran"),
        )
    ):
        return asked
    try:
        admin.set_roles(db, actor=user, person=person, roles=roles, ip=client_ip(request))
    except admin.Forbidden as exc:
        raise HTTPException(403, str(exc)) from exc
    return redirect_after_post(request, f"/admin/pengguna/{user_id}")


@router.post("/admin/pengguna/{user_id}/reset")
def user_reset(
    request: Request, db: SessionDep, user: OpdManager, user_id: int, password: PasswordField = ""
):
    person = _person_or_404(db, user, user_id)
    if refused := _refusal(request, db, user, person, action="reset", password=password):
        return refused
    issued = admin.reset_access(
        db,
        actor=user,
        person=person,
        now=request.app.state.clock(),
        ip=client_ip(request),
        secret=request.app.state.settings.secret,
    )
    # Shown once, on this response only: never stored in clear, never in a URL.
    return _user_page(request, db, user, person, issued=issued)


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


TEMPLATES = {"xlsx": (template_xlsx, XLSX_MEDIA_TYPE), "csv": (template_csv, CSV_MEDIA_TYPE)}


# Before /admin/impor/{job_id}: routes match in order, and "templat.xlsx" is no job id.
@router.get("/admin/impor/templat.{fmt}")
def import_template(user: OpdManager, fmt: str):
    if fmt not in TEMPLATES:
        raise HTTPException(404)
    build, media_type = TEMPLATES[fmt]
    return Response(
        build(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="templat-impor-asn.{fmt}"'},
    )


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
