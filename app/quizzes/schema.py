"""The quiz file format (`courses/<slug>/quizzes/<quiz-slug>.yaml`) as pydantic models.

Each question type's model lives in its module under app/quizzes/types; this module puts
them together (through the registry) with the quiz settings. The models check everything
inside one question (types, ranges, exactly one correct option for `single`), so pydantic
reports all of a question's mistakes at once. The `*_issues` functions check what spans
questions (unique ids, a draw the bank can satisfy) and give warnings. The loader turns
both into Problems with line numbers; `Quiz` runs the same checks, so an invalid quiz cannot
be built in code either.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import Field, PlainValidator, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from app.quizzes.types import TYPES, type_of
from app.quizzes.types.base import QuestionBase, Strict, Text, normalize_answer
from app.sourcefile import Loc

ShowAnswers = Literal["never", "after_passing", "after_last_attempt", "after_each_attempt"]


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


def _attempts(value: Any) -> int | Literal["unlimited"]:
    # A plain validator keeps the message single and Indonesian; a union would report one
    # error per member ("not an int", "not 'unlimited'").
    if value == "unlimited" and isinstance(value, str):
        return "unlimited"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise PydanticCustomError("attempts", "harus bilangan bulat >= 1 atau 'unlimited'")


# Built from the registry: a new type in app/quizzes/types is part of the file format.
QUESTION_TYPES: tuple[str, ...] = tuple(TYPES)
QUESTION_MODELS: dict[str, type[QuestionBase]] = {
    name: kind.Question for name, kind in TYPES.items()
}
QuestionModel = Union[tuple(QUESTION_MODELS.values())]  # type: ignore[valid-type]  # noqa: UP007
Question = Annotated[QuestionModel, Field(discriminator="type")]


class Draw(Strict):
    count: Annotated[int, Field(ge=1)] | None = None
    tags: Annotated[dict[Text, Annotated[int, Field(ge=1)]], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Draw:
        if self.count is not None and self.tags is not None:
            raise PydanticCustomError("draw_both", "isi count ATAU tags, tidak keduanya")
        if self.count is None and self.tags is None:
            raise PydanticCustomError("draw_neither", "isi count atau tags (atau hapus draw)")
        return self


class QuizSettings(Strict):
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
    listed = type_of(question.type).listed(question)
    if listed is None:
        return []
    key, label, texts = listed
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
