"""Quiz attempts: start, save answers, submit exactly once, grade on the server.

Rules that matter:
- the drawn questions and option order are stored when an attempt starts;
- answers are upserted one row per question as the learner answers;
- an answer arriving after the deadline is refused and never stored;
- submitting flips the attempt from `open` in one conditional UPDATE, so a double click,
  a replay or two tabs produce exactly one graded attempt;
- an attempt whose deadline passed is graded with what was saved in time.
"""

from __future__ import annotations

import functools
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from app.auth import sessions
from app.config import Settings
from app.courses.models import CourseQuiz, QuizVersion
from app.db import engine_cache, remember, write_locked
from app.i18n import N_
from app.i18n import gettext as _
from app.progress import service as progress
from app.progress.models import Enrolment
from app.quizzes import keys
from app.quizzes.grading import (
    DrawnQuestion,
    draw_questions,
    grade_attempt,
    public_question,
)
from app.quizzes.models import AttemptStatus, QuizAnswer, QuizAttempt
from app.quizzes.schema import QuestionModel, Quiz
from app.quizzes.types import type_of


class QuizError(Exception):
    """A refusal to show the learner (Bahasa Indonesia message)."""


class DeadlinePassed(QuizError):
    pass


class KeySeen(QuizError):
    """The person was shown this quiz's answer key (app.quizzes.keys)."""


KEY_SEEN_MESSAGE = N_(
    "Anda sudah melihat kunci jawaban kuis ini di halaman pemantauan, sehingga tidak dapat "
    "mengerjakannya."
)


_parsed: dict[tuple[int, str], Quiz] = {}


def quiz_of(version: QuizVersion) -> Quiz:
    """The parsed quiz of a version. Versions never change, so the cache needs no
    invalidation and is the same in every worker."""
    key = (version.id, version.content_hash)
    quiz = _parsed.get(key)
    if quiz is None:
        quiz = remember(_parsed, key, Quiz.model_validate(version.definition))
    return quiz


def quiz_by_version(db: Session, version_id: int) -> Quiz:
    """A quiz version's parsed quiz by its id, without loading the version row once it is
    cached: the quiz pages and the answer save run this on every request. Per engine,
    because ids are per database."""
    cache = engine_cache(db, "quiz_by_version")
    quiz = cache.get(version_id)
    if quiz is None:
        quiz = remember(cache, version_id, quiz_of(db.get(QuizVersion, version_id)))
    return quiz


def quiz_of_attempt(db: Session, attempt: QuizAttempt) -> Quiz:
    return quiz_by_version(db, attempt.quiz_version_id)


def questions_of_version(db: Session, version_id: int) -> dict[str, QuestionModel]:
    """The questions of a quiz version by id, cached per engine like `quiz_by_version`."""
    cache = engine_cache(db, "questions_by_version")
    questions = cache.get(version_id)
    if questions is None:
        questions = remember(cache, version_id, quiz_by_version(db, version_id).question_map())
    return questions


@dataclass(frozen=True, slots=True)
class AttemptFacts:
    """What never changes once an attempt has started: whose it is, the quiz version its
    questions were drawn from, which questions, and its deadline. Cached per engine by
    attempt id, so the answer save loads no attempt row. Correct with several workers
    because none of these columns is ever updated; the status, which does change, is
    checked by the answer's upsert itself."""

    user_id: int
    quiz_version_id: int
    question_ids: frozenset[str]
    deadline: datetime | None


# An exam peak's attempts per worker (a few hundred bytes each): the default cache size
# (512) would start over every few hundred saves.
ATTEMPT_CACHE_MAX = 20_000


def attempt_facts(db: Session, attempt_id: int) -> AttemptFacts | None:
    cache = engine_cache(db, "attempt_facts")
    facts = cache.get(attempt_id)
    if facts is None:
        row = db.execute(
            select(
                QuizAttempt.user_id,
                QuizAttempt.quiz_version_id,
                QuizAttempt.layout,
                QuizAttempt.deadline,
            ).where(QuizAttempt.id == attempt_id)
        ).one_or_none()
        if row is None:
            return None
        user_id, version_id, layout, deadline = row
        facts = AttemptFacts(
            user_id, version_id, frozenset(q["question_id"] for q in layout), deadline
        )
        remember(cache, attempt_id, facts, limit=ATTEMPT_CACHE_MAX)
    return facts


def drawn_of(attempt: QuizAttempt) -> list[DrawnQuestion]:
    return [DrawnQuestion(q["question_id"], list(q["option_order"])) for q in attempt.layout]


def attempts_of(db: Session, *, user_id: int, quiz_id: int) -> list[QuizAttempt]:
    return list(
        db.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz_id)
            .order_by(QuizAttempt.number)
        )
    )


