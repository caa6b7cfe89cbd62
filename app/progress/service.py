"""Enrolment and progress: idempotent writes and a summary kept on each enrolment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.courses.models import Course, CourseModule, CourseQuiz
from app.courses.service import ModuleEntry, structure
from app.db import insert_ignore, write_locked
from app.i18n import gettext as _
from app.progress import hooks
from app.progress.models import Enrolment, EnrolmentStatus, ModuleProgress


class NotEnrollable(Exception):
    pass


def enrolments_by_course(db: Session, *, user_id: int) -> dict[int, Enrolment]:
    """The person's enrolments keyed by course id (the catalogue marks what they follow)."""
    return {
        e.course_id: e for e in db.scalars(select(Enrolment).where(Enrolment.user_id == user_id))
    }


def get_enrolment(db: Session, *, user_id: int, course_id: int) -> Enrolment | None:
    return db.scalar(
        select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.course_id == course_id)
    )


def enrol(
    db: Session,
    *,
    user_id: int,
    course: Course,
    now: datetime,
    source: str = "self",
    due_date: date | None = None,
) -> Enrolment:
    """Enrol (idempotent) and commit. Self-enrolment only in open courses."""
    add_enrolment(db, user_id=user_id, course=course, now=now, source=source, due_date=due_date)
    db.commit()
    return get_enrolment(db, user_id=user_id, course_id=course.id)


def add_enrolment(
    db: Session,
    *,
    user_id: int,
    course: Course,
    now: datetime,
    source: str = "self",
    due_date: date | None = None,
) -> None:
    """`enrol` inside the caller's transaction: inserts if missing, never commits."""
    if source == "self" and (course.enrolment_mode != "open" or course.archived):
        raise NotEnrollable(_("Kursus ini tidak terbuka untuk pendaftaran mandiri."))
    required = required_count(db, course.id)
    insert_ignore(
        db,
        Enrolment,
        {
            "user_id": user_id,
            "course_id": course.id,
            "source": source,
            "due_date": due_date,
            "enrolled_at": now,
            "status": EnrolmentStatus.enrolled.value,
            "items_done": 0,
            "items_required": required,
            "progress_percent": 0,
        },
        conflict=["user_id", "course_id"],
    )


def required_count(db: Session, course_id: int) -> int:
    modules = db.scalars(
        select(CourseModule.id).where(
            CourseModule.course_id == course_id,
            CourseModule.required.is_(True),
            CourseModule.archived.is_(False),
        )
    ).all()
    quizzes = db.scalars(
        select(CourseQuiz.id).where(
            CourseQuiz.course_id == course_id,
            CourseQuiz.required.is_(True),
            CourseQuiz.archived.is_(False),
        )
    ).all()
    return len(modules) + len(quizzes)


def touch(enrolment: Enrolment, now: datetime) -> None:
    """Record activity: the first activity starts the enrolment."""
    enrolment.last_activity_at = now
    if enrolment.started_at is None:
        enrolment.started_at = now
    if enrolment.status == EnrolmentStatus.enrolled:
        enrolment.status = EnrolmentStatus.in_progress


def mark_started(
    db: Session, *, enrolment: Enrolment, module: CourseModule | ModuleEntry, now: datetime
) -> None:
    write_locked(db)
    insert_ignore(
        db,
        ModuleProgress,
        {"enrolment_id": enrolment.id, "module_id": module.id, "started_at": now},
        conflict=["enrolment_id", "module_id"],
    )
    touch(enrolment, now)
    db.commit()


def mark_completed(
    db: Session, *, enrolment: Enrolment, module: CourseModule | ModuleEntry, now: datetime
) -> ModuleProgress:
    """Mark a module read (idempotent: the first completion time is kept)."""
    write_locked(db)
    insert_ignore(
        db,
        ModuleProgress,
        {"enrolment_id": enrolment.id, "module_id": module.id, "started_at": now},
        conflict=["enrolment_id", "module_id"],
    )
    progress = db.scalar(
        select(ModuleProgress).where(
            ModuleProgress.enrolment_id == enrolment.id, ModuleProgress.module_id == module.id
        )
    )
    if progress.completed_at is None:
        progress.completed_at = now
        progress.completed_version_id = module.current_version_id
    touch(enrolment, now)
    db.flush()
    recompute(db, enrolment=enrolment, now=now)
    db.commit()
    return progress


def passed_quiz_ids(db: Session, enrolment: Enrolment) -> set[int]:
    passed: set[int] = set()
    for lookup in hooks.installed().passed_quizzes:
        passed |= lookup(db, enrolment)
    return passed


