"""`multiple`: options, at least one correct; the response is the list of ticked indices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator

import app.quizzes.types.choice as choice  # the module, not the package registry
from app.quizzes.types.base import QuestionBase, is_index, no_prompts
from app.quizzes.types.choice import Option

NAME = "multiple"
TEMPLATE = "quizzes/types/multiple.html"

Scoring = Literal["all_or_nothing", "partial"]


def _multiple_options(options: list[Option]) -> list[Option]:
    choice.correct_numbers(options)
    return options


class MultipleQuestion(QuestionBase):
    type: Literal["multiple"] = "multiple"
    scoring: Scoring = "all_or_nothing"
    options: Annotated[list[Option], AfterValidator(_multiple_options)]


prompts = no_prompts
Question = MultipleQuestion
option_order = choice.option_order
public_options = choice.public_options
option_counts = choice.option_counts
listed = choice.listed


def parse(question: MultipleQuestion, values: Sequence[str]) -> list[int]:
    out = []
    for value in values:
        try:
            out.append(int(value))
        except ValueError:
            continue
    return sorted(set(out))


def fraction(question: MultipleQuestion, response: Any) -> float:
    chosen: set[int] = set()
    if isinstance(response, list | tuple | set | frozenset):
        chosen = {i for i in response if is_index(i, len(question.options))}
    correct = {i for i, option in enumerate(question.options) if option.correct}
    if question.scoring == "all_or_nothing":
        return 1.0 if chosen == correct else 0.0
    # Partial: +1/k per correct option chosen, -1/k per wrong option chosen, never below 0.
    hits, misses = len(chosen & correct), len(chosen - correct)
    return max(0.0, (hits - misses) / len(correct))
