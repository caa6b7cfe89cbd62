"""Reading author-written files (YAML, Markdown front matter) with line-accurate problems.

Course and quiz files are written by people, so every problem must point at a file and a
line. PyYAML's composer keeps the position of every node; we keep a map from the path of
each value (keys and list indices) to its line, and translate pydantic's error locations
through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

Loc = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an author's file. `level` is "error" or "warning"."""

    path: str
    line: int
    message: str
    level: str = "error"

    def __str__(self) -> str:
        tag = "" if self.level == "error" else "peringatan: "
        return f"{self.path}:{self.line}: {tag}{self.message}"


class SourceError(Exception):
    """A file could not be read at all (bad YAML, bad front matter)."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class YamlDoc:
    """Parsed YAML plus the line (1-based) of every value, keyed by its path."""

    data: Any
    lines: dict[Loc, int]
    path: str
    line_offset: int = 0

    def line_of(self, loc: Loc) -> int:
        """Line of the deepest known prefix of `loc` (pydantic locs may go deeper than YAML)."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc] + self.line_offset
            loc = loc[:-1]
        return self.lines.get((), 1) + self.line_offset

    def problem(self, loc: Loc, message: str, level: str = "error") -> Problem:
        return Problem(self.path, self.line_of(loc), message, level)


def _construct(node: yaml.Node, loc: Loc, lines: dict[Loc, int], doc_path: str) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader.construct_scalar(yaml.SafeLoader(""), key_node)  # type: ignore[arg-type]
            if key in out:
                raise SourceError(
                    Problem(
                        doc_path, key_node.start_mark.line + 1, f"kunci '{key}' ditulis dua kali"
                    )
                )
            out[key] = _construct(value_node, (*loc, key), lines, doc_path)
            # Point at the key, not its value: a block value starts on the next line.
            lines[(*loc, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v, (*loc, i), lines, doc_path) for i, v in enumerate(node.value)]
    # Scalars: let the safe constructor resolve ints, bools, floats, dates.
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def parse_yaml(text: str, path: str, line_offset: int = 0) -> YamlDoc:
    """Parse YAML text; raise SourceError naming the line of a syntax error."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        raise SourceError(Problem(path, line, f"YAML tidak valid: {exc.problem or exc}")) from exc
    except yaml.YAMLError as exc:
        raise SourceError(Problem(path, 1 + line_offset, f"YAML tidak valid: {exc}")) from exc
    lines: dict[Loc, int] = {}
    try:
        data = None if node is None else _construct(node, (), lines, path)
    except SourceError:
        raise
    except yaml.MarkedYAMLError as exc:  # unknown tags, unhashable keys
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        raise SourceError(Problem(path, line, f"YAML tidak valid: {exc.problem or exc}")) from exc
    except (ValueError, TypeError, RecursionError, yaml.YAMLError) as exc:
        # e.g. an impossible date (2024-13-45) or a self-referencing alias
        raise SourceError(Problem(path, 1 + line_offset, f"YAML tidak valid: {exc}")) from exc
    if not lines:
        lines[()] = 1
    return YamlDoc(data=data, lines=lines, path=path, line_offset=line_offset)


@dataclass
class FrontMatterDoc:
    meta: YamlDoc
    body: str
    body_line: int  # 1-based line where the body starts


def split_front_matter(text: str, path: str) -> FrontMatterDoc:
    """Split `---`-delimited YAML front matter from a Markdown body."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise SourceError(
            Problem(path, 1, "front matter YAML tidak ditemukan (baris pertama harus '---')")
        )
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            meta = parse_yaml("".join(lines[1:i]), path, line_offset=1)
            return FrontMatterDoc(meta=meta, body="".join(lines[i + 1 :]), body_line=i + 2)
    raise SourceError(Problem(path, 1, "front matter tidak ditutup dengan '---'"))


_PYDANTIC_MESSAGES = {
    "missing": "kunci wajib '{field}' tidak ada",
    "extra_forbidden": "kunci '{field}' tidak dikenal",
    "literal_error": "{field}: '{input}' tidak dikenal; harus salah satu dari {expected}",
}


def validate(model: type[BaseModel], doc: YamlDoc, loc: Loc = (), data: Any = None):
    """Validate `doc.data` (or `data` found at `loc`) against `model`.

    Returns (instance or None, problems). Every pydantic error becomes a Problem with the
    line of the offending key or value.
    """
    payload = doc.data if data is None else data
    try:
        return model.model_validate(payload), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            err_loc = (*loc, *err["loc"])
            field = ".".join(str(p) for p in err["loc"]) or "(dokumen)"
            template = _PYDANTIC_MESSAGES.get(err["type"])
            if template:
                msg = template.format(field=field, input=err.get("input"), **err.get("ctx", {}))
            else:
                msg = f"{field}: {err['msg']}"
            problems.append(doc.problem(err_loc, msg))
        return None, problems
