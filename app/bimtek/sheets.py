"""The printable lists of a session (daftar hadir, daftar peserta): what goes on them.

The lists are official documents: always in Bahasa Indonesia, whatever the UI language,
and limited to the people the asker's scope covers. app/bimtek/printouts.py lays them out.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import citytime
from app.bimtek.attendance import day_attendance
from app.bimtek.models import Attendance, BimtekDay, BimtekSession, NominationStatus
from app.bimtek.printouts import AttendanceLine, Header, ParticipantLine
from app.bimtek.roster import nominations_of
from app.opds.models import Opd
from app.users.models import User
from app.users.scope import OpdScope

DOCUMENT_LOCALE = "id"  # official lists are in Bahasa Indonesia whatever the UI language
DOCUMENT_STATUS = {
    NominationStatus.confirmed: "Terkonfirmasi",
    NominationStatus.waitlisted: "Daftar tunggu",
    NominationStatus.pending: "Menunggu persetujuan",
}


def identifier_of(user: User) -> str:
    """NIP, or NIK for people without one (non-ASN)."""
    return user.nip or user.nik or ""


def _long_date(value: date) -> str:
    return format_date(value, "EEEE, d MMMM y", locale=DOCUMENT_LOCALE)


def _place_of(session: BimtekSession) -> str:
    return ", ".join(p for p in (session.venue, session.online_link) if p) or "—"


def _scope_fact(db: Session, scope: OpdScope) -> list[tuple[str, str]]:
    if scope.whole_city:
        return []
    opd = db.get(Opd, scope.limited_to)
    return [("OPD", opd.name if opd else "—")]


def attendance_sheet(
    db: Session, *, session: BimtekSession, day: BimtekDay, scope: OpdScope, city: str, office: str
) -> tuple[Header, list[AttendanceLine], str]:
    """Header, rows (the scope's people only) and summary line of one day's daftar hadir."""
    rows = day_attendance(db, day=day, scope=scope)
    facts = [
        ("Hari, tanggal", _long_date(day.date)),
        ("Waktu", citytime.hours(day.starts_at, day.ends_at)),
        ("Tempat", _place_of(session)),
    ]
    if session.facilitator_names:
        facts.append(("Fasilitator", " ".join(session.facilitator_names.split())))
    facts += _scope_fact(db, scope)
    header = Header(city, office, "DAFTAR HADIR", session.title, facts)
    lines = [
        AttendanceLine(
            name=r.user.full_name,
            identifier=identifier_of(r.user),
            opd=r.opd.name if r.opd else "—",
            time=citytime.hhmm(r.attendance.checked_in_at if r.attendance else None),
        )
        for r in rows
    ]
    present = sum(1 for r in rows if r.attendance)
    summary = f"Hadir tercatat: {present} dari {len(rows)} peserta."
    return header, lines, summary


def participant_sheets(
    db: Session, *, session: BimtekSession, scope: OpdScope, city: str, office: str
) -> tuple[Header, list[tuple[str, str, list[ParticipantLine]]]]:
    """Participants (confirmed, waitlisted, pending) grouped per OPD, the scope's OPDs only."""
    nominations = nominations_of(db, session_id=session.id, scope=scope, statuses=DOCUMENT_STATUS)
    attended = dict(
        db.execute(
            select(Attendance.user_id, func.count())
            .join(BimtekDay, BimtekDay.id == Attendance.day_id)
            .where(BimtekDay.session_id == session.id)
            .group_by(Attendance.user_id)
        ).all()
    )
    total_days = len(session.days)
    groups: dict[int, tuple[str, str, list[ParticipantLine]]] = {}
    if scope.limited_to is not None:
        opd = db.get(Opd, scope.limited_to)
        groups[opd.id] = (opd.code, opd.name, [])
    for n in nominations:
        group = groups.setdefault(n.opd_id, (n.opd.code, n.opd.name, []))
        group[2].append(
            ParticipantLine(
                name=n.user.full_name,
                identifier=identifier_of(n.user),
                jabatan=n.user.jabatan or "",
                status=DOCUMENT_STATUS[n.status],
                attendance=f"{attended.get(n.user_id, 0)} dari {total_days} hari"
                if n.status == NominationStatus.confirmed
                else "",
            )
        )
    schedule = "—"
    if session.days:
        first, last = session.days[0].date, session.days[-1].date
        schedule = _long_date(first) + ("" if first == last else " s.d. " + _long_date(last))
    facts = [("Jadwal", schedule), ("Tempat", _place_of(session)), ("JP", str(session.jp))]
    header = Header(city, office, "DAFTAR PESERTA", session.title, facts)
    return header, sorted(groups.values(), key=lambda g: g[1])
