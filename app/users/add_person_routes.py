"""Adding one person by hand (an OPD admin's new CPNS, a guest speaker's NIK).

The form is a one-row import: the same checks as a BKPSDM file (NIP, NIK, OPD scope and
rank, e-mail owners), the same assignment rules and audit, nothing written twice."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select

from app.auth.deps import OpdManager
from app.i18n import gettext as _
from app.opds.models import Opd
from app.spreadsheets import csv_bytes
from app.users import importing
from app.users.models import EmploymentStatus, Role, User
from app.users.nip import normalize_nip
from app.web import FormDep, SessionDep, redirect_after_post, render

router = APIRouter()

# Form field -> the import column it fills (titles the importer accepts).
FIELDS = {
    "nip": "NIP",
    "nik": "NIK",
    "nama": "Nama",
    "email": "Email",
    "opd": "Kode OPD",
    "jabatan": "Jabatan",
    "golongan": "Golongan",
    "status": "Status",
    "tmt": "TMT",
}


def _opd_choices(db, user) -> list[Opd]:
    if user.has_role(Role.admin):
        return list(db.scalars(select(Opd).where(Opd.active.is_(True)).order_by(Opd.name)))
    return [db.get(Opd, user.opd_id)] if user.opd_id else []


def _form_page(request, db, user, *, values=None, problems=(), status_code=200):
    return render(
        request,
        "admin/add_person.html",
        {
            "opds": _opd_choices(db, user),
            "statuses": list(EmploymentStatus),
            "values": values or {},
            "problems": problems,
        },
        status_code=status_code,
    )


@router.get("/admin/pengguna/baru")
def add_person_form(request: Request, db: SessionDep, user: OpdManager):
    return _form_page(request, db, user)


@router.post("/admin/pengguna/baru")
def add_person(request: Request, form: FormDep, db: SessionDep, user: OpdManager):
    values = {key: str(form.get(key, "")).strip()[:300] for key in FIELDS}
    if not user.has_role(Role.admin):
        opd = db.get(Opd, user.opd_id) if user.opd_id else None
        if opd is None:
            raise HTTPException(403, _("Akun Anda tidak terhubung ke OPD mana pun."))
        values["opd"] = opd.code
    content = _one_row_file(values)
    try:
        job = importing.create_job(
            db, actor=user, content=content, filename="tambah-pegawai.csv", now=_now(request)
        )
    except importing.ImportError_ as exc:
        return _form_page(request, db, user, values=values, problems=[str(exc)], status_code=422)
    if job.counts.get("create") != 1:
        problems = [p["reason"] for p in job.problems if p["level"] == "error"] or [
            _("Pegawai dengan NIP/NIK ini sudah terdaftar; cari di daftar pegawai.")
        ]
        return _form_page(request, db, user, values=values, problems=problems, status_code=422)
    importing.start(db, job=job)
    importing.apply_job(
        request.app.state.sessionmaker, job_id=job.id, clock=request.app.state.clock
    )
    key = normalize_nip(values["nip"]) or normalize_nip(values["nik"])
    person = db.scalar(select(User).where((User.nip == key) | (User.nik == key)))
    if person is None:  # the apply failed; the job page says why
        return redirect_after_post(request, f"/admin/impor/{job.id}")
    return redirect_after_post(request, f"/admin/pengguna/{person.id}?baru=1")


def _one_row_file(values: dict[str, str]) -> bytes:
    """The form as the one-row CSV file the importer reads (never sent to anyone)."""
    return csv_bytes([list(FIELDS.values()), [values[key] for key in FIELDS]], delimiter=";")


def _now(request):
    return request.app.state.clock()
