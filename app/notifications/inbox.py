"""In-app notifications: the header's unread count and the Notifikasi page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db import write_locked
from app.errors import NotFound
from app.notifications.models import Channel, Notification

PAGE_SIZE = 50
# The badge says "99+" beyond this: counting further is work nobody reads.
COUNT_CAP = 100


def _mine(user_id: int):
    return (Notification.user_id == user_id, Notification.channel == Channel.in_app)


def unread_count(db: Session, *, user_id: int) -> int:
    """Unread in-app notifications, counted up to COUNT_CAP (served by ix_notifications_inbox)."""
    capped = (
        select(Notification.id)
        .where(*_mine(user_id), Notification.read_at.is_(None))
        .limit(COUNT_CAP)
    ).subquery()
    return db.scalar(select(func.count()).select_from(capped))


def recent(db: Session, *, user_id: int, limit: int = PAGE_SIZE) -> list[Notification]:
    """The newest notifications, unread and read."""
    return list(
        db.scalars(
            select(Notification)
            .where(*_mine(user_id))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def open_notification(db: Session, *, user_id: int, notification_id: int, now: datetime) -> str:
    """Mark one of the person's notifications read; returns where it points. Commits."""
    found = db.execute(
        select(Notification.link).where(*_mine(user_id), Notification.id == notification_id)
    ).first()
    if found is None:  # someone else's, or none at all
        db.commit()
        raise NotFound()
    link = found.link
    write_locked(db)
    db.execute(
        update(Notification)
        .where(*_mine(user_id), Notification.id == notification_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    db.commit()
    return link or "/notifikasi"


def mark_all_read(db: Session, *, user_id: int, now: datetime) -> int:
    """Mark every unread notification of the person read; returns how many. Commits."""
    write_locked(db)
    count = db.execute(
        update(Notification)
        .where(*_mine(user_id), Notification.read_at.is_(None))
        .values(read_at=now)
    ).rowcount
    db.commit()
    return count
