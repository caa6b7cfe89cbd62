"""Who signs the city's certificates and reports, and the logo they carry: kept by
admins, settings as defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.audit.service import record
from app.city import logo as city_logo
from app.city.models import CityProfile
from app.config import Settings
from app.i18n import gettext as _
from app.users.nip import nip_problem, normalize_nip

PROFILE_ID = 1
# Printed where the signer's name goes while none is set: a line to write it by hand.
UNSET_NAME = "(" + "." * 40 + ")"


@dataclass(frozen=True)
class Signer:
    name: str | None  # None: not set yet — the PDFs leave a line to write it by hand
    nip: str | None
    title: str

    @property
    def complete(self) -> bool:
        return bool(self.name and self.title)


def signer(db: Session, settings: Settings) -> Signer:
    """The signer printed on certificates and reports: the admins' entry, else settings."""
    profile = db.get(CityProfile, PROFILE_ID)
    name = (profile.signer_name if profile else None) or settings.signer_name
    nip = (profile.signer_nip if profile else None) or settings.signer_nip
    title = (profile.signer_title if profile else None) or settings.signer_title
    return Signer(name=name or None, nip=nip or None, title=title)


class SignerError(ValueError):
    pass


def set_signer(
    db: Session, *, name: str, nip: str, title: str, actor_id: int, now: datetime
) -> Signer:
    """Store the signer (validated). Certificates issued from now on carry it; issued ones
    keep the signer they were signed with."""
    name, title, nip = name.strip(), title.strip(), normalize_nip(nip or "")
    if not name or len(name) > 200:
        raise SignerError(_("Nama penandatangan wajib diisi (maksimal 200 karakter)."))
    if not title or len(title) > 200:
        raise SignerError(_("Jabatan penandatangan wajib diisi (maksimal 200 karakter)."))
    if title.casefold() == name.casefold():
        raise SignerError(_("Isi nama orangnya, bukan jabatannya, sebagai nama penandatangan."))
    if nip and (problem := nip_problem(nip)):
        raise SignerError(_("NIP penandatangan tidak valid: %(p)s") % {"p": problem})
    profile = db.get(CityProfile, PROFILE_ID) or CityProfile(id=PROFILE_ID)
    profile.signer_name, profile.signer_nip, profile.signer_title = name, nip or None, title
    profile.updated_at, profile.updated_by = now, actor_id
    db.add(profile)
    record(db, action="city.signer_changed", actor_id=actor_id, target=name, title=title)
    db.commit()
    return Signer(name=name, nip=nip or None, title=title)


@dataclass(frozen=True)
class Logo:
    png: bytes
    digest: str


def logo(db: Session) -> Logo | None:
    """The city's logo for PDFs, or None when admins have not set one."""
    profile = db.get(CityProfile, PROFILE_ID)
    if profile is None or profile.logo_digest is None or profile.logo_png is None:
        return None
    return Logo(png=profile.logo_png, digest=profile.logo_digest)


def set_logo(db: Session, *, upload: bytes, actor_id: int, now: datetime) -> Logo:
    """Store a new logo (LogoError for a file that is not a usable PNG/JPEG). Every PDF
    rendered from now on carries it, issued certificates included: it is decoration, not
    part of what was signed."""
    png = city_logo.normalise(upload)
    digest = city_logo.digest(png)
    profile = db.get(CityProfile, PROFILE_ID) or CityProfile(id=PROFILE_ID)
    profile.logo_png, profile.logo_digest = png, digest
    profile.updated_at, profile.updated_by = now, actor_id
    db.add(profile)
    record(db, action="city.logo_changed", actor_id=actor_id, digest=digest)
    db.commit()
    return Logo(png=png, digest=digest)


def remove_logo(db: Session, *, actor_id: int, now: datetime) -> None:
    profile = db.get(CityProfile, PROFILE_ID)
    if profile is None or profile.logo_digest is None:
        return
    profile.logo_png = profile.logo_digest = None
    profile.updated_at, profile.updated_by = now, actor_id
    record(db, action="city.logo_removed", actor_id=actor_id)
    db.commit()
