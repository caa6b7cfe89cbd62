"""Moodle GIFT -> questions in Cakap's quiz-file shape.

Follows Moodle's own importer (question/format/gift/format.php) where it matters: questions
are separated by blank lines, `//` starts a comment line, the first `{...}` is the answer
block, `####` starts the general feedback, and `\\` escapes `~ = # { } :`. What Cakap cannot
represent is reported, never dropped quietly: a question that cannot be imported is
skipped with an error naming its line; one imported with a change gets a warning.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from app.quizzes.gift_text import (
    find_unescaped,
    html_to_text,
    rfind_unescaped,
    split_markers,
    split_once,
    unescape,
)
from app.quizzes.schema import slugify, unique_slug
from app.quizzes.types.base import MAX_OPTIONS, MIN_OPTIONS, normalize_answer, parse_number
from app.sourcefile import Problem

QuestionDict = dict[str, Any]

BLANK = "..."  # stands for the answer in missing-word questions, as in Indonesian exam papers
_FORMAT_RE = re.compile(r"\s*\[(moodle|html|plain|markdown)\]", re.IGNORECASE)
_WEIGHT_RE = re.compile(r"\s*%(-?[0-9]+(?:\.[0-9]*)?)%")
_TAG_COMMENT_RE = re.compile(r"\[tag:([^\]]+)\]")
_ID_COMMENT_RE = re.compile(r"\[id:([^\]]+)\]")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_CATEGORY = "$CATEGORY:"


def parse_gift(text: str, path: str) -> tuple[list[QuestionDict], list[Problem]]:
    """Questions (Cakap quiz-file dicts) found in GIFT `text`, and problems sorted by line."""
    parser = _GiftParser(path)
    parser.parse(text.removeprefix("\ufeff"))
    return parser.questions, sorted(parser.problems)


# --- reading blocks ---------------------------------------------------------------------


@dataclass
class _Block:
    lines: list[tuple[int, str]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def _blocks(text: str) -> Iterator[_Block]:
    """Blank-line separated blocks; comment lines are kept apart (they may carry [tag:])."""
    block = _Block()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if block.lines or block.comments:
                yield block
                block = _Block()
        elif line.lstrip().startswith("//"):
            block.comments.append(line)
        else:
            block.lines.append((number, line))
    if block.lines or block.comments:
        yield block


@dataclass
class _Source:
    """The text of one question and the line each of its characters came from."""

    text: str
    starts: list[int]
    numbers: list[int]

    @classmethod
    def from_lines(cls, lines: list[tuple[int, str]]) -> _Source:
        starts, offset = [], 0
        for _, line in lines:
            starts.append(offset)
            offset += len(line) + 1
        return cls("\n".join(line for _, line in lines), starts, [n for n, _ in lines])

    def line_at(self, offset: int) -> int:
        return self.numbers[max(0, bisect_right(self.starts, offset) - 1)]


class _SkipQuestion(Exception):
    """Raised while parsing a question that cannot be imported; it is reported and skipped."""

    def __init__(self, offset: int, message: str):
        super().__init__(message)
        self.offset = offset
        self.message = message


# --- one question -----------------------------------------------------------------------


@dataclass
class _Choice:
    offset: int
    marker: str
    weight: float
    text: str
    feedback: str


@dataclass
class _QuestionParser:
    src: _Source
    path: str
    warnings: list[Problem] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)
    dropped_tags: set[str] = field(default_factory=set)
    title: str | None = None

    def warn(self, offset: int, message: str) -> None:
        self.warnings.append(Problem(self.path, self.src.line_at(offset), message, "warning"))

    def clean(self, raw: str | None, default_format: str) -> str:
        """Author text -> Cakap text: format prefix removed, escapes resolved, HTML to text."""
        if raw is None:
            return ""
        fmt, body = _format_prefix(raw, default_format)
        text = unescape(body).strip()
        if fmt == "html" and text:
            text, dropped = html_to_text(text)
            self.dropped_tags |= dropped
        return text

    def parse(self) -> QuestionDict:
        text = self.src.text
        start = len(text) - len(text.lstrip())
        start = self._read_title(start)
        open_at, close_at = self._answer_block(start)
        stem_format, stem_raw = _format_prefix(text[start:open_at], "moodle")
        stem = self.clean(stem_raw, stem_format)
        after = self.clean(text[close_at + 1 :], stem_format)
        question_text = _with_blank(stem, after) if after else stem
        if not question_text:
            raise _SkipQuestion(start, "teks soal kosong")
        body_raw = text[open_at + 1 : close_at]
        general_at = rfind_unescaped(body_raw, "####")
        if general_at >= 0:
            self.feedback.append(self.clean(body_raw[general_at + 4 :], stem_format))
            body_raw = body_raw[:general_at]
        question = {"text": question_text, **self._answers(body_raw, open_at + 1, stem_format)}
        if self.dropped_tags:
            tags = ", ".join(f"<{tag}>" for tag in sorted(self.dropped_tags))
            self.warn(
                start,
                f"format [html]: tag {tags} dibuang saat diubah menjadi teks; periksa hasilnya",
            )
        feedback = _join_unique(self.feedback)
        if feedback:
            question["feedback"] = feedback
        return question

    def _read_title(self, start: int) -> int:
        text = self.src.text
        if not text.startswith("::", start):
            return start
        end = find_unescaped(text, "::", start + 2)
        if end < 0:
            raise _SkipQuestion(start, "judul '::' tidak ditutup dengan '::'")
        self.title = unescape(text[start + 2 : end]).strip() or None
        rest = end + 2
        return rest + len(text[rest:]) - len(text[rest:].lstrip())

    def _answer_block(self, start: int) -> tuple[int, int]:
        text = self.src.text
        open_at, close_at = find_unescaped(text, "{", start), find_unescaped(text, "}", start)
        if open_at < 0 and close_at < 0:
            raise _SkipQuestion(
                start, "tidak ada blok jawaban {...}; soal deskripsi tanpa jawaban tidak didukung"
            )
        if close_at < 0:
            raise _SkipQuestion(open_at, "blok jawaban '{' tidak ditutup dengan '}'")
        if open_at < 0 or close_at < open_at:
            raise _SkipQuestion(close_at, "'}' tanpa '{' pembuka")
        for extra in (find_unescaped(text, "{", close_at), find_unescaped(text, "}", close_at + 1)):
            if extra >= 0:
                raise _SkipQuestion(
                    extra, "lebih dari satu blok jawaban {...} dalam satu soal tidak didukung"
                )
        return open_at, close_at

    def _answers(self, body: str, offset: int, fmt: str) -> QuestionDict:
        stripped = body.strip()
        if not stripped:
            raise _SkipQuestion(
                offset,
                "soal esai ({}) tidak didukung: Cakap hanya memuat soal yang dinilai otomatis",
            )
        if stripped.startswith("#"):
            at = body.index("#")
            return self._numeric(body[at + 1 :], offset + at + 1, fmt)
        if find_unescaped(body, "~") >= 0:
            return self._choice(body, offset, fmt)
        if find_unescaped(body, "=") >= 0 and "->" in body:
            return self._matching(body, offset, fmt)
        head, _ = split_once(body, "#")
        if head.strip().upper() in _TRUE_FALSE:
            return self._true_false(body, fmt)
        return self._short(body, offset, fmt)

    # -- true/false

    def _true_false(self, body: str, fmt: str) -> QuestionDict:
        head, rest = split_once(body, "#")
        wrong_raw, right_raw = split_once(rest, "#") if rest is not None else (None, None)
        # Cakap has one explanation per question: Moodle's "right" and "wrong" feedback join it.
        self.feedback += [self.clean(right_raw, fmt), self.clean(wrong_raw, fmt)]
        return {"type": "true_false", "answer": _TRUE_FALSE[head.strip().upper()]}

    # -- multiple choice

    def _choice(self, body: str, offset: int, fmt: str) -> QuestionDict:
        leading, pieces = split_markers(body, "=~")
        if leading.strip():
            raise _SkipQuestion(
                offset, "ada teks sebelum jawaban pertama; setiap jawaban diawali '=' atau '~'"
            )
        choices = [self._choice_item(offset + at, marker, raw, fmt) for at, marker, raw in pieces]
        self._check_option_count(choices, offset)
        if any(choice.marker == "=" for choice in choices):
            return self._single(choices, offset)
        return self._multiple(choices, offset)

    def _choice_item(self, offset: int, marker: str, raw: str, fmt: str) -> _Choice:
        weight, raw = _take_weight(raw, 100.0 if marker == "=" else 0.0)
        text_raw, feedback_raw = split_once(raw, "#")
        text = self.clean(text_raw, fmt)
        if not text:
            raise _SkipQuestion(offset, "ada jawaban yang teksnya kosong")
        return _Choice(offset, marker, weight, text, self.clean(feedback_raw, fmt))

    def _check_option_count(self, choices: list[_Choice], offset: int) -> None:
        if not MIN_OPTIONS <= len(choices) <= MAX_OPTIONS:
            raise _SkipQuestion(
                offset,
                f"soal pilihan harus punya {MIN_OPTIONS}–{MAX_OPTIONS} jawaban, "
                f"bukan {len(choices)}",
            )
        seen: set[str] = set()
        for choice in choices:
            key = normalize_answer(choice.text)
            if key in seen:
                raise _SkipQuestion(choice.offset, f"jawaban '{choice.text}' tertulis dua kali")
            seen.add(key)

    def _single(self, choices: list[_Choice], offset: int) -> QuestionDict:
        correct = [choice for choice in choices if choice.weight >= 100]
        if len(correct) != 1:
            raise _SkipQuestion(
                offset,
                "soal pilihan tunggal harus punya tepat satu jawaban benar, "
                f"ditemukan {len(correct)} "
                "(untuk beberapa jawaban benar pakai bobot, mis. ~%50%)",
            )
        for choice in choices:
            if choice.weight < 100 and choice.weight != 0:
                self.warn(
                    choice.offset,
                    f"bobot {_number(choice.weight)}% pada soal pilihan tunggal tidak didukung; "
                    f"jawaban '{choice.text}' dihitung salah",
                )
        return {"type": "single", "options": [_option(c, c.weight >= 100) for c in choices]}

    def _multiple(self, choices: list[_Choice], offset: int) -> QuestionDict:
        correct = [choice for choice in choices if choice.weight > 0]
        if not correct:
            raise _SkipQuestion(
                offset, "tidak ada jawaban benar: tandai dengan '=' atau bobot positif, mis. ~%50%"
            )
        share = 100 / len(correct)
        if any(abs(choice.weight - share) > 0.1 for choice in correct):
            weights = ", ".join(f"{_number(c.weight)}%" for c in correct)
            self.warn(
                offset,
                f"bobot jawaban benar ({weights}) diganti: di Cakap tiap jawaban benar bernilai "
                f"sama (1/{len(correct)} poin)",
            )
        return {
            "type": "multiple",
            "scoring": "partial",
            "options": [_option(c, c.weight > 0) for c in choices],
        }

    # -- matching

    def _matching(self, body: str, offset: int, fmt: str) -> QuestionDict:
        leading, pieces = split_markers(body, "=")
        if leading.strip():
            raise _SkipQuestion(
                offset, "ada teks sebelum pasangan pertama; setiap pasangan diawali '='"
            )
        pairs: list[dict[str, str]] = []
        distractors: list[str] = []
        for at, _, raw in pieces:
            arrow = find_unescaped(raw, "->")
            if arrow < 0:
                raise _SkipQuestion(offset + at, "pasangan tanpa '->' (tulis =butir -> jawaban)")
            left, right = self.clean(raw[:arrow], fmt), self.clean(raw[arrow + 2 :], fmt)
            if not right:
                raise _SkipQuestion(offset + at, "ada pasangan yang jawabannya kosong")
            if not left:
                distractors.append(right)  # Moodle: an answer without an item is a distractor
            elif normalize_answer(left) in (normalize_answer(p["left"]) for p in pairs):
                raise _SkipQuestion(offset + at, f"butir '{left}' tertulis dua kali")
            else:
                pairs.append({"left": left, "right": right})
        if not MIN_OPTIONS <= len(pairs) <= MAX_OPTIONS:
            raise _SkipQuestion(
                offset,
                f"soal menjodohkan harus punya {MIN_OPTIONS}–{MAX_OPTIONS} pasangan, "
                f"bukan {len(pairs)}",
            )
        question: QuestionDict = {"type": "matching", "pairs": pairs}
        rights = {normalize_answer(p["right"]) for p in pairs}
        for distractor in distractors:
            if normalize_answer(distractor) in rights:
                self.warn(offset, f"pengecoh '{distractor}' sama dengan jawaban pasangan; dibuang")
            else:
                question.setdefault("distractors", []).append(distractor)
        return question

    # -- short answer

    def _short(self, body: str, offset: int, fmt: str) -> QuestionDict:
        accepted: list[str] = []
        for at, raw in _answer_entries(body, offset):
            answer = self._short_answer(at, raw, fmt)
            if answer and normalize_answer(answer) not in map(normalize_answer, accepted):
                accepted.append(answer)
        if not accepted:
            raise _SkipQuestion(offset, "tidak ada jawaban yang diterima (tulis sebagai =jawaban)")
        return {"type": "short", "answers": accepted}

    def _short_answer(self, offset: int, raw: str, fmt: str) -> str | None:
        weight, raw = _take_weight(raw, 100.0)
        text_raw, feedback_raw = split_once(raw, "#")
        text = self.clean(text_raw, fmt)
        self.feedback.append(self.clean(feedback_raw, fmt))
        if not text:
            self.warn(offset, "jawaban kosong diabaikan")
            return None
        if weight < 100:
            self.warn(
                offset,
                f"jawaban '{text}' berbobot {_number(weight)}% tidak dimasukkan: jawaban singkat "
                "di Cakap benar atau salah",
            )
            return None
        if "*" in text:
            self.warn(
                offset,
                f"'*' pada jawaban '{text}' bukan wildcard di Cakap; dibandingkan apa adanya",
            )
        return text

    # -- numeric

    def _numeric(self, body: str, offset: int, fmt: str) -> QuestionDict:
        # Moodle: "~" starts the feedback shown for any other (wrong) answer.
        tilde = find_unescaped(body, "~")
        if tilde >= 0:
            self.feedback.append(self.clean(split_once(body[tilde + 1 :], "#")[1], fmt))
            body = body[:tilde]
        entries = _answer_entries(body, offset)
        if not entries:
            raise _SkipQuestion(offset, "tidak ada jawaban numerik")
        full: list[tuple[float, float]] = []
        for at, raw in entries:
            weight, value = self._numeric_entry(at, raw, fmt)
            if weight >= 100:
                full.append(value)
            else:
                self.warn(
                    at,
                    f"jawaban numerik berbobot {_number(weight)}% tidak dimasukkan: Cakap menerima "
                    "satu jawaban dengan toleransi",
                )
        if len(full) != 1:
            raise _SkipQuestion(
                offset,
                "soal numerik harus punya tepat satu jawaban bernilai penuh, "
                f"ditemukan {len(full)}",
            )
        answer, tolerance = full[0]
        question: QuestionDict = {"type": "numeric", "answer": _number(answer)}
        if tolerance:
            question["tolerance"] = _number(tolerance)
        return question

    def _numeric_entry(self, offset: int, raw: str, fmt: str) -> tuple[float, tuple[float, float]]:
        weight, raw = _take_weight(raw, 100.0)
        spec_raw, feedback_raw = split_once(raw, "#")
        self.feedback.append(self.clean(feedback_raw, fmt))
        spec = unescape(spec_raw).strip()
        value = _numeric_spec(spec)
        if value is None:
            raise _SkipQuestion(
                offset, f"jawaban numerik '{spec}' tidak valid; contoh: 20, 20:2, atau 18..22"
            )
        return weight, value


def _take_weight(raw: str, default: float) -> tuple[float, str]:
    """Split a leading '%50%' weight (in percent) off an answer."""
    match = _WEIGHT_RE.match(raw)
    return (float(match.group(1)), raw[match.end() :]) if match else (default, raw)


def _answer_entries(body: str, offset: int) -> list[tuple[int, str]]:
    """'=a =b' -> [(offset, 'a'), (offset, 'b')]; text before the first '=' is an answer too."""
    leading, pieces = split_markers(body, "=")
    entries = [(offset, leading)] if leading.strip() else []
    return entries + [(offset + at, raw) for at, _, raw in pieces]


def _format_prefix(raw: str, default: str) -> tuple[str, str]:
    """('html', 'rest') for '[html]rest'; (default, raw) when there is no format prefix."""
    match = _FORMAT_RE.match(raw)
    return (match.group(1).lower(), raw[match.end() :]) if match else (default, raw)


def _numeric_spec(spec: str) -> tuple[float, float] | None:
    """'20' -> (20, 0); '20:2' -> (20, 2); '18..22' -> (20, 2); None when malformed."""
    if ".." in spec:
        low, high = (parse_number(part) for part in spec.split("..", 1))
        if low is None or high is None or low > high:
            return None
        # Halve first: (low + high) overflows to inf near the float limit.
        return _tidy(low / 2 + high / 2), _tidy(high / 2 - low / 2)
    answer_raw, _, tolerance_raw = spec.partition(":")
    answer = parse_number(answer_raw)
    tolerance = parse_number(tolerance_raw) if tolerance_raw else 0.0
    if answer is None or tolerance is None or tolerance < 0:
        return None
    return answer, tolerance


def _tidy(value: float) -> float:
    # Range midpoints like (1.1 + 1.3) / 2 come out as 1.2000000000000002.
    return float(f"{value:.12g}")


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 1e15 else value


def _option(choice: _Choice, correct: bool) -> dict[str, Any]:
    option: dict[str, Any] = {"text": choice.text}
    if correct:
        option["correct"] = True
    if choice.feedback:
        option["feedback"] = choice.feedback
    return option


def _with_blank(stem: str, after: str) -> str:
    """Missing-word question: the answer's place becomes '...'."""
    text = f"{stem} {BLANK}" if stem else BLANK
    return text + after if after[0] in ".,;:!?)" else f"{text} {after}"


