"""The city's own details that admins keep in the app (not in the deployment's settings)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class CityProfile(Base):
    """One row (id 1): who signs certificates and reports. Empty fields fall back to the
    CAKAP_SIGNER_* settings."""

    __tablename__ = "city_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    signer_name: Mapped[str | None] = mapped_column(String(200))
    signer_nip: Mapped[str | None] = mapped_column(String(18))
    signer_title: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
