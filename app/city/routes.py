"""Admin page for the city's signer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from app.auth.deps import Admin
from app.city import service
from app.i18n import gettext as _
from app.web import SessionDep, redirect_after_post, render

router = APIRouter()


@router.get("/admin/kota")
def city_page(request: Request, db: SessionDep, user: Admin, disimpan: int = 0):
    return render(
        request,
        "admin/city.html",
        {
            "signer": service.signer(db, request.app.state.settings),
            "flash": _("Penandatangan disimpan.") if disimpan else None,
        },
    )


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
        return render(
            request,
            "admin/city.html",
            {"signer": typed, "error": str(exc)},
            status_code=422,
        )
    return redirect_after_post(request, "/admin/kota?disimpan=1")