def _join_unique(parts: list[str]) -> str:
    unique = [part for i, part in enumerate(parts) if part and part not in parts[:i]]
    return "\n\n".join(unique)


# --- the whole file ---------------------------------------------------------------------


def _category_tag(path: str) -> str | None:
    """Tag for a `$CATEGORY:` path: its last level ('//' is an escaped '/')."""
    segments = re.split(r"(?<!/)/(?!/)", path.strip())
    last = segments[-1].replace("//", "/").strip()
    if not last or last.lower() == "top" or (last.startswith("$") and last.endswith("$")):
        return None
    return slugify(last) or None


class _GiftParser:
    def __init__(self, path: str):
        self.path = path
        self.questions: list[QuestionDict] = []
        self.problems: list[Problem] = []
        self.category_tag: str | None = None
        self.used_ids: set[str] = set()
        self.count = 0

    def parse(self, text: str) -> None:
        for block in _blocks(text):
            lines = block.lines
            while lines and lines[0][1].strip().startswith(_CATEGORY):
                self.category_tag = _category_tag(lines[0][1].strip()[len(_CATEGORY) :])
                lines = lines[1:]
            if lines:
                self._question(_Source.from_lines(lines), block.comments)

    def _question(self, src: _Source, comments: list[str]) -> None:
        self.count += 1
        parser = _QuestionParser(src, self.path)
        try:
            body = parser.parse()
        except _SkipQuestion as skip:
            line = src.line_at(max(skip.offset, 0))
            self.problems.append(Problem(self.path, line, f"soal dilewati: {skip.message}"))
            return
        self.problems += parser.warnings
        comment_text = " ".join(comments)
        explicit_ids = _ID_COMMENT_RE.findall(comment_text)
        base = (
            (slugify(explicit_ids[0]) if explicit_ids else "")
            or slugify(parser.title or "")
            or slugify(body["text"], 40)
            or f"soal-{self.count}"
        )
        question: QuestionDict = {"id": unique_slug(base, self.used_ids), "type": body.pop("type")}
        if "scoring" in body:
            question["scoring"] = body.pop("scoring")
        question["text"] = body.pop("text")
        tags = [self.category_tag] if self.category_tag else []
        tags += [slugify(tag) for tag in _TAG_COMMENT_RE.findall(comment_text)]
        tags = [tag for i, tag in enumerate(tags) if tag and tag not in tags[:i]]
        if tags:
            question["tags"] = tags
        if "feedback" in body:
            question["feedback"] = body.pop("feedback")
        question.update(body)
        self.questions.append(question)
