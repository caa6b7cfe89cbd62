"""The OPD's activation list: see who has not activated, download the codes, issue codes.

Downloading never changes a code (codes are kept sealed, see ActivationCode.sealed), so a
list printed as PDF and later downloaded as XLSX holds the same codes. Issuing is its own
explicit action: codes for the people who have none change nothing already handed out;
replacing every code is confirmed on a page of its own first.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response

from app.auth.deps import OpdManager
from app.i18n import gettext as _
from app.opds.models import Opd
from app.users import admin
from app.users.activation import issue_codes, valid_codes
from app.users.activation_sheets import activation_pdf, activation_xlsx
from app.users.scope import manages_opd
from app.web import SessionDep, redirect_after_post, render

router = APIRouter()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _opd_or_error(db, user, opd_id: int) -> Opd:
    opd = db.get(Opd, opd_id)
    if opd is None:
        raise HTTPException(404)
    if not manages_opd(user, opd_id):
        raise HTTPException(403, _("Anda hanya dapat mengelola pegawai OPD Anda."))
    return opd


def _state(request: Request, db, user, opd: Opd):
    people = admin.pending_activation(db, actor=user, opd_id=opd.id)
    issued, without = valid_codes(
        db, people=people, now=request.app.state.clock(), secret=request.app.state.settings.secret
    )
    return people, issued, without


@router.get("/admin/aktivasi")
def activation_page(
    request: Request, db: SessionDep, user: OpdManager, opd_id: int, dibuat: int | None = None
):
    opd = _opd_or_error(db, user, opd_id)
    people, issued, without = _state(request, db, user, opd)
    return render(
        request,
        "admin/activation.html",
        {
            "opd": opd,
            "pending": len(people),
            "with_code": len(issued),
            "without": without,
            "flash": _("%(n)s kode aktivasi baru dibuat.") % {"n": dibuat}
            if dibuat is not None
            else None,
        },
    )


def _download(request: Request, db, user, opd_id: int, kind: str) -> Response:
    opd = _opd_or_error(db, user, opd_id)
    _people, issued, _without = _state(request, db, user, opd)
    settings = request.app.state.settings
    if kind == "pdf":
        body, media = activation_pdf(settings, opd, issued), "application/pdf"
    else:
        body, media = activation_xlsx(settings, opd, issued), XLSX
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="aktivasi-{opd.code}.{kind}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/admin/aktivasi/{opd_id}/daftar.xlsx")
def activation_xlsx_download(request: Request, db: SessionDep, user: OpdManager, opd_id: int):
    return _download(request, db, user, opd_id, "xlsx")


@router.get("/admin/aktivasi/{opd_id}/daftar.pdf")
def activation_pdf_download(request: Request, db: SessionDep, user: OpdManager, opd_id: int):
    return _download(request, db, user, opd_id, "pdf")


@router.post("/admin/aktivasi")
def issue(
    request: Request,
    db: SessionDep,
    user: OpdManager,
    opd_id: Annotated[int, Form()],
    replace: Annotated[str, Form(max_length=1)] = "0",
    konfirmasi: Annotated[str, Form(max_length=1)] = "0",
):
    """Codes for the people who have none; with `replace=1` (confirmed), for everyone
    who has not activated — their earlier codes stop working."""
    opd = _opd_or_error(db, user, opd_id)
    people, issued, without = _state(request, db, user, opd)
    if replace == "1" and konfirmasi != "1":
        return render(
            request,
            "admin/activation_replace.html",
            {"opd": opd, "pending": len(people), "with_code": len(issued)},
        )
    targets = people if replace == "1" else without
    created = issue_codes(
        db,
        users=targets,
        actor_id=user.id,
        now=request.app.state.clock(),
        reason="replaced" if replace == "1" else "list",
        secret=request.app.state.settings.secret,
    )
    db.commit()
    return redirect_after_post(request, f"/admin/aktivasi?opd_id={opd.id}&dibuat={len(created)}")
