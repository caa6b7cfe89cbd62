"""The learner's page: upcoming sessions with their status, and the sessions they were in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import citytime
from app.bimtek.completion import rule_met
from app.bimtek.models import Attendance, BimtekDay, BimtekSession, Nomination, NominationStatus
from app.bimtek.roster import list_sessions, waitlist_rank
from app.bimtek.seats import ACTIVE, registration_open
from app.progress import service as progress
from app.progress.models import Enrolment
from app.users.models import User


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
    today = citytime.today(now)
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
                and registration_open(session, now)
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
