"""Issuing, finding, verifying and revoking certificates."""

from __future__ import annotations

import functools
import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, true, update
from sqlalchemy.orm import Session

from app import citytime
from app.audit.service import record
from app.certificates import badges, notices, pades, status_list
from app.certificates.integrity import proofs
from app.certificates.models import Certificate, CertificateCounter, CertificateStatusEntry
from app.certificates.payload import CertificateData, new_code, normalize_code, qr_url
from app.certificates.pdf import render_pdf
from app.certificates.signing import KeyStore, canonical_json, sign, verify
from app.city import service as city
from app.city.service import Logo
from app.config import Settings
from app.courses.models import Course
from app.db import insert_ignore
from app.files import private_dir
from app.progress import hooks
from app.progress.models import Enrolment
from app.users.models import Role, User
from app.users.scope import may_read_opd


def key_store(settings: Settings) -> KeyStore:
    return _key_store(Path(settings.signing_keys_dir))


@functools.lru_cache(maxsize=16)
def _key_store(directory: Path) -> KeyStore:
    # One store per directory, so its parsed keys outlive a request: every public
    # verification checks a signature. Key files are only ever added (rotation by another
    # process shows up in the directory listing), never changed.
    return KeyStore(directory)


def _next_serial(db: Session, *, year: int) -> int:
    """Take the next number of the year inside the caller's transaction (row-locked)."""
    insert_ignore(db, CertificateCounter, {"year": year, "last_value": 0}, conflict=["year"])
    return db.execute(
        update(CertificateCounter)
        .where(CertificateCounter.year == year)
        .values(last_value=CertificateCounter.last_value + 1)
        .returning(CertificateCounter.last_value)
    ).scalar_one()


def _jp_for(db: Session, enrolment: Enrolment, course: Course) -> int:
    # Where a completion earns other JP than the course declares (a bimtek session states
    # its own JP): the first source that answers wins.
    for source in hooks.installed().jp_sources:
        jp = source(db, enrolment)
        if jp is not None:
            return jp
    return course.jp


def issue(db: Session, *, enrolment: Enrolment, now: datetime) -> Certificate:
    """Issue the enrolment's certificate, or return the one it already has."""
    existing = db.scalar(select(Certificate).where(Certificate.enrolment_id == enrolment.id))
    if existing is not None:
        return existing
    settings: Settings = db.info["settings"]
    signed_by = city.signer(db, settings)
    user = db.get(User, enrolment.user_id)
    course = db.get(Course, enrolment.course_id)
    local_now = citytime.local(now)
    number = _next_serial(db, year=local_now.year)
    completed = citytime.today(enrolment.completed_at or now)
    jp = _jp_for(db, enrolment, course)
    data = CertificateData(
        serial=f"{settings.certificate_prefix}/{local_now.year}/{number:06d}",
        code=new_code(),
        holder_name=user.full_name,
        holder_nip=user.nip,
        course_title=course.title,
        course_slug=course.slug,
        content_hash=course.content_hash,
        jp=jp,
        jp_category=course.jp_category,
        completed_on=completed,
        score=enrolment.final_score,
        issued_at=now,
        issuer_city=settings.city_name,
        issuer_office=settings.office_name,
        signer_name=signed_by.name or "",
        signer_nip=signed_by.nip,
        signer_title=signed_by.title,
    )
    key = key_store(settings).current()
    payload = data.to_payload()
    certificate = Certificate(
        serial=data.serial,
        code=data.code,
        enrolment_id=enrolment.id,
        user_id=user.id,
        course_id=course.id,
        content_hash=course.content_hash,
        jp=jp,
        issued_at=now,
        payload=payload,
        kid=key.kid,
        signature=sign(payload, key),
        # Its bit in the revocation status list, taken in the same transaction.
        status_entry=CertificateStatusEntry(),
    )
    db.add(certificate)
    db.flush()
    record(db, action="certificate.issued", actor_id=user.id, target=data.serial)
    notices.issued(db, certificate=certificate, holder=user, course_title=course.title, now=now)
    return certificate


def issue_on_completion(db: Session, enrolment: Enrolment, now: datetime) -> None:
    """Completion listener (app/wiring.py): the certificate, in the completing transaction."""
    issue(db, enrolment=enrolment, now=now)


def data_of(certificate: Certificate) -> CertificateData:
    return CertificateData.from_payload(certificate.payload)


def verify_url(settings: Settings, certificate: Certificate) -> str:
    return qr_url(settings.base_url, certificate.code, certificate.kid, certificate.signature)


