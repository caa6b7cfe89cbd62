"""Drawing, presenting and grading quiz attempts — pure functions, no database.

What a response looks like, how it is graded and what the learner may see is each type's
own business (app/quizzes/types/<type>.py); this module draws, dispatches and adds up.
Responses, as the web layer passes them in:
  single      int option index (position in the file's `options`) or None
  multiple    list of int option indices
  true_false  bool or None
  short       str
  numeric     str ("2,5" and "2.5" both accepted)
  matching    list of option indices (into the question's choices()), one per left item
A response of the wrong shape (tampered form, missing field) counts as a wrong answer; only
programming errors raise.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.quizzes.schema import QuestionModel, Quiz, tag_pools
from app.quizzes.types import type_of
from app.quizzes.types.base import PublicOption


@dataclass(frozen=True)
class DrawnQuestion:
    """One question of an attempt: its id and the order its options are shown in."""

    question_id: str
    option_order: list[int]


@dataclass(frozen=True)
class QuestionResult:
    points: float
    max_points: float
    correct: bool


@dataclass(frozen=True)
class AttemptResult:
    score_percent: float
    points: float
    max_points: float
    passed: bool
    per_question: dict[str, QuestionResult]


@dataclass(frozen=True, slots=True)
class PublicQuestion:
    """What the browser may see before grading.

    There is deliberately no field for correctness, feedback, answers or tolerance: a
    template given a PublicQuestion cannot leak them, whatever it does.
    """

    id: str
    type: str
    text: str
    options: tuple[PublicOption, ...] = ()
    # The items the options answer (matching's left side); empty for other types.
    prompts: tuple[str, ...] = ()

    @property
    def template(self) -> str:
        return type_of(self.type).TEMPLATE


def draw_questions(quiz: Quiz, rng: random.Random) -> list[DrawnQuestion]:
    """Pick and order the questions of a new attempt; the same seed gives the same attempt.

    Without shuffle_questions the drawn questions keep their order in the file.
    """
    positions = _drawn_positions(quiz, rng)
    if quiz.shuffle_questions:
        rng.shuffle(positions)
    drawn = []
    for position in positions:
        question = quiz.questions[position]
        drawn.append(DrawnQuestion(question.id, _option_order(question, quiz.shuffle_options, rng)))
    return drawn


def _drawn_positions(quiz: Quiz, rng: random.Random) -> list[int]:
    everything = range(len(quiz.questions))
    draw = quiz.draw
    if draw is None:
        return list(everything)
    if draw.count is not None:
        return sorted(rng.sample(everything, draw.count))
    draw_tags = draw.tags or {}
    pools = tag_pools(draw_tags, [question.tags for question in quiz.questions])
    return sorted(p for tag, wanted in draw_tags.items() for p in rng.sample(pools[tag], wanted))


def _option_order(question: QuestionModel, shuffle: bool, rng: random.Random) -> list[int]:
    return type_of(question.type).option_order(question, shuffle, rng)


def public_question(question: QuestionModel, option_order: Sequence[int]) -> PublicQuestion:
    """The question as shown to a learner, options in the drawn order."""
    kind = type_of(question.type)
    return PublicQuestion(
        id=question.id,
        type=question.type,
        text=question.text,
        options=kind.public_options(question, option_order),
        prompts=kind.prompts(question),
    )


def grade_question(question: QuestionModel, response: Any) -> QuestionResult:
    """Points earned by one response; `correct` means full points."""
    fraction = type_of(question.type).fraction(question, response)
    return QuestionResult(
        points=question.points * fraction, max_points=question.points, correct=fraction == 1.0
    )


def grade_attempt(
    quiz: Quiz, drawn: Sequence[DrawnQuestion], responses: Mapping[str, Any]
) -> AttemptResult:
    """Grade every drawn question; a missing response is a wrong answer.

    `passed` compares the rounded percentage (the figure the learner sees) with pass_mark.
    Raises ValueError if `drawn` names a question the quiz does not have (the attempt was
    drawn from another version of the file).
    """
    questions = quiz.question_map()
    per_question: dict[str, QuestionResult] = {}
    for item in drawn:
        question = questions.get(item.question_id)
        if question is None:
            raise ValueError(f"question {item.question_id!r} is not in quiz {quiz.title!r}")
        per_question[item.question_id] = grade_question(question, responses.get(item.question_id))
    points = math.fsum(result.points for result in per_question.values())
    max_points = math.fsum(result.max_points for result in per_question.values())
    score = round(100 * points / max_points, 2) if max_points else 0.0
    return AttemptResult(
        score_percent=score,
        points=points,
        max_points=max_points,
        passed=score >= quiz.pass_mark,
        per_question=per_question,
    )


def review_allowed(
    show_answers: str, passed: bool, attempts_used: int, attempts_allowed: int | None
) -> bool:
    """May the learner see correct answers and feedback now?

    `passed`: the learner has passed the quiz in some attempt. `attempts_allowed` None means
    unlimited, so "after_last_attempt" never opens for an unlimited quiz.
    """
    if attempts_used < 1:
        return False
    if show_answers == "never":
        return False
    if show_answers == "after_each_attempt":
        return True
    if show_answers == "after_passing":
        # Also once no attempt is left: nothing can be gained by keeping it hidden then.
        return passed or (attempts_allowed is not None and attempts_used >= attempts_allowed)
    if show_answers == "after_last_attempt":
        return attempts_allowed is not None and attempts_used >= attempts_allowed
    raise ValueError(f"unknown show_answers value {show_answers!r}")
