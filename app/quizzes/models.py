"""Quiz attempts and saved answers. Every answer is its own row, written as the learner
answers, so nothing is lost to a refresh, a double click or a server restart."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.courses.models import CourseQuiz, QuizVersion
from app.db import Base, utcnow


class AttemptStatus(enum.StrEnum):
    open = "open"
    submitted = "submitted"
    expired = "expired"  # the deadline passed; graded with the answers saved in time


class QuizAttempt(Base):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "quiz_id", "number"),
        Index("ix_quiz_attempts_enrolment_passed", "enrolment_id", "passed"),
        Index("ix_quiz_attempts_quiz_status", "quiz_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"))
    quiz_id: Mapped[int] = mapped_column(ForeignKey("course_quizzes.id"))
    quiz_version_id: Mapped[int] = mapped_column(ForeignKey("quiz_versions.id"))
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    status: Mapped[AttemptStatus] = mapped_column(
        Enum(AttemptStatus, native_enum=False, length=16, validate_strings=True),
        default=AttemptStatus.open,
    )
    # [{"question_id": ..., "option_order": [...]}, ...] fixed when the attempt starts
    layout: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    score_percent: Mapped[float | None] = mapped_column(Numeric(5, 2, asdecimal=False))
    points: Mapped[float | None] = mapped_column(Numeric(8, 2, asdecimal=False))
    max_points: Mapped[float | None] = mapped_column(Numeric(8, 2, asdecimal=False))
    passed: Mapped[bool | None]
    # {question_id: {"points": p, "max_points": m, "correct": bool}} after grading only
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    quiz: Mapped[CourseQuiz] = relationship(lazy="joined")
    version: Mapped[QuizVersion] = relationship()


class QuizAnswer(Base):
    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(100))
    response: Mapped[Any] = mapped_column(JSON, nullable=True)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizKeyView(Base):
    """Someone was shown this quiz's answer key (the monitoring page): they may not sit it.

    One row per person and quiz, written on first view and never changed."""

    __tablename__ = "quiz_key_views"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    quiz_id: Mapped[int] = mapped_column(ForeignKey("course_quizzes.id"), primary_key=True)
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow)
