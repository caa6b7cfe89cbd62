"""Finding courses and modules for the web layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.courses.models import Course, CourseModule, CourseQuiz, ModuleVersion
from app.db import engine_cache, remember
from app.i18n import N_

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


def get_course(db: Session, slug: str) -> Course | None:
    return db.scalar(select(Course).where(Course.slug == slug, Course.archived.is_(False)))


@dataclass(frozen=True, slots=True)
class ModuleEntry:
    id: int
    slug: str
    position: int
    title: str
    minutes: int
    required: bool
    current_version_id: int | None


@dataclass(frozen=True, slots=True)
class QuizEntry:
    id: int
    slug: str
    position: int
    title: str
    required: bool
    requires: tuple[str, ...]  # "module:slug" / "quiz:slug" to finish before starting it


@dataclass(frozen=True)
class Structure:
    """A course's current modules and quizzes (not archived), in position order."""

    modules: tuple[ModuleEntry, ...]
    quizzes: tuple[QuizEntry, ...]

    def module(self, slug: str) -> ModuleEntry | None:
        return next((m for m in self.modules if m.slug == slug), None)


@dataclass(frozen=True, slots=True)
class VersionView:
    id: int
    title: str
    body_html: str


# Course structures are cached per engine (one database) by (course id, content hash). Only
# a course sync changes modules and quizzes, and it changes the course's content hash
# (computed over course.yaml and every item) in the same transaction, so a key never names
# two structures: every worker sees a change through the course row it reads anyway, with
# no invalidation message between workers. Module versions never change once written. The
# module page spent five ORM queries on this.


def structure(db: Session, course: Course) -> Structure:
    key = (course.id, course.content_hash)
    cache = engine_cache(db, "course_structures")
    found = cache.get(key)
    if found is None:
        modules = db.execute(
            select(
                CourseModule.id,
                CourseModule.slug,
                CourseModule.position,
                CourseModule.title,
                CourseModule.minutes,
                CourseModule.required,
                CourseModule.current_version_id,
            )
            .where(CourseModule.course_id == course.id, CourseModule.archived.is_(False))
            .order_by(CourseModule.position)
        ).all()
        quizzes = db.execute(
            select(
                CourseQuiz.id,
                CourseQuiz.slug,
                CourseQuiz.position,
                CourseQuiz.title,
                CourseQuiz.required,
                CourseQuiz.requires,
            )
            .where(CourseQuiz.course_id == course.id, CourseQuiz.archived.is_(False))
            .order_by(CourseQuiz.position)
        ).all()
        found = Structure(
            tuple(ModuleEntry(*row) for row in modules),
            tuple(QuizEntry(*row[:5], tuple(row[5] or ())) for row in quizzes),
        )
        # On PostgreSQL each statement sees its own snapshot: a sync that committed after
        # the course row was read would file the new structure under the old hash, wrong
        # once the course is reverted to that content. Cache only if the hash held.
        now_hash = db.scalar(select(Course.content_hash).where(Course.id == course.id))
        if now_hash == course.content_hash:
            remember(cache, key, found)
    return found


def get_module(db: Session, *, course: Course, slug: str) -> ModuleEntry | None:
    return structure(db, course).module(slug)


def module_version(db: Session, module: ModuleEntry) -> VersionView | None:
    """The module's current content (title and HTML rendered at sync)."""
    if module.current_version_id is None:
        return None
    cache = engine_cache(db, "module_versions")
    found = cache.get(module.current_version_id)
    if found is None:
        row = db.execute(
            select(ModuleVersion.id, ModuleVersion.title, ModuleVersion.body_html).where(
                ModuleVersion.id == module.current_version_id
            )
        ).one_or_none()
        if row is None:
            return None
        found = remember(cache, module.current_version_id, VersionView(*row))
    return found


def item_url(course_slug: str, item) -> str:
    """The page of an outline item (module or quiz)."""
    kind = "modul" if item.kind == "module" else "kuis"
    return f"/kursus/{course_slug}/{kind}/{item.slug}"


def neighbours(items: list, module_id: int) -> tuple[Any, Any]:
    """Previous and next item (module or quiz) around a module in the course outline
    (progress.outline items), so "next" never skips the quiz that follows a module. Taken
    from the outline the page loads anyway."""
    index = next(
        i for i, item in enumerate(items) if item.kind == "module" and item.id == module_id
    )
    before = items[index - 1] if index > 0 else None
    after = items[index + 1] if index + 1 < len(items) else None
    return before, after
