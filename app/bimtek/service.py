"""Bimtek sessions: scheduling, nominations with quotas, check-in and attendance-based completion.

Rules that matter:
- a seat is a confirmed nomination; confirmed counts never exceed the capacity or an OPD's
  quota, also under concurrent requests: every seat decision runs with the session row
  locked (SQLite BEGIN IMMEDIATE, PostgreSQL SELECT … FOR UPDATE);
- when a seat frees up, the first waitlisted person (in waiting-list order) who fits both the
  capacity and their OPD's quota is promoted;
- an OPD admin acts only on people and nominations of their own OPD (PermissionError);
- attendance is one row per day and person, the first time kept; days that have attendance
  are never deleted by editing a session;
- a confirmed participant completes the course only when the attendance rule is met.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from babel.dates import format_date
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from app.audit.service import record
from app.bimtek import checkin
from app.bimtek.documents import AttendanceLine, Header, ParticipantLine
from app.bimtek.forms import DayInput, SessionInput, to_local
from app.bimtek.models import (
    Attendance,
    AttendanceMethod,
    BimtekDay,
    BimtekQuota,
    BimtekSession,
    Nomination,
    NominationStatus,
)
from app.certificates import service as certificates
from app.courses.models import Course
from app.db import insert_ignore, write_locked
from app.i18n import gettext as _
from app.opds.models import Opd
from app.progress import service as progress
from app.progress.models import Enrolment
from app.users.models import Role, User

# Check-in is open from an hour before a day starts until an hour after it ends.
CHECKIN_MARGIN = timedelta(hours=1)
ACTIVE = (NominationStatus.pending, NominationStatus.confirmed, NominationStatus.waitlisted)


class BimtekError(Exception):
    """A refusal to show the user (Bahasa Indonesia message)."""


class SessionInvalid(BimtekError):
    def __init__(self, errors: dict[str, str]):
        super().__init__(next(iter(errors.values())))
        self.errors = errors


class CheckinRefused(BimtekError):
    def __init__(self, message: str, *, status_code: int = 422):
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class Scope:
    """Which OPDs' people a staff member may see: every OPD (opd_id None) or one."""

    opd_id: int | None
    everything: bool

    def allows(self, opd_id: int | None) -> bool:
        return self.everything or (opd_id is not None and opd_id == self.opd_id)


@dataclass
class Outcome:
    nomination: Nomination
    message: str
    promoted: list[Nomination] = field(default_factory=list)


def local_today(now: datetime) -> date:
    return to_local(now).date()


def is_monitor(user: User) -> bool:
    return user.has_role(Role.admin, Role.kominfo)


def staff_scope(user: User) -> Scope:
    """Admins and Diskominfo see every OPD; an OPD admin sees their own."""
    if is_monitor(user):
        return Scope(None, True)
    if user.has_role(Role.opd_admin):
        return Scope(user.opd_id, False)
    raise PermissionError(_("Anda tidak memiliki akses ke halaman ini."))


def is_facilitator(user: User, session: BimtekSession) -> bool:
    return any(f.id == user.id for f in session.facilitators)


def can_run_checkin(user: User, session: BimtekSession) -> bool:
    return is_monitor(user) or is_facilitator(user, session)


def document_scope(user: User, session: BimtekSession) -> Scope:
    """Who may print a session's lists: facilitators and monitors all rows, OPD admins theirs."""
    if can_run_checkin(user, session):
        return Scope(None, True)
    return staff_scope(user)


def _check_acts_for(actor: User, opd_id: int | None) -> None:
    if actor.has_role(Role.admin):
        return
    if actor.has_role(Role.opd_admin) and opd_id is not None and actor.opd_id == opd_id:
        return
    raise PermissionError(_("Anda hanya dapat mengelola peserta dari OPD Anda sendiri."))


# --- reading -------------------------------------------------------------------------------


def get_session(db: Session, session_id: int) -> BimtekSession | None:
    return db.get(BimtekSession, session_id)


def get_day(db: Session, *, session_id: int, day_id: int) -> BimtekDay | None:
    """The day if it belongs to that session (a day id under another session is a 404)."""
    # With its session: the check-in page and the attendance record both read it.
    day = db.get(BimtekDay, day_id, options=[joinedload(BimtekDay.session)])
    if day is None or day.session_id != session_id:
        return None
    return day


def bimtek_courses(db: Session) -> list[Course]:
    """Courses a session can be about: bimtek courses first, then the rest."""
    return list(
        db.scalars(
            select(Course)
            .where(Course.archived.is_(False))
            .order_by((Course.audience != "bimtek"), Course.title)
        )
    )


def active_opds(db: Session) -> list[Opd]:
    return list(db.scalars(select(Opd).where(Opd.active.is_(True)).order_by(Opd.name)))


def list_sessions(db: Session) -> list[BimtekSession]:
    """Every session, newest schedule first."""
    first_day = (
        select(func.min(BimtekDay.date))
        .where(BimtekDay.session_id == BimtekSession.id)
        .scalar_subquery()
    )
    return list(
        db.scalars(select(BimtekSession).order_by(first_day.desc().nulls_first(), BimtekSession.id))
    )


def _status_counts(db: Session, session_ids: Iterable[int], scope: Scope):
    """{(session_id, status): n} over the nominations the scope may see."""
    ids = list(session_ids)
    if not ids:
        return {}
    stmt = (
        select(Nomination.session_id, Nomination.status, func.count())
        .where(Nomination.session_id.in_(ids))
        .group_by(Nomination.session_id, Nomination.status)
    )
    if not scope.everything:
        stmt = stmt.where(Nomination.opd_id == scope.opd_id)
    return {(sid, NominationStatus(status)): n for sid, status, n in db.execute(stmt)}


