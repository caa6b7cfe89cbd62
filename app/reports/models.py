"""API tokens for the read-only reporting API (`/api/v1`), the report indexes, and the
rollup tables that keep the dashboard's figures pre-aggregated (app/reports/rollups.py)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.certificates.models import Certificate
from app.db import Base, utcnow
from app.opds.models import Opd
from app.progress.models import Enrolment
from app.users.models import User


class ApiToken(Base):
    """A bearer token for machines (dashboards of the city, SIASN bridges).

    Only the SHA-256 of the secret is stored; the secret is shown once, at creation.
    A token with `opd_id` reads that OPD only.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # The first characters of the secret, shown in lists so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16), default="read")
    opd_id: Mapped[int | None] = mapped_column(ForeignKey("opds.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    opd: Mapped[Opd | None] = relationship(lazy="joined")


# Covering indexes for the report queries (checked with EXPLAIN QUERY PLAN at 100,000 ASN,
# see docs/reports.md). The per-OPD aggregates walk users by OPD and read each person's
# enrolments and certificates from an index alone, never from the wide table rows (a
# certificate row carries its signed payload). Queries over a time window (the weekly
# trend, a period, a year, overdue assignments) start from the time column instead.
# They are declared here, on the tables of other domains, because only reports need them.
_enrolments = Enrolment.__table__.c
_users = User.__table__.c
_certificates = Certificate.__table__.c
REPORT_INDEXES = (
    Index(
        "ix_users_report_opd",
        _users.opd_id,
        _users.active,
        _users.employment_status,
    ),
    # For queries that start from a time window and look each person up: the lookup
    # reads this small index instead of the wide users row (twice as fast at 100k ASN).
    Index(
        "ix_users_report_id",
        _users.id,
        _users.active,
        _users.opd_id,
        _users.employment_status,
    ),
    Index(
        "ix_enrolments_report_user",
        _enrolments.user_id,
        _enrolments.course_id,
        _enrolments.status,
        _enrolments.enrolled_at,
        _enrolments.completed_at,
        _enrolments.final_score,
    ),
    Index(
        "ix_certificates_report_user",
        _certificates.user_id,
        _certificates.revoked_at,
        _certificates.issued_at,
        _certificates.course_id,
        _certificates.jp,
    ),
    Index(
        "ix_enrolments_report_completed",
        _enrolments.completed_at,
        _enrolments.user_id,
        _enrolments.course_id,
    ),
    Index(
        "ix_certificates_report_issued",
        _certificates.issued_at,
        _certificates.revoked_at,
        _certificates.user_id,
        _certificates.course_id,
        _certificates.jp,
    ),
    Index(
        "ix_enrolments_report_due",
        _enrolments.status,
        _enrolments.due_date,
        _enrolments.source,
        _enrolments.user_id,
        _enrolments.course_id,
    ),
)


# ---------------------------------------------------------------------------- rollups
# The dashboard's figures per (OPD, course, employment status), kept exact by database
# triggers (app/reports/triggers.py): every insert, update or delete of an enrolment or
# certificate, and every change of a person's OPD, status or active flag, adds its
# contribution to these rows in the same transaction. app/reports/rollups.py computes the
# same rows from scratch (rebuild and check). No foreign keys on purpose: the rows are
# derived figures that must never stop an OPD or a course from being deleted.


class ReportRollup(Base):
    """What `opd_summary` counts for one (OPD, course, status) without a period: active
    people's enrolments and their valid certificates — one column per figure of
    app/reports/columns.py with `rollup=True`. A row whose figures all dropped to zero may
    stay; readers skip it."""

    __tablename__ = "report_rollups"

    opd_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    course_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    employment_status: Mapped[str] = mapped_column(String(16), primary_key=True)
    enrolled: Mapped[int] = mapped_column(Integer)
    not_started: Mapped[int] = mapped_column(Integer)  # status enrolled: no progress yet
    in_progress: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)
    # Over completed enrolments that have a final score; in hundredths, so that adding and
    # subtracting contributions stays exact on SQLite too (no floating-point drift).
    score_cents: Mapped[int] = mapped_column(BigInteger)
    score_count: Mapped[int] = mapped_column(Integer)
    certificates: Mapped[int] = mapped_column(Integer)  # not revoked
    jp: Mapped[int] = mapped_column(BigInteger)  # JP of those certificates


class ReportWeekRollup(Base):
    """Completions per week (Monday, in the recorded zone) for one (OPD, course, status)."""

    __tablename__ = "report_week_rollups"
    __table_args__ = (
        # The trend reads a dozen weeks across all keys: walk them by week, index only.
        Index(
            "ix_report_week_rollups_week",
            "week_start",
            "opd_id",
            "course_id",
            "employment_status",
            "completions",
        ),
    )

    opd_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    course_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    employment_status: Mapped[str] = mapped_column(String(16), primary_key=True)
    week_start: Mapped[date] = mapped_column(primary_key=True)
    completions: Mapped[int] = mapped_column(Integer)


class ReportJpRollup(Base):
    """Valid certificates and their JP per quarter of issue (in the recorded zone; the
    first day of the quarter) for one (OPD, course, status): the JP report's triwulan and
    categories."""

    __tablename__ = "report_jp_rollups"
    __table_args__ = (
        Index(
            "ix_report_jp_rollups_quarter",
            "quarter_start",
            "employment_status",
            "opd_id",
            "course_id",
            "certificates",
            "jp",
        ),
    )

    opd_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    course_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    employment_status: Mapped[str] = mapped_column(String(16), primary_key=True)
    quarter_start: Mapped[date] = mapped_column(primary_key=True)
    certificates: Mapped[int] = mapped_column(Integer)
    jp: Mapped[int] = mapped_column(BigInteger)


class ReportPersonJp(Base):
    """JP of one person's valid certificates issued in a year (in the recorded zone),
    whatever their OPD or status (those are read live): who reached the yearly 20 JP."""

    __tablename__ = "report_person_jp"
    __table_args__ = (Index("ix_report_person_jp_year", "year", "jp", "user_id"),)

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    jp: Mapped[int] = mapped_column(BigInteger)


class ReportTimezone(Base):
    """The one zone the week, quarter and year rollups are computed in. The triggers read
    it from here (so they always count in the recorded zone); readers compare it with
    CAKAP_TIMEZONE (app/reports/rollups.py) and `cakap report rollups --rebuild` changes it.
    It always holds its row: without it the triggers could not place a completion in a
    week, and the change would fail."""

    __tablename__ = "report_timezone"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64))  # e.g. Asia/Makassar (PostgreSQL's triggers)
    utc_offset_minutes: Mapped[int] = mapped_column(Integer)  # e.g. 480 (SQLite's triggers)
