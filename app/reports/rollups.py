"""Pre-aggregated dashboard figures that are exact at any moment.

`report_rollups` holds what `opd_summary` counts without a period, per (OPD, course,
employment status); `report_week_rollups` the completions per week (Monday, Asia/Jakarta);
`report_jp_rollups` valid certificates and JP per quarter of issue, and `report_person_jp`
each person's JP per year (for `jp_year`). Reading them costs a few thousand rows (a row
per person for the 20 JP target) instead of every enrolment and certificate of the city.

How they stay exact: database triggers (see the report_rollups migration) add the
contribution of every change — an enrolment or certificate inserted, updated or deleted,
a person moved to another OPD, given another status, deactivated or deleted — to the
rollup rows, in the transaction that makes the change, bulk Core statements included.
Reading them needs no refresh and writes nothing.

This module computes the same rows from scratch: `differences` compares them with what
the triggers maintained (tests, and `cakap reports rollups` for an operator who suspects
a write that bypassed the triggers), `rebuild` replaces them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    Select,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from app.certificates.models import Certificate
from app.progress.models import Enrolment, EnrolmentStatus
from app.reports.models import ReportJpRollup, ReportPersonJp, ReportRollup, ReportWeekRollup
from app.users.models import User

ROLLUP_COLUMNS = (
    "opd_id",
    "course_id",
    "employment_status",
    "enrolled",
    "in_progress",
    "completed",
    "score_cents",
    "score_count",
    "certificates",
    "jp",
)
WEEK_COLUMNS = ("opd_id", "course_id", "employment_status", "week_start", "completions")
JP_COLUMNS = ("opd_id", "course_id", "employment_status", "quarter_start", "certificates", "jp")
PERSON_JP_COLUMNS = ("user_id", "year", "jp")


def week_start_of(column, dialect: str) -> ColumnElement:
    """The Monday (Asia/Jakarta) of a UTC timestamp column's week, as a date.

    SQLite stores UTC as 'YYYY-MM-DD HH:MM:SS.ffffff'; the fraction is cut off first because
    SQLite's date functions round to milliseconds, which would move 23:59:59.9999 into the
    next day (and week). Jakarta has been UTC+7 without daylight saving since 1964. The
    modifiers are rendered inline so SELECT and GROUP BY are the same expression.
    """
    if dialect == "postgresql":
        local = func.timezone(literal_column("'Asia/Jakarta'"), column)
        return cast(func.date_trunc(literal_column("'week'"), local), Date)
    return func.date(
        func.substr(column, 1, 19),
        literal_column("'+7 hours'"),
        literal_column("'weekday 0'"),
        literal_column("'-6 days'"),
        type_=Date,
    )


def _jakarta_parts(column, dialect: str, sqlite_format: str, pg_field: str) -> ColumnElement:
    if dialect == "postgresql":
        return cast(
            extract(pg_field, func.timezone(literal_column("'Asia/Jakarta'"), column)), Integer
        )
    local = (func.substr(column, 1, 19), literal_column("'+7 hours'"))
    return cast(func.strftime(literal_column(f"'{sqlite_format}'"), *local), Integer)


def year_of(column, dialect: str) -> ColumnElement:
    """The year (Asia/Jakarta) of a UTC timestamp column."""
    return _jakarta_parts(column, dialect, "%Y", "year")


def quarter_start_of(column, dialect: str) -> ColumnElement:
    """The first day of the quarter (triwulan, Asia/Jakarta) of a UTC timestamp column."""
    if dialect == "postgresql":
        local = func.timezone(literal_column("'Asia/Jakarta'"), column)
        return cast(func.date_trunc(literal_column("'quarter'"), local), Date)
    month = _jakarta_parts(column, dialect, "%m", "month")
    return func.printf(
        literal_column("'%04d-%02d-01'"),
        year_of(column, dialect),
        (month - 1) // 3 * 3 + 1,
        type_=Date,
    )


# Who the dashboard counts: active people with an OPD (app/reports/queries.py).
_COUNTED = (User.active.is_(True), User.opd_id.is_not(None))


def rollup_select() -> Select:
    """Every row of report_rollups, computed from the enrolments and certificates."""
    completed = Enrolment.status == EnrolmentStatus.completed
    scored = completed & Enrolment.final_score.is_not(None)
    cents = cast(func.round(Enrolment.final_score * 100), BigInteger)
    zero = literal_column("0")
    enrolments = (
        select(
            User.opd_id.label("opd_id"),
            Enrolment.course_id.label("course_id"),
            User.employment_status.label("employment_status"),
            func.count().label("enrolled"),
            func.count()
            .filter(Enrolment.status == EnrolmentStatus.in_progress)
            .label("in_progress"),
            func.count().filter(completed).label("completed"),
            func.coalesce(func.sum(case((scored, cents), else_=0)), 0).label("score_cents"),
            func.count().filter(scored).label("score_count"),
            zero.label("certificates"),
            zero.label("jp"),
        )
        .select_from(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(*_COUNTED)
        .group_by(User.opd_id, Enrolment.course_id, User.employment_status)
    )
    certificates = (
        select(
            User.opd_id,
            Certificate.course_id,
            User.employment_status,
            *([zero] * 5),
            func.count(),
            func.sum(Certificate.jp),
        )
        .select_from(User)
        .join(Certificate, Certificate.user_id == User.id)
        .where(*_COUNTED, Certificate.revoked_at.is_(None))
        .group_by(User.opd_id, Certificate.course_id, User.employment_status)
    )
    both = union_all(enrolments, certificates).subquery()
    keys = (both.c.opd_id, both.c.course_id, both.c.employment_status)
    return select(*keys, *(func.sum(c) for c in list(both.c)[3:])).group_by(*keys)


def week_rollup_select(dialect: str) -> Select:
    """Every row of report_week_rollups, computed from the enrolments.

    Like the live weekly trend, completed_at alone marks a completion: it is set exactly
    when an enrolment completes, and completion is never undone.
    """
    week = week_start_of(Enrolment.completed_at, dialect)
    return (
        select(User.opd_id, Enrolment.course_id, User.employment_status, week, func.count())
        .select_from(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(*_COUNTED, Enrolment.completed_at.is_not(None))
        .group_by(User.opd_id, Enrolment.course_id, User.employment_status, week)
    )


def jp_rollup_select(dialect: str) -> Select:
    """Every row of report_jp_rollups, computed from the certificates."""
    quarter = quarter_start_of(Certificate.issued_at, dialect)
    return (
        select(
            User.opd_id,
            Certificate.course_id,
            User.employment_status,
            quarter,
            func.count(),
            func.sum(Certificate.jp),
        )
        .select_from(User)
        .join(Certificate, Certificate.user_id == User.id)
        .where(*_COUNTED, Certificate.revoked_at.is_(None))
        .group_by(User.opd_id, Certificate.course_id, User.employment_status, quarter)
    )


def person_jp_select(dialect: str) -> Select:
    """Every row of report_person_jp, computed from the certificates."""
    year = year_of(Certificate.issued_at, dialect)
    return (
        select(Certificate.user_id, year, func.sum(Certificate.jp))
        .where(Certificate.revoked_at.is_(None))
        .group_by(Certificate.user_id, year)
    )


def _stored(db: Session, model, columns: tuple[str, ...], nonzero) -> set[tuple]:
    table = model.__table__
    return {tuple(r) for r in db.execute(select(*(table.c[c] for c in columns)).where(nonzero))}


def differences(db: Session) -> list[str]:
    """Rollup rows that differ from a computation from scratch (empty when all is well).

    Rows whose figures are all zero count as absent: the triggers leave them behind when
    the last enrolment of a key goes.
    """
    dialect = db.get_bind().dialect.name
    r, w = ReportRollup, ReportWeekRollup
    pairs = (
        (
            "report_rollups",
            _stored(db, r, ROLLUP_COLUMNS, or_(r.enrolled != 0, r.certificates != 0)),
            {tuple(row) for row in db.execute(rollup_select())},
        ),
        (
            "report_week_rollups",
            _stored(db, w, WEEK_COLUMNS, w.completions != 0),
            {tuple(row) for row in db.execute(week_rollup_select(dialect))},
        ),
        (
            "report_jp_rollups",
            _stored(db, ReportJpRollup, JP_COLUMNS, ReportJpRollup.certificates != 0),
            {tuple(row) for row in db.execute(jp_rollup_select(dialect))},
        ),
        (
            "report_person_jp",
            # A person whose certificates of a year were all revoked keeps a zero row.
            _stored(db, ReportPersonJp, PERSON_JP_COLUMNS, ReportPersonJp.jp != 0),
            {tuple(row) for row in db.execute(person_jp_select(dialect)) if row[2] != 0},
        ),
    )
    problems = []
    for name, stored, computed in pairs:
        problems += [f"{name}: tersimpan {row}" for row in sorted(stored - computed, key=str)]
        problems += [f"{name}: seharusnya {row}" for row in sorted(computed - stored, key=str)]
    return problems


def rebuild(db: Session) -> None:
    """Replace every rollup row with a computation from scratch; the caller commits.

    Only needed after writes that bypassed the triggers (they keep the rollups exact)."""
    dialect = db.get_bind().dialect.name
    for model, columns, computed in (
        (ReportRollup, ROLLUP_COLUMNS, rollup_select()),
        (ReportWeekRollup, WEEK_COLUMNS, week_rollup_select(dialect)),
        (ReportJpRollup, JP_COLUMNS, jp_rollup_select(dialect)),
        (ReportPersonJp, PERSON_JP_COLUMNS, person_jp_select(dialect)),
    ):
        db.execute(delete(model))
        db.execute(insert(model.__table__).from_select(columns, computed))
