"""Reports follow the city's time zone (CAKAP_TIMEZONE), rollups and triggers included.

A city in Asia/Makassar (WITA, UTC+8) starts its week at 16:00 UTC on Sunday, not at
17:00 as Jakarta does, and its year at 16:00 UTC on 31 December. The rollups record the
zone they were computed in; while it differs from the configured one their readers refuse
with a message that says what to run, and the rebuild moves them (and the triggers, which
read the recorded zone) to the city's zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app import citytime, migrate
from app.certificates.models import Certificate
from app.cli import app as cli
from app.db import make_engine, make_sessionmaker
from app.reports import exports, rollups
from app.reports.filters import ReportFilter
from app.reports.jp_report import jp_year
from app.reports.models import ReportTimezone, ReportWeekRollup
from app.reports.weekly import weekly_completions
from tests.test_reports_http import login
from tests.test_reports_queries import make_certificate, make_course, make_enrolment
from tests.test_reports_rollups import NOW

SUNDAY = date(2026, 3, 15)
MONDAY = SUNDAY + timedelta(days=1)
# 15:59:59.999999 UTC is still Sunday in WITA; 16:00 UTC is Monday 00:00 WITA (23:00 WIB).
LAST_WITA_SUNDAY = datetime(2026, 3, 15, 15, 59, 59, 999999, tzinfo=UTC)
FIRST_WITA_MONDAY = datetime(2026, 3, 15, 16, 0, tzinfo=UTC)
NEW_YEAR_WITA = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 1 Jan 2027 00.30 WITA
runner = CliRunner()


@pytest.fixture
def makassar(monkeypatch):
    """CAKAP_TIMEZONE=Asia/Makassar, as citytime reads it (once per process)."""
    monkeypatch.setattr(citytime, "name", lambda: "Asia/Makassar")


def _complete(db, person, course, at: datetime):
    enrolment = make_enrolment(
        db,
        person,
        course,
        status="completed",
        enrolled_at=at - timedelta(days=3),
        completed_at=at,
        score=80,
    )
    make_certificate(db, enrolment, jp=course.jp, issued_at=at)


def _weeks(db, f: ReportFilter) -> list[tuple[date, int]]:
    return [(w.start, w.completed) for w in weekly_completions(db, f, today=MONDAY, weeks=2)]


def _by_rollups_and_live(db) -> list[tuple[date, int]]:
    rolled = _weeks(db, ReportFilter())
    assert _weeks(db, ReportFilter(completed_from=date(2026, 1, 1))) == rolled
    return rolled


def test_week_and_year_boundaries_move_with_the_zone(db, people, monkeypatch):
    course = make_course(db, "etika", jp=10)
    _complete(db, people.alice, course, LAST_WITA_SUNDAY)
    _complete(db, people.olga, course, FIRST_WITA_MONDAY)
    db.commit()
    # Jakarta (the migrated default): both are Sunday evening, 22.59 and 23.00 WIB.
    assert rollups.recorded_zone(db) == rollups.Zone("Asia/Jakarta", 420)
    assert _by_rollups_and_live(db) == [(SUNDAY - timedelta(days=6), 2), (MONDAY, 0)]

    monkeypatch.setattr(citytime, "name", lambda: "Asia/Makassar")
    # The rollups are still Jakarta's: reading them is refused, with what to do.
    with pytest.raises(rollups.ZoneMismatch, match="cakap report rollups --rebuild"):
        weekly_completions(db, ReportFilter(), today=MONDAY)
    with pytest.raises(rollups.ZoneMismatch, match="Asia/Makassar"):
        jp_year(db, 2026)
    # Live (a period) is the city's zone already.
    assert _weeks(db, ReportFilter(completed_from=date(2026, 1, 1))) == [
        (SUNDAY - timedelta(days=6), 1),
        (MONDAY, 1),
    ]

    rollups.rebuild(db)
    db.commit()
    assert rollups.recorded_zone(db) == rollups.Zone("Asia/Makassar", 480)
    assert rollups.differences(db) == []
    assert _by_rollups_and_live(db) == [(SUNDAY - timedelta(days=6), 1), (MONDAY, 1)]

    # The triggers read the recorded zone: a new completion at 16:00 UTC is Monday's.
    _complete(db, people.kiki, course, FIRST_WITA_MONDAY + timedelta(minutes=5))
    # And 16:30 UTC on 31 December is already next year (and its first triwulan).
    _complete(db, people.adi, make_course(db, "tahun-baru", jp=7), NEW_YEAR_WITA)
    db.commit()
    assert rollups.differences(db) == []
    assert _by_rollups_and_live(db) == [(SUNDAY - timedelta(days=6), 1), (MONDAY, 2)]
    assert jp_year(db, 2027).totals.quarters == (7, 0, 0, 0)
    assert jp_year(db, 2026).totals.jp == 30


def test_the_dashboard_refuses_until_the_rollups_are_rebuilt(
    makassar, db, people, make_client, db_url, tmp_path, monkeypatch, caplog
):
    course = make_course(db, "etika", jp=10)
    _complete(db, people.alice, course, FIRST_WITA_MONDAY)
    db.commit()
    with caplog.at_level("WARNING", logger="cakap"):
        kiki = login(make_client, "kiki")
    assert "laporan mingguan dan JP ditolak" in caplog.text  # said at start-up
    r = kiki.get("/laporan")
    assert r.status_code == 503
    assert "Asia/Jakarta" in r.text and "cakap report rollups --rebuild" in r.text
    assert kiki.get("/laporan/jp").status_code == 503
    # What reads no zoned rollup keeps working: a drill-down, a period.
    assert kiki.get(f"/laporan/opd/{people.opd_a.id}").status_code == 200
    assert kiki.get("/laporan?dari=2026-01-01").status_code == 200

    monkeypatch.setenv("CAKAP_DATABASE_URL", db_url)
    monkeypatch.setenv("CAKAP_DATA_DIR", str(tmp_path / "var"))
    check = runner.invoke(cli, ["report", "rollups"])
    assert check.exit_code == 1 and "CAKAP_TIMEZONE sekarang Asia/Makassar" in check.output
    rebuilt = runner.invoke(cli, ["report", "rollups", "--rebuild"])
    assert rebuilt.exit_code == 0 and "Asia/Makassar" in rebuilt.output
    assert runner.invoke(cli, ["report", "rollups"]).exit_code == 0

    page = kiki.get("/laporan?urut=selesai")
    assert page.status_code == 200
    assert "Senin–Minggu, WITA" in page.text
    assert "(WITA)" in kiki.get("/laporan/jp").text
    assert exports.generated_label(NOW) == "20 Maret 2026 11.00 WITA"


def test_upgrading_records_the_configured_zone(makassar, db, people, db_url):
    """The migration that introduced report_timezone records CAKAP_TIMEZONE and computes
    the rollups in it."""
    course = make_course(db, "etika", jp=10)
    _complete(db, people.alice, course, FIRST_WITA_MONDAY)
    db.commit()
    db.close()
    migrate.downgrade(db_url, "c16a00000007")
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as fresh:
        assert fresh.get(ReportTimezone, 1).name == "Asia/Makassar"
        assert fresh.scalar(select(ReportWeekRollup.week_start)) == MONDAY
        assert rollups.zone_problem(fresh) is None
        assert rollups.differences(fresh) == []
        assert fresh.scalar(select(Certificate.jp)) == 10
    engine.dispose()
