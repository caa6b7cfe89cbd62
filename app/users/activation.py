"""Activation codes: how imported people (and password resets) set their own password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.auth import sessions
from app.auth.passwords import Hasher, password_problem
from app.i18n import gettext as _
from app.users.importer import activation_code_hash, new_activation_code
from app.users.models import ActivationCode, User
from app.users.nip import looks_like_nip, normalize_nip

CODE_TTL = timedelta(days=30)


@dataclass(frozen=True)
class IssuedCode:
    user: User
    code: str  # shown once, never stored
    expires_at: datetime


def issue_codes(
    db: Session, *, users: list[User], actor_id: int | None, now: datetime, reason: str
) -> list[IssuedCode]:
    """New codes for `users`; their earlier unused codes stop working. Not committed."""
    ids = [u.id for u in users]
    if ids:
        db.execute(
            update(ActivationCode)
            .where(ActivationCode.user_id.in_(ids), ActivationCode.used_at.is_(None))
            .values(expires_at=now)
        )
    issued = []
    for user in users:
        code, digest = new_activation_code()
        db.add(
            ActivationCode(
                user_id=user.id,
                code_hash=digest,
                created_at=now,
                expires_at=now + CODE_TTL,
                created_by=actor_id,
            )
        )
        issued.append(IssuedCode(user, code, now + CODE_TTL))
    if users:
        record(
            db,
            action=f"activation.{reason}",
            actor_id=actor_id,
            count=len(users),
            target=",".join(str(i) for i in ids[:50]),
        )
    return issued


def find_person(db: Session, identifier: str) -> User | None:
    raw = (identifier or "").strip()
    if not raw or len(raw) > 254:
        return None
    if "@" in raw:
        return db.scalar(select(User).where(User.email == raw.lower()))
    if looks_like_nip(raw):
        number = normalize_nip(raw)
        column = User.nip if len(number) == 18 else User.nik
        return db.scalar(select(User).where(column == number))
    return None


def activate(
    db: Session,
    *,
    identifier: str,
    code: str,
    password: str,
    confirm: str,
    hasher: Hasher,
    now: datetime,
    settings,
    ip: str | None = None,
) -> tuple[str | None, str | None]:
    """(problem, None) or (None, session token). A code works once, before it expires."""
    user = find_person(db, identifier)
    digest = activation_code_hash(code or "")
    row = None
    if user is not None:
        row = db.scalar(
            select(ActivationCode).where(
                ActivationCode.user_id == user.id,
                ActivationCode.code_hash == digest,
            )
        )
    if user is None or row is None or not user.active:
        return _("NIP/NIK/email atau kode aktivasi salah."), None
    if row.used_at is not None:
        return _("Kode aktivasi ini sudah dipakai. Minta kode baru kepada admin OPD Anda."), None
    if now >= row.expires_at:
        return _("Kode aktivasi sudah kedaluwarsa. Minta kode baru kepada admin OPD Anda."), None
    if password != confirm:
        return _("Konfirmasi kata sandi baru tidak sama."), None
    problem = password_problem(password, nip=user.nip)
    if problem:
        return problem, None
    # Single use even under a double submit: only one UPDATE can flip used_at.
    won = db.execute(
        update(ActivationCode)
        .where(ActivationCode.id == row.id, ActivationCode.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if not won:
        db.rollback()
        return _("Kode aktivasi ini sudah dipakai. Minta kode baru kepada admin OPD Anda."), None
    user.password_hash = hasher.hash(password)
    user.password_changed_at = now
    sessions.destroy_all_for_user(db, user.id)
    token = sessions.create(db, user_id=user.id, settings=settings, now=now, ip=ip)
    record(db, action="activation.used", actor_id=user.id, ip=ip)
    db.commit()
    return None, token
