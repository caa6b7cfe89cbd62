"""Calendar boundaries in the city's time zone (app/citytime.py), as UTC instants.

Reports group by the week, quarter and year people live in, not by UTC. The boundaries are
computed here and the queries filter by UTC ranges, so SQLite (no time zones) and
PostgreSQL give the same answer. Nothing here touches the database.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement

from app import citytime


class Period(NamedTuple):
    """[start, end) as UTC instants; None where open (both None: all time)."""

    start: datetime | None = None
    end: datetime | None = None

    def conditions(self, column) -> list[ColumnElement[bool]]:
        """SQL conditions that keep a UTC timestamp column within the period."""
        conditions = []
        if self.start is not None:
            conditions.append(column >= self.start)
        if self.end is not None:
            conditions.append(column < self.end)
        return conditions


ALL_TIME = Period()


def week_start(day: date) -> date:
    """The Monday of `day`'s week (weeks start on Monday, as on Indonesian calendars)."""
    return day - timedelta(days=day.weekday())


def week_starts(anchor: date, weeks: int) -> list[date]:
    """The Mondays of the `weeks` weeks ending with the week that contains `anchor`."""
    last = week_start(anchor)
    return [last - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def year_range(year: int) -> Period:
    """[1 January, 1 January next year) in the city's zone, as UTC instants."""
    return Period(citytime.start_of(date(year, 1, 1)), citytime.start_of(date(year + 1, 1, 1)))


def quarter_ranges(year: int) -> list[Period]:
    """The four triwulan of `year`, [start, end) in the city's zone, as UTC instants."""
    starts = [date(year, month, 1) for month in (1, 4, 7, 10)] + [date(year + 1, 1, 1)]
    return [
        Period(citytime.start_of(a), citytime.start_of(b))
        for a, b in zip(starts, starts[1:], strict=False)
    ]


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1
