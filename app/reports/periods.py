"""Calendar boundaries in Asia/Jakarta, as UTC instants — no database.

Reports group by the week, quarter and year people live in, not by UTC. The boundaries are
computed here and the queries filter by UTC ranges, so SQLite (no time zones) and
PostgreSQL give the same answer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

JAKARTA = ZoneInfo("Asia/Jakarta")


def start_of_day(day: date) -> datetime:
    """00:00 in Jakarta on `day`, as a UTC instant."""
    return datetime(day.year, day.month, day.day, tzinfo=JAKARTA).astimezone(UTC)


def local_date(moment: datetime) -> date:
    return moment.astimezone(JAKARTA).date()


def week_start(day: date) -> date:
    """The Monday of `day`'s week (weeks start on Monday, as on Indonesian calendars)."""
    return day - timedelta(days=day.weekday())


def week_starts(anchor: date, weeks: int) -> list[date]:
    """The Mondays of the `weeks` weeks ending with the week that contains `anchor`."""
    last = week_start(anchor)
    return [last - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def year_range(year: int) -> tuple[datetime, datetime]:
    """[1 January, 1 January next year) in Jakarta, as UTC instants."""
    return start_of_day(date(year, 1, 1)), start_of_day(date(year + 1, 1, 1))


def quarter_ranges(year: int) -> list[tuple[datetime, datetime]]:
    """The four triwulan of `year`, [start, end) in Jakarta, as UTC instants."""
    starts = [date(year, month, 1) for month in (1, 4, 7, 10)] + [date(year + 1, 1, 1)]
    return [(start_of_day(a), start_of_day(b)) for a, b in zip(starts, starts[1:], strict=False)]


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1
