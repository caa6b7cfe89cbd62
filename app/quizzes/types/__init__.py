"""Question types, one module each, found through TYPES (like Moodle's question/type/<qtype>/).

Every type module provides:

  NAME                    the `type:` written in quiz files
  Question                its pydantic model (the file format of one question)
  TEMPLATE                its partial, with macros `question(q, given)` for the attempt
                          page and `review(item)` for the result page
  option_order(question, shuffle, rng) -> list[int]      order of the shown options
  public_options(question, order) -> tuple[PublicOption]  what the learner may see ...
  prompts(question) -> tuple[str, ...]                    ... and the items to answer
  parse(question, values) -> response                     submitted form values, never raises
  fraction(question, response) -> float                   0..1 of the points; pure
  option_counts(question, responses, with_keys=) -> list  item statistics rows
  listed(question) -> (key, label, texts) | None          texts that must not repeat

A new type is one module here, its partial in templates/quizzes/types/, and its name below.
"""

from __future__ import annotations

from types import ModuleType

from app.quizzes.types import matching, multiple, numeric, short, single, true_false

TYPES: dict[str, ModuleType] = {
    kind.NAME: kind for kind in (single, multiple, true_false, short, numeric, matching)
}


def type_of(question_type: str) -> ModuleType:
    """The module of a question type; KeyError for a type that does not exist."""
    return TYPES[question_type]
