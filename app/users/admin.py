"""Managing people: search, (de)activate, move between OPDs, roles, password resets.

Who may manage whom is `app.users.scope` (strictly lower rank, own OPD for OPD admins);
role changes and moves between OPDs are for city admins. Every change is audited, and so
is every refused attempt.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app import ratelimit
from app.audit.service import record
from app.auth import sessions
from app.auth.passwords import Hasher
from app.i18n import gettext as _
from app.opds.models import Opd
from app.progress.assignment import apply_rules
from app.users.activation import IssuedCode, issue_codes
from app.users.models import Role, User
from app.users.scope import (
    Management,
    act_scope,
    in_opd_scope,
    manageable_condition,
    management,
)

PAGE_SIZE = 50
# Password re-entries (admin over admin) per acting admin per 15 minutes.
REAUTH_LIMIT = 10


class Forbidden(PermissionError):
    pass


class PasswordRequired(Forbidden):
    """Admin over admin: the acting admin's own password was missing or wrong."""


def visible_or_none(db: Session, *, actor: User, user_id: int) -> User | None:
    """The person, if in the actor's OPD scope (seeing is wider than managing)."""
    person = db.get(User, user_id)
    if person is None or not in_opd_scope(actor, person):
        return None
    return person


def authorize(
    db: Session,
    *,
    actor: User,
    person: User,
    action: str,
    password: str | None,
    hasher: Hasher,
    now: datetime,
    ip: str | None,
) -> None:
    """Raise Forbidden unless the actor may do `action` to the person (see app.users.scope).

    A refusal is audited and committed on its own, so the record survives the 403."""
    allowed = management(actor, person)
    if allowed is Management.allowed:
        return
    if allowed is Management.reauthenticate:
        # The form is a password oracle for whoever holds an admin session: count tries.
        if not ratelimit.hit(
            db, key=f"reauth:{actor.id}", limit=REAUTH_LIMIT, window_seconds=900, now=now
        ):
            _refused(db, actor=actor, person=person, action=action, ip=ip, reason="throttled")
            raise PasswordRequired(
                _("Terlalu banyak percobaan kata sandi. Coba lagi beberapa menit lagi.")
            )
        ok, new_hash = (
            hasher.verify_and_update(password, actor.password_hash) if password else (False, None)
        )
        if ok:
            if new_hash:
                actor.password_hash = new_hash
            return
        _refused(db, actor=actor, person=person, action=action, ip=ip, reason="password")
        raise PasswordRequired(
            _("Untuk mengelola akun admin, masukkan kata sandi Anda sendiri dengan benar.")
        )
    _refused(db, actor=actor, person=person, action=action, ip=ip, reason="rank")
    raise Forbidden(_("Anda hanya dapat mengelola akun dengan peran di bawah peran Anda sendiri."))


def _refused(db: Session, *, actor: User, person: User, action: str, ip: str | None, reason: str):
    record(
        db,
        action="user.manage_refused",
        actor_id=actor.id,
        target=str(person.id),
        ip=ip,
        tried=action,
        reason=reason,
    )
    db.commit()


def search(
    db: Session, *, actor: User, q: str = "", opd_id: int | None = None, page: int = 1
) -> tuple[list[User], int]:
    scope = act_scope(actor)
    stmt = select(User).where(scope.where(User.opd_id))
    if opd_id and scope.whole_city:
        stmt = stmt.where(User.opd_id == opd_id)
    q = (q or "").strip()
    if q:
        digits = q.replace(" ", "")
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(
                User.nip.startswith(digits),
                User.nik.startswith(digits),
                func.lower(User.full_name).like(like),
                func.lower(User.email).like(like),
            )
        )
    total = db.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.scalars(
        stmt.order_by(User.full_name, User.id)
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return list(rows), total


def set_active(db: Session, *, actor: User, person: User, active: bool, ip: str | None) -> None:
    if person.id == actor.id and not active:
        raise Forbidden(_("Anda tidak dapat menonaktifkan akun Anda sendiri."))
    person.active = active
    if not active:
        sessions.destroy_all_for_user(db, person.id)
    record(
        db,
        action="user.activated" if active else "user.deactivated",
        actor_id=actor.id,
        target=str(person.id),
        ip=ip,
    )
    db.commit()


def change_opd(
    db: Session, *, actor: User, person: User, opd: Opd, now: datetime, ip: str | None
) -> None:
    if not actor.has_role(Role.admin):
        raise Forbidden(_("Hanya admin kota yang dapat memindahkan pegawai antar-OPD."))
    record(
        db,
        action="user.opd_changed",
        actor_id=actor.id,
        target=str(person.id),
        ip=ip,
        old=person.opd_id,
        new=opd.id,
    )
    person.opd_id = opd.id
    db.flush()
    apply_rules(db, now=now, user_ids=[person.id])
    db.commit()


def set_roles(db: Session, *, actor: User, person: User, roles: set[Role], ip: str | None) -> None:
    if not actor.has_role(Role.admin):
        raise Forbidden(_("Hanya admin kota yang dapat mengubah peran."))
    if person.id == actor.id and Role.admin not in roles:
        raise Forbidden(_("Anda tidak dapat mencabut peran admin dari akun Anda sendiri."))
    old = sorted(r.value for r in person.roles)
    person.set_roles(roles | {Role.learner})
    record(
        db,
        action="user.roles_changed",
        actor_id=actor.id,
        target=str(person.id),
        ip=ip,
        old=old,
        new=sorted(r.value for r in person.roles),
    )
    db.commit()


def reset_access(
    db: Session, *, actor: User, person: User, now: datetime, ip: str | None, secret: bytes
) -> IssuedCode:
    """A new one-time activation code; the old password and sessions stop working."""
    person.password_hash = None
    sessions.destroy_all_for_user(db, person.id)
    (issued,) = issue_codes(
        db, users=[person], actor_id=actor.id, now=now, reason="reset", secret=secret
    )
    db.commit()
    return issued


def pending_activation(db: Session, *, actor: User, opd_id: int) -> list[User]:
    """Active people of the OPD who have not set a password yet and whom `actor` may manage.

    People at or above the actor's rank are left out: a code for them would be a way in."""
    return list(
        db.scalars(
            select(User)
            .where(
                User.opd_id == opd_id,
                User.active.is_(True),
                User.password_hash.is_(None),
                manageable_condition(actor),
            )
            .order_by(User.full_name)
        )
    )
