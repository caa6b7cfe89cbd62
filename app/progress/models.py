"""Enrolments and per-module progress. Each enrolment keeps a summary of its progress,
updated as it changes, so lists and reports never scan every module row."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy import (
    false as sa_false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.courses.models import Course, CourseModule, ModuleVersion
from app.db import Base, utcnow


class EnrolmentStatus(enum.StrEnum):
    enrolled = "enrolled"  # not started
    in_progress = "in_progress"
    completed = "completed"


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        Index("ix_enrolments_course_status", "course_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    # self | assigned | bimtek — who put the learner here.
    source: Mapped[str] = mapped_column(String(16), default="self")
    due_date: Mapped[date | None]
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None] = mapped_column(index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(
        Enum(EnrolmentStatus, native_enum=False, length=16, validate_strings=True),
        default=EnrolmentStatus.enrolled,
    )
    items_done: Mapped[int] = mapped_column(Integer, default=0)
    items_required: Mapped[int] = mapped_column(Integer, default=0)
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)
    final_score: Mapped[float | None] = mapped_column(Numeric(5, 2, asdecimal=False))

    course: Mapped[Course] = relationship(lazy="joined")


class ModuleProgress(Base):
    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), index=True
    )
    module_id: Mapped[int] = mapped_column(ForeignKey("course_modules.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    # The version the learner read when they finished; a newer current version means
    # "materi telah diperbarui" — their completion still stands.
    completed_version_id: Mapped[int | None] = mapped_column(ForeignKey("module_versions.id"))

    module: Mapped[CourseModule] = relationship()
    completed_version: Mapped[ModuleVersion | None] = relationship()


class AssignmentRule(Base):
    """Assign a course to everyone matching: OPDs and/or employment statuses (and TMT year).

    Rules apply when created and again to people imported or changed later."""

    __tablename__ = "assignment_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    opd_ids: Mapped[list[int] | None] = mapped_column(JSON)  # None = every OPD
    statuses: Mapped[list[str] | None] = mapped_column(JSON)  # None = every status
    tmt_year: Mapped[int | None] = mapped_column(Integer)
    due_days: Mapped[int] = mapped_column(Integer, default=30)
    # "assigned": due `due_days` after the person is assigned; "tmt": after their TMT.
    due_from: Mapped[str] = mapped_column(String(16), default="assigned", server_default="assigned")
    # Kept by the course sync from the course file's `assign:` (one per course).
    course_default: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(lazy="joined")
