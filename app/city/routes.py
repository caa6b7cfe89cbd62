"""Admin page for the city's signer and logo."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response, UploadFile

from app.auth.deps import Admin
from app.city import logo as city_logo
from app.city import service
from app.i18n import N_
from app.i18n import gettext as _
from app.web import SessionDep, redirect_after_post, render

router = APIRouter()


FLASHES = {
    "penandatangan": N_("Penandatangan disimpan."),
    "logo": N_("Logo disimpan: sertifikat dan laporan PDF memuatnya mulai sekarang."),
    "logo-dihapus": N_("Logo dihapus."),
}


def _page(request: Request, db, *, status_code: int = 200, **extra):
    context = {
        "signer": service.signer(db, request.app.state.settings),
        "logo": service.logo(db),
        "max_logo_kb": city_logo.MAX_UPLOAD_BYTES // 1024,
    }
    return render(request, "admin/city.html", context | extra, status_code=status_code)


@router.get("/admin/kota")
def city_page(request: Request, db: SessionDep, user: Admin, disimpan: str = ""):
    # `disimpan=1` is what links from before the logo said.
    flash = FLASHES.get("penandatangan" if disimpan == "1" else disimpan)
    return _page(request, db, flash=_(flash) if flash else None)


@router.post("/admin/kota")
def city_save(
    request: Request,
    db: SessionDep,
    user: Admin,
    signer_name: Annotated[str, Form(max_length=300)] = "",
    signer_nip: Annotated[str, Form(max_length=40)] = "",
    signer_title: Annotated[str, Form(max_length=300)] = "",
):
    try:
        service.set_signer(
            db,
            name=signer_name,
            nip=signer_nip,
            title=signer_title,
            actor_id=user.id,
            now=request.app.state.clock(),
        )
    except service.SignerError as exc:
        typed = service.Signer(name=signer_name, nip=signer_nip, title=signer_title)
        return _page(request, db, status_code=422, signer=typed, error=str(exc))
    return redirect_after_post(request, "/admin/kota?disimpan=penandatangan")


@router.post("/admin/kota/logo")
def logo_upload(request: Request, db: SessionDep, user: Admin, berkas: UploadFile):
    # Read one byte past the limit: enough to refuse, never the whole of a huge upload.
    content = berkas.file.read(city_logo.MAX_UPLOAD_BYTES + 1)
    try:
        service.set_logo(db, upload=content, actor_id=user.id, now=request.app.state.clock())
    except city_logo.LogoError as exc:
        return _page(request, db, status_code=422, logo_error=str(exc))
    return redirect_after_post(request, "/admin/kota?disimpan=logo")


@router.post("/admin/kota/logo/hapus")
def logo_remove(request: Request, db: SessionDep, user: Admin):
    service.remove_logo(db, actor_id=user.id, now=request.app.state.clock())
    return redirect_after_post(request, "/admin/kota?disimpan=logo-dihapus")


@router.get("/admin/kota/logo.png")
def logo_preview(db: SessionDep, user: Admin):
    logo = service.logo(db)
    if logo is None:
        raise HTTPException(404)
    return Response(
        logo.png, media_type="image/png", headers={"Cache-Control": "private, no-store"}
    )
