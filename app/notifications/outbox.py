"""Writing notifications: `enqueue` inside the transaction of the event that causes them.

Subject and bodies are rendered here, when the event happens, not when the mail is sent:
- the message says what was true at the event (the venue as it was when the person was
  confirmed), and the admin's outbox view shows exactly what will go out and what a
  resend repeats;
- delivery is then a plain pump that needs no domain, no template and no row the event
  referred to (a deleted session or user cannot make a queued mail unrenderable at 3 a.m.);
- a template error shows up in the event's own tests and request, not in a cron log.
The price is storage (a few kB per mail) and that a template fix does not change mails
already queued. A mail that carries a secret (a password-reset link) is sealed with the
instance secret while it waits and its bodies are erased once it is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from app import sealing
from app.config import Settings
from app.db import insert_ignore
from app.notifications.models import Channel, Notification, Status
from app.notifications.rendering import render

if TYPE_CHECKING:
    from app.users.models import User

SEAL_PURPOSE = b"cakap outbox"
BOTH = (Channel.email, Channel.in_app)


def enqueue(
    db: Session,
    *,
    recipient: User,
    kind: str,
    dedup_key: str,
    context: dict[str, Any] | None = None,
    link: str | None = None,
    channels: Iterable[Channel] = BOTH,
    sensitive: bool = False,
    now: datetime,
) -> None:
    """Queue the message `kind` for `recipient` on each of `channels`, once per dedup_key.

    Only flushes: the caller's transaction commits it together with the event, or not at
    all. The e-mail channel is skipped for people without an address. A second call with
    the same key (a double submit, a concurrent worker) writes nothing.
    """
    settings: Settings = db.info["settings"]
    rendered = render(
        kind,
        context or {},
        settings=settings,
        locale=recipient.locale,
        recipient_name=recipient.full_name,
        link=link,
    )
    for channel in channels:
        if channel == Channel.email and not recipient.email:
            continue
        text, html = rendered.text, rendered.html
        if channel == Channel.in_app:
            # The page shows subject and summary; a secret never goes there.
            text = html = None
        elif sensitive:
            text = sealing.seal(settings.secret, text, purpose=SEAL_PURPOSE)
            html = sealing.seal(settings.secret, html, purpose=SEAL_PURPOSE)
        insert_ignore(
            db,
            Notification,
            {
                "user_id": recipient.id,
                "channel": channel,
                "kind": kind,
                "dedup_key": dedup_key[:200],
                "to_address": recipient.email if channel == Channel.email else None,
                "subject": rendered.subject[:300],
                "summary": rendered.summary,
                "body_text": text,
                "body_html": html,
                "sealed": sensitive and channel == Channel.email,
                "link": link,
                # Nothing to deliver in-app: visible from the event's commit on.
                "status": Status.waiting if channel == Channel.email else Status.sent,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "sent_at": None if channel == Channel.email else now,
            },
            conflict=["dedup_key", "channel", "user_id"],
        )


def bodies(settings: Settings, row: Notification) -> tuple[str, str | None]:
    """The text and HTML body to send (unsealed when the row is sealed)."""
    if not row.sealed:
        return row.body_text or "", row.body_html
    text = sealing.unseal(settings.secret, row.body_text, purpose=SEAL_PURPOSE)
    html = sealing.unseal(settings.secret, row.body_html, purpose=SEAL_PURPOSE)
    if text is None:
        raise ValueError("sealed message cannot be opened (the instance secret changed)")
    return text, html
