"""Creating and finding people — used by the CLI, demo data and (later) the importer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.passwords import Hasher
from app.opds.models import Opd
from app.users.models import EmploymentStatus, Role, User, UserRole
from app.users.nip import nip_problem, normalize_nip


class UserError(ValueError):
    pass


def create_user(
    db: Session,
    *,
    full_name: str,
    nip: str | None = None,
    email: str | None = None,
    opd: Opd | None = None,
    roles: set[Role] | None = None,
    password: str | None = None,
    hasher: Hasher | None = None,
    password_hash: str | None = None,
    jabatan: str | None = None,
    golongan: str | None = None,
    status: EmploymentStatus = EmploymentStatus.PNS,
) -> User:
    """Add a user to the session (not committed). Learner role is always included."""
    full_name = (full_name or "").strip()
    if not full_name or len(full_name) > 200:
        raise UserError("Nama wajib diisi (maksimal 200 karakter).")
    if nip:
        nip = normalize_nip(nip)
        problem = nip_problem(nip)
        if problem:
            raise UserError(f"NIP tidak valid: {problem}")
        if db.scalar(select(User.id).where(User.nip == nip)):
            raise UserError(f"NIP {nip} sudah terdaftar.")
    email = email.strip().lower() if email else None
    if email and db.scalar(select(User.id).where(User.email == email)):
        raise UserError(f"Email {email} sudah terdaftar.")
    if not nip and not email:
        raise UserError("Isi NIP atau email.")
    if password is not None:
        if hasher is None:
            raise UserError("hasher wajib diberikan bersama password")
        password_hash = hasher.hash(password)
    user = User(
        nip=nip or None,
        email=email,
        full_name=full_name,
        opd=opd,
        jabatan=jabatan,
        golongan=golongan,
        employment_status=status,
        password_hash=password_hash,
    )
    user.set_roles((roles or set()) | {Role.learner})
    db.add(user)
    return user


def get_opd_by_code(db: Session, code: str) -> Opd | None:
    return db.scalar(select(Opd).where(Opd.code == code))


def opd_contacts(db: Session, *, opd_id: int | None) -> tuple[list[User], bool]:
    """Who looks after an OPD's people: (its active OPD admins, True) — or, for an OPD
    without one, (the active kominfo staff, False), who can appoint one. Nobody must be
    left waiting on an OPD that has no admin."""

    def holding(role: Role, *where) -> list[User]:
        return list(
            db.scalars(
                select(User)
                .join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role == role, User.active.is_(True), *where)
                .order_by(User.id)
            ).unique()
        )

    admins = holding(Role.opd_admin, User.opd_id == opd_id) if opd_id is not None else []
    if admins:
        return admins, True
    return holding(Role.kominfo), False
