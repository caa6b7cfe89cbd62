"""Bahasa Indonesia first: message ids are Indonesian; other locales come from Babel catalogs.

Catalogs are read from the `.po` files at start-up (no compiled `.mo` to keep in sync), and
the locale of the current request lives in a context variable set by the middleware.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from app import citytime

LOCALES = {"id": "Bahasa Indonesia", "en": "English"}
DEFAULT_LOCALE = "id"
LOCALE_DIR = Path(__file__).parent / "locale"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@cache
def catalog(locale: str) -> dict[str, str]:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        cat = read_po(fh, locale=locale)
    return {
        m.id: m.string for m in cat if m.id and m.string and not m.fuzzy and isinstance(m.id, str)
    }


def gettext(message: str) -> str:
    locale = current_locale.get()
    if locale == DEFAULT_LOCALE:
        return message
    return catalog(locale).get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    # Bahasa Indonesia has no plural forms; English catalogs keep the singular id.
    return gettext(singular if n == 1 else plural)


_ = gettext


def N_(message: str) -> str:
    """Mark a constant for extraction; it is translated where it is shown."""
    return message


def pick_locale(value: str | None) -> str:
    return value if value in LOCALES else DEFAULT_LOCALE


# Times as Indonesian offices write them: "3 Desember 2026, 14.05 WIB" (or WITA, WIT: the
# city's zone) — never seconds, never "3/12/26" (Babel's short and medium styles).
_DATETIME_PATTERNS = {
    "full": "EEEE, d MMMM y, HH.mm",
    "long": "d MMMM y, HH.mm",
    "medium": "d MMM y, HH.mm",
    "short": "d MMM y, HH.mm",
}


def fmt_date(value: date | datetime | None, style: str = "long") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        pattern = _DATETIME_PATTERNS.get(style, _DATETIME_PATTERNS["long"])
        text = format_datetime(value, pattern, tzinfo=citytime.zone(), locale=current_locale.get())
        return f"{text} {citytime.label()}"
    return format_date(value, "medium" if style == "short" else style, locale=current_locale.get())


def fmt_day(value: datetime | None) -> str:
    if value is None:
        return "—"
    return format_date(citytime.today(value), "long", locale=current_locale.get())


def fmt_number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=current_locale.get())
