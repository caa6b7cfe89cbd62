"""Pre-aggregated report figures that are exact at any moment, and the zone they are in.

`report_rollups` holds the OPD summary's rolled-up figures (app/reports/columns.py, those
with `rollup=True`) per (OPD, course, employment status); `report_week_rollups` the
completions per week (Monday); `report_jp_rollups` valid certificates and JP per quarter
of issue, and `report_person_jp` each person's JP per year (for `jp_year`). Reading them
costs a few thousand rows (a row per person for the 20 JP target) instead of every
enrolment and certificate of the city.

How they stay exact: database triggers (app/reports/triggers.py, installed by the
migrations) add the contribution of every change — an enrolment or certificate inserted,
updated or deleted, a person moved to another OPD, given another status, deactivated or
deleted — to the rollup rows, in the transaction that makes the change, bulk Core
statements included. Reading them needs no refresh and writes nothing.

Weeks, quarters and years are the city's (CAKAP_TIMEZONE). The zone the rollups are
computed in is recorded in `report_timezone`, and the triggers read it from there, so the
triggers and the recorded zone cannot disagree. When CAKAP_TIMEZONE changes, the rows
already counted are in the old zone: readers of the zoned rollups refuse them
(`ensure_zone`, a clear message) until `cakap report rollups --rebuild` recomputes them
in the new zone and records it.

This module computes the same rows from scratch: `differences` compares them with what
the triggers maintained (tests, and `cakap report rollups` for an operator who suspects
a write that bypassed the triggers), `rebuild` replaces them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
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

from app import citytime
from app.certificates.models import Certificate
from app.progress.models import Enrolment
from app.reports.columns import ROLLUP_FIGURES, Source
from app.reports.models import (
    ReportJpRollup,
    ReportPersonJp,
    ReportRollup,
    ReportTimezone,
    ReportWeekRollup,
)
from app.reports.periods import ALL_TIME
from app.reports.selection import COUNTED
from app.users.models import User

KEYS = ("opd_id", "course_id", "employment_status")
ROLLUP_COLUMNS = (*KEYS, *(f.name for f in ROLLUP_FIGURES))
WEEK_COLUMNS = (*KEYS, "week_start", "completions")
JP_COLUMNS = (*KEYS, "quarter_start", "certificates", "jp")
PERSON_JP_COLUMNS = ("user_id", "year", "jp")


# ---------------------------------------------------------------------------- the zone


@dataclass(frozen=True)
class Zone:
    """A time zone as the rollup SQL needs it: its name for PostgreSQL, its fixed offset
    for SQLite (Indonesia's zones have no daylight saving; config.py refuses zones that do)."""

    name: str
    utc_offset_minutes: int

    @classmethod
    def named(cls, name: str) -> Zone:
        offset = datetime(2026, 1, 1, tzinfo=ZoneInfo(name)).utcoffset()
        return cls(name, int(offset.total_seconds() // 60))

    def __post_init__(self) -> None:
        # Rendered inline into SQL (SELECT and GROUP BY must be the same expression).
        if not re.fullmatch(r"[A-Za-z0-9_+\-/]{1,64}", self.name):
            raise ValueError(f"zona waktu {self.name!r} tidak valid")

    def local(self, column, dialect: str):
        """PostgreSQL: the column's local wall-clock time. SQLite: the arguments of a date
        function — the stored UTC text without its fraction (SQLite's date functions round
        to milliseconds, which would move 23:59:59.9999 into the next day) and the shift."""
        if dialect == "postgresql":
            return func.timezone(literal_column(f"'{self.name}'"), column)
        return func.substr(column, 1, 19), literal_column(f"'{self.utc_offset_minutes} minutes'")


class ZoneMismatch(Exception):
    """The zoned rollups were computed in another zone than CAKAP_TIMEZONE (503)."""


def configured_zone() -> Zone:
    return Zone.named(citytime.name())


def recorded_zone(db: Session) -> Zone | None:
    row = db.execute(select(ReportTimezone.name, ReportTimezone.utc_offset_minutes)).first()
    return Zone(*row) if row else None


def zone_problem(db: Session) -> str | None:
    """Why the weekly, quarterly and yearly rollups cannot be read now (None: they can)."""
    recorded, configured = recorded_zone(db), configured_zone()
    if recorded is not None and recorded.name == configured.name:
        return None
    held = f"zona waktu {recorded.name}" if recorded else "zona waktu yang tidak tercatat"
    return (
        f"Ringkasan laporan (minggu, triwulan, tahun) dihitung dalam {held}, sedangkan "
        f"CAKAP_TIMEZONE sekarang {configured.name} ({citytime.label()}). Jalankan "
        "'cakap report rollups --rebuild' agar dihitung ulang menurut zona kota."
    )


def ensure_zone(db: Session) -> None:
    """Refuse to read rollups grouped by week, quarter or year in another zone."""
    problem = zone_problem(db)
    if problem:
        raise ZoneMismatch(problem)


# ---------------------------------------------------------------------------- calendar SQL


def week_start_of(column, dialect: str, zone: Zone) -> ColumnElement:
    """The Monday (in `zone`) of a UTC timestamp column's week, as a date."""
    if dialect == "postgresql":
        return cast(func.date_trunc(literal_column("'week'"), zone.local(column, dialect)), Date)
    return func.date(
        *zone.local(column, dialect),
        literal_column("'weekday 0'"),
        literal_column("'-6 days'"),
        type_=Date,
    )


def _local_part(column, dialect: str, zone: Zone, sqlite_format: str, pg_field: str):
    if dialect == "postgresql":
        return cast(extract(pg_field, zone.local(column, dialect)), Integer)
    local = zone.local(column, dialect)
    return cast(func.strftime(literal_column(f"'{sqlite_format}'"), *local), Integer)


def year_of(column, dialect: str, zone: Zone) -> ColumnElement:
    """The year (in `zone`) of a UTC timestamp column."""
    return _local_part(column, dialect, zone, "%Y", "year")


def quarter_start_of(column, dialect: str, zone: Zone) -> ColumnElement:
    """The first day of the quarter (triwulan, in `zone`) of a UTC timestamp column."""
    if dialect == "postgresql":
        local = zone.local(column, dialect)
        return cast(func.date_trunc(literal_column("'quarter'"), local), Date)
    month = _local_part(column, dialect, zone, "%m", "month")
    return func.printf(
        literal_column("'%04d-%02d-01'"),
        year_of(column, dialect, zone),
        (month - 1) // 3 * 3 + 1,
        type_=Date,
    )


# ---------------------------------------------------------------------------- from scratch


def rollup_select() -> Select:
    """Every row of report_rollups, computed from the enrolments and certificates with
    the figures' own aggregates (app/reports/columns.py), over all time."""
    zero = literal_column("0")
    parts = []
    for source, model, extra in (
        (Source.ENROLMENTS, Enrolment, ()),
        (Source.CERTIFICATES, Certificate, (Certificate.revoked_at.is_(None),)),
    ):
        values = [
            (f.aggregate(ALL_TIME) if f.source is source else zero).label(f.name)
            for f in ROLLUP_FIGURES
        ]
        parts.append(
            select(
                User.opd_id.label("opd_id"),
                model.course_id.label("course_id"),
                User.employment_status.label("employment_status"),
                *values,
            )
            .select_from(User)
            .join(model, model.user_id == User.id)
            .where(*COUNTED, *extra)
            .group_by(User.opd_id, model.course_id, User.employment_status)
        )
    both = union_all(*parts).subquery()
    keys = [both.c[k] for k in KEYS]
    return select(*keys, *(func.sum(both.c[f.name]) for f in ROLLUP_FIGURES)).group_by(*keys)


def week_rollup_select(dialect: str, zone: Zone) -> Select:
    """Every row of report_week_rollups, computed from the enrolments.

    Like the live weekly trend, completed_at alone marks a completion: it is set exactly
    when an enrolment completes, and completion is never undone.
    """
    week = week_start_of(Enrolment.completed_at, dialect, zone)
    return (
        select(User.opd_id, Enrolment.course_id, User.employment_status, week, func.count())
        .select_from(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(*COUNTED, Enrolment.completed_at.is_not(None))
        .group_by(User.opd_id, Enrolment.course_id, User.employment_status, week)
    )


def jp_rollup_select(dialect: str, zone: Zone) -> Select:
    """Every row of report_jp_rollups, computed from the certificates."""
    quarter = quarter_start_of(Certificate.issued_at, dialect, zone)
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
        .where(*COUNTED, Certificate.revoked_at.is_(None))
        .group_by(User.opd_id, Certificate.course_id, User.employment_status, quarter)
    )


def person_jp_select(dialect: str, zone: Zone) -> Select:
    """Every row of report_person_jp, computed from the certificates."""
    year = year_of(Certificate.issued_at, dialect, zone)
    return (
        select(Certificate.user_id, year, func.sum(Certificate.jp))
        .where(Certificate.revoked_at.is_(None))
        .group_by(Certificate.user_id, year)
    )


def _tables(dialect: str, zone: Zone):
    """(model, columns, rows that count, computation from scratch) of each rollup table.

    Rows whose figures are all zero count as absent: the triggers leave them behind when
    the last enrolment of a key goes (and a person's year when its certificates are
    revoked)."""
    r = ReportRollup.__table__.c
    return (
        (
            ReportRollup,
            ROLLUP_COLUMNS,
            or_(*(r[f.name] != 0 for f in ROLLUP_FIGURES)),
            rollup_select(),
        ),
        (
            ReportWeekRollup,
            WEEK_COLUMNS,
            ReportWeekRollup.completions != 0,
            week_rollup_select(dialect, zone),
        ),
        (
            ReportJpRollup,
            JP_COLUMNS,
            ReportJpRollup.certificates != 0,
            jp_rollup_select(dialect, zone),
        ),
        (
            ReportPersonJp,
            PERSON_JP_COLUMNS,
            ReportPersonJp.jp != 0,
            person_jp_select(dialect, zone).having(func.sum(Certificate.jp) != 0),
        ),
    )


def differences(db: Session) -> list[str]:
    """Rollup rows that differ from a computation from scratch in the recorded zone
    (empty when all is well); `zone_problem` says whether that zone is the city's."""
    zone = recorded_zone(db)
    if zone is None:
        return ["report_timezone: zona waktu ringkasan tidak tercatat"]
    problems = []
    for model, columns, counts, computed in _tables(db.get_bind().dialect.name, zone):
        table = model.__table__
        stored = {
            tuple(r) for r in db.execute(select(*(table.c[c] for c in columns)).where(counts))
        }
        fresh = {tuple(row) for row in db.execute(computed)}
        name = table.name
        problems += [f"{name}: tersimpan {row}" for row in sorted(stored - fresh, key=str)]
        problems += [f"{name}: seharusnya {row}" for row in sorted(fresh - stored, key=str)]
    return problems


def rebuild(db: Session, zone: Zone | None = None) -> None:
    """Record `zone` (default: CAKAP_TIMEZONE) and replace every rollup row with a
    computation from scratch in it; the caller commits.

    Needed after writes that bypassed the triggers (they keep the rollups exact) and
    after CAKAP_TIMEZONE changed. The triggers read the recorded zone, so from the commit
    on they count in it too."""
    zone = zone or configured_zone()
    db.execute(delete(ReportTimezone))
    db.execute(insert(ReportTimezone).values(id=1, **asdict(zone)))
    for model, columns, _counts, computed in _tables(db.get_bind().dialect.name, zone):
        db.execute(delete(model))
        db.execute(insert(model.__table__).from_select(columns, computed))