def get_attempt(db: Session, *, attempt_id: int, user_id: int) -> QuizAttempt | None:
    """The attempt if it belongs to this user — another user's id looks like a missing one."""
    attempt = db.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != user_id:
        return None
    return attempt


def waiting_for(db: Session, *, enrolment: Enrolment, quiz: CourseQuiz) -> tuple[str, ...]:
    """Titles of what the learner must still finish before starting `quiz` (`requires`)."""
    if not quiz.requires:
        return ()
    items = progress.outline(db, course=quiz.course, enrolment=enrolment)
    item = next((i for i in items if i.kind == "quiz" and i.id == quiz.id), None)
    return item.waiting_for if item else ()


def prerequisite_message(waiting: tuple[str, ...]) -> str:
    return _("Kuis ini baru dapat dimulai setelah Anda menyelesaikan: %(items)s.") % {
        "items": ", ".join(waiting)
    }


def start_attempt(
    db: Session, *, enrolment: Enrolment, quiz: CourseQuiz, now: datetime
) -> QuizAttempt:
    """Return the open attempt, or start a new one if attempts remain.

    Refused (KeySeen) to anyone who has been shown the quiz's answer key."""
    if keys.has_seen(db, user_id=enrolment.user_id, quiz_id=quiz.id):
        raise KeySeen(_(KEY_SEEN_MESSAGE))
    if waiting := waiting_for(db, enrolment=enrolment, quiz=quiz):
        raise QuizError(prerequisite_message(waiting))
    write_locked(db)
    if db.get_bind().dialect.name == "postgresql":
        # Serialise starts per learner and quiz: lock the enrolment row.
        db.execute(select(Enrolment.id).where(Enrolment.id == enrolment.id).with_for_update())
    existing = attempts_of(db, user_id=enrolment.user_id, quiz_id=quiz.id)
    for attempt in existing:
        if attempt.status == AttemptStatus.open:
            if attempt.deadline is not None and now >= attempt.deadline:
                _finalize(db, attempt, now=now, status=AttemptStatus.expired)
                continue
            db.commit()
            return attempt
    definition = quiz_by_version(db, quiz.current_version_id)
    if definition.max_attempts is not None and len(existing) >= definition.max_attempts:
        db.commit()
        raise QuizError(_("Kesempatan mengerjakan kuis ini sudah habis."))
    drawn = _draw(definition)
    deadline = (
        now + timedelta(minutes=definition.time_limit_minutes)
        if definition.time_limit_minutes
        else None
    )
    attempt = QuizAttempt(
        user_id=enrolment.user_id,
        enrolment_id=enrolment.id,
        quiz_id=quiz.id,
        quiz_version_id=quiz.current_version_id,
        number=len(existing) + 1,
        started_at=now,
        deadline=deadline,
        status=AttemptStatus.open,
        layout=[{"question_id": d.question_id, "option_order": d.option_order} for d in drawn],
    )
    db.add(attempt)
    progress.touch(db.get(Enrolment, enrolment.id), now)
    db.commit()
    return attempt


def _draw(definition: Quiz) -> list[DrawnQuestion]:
    return draw_questions(definition, random.Random(secrets.randbits(64)))


def parse_response(question: QuestionModel, values: list[str]) -> Any:
    """Turn submitted form values into a grading response (never raises)."""
    return type_of(question.type).parse(question, [v for v in values if v is not None])


def save_answer(
    db: Session, *, attempt: QuizAttempt, question_id: str, values: list[str], now: datetime
) -> QuizAnswer:
    """Store one answer (upsert). Refused when the attempt is closed or its time is up.

    The attempt row is re-read under the write lock (row lock on PostgreSQL), so an answer
    racing a submit is either graded or refused — never acknowledged and then ignored.
    """
    _lock_open_attempt(db, attempt, now)
    layout_ids = {q["question_id"] for q in attempt.layout}
    if question_id not in layout_ids:
        db.rollback()
        raise QuizError(_("Soal tidak ada pada percobaan ini."))
    question = questions_of_version(db, attempt.quiz_version_id)[question_id]
    response = parse_response(question, values)
    _upsert_answer(db, attempt_id=attempt.id, question_id=question_id, response=response, now=now)
    db.commit()
    # What was just written; not read back (this runs on every keystroke-level change).
    return QuizAnswer(
        attempt_id=attempt.id, question_id=question_id, response=response, saved_at=now
    )