def recompute(db: Session, *, enrolment: Enrolment, now: datetime) -> None:
    """Refresh the enrolment's summary; complete it when every required item is done.

    Raises hooks.WiringMissing before touching anything when app.wiring is not installed:
    completing without the attendance gate or the certificate would be wrong silently."""
    wired = hooks.installed()
    modules = db.scalars(
        select(CourseModule.id).where(
            CourseModule.course_id == enrolment.course_id,
            CourseModule.required.is_(True),
            CourseModule.archived.is_(False),
        )
    ).all()
    quizzes = db.scalars(
        select(CourseQuiz.id).where(
            CourseQuiz.course_id == enrolment.course_id,
            CourseQuiz.required.is_(True),
            CourseQuiz.archived.is_(False),
        )
    ).all()
    done_modules = set(
        db.scalars(
            select(ModuleProgress.module_id).where(
                ModuleProgress.enrolment_id == enrolment.id,
                ModuleProgress.completed_at.is_not(None),
            )
        )
    )
    passed = passed_quiz_ids(db, enrolment)
    done = len(done_modules.intersection(modules)) + len(passed.intersection(quizzes))
    required = len(modules) + len(quizzes)
    enrolment.items_done = done
    enrolment.items_required = required
    enrolment.progress_percent = 100 if required == 0 else int(done * 100 // required)
    if (
        required
        and done >= required
        and enrolment.status != EnrolmentStatus.completed
        and all(gate(db, enrolment) for gate in wired.gates)
    ):
        db.flush()
        # A conditional UPDATE decides the one transaction that completes the enrolment,
        # even when two completions race (two tabs, two workers): only it runs listeners.
        won = db.execute(
            update(Enrolment)
            .where(Enrolment.id == enrolment.id, Enrolment.status != EnrolmentStatus.completed)
            .values(status=EnrolmentStatus.completed, completed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        enrolment.status = EnrolmentStatus.completed
        if won:
            enrolment.completed_at = now
            for listener in wired.on_completed:
                listener(db, enrolment, now)
        else:
            db.refresh(enrolment)


@dataclass
class OutlineItem:
    kind: str  # module | quiz
    id: int
    slug: str
    title: str
    minutes: int | None
    required: bool
    status: str  # belum | sedang | selesai
    updated: bool  # finished on an older version of the material
    # Titles of the items still to finish before this quiz can be started (`requires`).
    waiting_for: tuple[str, ...] = ()


def outline(db: Session, *, course: Course, enrolment: Enrolment | None) -> list[OutlineItem]:
    """The course's current items in order, with this learner's status for each."""
    current = structure(db, course)
    progress: dict[int, tuple] = {}
    passed: set[int] = set()
    if enrolment is not None:
        progress = {
            module_id: (completed_at, version_id)
            for module_id, completed_at, version_id in db.execute(
                select(
                    ModuleProgress.module_id,
                    ModuleProgress.completed_at,
                    ModuleProgress.completed_version_id,
                ).where(ModuleProgress.enrolment_id == enrolment.id)
            )
        }
        passed = passed_quiz_ids(db, enrolment)
    items: list[tuple[int, OutlineItem]] = []
    for m in current.modules:
        completed_at, version_id = progress.get(m.id, (None, None))
        status = "belum" if m.id not in progress else ("selesai" if completed_at else "sedang")
        updated = bool(completed_at and version_id != m.current_version_id)
        items.append(
            (
                m.position,
                OutlineItem(
                    "module", m.id, m.slug, m.title, m.minutes, m.required, status, updated
                ),
            )
        )
    for q in current.quizzes:
        status = "selesai" if q.id in passed else "belum"
        items.append(
            (
                q.position,
                OutlineItem("quiz", q.id, q.slug, q.title, None, q.required, status, False),
            )
        )
    ordered = [item for _, item in sorted(items, key=lambda pair: pair[0])]
    by_key = {f"{item.kind}:{item.slug}": item for item in ordered}
    for q in current.quizzes:
        if q.requires:
            quiz = by_key[f"quiz:{q.slug}"]
            quiz.waiting_for = tuple(
                by_key[key].title
                for key in q.requires
                if key in by_key and by_key[key].status != "selesai"
            )
    return ordered


def next_item(items: list[OutlineItem]) -> OutlineItem | None:
    """Where "Lanjutkan" goes: the first required item not finished yet — optional quizzes
    stay in the outline for who wants them — else the first unfinished one."""
    unfinished = [item for item in items if item.status != "selesai"]
    target = next((item for item in unfinished if item.required), None) or next(
        iter(unfinished), None
    )
    if target is not None and target.waiting_for:
        # A quiz that cannot be started yet: go to the first thing it waits for.
        target = next((i for i in unfinished if i.title in target.waiting_for), target)
    return target


def my_enrolments(db: Session, *, user_id: int) -> list[Enrolment]:
    return list(
        db.scalars(
            select(Enrolment)
            .join(Course)
            .where(Enrolment.user_id == user_id, Course.archived.is_(False))
            .order_by(
                Enrolment.completed_at.is_not(None),
                Enrolment.last_activity_at.desc().nulls_last(),
                Enrolment.id,
            )
        )
    )
