"""The drill-down into one OPD: its ASN by name, each with their enrolments."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.certificates.models import Certificate
from app.courses.models import Course
from app.progress.models import Enrolment
from app.reports.filters import ReportFilter
from app.reports.paging import Page
from app.reports.selection import check_opd, courses, people
from app.users.models import User


@dataclass(frozen=True)
class EnrolmentLine:
    course_id: int
    course_slug: str
    course_title: str
    status: str
    progress_percent: int
    enrolled_at: datetime
    started_at: datetime | None
    last_activity_at: datetime | None
    completed_at: datetime | None
    due_date: date | None
    source: str
    final_score: float | None
    certificate_id: int | None
    certificate_serial: str | None
    certificate_revoked: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "course_slug": self.course_slug,
            "course_title": self.course_title,
            "status": self.status,
            "progress_percent": self.progress_percent,
            "last_activity_at": _iso(self.last_activity_at),
            "completed_at": _iso(self.completed_at),
            "final_score": self.final_score,
            "certificate_serial": self.certificate_serial,
            "certificate_revoked": self.certificate_revoked,
        }


@dataclass(frozen=True)
class PersonRow:
    user_id: int
    nip: str | None
    nik: str | None
    name: str
    status: str
    enrolments: list[EnrolmentLine] = field(default_factory=list)

    @property
    def last_activity_at(self) -> datetime | None:
        times = [e.last_activity_at for e in self.enrolments if e.last_activity_at]
        return max(times) if times else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "nip": self.nip,
            "name": self.name,
            "employment_status": self.status,
            "last_activity_at": _iso(self.last_activity_at),
            "enrolments": [e.as_dict() for e in self.enrolments],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def opd_people(
    db: Session, f: ReportFilter, opd_id: int, *, page: int = 1, per_page: int = 50
) -> Page[PersonRow]:
    """The ASN of one OPD (status filter applies), by name, each with their enrolments in
    the filtered courses: status, progress, last activity, score and certificate."""
    check_opd(db, f, opd_id)
    scoped = replace(f, opd_id=opd_id)
    total = db.scalar(select(func.count()).select_from(User).where(*people(scoped)))
    users = db.execute(
        select(User.id, User.nip, User.nik, User.full_name, User.employment_status)
        .where(*people(scoped))
        .order_by(User.full_name, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    lines = enrolment_lines(db, scoped, [u.id for u in users])
    items = [
        PersonRow(
            user_id=u.id,
            nip=u.nip,
            nik=u.nik,
            name=u.full_name,
            status=str(u.employment_status),
            enrolments=lines.get(u.id, []),
        )
        for u in users
    ]
    return Page(items=items, page=page, per_page=per_page, total=total or 0)


def enrolment_lines(
    db: Session, f: ReportFilter | None, user_ids: list[int]
) -> dict[int, list[EnrolmentLine]]:
    """Each person's enrolments (in the filter's courses; every course without a filter),
    by course title, with their certificate."""
    if not user_ids:
        return {}
    stmt = (
        select(
            Enrolment.user_id,
            Enrolment.course_id,
            Course.slug,
            Course.title,
            Enrolment.status,
            Enrolment.progress_percent,
            Enrolment.enrolled_at,
            Enrolment.started_at,
            Enrolment.last_activity_at,
            Enrolment.completed_at,
            Enrolment.due_date,
            Enrolment.source,
            Enrolment.final_score,
            Certificate.id,
            Certificate.serial,
            Certificate.revoked_at,
        )
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(Certificate, Certificate.enrolment_id == Enrolment.id)
        .where(Enrolment.user_id.in_(user_ids))
        .order_by(Enrolment.user_id, Course.title, Enrolment.id)
    )
    if f is not None:
        stmt = stmt.where(*courses(f, Enrolment.course_id))
    lines: dict[int, list[EnrolmentLine]] = {}
    for row in db.execute(stmt):
        lines.setdefault(row[0], []).append(
            EnrolmentLine(
                course_id=row[1],
                course_slug=row[2],
                course_title=row[3],
                status=str(row[4]),
                progress_percent=row[5],
                enrolled_at=row[6],
                started_at=row[7],
                last_activity_at=row[8],
                completed_at=row[9],
                due_date=row[10],
                source=row[11],
                final_score=row[12],
                certificate_id=row[13],
                certificate_serial=row[14],
                certificate_revoked=row[15] is not None,
            )
        )
    return lines
