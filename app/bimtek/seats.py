"""Seats: nominations, self-registration, decisions, withdrawal and the waiting list.

A seat is a confirmed nomination; confirmed counts never exceed the capacity or an OPD's
quota, also under concurrent requests: every seat decision runs inside `seat_lock`. When a
seat frees up, the first waitlisted person (in waiting-list order) who fits both the
capacity and their OPD's quota is promoted. Confirmed participants are enrolled in the
session's course in the same transaction as the decision that seats them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.audit.service import record
from app.bimtek import notices
from app.bimtek.access import BimtekError, check_acts_for
from app.bimtek.models import BimtekSession, Nomination, NominationStatus
from app.bimtek.roster import confirmed_count, describe
from app.courses.models import Course
from app.db import write_locked
from app.errors import NotFound
from app.i18n import fmt_date
from app.i18n import gettext as _
from app.progress import service as progress
from app.users.models import Role, User

ACTIVE = (NominationStatus.pending, NominationStatus.confirmed, NominationStatus.waitlisted)


@dataclass
class Outcome:
    nomination: Nomination
    message: str
    promoted: list[Nomination] = field(default_factory=list)


def _lock_session(db: Session, session_id: int) -> BimtekSession | None:
    write_locked(db)
    stmt = select(BimtekSession.id).where(BimtekSession.id == session_id)
    if db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    if db.scalar(stmt) is None:
        return None
    return db.get(BimtekSession, session_id, populate_existing=True)


@contextmanager
def seat_lock(db: Session, session_id: int) -> Iterator[BimtekSession]:
    """The one transaction that may hand out this session's seats (SQLite BEGIN IMMEDIATE,
    PostgreSQL SELECT … FOR UPDATE on the session row); NotFound if there is no session.

    The use case commits at its end. An exception ends the transaction here: if nothing
    was written yet (a refusal), with a commit, because unlike a rollback it keeps loaded
    objects (the current user) readable for the error page once the request's session has
    closed; if anything was written, with a rollback.
    """
    writes: list[bool] = []

    def flushed(*_args) -> None:
        writes.append(True)

    def executed(state) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            writes.append(True)

    event.listen(db, "after_flush", flushed)
    event.listen(db, "do_orm_execute", executed)
    try:
        session = _lock_session(db, session_id)
        if session is None:
            raise NotFound()
        yield session
    except BaseException:
        if writes:
            db.rollback()
        else:
            db.commit()
        raise
    finally:
        event.remove(db, "after_flush", flushed)
        event.remove(db, "do_orm_execute", executed)


@contextmanager
def nomination_lock(db: Session, nomination_id: int) -> Iterator[tuple[BimtekSession, Nomination]]:
    """`seat_lock` on the nomination's session, with the nomination read under the lock."""
    session_id = db.scalar(select(Nomination.session_id).where(Nomination.id == nomination_id))
    if session_id is None:
        db.commit()  # end the read transaction before refusing, as seat_lock does
        raise NotFound()
    with seat_lock(db, session_id) as session:
        yield session, db.get(Nomination, nomination_id, populate_existing=True)


def _seat_refusal(db: Session, session: BimtekSession, opd_id: int) -> str | None:
    """None if a seat is free for this OPD; else what is full ("quota" or "capacity")."""
    quota = session.quota_for(opd_id)
    if quota is not None and confirmed_count(db, session_id=session.id, opd_id=opd_id) >= quota:
        return "quota"
    if confirmed_count(db, session_id=session.id) >= session.capacity:
        return "capacity"
    return None


def _place(db: Session, session: BimtekSession, nomination: Nomination, now: datetime) -> None:
    """Confirm if a seat is free, else put at the end of the waiting list (session locked)."""
    nomination.decided_at = now
    if _seat_refusal(db, session, nomination.opd_id) is None:
        nomination.status = NominationStatus.confirmed
        nomination.position = None
    else:
        last = db.scalar(
            select(func.max(Nomination.position)).where(Nomination.session_id == session.id)
        )
        nomination.status = NominationStatus.waitlisted
        nomination.position = (last or 0) + 1
    db.flush()


