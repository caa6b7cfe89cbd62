"""Coverage-guided fuzzing (atheris) of every parser that reads people's files.

    .venv/bin/python tests/fuzz/fuzz_parsers.py gift -runs=20000

Each target must only ever return problems (file:line or row messages) — any exception is a
finding. Run through `make fuzz`; the hypothesis versions of these run in `make test`.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from app.quizzes.aiken import parse_aiken
    from app.quizzes.gift import parse_gift
    from app.quizzes.loader import load_quiz_text
    from app.sourcefile import SourceError, split_front_matter
    from app.users.importer import parse_import


def _text(data: bytes) -> str:
    return atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))


def gift(data: bytes) -> None:
    parse_gift(_text(data), "fuzz.gift")


def aiken(data: bytes) -> None:
    parse_aiken(_text(data), "fuzz.txt")


def quiz(data: bytes) -> None:
    load_quiz_text(_text(data), "fuzz.yaml")


def module(data: bytes) -> None:
    try:
        split_front_matter(_text(data), "fuzz.md")
    except SourceError:
        pass


def csv_import(data: bytes) -> None:
    parse_import(data, "fuzz.csv", today=date(2026, 11, 23))


def xlsx_import(data: bytes) -> None:
    parse_import(b"PK" + data, "fuzz.xlsx", today=date(2026, 11, 23))


TARGETS = {f.__name__: f for f in (gift, aiken, quiz, module, csv_import, xlsx_import)}

if __name__ == "__main__":
    name = sys.argv[1]
    corpus = Path(__file__).parent.parent / "fixtures"
    atheris.Setup([sys.argv[0], *sys.argv[2:]], TARGETS[name])
    atheris.Fuzz()
