"""`numeric`: a typed number, right within `tolerance` of `answer`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import Field

from app.quizzes.types.base import (
    QuestionBase,
    first_text,
    no_counts,
    no_listed,
    no_options,
    no_order,
    no_prompts,
    parse_number,
)

NAME = "numeric"
TEMPLATE = "quizzes/types/numeric.html"

# Room for binary floating-point error, relative to the size of the answer:
# |2.6 - 2.5| is 0.10000000000000009, which must still pass a tolerance of 0.1.
_RELATIVE_EPSILON = 1e-9


class NumericQuestion(QuestionBase):
    type: Literal["numeric"] = "numeric"
    answer: Annotated[float, Field(allow_inf_nan=False)]
    tolerance: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0


prompts = no_prompts
Question = NumericQuestion
option_order = no_order
public_options = no_options
option_counts = no_counts
listed = no_listed


def parse(question: NumericQuestion, values: Sequence[str]) -> str:
    # Kept as typed ("2,5"): the review shows the learner's own text.
    return first_text(values)


def fraction(question: NumericQuestion, response: Any) -> float:
    given = parse_number(response)
    if given is None:
        return 0.0
    slack = question.tolerance + _RELATIVE_EPSILON * max(1.0, abs(question.answer))
    return 1.0 if abs(given - question.answer) <= slack else 0.0
