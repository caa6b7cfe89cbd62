"""The yearly JP report: JP earned against the 20 JP target, per OPD and triwulan, per
category, and per ASN.

PP 11/2017 art. 203: every civil servant gets at least 20 JP of competence development a
year. Non-ASN staff have no such right, so the JP report covers CPNS, PNS and PPPK only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from app.certificates.models import Certificate
from app.courses.models import Course
from app.opds.models import Opd
from app.reports import rollups
from app.reports.filters import ReportFilter
from app.reports.models import ReportJpRollup, ReportPersonJp
from app.reports.paging import Page
from app.reports.periods import quarter_of, year_range
from app.reports.selection import people
from app.users.models import User

JP_TARGET = 20
ASN_STATUSES = ("CPNS", "PNS", "PPPK")
NO_CATEGORY = "lainnya"


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


def _asn(f: ReportFilter) -> list[ColumnElement[bool]]:
    conditions = people(f)
    if f.status == "all":
        conditions.append(User.employment_status.in_(ASN_STATUSES))
    return conditions


def _jp_filter(opd_id: int | None, status: str) -> ReportFilter:
    return ReportFilter(opd_id=opd_id, status=status)


def jp_year(db: Session, year: int, opd_id: int | None = None, *, status: str = "all") -> JpYear:
    """JP earned in `year` (valid certificates issued that year, in the city's zone)
    against the 20 JP target: per category, per OPD and triwulan, and how many ASN
    reached the target.

    Covers ASN (CPNS, PNS, PPPK); `status` narrows it to one of them. The JP comes from
    the trigger-maintained rollups (report_jp_rollups per quarter, report_person_jp per
    person and year; their zone is checked first); the people counted are read live.
    """
    rollups.ensure_zone(db)
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
    counted = dict(
        db.execute(select(User.opd_id, func.count()).where(*_asn(f)).group_by(User.opd_id)).all()
    )
    p = ReportPersonJp
    met = dict(
        db.execute(
            select(User.opd_id, func.count())
            .select_from(p)
            .join(User, User.id == p.user_id)
            .where(p.year == year, p.jp >= JP_TARGET, *_asn(f))
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
        .where(or_(opd_filter, Opd.id.in_(set(counted))))
        .order_by(Opd.name, Opd.id)
    ):
        rows.append(
            JpOpdRow(
                opd_id=oid,
                code=code,
                name=name,
                people=counted.get(oid, 0),
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
    in_year = year_range(year).conditions(Certificate.issued_at)
    jp = func.coalesce(func.sum(Certificate.jp), 0)
    stmt = (
        select(User.id, User.nip, User.full_name, User.employment_status, Opd.name, jp)
        .select_from(User)
        .join(Opd, Opd.id == User.opd_id)
        .outerjoin(
            Certificate,
            and_(Certificate.user_id == User.id, Certificate.revoked_at.is_(None), *in_year),
        )
        .where(*_asn(f))
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
