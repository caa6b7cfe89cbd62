from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.courses.models import Course
from app.db import Base, utcnow
from app.users.models import User


class Certificate(Base):
    """An issued certificate. `payload` is exactly what was signed; it is never edited."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # One certificate per enrolment: the unique key is the "issued exactly once" guarantee.
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    jp: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    kid: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(128))
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    course: Mapped[Course] = relationship(lazy="joined")
    # None only for rows inserted without the service (demo_city's unsigned report data).
    status_entry: Mapped[CertificateStatusEntry | None] = relationship(
        lazy="joined", back_populates="certificate"
    )


class CertificateStatusEntry(Base):
    """A certificate's bit in the public revocation list (W3C Bitstring Status List).

    `status_index` is allocated in issuing order and never reused (AUTOINCREMENT on SQLite,
    a sequence on PostgreSQL; rows are never deleted): a bit that once meant one
    certificate can never come to mean another, so an old cached list stays truthful.
    """

    __tablename__ = "certificate_status_entries"
    __table_args__ = (
        # The published list reads only the set bits of one index range, from this index.
        Index("ix_certificate_status_entries_revoked", "revoked", "status_index"),
        {"sqlite_autoincrement": True},
    )

    status_index: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), unique=True)
    # The bit itself, set by service.revoke() in the transaction that sets revoked_at: the
    # list is read without joining (or scanning) certificates.
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    certificate: Mapped[Certificate] = relationship(back_populates="status_entry")


class CertificateCounter(Base):
    """The last serial number used per year; incremented in the issuing transaction, so
    serials have no gaps and no duplicates."""

    __tablename__ = "certificate_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
