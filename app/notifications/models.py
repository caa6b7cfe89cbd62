"""The outbox: one row per message to one person on one channel.

An e-mail row waits until `cakap notify run` delivers it; an in-app row is visible on
the person's Notifikasi page from the moment the event's transaction commits (it is born
`sent`, its `read_at` set when the person opens or dismisses it). Rows are written in the
transaction of the event that causes them, and (dedup_key, channel, user_id) is unique,
so an event that runs twice (a double submit, two workers) notifies once.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Channel(enum.StrEnum):
    email = "email"
    in_app = "in_app"


class Status(enum.StrEnum):
    waiting = "waiting"  # due at next_attempt_at (first try or a retry)
    sending = "sending"  # claimed by a run at claimed_at
    sent = "sent"
    failed = "failed"  # given up: a permanent refusal or notify_max_attempts tries


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("dedup_key", "channel", "user_id"),
        # What `cakap notify run` claims: due e-mails, oldest first.
        Index("ix_notifications_due", "status", "next_attempt_at"),
        # The header's unread count and the Notifikasi page.
        Index("ix_notifications_inbox", "user_id", "channel", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL only for a message to a bare address (the admin's SMTP test mail).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[Channel] = mapped_column(
        Enum(Channel, native_enum=False, length=16, validate_strings=True)
    )
    # What kind of event (the template's name under app/templates/mail/).
    kind: Mapped[str] = mapped_column(String(64))
    # Names the event (and so makes it notify once), e.g. "certificate.issued:42".
    dedup_key: Mapped[str] = mapped_column(String(200))
    # The address when the row was written: a reset link goes where it was asked for.
    to_address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    # One sentence for the Notifikasi page.
    summary: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # Secret content (a password-reset link): both bodies are sealed with the instance
    # secret while the mail waits, and erased once it is sent.
    sealed: Mapped[bool] = mapped_column(default=False)
    link: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[Status] = mapped_column(
        Enum(Status, native_enum=False, length=16, validate_strings=True),
        default=Status.waiting,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    # The mail server's answer (or the connection error) of the last failed try.
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