def promote(db: Session, session: BimtekSession, now: datetime) -> list[Nomination]:
    """Fill free seats from the waiting list in order: the first person who fits both the
    capacity and their OPD's quota goes first (session locked; flushes only)."""
    total = confirmed_count(db, session_id=session.id)
    per_opd = dict(
        db.execute(
            select(Nomination.opd_id, func.count())
            .where(
                Nomination.session_id == session.id,
                Nomination.status == NominationStatus.confirmed,
            )
            .group_by(Nomination.opd_id)
        ).all()
    )
    promoted = []
    waiting = db.scalars(
        select(Nomination)
        .where(
            Nomination.session_id == session.id,
            Nomination.status == NominationStatus.waitlisted,
        )
        .order_by(Nomination.position, Nomination.id)
    ).all()
    for nomination in waiting:
        if total >= session.capacity:
            break
        quota = session.quota_for(nomination.opd_id)
        if quota is not None and per_opd.get(nomination.opd_id, 0) >= quota:
            continue
        nomination.status = NominationStatus.confirmed
        nomination.position = None
        nomination.decided_at = now
        total += 1
        per_opd[nomination.opd_id] = per_opd.get(nomination.opd_id, 0) + 1
        promoted.append(nomination)
    db.flush()
    return promoted


def enrol(db: Session, session: BimtekSession, user_ids: Iterable[int], now: datetime) -> None:
    """Confirmed participants get the course (idempotent; flushes only, inside the lock)."""
    course = db.get(Course, session.course_id)
    user_ids = list(user_ids)
    for user_id in user_ids:
        progress.add_enrolment(db, user_id=user_id, course=course, now=now, source="bimtek")
    notices.seats_confirmed(db, session, user_ids, now)


def registration_open(session: BimtekSession, now: datetime) -> bool:
    return session.registration_opens <= now <= session.registration_closes


def _registration_message(session: BimtekSession, now: datetime) -> str:
    if now < session.registration_opens:
        return _("Pendaftaran bimtek ini belum dibuka (dibuka %(at)s).") % {
            "at": fmt_date(session.registration_opens)
        }
    return _("Pendaftaran bimtek ini sudah ditutup.")


def nominate(
    db: Session,
    *,
    session_id: int,
    person_id: int,
    actor: User,
    now: datetime,
    ip: str | None = None,
) -> Outcome:
    """An OPD admin nominates a person of their own OPD (admins: anyone).

    Confirmed when the OPD's quota and the capacity allow, else waitlisted; a pending
    self-registration of that person is approved by the nomination.
    """
    with seat_lock(db, session_id) as session:
        person = db.get(User, person_id)
        if person is None or not person.active:
            raise BimtekError(_("Pegawai tidak ditemukan."))
        check_acts_for(actor, person.opd_id)
        if person.opd_id is None:
            raise BimtekError(
                _("%(name)s belum tercatat di OPD mana pun.") % {"name": person.full_name}
            )
        if not actor.has_role(Role.admin) and not registration_open(session, now):
            raise BimtekError(_registration_message(session, now))
        nomination = db.scalar(
            select(Nomination).where(
                Nomination.session_id == session.id, Nomination.user_id == person.id
            )
        )
        if nomination is not None and nomination.status in (
            NominationStatus.confirmed,
            NominationStatus.waitlisted,
        ):
            message, _kind = describe(db, nomination)
            already = _("%(name)s sudah terdaftar.") % {"name": person.full_name}
            raise BimtekError(already + " " + message)
        if nomination is None:
            nomination = Nomination(
                session_id=session.id,
                user_id=person.id,
                opd_id=person.opd_id,
                created_at=now,
                status=NominationStatus.pending,
            )
            db.add(nomination)
        nomination.nominated_by = actor.id
        nomination.opd_id = person.opd_id
        _place(db, session, nomination, now)
        record(
            db,
            action="bimtek.nominate",
            actor_id=actor.id,
            target=f"bimtek_nomination:{nomination.id}",
            ip=ip,
            session_id=session.id,
            user_id=person.id,
            status=nomination.status.value,
        )
        if nomination.status == NominationStatus.confirmed:
            enrol(db, session, [person.id], now)
        db.commit()
    message, _kind = describe(db, nomination)
    return Outcome(nomination, message)