def by_code(db: Session, code: str) -> Certificate | None:
    code = normalize_code(code or "")
    if not code or len(code) > 32:
        return None
    return db.scalar(select(Certificate).where(Certificate.code == code))


def mine(db: Session, *, user_id: int) -> list[Certificate]:
    return list(
        db.scalars(
            select(Certificate)
            .where(Certificate.user_id == user_id)
            .order_by(Certificate.issued_at.desc())
        )
    )


def can_download(user: User, certificate: Certificate) -> bool:
    """The holder, an OPD admin of the holder's OPD, kominfo and admins."""
    return certificate.user_id == user.id or may_read_opd(user, certificate.user.opd_id)


def withheld_as_revoked(user: User, certificate: Certificate) -> bool:
    """A revoked certificate is no longer handed out, not even to its holder: a fresh file
    would travel as if it were still valid. Admins may still fetch the PDF for the record
    (it carries the status pointer, so any verifier sees the revocation)."""
    return certificate.revoked_at is not None and not user.has_role(Role.admin)


def signature_valid(settings: Settings, certificate: Certificate) -> bool:
    """Does the stored payload still match its signature? (catches database tampering)"""
    return verify(
        certificate.payload,
        certificate.kid,
        certificate.signature,
        key_store(settings).public_keys(),
    )


# Bump when the PDF's layout changes, so that cached files are rendered again.
# 2: the PDF also carries the Open Badge (with its credentialStatus) as openbadge.json.
# 3: that Open Badge carries an eddsa-rdfc-2022 proof besides the eddsa-jcs-2022 one.
PDF_LAYOUT = 3


def pdf_bytes(
    settings: Settings,
    certificate: Certificate,
    *,
    credential: dict | None = None,
    logo: Logo | None = None,
) -> bytes:
    """The certificate's PDF, rendered once and then served from <data_dir>/cache.

    Rendering (fonts, QR code, optional PAdES signature) takes ~150 ms and everyone
    downloads right after passing, while a certificate's content never changes: the
    file name is a hash of everything that goes into the PDF, so a changed base URL,
    PAdES certificate or layout simply misses the cache. Files are written atomically,
    so workers rendering the same PDF at once cannot serve half a file. `credential`:
    the certificate's openbadge() when the caller has it already; `logo`: the city's
    (app.city.service.logo).
    """
    path = _pdf_cache_path(settings, certificate, logo)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    signed = seal_stored(certificate)
    pdf = render_pdf(
        data_of(certificate),
        verify_url=verify_url(settings, certificate),
        signed_json=signed,
        # The signed payload predates status lists and cannot change; the embedded Open
        # Badge carries the signed pointer to the certificate's revocation bit.
        credential_json=canonical_json(credential or openbadge(settings, certificate))
        if certificate.status_entry is not None
        else None,
        logo_png=logo.png if logo else None,
    )
    if pades.enabled(settings):
        pdf = pades.sign(settings, pdf, reason=f"Sertifikat {certificate.serial}")
    private_dir(path.parent)  # NamedTemporaryFile itself creates 0600
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
        tmp.write(pdf)
    os.replace(tmp.name, path)
    return pdf


def _pdf_cache_path(settings: Settings, certificate: Certificate, logo: Logo | None) -> Path:
    pades_file = Path(settings.pades_pkcs12) if pades.enabled(settings) else None
    pades_stamp = f"{pades_file}:{pades_file.stat().st_mtime_ns}" if pades_file else ""
    key = canonical_json(
        [
            PDF_LAYOUT,
            certificate.id,
            certificate.code,
            certificate.signature,
            certificate.revoked_at.isoformat() if certificate.revoked_at else None,
            verify_url(settings, certificate),
            pades_stamp,
            # The embedded Open Badge is signed by the active key: a rotation re-renders.
            key_store(settings).current().kid,
            # A new logo re-renders (it is decoration, not part of what was signed).
            logo.digest if logo else None,
        ]
    )
    name = hashlib.sha256(key).hexdigest()
    return settings.data_dir / "cache" / "sertifikat" / name[:2] / f"{name}.pdf"


def seal_stored(certificate: Certificate) -> bytes:
    """The `sertifikat.json` embedded in the PDF: payload, key id and signature."""
    return canonical_json(
        {"payload": certificate.payload, "kid": certificate.kid, "signature": certificate.signature}
    )


