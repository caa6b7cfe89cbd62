"""What the holder is told about their certificate: issued, revoked (through the outbox,
in the transaction that issues or revokes it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.certificates.models import Certificate
from app.notifications.outbox import enqueue
from app.users.models import User


def issued(db: Session, *, certificate: Certificate, holder: User, course_title: str, now):
    """Flushes only (inside the completing transaction)."""
    enqueue(
        db,
        recipient=holder,
        kind="certificate_issued",
        dedup_key=f"certificate.issued:{certificate.id}",
        context={"course_title": course_title, "serial": certificate.serial, "jp": certificate.jp},
        link="/sertifikat",
        now=now,
    )


def revoked(db: Session, *, certificate: Certificate, now: datetime) -> None:
    """Flushes only (inside the revoking transaction)."""
    enqueue(
        db,
        recipient=certificate.user,
        kind="certificate_revoked",
        dedup_key=f"certificate.revoked:{certificate.id}",
        context={
            "course_title": certificate.course.title,
            "serial": certificate.serial,
            "reason": certificate.revoked_reason or "",
        },
        link="/sertifikat",
        now=now,
    )
