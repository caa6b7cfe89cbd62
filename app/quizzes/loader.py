"""Quiz file on disk -> `Quiz`, with every problem of the file reported as `path:line`.

The file is validated piece by piece (settings, then each question on its own) so that one
broken question does not hide the problems of the others, and so that rules spanning the
file (unique ids, the draw) can still be checked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from app.quizzes.schema import (
    QUESTION_MODELS,
    QUESTION_TYPES,
    Draw,
    Issue,
    QuestionModel,
    Quiz,
    QuizSettings,
    bank_issues,
    draw_issues,
    question_issues,
    question_loc,
)
from app.sourcefile import Loc, Problem, SourceError, YamlDoc, parse_yaml

# Indonesian wording for pydantic's error types. sourcefile.validate passes pydantic's
# English text through for anything but missing/extra keys; authors here read Indonesian.
_MESSAGES = {
    "missing": "kunci wajib '{name}' tidak ada",
    "extra_forbidden": "kunci '{name}' tidak dikenal",
    "string_type": "{name}: harus berupa teks (apit dengan tanda kutip bila berupa angka, "
    "tanggal, atau true/false)",
    "int_type": "{name}: harus berupa bilangan bulat",
    "float_type": "{name}: harus berupa angka",
    "bool_type": "{name}: harus true atau false",
    "list_type": "{name}: harus berupa daftar",
    "dict_type": "{name}: harus berupa pemetaan (kunci: nilai)",
    "model_type": "{name}: harus berupa pemetaan (kunci: nilai)",
    "literal_error": "{name}: harus salah satu dari {expected}",
    "greater_than": "{name}: harus lebih besar dari {gt}",
    "greater_than_equal": "{name}: minimal {ge}",
    "less_than_equal": "{name}: maksimal {le}",
    "finite_number": "{name}: harus berupa angka biasa (bukan .inf atau .nan)",
    "too_short": "{name}: minimal {min_length} isian",
}


def quiz_content_hash(path: Path) -> str:
    """sha256 (hex) of the file's bytes — changes whenever the author edits the file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_quiz(path: Path, display_path: str | None = None) -> tuple[Quiz | None, list[Problem]]:
    """Read and validate a quiz file; never raises on bad input.

    Returns the quiz (None if there is any error) and all problems, errors and warnings,
    sorted by line.
    """
    shown = display_path or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(shown, 1, f"berkas tidak dapat dibaca: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(shown, line, "berkas bukan UTF-8; simpan ulang sebagai UTF-8")]
    return load_quiz_text(text, shown)


def load_quiz_text(text: str, display_path: str) -> tuple[Quiz | None, list[Problem]]:
    """Like load_quiz, for YAML text already in memory (imports, previews)."""
    try:
        doc = parse_yaml(text.removeprefix("\ufeff"), display_path)
    except SourceError as exc:
        return None, [exc.problem]
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        # parse_yaml only guards the composer; building values can still fail
        # (`!!python/object`, `2024-13-45`, `!!int zz`, a list used as a key).
        return None, [_unreadable_value(text, display_path, exc)]
    return validate_quiz_doc(doc)


def _unreadable_value(text: str, path: str, exc: Exception) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else _first_bad_scalar_line(text)
    reason = getattr(exc, "problem", None) or str(exc)
    return Problem(path, line, f"YAML tidak valid: {reason}")


def _first_bad_scalar_line(text: str) -> int:
    """Line of the first scalar the safe loader cannot turn into a value (1 if none is found)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return 1
    for node in _scalar_nodes(root):
        loader = yaml.SafeLoader("")
        try:
            loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError):
            return node.start_mark.line + 1
        finally:
            loader.dispose()
    return 1


def _scalar_nodes(node: yaml.Node | None) -> Iterator[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            yield from _scalar_nodes(child)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalar_nodes(key)
            yield from _scalar_nodes(value)


def validate_quiz_doc(doc: YamlDoc) -> tuple[Quiz | None, list[Problem]]:
    """Validate parsed quiz YAML; the quiz is None when any problem is an error."""
    data = doc.data
    if not isinstance(data, dict):
        message = (
            "berkas kuis harus berupa pemetaan kunci: nilai (title, pass_mark, questions, ...)"
        )
        return None, [doc.problem((), message)]
    draw, problems = _validate_settings(doc, data)
    questions, question_problems = _validate_questions(doc, data)
    problems += question_problems
    issues = [issue for index, q in questions for issue in question_issues(q, index)]
    issues += _bank_and_draw_issues(data.get("questions"), draw)
    problems += [doc.problem(issue.loc, issue.message, issue.level) for issue in issues]
    if any(problem.level == "error" for problem in problems):
        return None, sorted(set(problems))
    quiz, final_problems = validate_model(Quiz, doc, (), data)
    return quiz, sorted(set(problems + final_problems))


def _validate_settings(doc: YamlDoc, data: dict[str, Any]) -> tuple[Draw | None, list[Problem]]:
    # The draw is validated on its own so that its mistakes show up even when another
    # setting is wrong, and so the draw checks get a Draw whenever the draw itself is valid.
    settings_data = {k: v for k, v in data.items() if k not in ("questions", "draw")}
    _, problems = validate_model(QuizSettings, doc, (), settings_data)
    if data.get("draw") is None:
        return None, problems
    draw, draw_problems = validate_model(Draw, doc, ("draw",), data["draw"])
    return draw, problems + draw_problems


def _bank_and_draw_issues(raw_questions: Any, draw: Draw | None) -> list[Issue]:
    # Ids and tags are read from what the author wrote, not only from the questions that
    # validated: a typo in one question must not hide a duplicate id or skew the draw check.
    if not isinstance(raw_questions, list) or not raw_questions:
        return []
    issues = bank_issues(_raw_ids(raw_questions))
    if draw is not None:
        issues += draw_issues(draw, _raw_tags(raw_questions))
    return issues


def _validate_questions(
    doc: YamlDoc, data: dict[str, Any]
) -> tuple[list[tuple[int, QuestionModel]], list[Problem]]:
    if "questions" not in data:
        return [], [doc.problem((), "kunci wajib 'questions' tidak ada")]
    raw = data["questions"]
    if not isinstance(raw, list) or not raw:
        return [], [
            doc.problem(("questions",), "questions: harus berupa daftar soal yang tidak kosong")
        ]
    valid: list[tuple[int, QuestionModel]] = []
    problems: list[Problem] = []
    for index, item in enumerate(raw):
        question, item_problems = _validate_question(doc, index, item)
        problems += item_problems
        if question is not None:
            valid.append((index, question))
    return valid, problems


def _validate_question(
    doc: YamlDoc, index: int, item: Any
) -> tuple[QuestionModel | None, list[Problem]]:
    loc = question_loc(index)
    if not isinstance(item, dict):
        return None, [doc.problem(loc, "soal harus berupa pemetaan (id, type, text, ...)")]
    if "type" not in item:
        return None, [doc.problem(loc, "kunci wajib 'type' tidak ada")]
    model = QUESTION_MODELS.get(item["type"]) if isinstance(item["type"], str) else None
    if model is None:
        allowed = ", ".join(QUESTION_TYPES)
        return None, [
            doc.problem((*loc, "type"), f"type '{item['type']}' tidak dikenal; pilih: {allowed}")
        ]
    return validate_model(model, doc, loc, item)


def _raw_ids(raw_questions: list[Any]) -> list[tuple[int, str]]:
    return [
        (index, item["id"])
        for index, item in enumerate(raw_questions)
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]


def _raw_tags(raw_questions: list[Any]) -> list[list[str]]:
    tags = []
    for item in raw_questions:
        item_tags = item.get("tags") if isinstance(item, dict) else None
        listed = item_tags if isinstance(item_tags, list) else []
        tags.append([tag for tag in listed if isinstance(tag, str)])
    return tags


def validate_model(
    model: type[BaseModel], doc: YamlDoc, loc: Loc, data: Any
) -> tuple[Any, list[Problem]]:
    """Validate `data` (found at `loc` in `doc`) against `model`; errors become Problems."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, [_problem_from_error(doc, loc, err) for err in exc.errors()]


def _problem_from_error(doc: YamlDoc, loc: Loc, err: Any) -> Problem:
    err_loc = tuple(part for part in err["loc"] if part != "[key]")
    names = [part for part in (*loc, *err_loc) if isinstance(part, str)]
    name = names[-1] if names else "(dokumen)"
    template = _MESSAGES.get(err["type"])
    if template is None:
        # Our own PydanticCustomErrors already carry an Indonesian message.
        message = f"{name}: {err['msg']}"
    else:
        context = {key: _plain(value) for key, value in (err.get("ctx") or {}).items()}
        message = template.format(name=name, **context)
    return doc.problem((*loc, *err_loc), message)


def _plain(value: Any) -> Any:
    """Context values as an author would write them: 0 not 0.0, 'a, b' not "'a' or 'b'"."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.replace(" or ", ", ")
    return value