def self_register(
    db: Session, *, session_id: int, user: User, now: datetime, ip: str | None = None
) -> Outcome:
    """A learner asks for a seat; it waits for their OPD admin (who re-checks the quota)."""
    with seat_lock(db, session_id) as session:
        problem = None
        nomination = db.scalar(
            select(Nomination).where(
                Nomination.session_id == session.id, Nomination.user_id == user.id
            )
        )
        if not session.allow_self_registration:
            problem = _(
                "Bimtek ini tidak menerima pendaftaran mandiri; "
                "peserta dinominasikan oleh admin OPD."
            )
        elif not registration_open(session, now):
            problem = _registration_message(session, now)
        elif user.opd_id is None:
            problem = _("Akun Anda belum tercatat di OPD mana pun; hubungi admin.")
        elif nomination is not None and nomination.status == NominationStatus.rejected:
            problem = _("Pendaftaran Anda untuk bimtek ini sudah ditolak oleh admin OPD.")
        elif nomination is not None and nomination.status in ACTIVE:
            problem = _("Anda sudah terdaftar di bimtek ini.")
        if problem:
            raise BimtekError(problem)
        if nomination is None:
            nomination = Nomination(session_id=session.id, user_id=user.id, created_at=now)
            db.add(nomination)
        nomination.opd_id = user.opd_id
        nomination.status = NominationStatus.pending
        nomination.position = None
        nomination.decided_at = None
        nomination.nominated_by = user.id
        db.flush()
        record(
            db,
            action="bimtek.self_register",
            actor_id=user.id,
            target=f"bimtek_nomination:{nomination.id}",
            ip=ip,
            session_id=session.id,
        )
        notices.registration_pending(db, session, nomination, now)
        db.commit()
    message, _kind = describe(db, nomination, own=True)
    return Outcome(nomination, message)


def _check_pending(nomination: Nomination) -> None:
    if nomination.status != NominationStatus.pending:
        raise BimtekError(_("Pendaftaran ini sudah diputuskan sebelumnya."))


def approve(
    db: Session, *, nomination_id: int, actor: User, now: datetime, ip: str | None = None
) -> Outcome:
    """Approve a pending self-registration: confirmed if the quota allows, else waitlisted."""
    with nomination_lock(db, nomination_id) as (session, nomination):
        check_acts_for(actor, nomination.opd_id)
        _check_pending(nomination)
        _place(db, session, nomination, now)
        record(
            db,
            action="bimtek.approve",
            actor_id=actor.id,
            target=f"bimtek_nomination:{nomination.id}",
            ip=ip,
            status=nomination.status.value,
        )
        if nomination.status == NominationStatus.confirmed:
            enrol(db, session, [nomination.user_id], now)
        db.commit()
    message, _kind = describe(db, nomination)
    return Outcome(nomination, message)


def reject(
    db: Session, *, nomination_id: int, actor: User, now: datetime, ip: str | None = None
) -> Outcome:
    """Turn down a pending self-registration (the learner cannot register again)."""
    with nomination_lock(db, nomination_id) as (_session, nomination):
        check_acts_for(actor, nomination.opd_id)
        _check_pending(nomination)
        nomination.status = NominationStatus.rejected
        nomination.decided_at = now
        record(
            db,
            action="bimtek.reject",
            actor_id=actor.id,
            target=f"bimtek_nomination:{nomination.id}",
            ip=ip,
        )
        db.commit()
    message, _kind = describe(db, nomination)
    return Outcome(nomination, message)


def withdraw(
    db: Session, *, nomination_id: int, actor: User, now: datetime, ip: str | None = None
) -> Outcome:
    """Withdraw a person (themselves, their OPD admin, or an admin); a freed seat goes to
    the first waitlisted person who fits."""
    with nomination_lock(db, nomination_id) as (session, nomination):
        if nomination.user_id != actor.id:
            check_acts_for(actor, nomination.opd_id)
        if nomination.status not in ACTIVE:
            raise BimtekError(_("Peserta ini sudah tidak terdaftar."))
        freed = nomination.status == NominationStatus.confirmed
        nomination.status = NominationStatus.withdrawn
        nomination.position = None
        nomination.decided_at = now
        db.flush()
        promoted = promote(db, session, now) if freed else []
        record(
            db,
            action="bimtek.withdraw",
            actor_id=actor.id,
            target=f"bimtek_nomination:{nomination.id}",
            ip=ip,
            promoted=[n.user_id for n in promoted],
        )
        enrol(db, session, [n.user_id for n in promoted], now)
        db.commit()
    message, _kind = describe(db, nomination, own=nomination.user_id == actor.id)
    if promoted:
        message += " " + _("Kursi diberikan kepada %(names)s dari daftar tunggu.") % {
            "names": ", ".join(n.user.full_name for n in promoted)
        }
    return Outcome(nomination, message, promoted)
