"""Every certificate of a course, an OPD or a bimtek session as one ZIP, streamed.

Each certificate is two files named by the holder's NIP and name as signed
(`199001012015011001_Siti_Nurhaliza.pdf` and `.json`, the Open Badge); a selection that
spans several courses puts each course in its own folder. `daftar.csv` lists every
certificate of the selection. Revoked certificates are listed there as revoked, and
their files are left out: a fresh copy would travel as if it were still valid (the same
rule as `service.withheld_as_revoked`).

The archive is written while it is sent: certificates are loaded in small batches by id,
each file goes through `zipfile` into a buffer that is handed out and emptied at once,
and nothing of an earlier certificate is kept but its row in `daftar.csv`, so memory
stays flat however many certificates a city has (docs/verification.md has the figure).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import citytime
from app.bimtek.models import BimtekSession, Nomination, NominationStatus
from app.certificates import service
from app.certificates.models import Certificate
from app.city.service import Logo
from app.config import Settings
from app.courses.models import Course
from app.errors import NotAllowed, NotFound
from app.i18n import gettext as _
from app.spreadsheets import csv_bytes
from app.users.models import User
from app.users.scope import OpdScope

BATCH = 50
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")
_MAX_STEM = 100


@dataclass(frozen=True)
class Selection:
    """Which certificates: any combination of a course, an OPD and a bimtek session."""

    course: Course | None = None
    opd_id: int | None = None
    session: BimtekSession | None = None

    @property
    def single_course(self) -> bool:
        return self.course is not None or self.session is not None


def selection_for(
    db: Session,
    *,
    scope: OpdScope,
    course_slug: str | None,
    opd_id: int | None,
    session_id: int | None,
) -> Selection:
    """The selection the download asks for; NotAllowed for another OPD than the reader's,
    NotFound for a course or session that does not exist. An OPD admin who names no OPD
    gets their own (the scope applies to every selection anyway)."""
    if opd_id is not None and not scope.allows(opd_id):
        raise NotAllowed(_("Anda hanya dapat mengunduh sertifikat OPD Anda."))
    course = None
    if course_slug is not None:
        course = db.scalar(select(Course).where(Course.slug == course_slug))
        if course is None:
            raise NotFound(_("Kursus tidak ditemukan."))
    session = db.get(BimtekSession, session_id) if session_id is not None else None
    if session_id is not None and session is None:
        raise NotFound(_("Sesi bimtek tidak ditemukan."))
    return Selection(course=course, opd_id=opd_id, session=session)


def archive_name(selection: Selection) -> str:
    parts = ["sertifikat"]
    if selection.course is not None:
        parts.append(selection.course.slug)
    if selection.session is not None:
        parts.append(f"sesi{selection.session.id}")
    if selection.opd_id is not None:
        parts.append(f"opd{selection.opd_id}")
    return _UNSAFE.sub("_", "-".join(parts)) + ".zip"


def certificate_ids(db: Session, *, selection: Selection, scope: OpdScope) -> list[int]:
    """Ids of the selected certificates the reader's scope covers, in serial order."""
    stmt = (
        select(Certificate.id)
        .join(User, User.id == Certificate.user_id)
        .where(scope.where(User.opd_id))
        .order_by(Certificate.serial)
    )
    if selection.course is not None:
        stmt = stmt.where(Certificate.course_id == selection.course.id)
    if selection.opd_id is not None:
        stmt = stmt.where(User.opd_id == selection.opd_id)
    if selection.session is not None:
        # A session's certificates: its course, completed by its confirmed participants.
        participants = select(Nomination.user_id).where(
            Nomination.session_id == selection.session.id,
            Nomination.status == NominationStatus.confirmed,
        )
        stmt = stmt.where(
            Certificate.course_id == selection.session.course_id,
            Certificate.user_id.in_(participants),
        )
    return list(db.scalars(stmt))


