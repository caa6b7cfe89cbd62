"""What bimtek tells people, through the outbox, in the transaction of the decision:
a confirmed seat to the participant, a pending self-registration to whoever approves it
(the OPD admin, or kominfo for an OPD without one)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import citytime, i18n
from app.bimtek.models import BimtekSession, Nomination, NominationStatus
from app.notifications.outbox import enqueue
from app.users.service import opd_contacts


def _when(session: BimtekSession) -> dict:
    first, last = session.first_day, session.last_day
    if first is None:
        return {"dates": "", "hours": ""}
    dates = i18n.fmt_date(first.date)
    if last is not None and last.date != first.date:
        dates = f"{dates} – {i18n.fmt_date(last.date)}"
    hours = f"{citytime.local(first.starts_at):%H.%M}–{citytime.hhmm(first.ends_at)}"
    return {"dates": dates, "hours": hours}


def _session(session: BimtekSession) -> dict:
    return {
        "title": session.title,
        "venue": session.venue or "",
        "online_link": session.online_link or "",
        **_when(session),
    }


def _stamp(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment else "-"


def seats_confirmed(
    db: Session, session: BimtekSession, user_ids: Iterable[int], now: datetime
) -> None:
    """Tell each person their seat is confirmed, once per decision (keyed by the
    nomination and its decision time, so re-enrolling the same people changes nothing).
    Flushes only, inside the seat lock."""
    ids = list(user_ids)
    if not ids:
        return
    confirmed = db.scalars(
        select(Nomination).where(
            Nomination.session_id == session.id,
            Nomination.user_id.in_(ids),
            Nomination.status == NominationStatus.confirmed,
        )
    ).all()
    for nomination in confirmed:
        enqueue(
            db,
            recipient=nomination.user,
            kind="bimtek_confirmed",
            dedup_key=f"bimtek.confirmed:{nomination.id}:{_stamp(nomination.decided_at)}",
            context={"session": _session(session)},
            link="/bimtek",
            now=now,
        )


def registration_pending(
    db: Session, session: BimtekSession, nomination: Nomination, now: datetime
) -> None:
    """Tell whoever approves for the learner's OPD that a self-registration waits.
    Flushes only, inside the seat lock."""
    approvers, opd_has_admin = opd_contacts(db, opd_id=nomination.opd_id)
    context = {
        "session": _session(session),
        "person": nomination.user.full_name,
        "opd": nomination.opd.name if nomination.opd else "",
        "opd_has_admin": opd_has_admin,
    }
    for approver in approvers:
        enqueue(
            db,
            recipient=approver,
            kind="bimtek_pending",
            dedup_key=f"bimtek.pending:{nomination.id}:{_stamp(now)}",
            context=context,
            link=f"/bimtek/sesi/{session.id}",
            now=now,
        )
