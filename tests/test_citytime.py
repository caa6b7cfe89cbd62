"""The city's time zone is a setting (CAKAP_TIMEZONE): labels, local days, validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from pydantic import ValidationError

from app import citytime
from app.config import Settings


@pytest.mark.parametrize(
    ("zone", "label", "hours"),
    [
        ("Asia/Jakarta", "WIB", 7),
        ("Asia/Pontianak", "WIB", 7),
        ("Asia/Makassar", "WITA", 8),
        ("Asia/Jayapura", "WIT", 9),
        ("Asia/Singapore", "UTC+08", 8),
    ],
)
def test_labels_and_offsets(city_zone, zone, label, hours):
    city_zone(zone)
    assert citytime.label() == label
    assert citytime.offset_hours() == hours


def test_the_citys_day_turns_at_its_own_midnight(city_zone):
    moment = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)  # 23.30 WIB, 00.30 WITA
    city_zone("Asia/Jakarta")
    assert citytime.today(moment) == date(2026, 12, 3)
    assert citytime.hhmm(moment) == "23.30 WIB"
    city_zone("Asia/Makassar")
    assert citytime.today(moment) == date(2026, 12, 4)
    assert citytime.hhmm(moment) == "00.30 WITA"
    assert citytime.start_of(date(2026, 12, 4)) == datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
    # SQLite hands back naive datetimes; they are UTC.
    assert citytime.local(moment.replace(tzinfo=None)).hour == 0


def test_wall_clock_times_typed_and_shown_in_the_city(city_zone):
    city_zone("Asia/Jayapura")  # UTC+9: 08.00 on 1 December is 23.00 UTC the day before
    start = citytime.at(date(2026, 12, 1), time(8))
    assert start == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    end = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert citytime.time_of_day(start) == "08.00"
    assert citytime.hours(start, end) == "08.00–16.00 WIT"
    assert citytime.hhmm(None) == ""


def test_unknown_or_daylight_saving_zones_are_refused_at_start_up():
    with pytest.raises(ValidationError, match="tidak dikenal"):
        Settings(timezone="Asia/Bandar_Lampung")
    with pytest.raises(ValidationError, match="musim panas"):
        Settings(timezone="Europe/Amsterdam")
    assert Settings(timezone="Asia/Makassar").timezone == "Asia/Makassar"
