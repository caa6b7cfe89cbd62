"""Course assignment rules: everyone matching a rule gets the course, with a due date —
also people imported or moved later."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from app.courses.models import Course
from app.db import insert_ignore
from app.progress.models import AssignmentRule, Enrolment, EnrolmentStatus
from app.progress.service import required_count
from app.users.models import User


def matching_users(db: Session, rule: AssignmentRule, *, user_ids: list[int] | None = None):
    stmt = select(User.id).where(User.active.is_(True))
    if rule.opd_ids:
        stmt = stmt.where(User.opd_id.in_(rule.opd_ids))
    if rule.statuses:
        stmt = stmt.where(User.employment_status.in_(rule.statuses))
    if rule.tmt_year:
        # TMT from the import, else digits 9–12 of the NIP (year of first appointment).
        year_from_nip = cast(func.substr(User.nip, 9, 4), Integer)
        stmt = stmt.where(
            (func.coalesce(func.extract("year", User.tmt), year_from_nip)) == rule.tmt_year
        )
    if user_ids is not None:
        stmt = stmt.where(User.id.in_(user_ids))
    already = select(Enrolment.user_id).where(Enrolment.course_id == rule.course_id)
    stmt = stmt.where(User.id.not_in(already))
    return list(db.scalars(stmt))


def apply_rules(
    db: Session,
    *,
    now: datetime,
    user_ids: list[int] | None = None,
    rule_ids: list[int] | None = None,
) -> int:
    """Enrol matching people who are not enrolled yet; returns how many. Not committed."""
    stmt = select(AssignmentRule).where(AssignmentRule.active.is_(True))
    if rule_ids is not None:
        stmt = stmt.where(AssignmentRule.id.in_(rule_ids))
    created = 0
    for rule in db.scalars(stmt).all():
        course = db.get(Course, rule.course_id)
        if course is None or course.archived:
            continue
        required = required_count(db, course.id)
        due = (now + timedelta(days=rule.due_days)).date()
        for user_id in matching_users(db, rule, user_ids=user_ids):
            insert_ignore(
                db,
                Enrolment,
                {
                    "user_id": user_id,
                    "course_id": course.id,
                    "source": "assigned",
                    "due_date": due,
                    "enrolled_at": now,
                    "status": EnrolmentStatus.enrolled.value,
                    "items_done": 0,
                    "items_required": required,
                    "progress_percent": 0,
                },
                conflict=["user_id", "course_id"],
            )
            created += 1
    return created
