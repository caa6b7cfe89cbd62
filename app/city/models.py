"""The city's own details that admins keep in the app (not in the deployment's settings)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class CityProfile(Base):
    """One row (id 1): who signs certificates and reports (empty fields fall back to the
    CAKAP_SIGNER_* settings), and the city's logo. The logo lives here, not in a file,
    so that every app server of a city prints the same one."""

    __tablename__ = "city_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    signer_name: Mapped[str | None] = mapped_column(String(200))
    signer_nip: Mapped[str | None] = mapped_column(String(18))
    signer_title: Mapped[str | None] = mapped_column(String(200))
    # A PNG re-encoded by app/city/logo.py (never the upload itself), ≤ ~200 KB.
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_digest: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
