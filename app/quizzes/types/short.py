"""`short`: a typed answer, right when it equals an accepted one once normalised."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from app.quizzes.types.base import (
    QuestionBase,
    first_text,
    no_counts,
    no_options,
    no_order,
    no_prompts,
    normalize_answer,
)

NAME = "short"
TEMPLATE = "quizzes/types/short.html"


def _accepted_answers(answers: list[str]) -> list[str]:
    if not answers:
        raise PydanticCustomError("no_answers", "isi minimal satu jawaban yang diterima")
    blank = [str(i + 1) for i, answer in enumerate(answers) if not normalize_answer(answer)]
    if blank:
        raise PydanticCustomError("blank_answer", f"jawaban nomor {', '.join(blank)} kosong")
    return answers


class ShortQuestion(QuestionBase):
    type: Literal["short"] = "short"
    answers: Annotated[list[str], AfterValidator(_accepted_answers)]


prompts = no_prompts
Question = ShortQuestion
option_order = no_order
public_options = no_options
option_counts = no_counts


def listed(question: ShortQuestion) -> tuple[str, str, list[str]]:
    return "answers", "jawaban", question.answers


def parse(question: ShortQuestion, values: Sequence[str]) -> str:
    return first_text(values)


def fraction(question: ShortQuestion, response: Any) -> float:
    if not isinstance(response, str):
        return 0.0
    given = normalize_answer(response)
    accepted = {normalize_answer(answer) for answer in question.answers}
    return 1.0 if given and given in accepted else 0.0
