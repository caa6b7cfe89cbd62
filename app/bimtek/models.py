"""Bimtek (technical training) sessions: scheduled days, OPD quotas, nominations, attendance.

Seats are counted from confirmed nominations only; a pending self-registration or a place
on the waiting list holds no seat. Attendance rows are never deleted by editing a session.
"""

from __future__ import annotations

import datetime as dt
import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.courses.models import Course
from app.db import Base, utcnow
from app.opds.models import Opd
from app.users.models import User


class NominationStatus(enum.StrEnum):
    pending = "pending"  # self-registered, waiting for the learner's OPD admin
    confirmed = "confirmed"  # holds a seat
    waitlisted = "waitlisted"  # quota or capacity full; promoted in `position` order
    withdrawn = "withdrawn"
    rejected = "rejected"


class AttendanceMethod(enum.StrEnum):
    qr = "qr"
    code = "code"
    manual = "manual"


bimtek_facilitators = Table(
    "bimtek_facilitators",
    Base.metadata,
    Column(
        "session_id",
        ForeignKey("bimtek_sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class BimtekSession(Base):
    __tablename__ = "bimtek_sessions"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "required_attendance_percent BETWEEN 1 AND 100", name="attendance_percent_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    venue: Mapped[str] = mapped_column(String(300), default="")
    online_link: Mapped[str | None] = mapped_column(String(500))
    # Outside speakers often have no account; accounts that run check-in are `facilitators`.
    facilitator_names: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(Integer)
    # NULL: no per-OPD limit, only the capacity.
    default_quota_per_opd: Mapped[int | None] = mapped_column(Integer)
    registration_opens: Mapped[datetime]
    registration_closes: Mapped[datetime]
    jp: Mapped[int] = mapped_column(Integer)
    # 100 = every day; 80 = at least 80 % of the days.
    required_attendance_percent: Mapped[int] = mapped_column(Integer, default=100)
    allow_self_registration: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(lazy="joined")
    # A day removed from the list is deleted; the database refuses if it has attendance.
    days: Mapped[list[BimtekDay]] = relationship(
        back_populates="session",
        order_by="BimtekDay.date",
        lazy="selectin",
        cascade="all, delete-orphan",
    )
    facilitators: Mapped[list[User]] = relationship(
        secondary=bimtek_facilitators, lazy="selectin", order_by="User.full_name"
    )
    quotas: Mapped[list[BimtekQuota]] = relationship(
        back_populates="session", lazy="selectin", cascade="all, delete-orphan"
    )

    def quota_for(self, opd_id: int) -> int | None:
        """The seat limit of one OPD: its override, else the default (None = no limit)."""
        for q in self.quotas:
            if q.opd_id == opd_id:
                return q.quota
        return self.default_quota_per_opd

    @property
    def first_day(self) -> BimtekDay | None:
        return self.days[0] if self.days else None

    @property
    def last_day(self) -> BimtekDay | None:
        return self.days[-1] if self.days else None


class BimtekDay(Base):
    """One day of a session. `date` is the day in the city's zone (app.citytime); the
    times are UTC."""

    __tablename__ = "bimtek_days"
    __table_args__ = (UniqueConstraint("session_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("bimtek_sessions.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date] = mapped_column(index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    session: Mapped[BimtekSession] = relationship(back_populates="days")


class BimtekQuota(Base):
    """A per-OPD override of the session's default quota."""

    __tablename__ = "bimtek_quotas"
    __table_args__ = (
        UniqueConstraint("session_id", "opd_id"),
        CheckConstraint("quota >= 0", name="quota_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("bimtek_sessions.id", ondelete="CASCADE"), index=True
    )
    opd_id: Mapped[int] = mapped_column(ForeignKey("opds.id"))
    quota: Mapped[int] = mapped_column(Integer)

    session: Mapped[BimtekSession] = relationship(back_populates="quotas")
    opd: Mapped[Opd] = relationship(lazy="joined")


class Nomination(Base):
    """A person's place in a session. One row per person and session; a withdrawn or
    rejected person who is nominated again gets the same row back."""

    __tablename__ = "bimtek_nominations"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        Index("ix_bimtek_nominations_session_status", "session_id", "status"),
        Index("ix_bimtek_nominations_session_opd_status", "session_id", "opd_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("bimtek_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The OPD whose quota the seat counts against (the person's OPD when nominated).
    opd_id: Mapped[int] = mapped_column(ForeignKey("opds.id"))
    status: Mapped[NominationStatus] = mapped_column(
        Enum(NominationStatus, native_enum=False, length=16, validate_strings=True)
    )
    nominated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Waiting-list order (set when waitlisted; lower goes first).
    position: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None]

    session: Mapped[BimtekSession] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    opd: Mapped[Opd] = relationship(lazy="joined")


class Attendance(Base):
    """Present on one day. The first record is kept; later scans change nothing."""

    __tablename__ = "bimtek_attendance"
    __table_args__ = (UniqueConstraint("day_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("bimtek_days.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    checked_in_at: Mapped[datetime]
    method: Mapped[AttendanceMethod] = mapped_column(
        Enum(AttendanceMethod, native_enum=False, length=16, validate_strings=True)
    )
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
