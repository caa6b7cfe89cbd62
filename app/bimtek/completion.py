"""Attendance-based completion: the gate that keeps a bimtek course from completing
without enough attendance, the JP a completion earns, and a person's bimtek JP credits.

`attendance_gate` and `session_jp` are listed in app/wiring.py, which hands them to
progress and certificates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.bimtek.models import Attendance, BimtekDay, BimtekSession, Nomination, NominationStatus
from app.progress.models import Enrolment


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
