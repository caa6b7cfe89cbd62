"""What `single` and `multiple` share: options with a key, shown in the drawn order."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from pydantic import StrictBool
from pydantic_core import PydanticCustomError

from app.quizzes.types.base import (
    OptionCount,
    PublicOption,
    QuestionBase,
    Strict,
    Text,
    option_count_error,
    permutation,
    require_permutation,
)


class Option(Strict):
    text: Text
    correct: StrictBool = False
    feedback: Text | None = None


def correct_numbers(options: list[Option]) -> list[int]:
    """1-based numbers of the correct options; at least one must be correct."""
    if error := option_count_error(len(options)):
        raise error
    numbers = [i + 1 for i, option in enumerate(options) if option.correct]
    if not numbers:
        raise PydanticCustomError("no_correct_option", "tidak ada opsi bertanda 'correct: true'")
    return numbers


def option_order(question: Any, shuffle: bool, rng: random.Random) -> list[int]:
    return permutation(len(question.options), shuffle, rng)


def public_options(question: Any, order: Sequence[int]) -> tuple[PublicOption, ...]:
    require_permutation(order, len(question.options), question.id)
    return tuple(PublicOption(i, question.options[i].text) for i in order)


def option_counts(question: Any, responses: Sequence[Any], *, with_keys: bool) -> list[OptionCount]:
    """How often each option was picked (a single index or a list of them per response)."""
    picked = [0] * len(question.options)
    for response in responses:
        for pick in response if isinstance(response, list) else [response]:
            if isinstance(pick, int) and not isinstance(pick, bool) and 0 <= pick < len(picked):
                picked[pick] += 1
    return [(o.text, picked[i], o.correct) for i, o in enumerate(question.options)]


def listed(question: QuestionBase) -> tuple[str, str, list[str]]:
    return "options", "opsi", [o.text for o in question.options]  # type: ignore[attr-defined]
