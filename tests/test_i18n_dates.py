"""Dates and times as Indonesian offices write them (pilot finding 14): long dates, HH.MM and
the zone's name; never seconds, never "3/12/26"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app import i18n


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("full", "Kamis, 3 Desember 2026, 14.05 WIB"),
        ("long", "3 Desember 2026, 14.05 WIB"),
        ("medium", "3 Des 2026, 14.05 WIB"),
        ("short", "3 Des 2026, 14.05 WIB"),
    ],
)
def test_times_have_no_seconds_and_name_the_zone(city_zone, style, expected):
    city_zone("Asia/Jakarta")
    assert i18n.fmt_date(datetime(2026, 12, 3, 7, 5, 33, tzinfo=UTC), style) == expected


def test_times_are_in_the_citys_zone(city_zone):
    city_zone("Asia/Makassar")
    moment = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)
    assert i18n.fmt_date(moment) == "4 Desember 2026, 00.30 WITA"
    assert i18n.fmt_day(moment) == "4 Desember 2026"


def test_dates_are_never_numeric_only():
    assert i18n.fmt_date(date(2026, 12, 3), "short") == "3 Des 2026"
    assert i18n.fmt_date(date(2026, 12, 3)) == "3 Desember 2026"
