"""The text level of GIFT: backslash escapes, and HTML question text turned into plain text.

Moodle's importer (question/format/gift/format.php) escapes `~ = # { } :` with a backslash;
every search for a GIFT marker must skip escaped ones.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_ESCAPES = {":": ":", "#": "#", "=": "=", "{": "{", "}": "}", "~": "~", "n": "\n", "\\": "\\"}


# --- escapes -------------------------------------------------------------------------


def find_unescaped(text: str, target: str, start: int = 0) -> int:
    """Index of the first `target` at or after `start` not preceded by a backslash, or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text.startswith(target, i):
            return i
        else:
            i += 1
    return -1


def rfind_unescaped(text: str, target: str) -> int:
    last, found = -1, find_unescaped(text, target)
    while found >= 0:
        last, found = found, find_unescaped(text, target, found + 1)
    return last


def split_markers(text: str, markers: str) -> tuple[str, list[tuple[int, str, str]]]:
    """Split at unescaped marker characters: (text before the first, [(offset, marker, body)])."""
    positions: list[int] = []
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in markers:
            positions.append(i)
        i += 1
    if not positions:
        return text, []
    ends = [*positions[1:], len(text)]
    pieces = [(p, text[p], text[p + 1 : end]) for p, end in zip(positions, ends, strict=True)]
    return text[: positions[0]], pieces


def split_once(text: str, separator: str) -> tuple[str, str | None]:
    at = find_unescaped(text, separator)
    return (text, None) if at < 0 else (text[:at], text[at + len(separator) :])


def unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPES:
            out.append(_ESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


# --- HTML ------------------------------------------------------------------------------


class _HtmlText(HTMLParser):
    """Text content of an HTML fragment: tags dropped, script/style skipped, blocks kept apart.

    `dropped` names the tags whose meaning is lost (an image, a link target, x<sup>2</sup>);
    paragraphs, line breaks, lists and emphasis only lose their look.
    """

    _BLOCKS = frozenset("p div br li ul ol tr table blockquote pre h1 h2 h3 h4 h5 h6 hr".split())
    _HARMLESS = frozenset("p div br span b strong i em u ul ol li".split())
    _HIDDEN = frozenset(("script", "style"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropped: set[str] = set()
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self._HARMLESS:
            self.dropped.add(tag)
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> tuple[str, set[str]]:
    """Plain text of an HTML fragment, one paragraph per block; and the tags that lost meaning."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    return "\n\n".join(line for line in lines if line), parser.dropped