def _lock_open_attempt(db: Session, attempt: QuizAttempt, now: datetime) -> None:
    """Take the write lock and re-read the attempt under it (row lock on PostgreSQL);
    refuse (after a rollback) unless it is open and in time."""
    write_locked(db)
    status, deadline = db.execute(
        select(QuizAttempt.status, QuizAttempt.deadline)
        .where(QuizAttempt.id == attempt.id)
        .with_for_update()
    ).one()
    if status != AttemptStatus.open:
        db.rollback()
        raise QuizError(_("Percobaan ini sudah dikumpulkan; jawaban tidak dapat diubah."))
    if deadline is not None and now > deadline:
        db.rollback()
        raise DeadlinePassed(_("Waktu habis. Jawaban setelah batas waktu tidak disimpan."))


@functools.cache
def _answer_upsert(dialect: str):
    """INSERT … ON CONFLICT DO UPDATE for one answer, built once per dialect (building it
    cost more than running it) and executed with the values as parameters."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(QuizAnswer)
    return stmt.on_conflict_do_update(
        index_elements=["attempt_id", "question_id"],
        set_={"response": stmt.excluded.response, "saved_at": stmt.excluded.saved_at},
    )


def _upsert_answer(db: Session, *, attempt_id: int, question_id: str, response: Any, now) -> None:
    db.execute(
        _answer_upsert(db.get_bind().dialect.name),
        {
            "attempt_id": attempt_id,
            "question_id": question_id,
            "response": response,
            "saved_at": now,
        },
    )


def save_answer_lean(
    db: Session,
    *,
    token: str | None,
    attempt_id: int,
    question_id: str,
    values: list[str],
    settings: Settings,
    now: datetime,
) -> bool:
    """The answer save as it runs on every change, for the owner of a live session
    `token`: the session check (one Core statement) and one conditional upsert, with the
    attempt and its quiz from per-engine caches of immutable facts — no ORM object loaded.

    The upsert stores the answer only while the attempt is open and in time, reading the
    attempt row under the write lock (a share lock on PostgreSQL), so an answer racing a
    submit is either graded or refused, never acknowledged and then ignored. False when
    nothing was stored, for whatever reason (no live session, someone else's attempt, a
    question not in it, closed, out of time): `save_answer` on the full path then says
    why. Commits what it stored."""
    write_locked(db)
    conn = db.connection()
    live = sessions.check(conn, token, settings=settings, now=now)
    facts = attempt_facts(db, attempt_id) if live else None
    if (
        facts is None
        or facts.user_id != live.user_id
        or question_id not in facts.question_ids
        or (facts.deadline is not None and now >= facts.deadline)
    ):
        db.rollback()
        return False
    question = questions_of_version(db, facts.quiz_version_id)[question_id]
    stored = conn.execute(
        _answer_upsert_if_open(conn.dialect.name),
        {
            "attempt_id": attempt_id,
            "user_id": live.user_id,
            "question_id": question_id,
            "response": parse_response(question, values),
            "saved_at": now,
        },
    ).rowcount
    if not stored:
        db.rollback()
        return False
    db.commit()
    return True


@functools.cache
def _answer_upsert_if_open(dialect: str):
    """INSERT … SELECT … FROM the attempt row WHERE it is open and in time … ON CONFLICT
    DO UPDATE: one statement that checks the attempt and stores the answer. FOR SHARE
    (PostgreSQL; SQLite holds its write lock) makes a concurrent submit's UPDATE wait for
    this answer, or this answer wait for the submit and then find the attempt closed."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    answer = QuizAnswer.__table__.c
    attempt = QuizAttempt.__table__.c
    row = (
        select(
            attempt.id,
            bindparam("question_id", type_=answer.question_id.type),
            bindparam("response", type_=answer.response.type),
            bindparam("saved_at", type_=answer.saved_at.type),
        )
        .where(
            attempt.id == bindparam("attempt_id"),
            attempt.user_id == bindparam("user_id"),
            attempt.status == AttemptStatus.open.value,
            or_(attempt.deadline.is_(None), attempt.deadline > bindparam("saved_at")),
        )
        .with_for_update(read=True)
    )
    stmt = insert(QuizAnswer).from_select(
        ["attempt_id", "question_id", "response", "saved_at"], row
    )
    # Without preserve_rowcount, psycopg's rowcount of an INSERT is not kept (-1).
    return stmt.on_conflict_do_update(
        index_elements=["attempt_id", "question_id"],
        set_={"response": stmt.excluded.response, "saved_at": stmt.excluded.saved_at},
    ).execution_options(preserve_rowcount=True)


