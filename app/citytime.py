"""The city's clock: its time zone (CAKAP_TIMEZONE), "today in the city", WIB/WITA/WIT.

Everything is stored in UTC; what a person reads (a check-in window, a certificate date,
a report's week or year) is in the city's zone. Indonesia's zones have had no daylight
saving since 1964, so a zone is one fixed offset — which is what lets SQLite's rollup
triggers shift by whole hours (reports/rollups.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from app.config import Settings

DEFAULT = "Asia/Jakarta"
# What offices write after a time; Babel would say "GMT+07:00".
LABELS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


@cache
def name() -> str:
    """The configured zone, read once per process from the settings (validated there)."""
    return Settings().timezone


def zone() -> ZoneInfo:
    return ZoneInfo(name())


def label() -> str:
    """WIB, WITA or WIT; for a zone outside Indonesia its offset ("UTC+08")."""
    known = LABELS.get(name())
    if known:
        return known
    hours = offset_hours()
    return f"UTC{hours:+03d}"


def offset_hours() -> int:
    """The zone's whole-hour offset from UTC (Indonesia: 7, 8 or 9)."""
    offset = datetime(2026, 1, 1, tzinfo=zone()).utcoffset() or timedelta()
    return int(offset.total_seconds() // 3600)


def local(moment: datetime) -> datetime:
    """A stored (UTC) instant as the city's wall-clock time."""
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone())


def today(now: datetime) -> date:
    """The city's calendar day at instant `now`."""
    return local(now).date()


def at(day: date, wall_clock: time) -> datetime:
    """The UTC instant when the city's clocks show `wall_clock` on its day `day` (what a
    form typed in the city's time means)."""
    return datetime.combine(day, wall_clock, zone()).astimezone(UTC)


def start_of(day: date) -> datetime:
    """Midnight of the city's day `day`, as a UTC instant."""
    return at(day, time())


def time_of_day(moment: datetime) -> str:
    """ "08.30": the city's wall-clock time, hours and minutes with a dot, no zone."""
    return f"{local(moment):%H.%M}"


def hhmm(moment: datetime | None) -> str:
    """ "08.30 WIB" — a time of day as Indonesian offices write it."""
    return f"{time_of_day(moment)} {label()}" if moment else ""


def hours(start: datetime, end: datetime) -> str:
    """ "08.00–16.00 WIB" — a span of one day, the zone written once."""
    return f"{time_of_day(start)}–{time_of_day(end)} {label()}"
