from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.opds.models import Opd


class Role(enum.StrEnum):
    learner = "learner"
    opd_admin = "opd_admin"
    kominfo = "kominfo"
    admin = "admin"


class EmploymentStatus(enum.StrEnum):
    CPNS = "CPNS"
    PNS = "PNS"
    PPPK = "PPPK"
    # Honorer, guests, PPPK in process: identified by NIK, flagged as non-ASN in reports.
    NON_ASN = "NON_ASN"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # 18-digit NIP; NULL only for non-ASN staff (who log in by email).
    nip: Mapped[str | None] = mapped_column(String(18), unique=True)
    # 16-digit NIK for people without a NIP (PPPK in process, honorer, bimtek guests).
    nik: Mapped[str | None] = mapped_column(String(16), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    opd_id: Mapped[int | None] = mapped_column(ForeignKey("opds.id"), index=True)
    jabatan: Mapped[str | None] = mapped_column(String(200))
    golongan: Mapped[str | None] = mapped_column(String(16))
    tmt: Mapped[date | None]  # first appointment (TMT CPNS/PPPK)
    employment_status: Mapped[EmploymentStatus] = mapped_column(
        Enum(EmploymentStatus, native_enum=False, length=16, validate_strings=True),
        default=EmploymentStatus.PNS,
    )
    active: Mapped[bool] = mapped_column(default=True)
    # NULL until the person sets a password (activation); such accounts cannot log in.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None]
    locale: Mapped[str] = mapped_column(String(8), default="id")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    opd: Mapped[Opd | None] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="user"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def set_roles(self, roles: set[Role]) -> None:
        keep = [r for r in self.role_rows if r.role in roles]
        have = {r.role for r in keep}
        self.role_rows = keep + [UserRole(role=r) for r in sorted(roles - have)]


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, validate_strings=True)
    )

    user: Mapped[User] = relationship(back_populates="role_rows")


class ActivationCode(Base):
    """A one-time code with which a person sets their own password (stored hashed).

    Admins never see or set passwords: imports and resets hand out these instead."""

    __tablename__ = "activation_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The code itself, encrypted with a key derived from the instance secret, so the OPD's
    # list can be downloaded again (PDF, then XLSX) without issuing new codes — which would
    # silently void the printed ones. A leaked database alone reveals no code.
    sealed: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # Set when a newer code for the same person took its place (its own message at /aktivasi).
    replaced_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ImportJob(Base):
    """An uploaded ASN file: previewed first, applied on confirmation in batches."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # An OPD admin's import is limited to their OPD; NULL = city-wide (admin).
    opd_scope_id: Mapped[int | None] = mapped_column(ForeignKey("opds.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(
        String(16), default="previewed"
    )  # previewed|running|done|failed
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None]
