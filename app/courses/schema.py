"""The course file format (course.yaml, module front matter) and the loaded course.

The pydantic models mirror docs/course-format.md key by key; unknown keys are errors so that
typos are caught. The frozen dataclasses are what the loader hands to the rest of the app:
validated, resolved (completion rule expanded to slugs) and hashed for versioning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    from app.quizzes.schema import Quiz

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SLUG_RE = re.compile(SLUG_PATTERN)


def _check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise PydanticCustomError(
            "slug",
            "'{value}' bukan slug yang valid (huruf kecil, angka, tanda hubung; "
            "mis. 'keamanan-informasi')",
            {"value": value},
        )
    return value


def _all_or_list(value: Any) -> Any:
    """`all` becomes None (= every item of that kind); a list passes on; anything else fails."""
    if value == "all":
        return None
    if isinstance(value, list):
        return value
    raise PydanticCustomError("selection", "harus 'all' atau daftar slug, mis. [ujian-akhir]")


Slug = Annotated[str, StringConstraints(strict=True), AfterValidator(_check_slug)]
# None means "all"; YAML authors write `all` or a list of slugs.
Selection = Annotated[list[Slug] | None, BeforeValidator(_all_or_list)]
Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
Audience = Literal["cpns", "bimtek", "umum"]
JpCategory = Literal["teknis", "manajerial", "sosial-kultural"]
Enrolment = Literal["open", "assigned"]
# The values of app.users.models.EmploymentStatus (the schema imports nothing of the app).
EmploymentStatusName = Literal["CPNS", "PNS", "PPPK", "NON_ASN"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _requires(value: Any) -> Any:
    if value in ("modules", "previous") or isinstance(value, list):
        return value
    raise PydanticCustomError(
        "requires", "harus 'modules', 'previous', atau daftar slug, mis. [spbe-dasar]"
    )


# `requires` of a quiz: what must be finished before it can be started. "modules": every
# module of the course; "previous": every item listed before it; or a list of item slugs.
Requires = Annotated[Literal["modules", "previous"] | list[Slug], BeforeValidator(_requires)]


class CourseItem(_Strict):
    """One entry of `items`: exactly one of `module: slug` or `quiz: slug`."""

    module: Slug | None = None
    quiz: Slug | None = None
    requires: Requires | None = None

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise PydanticCustomError(
                "item_shape", "setiap item ditulis 'module: slug' atau 'quiz: slug'"
            )
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> CourseItem:
        if (self.module is None) == (self.quiz is None):
            raise PydanticCustomError(
                "item_kind", "setiap item harus berisi tepat satu kunci: 'module' atau 'quiz'"
            )
        if self.requires is not None and self.quiz is None:
            raise PydanticCustomError(
                "requires_on_module", "'requires' hanya untuk kuis (modul selalu dapat dibaca)"
            )
        return self

    @property
    def kind(self) -> Literal["module", "quiz"]:
        return "module" if self.module is not None else "quiz"

    @property
    def slug(self) -> str:
        return self.module if self.module is not None else str(self.quiz)


class CompletionRule(_Strict):
    """Which items a learner must finish; None (`all` in YAML) means every item of that kind."""

    modules: Selection = None
    quizzes: Selection = None


class AutoAssign(_Strict):
    """`assign:` — who gets the course without anyone writing a rule (e.g. every new CPNS
    gets the orientation). The course sync keeps one assignment rule in line with it; an
    admin may still switch that rule off."""

    statuses: Annotated[list[EmploymentStatusName], Field(min_length=1)]
    due_days: Annotated[int, Field(strict=True, ge=1, le=3650)] = 90
    # tmt: due `due_days` after the person's TMT (appointment date); assigned: after the day
    # the course was assigned. People without a TMT count from the assignment.
    due_from: Literal["tmt", "assigned"] = "assigned"


class CourseFile(_Strict):
    """courses/<slug>/course.yaml"""

    title: Text
    summary: Text
    audience: Audience
    jp: Annotated[int, Field(strict=True, ge=0)]
    jp_category: JpCategory | None = None
    cover: Text | None = None
    enrolment: Enrolment = "open"
    items: Annotated[list[CourseItem], Field(min_length=1)]
    completion: CompletionRule = CompletionRule()
    assign: AutoAssign | None = None


class ModuleFrontMatter(_Strict):
    """The YAML front matter of courses/<slug>/modules/<module>.md"""

    title: Text
    minutes: Annotated[int, Field(strict=True, ge=1, le=600)]


@dataclass(frozen=True)
class LoadedModule:
    slug: str
    title: str
    minutes: int
    body: str  # Markdown, front matter removed
    body_line: int  # line of the file where `body` starts, for problems found in it
    content_hash: str  # sha256 hex of the file's bytes
    source: str  # display path, e.g. courses/x/modules/a.md


@dataclass(frozen=True)
class LoadedQuiz:
    slug: str
    quiz: Quiz
    content_hash: str
    # Items to finish before starting it, as "module:slug" / "quiz:slug" (resolved `requires`).
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedCourse:
    slug: str
    title: str
    summary: str
    audience: Audience
    jp: int
    jp_category: JpCategory | None
    cover: str | None  # course-relative path, also listed in `assets`
    enrolment: Enrolment
    items: tuple[LoadedModule | LoadedQuiz, ...]  # in course order
    required_modules: frozenset[str]
    required_quizzes: frozenset[str]
    content_hash: str  # over course.yaml and every item hash, in order
    assets: frozenset[str]  # course-relative paths the web layer may serve
    assign: AutoAssign | None = None

    @property
    def modules(self) -> tuple[LoadedModule, ...]:
        return tuple(item for item in self.items if isinstance(item, LoadedModule))

    @property
    def quizzes(self) -> tuple[LoadedQuiz, ...]:
        return tuple(item for item in self.items if isinstance(item, LoadedQuiz))
