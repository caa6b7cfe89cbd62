"""Finding courses and modules for the web layer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.courses.models import Course, CourseModule, ModuleVersion
from app.i18n import N_
from app.progress.models import Enrolment

AUDIENCES = {"cpns": N_("Orientasi CPNS"), "bimtek": N_("Bimtek"), "umum": N_("Umum")}
JP_CATEGORIES = {
    "teknis": N_("Teknis"),
    "manajerial": N_("Manajerial"),
    "sosial-kultural": N_("Sosial-kultural"),
}


def catalogue(db: Session, *, audience: str | None = None) -> list[Course]:
    stmt = select(Course).where(Course.archived.is_(False)).order_by(Course.audience, Course.title)
    if audience in AUDIENCES:
        stmt = stmt.where(Course.audience == audience)
    return list(db.scalars(stmt))


def enrolments_by_course(db: Session, *, user_id: int) -> dict[int, Enrolment]:
    return {
        e.course_id: e for e in db.scalars(select(Enrolment).where(Enrolment.user_id == user_id))
    }


def get_course(db: Session, slug: str) -> Course | None:
    return db.scalar(select(Course).where(Course.slug == slug, Course.archived.is_(False)))


def get_module(db: Session, *, course: Course, slug: str) -> CourseModule | None:
    return db.scalar(
        select(CourseModule).where(
            CourseModule.course_id == course.id,
            CourseModule.slug == slug,
            CourseModule.archived.is_(False),
        )
    )


def module_version(db: Session, module: CourseModule) -> ModuleVersion | None:
    return db.get(ModuleVersion, module.current_version_id) if module.current_version_id else None


def neighbours(items: list, module_id: int) -> tuple[Any, Any]:
    """Previous and next module in a course outline (progress.outline items; quizzes are
    reached from the outline itself). Taken from the outline the page loads anyway."""
    modules = [i for i in items if i.kind == "module"]
    index = next(i for i, m in enumerate(modules) if m.id == module_id)
    before = modules[index - 1] if index > 0 else None
    after = modules[index + 1] if index + 1 < len(modules) else None
    return before, after
