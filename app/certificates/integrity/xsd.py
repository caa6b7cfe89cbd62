"""XML Schema dateTime values, as Data Integrity's `created` and VC's `validFrom` use them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

# XML Schema 1.1 Part 2 dateTime lexical space; the timezone is optional there (the Data
# Integrity proof configuration step checks "a valid datetime"), fractions any length.
_DATETIME = re.compile(
    r"-?(?P<year>[0-9]{4,})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<tz>Z|[+-](?P<tzh>[0-9]{2}):(?P<tzm>[0-9]{2}))?"
)


def format_utc(moment: datetime) -> str:
    """`2026-11-23T09:00:00Z`: whole seconds in UTC, what every verifier parses."""
    if moment.tzinfo is None:
        raise ValueError("timestamps in credentials must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_datetime(value: Any) -> bool:
    """True for a valid xsd:dateTime literal (`24:00:00` included, as XML Schema allows)."""
    match = _DATETIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return False
    year, month, day = (int(match[name]) for name in ("year", "month", "day"))
    hour, minute, second = (int(match[name]) for name in ("hour", "minute", "second"))
    fraction = match["fraction"] or ""
    if match["tzh"] is not None and (int(match["tzh"]) > 14 or int(match["tzm"]) > 59):
        return False
    end_of_day = (hour, minute, second) == (24, 0, 0) and set(fraction) <= {"0"}
    if not end_of_day and (hour > 23 or minute > 59 or second > 59):
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return year != 0 and 1 <= month <= 12 and 1 <= day <= days[month - 1]
