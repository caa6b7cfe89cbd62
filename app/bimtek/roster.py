"""Reading sessions and who holds their seats: lists, fill per OPD, counts, people search
and the sentence that says where a nomination stands. Nothing here writes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from app.bimtek.models import BimtekDay, BimtekSession, Nomination, NominationStatus
from app.i18n import gettext as _
from app.opds.models import Opd
from app.users.models import User
from app.users.scope import OpdScope, read_scope


def get_session(db: Session, session_id: int) -> BimtekSession | None:
    return db.get(BimtekSession, session_id)


def get_day(db: Session, *, session_id: int, day_id: int) -> BimtekDay | None:
    """The day if it belongs to that session (a day id under another session is a 404)."""
    # With its session: the check-in page and the attendance record both read it.
    day = db.get(BimtekDay, day_id, options=[joinedload(BimtekDay.session)])
    if day is None or day.session_id != session_id:
        return None
    return day


def active_opds(db: Session) -> list[Opd]:
    return list(db.scalars(select(Opd).where(Opd.active.is_(True)).order_by(Opd.name)))


def list_sessions(db: Session) -> list[BimtekSession]:
    """Every session, newest schedule first."""
    first_day = (
        select(func.min(BimtekDay.date))
        .where(BimtekDay.session_id == BimtekSession.id)
        .scalar_subquery()
    )
    return list(
        db.scalars(select(BimtekSession).order_by(first_day.desc().nulls_first(), BimtekSession.id))
    )


def confirmed_count(db: Session, *, session_id: int, opd_id: int | None = None) -> int:
    """Seats taken in the session, or by one OPD's people in it."""
    stmt = (
        select(func.count())
        .select_from(Nomination)
        .where(Nomination.session_id == session_id, Nomination.status == NominationStatus.confirmed)
    )
    if opd_id is not None:
        stmt = stmt.where(Nomination.opd_id == opd_id)
    return db.scalar(stmt)


def confirmed_user_ids(db: Session, session_id: int) -> list[int]:
    return list(
        db.scalars(
            select(Nomination.user_id).where(
                Nomination.session_id == session_id,
                Nomination.status == NominationStatus.confirmed,
            )
        )
    )


def my_nomination(db: Session, *, session_id: int, user_id: int) -> Nomination | None:
    return db.scalar(
        select(Nomination).where(Nomination.session_id == session_id, Nomination.user_id == user_id)
    )


def _status_counts(db: Session, session_ids: Iterable[int], scope: OpdScope):
    """{(session_id, status): n} over the nominations the scope may see."""
    ids = list(session_ids)
    if not ids:
        return {}
    stmt = (
        select(Nomination.session_id, Nomination.status, func.count())
        .where(Nomination.session_id.in_(ids), scope.where(Nomination.opd_id))
        .group_by(Nomination.session_id, Nomination.status)
    )
    return {(sid, NominationStatus(status)): n for sid, status, n in db.execute(stmt)}


@dataclass
class SessionRow:
    session: BimtekSession
    confirmed: int
    waitlisted: int
    pending: int
    limit: int | None  # capacity, or the OPD's quota for an OPD admin
    fill_percent: int | None


