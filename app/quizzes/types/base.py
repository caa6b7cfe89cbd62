"""What every question type shares: the strict model base, field types, the public option.

A type module (`app/quizzes/types/<type>.py`) builds on these; nothing here knows a type.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Sequence
from typing import Annotated, Any, NamedTuple

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MIN_OPTIONS = 2
MAX_OPTIONS = 10

_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")


def normalize_answer(text: str) -> str:
    """Compare form of a typed answer or option: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


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


def _slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise PydanticCustomError(
            "slug",
            "harus berupa slug: huruf kecil, angka, dan tanda hubung (contoh: sandi-kuat)",
        )
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "tidak boleh kosong")
    return value


Slug = Annotated[str, AfterValidator(_slug)]
Text = Annotated[str, AfterValidator(_not_blank)]
Points = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Strict(BaseModel):
    # strict: YAML already gives real ints/bools/floats, so "70" or 1-for-true is a mistake.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class QuestionBase(Strict):
    id: Slug
    text: Text
    tags: list[Text] = Field(default_factory=list)
    points: Points = 1.0
    feedback: Text | None = None


class PublicOption(NamedTuple):
    index: int
    text: str


# (shown text, times chosen, is it the key — None when keys are withheld)
OptionCount = tuple[str, int, bool | None]


def option_count_error(count: int, noun: str = "opsi") -> PydanticCustomError | None:
    """The error for a list of choices outside MIN_OPTIONS..MAX_OPTIONS, else None."""
    if MIN_OPTIONS <= count <= MAX_OPTIONS:
        return None
    return PydanticCustomError(
        "option_count",
        f"soal pilihan harus punya {MIN_OPTIONS}–{MAX_OPTIONS} {noun}, bukan {count}",
    )


def require_permutation(order: Sequence[int], size: int, question_id: str) -> None:
    if sorted(order) != list(range(size)):
        raise ValueError(f"option order {list(order)} does not fit question {question_id!r}")


def permutation(size: int, shuffle: bool, rng: random.Random) -> list[int]:
    order = list(range(size))
    if shuffle:
        rng.shuffle(order)
    return order


def is_index(value: Any, size: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < size


def first_int(values: Sequence[str]) -> int | None:
    """The first submitted value as an int; None when missing or not a number."""
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


def first_text(values: Sequence[str]) -> str:
    """The first submitted value, cut to what a typed answer may be."""
    return (values[0] if values else "")[:500]


def no_options(question: QuestionBase, order: Sequence[int]) -> tuple[PublicOption, ...]:
    """Public options of a typed-answer question: none, and no order may be given."""
    if order:
        raise ValueError(f"question {question.id!r} has no options, got order {list(order)}")
    return ()


def no_order(question: QuestionBase, shuffle: bool, rng: random.Random) -> list[int]:
    return []


def no_prompts(question: QuestionBase) -> tuple[str, ...]:
    """Only a type whose options answer several items (matching) has prompts."""
    return ()


def no_counts(
    question: QuestionBase, responses: Sequence[Any], *, with_keys: bool
) -> list[OptionCount]:
    return []


def no_listed(question: QuestionBase) -> None:
    """Nothing listed that could be written twice."""
    return None
