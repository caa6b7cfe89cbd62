"""Finding courses and modules for the web layer."""

from __future__ import annotations

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


def neighbours(
    db: Session, module: CourseModule
) -> tuple[CourseModule | None, CourseModule | None]:
    """Previous and next module of the same course (quizzes are reached from the outline)."""
    siblings = list(
        db.scalars(
            select(CourseModule)
            .where(CourseModule.course_id == module.course_id, CourseModule.archived.is_(False))
            .order_by(CourseModule.position)
        )
    )
    index = next(i for i, m in enumerate(siblings) if m.id == module.id)
    before = siblings[index - 1] if index > 0 else None
    after = siblings[index + 1] if index + 1 < len(siblings) else None
    return before, after
