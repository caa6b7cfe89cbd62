"""Creating and editing sessions: their days, quotas, facilitators and attendance rule.

Days that have attendance are never deleted by editing a session, nor moved to another
date (the attendance belongs to that date). An edit that makes room (a larger capacity
or quota) promotes the waiting list in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.service import record
from app.bimtek import seats
from app.bimtek.access import BimtekError
from app.bimtek.forms import DayInput, SessionInput
from app.bimtek.models import Attendance, BimtekDay, BimtekQuota, BimtekSession
from app.bimtek.roster import confirmed_count, confirmed_user_ids
from app.courses.models import Course
from app.db import write_locked
from app.i18n import gettext as _
from app.progress import service as progress
from app.progress.models import Enrolment
from app.users.models import User


class SessionInvalid(BimtekError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(next(iter(errors.values())))
        self.errors = errors


def bimtek_courses(db: Session) -> list[Course]:
    """Courses a session can be about: bimtek courses first, then the rest."""
    return list(
        db.scalars(
            select(Course)
            .where(Course.archived.is_(False))
            .order_by((Course.audience != "bimtek"), Course.title)
        )
    )


def _facilitators(db: Session, logins: list[str], errors: dict[str, str]) -> list[User]:
    found: list[User] = []
    missing: list[str] = []
    for login in logins:
        user = db.scalar(
            select(User).where(
                User.active.is_(True),
                or_(User.nip == login, User.nik == login, User.email == login.lower()),
            )
        )
        if user is None:
            missing.append(login)
        elif user not in found:
            found.append(user)
    if missing:
        errors["akun_fasilitator"] = _("Akun fasilitator tidak ditemukan: %(list)s.") % {
            "list": ", ".join(missing[:5])
        }
    return found


@dataclass
class _DayPlan:
    delete: list[BimtekDay] = field(default_factory=list)
    change: list[tuple[BimtekDay, DayInput]] = field(default_factory=list)
    add: list[DayInput] = field(default_factory=list)


def _check(db: Session, session: BimtekSession, data: SessionInput) -> tuple[list[User], _DayPlan]:
    """Everything about the input that needs the database; SessionInvalid if anything fails."""
    errors: dict[str, str] = {}
    with db.no_autoflush:
        course = db.get(Course, data.course_id)
        if course is None or course.archived:
            errors["kursus"] = _("Kursus tidak ditemukan.")
        facilitators = _facilitators(db, data.facilitator_logins, errors)
        if session.id is not None:
            confirmed = confirmed_count(db, session_id=session.id)
            if data.capacity < confirmed:
                errors["kapasitas"] = _(
                    "Kapasitas tidak boleh kurang dari jumlah peserta terkonfirmasi (%(n)s)."
                ) % {"n": confirmed}
        plan = _plan_days(db, session, data, errors)
    if errors:
        raise SessionInvalid(errors)
    return facilitators, plan


def _plan_days(
    db: Session, session: BimtekSession, data: SessionInput, errors: dict[str, str]
) -> _DayPlan:
    """Which days to add, change and delete — never delete a day that has attendance, nor
    move it to another date (its attendance belongs to that date)."""
    existing = {d.id: d for d in session.days} if session.id is not None else {}
    attended = set()
    if existing:
        attended = set(
            db.scalars(
                select(Attendance.day_id).where(Attendance.day_id.in_(list(existing))).distinct()
            )
        )
    plan = _DayPlan()
    final_dates: list[date] = []
    for row in data.days:
        day = existing.pop(row.id, None) if row.id is not None else None
        if row.id is not None and day is None:
            errors["hari"] = _("Data hari tidak dikenal; muat ulang formulir.")
            continue
        if day is not None and day.id in attended:
            if row.delete:
                errors["hari"] = _(
                    "Hari %(d)s sudah memiliki data kehadiran dan tidak dapat dihapus."
                ) % {"d": day.date.strftime("%d-%m-%Y")}
                continue
            if row.date != day.date:
                errors["hari"] = _(
                    "Tanggal hari %(d)s tidak dapat diubah karena sudah ada kehadiran; "
                    "hanya jamnya yang dapat diubah."
                ) % {"d": day.date.strftime("%d-%m-%Y")}
                continue
        if row.delete:
            plan.delete.append(day)
        elif day is None:
            plan.add.append(row)
            final_dates.append(row.date)
        else:
            plan.change.append((day, row))
            final_dates.append(row.date)
    # Days missing from the post (a stale form) are kept rather than deleted.
    final_dates.extend(d.date for d in existing.values())
    if "hari" not in errors:
        if len(final_dates) != len(set(final_dates)):
            errors["hari"] = _("Setiap tanggal hanya boleh muncul satu kali.")
        elif not final_dates:
            errors["hari"] = _("Isi paling sedikit satu hari pelaksanaan.")
    return plan


def _apply(db: Session, session: BimtekSession, data: SessionInput) -> None:
    facilitators, plan = _check(db, session, data)
    session.title = data.title
    session.course_id = data.course_id
    session.venue = data.venue
    session.online_link = data.online_link
    session.facilitator_names = data.facilitator_names
    session.facilitators = facilitators
    session.capacity = data.capacity
    session.default_quota_per_opd = data.default_quota_per_opd
    session.registration_opens = data.registration_opens
    session.registration_closes = data.registration_closes
    session.jp = data.jp
    session.required_attendance_percent = data.required_attendance_percent
    session.allow_self_registration = data.allow_self_registration
    by_opd = {q.opd_id: q for q in session.quotas}
    for opd_id, quota in data.quotas.items():
        if opd_id in by_opd:
            by_opd[opd_id].quota = quota
        else:
            session.quotas.append(BimtekQuota(opd_id=opd_id, quota=quota))
    for q in list(session.quotas):
        if q.opd_id not in data.quotas:
            session.quotas.remove(q)
    if session not in db:
        db.add(session)
    # Deletions, changes and additions flush in that order, so a date freed by one row can
    # be taken by another without tripping the (session, date) unique constraint.
    for day in plan.delete:
        session.days.remove(day)
    db.flush()
    for day, row in plan.change:
        day.date, day.starts_at, day.ends_at = row.date, row.starts_at, row.ends_at
    db.flush()
    for row in plan.add:
        session.days.append(BimtekDay(date=row.date, starts_at=row.starts_at, ends_at=row.ends_at))
    db.flush()


def _apply_or_refuse(db: Session, session: BimtekSession, data: SessionInput) -> None:
    try:
        _apply(db, session, data)
    except SessionInvalid:
        db.rollback()
        raise
    except IntegrityError as exc:
        # Two existing days swapping dates collide mid-flush; say so rather than fail.
        db.rollback()
        raise SessionInvalid(
            {"hari": _("Tanggal hari bentrok. Ubah satu hari dalam satu kali simpan.")}
        ) from exc


def create_session(
    db: Session, *, data: SessionInput, actor: User, now: datetime, ip: str | None = None
) -> BimtekSession:
    """Create a session from checked input; SessionInvalid lists what the database refused."""
    write_locked(db)
    session = BimtekSession(created_by=actor.id, created_at=now)
    _apply_or_refuse(db, session, data)
    record(
        db,
        action="bimtek.session.create",
        actor_id=actor.id,
        target=f"bimtek_session:{session.id}",
        ip=ip,
        title=session.title,
    )
    db.commit()
    return session


def update_session(
    db: Session,
    *,
    session_id: int,
    data: SessionInput,
    actor: User,
    now: datetime,
    ip: str | None = None,
) -> BimtekSession:
    """Edit a session. Attendance is kept; a larger capacity or quota promotes the waiting
    list; participants' completion is refreshed (the rule or the days may have changed)."""
    with seats.seat_lock(db, session_id) as session:
        old_course_id = session.course_id
        _apply_or_refuse(db, session, data)
        promoted = seats.promote(db, session, now)
        record(
            db,
            action="bimtek.session.update",
            actor_id=actor.id,
            target=f"bimtek_session:{session.id}",
            ip=ip,
            promoted=[n.user_id for n in promoted],
        )
        to_enrol = [n.user_id for n in promoted]
        if session.course_id != old_course_id:
            # Everyone holding a seat follows the session to its new course.
            to_enrol = confirmed_user_ids(db, session.id)
        seats.enrol(db, session, to_enrol, now)
        _recompute_participants(db, session, now)
        db.commit()
    return session


def _recompute_participants(db: Session, session: BimtekSession, now: datetime) -> None:
    """Refresh the completion of the session's participants (flushes only)."""
    user_ids = confirmed_user_ids(db, session.id)
    for enrolment in db.scalars(
        select(Enrolment).where(
            Enrolment.course_id == session.course_id, Enrolment.user_id.in_(user_ids)
        )
    ):
        progress.recompute(db, enrolment=enrolment, now=now)
