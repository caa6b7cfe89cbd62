"""Every figure of the reports: the dashboard, drill-downs, exports, the API and the CLI
all call these functions, so the same filter always gives the same numbers.

Aggregation happens in SQL (GROUP BY over covering indexes, see app/reports/models.py);
Python only merges the per-OPD rows (a few dozen) and sorts them. Lists of people are
paginated in SQL. Calendar boundaries (weeks, quarters, years in Asia/Jakarta) come from
app/reports/periods.py and are applied as UTC ranges, which SQLite and PostgreSQL agree on.
The dashboard's figures without a period come from pre-aggregated rollups that are kept
exact (app/reports/rollups.py); with a period they are counted live. Both paths apply the
same definitions, and tests/test_reports_queries.py checks both against plain Python.

Who is counted: active users with an OPD (people without an OPD belong to no row). The
city total is the sum of the OPD rows. OPD scoping lives here too: a filter with `opd_id`
never returns another OPD's rows, and asking for another OPD raises `ScopeError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, distinct, func, or_, select
from sqlalchemy.orm import Session

from app.bimtek.models import Attendance, BimtekDay, BimtekSession
from app.certificates.models import Certificate
from app.courses.models import Course
from app.opds.models import Opd
from app.progress.models import Enrolment, EnrolmentStatus
from app.reports.filters import FilterError, ReportFilter
from app.reports.models import ReportJpRollup, ReportPersonJp, ReportRollup, ReportWeekRollup
from app.reports.periods import (
    local_date,
    quarter_of,
    start_of_day,
    week_starts,
    year_range,
)
from app.users.models import Role, User

# PP 11/2017 art. 203: every civil servant gets at least 20 JP of competence development a
# year. Non-ASN staff have no such right, so the JP report covers CPNS, PNS and PPPK only.
JP_TARGET = 20
ASN_STATUSES = ("CPNS", "PNS", "PPPK")
NO_CATEGORY = "lainnya"
T = TypeVar("T")


class ScopeError(Exception):
    """The caller may not see this OPD (or person); shown as 403."""


class NotFound(LookupError):
    """The OPD or person does not exist; shown as 404."""


# ---------------------------------------------------------------------------- scope, filter


def scope_for(user: User) -> int | None:
    """The OPD a staff member is limited to: None for kominfo and admins (the whole city)."""
    if user.has_role(Role.kominfo, Role.admin):
        return None
    if user.opd_id is None:
        raise ScopeError("Akun Anda belum terhubung ke OPD mana pun.")
    return user.opd_id


def build_filter(db: Session, params, *, scope_opd_id: int | None) -> ReportFilter:
    """Parse query parameters into a filter, resolve the course and apply the OPD scope.

    Raises FilterError (422) for values we cannot use and ScopeError (403) when a scoped
    caller asks for another OPD.
    """
    f = ReportFilter.from_params(params)
    if scope_opd_id is not None:
        if f.opd_id is not None and f.opd_id != scope_opd_id:
            raise ScopeError("Anda hanya dapat melihat laporan OPD Anda.")
        f = replace(f, opd_id=scope_opd_id)
    elif f.opd_id is not None and db.get(Opd, f.opd_id) is None:
        raise FilterError(f"OPD nomor {f.opd_id} tidak ditemukan.")
    if f.course_slug is not None:
        course_id = db.scalar(select(Course.id).where(Course.slug == f.course_slug))
        if course_id is None:
            raise FilterError(f"Kursus '{f.course_slug}' tidak ditemukan.")
        f = replace(f, course_id=course_id)
    return f


def check_opd(db: Session, f: ReportFilter, opd_id: int) -> Opd:
    """The OPD a drill-down asks for, if the filter's scope allows it.

    A missing OPD is 404 for everyone: the list of OPDs is public, their figures are not.
    """
    opd = db.get(Opd, opd_id)
    if opd is None:
        raise NotFound(opd_id)
    if f.opd_id is not None and f.opd_id != opd_id:
        raise ScopeError("Anda hanya dapat melihat laporan OPD Anda.")
    return opd


def _people(f: ReportFilter) -> list[ColumnElement[bool]]:
    conditions = [User.active.is_(True), User.opd_id.is_not(None)]
    if f.status != "all":
        conditions.append(User.employment_status == f.status)
    if f.opd_id is not None:
        conditions.append(User.opd_id == f.opd_id)
    return conditions


def _courses(f: ReportFilter, column) -> list[ColumnElement[bool]]:
    conditions = []
    if f.course_id is not None:
        conditions.append(column == f.course_id)
    if f.audience != "all":
        conditions.append(column.in_(select(Course.id).where(Course.audience == f.audience)))
    return conditions


def _in_period(column, start: datetime | None, end: datetime | None) -> list[ColumnElement]:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


# ---------------------------------------------------------------------------- OPD summary


@dataclass(frozen=True)
class OpdRow:
    opd_id: int | None  # None for the city total
    code: str
    name: str
    people: int = 0
    enrolled: int = 0
    in_progress: int = 0
    completed: int = 0
    score_sum: float = 0.0
    score_count: int = 0
    certificates: int = 0
    jp: int = 0
    bimtek_attendees: int = 0  # people present on at least one bimtek day

    @property
    def completion_percent(self) -> float | None:
        return self.completed * 100 / self.enrolled if self.enrolled else None

    @property
    def average_score(self) -> float | None:
        return self.score_sum / self.score_count if self.score_count else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "opd_id": self.opd_id,
            "opd_code": self.code,
            "opd_name": self.name,
            "asn": self.people,
            "enrolled": self.enrolled,
            "in_progress": self.in_progress,
            "completed": self.completed,
            "completion_percent": _round(self.completion_percent, 1),
            "average_score": _round(self.average_score, 2),
            "certificates": self.certificates,
            "jp": self.jp,
            "bimtek_attendees": self.bimtek_attendees,
        }


@dataclass(frozen=True)
class OpdSummary:
    rows: list[OpdRow]
    totals: OpdRow
    filter: ReportFilter


_SORTS: dict[str, Callable[[OpdRow], Any]] = {
    "opd": lambda r: r.name.casefold(),
    "asn": lambda r: r.people,
    "terdaftar": lambda r: r.enrolled,
    "berjalan": lambda r: r.in_progress,
    "selesai": lambda r: r.completed,
    "persen": lambda r: r.completion_percent,
    "nilai": lambda r: r.average_score,
    "sertifikat": lambda r: r.certificates,
    "jp": lambda r: r.jp,
    "hadir": lambda r: r.bimtek_attendees,
}


def opd_summary(db: Session, f: ReportFilter) -> OpdSummary:
    """Per OPD: ASN, enrolled, in progress, completed, completion %, average final score,
    certificates (not revoked) and their JP, people present at a bimtek; plus the city total.

    Completion % is completed / enrolled. The average score is over completed enrolments
    that have a score. Bimtek attendance counts days within the period (course filters
    apply to the session's course). Active OPDs are listed even with no figures.

    Without a period the enrolment and certificate figures come from the rollups (kept
    exact by triggers); a period needs the rows themselves, so then they are counted live.
    People and bimtek attendees are always counted live (cheap).
    """
    people = dict(
        db.execute(select(User.opd_id, func.count()).where(*_people(f)).group_by(User.opd_id)).all()
    )
    figures = _figures_live(db, f) if f.has_period else _figures_from_rollups(db, f)
    attendees = dict(
        db.execute(
            select(User.opd_id, func.count(distinct(Attendance.user_id)))
            .select_from(User)
            .join(Attendance, Attendance.user_id == User.id)
            .join(BimtekDay, BimtekDay.id == Attendance.day_id)
            .join(BimtekSession, BimtekSession.id == BimtekDay.session_id)
            .where(
                *_people(f),
                *_courses(f, BimtekSession.course_id),
                *([BimtekDay.date >= f.completed_from] if f.completed_from else []),
                *([BimtekDay.date <= f.completed_to] if f.completed_to else []),
            )
            .group_by(User.opd_id)
        ).all()
    )

    opd_filter = Opd.id == f.opd_id if f.opd_id is not None else Opd.active.is_(True)
    wanted = set(people) | set(figures) | set(attendees)
    opds = db.execute(
        select(Opd.id, Opd.code, Opd.name).where(or_(opd_filter, Opd.id.in_(wanted)))
    ).all()
    rows = []
    for opd_id, code, name in opds:
        enrolled, in_progress, done, score_sum, score_count, cert_count, jp = figures.get(
            opd_id, _NO_FIGURES
        )
        rows.append(
            OpdRow(
                opd_id=opd_id,
                code=code,
                name=name,
                people=people.get(opd_id, 0),
                enrolled=enrolled,
                in_progress=in_progress,
                completed=done,
                score_sum=float(score_sum or 0),
                score_count=score_count,
                certificates=cert_count,
                jp=int(jp or 0),
                bimtek_attendees=attendees.get(opd_id, 0),
            )
        )
    rows = _sorted(rows, f.sort, f.desc)
    return OpdSummary(rows=rows, totals=_total(rows), filter=f)


# (enrolled, in progress, completed, score sum, score count, certificates, JP) per OPD.
_Figures = dict[int, tuple[int, int, int, float | None, int, int, int | None]]
_NO_FIGURES = (0, 0, 0, None, 0, 0, None)


def _figures_live(db: Session, f: ReportFilter) -> _Figures:
    """Enrolment and certificate figures per OPD, counted from the enrolments themselves:
    the only way to apply a period (completions, scores and certificates within it,
    enrolments made before its end)."""
    start, end = f.period_utc()
    completed = and_(
        Enrolment.status == EnrolmentStatus.completed,
        *_in_period(Enrolment.completed_at, start, end),
    )
    enrolment_conditions = _people(f) + _courses(f, Enrolment.course_id)
    if end is not None:
        enrolment_conditions.append(Enrolment.enrolled_at < end)
    enrolments = {
        row[0]: tuple(row[1:])
        for row in db.execute(
            select(
                User.opd_id,
                func.count(),
                func.count().filter(Enrolment.status == EnrolmentStatus.in_progress),
                func.count().filter(completed),
                func.sum(Enrolment.final_score).filter(completed),
                func.count(Enrolment.final_score).filter(completed),
            )
            .select_from(User)
            .join(Enrolment, Enrolment.user_id == User.id)
            .where(*enrolment_conditions)
            .group_by(User.opd_id)
        )
    }
    certificates = {
        row[0]: tuple(row[1:])
        for row in db.execute(
            select(User.opd_id, func.count(), func.sum(Certificate.jp))
            .select_from(User)
            .join(Certificate, Certificate.user_id == User.id)
            .where(
                *_people(f),
                Certificate.revoked_at.is_(None),
                *_courses(f, Certificate.course_id),
                *_in_period(Certificate.issued_at, start, end),
            )
            .group_by(User.opd_id)
        )
    }
    return {
        opd_id: enrolments.get(opd_id, _NO_FIGURES[:5]) + certificates.get(opd_id, (0, None))
        for opd_id in set(enrolments) | set(certificates)
    }


def _rollup_conditions(f: ReportFilter, model) -> list[ColumnElement[bool]]:
    # The rollups hold active people with an OPD only, like _people.
    conditions = _courses(f, model.course_id)
    if f.status != "all":
        conditions.append(model.employment_status == f.status)
    if f.opd_id is not None:
        conditions.append(model.opd_id == f.opd_id)
    return conditions


def _figures_from_rollups(db: Session, f: ReportFilter) -> _Figures:
    """The same figures as _figures_live without a period, from report_rollups."""
    r = ReportRollup
    enrolled, certificates = func.sum(r.enrolled), func.sum(r.certificates)
    return {
        opd_id: (n, in_progress, done, int(cents) / 100, scored, certs, jp)
        for opd_id, n, in_progress, done, cents, scored, certs, jp in db.execute(
            select(
                r.opd_id,
                enrolled,
                func.sum(r.in_progress),
                func.sum(r.completed),
                func.sum(r.score_cents),
                func.sum(r.score_count),
                certificates,
                func.sum(r.jp),
            )
            .where(*_rollup_conditions(f, r))
            .group_by(r.opd_id)
            # Keys whose last enrolment went keep a row of zeros; the live count has none.
            .having(or_(enrolled > 0, certificates > 0))
        )
    }


def _total(rows: list[OpdRow]) -> OpdRow:
    return OpdRow(
        opd_id=None,
        code="",
        name="Total kota",
        people=sum(r.people for r in rows),
        enrolled=sum(r.enrolled for r in rows),
        in_progress=sum(r.in_progress for r in rows),
        completed=sum(r.completed for r in rows),
        score_sum=sum(r.score_sum for r in rows),
        score_count=sum(r.score_count for r in rows),
        certificates=sum(r.certificates for r in rows),
        jp=sum(r.jp for r in rows),
        bimtek_attendees=sum(r.bimtek_attendees for r in rows),
    )


def _sorted(rows: list[OpdRow], sort: str, desc: bool) -> list[OpdRow]:
    key = _SORTS.get(sort, _SORTS["opd"])
    # Ties and empty values keep a stable, readable order: by name, empty values last.
    by_name = sorted(rows, key=lambda r: (r.name.casefold(), r.opd_id or 0))
    present = [r for r in by_name if key(r) is not None]
    missing = [r for r in by_name if key(r) is None]
    return sorted(present, key=key, reverse=desc) + missing


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# ---------------------------------------------------------------------------- weekly trend


@dataclass(frozen=True)
class WeekCount:
    start: date  # Monday, Asia/Jakarta
    completed: int

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


def weekly_completions(
    db: Session, f: ReportFilter, *, today: date, weeks: int = 12
) -> list[WeekCount]:
    """Completions per week (Monday–Sunday, Asia/Jakarta) for the `weeks` weeks ending
    with the week of the period's end, or of `today` when the period is open.

    Without a period the counts come from the weekly rollups (kept exact by triggers); a
    period can cut a week in half, so then it is counted live.
    """
    starts = week_starts(f.completed_to or today, weeks)
    if not f.has_period:
        w = ReportWeekRollup
        counts = dict(
            db.execute(
                select(w.week_start, func.sum(w.completions))
                .where(
                    w.week_start >= starts[0],
                    w.week_start <= starts[-1],
                    *_rollup_conditions(f, w),
                )
                .group_by(w.week_start)
            ).all()
        )
        return [WeekCount(start=d, completed=int(counts.get(d, 0))) for d in starts]
    bounds = [start_of_day(d) for d in starts] + [start_of_day(starts[-1] + timedelta(days=7))]
    lo, hi = bounds[0], bounds[-1]
    start, end = f.period_utc()
    lo = max(lo, start) if start else lo
    hi = min(hi, end) if end else hi
    if lo >= hi:
        return [WeekCount(start=d, completed=0) for d in starts]
    counts = db.execute(
        select(
            *(
                func.count().filter(
                    Enrolment.completed_at >= bounds[i], Enrolment.completed_at < bounds[i + 1]
                )
                for i in range(weeks)
            )
        )
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .where(
            # completed_at is set exactly when an enrolment completes, and completion is
            # never undone (progress.service.recompute), so the time range alone selects
            # completions; a status test here would lure SQLite onto the status index.
            Enrolment.completed_at >= lo,
            Enrolment.completed_at < hi,
            *_people(f),
            *_courses(f, Enrolment.course_id),
        )
    ).one()
    return [WeekCount(start=d, completed=n) for d, n in zip(starts, counts, strict=True)]


# ---------------------------------------------------------------------------- pages of people


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def each_item(fetch: Callable[[int], Page[T]]) -> Iterator[T]:
    """Every item of a paginated report, page by page (exports use the page functions,
    so an export holds exactly what the pages show)."""
    page = 1
    while True:
        result = fetch(page)
        yield from result.items
        if not result.has_next:
            return
        page += 1


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
    total = db.scalar(select(func.count()).select_from(User).where(*_people(scoped)))
    users = db.execute(
        select(User.id, User.nip, User.nik, User.full_name, User.employment_status)
        .where(*_people(scoped))
        .order_by(User.full_name, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    lines = _enrolment_lines(db, scoped, [u.id for u in users])
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


def _enrolment_lines(
    db: Session, f: ReportFilter | None, user_ids: list[int]
) -> dict[int, list[EnrolmentLine]]:
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
        stmt = stmt.where(*_courses(f, Enrolment.course_id))
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


# ---------------------------------------------------------------------------- one person


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
        """JP of valid certificates per year of issue (Asia/Jakarta), newest year first."""
        years: dict[int, int] = {}
        for c in self.certificates:
            if c.revoked_at is None:
                year = local_date(c.issued_at).year
                years[year] = years.get(year, 0) + c.jp
        return sorted(years.items(), reverse=True)


def person_record(db: Session, user_id: int, *, scope_opd_id: int | None = None) -> PersonRecord:
    """Everything about one person's training; a scoped caller sees only their OPD's people."""
    row = db.execute(
        select(User, Opd.name).outerjoin(Opd, Opd.id == User.opd_id).where(User.id == user_id)
    ).first()
    if row is None:
        raise NotFound(user_id)
    user, opd_name = row
    if scope_opd_id is not None and user.opd_id != scope_opd_id:
        raise ScopeError("Anda hanya dapat melihat ASN di OPD Anda.")
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
        enrolments=_enrolment_lines(db, None, [user.id]).get(user.id, []),
        certificates=certificates,
    )


# ---------------------------------------------------------------------------- belum mulai


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
    """ "Belum mulai": assigned enrolments (source assigned or bimtek) that were never
    started and whose due date has passed — the most overdue first."""
    conditions = [
        *_people(f),
        *_courses(f, Enrolment.course_id),
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


# ---------------------------------------------------------------------------- JP per year


@dataclass(frozen=True)
class JpOpdRow:
    opd_id: int | None
    code: str
    name: str
    people: int
    met_target: int
    quarters: tuple[int, int, int, int]

    @property
    def jp(self) -> int:
        return sum(self.quarters)

    @property
    def below_target(self) -> int:
        return self.people - self.met_target

    @property
    def average_jp(self) -> float | None:
        return self.jp / self.people if self.people else None


@dataclass(frozen=True)
class JpCategory:
    category: str
    certificates: int
    jp: int


@dataclass(frozen=True)
class JpYear:
    year: int
    target: int
    categories: list[JpCategory]
    opds: list[JpOpdRow]
    totals: JpOpdRow


def _jp_people(f: ReportFilter) -> list[ColumnElement[bool]]:
    conditions = _people(f)
    if f.status == "all":
        conditions.append(User.employment_status.in_(ASN_STATUSES))
    return conditions


def _year_certificates(year: int) -> list[ColumnElement[bool]]:
    start, end = year_range(year)
    return [
        Certificate.revoked_at.is_(None),
        Certificate.issued_at >= start,
        Certificate.issued_at < end,
    ]


def _jp_filter(opd_id: int | None, status: str) -> ReportFilter:
    return ReportFilter(opd_id=opd_id, status=status)


def jp_year(db: Session, year: int, opd_id: int | None = None, *, status: str = "all") -> JpYear:
    """JP earned in `year` (valid certificates issued that year, Asia/Jakarta) against the
    20 JP target: per category, per OPD and triwulan, and how many ASN reached the target.

    Covers ASN (CPNS, PNS, PPPK); `status` narrows it to one of them. The JP comes from
    the trigger-maintained rollups (report_jp_rollups per quarter, report_person_jp per
    person and year); the people counted are read live.
    """
    f = _jp_filter(opd_id, status)
    j = ReportJpRollup
    in_year = [
        j.quarter_start >= date(year, 1, 1),
        j.quarter_start <= date(year, 10, 1),
        j.employment_status.in_(ASN_STATUSES if status == "all" else (status,)),
        *([j.opd_id == opd_id] if opd_id is not None else []),
    ]
    quarter_jp: dict[int, list[int]] = {}
    for oid, quarter_start, jp in db.execute(
        select(j.opd_id, j.quarter_start, func.sum(j.jp))
        .where(*in_year)
        .group_by(j.opd_id, j.quarter_start)
    ):
        quarter_jp.setdefault(oid, [0, 0, 0, 0])[quarter_of(quarter_start) - 1] += int(jp)
    people = dict(
        db.execute(
            select(User.opd_id, func.count()).where(*_jp_people(f)).group_by(User.opd_id)
        ).all()
    )
    p = ReportPersonJp
    met = dict(
        db.execute(
            select(User.opd_id, func.count())
            .select_from(p)
            .join(User, User.id == p.user_id)
            .where(p.year == year, p.jp >= JP_TARGET, *_jp_people(f))
            .group_by(User.opd_id)
        ).all()
    )
    per_course = db.execute(
        select(j.course_id, func.sum(j.certificates), func.sum(j.jp))
        .where(*in_year)
        .group_by(j.course_id)
        # A course whose certificates of the year were all revoked keeps rows of zeros.
        .having(func.sum(j.certificates) > 0)
    ).all()
    category_of = dict(db.execute(select(Course.id, Course.jp_category)).all())
    totals_by_category: dict[str, list[int]] = {}
    for course_id, n, jp in per_course:
        entry = totals_by_category.setdefault(category_of.get(course_id) or NO_CATEGORY, [0, 0])
        entry[0] += int(n)
        entry[1] += int(jp or 0)
    categories = [
        JpCategory(category=name, certificates=n, jp=jp)
        for name, (n, jp) in sorted(totals_by_category.items())
    ]
    opd_filter = Opd.id == opd_id if opd_id is not None else Opd.active.is_(True)
    rows = []
    for oid, code, name in db.execute(
        select(Opd.id, Opd.code, Opd.name)
        .where(or_(opd_filter, Opd.id.in_(set(people))))
        .order_by(Opd.name, Opd.id)
    ):
        rows.append(
            JpOpdRow(
                opd_id=oid,
                code=code,
                name=name,
                people=people.get(oid, 0),
                met_target=met.get(oid, 0),
                quarters=tuple(quarter_jp.get(oid, [0, 0, 0, 0])),
            )
        )
    totals = JpOpdRow(
        opd_id=None,
        code="",
        name="Total kota",
        people=sum(r.people for r in rows),
        met_target=sum(r.met_target for r in rows),
        quarters=tuple(sum(r.quarters[i] for r in rows) for i in range(4)),
    )
    return JpYear(year=year, target=JP_TARGET, categories=categories, opds=rows, totals=totals)


@dataclass(frozen=True)
class JpPerson:
    user_id: int
    nip: str | None
    name: str
    status: str
    opd_name: str
    jp: int

    @property
    def met_target(self) -> bool:
        return self.jp >= JP_TARGET


def jp_people(
    db: Session,
    year: int,
    opd_id: int | None = None,
    *,
    status: str = "all",
    below_target: bool = False,
    page: int = 1,
    per_page: int = 50,
) -> Page[JpPerson]:
    """Each ASN's JP in `year`, fewest JP first (those furthest from the target on top)."""
    f = _jp_filter(opd_id, status)
    jp = func.coalesce(func.sum(Certificate.jp), 0)
    stmt = (
        select(User.id, User.nip, User.full_name, User.employment_status, Opd.name, jp)
        .select_from(User)
        .join(Opd, Opd.id == User.opd_id)
        .outerjoin(Certificate, and_(Certificate.user_id == User.id, *_year_certificates(year)))
        .where(*_jp_people(f))
        .group_by(User.id, User.nip, User.full_name, User.employment_status, Opd.name)
    )
    if below_target:
        stmt = stmt.having(jp < JP_TARGET)
    total = db.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.execute(
        stmt.order_by(jp, User.full_name, User.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    items = [
        JpPerson(user_id=r[0], nip=r[1], name=r[2], status=str(r[3]), opd_name=r[4], jp=int(r[5]))
        for r in rows
    ]
    return Page(items=items, page=page, per_page=per_page, total=total or 0)


# ---------------------------------------------------------------------------- SIASN history


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
    module); the end date is when the course was completed.
    """
    start, end = f.period_utc()
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
            *_people(f),
            *_courses(f, Certificate.course_id),
            *_in_period(Certificate.issued_at, start, end),
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
            started_on=local_date(started or enrolled),
            completed_on=local_date(completed or issued),
            jp=jp,
            serial=serial,
        )


# ---------------------------------------------------------------------------- lookups


def course_choices(db: Session) -> list[tuple[str, str, str]]:
    """(slug, title, audience) of every course, for the filter form."""
    return [
        tuple(r)
        for r in db.execute(
            select(Course.slug, Course.title, Course.audience).order_by(Course.title)
        )
    ]


def opd_choices(db: Session, opd_id: int | None = None) -> list[tuple[int, str]]:
    stmt = select(Opd.id, Opd.name).order_by(Opd.name)
    stmt = stmt.where(Opd.id == opd_id) if opd_id is not None else stmt.where(Opd.active.is_(True))
    return [tuple(r) for r in db.execute(stmt)]


def course_title(db: Session, course_id: int | None) -> str | None:
    if course_id is None:
        return None
    return db.scalar(select(Course.title).where(Course.id == course_id))


def opd_name(db: Session, opd_id: int | None) -> str | None:
    if opd_id is None:
        return None
    return db.scalar(select(Opd.name).where(Opd.id == opd_id))
