"""After grading: the review a learner may see and the item statistics staff see.

Both read graded attempts only; neither is on the attempt's hot path (start, save,
submit in service.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.courses.models import CourseQuiz, QuizVersion
from app.quizzes.grading import review_allowed
from app.quizzes.models import AttemptStatus, QuizAnswer, QuizAttempt
from app.quizzes.service import answers_of, drawn_of, quiz_of, quiz_of_attempt
from app.quizzes.types import type_of
from app.quizzes.types.base import OptionCount


@dataclass
class ReviewItem:
    question: Any  # the full QuestionModel: only ever built after grading
    order: list[int]
    response: Any
    result: dict[str, Any]

    @property
    def template(self) -> str:
        return type_of(self.question.type).TEMPLATE


def review(
    db: Session, attempt: QuizAttempt, *, all_attempts: list[QuizAttempt]
) -> list[ReviewItem] | None:
    """Correct answers and feedback — only for a graded attempt, and only when allowed."""
    if attempt.status == AttemptStatus.open or attempt.results is None:
        return None
    definition = quiz_of_attempt(db, attempt)
    passed_any = any(a.passed for a in all_attempts)
    graded = [a for a in all_attempts if a.status != AttemptStatus.open]
    if not review_allowed(
        definition.show_answers, passed_any, len(graded), definition.max_attempts
    ):
        return None
    answers = answers_of(db, attempt)
    questions = definition.question_map()
    return [
        ReviewItem(
            questions[d.question_id],
            d.option_order,
            answers.get(d.question_id),
            attempt.results.get(d.question_id, {}),
        )
        for d in drawn_of(attempt)
    ]


@dataclass
class QuestionStat:
    question_id: str
    text: str
    answered: int
    # None when keys are withheld: with the pick rates it would give the key away.
    correct: int | None
    # (option text, times chosen, is correct — None when keys are withheld); by type
    option_counts: list[OptionCount]


def question_stats(db: Session, *, quiz: CourseQuiz, with_keys: bool) -> list[QuestionStat]:
    """Per-question statistics over graded attempts of the quiz's current version.

    Without `with_keys` nothing tells which option is correct: not the options, and not the
    count of correct answers of a choice question (it equals the correct option's picks)."""
    version = db.get(QuizVersion, quiz.current_version_id)
    definition = quiz_of(version)
    attempts = db.execute(
        select(QuizAttempt.id, QuizAttempt.results).where(
            QuizAttempt.quiz_version_id == version.id, QuizAttempt.results.is_not(None)
        )
    ).all()
    correct: dict[str, int] = {}
    answered: dict[str, int] = {}
    for _id, results in attempts:
        for qid, r in (results or {}).items():
            answered[qid] = answered.get(qid, 0) + 1
            correct[qid] = correct.get(qid, 0) + (1 if r.get("correct") else 0)
    responses: dict[str, list[Any]] = {}
    ids = [a for a, _ in attempts]
    if ids:
        for qid, response in db.execute(
            select(QuizAnswer.question_id, QuizAnswer.response).where(
                QuizAnswer.attempt_id.in_(ids)
            )
        ):
            responses.setdefault(qid, []).append(response)
    stats = []
    for q in definition.questions:
        options = type_of(q.type).option_counts(q, responses.get(q.id, []), with_keys=with_keys)
        right: int | None = correct.get(q.id, 0)
        if not with_keys and options:
            options = [(text, n, None) for text, n, _ok in options]
            right = None
        stats.append(QuestionStat(q.id, q.text, answered.get(q.id, 0), right, options))
    return stats