@dataclass
class SessionRow:
    session: BimtekSession
    confirmed: int
    waitlisted: int
    pending: int
    limit: int | None  # capacity, or the OPD's quota for an OPD admin
    fill_percent: int | None


def sessions_for_staff(db: Session, *, user: User) -> list[SessionRow]:
    """The sessions list: fill of the whole session, or of the OPD admin's quota."""
    scope = staff_scope(user)
    sessions = list_sessions(db)
    counts = _status_counts(db, (s.id for s in sessions), scope)
    rows = []
    for s in sessions:
        confirmed = counts.get((s.id, NominationStatus.confirmed), 0)
        limit = (
            s.capacity
            if scope.everything
            else (s.quota_for(scope.opd_id) if scope.opd_id is not None else 0)
        )
        rows.append(
            SessionRow(
                session=s,
                confirmed=confirmed,
                waitlisted=counts.get((s.id, NominationStatus.waitlisted), 0),
                pending=counts.get((s.id, NominationStatus.pending), 0),
                limit=limit,
                fill_percent=None if not limit else min(100, confirmed * 100 // limit),
            )
        )
    return rows


@dataclass
class OpdFill:
    opd: Opd
    quota: int | None
    confirmed: int
    waitlisted: int
    pending: int

    @property
    def fill_percent(self) -> int | None:
        if not self.quota:
            return None
        return min(100, self.confirmed * 100 // self.quota)


def fill_by_opd(db: Session, *, session: BimtekSession, scope: Scope) -> list[OpdFill]:
    """Quota use per OPD: every OPD with a quota or a nomination (one OPD for an OPD admin)."""
    counts: dict[tuple[int, NominationStatus], int] = {
        (opd_id, NominationStatus(status)): n
        for opd_id, status, n in db.execute(
            select(Nomination.opd_id, Nomination.status, func.count())
            .where(Nomination.session_id == session.id)
            .group_by(Nomination.opd_id, Nomination.status)
        )
    }
    with_quota = {q.opd_id for q in session.quotas}
    with_nominations = {opd_id for opd_id, _status in counts}
    opds = active_opds(db)
    rows = []
    for opd in opds:
        if not scope.allows(opd.id):
            continue
        relevant = (
            opd.id in with_quota
            or opd.id in with_nominations
            or session.default_quota_per_opd is not None
            or not scope.everything
        )
        if not relevant:
            continue
        rows.append(
            OpdFill(
                opd=opd,
                quota=session.quota_for(opd.id),
                confirmed=counts.get((opd.id, NominationStatus.confirmed), 0),
                waitlisted=counts.get((opd.id, NominationStatus.waitlisted), 0),
                pending=counts.get((opd.id, NominationStatus.pending), 0),
            )
        )
    return rows


def nominations_of(
    db: Session, *, session_id: int, scope: Scope, statuses: Iterable[NominationStatus] = ()
) -> list[Nomination]:
    stmt = (
        select(Nomination)
        .join(User, User.id == Nomination.user_id)
        .join(Opd, Opd.id == Nomination.opd_id)
        .where(Nomination.session_id == session_id)
        .order_by(Opd.name, Nomination.position.nulls_first(), User.full_name)
    )
    statuses = list(statuses)
    if statuses:
        stmt = stmt.where(Nomination.status.in_(statuses))
    if not scope.everything:
        stmt = stmt.where(Nomination.opd_id == scope.opd_id)
    return list(db.scalars(stmt))


def waitlist_rank(db: Session, nomination: Nomination) -> int | None:
    """1 for the first person on the session's waiting list."""
    if nomination.status != NominationStatus.waitlisted or nomination.position is None:
        return None
    ahead = db.scalar(
        select(func.count())
        .select_from(Nomination)
        .where(
            Nomination.session_id == nomination.session_id,
            Nomination.status == NominationStatus.waitlisted,
            Nomination.position < nomination.position,
        )
    )
    return ahead + 1


def search_people(
    db: Session, *, scope: Scope, query: str, session_id: int, limit: int = 20
) -> list[tuple[User, Nomination | None]]:
    """People of the scope's OPD(s) by NIP, NIK or name, each with their nomination if any."""
    query = query.strip()
    if len(query) < 2:
        return []
    pattern = "%" + query.replace("\\", "").replace("%", "").replace("_", "") + "%"
    stmt = (
        select(User)
        .where(
            User.active.is_(True),
            User.opd_id.is_not(None),
            or_(
                User.full_name.ilike(pattern),
                User.nip.like(pattern),
                User.nik.like(pattern),
            ),
        )
        .order_by(User.full_name)
        .limit(limit)
    )
    if not scope.everything:
        stmt = stmt.where(User.opd_id == scope.opd_id)
    people = list(db.scalars(stmt))
    existing = {
        n.user_id: n
        for n in db.scalars(
            select(Nomination).where(
                Nomination.session_id == session_id,
                Nomination.user_id.in_([p.id for p in people]),
            )
        )
    }
    return [(p, existing.get(p.id)) for p in people]


def describe(db: Session, nomination: Nomination, *, own: bool = False) -> tuple[str, str]:
    """A flash message (and its kind) that says where a nomination stands and why."""
    name = _("Anda") if own else nomination.user.full_name
    status = nomination.status
    if status == NominationStatus.confirmed:
        return _("%(name)s terdaftar sebagai peserta.") % {"name": name}, "ok"
    if status == NominationStatus.pending:
        return (
            _("Pendaftaran %(name)s terkirim dan menunggu persetujuan admin OPD.") % {"name": name},
            "ok",
        )
    if status == NominationStatus.waitlisted:
        session = nomination.session
        rank = waitlist_rank(db, nomination)
        quota = session.quota_for(nomination.opd_id)
        used = _confirmed_count(db, session.id, nomination.opd_id)
        if quota is not None and used >= quota:
            reason = _("Kuota %(opd)s untuk bimtek ini sudah penuh (%(used)s dari %(quota)s).") % {
                "opd": nomination.opd.name,
                "used": used,
                "quota": quota,
            }
        else:
            reason = _("Kapasitas bimtek sudah penuh (%(used)s dari %(cap)s peserta).") % {
                "used": _confirmed_count(db, session.id),
                "cap": session.capacity,
            }
        return (
            reason
            + " "
            + _("%(name)s masuk daftar tunggu nomor %(rank)s.") % {"name": name, "rank": rank},
            "warn",
        )
    if status == NominationStatus.rejected:
        return _("Pendaftaran %(name)s ditolak.") % {"name": name}, "warn"
    return _("%(name)s tidak lagi terdaftar di bimtek ini.") % {"name": name}, "ok"


# --- creating and editing sessions ----------------------------------------------------------


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
            confirmed = _confirmed_count(db, session.id)
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
    """Edit a session. Attendance is kept; a larger capacity or quota promotes the waiting list."""
    session = _lock_session(db, session_id)
    if session is None:
        _release(db)
        raise LookupError(session_id)
    old_course_id = session.course_id
    _apply_or_refuse(db, session, data)
    promoted = _promote(db, session, now)
    record(
        db,
        action="bimtek.session.update",
        actor_id=actor.id,
        target=f"bimtek_session:{session.id}",
        ip=ip,
        promoted=[n.user_id for n in promoted],
    )
    db.commit()
    to_enrol = [n.user_id for n in promoted]
    if session.course_id != old_course_id:
        # Everyone holding a seat follows the session to its new course.
        to_enrol = _confirmed_user_ids(db, session.id)
    _enrol(db, session, to_enrol, now)
    _recompute_participants(db, session, now)
    return session


def _confirmed_user_ids(db: Session, session_id: int) -> list[int]:
    return list(
        db.scalars(
            select(Nomination.user_id).where(
                Nomination.session_id == session_id,
                Nomination.status == NominationStatus.confirmed,
            )
        )
    )


def _recompute_participants(db: Session, session: BimtekSession, now: datetime) -> None:
    """The attendance rule or the days may have changed: refresh participants' completion."""
    write_locked(db)
    user_ids = _confirmed_user_ids(db, session.id)
    for enrolment in db.scalars(
        select(Enrolment).where(
            Enrolment.course_id == session.course_id, Enrolment.user_id.in_(user_ids)
        )
    ):
        progress.recompute(db, enrolment=enrolment, now=now)
    db.commit()


# --- seats -----------------------------------------------------------------------------------


def _release(db: Session) -> None:
    """End a locked transaction before refusing. Nothing was changed yet, and a commit,
    unlike a rollback, keeps loaded objects (the current user) usable for the error page."""
    db.commit()


def _lock_session(db: Session, session_id: int) -> BimtekSession | None:
    """Start the one transaction that may hand out this session's seats."""
    write_locked(db)
    stmt = select(BimtekSession.id).where(BimtekSession.id == session_id)
    if db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    if db.scalar(stmt) is None:
        return None
    return db.get(BimtekSession, session_id, populate_existing=True)


def confirmed_count(db: Session, *, session_id: int) -> int:
    return _confirmed_count(db, session_id)


def _confirmed_count(db: Session, session_id: int, opd_id: int | None = None) -> int:
    stmt = (
        select(func.count())
        .select_from(Nomination)
        .where(Nomination.session_id == session_id, Nomination.status == NominationStatus.confirmed)
    )
    if opd_id is not None:
        stmt = stmt.where(Nomination.opd_id == opd_id)
    return db.scalar(stmt)


def _seat_refusal(db: Session, session: BimtekSession, opd_id: int) -> str | None:
    """None if a seat is free for this OPD; else what is full ("quota" or "capacity")."""
    quota = session.quota_for(opd_id)
    if quota is not None and _confirmed_count(db, session.id, opd_id) >= quota:
        return "quota"
    if _confirmed_count(db, session.id) >= session.capacity:
        return "capacity"
    return None


def _place(db: Session, session: BimtekSession, nomination: Nomination, now: datetime) -> None:
    """Confirm if a seat is free, else put at the end of the waiting list (session locked)."""
    nomination.decided_at = now
    if _seat_refusal(db, session, nomination.opd_id) is None:
        nomination.status = NominationStatus.confirmed
        nomination.position = None
    else:
        last = db.scalar(
            select(func.max(Nomination.position)).where(Nomination.session_id == session.id)
        )
        nomination.status = NominationStatus.waitlisted
        nomination.position = (last or 0) + 1
    db.flush()


def _promote(db: Session, session: BimtekSession, now: datetime) -> list[Nomination]:
    """Fill free seats from the waiting list in order: the first person who fits both the
    capacity and their OPD's quota goes first (session locked)."""
    total = _confirmed_count(db, session.id)
    per_opd = dict(
        db.execute(
            select(Nomination.opd_id, func.count())
            .where(
                Nomination.session_id == session.id,
                Nomination.status == NominationStatus.confirmed,
            )
            .group_by(Nomination.opd_id)
        ).all()
    )
    promoted = []
    waiting = db.scalars(
        select(Nomination)
        .where(
            Nomination.session_id == session.id,
            Nomination.status == NominationStatus.waitlisted,
        )
        .order_by(Nomination.position, Nomination.id)
    ).all()
    for nomination in waiting:
        if total >= session.capacity:
            break
        quota = session.quota_for(nomination.opd_id)
        if quota is not None and per_opd.get(nomination.opd_id, 0) >= quota:
            continue
        nomination.status = NominationStatus.confirmed
        nomination.position = None
        nomination.decided_at = now
        total += 1
        per_opd[nomination.opd_id] = per_opd.get(nomination.opd_id, 0) + 1
        promoted.append(nomination)
    db.flush()
    return promoted


def _enrol(db: Session, session: BimtekSession, user_ids: Iterable[int], now: datetime) -> None:
    """Confirmed participants get the course (idempotent; progress.enrol commits)."""
    course = db.get(Course, session.course_id)
    for user_id in user_ids:
        # enrol reads before it writes: take the write lock first (SQLite cannot upgrade a
        # read transaction once another connection has written).
        write_locked(db)
        progress.enrol(db, user_id=user_id, course=course, now=now, source="bimtek")


def _registration_open(session: BimtekSession, now: datetime) -> bool:
    return session.registration_opens <= now <= session.registration_closes


def _registration_message(session: BimtekSession, now: datetime) -> str:
    if now < session.registration_opens:
        return _("Pendaftaran bimtek ini belum dibuka (dibuka %(at)s).") % {
            "at": to_local(session.registration_opens).strftime("%d-%m-%Y %H.%M WIB")
        }
    return _("Pendaftaran bimtek ini sudah ditutup.")


def nominate(
    db: Session,
    *,
    session_id: int,
    person_id: int,
    actor: User,
    now: datetime,
    ip: str | None = None,
) -> Outcome:
    """An OPD admin nominates a person of their own OPD (admins: anyone).

    Confirmed when the OPD's quota and the capacity allow, else waitlisted; a pending
    self-registration of that person is approved by the nomination.
    """
    session = _lock_session(db, session_id)
    if session is None:
        _release(db)
        raise LookupError(session_id)
    person = db.get(User, person_id)
    if person is None or not person.active:
        _release(db)
        raise BimtekError(_("Pegawai tidak ditemukan."))
    try:
        _check_acts_for(actor, person.opd_id)
    except PermissionError:
        _release(db)
        raise
    if person.opd_id is None:
        _release(db)
        raise BimtekError(
            _("%(name)s belum tercatat di OPD mana pun.") % {"name": person.full_name}
        )
    if not actor.has_role(Role.admin) and not _registration_open(session, now):
        message = _registration_message(session, now)
        _release(db)
        raise BimtekError(message)
    nomination = db.scalar(
        select(Nomination).where(
            Nomination.session_id == session.id, Nomination.user_id == person.id
        )
    )
    if nomination is not None and nomination.status in (
        NominationStatus.confirmed,
        NominationStatus.waitlisted,
    ):
        message, _kind = describe(db, nomination)
        _release(db)
        already = _("%(name)s sudah terdaftar.") % {"name": person.full_name}
        raise BimtekError(already + " " + message)
    if nomination is None:
        nomination = Nomination(
            session_id=session.id,
            user_id=person.id,
            opd_id=person.opd_id,
            created_at=now,
            status=NominationStatus.pending,
        )
        db.add(nomination)
    nomination.nominated_by = actor.id
    nomination.opd_id = person.opd_id
    _place(db, session, nomination, now)
    record(
        db,
        action="bimtek.nominate",
        actor_id=actor.id,
        target=f"bimtek_nomination:{nomination.id}",
        ip=ip,
        session_id=session.id,
        user_id=person.id,
        status=nomination.status.value,
    )
    db.commit()
    if nomination.status == NominationStatus.confirmed:
        _enrol(db, session, [person.id], now)
    message, _kind = describe(db, nomination)
    return Outcome(nomination, message)


def self_register(
    db: Session, *, session_id: int, user: User, now: datetime, ip: str | None = None
) -> Outcome:
    """A learner asks for a seat; it waits for their OPD admin (who re-checks the quota)."""
    session = _lock_session(db, session_id)
    if session is None:
        _release(db)
        raise LookupError(session_id)
    problem = None
    nomination = db.scalar(
        select(Nomination).where(Nomination.session_id == session.id, Nomination.user_id == user.id)
    )
    if not session.allow_self_registration:
        problem = _(
            "Bimtek ini tidak menerima pendaftaran mandiri; peserta dinominasikan oleh admin OPD."
        )
    elif not _registration_open(session, now):
        problem = _registration_message(session, now)
    elif user.opd_id is None:
        problem = _("Akun Anda belum tercatat di OPD mana pun; hubungi admin.")
    elif nomination is not None and nomination.status == NominationStatus.rejected:
        problem = _("Pendaftaran Anda untuk bimtek ini sudah ditolak oleh admin OPD.")
    elif nomination is not None and nomination.status in ACTIVE:
        problem = _("Anda sudah terdaftar di bimtek ini.")
    if problem:
        _release(db)
        raise BimtekError(problem)
    if nomination is None:
        nomination = Nomination(session_id=session.id, user_id=user.id, created_at=now)
        db.add(nomination)
    nomination.opd_id = user.opd_id
    nomination.status = NominationStatus.pending
    nomination.position = None
    nomination.decided_at = None
    nomination.nominated_by = user.id
    db.flush()
    record(
        db,
        action="bimtek.self_register",
        actor_id=user.id,
        target=f"bimtek_nomination:{nomination.id}",
        ip=ip,
        session_id=session.id,
    )
    db.commit()
    message, _kind = describe(db, nomination, own=True)
    return Outcome(nomination, message)


def _locked_nomination(db: Session, nomination_id: int) -> tuple[BimtekSession, Nomination]:
    session_id = db.scalar(select(Nomination.session_id).where(Nomination.id == nomination_id))
    if session_id is None:
        _release(db)
        raise LookupError(nomination_id)
    session = _lock_session(db, session_id)
    nomination = db.get(Nomination, nomination_id, populate_existing=True)
    return session, nomination


def approve(
    db: Session, *, nomination_id: int, actor: User, now: datetime, ip: str | None = None
) -> Outcome:
    """Approve a pending self-registration: confirmed if the quota allows, else waitlisted."""
    session, nomination = _locked_nomination(db, nomination_id)
    try:
        _check_acts_for(actor, nomination.opd_id)
    except PermissionError:
        _release(db)
        raise
    if nomination.status != NominationStatus.pending:
        _release(db)
        raise BimtekError(_("Pendaftaran ini sudah diputuskan sebelumnya."))
    _place(db, session, nomination, now)
    record(
        db,
        action="bimtek.approve",
        actor_id=actor.id,
        target=f"bimtek_nomination:{nomination.id}",
        ip=ip,
        status=nomination.status.value,
    )
    db.commit()
    if nomination.status == NominationStatus.confirmed:
        _enrol(db, session, [nomination.user_id], now)
    message, _kind = describe(db, nomination)
    return Outcome(nomination, message)


def reject(
    db: Session, *, nomination_id: int, actor: User, now: datetime, ip: str | None = None
) -> Outcome:
    """Turn down a pending self-registration (the learner cannot register again)."""
    session, nomination = _locked_nomination(db, nomination_id)
    try:
        _check_acts_for(actor, nomination.opd_id)
    except PermissionError:
        _release(db)
        raise
    if nomination.status != NominationStatus.pending:
        _release(db)
        raise BimtekError(_("Pendaftaran ini sudah diputuskan sebelumnya."))
    nomination.status = NominationStatus.rejected
    nomination.decided_at = now
    record(
        db,
        action="bimtek.reject",
        actor_id=actor.id,
        target=f"bimtek_nomination:{nomination.id}",
        ip=ip,
    )
    db.commit()
    message, _kind = describe(db, nomination)
    return Outcome(nomination, message)


def withdraw(
    db: Session, *, nomination_id: int, actor: User, now: datetime, ip: str | None = None
) -> Outcome:
    """Withdraw a person (themselves, their OPD admin, or an admin); a freed seat goes to
    the first waitlisted person who fits."""
    session, nomination = _locked_nomination(db, nomination_id)
    if nomination.user_id != actor.id:
        try:
            _check_acts_for(actor, nomination.opd_id)
        except PermissionError:
            _release(db)
            raise
    if nomination.status not in ACTIVE:
        _release(db)
        raise BimtekError(_("Peserta ini sudah tidak terdaftar."))
    freed = nomination.status == NominationStatus.confirmed
    nomination.status = NominationStatus.withdrawn
    nomination.position = None
    nomination.decided_at = now
    db.flush()
    promoted = _promote(db, session, now) if freed else []
    record(
        db,
        action="bimtek.withdraw",
        actor_id=actor.id,
        target=f"bimtek_nomination:{nomination.id}",
        ip=ip,
        promoted=[n.user_id for n in promoted],
    )
    db.commit()
    _enrol(db, session, [n.user_id for n in promoted], now)
    message, _kind = describe(db, nomination, own=nomination.user_id == actor.id)
    if promoted:
        message += " " + _("Kursi diberikan kepada %(names)s dari daftar tunggu.") % {
            "names": ", ".join(n.user.full_name for n in promoted)
        }
    return Outcome(nomination, message, promoted)


def my_nomination(db: Session, *, session_id: int, user_id: int) -> Nomination | None:
    return db.scalar(
        select(Nomination).where(Nomination.session_id == session_id, Nomination.user_id == user_id)
    )


# --- attendance ------------------------------------------------------------------------------


def checkin_window(day: BimtekDay) -> tuple[datetime, datetime]:
    return day.starts_at - CHECKIN_MARGIN, day.ends_at + CHECKIN_MARGIN


def checkin_problem(day: BimtekDay, now: datetime) -> str | None:
    """Why check-in for this day is closed right now, or None when it is open."""
    if local_today(now) != day.date:
        return _("Daftar hadir ini untuk %(day)s, bukan hari ini.") % {
            "day": day.date.strftime("%d-%m-%Y")
        }
    opens, closes = checkin_window(day)
    if not opens <= now <= closes:
        return _("Daftar hadir hari ini hanya dibuka pukul %(a)s–%(b)s WIB.") % {
            "a": to_local(opens).strftime("%H.%M"),
            "b": to_local(closes).strftime("%H.%M"),
        }
    return None


def _is_confirmed(db: Session, session_id: int, user_id: int) -> bool:
    return (
        db.scalar(
            select(Nomination.id).where(
                Nomination.session_id == session_id,
                Nomination.user_id == user_id,
                Nomination.status == NominationStatus.confirmed,
            )
        )
        is not None
    )


def _code_refused(verdict: checkin.CodeCheck) -> CheckinRefused:
    if verdict == checkin.CodeCheck.expired:
        return CheckinRefused(
            _(
                "Kode sudah kedaluwarsa. Kode berganti setiap 45 detik; masukkan kode yang "
                "sedang tampil di layar fasilitator."
            )
        )
    return CheckinRefused(
        _("Kode tidak cocok untuk bimtek dan hari ini. Periksa kembali kode di layar fasilitator.")
    )


@dataclass
class CheckinResult:
    attendance: Attendance
    created: bool
    session: BimtekSession
    day: BimtekDay


def check_in(
    db: Session,
    *,
    user: User,
    code: str,
    key: bytes,
    now: datetime,
    session_id: int | None = None,
    day_id: int | None = None,
    method: AttendanceMethod = AttendanceMethod.code,
) -> CheckinResult:
    """Record the learner present with the code on the facilitator's screen.

    With a session and day (from the QR URL) that day is checked; with only a typed code,
    the learner's days today are tried. Idempotent: the first check-in time is kept.
    """
    if session_id is not None and day_id is not None:
        day = get_day(db, session_id=session_id, day_id=day_id)
        if day is None:
            raise CheckinRefused(_("Jadwal bimtek ini tidak ditemukan."), status_code=404)
        if not _is_confirmed(db, session_id, user.id):
            raise CheckinRefused(
                _("Anda bukan peserta terkonfirmasi bimtek ini. Hubungi admin OPD Anda."),
                status_code=403,
            )
        problem = checkin_problem(day, now)
        if problem:
            raise CheckinRefused(problem)
        verdict = checkin.check_code(key, session_id, day_id, code, now)
        if verdict != checkin.CodeCheck.ok:
            raise _code_refused(verdict)
    else:
        day = _day_for_typed_code(db, user=user, code=code, key=key, now=now)
    return _record(db, day=day, user_id=user.id, recorded_by=user.id, method=method, now=now)


def todays_days(db: Session, *, user_id: int, now: datetime) -> list[BimtekDay]:
    """The days scheduled today for sessions where the user holds a seat."""
    return list(
        db.scalars(
            select(BimtekDay)
            .join(Nomination, Nomination.session_id == BimtekDay.session_id)
            .where(
                BimtekDay.date == local_today(now),
                Nomination.user_id == user_id,
                Nomination.status == NominationStatus.confirmed,
            )
            .order_by(BimtekDay.starts_at)
        )
    )


def _day_for_typed_code(db: Session, *, user: User, code: str, key: bytes, now: datetime):
    days = todays_days(db, user_id=user.id, now=now)
    if not days:
        raise CheckinRefused(
            _("Anda tidak memiliki jadwal bimtek hari ini sebagai peserta terkonfirmasi."),
            status_code=403,
        )
    open_days = [d for d in days if checkin_problem(d, now) is None]
    if not open_days:
        raise CheckinRefused(checkin_problem(days[0], now))
    worst = checkin.CodeCheck.invalid
    for day in open_days:
        verdict = checkin.check_code(key, day.session_id, day.id, code, now)
        if verdict == checkin.CodeCheck.ok:
            return day
        if verdict == checkin.CodeCheck.expired:
            worst = verdict
    raise _code_refused(worst)


def _record(
    db: Session,
    *,
    day: BimtekDay,
    user_id: int,
    recorded_by: int,
    method: AttendanceMethod,
    now: datetime,
    audit: dict | None = None,
) -> CheckinResult:
    """Insert the attendance row (first one wins) and refresh the participant's completion."""
    session = day.session
    existing = _attendance(db, day.id, user_id)
    if existing is not None:
        db.commit()  # end the read transaction; nothing to write
        return CheckinResult(existing, False, session, day)
    write_locked(db)
    insert_ignore(
        db,
        Attendance,
        {
            "day_id": day.id,
            "user_id": user_id,
            "checked_in_at": now,
            "method": method.value,
            "recorded_by": recorded_by,
        },
        conflict=["day_id", "user_id"],
    )
    attendance = _attendance(db, day.id, user_id)
    # A concurrent request may have won the insert between the check and the lock.
    created = attendance.checked_in_at == now and attendance.method == method
    if created and audit is not None:
        record(db, **audit)
    enrolment = progress.get_enrolment(db, user_id=user_id, course_id=session.course_id)
    if enrolment is not None:
        progress.recompute(db, enrolment=enrolment, now=now)
    db.commit()
    return CheckinResult(attendance, created, session, day)


def attendance_record(db: Session, *, day_id: int, user_id: int) -> Attendance | None:
    """The user's own attendance on a day (what the check-in page confirms)."""
    return _attendance(db, day_id, user_id)


def _attendance(db: Session, day_id: int, user_id: int) -> Attendance | None:
    return db.scalar(
        select(Attendance)
        .where(Attendance.day_id == day_id, Attendance.user_id == user_id)
        .execution_options(populate_existing=True)
    )


def mark_present(
    db: Session,
    *,
    session_id: int,
    day_id: int,
    person_id: int,
    actor: User,
    now: datetime,
    ip: str | None = None,
) -> CheckinResult:
    """A facilitator marks a confirmed participant present by hand (audited, idempotent)."""
    session = get_session(db, session_id)
    day = get_day(db, session_id=session_id, day_id=day_id) if session else None
    if day is None:
        raise LookupError(day_id)
    if not can_run_checkin(actor, session):
        raise PermissionError(_("Hanya fasilitator bimtek ini yang dapat mengisi daftar hadir."))
    if not _is_confirmed(db, session_id, person_id):
        raise CheckinRefused(_("Orang ini bukan peserta terkonfirmasi bimtek ini."))
    if now < checkin_window(day)[0]:
        raise CheckinRefused(_("Hari ini belum dimulai; kehadiran belum dapat dicatat."))
    return _record(
        db,
        day=day,
        user_id=person_id,
        recorded_by=actor.id,
        method=AttendanceMethod.manual,
        now=now,
        audit={
            "action": "bimtek.attendance.manual",
            "actor_id": actor.id,
            "target": f"bimtek_day:{day.id}",
            "ip": ip,
            "session_id": session_id,
            "user_id": person_id,
        },
    )


@dataclass
class AttendanceRow:
    user: User
    opd: Opd | None
    nomination_status: NominationStatus | None
    attendance: Attendance | None


def day_attendance(db: Session, *, day: BimtekDay, scope: Scope) -> list[AttendanceRow]:
    """Confirmed participants of the day's session (scoped), present or not, plus anyone
    recorded present who has since left the session — ordered by OPD and name."""
    nominations = nominations_of(
        db, session_id=day.session_id, scope=scope, statuses=[NominationStatus.confirmed]
    )
    present = {
        a.user_id: a for a in db.scalars(select(Attendance).where(Attendance.day_id == day.id))
    }
    rows = [
        AttendanceRow(n.user, n.opd, n.status, present.pop(n.user_id, None)) for n in nominations
    ]
    if present:
        others = {
            n.user_id: n
            for n in db.scalars(
                select(Nomination).where(
                    Nomination.session_id == day.session_id,
                    Nomination.user_id.in_(list(present)),
                )
            )
        }
        for user_id, attendance in present.items():
            nomination = others.get(user_id)
            opd = nomination.opd if nomination else attendance.user.opd
            if not scope.allows(opd.id if opd else None):
                continue
            rows.append(
                AttendanceRow(
                    attendance.user, opd, nomination.status if nomination else None, attendance
                )
            )
    rows.sort(key=lambda r: ((r.opd.name if r.opd else ""), r.user.full_name.lower()))
    return rows


def live_attendance(db: Session, *, day: BimtekDay) -> tuple[list[Attendance], int]:
    """Who is in, latest first, and how many seats are confirmed."""
    present = list(
        db.scalars(
            select(Attendance)
            .where(Attendance.day_id == day.id)
            .order_by(Attendance.checked_in_at.desc(), Attendance.id.desc())
        )
    )
    return present, _confirmed_count(db, day.session_id)


def not_yet_present(db: Session, *, day: BimtekDay) -> list[Nomination]:
    present = select(Attendance.user_id).where(Attendance.day_id == day.id)
    return list(
        db.scalars(
            select(Nomination)
            .join(User, User.id == Nomination.user_id)
            .where(
                Nomination.session_id == day.session_id,
                Nomination.status == NominationStatus.confirmed,
                Nomination.user_id.not_in(present),
            )
            .order_by(User.full_name)
        )
    )


# --- completion ------------------------------------------------------------------------------


def rule_met(attended: int, total: int, required_percent: int) -> bool:
    """Attended days / days ≥ the required percentage; a session without days is never met."""
    return total > 0 and attended * 100 >= required_percent * total


def attendance_of(db: Session, *, session_id: int, user_id: int) -> tuple[int, int]:
    """(days attended, days scheduled) of one person in one session."""
    total = db.scalar(
        select(func.count()).select_from(BimtekDay).where(BimtekDay.session_id == session_id)
    )
    attended = db.scalar(
        select(func.count())
        .select_from(Attendance)
        .join(BimtekDay, BimtekDay.id == Attendance.day_id)
        .where(BimtekDay.session_id == session_id, Attendance.user_id == user_id)
    )
    return attended, total


def _seats(db: Session, enrolment: Enrolment) -> list[BimtekSession]:
    """Sessions of the enrolment's course where its learner holds a confirmed seat."""
    return list(
        db.scalars(
            select(BimtekSession)
            .join(Nomination, Nomination.session_id == BimtekSession.id)
            .where(
                BimtekSession.course_id == enrolment.course_id,
                Nomination.user_id == enrolment.user_id,
                Nomination.status == NominationStatus.confirmed,
            )
            .order_by(BimtekSession.id)
        )
    )


def _attended(db: Session, session: BimtekSession, user_id: int) -> bool:
    attended, total = attendance_of(db, session_id=session.id, user_id=user_id)
    return rule_met(attended, total, session.required_attendance_percent)


def attendance_gate(db: Session, enrolment: Enrolment) -> bool:
    """Completion gate: a confirmed participant of a session of this course completes it
    only with enough attendance. Applies however the enrolment was made, so a learner who
    enrolled before being nominated cannot be credited the bimtek's JP without attending."""
    sessions = _seats(db, enrolment)
    return not sessions or any(_attended(db, s, enrolment.user_id) for s in sessions)


def session_jp(db: Session, enrolment: Enrolment) -> int | None:
    """The JP a completion earns through bimtek: the JP the attended session states (the
    highest, should someone have attended two), which the certificate then carries, so
    reports, SIASN exports and "Bimtek saya" agree. None for completions without one."""
    jps = [s.jp for s in _seats(db, enrolment) if _attended(db, s, enrolment.user_id)]
    return max(jps) if jps else None


progress.register_completion_gate(attendance_gate)
certificates.register_jp_source(session_jp)


@dataclass
class JpCredit:
    session: BimtekSession
    jp: int
    completed_at: datetime


def jp_credits(db: Session, *, user_id: int) -> list[JpCredit]:
    """The JP a person earned from bimtek: a session's JP counts once the course of a session
    they hold a seat in is completed (the completion gate has already checked attendance)."""
    rows = db.execute(
        select(BimtekSession, Enrolment.completed_at)
        .join(Nomination, Nomination.session_id == BimtekSession.id)
        .join(
            Enrolment,
            (Enrolment.course_id == BimtekSession.course_id)
            & (Enrolment.user_id == Nomination.user_id),
        )
        .where(
            Nomination.user_id == user_id,
            Nomination.status == NominationStatus.confirmed,
            Enrolment.completed_at.is_not(None),
        )
        .order_by(Enrolment.completed_at)
    ).all()
    credits = []
    for session, completed_at in rows:
        attended, total = attendance_of(db, session_id=session.id, user_id=user_id)
        if rule_met(attended, total, session.required_attendance_percent):
            credits.append(JpCredit(session, session.jp, completed_at))
    return credits


# --- the learner's page ----------------------------------------------------------------------


@dataclass
class DayStatus:
    day: BimtekDay
    attendance: Attendance | None
    is_today: bool
    past: bool


@dataclass
class MySession:
    session: BimtekSession
    nomination: Nomination | None
    days: list[DayStatus]
    attended: int
    rule_met: bool
    can_register: bool
    can_withdraw: bool
    checkin_today: bool
    waitlist_rank: int | None
    enrolment: Enrolment | None


def my_bimtek(db: Session, *, user: User, now: datetime) -> tuple[list[MySession], list[MySession]]:
    """(upcoming, history): upcoming sessions with the learner's status; past sessions they
    were part of."""
    today = local_today(now)
    mine = {
        n.session_id: n for n in db.scalars(select(Nomination).where(Nomination.user_id == user.id))
    }
    attendance = {
        a.day_id: a for a in db.scalars(select(Attendance).where(Attendance.user_id == user.id))
    }
    upcoming, history = [], []
    for session in list_sessions(db):
        nomination = mine.get(session.id)
        last = session.last_day
        finished = last is not None and last.date < today
        if finished and nomination is None:
            continue
        days = [
            DayStatus(d, attendance.get(d.id), d.date == today, d.date < today)
            for d in session.days
        ]
        attended = sum(1 for d in days if d.attendance)
        status = nomination.status if nomination else None
        enrolment = None
        if status == NominationStatus.confirmed:
            enrolment = progress.get_enrolment(db, user_id=user.id, course_id=session.course_id)
        item = MySession(
            session=session,
            nomination=nomination,
            days=days,
            attended=attended,
            rule_met=rule_met(attended, len(days), session.required_attendance_percent),
            can_register=(
                session.allow_self_registration
                and _registration_open(session, now)
                and user.opd_id is not None
                and (nomination is None or nomination.status == NominationStatus.withdrawn)
            ),
            can_withdraw=status in ACTIVE and not finished,
            checkin_today=status == NominationStatus.confirmed
            and any(d.is_today and d.attendance is None for d in days),
            waitlist_rank=waitlist_rank(db, nomination) if nomination else None,
            enrolment=enrolment,
        )
        (history if finished else upcoming).append(item)
    return upcoming, history


# --- printable lists -------------------------------------------------------------------------

DOCUMENT_LOCALE = "id"  # official lists are in Bahasa Indonesia whatever the UI language
DOCUMENT_STATUS = {
    NominationStatus.confirmed: "Terkonfirmasi",
    NominationStatus.waitlisted: "Daftar tunggu",
    NominationStatus.pending: "Menunggu persetujuan",
}


def identifier_of(user: User) -> str:
    """NIP, or NIK for people without one (non-ASN)."""
    return user.nip or user.nik or ""


def _long_date(value: date) -> str:
    return format_date(value, "EEEE, d MMMM y", locale=DOCUMENT_LOCALE)


def _place_of(session: BimtekSession) -> str:
    return ", ".join(p for p in (session.venue, session.online_link) if p) or "—"


def _scope_fact(db: Session, scope: Scope) -> list[tuple[str, str]]:
    if scope.everything:
        return []
    opd = db.get(Opd, scope.opd_id) if scope.opd_id is not None else None
    return [("OPD", opd.name if opd else "—")]


def attendance_sheet(
    db: Session, *, session: BimtekSession, day: BimtekDay, scope: Scope, city: str, office: str
) -> tuple[Header, list[AttendanceLine], str]:
    """Header, rows (the scope's people only) and summary line of one day's daftar hadir."""
    rows = day_attendance(db, day=day, scope=scope)
    start, end = to_local(day.starts_at), to_local(day.ends_at)
    facts = [
        ("Hari, tanggal", _long_date(day.date)),
        ("Waktu", f"{start:%H.%M}–{end:%H.%M} WIB"),
        ("Tempat", _place_of(session)),
    ]
    if session.facilitator_names:
        facts.append(("Fasilitator", " ".join(session.facilitator_names.split())))
    facts += _scope_fact(db, scope)
    header = Header(city, office, "DAFTAR HADIR", session.title, facts)
    lines = [
        AttendanceLine(
            name=r.user.full_name,
            identifier=identifier_of(r.user),
            opd=r.opd.name if r.opd else "—",
            time=f"{to_local(r.attendance.checked_in_at):%H.%M} WIB" if r.attendance else "",
        )
        for r in rows
    ]
    present = sum(1 for r in rows if r.attendance)
    summary = f"Hadir tercatat: {present} dari {len(rows)} peserta."
    return header, lines, summary


def participant_sheets(
    db: Session, *, session: BimtekSession, scope: Scope, city: str, office: str
) -> tuple[Header, list[tuple[str, str, list[ParticipantLine]]]]:
    """Participants (confirmed, waitlisted, pending) grouped per OPD, the scope's OPDs only."""
    nominations = nominations_of(db, session_id=session.id, scope=scope, statuses=DOCUMENT_STATUS)
    attended = dict(
        db.execute(
            select(Attendance.user_id, func.count())
            .join(BimtekDay, BimtekDay.id == Attendance.day_id)
            .where(BimtekDay.session_id == session.id)
            .group_by(Attendance.user_id)
        ).all()
    )
    total_days = len(session.days)
    groups: dict[int, tuple[str, str, list[ParticipantLine]]] = {}
    if not scope.everything and scope.opd_id is not None:
        opd = db.get(Opd, scope.opd_id)
        groups[opd.id] = (opd.code, opd.name, [])
    for n in nominations:
        group = groups.setdefault(n.opd_id, (n.opd.code, n.opd.name, []))
        group[2].append(
            ParticipantLine(
                name=n.user.full_name,
                identifier=identifier_of(n.user),
                jabatan=n.user.jabatan or "",
                status=DOCUMENT_STATUS[n.status],
                attendance=f"{attended.get(n.user_id, 0)} dari {total_days} hari"
                if n.status == NominationStatus.confirmed
                else "",
            )
        )
    schedule = "—"
    if session.days:
        first, last = session.days[0].date, session.days[-1].date
        schedule = _long_date(first) + ("" if first == last else " s.d. " + _long_date(last))
    facts = [("Jadwal", schedule), ("Tempat", _place_of(session)), ("JP", str(session.jp))]
    header = Header(city, office, "DAFTAR PESERTA", session.title, facts)
    return header, sorted(groups.values(), key=lambda g: g[1])
