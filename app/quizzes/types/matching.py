"""`matching`: each left item is matched to one of the right options (Moodle's qtype_match).

The right options a learner chooses from are the pairs' right sides, each once, plus the
distractors, sorted by text: an option's index then says nothing about which pair it belongs
to, so the submitted values (`<left>:<option>`) carry no key. They are shown in a shuffled
order. The response is a list with one option index (or None) per left item, and every
correct pair earns an equal share of the points, as qtype_match does by default.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from app.quizzes.types.base import (
    OptionCount,
    PublicOption,
    QuestionBase,
    Strict,
    Text,
    is_index,
    normalize_answer,
    option_count_error,
    permutation,
    require_permutation,
)

NAME = "matching"
TEMPLATE = "quizzes/types/matching.html"


class Pair(Strict):
    left: Text
    right: Text


def _pair_count(pairs: list[Pair]) -> list[Pair]:
    if error := option_count_error(len(pairs), "pasangan"):
        raise error
    return pairs


class MatchingQuestion(QuestionBase):
    type: Literal["matching"] = "matching"
    pairs: Annotated[list[Pair], AfterValidator(_pair_count)]
    distractors: list[Text] = Field(default_factory=list)

    @field_validator("distractors")
    @classmethod
    def _distractors_are_wrong(cls, distractors: list[str], info: ValidationInfo) -> list[str]:
        # A distractor that is also a pair's answer would be right and wrong at once.
        rights = {normalize_answer(pair.right) for pair in info.data.get("pairs", [])}
        for distractor in distractors:
            if normalize_answer(distractor) in rights:
                raise PydanticCustomError(
                    "distractor_is_answer",
                    f"pengecoh '{distractor}' sama dengan jawaban salah satu pasangan",
                )
        return distractors

    def choices(self) -> list[str]:
        """The right options, each once (compared normalised), sorted by text."""
        seen: dict[str, str] = {}
        for text in [pair.right for pair in self.pairs] + self.distractors:
            seen.setdefault(normalize_answer(text), text)
        return [seen[key] for key in sorted(seen)]

    def key(self) -> list[int]:
        """For each pair, the index of its right side in choices()."""
        position = {normalize_answer(text): i for i, text in enumerate(self.choices())}
        return [position[normalize_answer(pair.right)] for pair in self.pairs]


Question = MatchingQuestion


def option_order(question: MatchingQuestion, shuffle: bool, rng: random.Random) -> list[int]:
    # Always shuffled, whatever shuffle_options says: sorted options are a fixed order the
    # learner could learn across attempts.
    return permutation(len(question.choices()), True, rng)


def public_options(question: MatchingQuestion, order: Sequence[int]) -> tuple[PublicOption, ...]:
    choices = question.choices()
    require_permutation(order, len(choices), question.id)
    return tuple(PublicOption(i, choices[i]) for i in order)


def prompts(question: MatchingQuestion) -> tuple[str, ...]:
    return tuple(pair.left for pair in question.pairs)


def parse(question: MatchingQuestion, values: Sequence[str]) -> list[int | None] | None:
    """`["0:3", "1:0"]` -> `[3, 0]`; None when nothing was chosen at all."""
    chosen: list[int | None] = [None] * len(question.pairs)
    size = len(question.choices())
    for value in values:
        left, _, right = value.partition(":")
        try:
            item, option = int(left), int(right)
        except ValueError:
            continue
        if is_index(item, len(chosen)) and is_index(option, size):
            chosen[item] = option
    return None if all(option is None for option in chosen) else chosen


def _hits(question: MatchingQuestion, response: Any) -> list[bool]:
    if not isinstance(response, list | tuple):
        return [False] * len(question.pairs)
    given = (list(response) + [None] * len(question.pairs))[: len(question.pairs)]
    return [
        isinstance(g, int) and not isinstance(g, bool) and g == k
        for g, k in zip(given, question.key(), strict=True)
    ]


def fraction(question: MatchingQuestion, response: Any) -> float:
    return sum(_hits(question, response)) / len(question.pairs)


def option_counts(
    question: MatchingQuestion, responses: Sequence[Any], *, with_keys: bool
) -> list[OptionCount]:
    """Per left item, how often it was matched correctly (its right side only with keys)."""
    correct = [0] * len(question.pairs)
    for response in responses:
        for i, hit in enumerate(_hits(question, response)):
            correct[i] += hit
    return [
        (f"{pair.left} → {pair.right}" if with_keys else pair.left, correct[i], True)
        for i, pair in enumerate(question.pairs)
    ]


def listed(question: MatchingQuestion) -> tuple[str, str, list[str]]:
    return "pairs", "pasangan", [pair.left for pair in question.pairs]
