"""`true_false`: shown as two options, index 0 true and 1 false; the response is a bool."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import StrictBool

from app.quizzes.types.base import (
    OptionCount,
    PublicOption,
    QuestionBase,
    first_int,
    no_listed,
    no_prompts,
    require_permutation,
)

NAME = "true_false"
TEMPLATE = "quizzes/types/true_false.html"

LABELS = ("Benar", "Salah")
ORDER = (0, 1)


class TrueFalseQuestion(QuestionBase):
    type: Literal["true_false"] = "true_false"
    answer: StrictBool


prompts = no_prompts
Question = TrueFalseQuestion
listed = no_listed


def option_order(question: TrueFalseQuestion, shuffle: bool, rng: random.Random) -> list[int]:
    return list(ORDER)  # always Benar, Salah: a shuffled pair only confuses


def public_options(question: TrueFalseQuestion, order: Sequence[int]) -> tuple[PublicOption, ...]:
    require_permutation(order, len(LABELS), question.id)
    return tuple(PublicOption(i, LABELS[i]) for i in order)


def parse(question: TrueFalseQuestion, values: Sequence[str]) -> bool | None:
    index = first_int(values)
    return None if index not in ORDER else index == 0


def fraction(question: TrueFalseQuestion, response: Any) -> float:
    return 1.0 if isinstance(response, bool) and response == question.answer else 0.0


def option_counts(
    question: TrueFalseQuestion, responses: Sequence[Any], *, with_keys: bool
) -> list[OptionCount]:
    said_true = sum(1 for r in responses if r is True)
    said_false = sum(1 for r in responses if r is False)
    return [
        (LABELS[0], said_true, question.answer),
        (LABELS[1], said_false, not question.answer),
    ]
