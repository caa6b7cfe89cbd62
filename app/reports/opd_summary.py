"""The OPD summary: per OPD the figures of app/reports/columns.py, and the city total.

Aggregation happens in SQL, one GROUP BY per source (people, enrolments, certificates,
bimtek attendance) over covering indexes (app/reports/models.py); Python only merges the
per-OPD rows (a few dozen) and sorts them. Without a period, the figures the rollups hold
are summed from report_rollups, which triggers keep exact (app/reports/rollups.py); a
period needs the rows themselves, so then they are counted live. Both ways use the same
aggregates, and tests/test_reports_queries.py checks both against plain Python.

The city total is the sum of the OPD rows' figures; its percentages and averages derive
from those sums. Active OPDs are listed even with no figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.bimtek.models import Attendance, BimtekDay, BimtekSession
from app.certificates.models import Certificate
from app.opds.models import Opd
from app.progress.models import Enrolment
from app.reports.columns import (
    BY_FIELD,
    BY_KEY,
    COLUMNS,
    DEFAULT_SORT,
    FIGURES,
    Figure,
    Source,
)
from app.reports.filters import ReportFilter
from app.reports.models import ReportRollup
from app.reports.periods import Period
from app.reports.selection import courses, people, rollup_keys
from app.users.models import User


@dataclass(frozen=True)
class OpdRow:
    """One OPD's figures (opd_id None: the total), keyed by figure name (columns.py).

    Columns read as attributes: `row.enrolled` is a figure, `row.completion_percent` a
    column's field; a new column needs nothing here.
    """

    opd_id: int | None
    code: str
    name: str
    figures: Mapping[str, int]

    def __getattr__(self, name: str) -> Any:
        figures = self.__dict__.get("figures", {})
        if name in figures:
            return figures[name]
        column = BY_FIELD.get(name)
        if column is None or column.field == "opd_name":
            raise AttributeError(name)
        return column.value(self)

    @property
    def score_sum(self) -> float:
        """The sum of the counted final scores (kept in hundredths)."""
        return self.figures["score_cents"] / 100

    def as_dict(self) -> dict[str, Any]:
        """The API's row: the OPD, then every column by its field."""
        return {
            "opd_id": self.opd_id,
            "opd_code": self.code,
            "opd_name": self.name,
            **{c.field: c.rounded(self) for c in COLUMNS if c.kind.numeric},
        }


@dataclass(frozen=True)
class OpdSummary:
    rows: list[OpdRow]
    totals: OpdRow
    filter: ReportFilter


def opd_summary(db: Session, f: ReportFilter) -> OpdSummary:
    """Per OPD every figure of the columns, and the city total (see columns.py and
    docs/reports.md for what each counts).

    Enrolments count when made before the period's end; completions, scores and
    certificates within the period; bimtek attendance on days within it (course filters
    apply to the session's course).
    """
    period = f.period_utc()
    by_source: dict[Source, list[Figure]] = {}
    for figure in FIGURES:
        by_source.setdefault(figure.source, []).append(figure)
    rolled = set() if f.has_period else _rolled_up(by_source)
    counted: dict[int, dict[str, int]] = {}
    if rolled:
        figures = [figure for source in rolled for figure in by_source[source]]
        # Keys whose last enrolment went keep a row of zeros; the live count has none.
        _merge(counted, db.execute(_from_rollups(f, figures)), skip_zeros=True)
    for source, figures in by_source.items():
        if source not in rolled:
            _merge(counted, db.execute(_live(source, figures, f, period)))

    opd_filter = Opd.id == f.opd_id if f.opd_id is not None else Opd.active.is_(True)
    opds = db.execute(
        select(Opd.id, Opd.code, Opd.name).where(or_(opd_filter, Opd.id.in_(set(counted))))
    ).all()
    rows = [
        OpdRow(
            opd_id=opd_id,
            code=code,
            name=name,
            figures={
                figure.name: counted.get(opd_id, {}).get(figure.name, 0) for figure in FIGURES
            },
        )
        for opd_id, code, name in opds
    ]
    rows = _sorted(rows, f.sort, f.desc)
    return OpdSummary(rows=rows, totals=total(rows), filter=f)


