"""Course assignment rules: everyone matching a rule gets the course, with a due date —
also people imported or moved later."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from app import citytime
from app.courses.models import Course
from app.db import insert_ignore
from app.progress.models import AssignmentRule, Enrolment, EnrolmentStatus
from app.progress.service import required_count
from app.users.models import User

# A course that falls due "90 days after TMT" may be assigned to someone whose TMT is long
# past (imported late): they still get this many days from the assignment.
MIN_DAYS_TO_FINISH = 14


def matching_users(db: Session, rule: AssignmentRule, *, user_ids: list[int] | None = None):
    """(user id, TMT) of active people the rule covers who are not enrolled yet."""
    stmt = select(User.id, User.tmt).where(User.active.is_(True))
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
    return list(db.execute(stmt).tuples())


def rule_covers(
    rule: AssignmentRule, *, opd_id: int | None, status: str, tmt: date | None, nip: str | None
) -> bool:
    """Whether `rule` covers a person with these fields — matching_users' conditions in
    Python, for people who do not exist yet (the import preview counts their courses).
    tests/test_progress_default_assignment.py checks that the two agree."""
    if rule.opd_ids and opd_id not in rule.opd_ids:
        return False
    if rule.statuses and status not in rule.statuses:
        return False
    if rule.tmt_year:
        year = tmt.year if tmt else (int(nip[8:12]) if nip and nip[8:12].isdigit() else None)
        if year != rule.tmt_year:
            return False
    return True


def due_date(rule: AssignmentRule, *, tmt: date | None, now: datetime) -> date:
    """When a person assigned `now` must finish the rule's course: days counted from the
    city's today (at 23.30 UTC it is already tomorrow in Jakarta)."""
    today = citytime.today(now)
    if rule.due_from == "tmt" and tmt is not None:
        return max(tmt + timedelta(days=rule.due_days), today + timedelta(MIN_DAYS_TO_FINISH))
    return today + timedelta(days=rule.due_days)


def active_rules(db: Session, *, rule_ids: list[int] | None = None) -> list[AssignmentRule]:
    stmt = select(AssignmentRule).where(AssignmentRule.active.is_(True))
    if rule_ids is not None:
        stmt = stmt.where(AssignmentRule.id.in_(rule_ids))
    return [
        rule
        for rule in db.scalars(stmt).all()
        if rule.course is not None and not rule.course.archived
    ]


def apply_rules(
    db: Session,
    *,
    now: datetime,
    user_ids: list[int] | None = None,
    rule_ids: list[int] | None = None,
) -> int:
    """Enrol matching people who are not enrolled yet; returns how many. Not committed."""
    created = 0
    for rule in active_rules(db, rule_ids=rule_ids):
        course = rule.course
        required = required_count(db, course.id)
        for user_id, tmt in matching_users(db, rule, user_ids=user_ids):
            insert_ignore(
                db,
                Enrolment,
                {
                    "user_id": user_id,
                    "course_id": course.id,
                    "source": "assigned",
                    "due_date": due_date(rule, tmt=tmt, now=now),
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


def sync_course_rule(db: Session, *, course: Course, spec, now: datetime) -> AssignmentRule | None:
    """Keep the course's default rule in line with its file's `assign:` block (`spec`, an
    app.courses.schema.AutoAssign or None) and enrol whom a new or changed rule covers.
    An admin's switch-off (active = False) survives later syncs. Not committed."""
    rule = db.scalar(
        select(AssignmentRule).where(
            AssignmentRule.course_id == course.id, AssignmentRule.course_default.is_(True)
        )
    )
    if spec is None:
        if rule is not None:
            db.delete(rule)  # enrolments it made stay: people keep what they were given
            db.flush()
        return None
    if rule is None:
        rule = AssignmentRule(course_id=course.id, course_default=True, active=True)
        db.add(rule)
    rule.statuses = list(spec.statuses)
    rule.opd_ids = None
    rule.tmt_year = None
    rule.due_days = spec.due_days
    rule.due_from = spec.due_from
    db.flush()
    if rule.active and not course.archived:
        apply_rules(db, now=now, rule_ids=[rule.id])
    return rule
