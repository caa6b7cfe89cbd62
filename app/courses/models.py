"""Courses as loaded from `courses/`: versions are kept, nothing a learner touched is deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(16), index=True)  # cpns | bimtek | umum
    jp: Mapped[int] = mapped_column(Integer)
    jp_category: Mapped[str | None] = mapped_column(String(32))
    cover: Mapped[str | None] = mapped_column(String(300))
    enrolment_mode: Mapped[str] = mapped_column(String(16), default="open")  # open | assigned
    content_hash: Mapped[str] = mapped_column(String(64))
    assets: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The folder disappeared from disk: hidden from the catalogue, history kept.
    archived: Mapped[bool] = mapped_column(default=False)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)

    modules: Mapped[list[CourseModule]] = relationship(
        back_populates="course", order_by="CourseModule.position"
    )
    quizzes: Mapped[list[CourseQuiz]] = relationship(
        back_populates="course", order_by="CourseQuiz.position"
    )


class CourseModule(Base):
    __tablename__ = "course_modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(Integer)
    required: Mapped[bool] = mapped_column(default=True)
    # Removed from course.yaml: kept for learners' history, not shown in the outline.
    archived: Mapped[bool] = mapped_column(default=False)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("module_versions.id", use_alter=True)
    )

    course: Mapped[Course] = relationship(back_populates="modules")
    current_version: Mapped[ModuleVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class ModuleVersion(Base):
    """One content version of a module; HTML is rendered once, at sync, keyed by content hash."""

    __tablename__ = "module_versions"
    __table_args__ = (UniqueConstraint("module_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("course_modules.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourseQuiz(Base):
    __tablename__ = "course_quizzes"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    required: Mapped[bool] = mapped_column(default=True)
    # What must be finished before it can be started ("module:slug" / "quiz:slug"); from the
    # course file's `requires`. None: nothing.
    requires: Mapped[list[str] | None] = mapped_column(JSON)
    archived: Mapped[bool] = mapped_column(default=False)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("quiz_versions.id", use_alter=True)
    )

    course: Mapped[Course] = relationship(back_populates="quizzes")
    current_version: Mapped[QuizVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class QuizVersion(Base):
    """A quiz file's content at one hash. Attempts point at the version they were drawn from."""

    __tablename__ = "quiz_versions"
    __table_args__ = (UniqueConstraint("quiz_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("course_quizzes.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    # Deferred: the parsed quiz is cached per version (quizzes.service.quiz_of), so the
    # JSON is read once per worker rather than on every answer save.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourseSyncRun(Base):
    """The outcome of one load of `courses/` (shown to admins; works across workers)."""

    __tablename__ = "course_sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
