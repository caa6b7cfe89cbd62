"""Managing course assignment rules (admins): read the form, create, switch on and off.

`assignment.py` decides whom a rule covers; this module is the use cases around it, each
committing once and leaving an audit record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.courses.models import Course
from app.errors import NotFound
from app.i18n import gettext as _
from app.opds.models import Opd
from app.progress.assignment import apply_rules
from app.progress.models import AssignmentRule
from app.users.models import EmploymentStatus, User

DEFAULT_DUE_DAYS = 30
DUE_DAYS_RANGE = (1, 730)
TMT_YEAR_RANGE = (1960, 2100)


class RuleInvalid(ValueError):
    """The form cannot become a rule; the message says why, in Indonesian."""


@dataclass(frozen=True)
class RuleSpec:
    course_id: int
    opd_ids: list[int] | None
    statuses: list[str] | None
    tmt_year: int | None
    due_days: int


def parse_rule(form) -> RuleSpec:
    """A rule from the admin's form (a Starlette FormData or a dict of lists); no database."""

    def many(name: str) -> list[str]:
        return form.getlist(name) if hasattr(form, "getlist") else list(form.get(name) or [])

    course_id = str(form.get("course_id") or "")
    if not course_id.isdigit():
        raise RuleInvalid(_("Pilih kursus."))
    try:
        opd_ids = sorted({int(v) for v in many("opd_ids")}) or None
        statuses = sorted({EmploymentStatus(v).value for v in many("statuses")}) or None
        due_days = int(form.get("due_days") or DEFAULT_DUE_DAYS)
        tmt_year = int(form["tmt_year"]) if form.get("tmt_year") else None
    except ValueError:
        raise RuleInvalid(_("Isian aturan tidak valid.")) from None
    low, high = DUE_DAYS_RANGE
    if not low <= due_days <= high or (
        tmt_year is not None and not TMT_YEAR_RANGE[0] <= tmt_year <= TMT_YEAR_RANGE[1]
    ):
        raise RuleInvalid(_("Tenggat 1–730 hari; tahun TMT 1960–2100."))
    return RuleSpec(int(course_id), opd_ids, statuses, tmt_year, due_days)


def page_data(db: Session) -> dict:
    """What the rules page lists: every rule (active first), the courses and the OPDs."""
    return {
        "rules": db.scalars(
            select(AssignmentRule).order_by(AssignmentRule.active.desc(), AssignmentRule.id.desc())
        ).all(),
        "courses": db.scalars(
            select(Course).where(Course.archived.is_(False)).order_by(Course.title)
        ).all(),
        "opds": db.scalars(select(Opd).where(Opd.active.is_(True)).order_by(Opd.name)).all(),
        "statuses": [s.value for s in EmploymentStatus],
    }


def create_rule(
    db: Session, *, actor: User, spec: RuleSpec, now: datetime, ip: str | None
) -> tuple[AssignmentRule, Course, int]:
    """Create the rule and assign its course to everyone it covers today (one commit)."""
    course = db.get(Course, spec.course_id)
    if course is None or course.archived:
        raise RuleInvalid(_("Pilih kursus."))
    rule = AssignmentRule(
        course_id=course.id,
        opd_ids=spec.opd_ids,
        statuses=spec.statuses,
        tmt_year=spec.tmt_year,
        due_days=spec.due_days,
        created_by=actor.id,
    )
    db.add(rule)
    db.flush()
    count = apply_rules(db, now=now, rule_ids=[rule.id])
    record(
        db,
        action="rule.created",
        actor_id=actor.id,
        target=course.slug,
        ip=ip,
        rule=rule.id,
        enrolled=count,
    )
    db.commit()
    return rule, course, count


def set_active(
    db: Session, *, actor: User, rule_id: int, active: bool, now: datetime, ip: str | None
) -> int:
    """Switch a rule off, or back on (it then assigns whom it covers, like a new rule).

    Returns how many people were assigned the course (always 0 when switching off)."""
    rule = db.get(AssignmentRule, rule_id)
    if rule is None:
        raise NotFound(_("Aturan tidak ditemukan."))
    rule.active = active
    db.flush()
    count = apply_rules(db, now=now, rule_ids=[rule.id]) if active else 0
    extra = {"enrolled": count} if active else {}
    record(
        db,
        action="rule.activated" if active else "rule.deactivated",
        actor_id=actor.id,
        target=str(rule.id),
        ip=ip,
        **extra,
    )
    db.commit()
    return count
