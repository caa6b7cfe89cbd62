"""Drawing, presenting and grading quiz attempts — pure functions, no database.

Responses, by question type, as the web layer passes them in:
  single      int option index (position in the file's `options`) or None
  multiple    list of int option indices
  true_false  bool or None
  short       str
  numeric     str ("2,5" and "2.5" both accepted)
A response of the wrong shape (tampered form, missing field) counts as a wrong answer; only
programming errors raise.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from app.quizzes.schema import (
    MultipleQuestion,
    NumericQuestion,
    QuestionModel,
    Quiz,
    ShortQuestion,
    SingleQuestion,
    TrueFalseQuestion,
    normalize_answer,
    tag_pools,
)

# A true/false question is shown as two options: index 0 means true, 1 means false.
TRUE_FALSE_LABELS = ("Benar", "Salah")
TRUE_FALSE_ORDER = (0, 1)

# Room for binary floating-point error, relative to the size of the answer:
# |2.6 - 2.5| is 0.10000000000000009, which must still pass a tolerance of 0.1.
_RELATIVE_EPSILON = 1e-9

_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")


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


class PublicOption(NamedTuple):
    index: int
    text: str


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
    if isinstance(question, SingleQuestion | MultipleQuestion):
        order = list(range(len(question.options)))
        if shuffle:
            rng.shuffle(order)
        return order
    if isinstance(question, TrueFalseQuestion):
        return list(TRUE_FALSE_ORDER)
    return []


def public_question(question: QuestionModel, option_order: Sequence[int]) -> PublicQuestion:
    """The question as shown to a learner, options in the drawn order."""
    options: tuple[PublicOption, ...] = ()
    if isinstance(question, SingleQuestion | MultipleQuestion):
        _require_permutation(option_order, len(question.options), question.id)
        options = tuple(PublicOption(i, question.options[i].text) for i in option_order)
    elif isinstance(question, TrueFalseQuestion):
        _require_permutation(option_order, len(TRUE_FALSE_LABELS), question.id)
        options = tuple(PublicOption(i, TRUE_FALSE_LABELS[i]) for i in option_order)
    elif option_order:
        raise ValueError(f"question {question.id!r} has no options, got order {list(option_order)}")
    return PublicQuestion(id=question.id, type=question.type, text=question.text, options=options)


def _require_permutation(order: Sequence[int], size: int, question_id: str) -> None:
    if sorted(order) != list(range(size)):
        raise ValueError(f"option order {list(order)} does not fit question {question_id!r}")


def parse_number(value: object) -> float | None:
    """A typed number ("2,5", " 2.5 ", "-3") as float; None when it is not a plain number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("\u2212", "-")  # the typographic minus sign
        if not _NUMBER_RE.fullmatch(text):
            return None
        number = float(text.replace(",", "."))
    else:
        return None
    return number if math.isfinite(number) else None


def grade_question(question: QuestionModel, response: Any) -> QuestionResult:
    """Points earned by one response; `correct` means full points."""
    fraction = _fraction(question, response)
    return QuestionResult(
        points=question.points * fraction, max_points=question.points, correct=fraction == 1.0
    )


def _fraction(question: QuestionModel, response: Any) -> float:
    if isinstance(question, SingleQuestion):
        return _single_fraction(question, response)
    if isinstance(question, MultipleQuestion):
        return _multiple_fraction(question, response)
    if isinstance(question, TrueFalseQuestion):
        return 1.0 if isinstance(response, bool) and response == question.answer else 0.0
    if isinstance(question, ShortQuestion):
        return _short_fraction(question, response)
    return _numeric_fraction(question, response)


def _is_index(value: Any, size: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < size


def _single_fraction(question: SingleQuestion, response: Any) -> float:
    if _is_index(response, len(question.options)) and question.options[response].correct:
        return 1.0
    return 0.0


def _multiple_fraction(question: MultipleQuestion, response: Any) -> float:
    chosen: set[int] = set()
    if isinstance(response, list | tuple | set | frozenset):
        chosen = {i for i in response if _is_index(i, len(question.options))}
    correct = {i for i, option in enumerate(question.options) if option.correct}
    if question.scoring == "all_or_nothing":
        return 1.0 if chosen == correct else 0.0
    # Partial: +1/k per correct option chosen, -1/k per wrong option chosen, never below 0.
    hits, misses = len(chosen & correct), len(chosen - correct)
    return max(0.0, (hits - misses) / len(correct))


def _short_fraction(question: ShortQuestion, response: Any) -> float:
    if not isinstance(response, str):
        return 0.0
    given = normalize_answer(response)
    accepted = {normalize_answer(answer) for answer in question.answers}
    return 1.0 if given and given in accepted else 0.0


def _numeric_fraction(question: NumericQuestion, response: Any) -> float:
    given = parse_number(response)
    if given is None:
        return 0.0
    slack = question.tolerance + _RELATIVE_EPSILON * max(1.0, abs(question.answer))
    return 1.0 if abs(given - question.answer) <= slack else 0.0


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
