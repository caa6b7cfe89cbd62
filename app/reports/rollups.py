"""Pre-aggregated dashboard figures that are exact at any moment.

`report_rollups` holds what `opd_summary` counts without a period, per (OPD, course,
employment status); `report_week_rollups` the completions per week (Monday, Asia/Jakarta).
Reading them costs a few thousand rows instead of every enrolment of the city.

How they stay exact: triggers (see the report_rollups migration) mark every (OPD, course)
pair a change touches in `report_dirty` — enrolments, certificates, and people moving OPD,
changing status or being deactivated — in the same transaction as the change, including
bulk Core inserts. `refresh` runs before any rollup is read: it recomputes the dirty pairs
from the source tables with the same GROUP BY as a full rebuild, limited to the pair (index
backed), and clears a pair only if its `seq` is still the one it read, so a change that
lands while it works keeps the pair dirty for the next read. When many pairs are dirty
(after an import or data generation) one INSERT … SELECT rebuilds everything instead.

A refresh is a write: on SQLite it takes the write lock (BEGIN IMMEDIATE), on PostgreSQL
an advisory lock, so two refreshes never replace the same rows at once. It commits the
caller's session (see app.db.write_locked).
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from app.certificates.models import Certificate
from app.db import write_locked
from app.progress.models import Enrolment, EnrolmentStatus
from app.reports.models import ReportDirty, ReportRollup, ReportWeekRollup
from app.users.models import User

# Above this many dirty pairs one full rebuild is cheaper than a GROUP BY per pair (a pair
# costs ~1/40 of a rebuild at 100,000 ASN in 40 OPDs; see docs/reports.md).
FULL_REBUILD_PAIRS = 60
# pg_advisory_xact_lock key: "cakap rollups", any constant no other code uses.
_PG_LOCK_KEY = 0x63616B6170_01

_ROLLUP_COLUMNS = (
    "opd_id",
    "course_id",
    "employment_status",
    "enrolled",
    "in_progress",
    "completed",
    "score_sum",
    "score_count",
    "certificates",
    "jp",
)
_WEEK_COLUMNS = ("opd_id", "course_id", "employment_status", "week_start", "completions")


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


def _counted_people(pair: tuple[int, int] | None) -> list[ColumnElement[bool]]:
    # Who the dashboard counts: active people with an OPD (app/reports/queries.py).
    conditions = [User.active.is_(True), User.opd_id.is_not(None)]
    if pair is not None:
        conditions.append(User.opd_id == pair[0])
    return conditions


def rollup_select(pair: tuple[int, int] | None = None) -> Select:
    """Rows of report_rollups, computed from the source tables (all, or one pair)."""
    completed = Enrolment.status == EnrolmentStatus.completed
    in_progress = Enrolment.status == EnrolmentStatus.in_progress
    zero = literal_column("0")
    enrolments = (
        select(
            User.opd_id.label("opd_id"),
            Enrolment.course_id.label("course_id"),
            User.employment_status.label("employment_status"),
            func.count().label("enrolled"),
            func.count().filter(in_progress).label("in_progress"),
            func.count().filter(completed).label("completed"),
            func.coalesce(func.sum(Enrolment.final_score).filter(completed), 0).label("score_sum"),
            func.count(Enrolment.final_score).filter(completed).label("score_count"),
            zero.label("certificates"),
            zero.label("jp"),
        )
        .select_from(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(
            *_counted_people(pair),
            *([Enrolment.course_id == pair[1]] if pair else []),
        )
        .group_by(User.opd_id, Enrolment.course_id, User.employment_status)
    )
    certificates = (
        select(
            User.opd_id,
            Certificate.course_id,
            User.employment_status,
            zero,
            zero,
            zero,
            zero,
            zero,
            func.count(),
            func.sum(Certificate.jp),
        )
        .select_from(User)
        .join(Certificate, Certificate.user_id == User.id)
        .where(
            *_counted_people(pair),
            Certificate.revoked_at.is_(None),
            *([Certificate.course_id == pair[1]] if pair else []),
        )
        .group_by(User.opd_id, Certificate.course_id, User.employment_status)
    )
    both = union_all(enrolments, certificates).subquery()
    keys = (both.c.opd_id, both.c.course_id, both.c.employment_status)
    return select(*keys, *(func.sum(both.c[name]) for name in _ROLLUP_COLUMNS[3:])).group_by(*keys)


def week_rollup_select(dialect: str, pair: tuple[int, int] | None = None) -> Select:
    """Rows of report_week_rollups, computed from the source tables (all, or one pair).

    Like the live weekly trend, completed_at alone marks a completion: it is set exactly
    when an enrolment completes, and completion is never undone.
    """
    week = week_start_of(Enrolment.completed_at, dialect)
    return (
        select(User.opd_id, Enrolment.course_id, User.employment_status, week, func.count())
        .select_from(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(
            *_counted_people(pair),
            Enrolment.completed_at.is_not(None),
            *([Enrolment.course_id == pair[1]] if pair else []),
        )
        .group_by(User.opd_id, Enrolment.course_id, User.employment_status, week)
    )


def refresh(db: Session) -> int:
    """Bring the rollups up to date; returns the number of dirty pairs handled.

    Nothing to do costs one indexed read and no write. Commits the session when it works.
    """
    if db.scalar(select(ReportDirty.opd_id).limit(1)) is None:
        return 0
    write_locked(db)
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    # Read after taking the lock: another refresh may just have handled them.
    dirty = db.execute(select(ReportDirty.opd_id, ReportDirty.course_id, ReportDirty.seq)).all()
    if len(dirty) > FULL_REBUILD_PAIRS:
        rebuild(db, dialect)
    else:
        for opd_id, course_id, _ in dirty:
            _recompute(db, dialect, (opd_id, course_id))
    _clear(db, dirty)
    db.commit()
    return len(dirty)


def rebuild(db: Session, dialect: str) -> None:
    """Replace every rollup row (one INSERT … SELECT per table); does not commit."""
    db.execute(delete(ReportRollup))
    db.execute(delete(ReportWeekRollup))
    db.execute(insert(ReportRollup.__table__).from_select(_ROLLUP_COLUMNS, rollup_select()))
    db.execute(
        insert(ReportWeekRollup.__table__).from_select(_WEEK_COLUMNS, week_rollup_select(dialect))
    )


def _recompute(db: Session, dialect: str, pair: tuple[int, int]) -> None:
    opd_id, course_id = pair
    for model in (ReportRollup, ReportWeekRollup):
        db.execute(delete(model).where(model.opd_id == opd_id, model.course_id == course_id))
    db.execute(insert(ReportRollup.__table__).from_select(_ROLLUP_COLUMNS, rollup_select(pair)))
    db.execute(
        insert(ReportWeekRollup.__table__).from_select(
            _WEEK_COLUMNS, week_rollup_select(dialect, pair)
        )
    )


def _clear(db: Session, dirty) -> None:
    """Forget the pairs just recomputed — unless a change bumped their seq meanwhile."""
    table = ReportDirty.__table__
    stmt = table.delete().where(
        table.c.opd_id == bindparam("opd"),
        table.c.course_id == bindparam("course"),
        table.c.seq == bindparam("seq"),
    )
    db.connection().execute(
        stmt, [{"opd": opd, "course": course, "seq": seq} for opd, course, seq in dirty]
    )
