"""Question banks from other systems (Moodle GIFT, Aiken) -> the YAML text of a quiz file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from app.quizzes.aiken import parse_aiken
from app.quizzes.gift import parse_gift
from app.sourcefile import Problem

Parser = Callable[[str, str], tuple[list[dict[str, Any]], list[Problem]]]
PARSERS: dict[str, Parser] = {"gift": parse_gift, "aiken": parse_aiken}
FORMATS: tuple[str, ...] = tuple(PARSERS)


def import_file(
    path: Path, fmt: str, *, title: str | None = None, pass_mark: int = 70
) -> tuple[str | None, list[Problem]]:
    """YAML text of a quiz file built from `path`, or None if no question could be imported.

    Problems (skipped questions, changes made on import) come sorted by line. Raises
    ValueError for an unknown format or a pass mark outside 0..100, and OSError when the
    file cannot be read: those are the caller's mistakes, not the file's.
    """
    quiz, problems = import_quiz(path, fmt, title=title, pass_mark=pass_mark)
    return (None if quiz is None else quiz_yaml(quiz)), problems


def import_quiz(
    path: Path, fmt: str, *, title: str | None = None, pass_mark: int = 70
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Like import_file, returning the quiz as a dict in the quiz-file shape."""
    parser = PARSERS.get(fmt)
    if parser is None:
        raise ValueError(
            f"unknown quiz import format {fmt!r}; expected one of {', '.join(FORMATS)}"
        )
    if not 0 <= pass_mark <= 100:
        raise ValueError(f"pass_mark must be within 0..100, got {pass_mark}")
    shown = str(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(shown, line, "berkas bukan UTF-8; simpan ulang sebagai UTF-8")]
    questions, problems = parser(text, shown)
    if not questions:
        return None, problems or [Problem(shown, 1, "tidak ada soal di berkas ini")]
    quiz = {
        "title": (title or "").strip() or default_title(path),
        "pass_mark": pass_mark,
        "questions": questions,
    }
    return quiz, problems


def quiz_yaml(quiz: dict[str, Any]) -> str:
    """A quiz dict as the text of a quiz file, keys in the documented order."""
    return yaml.safe_dump(quiz, allow_unicode=True, sort_keys=False, width=100)


def default_title(path: Path) -> str:
    """'kuis-keamanan_informasi.gift' -> 'Kuis keamanan informasi'."""
    words = path.stem.replace("_", " ").replace("-", " ").split()
    if not words:
        return "Kuis hasil impor"
    title = " ".join(words)
    return title[0].upper() + title[1:]
