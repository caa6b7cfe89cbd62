"""Activation codes: how imported people (and password resets) set their own password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import sealing
from app.audit.service import record
from app.auth import sessions
from app.auth.passwords import Hasher, new_password_problem
from app.db import write_locked
from app.i18n import gettext as _
from app.users.activation_codes import activation_code_hash, new_activation_code
from app.users.models import ActivationCode, User
from app.users.nip import looks_like_nip, normalize_nip

CODE_TTL = timedelta(days=30)


@dataclass(frozen=True)
class IssuedCode:
    user: User
    code: str  # shown once, never stored
    expires_at: datetime


PURPOSE = b"cakap activation codes"


def seal(secret: bytes, code: str) -> str:
    """The code encrypted with a key derived from the instance secret, as text."""
    return sealing.seal(secret, code, purpose=PURPOSE)


def unseal(secret: bytes, sealed: str | None) -> str | None:
    """The code, or None when there is no sealed copy or the secret has changed since."""
    return sealing.unseal(secret, sealed, purpose=PURPOSE)


def issue_codes(
    db: Session,
    *,
    users: list[User],
    actor_id: int | None,
    now: datetime,
    reason: str,
    secret: bytes,
) -> list[IssuedCode]:
    """New codes for `users`; their earlier unused codes stop working (marked replaced, so
    /aktivasi can say so). Not committed."""
    ids = [u.id for u in users]
    if ids:
        db.execute(
            update(ActivationCode)
            .where(
                ActivationCode.user_id.in_(ids),
                ActivationCode.used_at.is_(None),
                ActivationCode.replaced_at.is_(None),
            )
            .values(replaced_at=now)
        )
    issued = []
    for user in users:
        code, digest = new_activation_code()
        db.add(
            ActivationCode(
                user_id=user.id,
                code_hash=digest,
                sealed=seal(secret, code),
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


def valid_codes(
    db: Session, *, people: list[User], now: datetime, secret: bytes
) -> tuple[list[IssuedCode], list[User]]:
    """The codes still valid for `people` (unused, not replaced, not expired), as they were
    handed out — and the people who have none (or only one issued before codes were kept)."""
    ids = [person.id for person in people]
    rows = (
        db.scalars(
            select(ActivationCode).where(
                ActivationCode.user_id.in_(ids),
                ActivationCode.used_at.is_(None),
                ActivationCode.replaced_at.is_(None),
                ActivationCode.expires_at > now,
            )
        ).all()
        if ids
        else []
    )
    newest: dict[int, ActivationCode] = {}
    for row in rows:
        if row.user_id not in newest or row.created_at > newest[row.user_id].created_at:
            newest[row.user_id] = row
    issued, without = [], []
    for person in people:
        row = newest.get(person.id)
        code = unseal(secret, row.sealed) if row is not None else None
        if code is None:
            without.append(person)
        else:
            issued.append(IssuedCode(person, code, row.expires_at))
    return issued, without


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
    if row.replaced_at is not None:
        return (
            _(
                "Kode aktivasi ini sudah diganti dengan kode yang lebih baru. Gunakan kode "
                "terbaru dari admin OPD Anda."
            ),
            None,
        )
    if now >= row.expires_at:
        return _("Kode aktivasi sudah kedaluwarsa. Minta kode baru kepada admin OPD Anda."), None
    problem = new_password_problem(password, confirm, nip=user.nip)
    if problem:
        return problem, None
    # Hash before taking the write lock: the hash may wait for a free hashing slot (see
    # Hasher) and then takes ~0.1 s, and no other write of this database should wait that
    # long behind it.
    new_hash = hasher.hash(password)
    write_locked(db)
    # Single use even under a double submit: only one UPDATE can flip used_at.
    won = db.execute(
        update(ActivationCode)
        .where(ActivationCode.id == row.id, ActivationCode.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if not won:
        db.rollback()
        return _("Kode aktivasi ini sudah dipakai. Minta kode baru kepada admin OPD Anda."), None
    sessions.set_password(db, user, new_hash, now=now)
    token = sessions.create(db, user_id=user.id, settings=settings, now=now, ip=ip)
    record(db, action="activation.used", actor_id=user.id, ip=ip)
    db.commit()
    return None, token
