"""The "Belum mulai" list: assigned courses nobody started, past their due date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.courses.models import Course
from app.opds.models import Opd
from app.progress.models import Enrolment, EnrolmentStatus
from app.reports.filters import ReportFilter
from app.reports.paging import Page
from app.reports.selection import courses, people
from app.users.models import User


@dataclass(frozen=True)
class NotStartedRow:
    user_id: int
    nip: str | None
    name: str
    opd_id: int
    opd_name: str
    course_slug: str
    course_title: str
    source: str
    due_date: date
    days_overdue: int


def not_started(
    db: Session, f: ReportFilter, *, today: date, page: int = 1, per_page: int = 50
) -> Page[NotStartedRow]:
    """Assigned enrolments (source assigned or bimtek) that were never started and whose
    due date has passed — the most overdue first. (The OPD summary's "Belum mulai" column
    counts every enrolment not started, due or not.)"""
    conditions = [
        *people(f),
        *courses(f, Enrolment.course_id),
        Enrolment.status == EnrolmentStatus.enrolled,
        Enrolment.source.in_(("assigned", "bimtek")),
        Enrolment.due_date < today,
    ]
    total = db.scalar(
        select(func.count())
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .where(*conditions)
    )
    rows = db.execute(
        select(
            User.id,
            User.nip,
            User.full_name,
            Opd.id,
            Opd.name,
            Course.slug,
            Course.title,
            Enrolment.source,
            Enrolment.due_date,
        )
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .join(Opd, Opd.id == User.opd_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(*conditions)
        .order_by(Enrolment.due_date, Opd.name, User.full_name, Enrolment.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [
        NotStartedRow(
            user_id=r[0],
            nip=r[1],
            name=r[2],
            opd_id=r[3],
            opd_name=r[4],
            course_slug=r[5],
            course_title=r[6],
            source=r[7],
            due_date=r[8],
            days_overdue=(today - r[8]).days,
        )
        for r in rows
    ]
    return Page(items=items, page=page, per_page=per_page, total=total or 0)
