"""The quiz file format (`courses/<slug>/quizzes/<quiz-slug>.yaml`) as pydantic models.

The models check everything inside one question (types, ranges, exactly one correct option
for `single`), so pydantic reports all of a question's mistakes at once. The `*_issues`
functions check what spans questions (unique ids, a draw the bank can satisfy) and give
warnings. The loader turns both into Problems with line numbers; `Quiz` runs the same
checks, so an invalid quiz cannot be built in code either.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.sourcefile import Loc

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MIN_OPTIONS = 2
MAX_OPTIONS = 10

QuestionType = Literal["single", "multiple", "true_false", "short", "numeric"]
QUESTION_TYPES: tuple[str, ...] = ("single", "multiple", "true_false", "short", "numeric")
ShowAnswers = Literal["never", "after_passing", "after_last_attempt", "after_each_attempt"]
Scoring = Literal["all_or_nothing", "partial"]


def normalize_answer(text: str) -> str:
    """Compare form of a typed answer or option: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def slugify(text: str, max_length: int = 60) -> str:
    """ASCII slug matching SLUG_RE, or "" when `text` has no letters or digits."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        # Cut at a word boundary when there is one, so ids stay readable.
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug.strip("-")


def unique_slug(base: str, used: set[str]) -> str:
    """`base`, or `base-2`, `base-3`, ... — the first not in `used`; records the result."""
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    used.add(candidate)
    return candidate


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


def _attempts(value: Any) -> int | Literal["unlimited"]:
    # A plain validator keeps the message single and Indonesian; a union would report one
    # error per member ("not an int", "not 'unlimited'").
    if value == "unlimited" and isinstance(value, str):
        return "unlimited"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise PydanticCustomError("attempts", "harus bilangan bulat >= 1 atau 'unlimited'")


def _option_count(options: list[Option]) -> None:
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise PydanticCustomError(
            "option_count",
            f"soal pilihan harus punya {MIN_OPTIONS}–{MAX_OPTIONS} opsi, bukan {len(options)}",
        )


def _correct_numbers(options: list[Option]) -> list[int]:
    numbers = [i + 1 for i, option in enumerate(options) if option.correct]
    if not numbers:
        raise PydanticCustomError("no_correct_option", "tidak ada opsi bertanda 'correct: true'")
    return numbers


def _single_options(options: list[Option]) -> list[Option]:
    _option_count(options)
    numbers = _correct_numbers(options)
    if len(numbers) > 1:
        listed = ", ".join(str(n) for n in numbers)
        raise PydanticCustomError(
            "several_correct_options",
            f"soal 'single' harus punya tepat satu opsi benar, tetapi opsi {listed} bertanda "
            "benar (pakai type: multiple untuk beberapa jawaban benar)",
        )
    return options


def _multiple_options(options: list[Option]) -> list[Option]:
    _option_count(options)
    _correct_numbers(options)
    return options


def _accepted_answers(answers: list[str]) -> list[str]:
    if not answers:
        raise PydanticCustomError("no_answers", "isi minimal satu jawaban yang diterima")
    blank = [str(i + 1) for i, answer in enumerate(answers) if not normalize_answer(answer)]
    if blank:
        raise PydanticCustomError("blank_answer", f"jawaban nomor {', '.join(blank)} kosong")
    return answers


Slug = Annotated[str, AfterValidator(_slug)]
Text = Annotated[str, AfterValidator(_not_blank)]
Points = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    # strict: YAML already gives real ints/bools/floats, so "70" or 1-for-true is a mistake.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Option(_Strict):
    text: Text
    correct: StrictBool = False
    feedback: Text | None = None


class _QuestionBase(_Strict):
    id: Slug
    text: Text
    tags: list[Text] = Field(default_factory=list)
    points: Points = 1.0
    feedback: Text | None = None


class SingleQuestion(_QuestionBase):
    type: Literal["single"] = "single"
    options: Annotated[list[Option], AfterValidator(_single_options)]


class MultipleQuestion(_QuestionBase):
    type: Literal["multiple"] = "multiple"
    scoring: Scoring = "all_or_nothing"
    options: Annotated[list[Option], AfterValidator(_multiple_options)]


class TrueFalseQuestion(_QuestionBase):
    type: Literal["true_false"] = "true_false"
    answer: StrictBool


class ShortQuestion(_QuestionBase):
    type: Literal["short"] = "short"
    answers: Annotated[list[str], AfterValidator(_accepted_answers)]


class NumericQuestion(_QuestionBase):
    type: Literal["numeric"] = "numeric"
    answer: Annotated[float, Field(allow_inf_nan=False)]
    tolerance: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0


QuestionModel = (
    SingleQuestion | MultipleQuestion | TrueFalseQuestion | ShortQuestion | NumericQuestion
)
Question = Annotated[QuestionModel, Field(discriminator="type")]

QUESTION_MODELS: dict[str, type[_QuestionBase]] = {
    "single": SingleQuestion,
    "multiple": MultipleQuestion,
    "true_false": TrueFalseQuestion,
    "short": ShortQuestion,
    "numeric": NumericQuestion,
}


class Draw(_Strict):
    count: Annotated[int, Field(ge=1)] | None = None
    tags: Annotated[dict[Text, Annotated[int, Field(ge=1)]], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Draw:
        if self.count is not None and self.tags is not None:
            raise PydanticCustomError("draw_both", "isi count ATAU tags, tidak keduanya")
        if self.count is None and self.tags is None:
            raise PydanticCustomError("draw_neither", "isi count atau tags (atau hapus draw)")
        return self


class QuizSettings(_Strict):
    """Every top-level key of a quiz file except `questions`."""

    title: Text
    description: str | None = None
    pass_mark: Annotated[int, Field(ge=0, le=100)]
    attempts: Annotated[int | Literal["unlimited"], PlainValidator(_attempts)] = "unlimited"
    time_limit_minutes: Annotated[int, Field(ge=1)] | None = None
    draw: Draw | None = None
    shuffle_questions: StrictBool = False
    shuffle_options: StrictBool = False
    # After passing by default: a learner who passed on the first try still sees which
    # answers were wrong (with "after_last_attempt" they never did).
    show_answers: ShowAnswers = "after_passing"


class Quiz(QuizSettings):
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_rules(self) -> Quiz:
        errors = [issue for issue in quiz_issues(self) if issue.level == "error"]
        if errors:
            raise ValueError("; ".join(issue.message for issue in errors))
        return self

    @property
    def max_attempts(self) -> int | None:
        """Attempts a learner may make, None for unlimited."""
        return None if self.attempts == "unlimited" else self.attempts

    def question_map(self) -> dict[str, QuestionModel]:
        return {question.id: question for question in self.questions}


@dataclass(frozen=True)
class Issue:
    """A rule broken by a quiz file; `loc` is a path from the top of the document."""

    loc: Loc
    message: str
    level: str = "error"


def question_loc(index: int) -> Loc:
    return ("questions", index)


def question_issues(question: QuestionModel, index: int) -> list[Issue]:
    """Warnings inside one valid question: options or answers written twice."""
    loc = question_loc(index)
    if isinstance(question, SingleQuestion | MultipleQuestion):
        texts, key, label = [o.text for o in question.options], "options", "opsi"
    elif isinstance(question, ShortQuestion):
        texts, key, label = question.answers, "answers", "jawaban"
    else:
        return []
    issues: list[Issue] = []
    first_seen: dict[str, int] = {}
    for i, text in enumerate(texts):
        normalized = normalize_answer(text)
        if normalized in first_seen:
            message = f"{label} '{text}' sama dengan {label} nomor {first_seen[normalized] + 1}"
            issues.append(Issue((*loc, key, i), message, "warning"))
        else:
            first_seen[normalized] = i
    return issues


def bank_issues(ids: Sequence[tuple[int, str]]) -> list[Issue]:
    """Question ids are unique. `ids` pairs each id with the index of its question."""
    first_index: dict[str, int] = {}
    issues: list[Issue] = []
    for index, question_id in ids:
        if question_id in first_index:
            issues.append(
                Issue(
                    (*question_loc(index), "id"),
                    f"id '{question_id}' sudah dipakai soal nomor "
                    f"{first_index[question_id] + 1}; id soal harus unik",
                )
            )
        else:
            first_index[question_id] = index
    return issues


def tag_pools(
    draw_tags: Mapping[str, int], question_tags: Sequence[Sequence[str]]
) -> dict[str, list[int]]:
    """Positions of the questions each drawn tag draws from.

    A question carrying several drawn tags belongs to the first of them in `draw_tags`
    order, so the pools never overlap and no question is drawn twice.
    """
    pools: dict[str, list[int]] = {tag: [] for tag in draw_tags}
    for position, tags in enumerate(question_tags):
        for tag in draw_tags:
            if tag in tags:
                pools[tag].append(position)
                break
    return pools


def draw_issues(draw: Draw, question_tags: Sequence[Sequence[str]]) -> list[Issue]:
    """Can the bank (the tags of every question, in file order) satisfy `draw`?"""
    issues: list[Issue] = []
    total = len(question_tags)
    if draw.count is not None and draw.count > total:
        issues.append(
            Issue(("draw", "count"), f"draw.count {draw.count} melebihi jumlah soal ({total})")
        )
    if draw.tags is not None:
        issues.extend(_draw_tag_issues(draw.tags, question_tags))
    return issues


def _draw_tag_issues(
    draw_tags: dict[str, int], question_tags: Sequence[Sequence[str]]
) -> list[Issue]:
    issues: list[Issue] = []
    pools = tag_pools(draw_tags, question_tags)
    for tag, wanted in draw_tags.items():
        loc = ("draw", "tags", tag)
        carrying = sum(1 for tags in question_tags if tag in tags)
        if carrying == 0:
            issues.append(Issue(loc, f"tag '{tag}' tidak dipakai soal mana pun"))
        elif wanted > carrying:
            issues.append(
                Issue(
                    loc,
                    f"tag '{tag}': diminta {wanted} soal, tetapi hanya {carrying} soal bertag ini",
                )
            )
        elif wanted > len(pools[tag]):
            issues.append(
                Issue(
                    loc,
                    f"tag '{tag}': diminta {wanted} soal, tetapi hanya {len(pools[tag])} yang "
                    "tersisa; soal bertag lebih dari satu dihitung untuk tag pertamanya "
                    "di draw.tags",
                )
            )
    for index, tags in enumerate(question_tags):
        if not any(tag in draw_tags for tag in tags):
            issues.append(
                Issue(
                    question_loc(index),
                    "soal ini tidak akan pernah muncul: tidak ada tagnya yang tercantum "
                    "di draw.tags",
                    "warning",
                )
            )
    return issues


def quiz_issues(quiz: Quiz) -> list[Issue]:
    """Every rule of a whole quiz (used by the model validator)."""
    indexed = list(enumerate(quiz.questions))
    issues = [issue for index, q in indexed for issue in question_issues(q, index)]
    issues.extend(bank_issues([(index, q.id) for index, q in indexed]))
    if quiz.draw is not None:
        issues.extend(draw_issues(quiz.draw, [q.tags for q in quiz.questions]))
    return issues