def save_answers(
    db: Session, *, attempt: QuizAttempt, form: dict[str, list[str]], now: datetime
) -> int:
    """Save every question present in a full-form post (the no-JavaScript path, and the
    submit, which carries every answer): one write transaction for all of them, refused
    as a whole when the attempt is closed or out of time (a submit once saved each of 16
    answers in its own transaction, a sixth of the exam peak's CPU)."""
    questions = questions_of_version(db, attempt.quiz_version_id)
    rows = [
        {
            "attempt_id": attempt.id,
            "question_id": qid,
            "response": parse_response(questions[qid], form.get(f"q-{qid}", [])),
            "saved_at": now,
        }
        for qid in (q["question_id"] for q in attempt.layout)
        if f"q-{qid}" in form or f"seen-{qid}" in form
    ]
    if not rows:
        return 0
    _lock_open_attempt(db, attempt, now)
    db.execute(_answer_upsert(db.get_bind().dialect.name), rows)
    db.commit()
    return len(rows)


def answers_of(db: Session, attempt: QuizAttempt) -> dict[str, Any]:
    """The saved responses by question id (two columns: no answer objects loaded)."""
    return dict(
        db.execute(
            select(QuizAnswer.question_id, QuizAnswer.response).where(
                QuizAnswer.attempt_id == attempt.id
            )
        ).all()
    )


def submit(db: Session, *, attempt: QuizAttempt, now: datetime) -> QuizAttempt:
    """Grade the attempt exactly once; later calls return the graded attempt unchanged."""
    write_locked(db)
    status = AttemptStatus.submitted
    if attempt.deadline is not None and now > attempt.deadline:
        status = AttemptStatus.expired
    _finalize(db, attempt, now=now, status=status)
    db.commit()
    db.refresh(attempt)
    return attempt


def expire_if_due(db: Session, *, attempt: QuizAttempt, now: datetime) -> QuizAttempt:
    if (
        attempt.status == AttemptStatus.open
        and attempt.deadline is not None
        and now >= attempt.deadline
    ):
        write_locked(db)
        _finalize(db, attempt, now=now, status=AttemptStatus.expired)
        db.commit()
        db.refresh(attempt)
    return attempt


def _finalize(db: Session, attempt: QuizAttempt, *, now: datetime, status: AttemptStatus) -> None:
    won = db.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == AttemptStatus.open)
        .values(status=status, submitted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        return  # someone else submitted it; their grade stands
    definition = quiz_of_attempt(db, attempt)
    saved = db.execute(
        select(QuizAnswer.question_id, QuizAnswer.response, QuizAnswer.saved_at).where(
            QuizAnswer.attempt_id == attempt.id
        )
    ).all()
    responses = {
        qid: response
        for qid, response, saved_at in saved
        if attempt.deadline is None or saved_at <= attempt.deadline
    }
    result = grade_attempt(definition, drawn_of(attempt), responses)
    db.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id)
        .values(
            score_percent=result.score_percent,
            points=result.points,
            max_points=result.max_points,
            passed=result.passed,
            results={
                qid: {"points": r.points, "max_points": r.max_points, "correct": r.correct}
                for qid, r in result.per_question.items()
            },
        )
        .execution_options(synchronize_session=False)
    )
    enrolment = db.get(Enrolment, attempt.enrolment_id)
    progress.touch(enrolment, now)
    enrolment.final_score = best_required_score(db, enrolment)
    progress.recompute(db, enrolment=enrolment, now=now)


def best_required_score(db: Session, enrolment: Enrolment) -> float | None:
    """Mean of the best scores on the course's required quizzes (what a report shows)."""
    rows = db.execute(
        select(QuizAttempt.quiz_id, func.max(QuizAttempt.score_percent))
        .join(CourseQuiz, CourseQuiz.id == QuizAttempt.quiz_id)
        .where(
            QuizAttempt.enrolment_id == enrolment.id,
            QuizAttempt.score_percent.is_not(None),
            CourseQuiz.required.is_(True),
        )
        .group_by(QuizAttempt.quiz_id)
    ).all()
    if not rows:
        return None
    return round(sum(float(score) for _, score in rows) / len(rows), 2)


def passed_quizzes(db: Session, enrolment: Enrolment) -> set[int]:
    return set(
        db.scalars(
            select(QuizAttempt.quiz_id)
            .where(QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.passed.is_(True))
            .distinct()
        )
    )


@dataclass
class AttemptView:
    """Everything the attempt page shows — built only from PublicQuestion."""

    attempt: QuizAttempt
    questions: list  # list[PublicQuestion]
    answers: dict[str, Any]


def attempt_view(db: Session, attempt: QuizAttempt) -> AttemptView:
    definition = quiz_of_attempt(db, attempt)
    questions = definition.question_map()
    public = [public_question(questions[d.question_id], d.option_order) for d in drawn_of(attempt)]
    return AttemptView(attempt=attempt, questions=public, answers=answers_of(db, attempt))
