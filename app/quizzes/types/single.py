"""`single`: options, exactly one correct; the response is the chosen option's index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

import app.quizzes.types.choice as choice  # the module, not the package registry
from app.quizzes.types.base import QuestionBase, first_int, is_index, no_prompts
from app.quizzes.types.choice import Option

NAME = "single"
TEMPLATE = "quizzes/types/single.html"


def _single_options(options: list[Option]) -> list[Option]:
    numbers = choice.correct_numbers(options)
    if len(numbers) > 1:
        listed = ", ".join(str(n) for n in numbers)
        raise PydanticCustomError(
            "several_correct_options",
            f"soal 'single' harus punya tepat satu opsi benar, tetapi opsi {listed} bertanda "
            "benar (pakai type: multiple untuk beberapa jawaban benar)",
        )
    return options


class SingleQuestion(QuestionBase):
    type: Literal["single"] = "single"
    options: Annotated[list[Option], AfterValidator(_single_options)]


prompts = no_prompts
Question = SingleQuestion
option_order = choice.option_order
public_options = choice.public_options
option_counts = choice.option_counts
listed = choice.listed


def parse(question: SingleQuestion, values: Sequence[str]) -> int | None:
    return first_int(values)


def fraction(question: SingleQuestion, response: Any) -> float:
    if is_index(response, len(question.options)) and question.options[response].correct:
        return 1.0
    return 0.0
