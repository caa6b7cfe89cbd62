"""Sertifikat saya, downloads, public verification, keys, status list, revocation, ZIP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from app import ratelimit
from app.auth.deps import Admin, CurrentUser, Staff
from app.bimtek.models import BimtekSession
from app.certificates import bulk, pades, service
from app.certificates.models import Certificate
from app.certificates.payload import format_code
from app.city import service as city
from app.courses.models import Course
from app.i18n import gettext as _
from app.opds.models import Opd
from app.users.models import Role
from app.users.nip import mask_nip
from app.users.scope import read_scope
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

# Guessing 80-bit codes is hopeless anyway; the limit keeps scrapers and typos polite.
VERIFY_LIMIT, VERIFY_WINDOW = 30, 60


def _throttle(request: Request, db) -> None:
    allowed = ratelimit.hit(
        db,
        key=f"verify:{client_ip(request)}",
        limit=VERIFY_LIMIT,
        window_seconds=VERIFY_WINDOW,
        now=request.app.state.clock(),
    )
    if not allowed:
        raise HTTPException(
            429,
            _("Terlalu banyak permintaan verifikasi. Tunggu sebentar lalu coba lagi."),
            headers={"Retry-After": str(VERIFY_WINDOW)},
        )


def _downloadable(db, user, certificate_id: int) -> Certificate:
    certificate = db.get(Certificate, certificate_id)
    # Someone else's certificate looks exactly like a missing one (no IDOR oracle).
    if certificate is None or not service.can_download(user, certificate):
        raise HTTPException(404)
    return certificate


def _revoked_page(request: Request, certificate: Certificate) -> Response:
    """What the holder gets instead of a revoked certificate's file: 410 Gone, and why."""
    return render(
        request,
        "certificates/revoked.html",
        {"certificate": certificate},
        status_code=410,
        headers={"Cache-Control": "private, no-store"},
    )


@router.get("/sertifikat")
def my_certificates(request: Request, db: SessionDep, user: CurrentUser):
    certificates = service.mine(db, user_id=user.id)
    return render(
        request,
        "certificates/mine.html",
        {"certificates": certificates, "format_code": format_code},
    )


@router.get("/sertifikat/{certificate_id}/pdf")
def download_pdf(request: Request, db: SessionDep, user: CurrentUser, certificate_id: int):
    certificate = _downloadable(db, user, certificate_id)
    if service.withheld_as_revoked(user, certificate):
        return _revoked_page(request, certificate)
    pdf = service.pdf_bytes(request.app.state.settings, certificate, logo=city.logo(db))
    filename = "sertifikat-" + certificate.serial.replace("/", "-") + ".pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/sertifikat/{certificate_id}/openbadge.json")
def download_openbadge(request: Request, db: SessionDep, user: CurrentUser, certificate_id: int):
    certificate = db.get(Certificate, certificate_id)
    if certificate is None or certificate.user_id != user.id:
        raise HTTPException(404)  # the holder's wallet file, only for the holder
    if service.withheld_as_revoked(user, certificate):
        return _revoked_page(request, certificate)
    credential = service.openbadge(request.app.state.settings, certificate)
    filename = "openbadge-" + certificate.serial.replace("/", "-") + ".json"
    return JSONResponse(
        credential,
        media_type="application/ld+json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/verifikasi")
def verify_form(
    request: Request, db: SessionDep, nomor: str | None = None, kode: str | None = None
):
    if nomor is None and kode is None:
        return render(request, "certificates/verify_form.html", {})
    _throttle(request, db)
    certificate = service.by_serial_and_code(db, nomor or "", kode or "")
    if certificate is None:
        return render(
            request,
            "certificates/verify_form.html",
            {
                "error": _("Sertifikat dengan nomor dan kode tersebut tidak ditemukan."),
                "nomor": nomor,
                "kode": kode,
            },
            status_code=404,
        )
    return RedirectResponse(f"/verifikasi/{certificate.code}", status_code=303)


@router.get("/verifikasi/{code}")
def verify_page(
    request: Request, db: SessionDep, code: str, k: str | None = None, s: str | None = None
):
    _throttle(request, db)
    result = service.verify_code(db, request.app.state.settings, code, kid=k, sig=s)
    status = 404 if result.status == "not_found" else 200
    return render(
        request,
        "certificates/verify.html",
        {
            "result": result,
            "masked_nip": mask_nip(result.data.holder_nip)
            if result.data and result.data.holder_nip
            else None,
            "format_code": format_code,
            "pades_signer": pades.signer_name(request.app.state.settings),
        },
        status_code=status,
    )


@router.get("/verifikasi/{code}/status.json")
def verify_json(request: Request, db: SessionDep, code: str):
    """What the verification page shows, as JSON — and nothing more.

    Anyone holding the code may ask, so: the NIP only masked, no score, and neither the
    signed payload nor its signature (given the signature and the public fields, the few
    hidden NIP digits could be recovered by trying them all).
    """
    _throttle(request, db)
    result = service.verify_code(db, request.app.state.settings, code)
    body = {"status": result.status}
    if result.data is not None:
        c = result.certificate
        body.update(
            serial=result.data.serial,
            holder=result.data.holder_name,
            nip=mask_nip(result.data.holder_nip) if result.data.holder_nip else None,
            course=result.data.course_title,
            jp=result.data.jp,
            completed_on=result.data.completed_on.isoformat(),
            issuer=f"{result.data.issuer_office}, {result.data.issuer_city}",
            revoked_at=c.revoked_at.isoformat() if c.revoked_at else None,
            revoked_reason=c.revoked_reason,
            kid=c.kid,
        )
    return JSONResponse(body, status_code=404 if result.status == "not_found" else 200)