def file_stem(nip: str | None, name: str) -> str:
    """`NIP_Nama`, safe on every file system: ASCII letters, digits, `_`, `-` and `.`.

    Accents are folded (Sitì → Siti), everything else becomes `_`; the NIP (or
    `tanpa-NIP`) leads, so no stem is a reserved Windows name (CON, NUL, …) or empty.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    safe_name = _UNSAFE.sub("_", folded).strip("_.-") or "tanpa-nama"
    prefix = _UNSAFE.sub("_", nip).strip("_.-") if nip else ""
    return f"{prefix or 'tanpa-NIP'}_{safe_name}"[:_MAX_STEM].rstrip("_.-")


MANIFEST_COLUMNS = (
    "Berkas",
    "Nomor sertifikat",
    "NIP",
    "Nama",
    "Pelatihan",
    "JP",
    "Tanggal selesai",
    "Status",
    "Verifikasi",
)


def zip_stream(
    settings: Settings,
    open_session: Callable[[], Session],
    ids: Iterable[int],
    *,
    single_course: bool,
    logo: Logo | None = None,
) -> Iterator[bytes]:
    """The ZIP archive in chunks, one or two per certificate (see the module docstring);
    `logo` is the city's, read once by the caller."""
    sink = _Sink()
    manifest: list[list[object]] = []
    used: set[str] = set()
    with zipfile.ZipFile(sink, "w") as archive:
        for batch in _batches(list(ids), BATCH):
            with open_session() as db:
                for certificate in _load(db, batch):
                    manifest.append(
                        _add(
                            archive,
                            settings,
                            certificate,
                            used,
                            single_course=single_course,
                            logo=logo,
                        )
                    )
                    yield sink.take()
        rows = [list(MANIFEST_COLUMNS), *manifest]
        archive.writestr(
            _entry("daftar.csv", None), csv_bytes(rows, delimiter=";"), zipfile.ZIP_DEFLATED
        )
    yield sink.take()


def _add(
    archive: zipfile.ZipFile,
    settings: Settings,
    certificate: Certificate,
    used: set[str],
    *,
    single_course: bool,
    logo: Logo | None,
) -> list[object]:
    data = service.data_of(certificate)
    folder = "" if single_course else _UNSAFE.sub("_", data.course_slug) + "/"
    stem = folder + file_stem(data.holder_nip, data.holder_name)
    if stem in used:  # the same person twice in one folder: tell the files apart
        stem += "_" + _UNSAFE.sub("-", certificate.serial)
    used.add(stem)
    revoked = certificate.revoked_at is not None
    if not revoked:
        moment = citytime.local(certificate.issued_at)
        credential = service.openbadge(settings, certificate)
        pdf = service.pdf_bytes(settings, certificate, credential=credential, logo=logo)
        # PDFs are compressed inside already; deflating them again costs time for nothing.
        archive.writestr(_entry(f"{stem}.pdf", moment), pdf, zipfile.ZIP_STORED)
        badge = json.dumps(credential, ensure_ascii=False, indent=2).encode("utf-8")
        archive.writestr(_entry(f"{stem}.json", moment), badge, zipfile.ZIP_DEFLATED)
    return [
        "" if revoked else f"{stem}.pdf",
        data.serial,
        data.holder_nip,
        data.holder_name,
        data.course_title,
        data.jp,
        data.completed_on.isoformat(),
        "dicabut" if revoked else "sah",
        f"{settings.base_url.rstrip('/')}/verifikasi/{certificate.code}",
    ]


def _entry(name: str, moment: datetime | None) -> zipfile.ZipInfo:
    # The certificate's issue time (city time) as the file's date; the list gets none.
    stamp = moment.timetuple()[:6] if moment is not None else (1980, 1, 1, 0, 0, 0)
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.external_attr = 0o644 << 16  # rw-r--r-- when unpacked with unzip
    return info


def _load(db: Session, ids: list[int]) -> list[Certificate]:
    by_id = {c.id: c for c in db.scalars(select(Certificate).where(Certificate.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def _batches(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Sink(io.RawIOBase):
    """A write-only, unseekable file: zipfile then writes data descriptors and never seeks
    back, and whatever it wrote since the last `take()` is handed out and forgotten."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # noqa: ANN001 — buffer protocol
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        chunk = b"".join(self._parts)
        self._parts.clear()
        return chunk
