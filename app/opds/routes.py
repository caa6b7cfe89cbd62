"""OPD management (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile

from app.auth.deps import Admin
from app.i18n import gettext as _
from app.opds import service
from app.opds.models import Opd
from app.web import FormDep, SessionDep, confirmation, confirmed, redirect_after_post, render

router = APIRouter()


def _page(request, db, **extra):
    return render(
        request,
        "admin/opds.html",
        {"opds": service.listing(db), **extra},
        status_code=422 if extra.get("error") else 200,
    )


@router.get("/admin/opd")
def opds(request: Request, db: SessionDep, user: Admin):
    return _page(request, db)


@router.post("/admin/opd")
def create(
    request: Request,
    db: SessionDep,
    user: Admin,
    code: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
):
    try:
        service.create(db, code=code, name=name, actor_id=user.id)
    except service.OpdError as exc:
        return _page(request, db, error=str(exc))
    return redirect_after_post(request, "/admin/opd")


def _opd_or_404(db, opd_id: int) -> Opd:
    opd = db.get(Opd, opd_id)
    if opd is None:
        raise HTTPException(404)
    return opd


@router.post("/admin/opd/{opd_id}/ubah")
def rename(
    request: Request,
    db: SessionDep,
    user: Admin,
    opd_id: int,
    code: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
):
    try:
        service.rename(db, opd=_opd_or_404(db, opd_id), code=code, name=name, actor_id=user.id)
    except service.OpdError as exc:
        return _page(request, db, error=str(exc))
    return redirect_after_post(request, "/admin/opd")


@router.post("/admin/opd/{opd_id}/gabung")
def merge(
    request: Request,
    form: FormDep,
    db: SessionDep,
    user: Admin,
    opd_id: int,
    target_id: Annotated[int | None, Form()] = None,
):
    if target_id is None:
        return _page(request, db, error=_("Pilih OPD tujuan penggabungan."))
    source, target = _opd_or_404(db, opd_id), _opd_or_404(db, target_id)
    if source.id != target.id and not confirmed(form):
        # Irreversible: say what moves where before doing it.
        return confirmation(
            request,
            form,
            title=_("Gabungkan %(a)s ke %(b)s?") % {"a": source.code, "b": target.code},
            message=_(
                "%(n)s pegawai %(a)s (dengan kursus, nilai, dan sertifikatnya) dipindahkan ke "
                "%(b)s, lalu %(a)s dinonaktifkan. Penggabungan tidak dapat dibatalkan."
            )
            % {"n": service.people_count(db, opd=source), "a": source.name, "b": target.name},
            back="/admin/opd",
            button=_("Ya, gabungkan"),
        )
    try:
        moved = service.merge(db, source=source, target=target, actor_id=user.id)
    except service.OpdError as exc:
        return _page(request, db, error=str(exc))
    return _page(
        request, db, flash=_("%(n)s pegawai dipindahkan; OPD asal dinonaktifkan.") % {"n": moved}
    )


@router.post("/admin/opd/{opd_id}/status")
def status(
    request: Request,
    db: SessionDep,
    user: Admin,
    opd_id: int,
    active: Annotated[str, Form(max_length=5)] = "0",
):
    service.set_active(db, opd=_opd_or_404(db, opd_id), active=active == "1", actor_id=user.id)
    return redirect_after_post(request, "/admin/opd")


@router.post("/admin/opd/impor")
def import_list(request: Request, db: SessionDep, user: Admin, berkas: UploadFile):
    data = berkas.file.read(1_000_001)
    if len(data) > 1_000_000:
        return _page(request, db, error=_("Berkas daftar OPD terlalu besar (maksimal 1 MB)."))
    created, problems = service.import_csv(db, data=data, actor_id=user.id)
    return _page(request, db, flash=_("%(n)s OPD ditambahkan.") % {"n": created}, problems=problems)
