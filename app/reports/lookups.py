"""Names and choices the report pages and files show next to the figures."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.courses.models import Course
from app.opds.models import Opd


def course_choices(db: Session) -> list[tuple[str, str, str]]:
    """(slug, title, audience) of every course, for the filter form."""
    return [
        tuple(r)
        for r in db.execute(
            select(Course.slug, Course.title, Course.audience).order_by(Course.title)
        )
    ]


def opd_choices(db: Session, opd_id: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of the active OPDs, or of the one OPD a scoped reader sees."""
    stmt = select(Opd.id, Opd.name).order_by(Opd.name)
    stmt = stmt.where(Opd.id == opd_id) if opd_id is not None else stmt.where(Opd.active.is_(True))
    return [tuple(r) for r in db.execute(stmt)]


def course_title(db: Session, course_id: int | None) -> str | None:
    if course_id is None:
        return None
    return db.scalar(select(Course.title).where(Course.id == course_id))


def opd_name(db: Session, opd_id: int | None) -> str | None:
    if opd_id is None:
        return None
    return db.scalar(select(Opd.name).where(Opd.id == opd_id))