def _rolled_up(by_source: dict[Source, list[Figure]]) -> set[Source]:
    """The sources read from report_rollups: those whose figures it all holds (a source
    with one figure not rolled up is counted live, all of it, in one query)."""
    return {
        source
        for source in (Source.ENROLMENTS, Source.CERTIFICATES)
        if source in by_source and all(figure.rollup for figure in by_source[source])
    }


def _merge(counted: dict[int, dict[str, int]], result, *, skip_zeros: bool = False) -> None:
    names = list(result.keys())[1:]
    for opd_id, *values in result:
        figures = dict(zip(names, (int(v or 0) for v in values), strict=True))
        if skip_zeros and not any(figures.values()):
            continue
        counted.setdefault(opd_id, {}).update(figures)


def _from_rollups(f: ReportFilter, figures: list[Figure]) -> Select:
    r = ReportRollup.__table__.c
    sums = [func.sum(r[figure.name]).label(figure.name) for figure in figures]
    return select(r.opd_id, *sums).where(*rollup_keys(f, ReportRollup)).group_by(r.opd_id)


def _live(source: Source, figures: list[Figure], f: ReportFilter, period: Period) -> Select:
    """One GROUP BY per OPD over the source's rows within the filter."""
    aggregates = [figure.aggregate(period).label(figure.name) for figure in figures]
    stmt = select(User.opd_id.label("opd_id"), *aggregates).group_by(User.opd_id)
    if source is Source.PEOPLE:
        return stmt.where(*people(f))
    if source is Source.ENROLMENTS:
        made = [Enrolment.enrolled_at < period.end] if period.end is not None else []
        return (
            stmt.select_from(User)
            .join(Enrolment, Enrolment.user_id == User.id)
            .where(*people(f), *courses(f, Enrolment.course_id), *made)
        )
    if source is Source.CERTIFICATES:
        return (
            stmt.select_from(User)
            .join(Certificate, Certificate.user_id == User.id)
            .where(
                *people(f),
                Certificate.revoked_at.is_(None),
                *courses(f, Certificate.course_id),
                *period.conditions(Certificate.issued_at),
            )
        )
    # Bimtek days are calendar days in the city, compared with the period's days.
    return (
        stmt.select_from(User)
        .join(Attendance, Attendance.user_id == User.id)
        .join(BimtekDay, BimtekDay.id == Attendance.day_id)
        .join(BimtekSession, BimtekSession.id == BimtekDay.session_id)
        .where(
            *people(f),
            *courses(f, BimtekSession.course_id),
            *([BimtekDay.date >= f.completed_from] if f.completed_from else []),
            *([BimtekDay.date <= f.completed_to] if f.completed_to else []),
        )
    )


def total(rows: list[OpdRow]) -> OpdRow:
    """The sum of the rows' figures (the city total, or an OPD's own)."""
    return OpdRow(
        opd_id=None,
        code="",
        name="Total kota",
        figures={figure.name: sum(r.figures[figure.name] for r in rows) for figure in FIGURES},
    )


def _sorted(rows: list[OpdRow], sort: str, desc: bool) -> list[OpdRow]:
    column = BY_KEY.get(sort, BY_KEY[DEFAULT_SORT])
    # Ties and empty values keep a stable, readable order: by name, empty values last.
    by_name = sorted(rows, key=lambda r: (r.name.casefold(), r.opd_id or 0))
    present = [r for r in by_name if column.sort_value(r) is not None]
    missing = [r for r in by_name if column.sort_value(r) is None]
    return sorted(present, key=column.sort_value, reverse=desc) + missing
