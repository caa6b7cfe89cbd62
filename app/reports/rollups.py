"""Pre-aggregated dashboard figures that are exact at any moment.

`report_rollups` holds what `opd_summary` counts without a period, per (OPD, course,
employment status); `report_week_rollups` the completions per week (Monday, Asia/Jakarta).
Reading them costs a few thousand rows instead of every enrolment of the city.

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
    Select,
    case,
    cast,
    delete,
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
from app.reports.models import ReportRollup, ReportWeekRollup
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
    db.execute(delete(ReportRollup))
    db.execute(delete(ReportWeekRollup))
    db.execute(insert(ReportRollup.__table__).from_select(ROLLUP_COLUMNS, rollup_select()))
    db.execute(
        insert(ReportWeekRollup.__table__).from_select(WEEK_COLUMNS, week_rollup_select(dialect))
    )
