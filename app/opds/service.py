"""OPD management: create, rename, merge (moves people), deactivate, import from CSV."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit.service import record
from app.i18n import gettext as _
from app.opds.models import Opd
from app.users.models import User


class OpdError(ValueError):
    pass


def listing(db: Session) -> list[tuple[Opd, int]]:
    counts = dict(
        db.execute(
            select(User.opd_id, func.count()).where(User.active.is_(True)).group_by(User.opd_id)
        ).all()
    )
    opds = db.scalars(select(Opd).order_by(Opd.active.desc(), Opd.name)).all()
    return [(opd, counts.get(opd.id, 0)) for opd in opds]


def _clean(code: str, name: str) -> tuple[str, str]:
    code = (code or "").strip().upper()
    name = " ".join((name or "").split())
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise OpdError(_("Kode OPD wajib diisi: huruf/angka, maksimal 32 karakter."))
    if not name or len(name) > 200:
        raise OpdError(_("Nama OPD wajib diisi (maksimal 200 karakter)."))
    return code, name


def create(db: Session, *, code: str, name: str, actor_id: int) -> Opd:
    code, name = _clean(code, name)
    if db.scalar(select(Opd.id).where((Opd.code == code) | (Opd.name == name))):
        raise OpdError(_("Kode atau nama OPD sudah dipakai."))
    opd = Opd(code=code, name=name)
    db.add(opd)
    db.flush()
    record(db, action="opd.created", actor_id=actor_id, target=code)
    db.commit()
    return opd


def rename(db: Session, *, opd: Opd, code: str, name: str, actor_id: int) -> None:
    code, name = _clean(code, name)
    clash = db.scalar(
        select(Opd.id).where(((Opd.code == code) | (Opd.name == name)) & (Opd.id != opd.id))
    )
    if clash:
        raise OpdError(_("Kode atau nama OPD sudah dipakai."))
    record(db, action="opd.renamed", actor_id=actor_id, target=opd.code, to=[code, name])
    opd.code, opd.name = code, name
    db.commit()


def people_count(db: Session, *, opd: Opd) -> int:
    """How many people (active or not) belong to the OPD: what a merge would move."""
    return db.scalar(select(func.count()).select_from(User).where(User.opd_id == opd.id))


def merge(db: Session, *, source: Opd, target: Opd, actor_id: int) -> int:
    """Move everyone from `source` into `target` and deactivate `source`. Enrolments and
    certificates belong to people, so they move with them."""
    if source.id == target.id:
        raise OpdError(_("Pilih dua OPD yang berbeda."))
    moved = db.execute(
        update(User).where(User.opd_id == source.id).values(opd_id=target.id)
    ).rowcount
    source.active = False
    record(
        db,
        action="opd.merged",
        actor_id=actor_id,
        target=source.code,
        into=target.code,
        moved=moved,
    )
    db.commit()
    return moved


def set_active(db: Session, *, opd: Opd, active: bool, actor_id: int) -> None:
    opd.active = active
    record(
        db,
        action="opd.activated" if active else "opd.deactivated",
        actor_id=actor_id,
        target=opd.code,
    )
    db.commit()


def import_csv(db: Session, *, data: bytes, actor_id: int) -> tuple[int, list[str]]:
    """Rows `kode,nama` (header optional, `;` or `,`). Returns (created, problems)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    dialect = csv.excel
    try:
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
    except csv.Error:
        pass
    created, problems = 0, []
    for number, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        if not any(c.strip() for c in cells):
            continue
        if number == 1 and cells and cells[0].strip().lower() in ("kode", "kode opd", "code"):
            continue
        if len(cells) < 2:
            problems.append(_("Baris %(n)s: harus berisi kode dan nama OPD.") % {"n": number})
            continue
        try:
            code, name = _clean(cells[0], cells[1])
        except OpdError as exc:
            problems.append(_("Baris %(n)s: %(e)s") % {"n": number, "e": exc})
            continue
        if db.scalar(select(Opd.id).where((Opd.code == code) | (Opd.name == name))):
            continue  # already there: importing the list twice changes nothing
        db.add(Opd(code=code, name=name))
        db.flush()
        created += 1
    record(db, action="opd.imported", actor_id=actor_id, created=created, problems=len(problems))
    db.commit()
    return created, problems
