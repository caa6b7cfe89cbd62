"""Attendance: check-in with the rotating code, marking present by hand, the day's lists.

Attendance is one row per day and person, the first time kept (concurrent check-ins
included); each new row refreshes the participant's completion in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import citytime
from app.audit.service import record
from app.bimtek import checkin
from app.bimtek.access import BimtekError, can_run_checkin
from app.bimtek.models import (
    Attendance,
    AttendanceMethod,
    BimtekDay,
    BimtekSession,
    Nomination,
    NominationStatus,
)
from app.bimtek.roster import confirmed_count, get_day, nominations_of
from app.db import insert_ignore, write_locked
from app.errors import NotAllowed, NotFound
from app.i18n import gettext as _
from app.opds.models import Opd
from app.progress import service as progress
from app.users.models import User
from app.users.scope import OpdScope

# Check-in is open from an hour before a day starts until an hour after it ends.
CHECKIN_MARGIN = timedelta(hours=1)


class CheckinRefused(BimtekError):
    def __init__(self, message: str, *, status_code: int = 422):
        super().__init__(message)
        self.status_code = status_code


def checkin_window(day: BimtekDay) -> tuple[datetime, datetime]:
    return day.starts_at - CHECKIN_MARGIN, day.ends_at + CHECKIN_MARGIN


def checkin_problem(day: BimtekDay, now: datetime) -> str | None:
    """Why check-in for this day is closed right now, or None when it is open."""
    if citytime.today(now) != day.date:
        return _("Daftar hadir ini untuk %(day)s, bukan hari ini.") % {
            "day": day.date.strftime("%d-%m-%Y")
        }
    opens, closes = checkin_window(day)
    if not opens <= now <= closes:
        return _("Daftar hadir hari ini hanya dibuka pukul %(hours)s.") % {
            "hours": citytime.hours(opens, closes)
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
                BimtekDay.date == citytime.today(now),
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
    day = get_day(db, session_id=session_id, day_id=day_id)
    if day is None:
        raise NotFound()
    session = day.session
    if not can_run_checkin(actor, session):
        raise NotAllowed(_("Hanya fasilitator bimtek ini yang dapat mengisi daftar hadir."))
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


def day_attendance(db: Session, *, day: BimtekDay, scope: OpdScope) -> list[AttendanceRow]:
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
    return present, confirmed_count(db, session_id=day.session_id)


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
