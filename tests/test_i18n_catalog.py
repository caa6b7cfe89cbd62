"""The English catalog covers every UI string, with the same placeholders as its msgid.

The msgids are extracted as `make messages` extracts them (babel.cfg, the Makefile's `-k`
keywords, babel's own API), so a string added to the code without an English entry fails here
rather than showing up in Indonesian on an English page. To fix a failure: `make messages`,
then translate the listed entries in app/locale/en/LC_MESSAGES/messages.po and drop `fuzzy`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from app.i18n import LOCALE_DIR

ROOT = Path(__file__).resolve().parents[1]

# %(name)s, %s, %d, a literal %%, and str.format's {name} / {}.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifreEgGxXo%]|\{[^{}]*\}")


def makefile_keywords() -> list[str]:
    """The `-k` keywords of the Makefile's `pybabel extract` line, so the two cannot drift."""
    extract = next(
        line for line in (ROOT / "Makefile").read_text().splitlines() if "pybabel extract" in line
    )
    return re.findall(r"-k\s+(\S+)", extract)


@cache
def extracted_ids() -> tuple[str | tuple[str, ...], ...]:
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(ROOT / "babel.cfg"))
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(makefile_keywords())}
    ids: dict[str | tuple[str, ...], None] = {}
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        if context:  # no pgettext in Cakap; a context would need its own catalog key
            raise AssertionError(f"unexpected message context {context!r} for {message!r}")
        msgid = message if isinstance(message, str) else tuple(m for m in message if m)
        if msgid:
            ids[msgid] = None
    return tuple(ids)


@cache
def english() -> dict[str | tuple[str, ...], Message]:
    with (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        cat = read_po(fh, locale="en")
    return {m.id: m for m in cat if m.id}


def forms(message: Message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_extraction_finds_the_ui_strings():
    ids = extracted_ids()
    assert len(ids) > 500
    assert "Masuk" in ids  # a template string
    assert "{actor} masuk ke Cakap." in ids  # an N_() constant in Python


def test_every_ui_string_has_an_english_translation():
    catalog = english()
    missing = []
    for msgid in extracted_ids():
        message = catalog.get(msgid if isinstance(msgid, str) else msgid[0])
        if message is None or message.fuzzy or not all(forms(message)):
            missing.append(msgid)
    assert not missing, (
        f"{len(missing)} UI strings have no (non-fuzzy) English translation; run `make messages` "
        "and translate them in app/locale/en/LC_MESSAGES/messages.po:\n"
        + "\n".join(repr(m) for m in missing)
    )


def test_translations_keep_the_placeholders_of_their_msgid():
    wrong = []
    for message in english().values():
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        for i, text in enumerate(forms(message)):
            if not text:
                continue
            # plural forms beyond the first are checked against the plural msgid
            source = ids[min(i, len(ids) - 1)]
            if placeholders(text) != placeholders(source):
                wrong.append(
                    f"{source!r}: {placeholders(source)} -> {text!r}: {placeholders(text)}"
                )
    assert not wrong, "translations whose placeholders differ from the msgid:\n" + "\n".join(wrong)


def test_placeholder_pattern():
    found = placeholders("%(n)s dari %(total)s, %s, 100%% dan {actor} {}")
    assert found == sorted(["%(n)s", "%(total)s", "%s", "%%", "{actor}", "{}"])
    assert placeholders("Kuis (opsional) — 5 menit") == []