# Verifiers cache the list; five minutes bounds how long a revocation can go unseen.
STATUS_LIST_MAX_AGE = 300


@router.get("/status/{list_id}")
def status_list(request: Request, db: SessionDep, list_id: int):
    """The signed revocation list (W3C BitstringStatusListCredential) `credentialStatus`
    entries point to. Public: it reveals only which anonymous positions are revoked."""
    credential = service.status_list_credential(
        db, request.app.state.settings, list_id=list_id, now=request.app.state.clock()
    )
    if credential is None:
        raise HTTPException(404)
    return JSONResponse(
        credential,
        media_type="application/vc",
        headers={
            "Cache-Control": f"public, max-age={STATUS_LIST_MAX_AGE}",
            # Wallets and web verifiers fetch it from other origins; no cookies involved.
            "Access-Control-Allow-Origin": "*",
        },
    )


@router.get("/.well-known/cakap-keys.json")
def public_keys(request: Request):
    return JSONResponse(service.key_store(request.app.state.settings).jwks())


@router.get("/.well-known/did.json")
def did_document(request: Request):
    return JSONResponse(
        service.did_document(request.app.state.settings), media_type="application/did+json"
    )


@router.get("/admin/sertifikat")
def admin_certificates(request: Request, db: SessionDep, user: Admin, q: str | None = None):
    stmt = select(Certificate).order_by(Certificate.issued_at.desc()).limit(100)
    if q:
        needle = q.strip()
        stmt = select(Certificate).where(
            (Certificate.serial == needle.upper())
            | (Certificate.code == needle.upper().replace("-", ""))
        )
    certificates = db.scalars(stmt).all()
    return render(request, "certificates/admin.html", {"certificates": certificates, "q": q or ""})


@router.post("/admin/sertifikat/{certificate_id}/cabut")
def revoke(
    request: Request,
    form: FormDep,
    db: SessionDep,
    user: Admin,
    certificate_id: int,
    reason: Annotated[str, Form(max_length=500)] = "",
):
    certificate = db.get(Certificate, certificate_id)
    if certificate is None:
        raise HTTPException(404)
    if not reason.strip():
        raise HTTPException(422, _("Alasan pencabutan wajib diisi."))
    if not confirmed(form):
        return confirmation(
            request,
            form,
            title=_("Cabut sertifikat %(s)s?") % {"s": certificate.serial},
            message=_(
                "Sertifikat %(s)s atas nama %(n)s akan tercatat DICABUT (alasan: %(r)s). "
                "Verifikasi publik dan daftar status akan menyatakannya tidak berlaku, dan "
                "pemegangnya tidak dapat mengunduhnya lagi. Pencabutan tidak dapat dibatalkan."
            )
            % {"s": certificate.serial, "n": certificate.user.full_name, "r": reason.strip()},
            back=f"/admin/sertifikat?q={certificate.serial}",
            button=_("Ya, cabut sertifikat"),
        )
    service.revoke(
        db,
        certificate=certificate,
        reason=reason.strip(),
        actor=user,
        now=request.app.state.clock(),
        ip=client_ip(request),
    )
    return redirect_after_post(request, f"/admin/sertifikat?q={certificate.serial}")


@router.get("/sertifikat/zip")
def zip_export(request: Request, db: SessionDep, user: Staff, kursus: str, opd: int):
    """All certificates of an OPD for one course, as one ZIP (OPD admins: own OPD only)."""
    if not user.has_role(Role.admin, Role.kominfo) and user.opd_id != opd:
        raise HTTPException(403, _("Anda hanya dapat mengunduh sertifikat OPD Anda."))
    course = db.scalar(select(Course).where(Course.slug == kursus))
    if course is None:
        raise HTTPException(404)
    certificates = service.for_opd_course(db, opd_id=opd, course_id=course.id)
    data = service.zip_for(request.app.state.settings, certificates, logo=city.logo(db))
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="sertifikat-{kursus}-opd{opd}.zip"'},
    )


@router.get("/sertifikat/arsip")
def archive_form(request: Request, db: SessionDep, user: Staff):
    """Choose which certificates to download as one ZIP (kominfo, admins; OPD admins: own)."""
    scope = read_scope(user)
    return render(
        request,
        "certificates/archive.html",
        {
            "courses": db.scalars(select(Course).order_by(Course.title)).all(),
            "opds": db.scalars(select(Opd).where(scope.where(Opd.id)).order_by(Opd.name)).all(),
            "sessions": db.scalars(
                select(BimtekSession).order_by(BimtekSession.registration_opens.desc())
            ).all(),
            "own_opd": scope.limited_to,
        },
    )


@router.get("/sertifikat/arsip.zip")
def archive_zip(
    request: Request,
    db: SessionDep,
    user: Staff,
    kursus: str | None = None,
    opd: int | None = None,
    sesi: int | None = None,
):
    """The chosen certificates as PDF + Open Badge JSON each, streamed as one ZIP."""
    if not (kursus or opd or sesi):
        raise HTTPException(
            422, _("Pilih kursus, OPD atau sesi bimtek yang sertifikatnya diunduh.")
        )
    scope = read_scope(user)
    selection = bulk.selection_for(
        db, scope=scope, course_slug=kursus or None, opd_id=opd, session_id=sesi
    )
    ids = bulk.certificate_ids(db, selection=selection, scope=scope)
    settings = request.app.state.settings
    return StreamingResponse(
        # The archive is written while it is sent, from sessions of its own: the request's
        # session is closed once this function returns.
        bulk.zip_stream(
            settings,
            request.app.state.sessionmaker,
            ids,
            single_course=selection.single_course,
            logo=city.logo(db),
        ),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{bulk.archive_name(selection)}"',
            "Cache-Control": "private, no-store",
        },
    )