def openbadge(settings: Settings, certificate: Certificate) -> dict:
    data = data_of(certificate)
    base = settings.base_url.rstrip("/")
    store = key_store(settings)
    key = store.current()
    issuer = badges.did_web(settings.base_url)
    credential = badges.openbadge_credential(
        data,
        base_url=base,
        issuer_did=issuer,
        achievement_url=f"{base}/kursus/{data.course_slug}",
        credential_url=f"{base}/verifikasi/{certificate.code}",
        credential_status=status_list.entry(base, certificate.status_entry.status_index)
        if certificate.status_entry is not None
        else None,
    )
    return proofs.add_issuer_proofs(
        credential,
        key,
        verification_method=f"{issuer}#{key.kid}",
        created=certificate.issued_at,
    )


def status_list_credential(
    db: Session, settings: Settings, *, list_id: int, now: datetime
) -> dict | None:
    """The signed BitstringStatusListCredential number `list_id`, None if it has no entries.

    Computed from SQL on each request (one indexed query over the set bits), so a
    revocation shows at once; verifiers cache it for the response's max-age.
    """
    first = (list_id - 1) * status_list.LIST_BITS
    last = first + status_list.LIST_BITS - 1
    if list_id < 1 or first > (
        db.scalar(select(func.max(CertificateStatusEntry.status_index))) or 0
    ):
        return None
    # Only the set bits, straight from their index: joining every entry of a full list to
    # certificates took 20 ms per request with 200,000 certificates on SQLite.
    revoked = db.scalars(
        select(CertificateStatusEntry.status_index).where(
            CertificateStatusEntry.revoked == true(),
            CertificateStatusEntry.status_index.between(first, last),
        )
    )
    issuer = badges.did_web(settings.base_url)
    key = key_store(settings).current()
    credential = status_list.list_credential(
        base_url=settings.base_url,
        list_id=list_id,
        issuer_did=issuer,
        revoked_bits=(index - first for index in revoked),
        now=now,
    )
    return proofs.add_issuer_proofs(
        credential, key, verification_method=f"{issuer}#{key.kid}", created=now
    )


def did_document(settings: Settings) -> dict:
    return badges.did_document(settings.base_url, key_store(settings).public_keys())


def revoke(
    db: Session,
    *,
    certificate: Certificate,
    reason: str,
    actor: User,
    now: datetime,
    ip: str | None,
) -> None:
    if certificate.revoked_at is not None:
        return
    certificate.revoked_at = now
    certificate.revoked_reason = reason
    certificate.revoked_by = actor.id
    if certificate.status_entry is not None:
        certificate.status_entry.revoked = True  # its bit in the published status list
    record(
        db,
        action="certificate.revoked",
        actor_id=actor.id,
        target=certificate.serial,
        ip=ip,
        reason=reason,
    )
    notices.revoked(db, certificate=certificate, now=now)
    db.commit()


@dataclass
class Verification:
    # valid | revoked: the stored record matches its signature; invalid: it does not (the
    # database was tampered with); not_found: no such code.
    status: str
    certificate: Certificate | None = None
    data: CertificateData | None = None
    qr_checked: bool = False
    # The link's `k`/`s` differ from the certificate's: someone edited the URL. That says
    # nothing about the certificate, which the server has checked itself.
    link_altered: bool = False


def verify_code(
    db: Session, settings: Settings, code: str, *, kid: str | None = None, sig: str | None = None
) -> Verification:
    """What the public verification page says about a code (and the QR's signature)."""
    certificate = by_code(db, code)
    if certificate is None:
        return Verification("not_found")
    if not signature_valid(settings, certificate):
        return Verification("invalid", certificate)
    qr_checked = link_altered = False
    if sig is not None or kid is not None:
        matches = sig == certificate.signature and kid in (None, "", certificate.kid)
        qr_checked, link_altered = matches, not matches
    status = "revoked" if certificate.revoked_at else "valid"
    return Verification(status, certificate, data_of(certificate), qr_checked, link_altered)


def by_serial_and_code(db: Session, serial: str, code: str) -> Certificate | None:
    certificate = by_code(db, code)
    # As typed from a printed certificate: "ckp / 2026 / 000123" is CKP/2026/000123.
    if certificate is None or certificate.serial != "".join((serial or "").split()).upper():
        return None
    return certificate


def zip_for(
    settings: Settings, certificates: list[Certificate], *, logo: Logo | None = None
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in certificates:
            name = certificate.serial.replace("/", "-") + ".pdf"
            archive.writestr(name, pdf_bytes(settings, certificate, logo=logo))
    return buffer.getvalue()


def for_opd_course(db: Session, *, opd_id: int, course_id: int) -> list[Certificate]:
    return list(
        db.scalars(
            select(Certificate)
            .join(User, User.id == Certificate.user_id)
            .where(
                User.opd_id == opd_id,
                Certificate.course_id == course_id,
                Certificate.revoked_at.is_(None),
            )
            .order_by(Certificate.serial)
        )
    )
