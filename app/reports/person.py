"""One person's training record, and the riwayat pelatihan (training history) for SIASN."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import citytime
from app.certificates.models import Certificate
from app.courses.models import Course
from app.errors import NotAllowed, NotFound
from app.i18n import gettext as _
from app.opds.models import Opd
from app.progress.models import Enrolment
from app.reports.drilldown import EnrolmentLine, enrolment_lines
from app.reports.filters import ReportFilter
from app.reports.selection import courses, people
from app.users.models import User
from app.users.scope import OpdScope


@dataclass(frozen=True)
class CertificateLine:
    id: int
    serial: str
    course_title: str
    jp: int
    jp_category: str | None
    issued_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class PersonRecord:
    user_id: int
    nip: str | None
    nik: str | None
    name: str
    status: str
    active: bool
    jabatan: str | None
    golongan: str | None
    opd_id: int | None
    opd_name: str | None
    enrolments: list[EnrolmentLine]
    certificates: list[CertificateLine]

    @property
    def jp_by_year(self) -> list[tuple[int, int]]:
        """JP of valid certificates per year of issue (in the city), newest year first."""
        years: dict[int, int] = {}
        for c in self.certificates:
            if c.revoked_at is None:
                year = citytime.today(c.issued_at).year
                years[year] = years.get(year, 0) + c.jp
        return sorted(years.items(), reverse=True)


def person_record(db: Session, user_id: int, *, scope: OpdScope) -> PersonRecord:
    """Everything about one person's training, if the reader's scope covers their OPD."""
    row = db.execute(
        select(User, Opd.name).outerjoin(Opd, Opd.id == User.opd_id).where(User.id == user_id)
    ).first()
    if row is None:
        raise NotFound()
    user, opd_name = row
    if not scope.allows(user.opd_id):
        raise NotAllowed(_("Anda hanya dapat melihat ASN di OPD Anda."))
    certificates = [
        CertificateLine(
            id=c.id,
            serial=c.serial,
            course_title=title,
            jp=c.jp,
            jp_category=category,
            issued_at=c.issued_at,
            revoked_at=c.revoked_at,
        )
        for c, title, category in db.execute(
            select(Certificate, Course.title, Course.jp_category)
            .join(Course, Course.id == Certificate.course_id)
            .where(Certificate.user_id == user_id)
            .order_by(Certificate.issued_at.desc())
        )
    ]
    return PersonRecord(
        user_id=user.id,
        nip=user.nip,
        nik=user.nik,
        name=user.full_name,
        status=str(user.employment_status),
        active=user.active,
        jabatan=user.jabatan,
        golongan=user.golongan,
        opd_id=user.opd_id,
        opd_name=opd_name,
        enrolments=enrolment_lines(db, None, [user.id]).get(user.id, []),
        certificates=certificates,
    )


@dataclass(frozen=True)
class TrainingRecord:
    """One line of riwayat pelatihan, shaped for SIASN."""

    nip: str | None
    nik: str | None
    name: str
    course_title: str
    started_on: date
    completed_on: date
    jp: int
    serial: str


def training_history(
    db: Session, f: ReportFilter, *, user_id: int | None = None
) -> Iterator[TrainingRecord]:
    """Valid certificates of the people in the filter (or of one person), oldest first.

    The start date is when the learner started (or enrolled, if they never opened a
    module); the end date is when the course was completed. Days in the city's zone.
    """
    stmt = (
        select(
            User.nip,
            User.nik,
            User.full_name,
            Course.title,
            Enrolment.started_at,
            Enrolment.enrolled_at,
            Enrolment.completed_at,
            Certificate.issued_at,
            Certificate.jp,
            Certificate.serial,
        )
        .select_from(Certificate)
        .join(User, User.id == Certificate.user_id)
        .join(Enrolment, Enrolment.id == Certificate.enrolment_id)
        .join(Course, Course.id == Certificate.course_id)
        .where(
            *people(f),
            *courses(f, Certificate.course_id),
            *f.period_utc().conditions(Certificate.issued_at),
            Certificate.revoked_at.is_(None),
        )
        .order_by(User.full_name, User.id, Certificate.issued_at, Certificate.id)
        .execution_options(yield_per=2000)
    )
    if user_id is not None:
        stmt = stmt.where(User.id == user_id)
    for row in db.execute(stmt):
        nip, nik, name, title, started, enrolled, completed, issued, jp, serial = row
        yield TrainingRecord(
            nip=nip,
            nik=nik,
            name=name,
            course_title=title,
            started_on=citytime.today(started or enrolled),
            completed_on=citytime.today(completed or issued),
            jp=jp,
            serial=serial,
        )