def sessions_for_staff(db: Session, *, user: User) -> list[SessionRow]:
    """The sessions list: fill of the whole session, or of the OPD admin's quota."""
    scope = read_scope(user)
    sessions = list_sessions(db)
    counts = _status_counts(db, (s.id for s in sessions), scope)
    rows = []
    for s in sessions:
        confirmed = counts.get((s.id, NominationStatus.confirmed), 0)
        limit = s.capacity if scope.whole_city else s.quota_for(scope.limited_to)
        rows.append(
            SessionRow(
                session=s,
                confirmed=confirmed,
                waitlisted=counts.get((s.id, NominationStatus.waitlisted), 0),
                pending=counts.get((s.id, NominationStatus.pending), 0),
                limit=limit,
                fill_percent=None if not limit else min(100, confirmed * 100 // limit),
            )
        )
    return rows


@dataclass
class OpdFill:
    opd: Opd
    quota: int | None
    confirmed: int
    waitlisted: int
    pending: int

    @property
    def fill_percent(self) -> int | None:
        if not self.quota:
            return None
        return min(100, self.confirmed * 100 // self.quota)


def fill_by_opd(db: Session, *, session: BimtekSession, scope: OpdScope) -> list[OpdFill]:
    """Quota use per OPD: every OPD with a quota or a nomination (one OPD for an OPD admin)."""
    counts: dict[tuple[int, NominationStatus], int] = {
        (opd_id, NominationStatus(status)): n
        for opd_id, status, n in db.execute(
            select(Nomination.opd_id, Nomination.status, func.count())
            .where(Nomination.session_id == session.id)
            .group_by(Nomination.opd_id, Nomination.status)
        )
    }
    with_quota = {q.opd_id for q in session.quotas}
    with_nominations = {opd_id for opd_id, _status in counts}
    opds = active_opds(db)
    rows = []
    for opd in opds:
        if not scope.allows(opd.id):
            continue
        relevant = (
            opd.id in with_quota
            or opd.id in with_nominations
            or session.default_quota_per_opd is not None
            or not scope.whole_city
        )
        if not relevant:
            continue
        rows.append(
            OpdFill(
                opd=opd,
                quota=session.quota_for(opd.id),
                confirmed=counts.get((opd.id, NominationStatus.confirmed), 0),
                waitlisted=counts.get((opd.id, NominationStatus.waitlisted), 0),
                pending=counts.get((opd.id, NominationStatus.pending), 0),
            )
        )
    return rows


def nominations_of(
    db: Session, *, session_id: int, scope: OpdScope, statuses: Iterable[NominationStatus] = ()
) -> list[Nomination]:
    stmt = (
        select(Nomination)
        .join(User, User.id == Nomination.user_id)
        .join(Opd, Opd.id == Nomination.opd_id)
        .where(Nomination.session_id == session_id, scope.where(Nomination.opd_id))
        .order_by(Opd.name, Nomination.position.nulls_first(), User.full_name)
    )
    statuses = list(statuses)
    if statuses:
        stmt = stmt.where(Nomination.status.in_(statuses))
    return list(db.scalars(stmt))


def waitlist_rank(db: Session, nomination: Nomination) -> int | None:
    """1 for the first person on the session's waiting list."""
    if nomination.status != NominationStatus.waitlisted or nomination.position is None:
        return None
    ahead = db.scalar(
        select(func.count())
        .select_from(Nomination)
        .where(
            Nomination.session_id == nomination.session_id,
            Nomination.status == NominationStatus.waitlisted,
            Nomination.position < nomination.position,
        )
    )
    return ahead + 1


def search_people(
    db: Session, *, scope: OpdScope, query: str, session_id: int, limit: int = 20
) -> list[tuple[User, Nomination | None]]:
    """People of the scope's OPD(s) by NIP, NIK or name, each with their nomination if any."""
    query = query.strip()
    if len(query) < 2:
        return []
    pattern = "%" + query.replace("\\", "").replace("%", "").replace("_", "") + "%"
    stmt = (
        select(User)
        .where(
            User.active.is_(True),
            User.opd_id.is_not(None),
            scope.where(User.opd_id),
            or_(
                User.full_name.ilike(pattern),
                User.nip.like(pattern),
                User.nik.like(pattern),
            ),
        )
        .order_by(User.full_name)
        .limit(limit)
    )
    people = list(db.scalars(stmt))
    existing = {
        n.user_id: n
        for n in db.scalars(
            select(Nomination).where(
                Nomination.session_id == session_id,
                Nomination.user_id.in_([p.id for p in people]),
            )
        )
    }
    return [(p, existing.get(p.id)) for p in people]


def describe(db: Session, nomination: Nomination, *, own: bool = False) -> tuple[str, str]:
    """A flash message (and its kind) that says where a nomination stands and why."""
    name = _("Anda") if own else nomination.user.full_name
    status = nomination.status
    if status == NominationStatus.confirmed:
        return _("%(name)s terdaftar sebagai peserta.") % {"name": name}, "ok"
    if status == NominationStatus.pending:
        return (
            _("Pendaftaran %(name)s terkirim dan menunggu persetujuan admin OPD.") % {"name": name},
            "ok",
        )
    if status == NominationStatus.waitlisted:
        session = nomination.session
        rank = waitlist_rank(db, nomination)
        quota = session.quota_for(nomination.opd_id)
        used = confirmed_count(db, session_id=session.id, opd_id=nomination.opd_id)
        if quota is not None and used >= quota:
            reason = _("Kuota %(opd)s untuk bimtek ini sudah penuh (%(used)s dari %(quota)s).") % {
                "opd": nomination.opd.name,
                "used": used,
                "quota": quota,
            }
        else:
            reason = _("Kapasitas bimtek sudah penuh (%(used)s dari %(cap)s peserta).") % {
                "used": confirmed_count(db, session_id=session.id),
                "cap": session.capacity,
            }
        return (
            reason
            + " "
            + _("%(name)s masuk daftar tunggu nomor %(rank)s.") % {"name": name, "rank": rank},
            "warn",
        )
    if status == NominationStatus.rejected:
        return _("Pendaftaran %(name)s ditolak.") % {"name": name}, "warn"
    return _("%(name)s tidak lagi terdaftar di bimtek ini.") % {"name": name}, "ok"
