"""Moodle Aiken -> single-choice questions in Cakap's quiz-file shape.

    Apa kepanjangan SPBE?
    A. Sistem Pemerintahan Berbasis Elektronik
    B) Sistem Pelayanan Berbasis Elektronik
    ANSWER: A

The question text may span several lines (Moodle's newer importer allows it); options are
an upper-case letter, `.` or `)`, a space and the text; `ANSWER:` names one letter and ends
the question. A question that cannot be imported is skipped and reported with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.quizzes.schema import slugify, unique_slug
from app.quizzes.types.base import MAX_OPTIONS, MIN_OPTIONS, normalize_answer
from app.sourcefile import Problem

QuestionDict = dict[str, Any]

_OPTION_RE = re.compile(r"([A-Za-z])[.)](?:[ \t]+(.*))?")
_ANSWER_RE = re.compile(r"ANSWER\s*:(.*)", re.IGNORECASE)


def parse_aiken(text: str, path: str) -> tuple[list[QuestionDict], list[Problem]]:
    """Questions (Cakap quiz-file dicts) found in Aiken `text`, and problems sorted by line."""
    parser = _AikenParser(path)
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        parser.line(number, line.strip())
    parser.finish()
    return parser.questions, sorted(parser.problems)


@dataclass
class _Pending:
    line: int
    text: list[str]
    options: list[tuple[int, str, str]] = field(default_factory=list)  # (line, label, text)
    text_ended: bool = False  # a blank line ends the question text


class _AikenParser:
    def __init__(self, path: str):
        self.path = path
        self.questions: list[QuestionDict] = []
        self.problems: list[Problem] = []
        self.used_ids: set[str] = set()
        self.count = 0
        self.pending: _Pending | None = None
        # After a broken question, skip its remaining lines up to the next blank line or
        # ANSWER so they are not read as new questions and reported twice.
        self.skipping = False

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def line(self, number: int, text: str) -> None:
        if not text:
            self.skipping = False
            if self.pending is not None:
                self.pending.text_ended = True
            return
        answer = _ANSWER_RE.fullmatch(text)
        option = _OPTION_RE.fullmatch(text)
        if self.skipping:
            self.skipping = answer is None
        elif answer is not None:
            self._answer(number, answer.group(1).strip().rstrip(".)"))
        elif option is not None:
            self._option(number, option.group(1).upper(), (option.group(2) or "").strip())
        else:
            self._text(number, text)

    def _text(self, number: int, text: str) -> None:
        pending = self.pending
        if pending is not None and pending.options:
            self._skip(pending.line, "baris 'ANSWER: <huruf>' tidak ditemukan")
        elif pending is not None and pending.text_ended:
            self._skip(pending.line, "soal tanpa opsi jawaban (A. ..., B. ...)")
        elif pending is not None:
            pending.text.append(text)
            return
        self._start(number, text)

    def finish(self) -> None:
        if self.pending is not None:
            self._skip(self.pending.line, "baris 'ANSWER: <huruf>' tidak ditemukan")

    def _start(self, number: int, text: str) -> None:
        self.count += 1
        self.pending = _Pending(number, [text])

    def _skip(self, line: int, message: str) -> None:
        self.error(line, f"soal dilewati: {message}")
        self.pending = None

    def _option(self, number: int, label: str, text: str) -> None:
        if self.pending is None:
            self.count += 1
            self.error(number, f"soal dilewati: opsi {label} tanpa teks soal di atasnya")
            self.skipping = True
            return
        if not text:
            self._skip(number, f"opsi {label} kosong")
            self.skipping = True
            return
        self.pending.options.append((number, label, text))

    def _answer(self, number: int, value: str) -> None:
        pending = self.pending
        if pending is None:
            self.error(number, "baris ANSWER tanpa soal di atasnya")
            return
        self.pending = None
        message = _answer_problem(pending, value)
        if message is not None:
            self.error(number, f"soal dilewati: {message}")
            return
        self.questions.append(self._question(pending, value.upper()))

    def _question(self, pending: _Pending, answer: str) -> QuestionDict:
        text = "\n".join(pending.text)
        base = slugify(text, 40) or f"soal-{self.count}"
        options = []
        for _, label, option_text in pending.options:
            option: dict[str, Any] = {"text": option_text}
            if label == answer:
                option["correct"] = True
            options.append(option)
        return {
            "id": unique_slug(base, self.used_ids),
            "type": "single",
            "text": text,
            "options": options,
        }


def _answer_problem(pending: _Pending, value: str) -> str | None:
    """Why the finished question cannot be imported, or None."""
    labels = [label for _, label, _ in pending.options]
    count = len(labels)
    if not MIN_OPTIONS <= count <= MAX_OPTIONS:
        return f"soal harus punya {MIN_OPTIONS}–{MAX_OPTIONS} opsi, bukan {count}"
    duplicate_label = next((label for i, label in enumerate(labels) if label in labels[:i]), None)
    if duplicate_label is not None:
        return f"huruf opsi {duplicate_label} dipakai dua kali"
    texts = [normalize_answer(text) for _, _, text in pending.options]
    duplicate_text = next((i for i, text in enumerate(texts) if text in texts[:i]), None)
    if duplicate_text is not None:
        return f"opsi {labels[duplicate_text]} sama dengan opsi sebelumnya"
    if not value:
        return "ANSWER kosong; tulis huruf jawaban benar, mis. 'ANSWER: B'"
    if len(value) != 1 or not value.isalpha():
        return f"ANSWER '{value}' harus satu huruf (Aiken hanya mendukung satu jawaban benar)"
    if value.upper() not in labels:
        return f"jawaban '{value}' tidak ada di antara opsi {', '.join(labels)}"
    return None
