"""Load `courses/` into the database.

A course whose files have errors keeps its last good version in the database (and keeps
being served); a course folder that disappeared is archived; a module or quiz removed from
a course is archived. No version and no learner history is ever deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.courses.loader import load_catalogue
from app.courses.markdown import render_markdown
from app.courses.models import (
    Course,
    CourseModule,
    CourseQuiz,
    CourseSyncRun,
    ModuleVersion,
    QuizVersion,
)
from app.courses.schema import LoadedCourse, LoadedModule, LoadedQuiz
from app.db import write_locked
from app.progress.assignment import sync_course_rule
from app.sourcefile import Problem

# Any constant works; it only has to be the same in every worker.
_PG_LOCK_KEY = 0x43414B4150  # "CAKAP"


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    kept_last_good: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    def summary(self) -> dict[str, list[str]]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "archived": self.archived,
            "kept_last_good": self.kept_last_good,
        }


def module_url(course_slug: str, module_slug: str) -> str:
    return f"/kursus/{course_slug}/modul/{module_slug}"


def asset_url(course_slug: str, path: str) -> str:
    return f"/kursus/{course_slug}/aset/{path}"


def render_module(loaded: LoadedCourse, module: LoadedModule) -> str:
    slugs = {m.slug for m in loaded.modules}
    return render_markdown(
        module.body,
        asset_url=lambda path: asset_url(loaded.slug, path),
        module_url=lambda slug: module_url(loaded.slug, slug) if slug in slugs else None,
    )


def _folders_on_disk(root: Path) -> set[str]:
    if not root.is_dir():
        return set()
    return {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}


def sync_courses(
    db: Session, *, root: Path, now: datetime, actor_id: int | None = None
) -> SyncReport:
    """Validate every course folder and bring the database in line with the good ones."""
    loaded, problems = load_catalogue(root)
    report = SyncReport(problems=sorted(problems))
    write_locked(db)
    if db.get_bind().dialect.name == "postgresql":
        # Several workers sync at start-up; one at a time.
        db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    existing = {c.slug: c for c in db.scalars(select(Course))}
    on_disk = _folders_on_disk(root)
    for slug, course in sorted(loaded.items()):
        row = existing.get(slug)
        if row is None:
            row = Course(slug=slug)
            db.add(row)
            report.created.append(slug)
        elif row.content_hash == course.content_hash and not row.archived:
            report.unchanged.append(slug)
            continue
        else:
            report.updated.append(slug)
        _apply(db, row, course, now)
    for slug, row in existing.items():
        if slug in loaded:
            continue
        if slug in on_disk:
            report.kept_last_good.append(slug)
        elif not row.archived:
            row.archived = True
            report.archived.append(slug)
    db.add(
        CourseSyncRun(
            at=now,
            actor_id=actor_id,
            summary=report.summary(),
            problems=[
                {"path": p.path, "line": p.line, "message": p.message, "level": p.level}
                for p in report.problems
            ],
        )
    )
    db.commit()
    return report


def _apply(db: Session, row: Course, course: LoadedCourse, now: datetime) -> None:
    row.title = course.title
    row.summary = course.summary
    row.audience = course.audience
    row.jp = course.jp
    row.jp_category = course.jp_category
    row.cover = course.cover
    row.enrolment_mode = course.enrolment
    row.content_hash = course.content_hash
    row.assets = sorted(course.assets)
    row.archived = False
    row.synced_at = now
    db.flush()
    modules = {
        m.slug: m for m in db.scalars(select(CourseModule).where(CourseModule.course_id == row.id))
    }
    quizzes = {
        q.slug: q for q in db.scalars(select(CourseQuiz).where(CourseQuiz.course_id == row.id))
    }
    seen_modules, seen_quizzes = set(), set()
    for position, item in enumerate(course.items, start=1):
        if isinstance(item, LoadedModule):
            seen_modules.add(item.slug)
            _apply_module(db, row, modules, item, position, course, now)
        elif isinstance(item, LoadedQuiz):
            seen_quizzes.add(item.slug)
            _apply_quiz(db, row, quizzes, item, position, course, now)
    for slug, module in modules.items():
        module.archived = slug not in seen_modules
    for slug, quiz in quizzes.items():
        quiz.archived = slug not in seen_quizzes
    db.flush()
    sync_course_rule(db, course=row, spec=course.assign, now=now)


def _apply_module(db, course_row, modules, item: LoadedModule, position, course, now) -> None:
    module = modules.get(item.slug)
    if module is None:
        module = CourseModule(course_id=course_row.id, slug=item.slug)
        db.add(module)
        modules[item.slug] = module
    module.position = position
    module.title = item.title
    module.minutes = item.minutes
    module.required = item.slug in course.required_modules
    module.archived = False
    db.flush()
    version = db.scalar(
        select(ModuleVersion).where(
            ModuleVersion.module_id == module.id, ModuleVersion.content_hash == item.content_hash
        )
    )
    if version is None:
        version = ModuleVersion(
            module_id=module.id,
            content_hash=item.content_hash,
            title=item.title,
            body_markdown=item.body,
            body_html=render_module(course, item),
            created_at=now,
        )
        db.add(version)
        db.flush()
    module.current_version_id = version.id


def _apply_quiz(db, course_row, quizzes, item: LoadedQuiz, position, course, now) -> None:
    quiz = quizzes.get(item.slug)
    if quiz is None:
        quiz = CourseQuiz(course_id=course_row.id, slug=item.slug)
        db.add(quiz)
        quizzes[item.slug] = quiz
    quiz.position = position
    quiz.title = item.quiz.title
    quiz.required = item.slug in course.required_quizzes
    quiz.requires = list(item.requires) or None
    quiz.archived = False
    db.flush()
    version = db.scalar(
        select(QuizVersion).where(
            QuizVersion.quiz_id == quiz.id, QuizVersion.content_hash == item.content_hash
        )
    )
    if version is None:
        version = QuizVersion(
            quiz_id=quiz.id,
            content_hash=item.content_hash,
            definition=item.quiz.model_dump(mode="json"),
            created_at=now,
        )
        db.add(version)
        db.flush()
    quiz.current_version_id = version.id


def last_run(db: Session) -> CourseSyncRun | None:
    return db.scalar(select(CourseSyncRun).order_by(CourseSyncRun.id.desc()).limit(1))
