"""The dashboard's rollups stay exact: every kind of change is on the next read.

Each test changes something the way the app (or a bulk Core statement) does, then checks
the rollup figures (no period) against the live count over all time (a period that covers
everything) and against the numbers a person would expect. The property test in
tests/test_reports_queries.py covers random cities; these cover the changes one by one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, insert, inspect, select, text, update
from sqlalchemy.orm import Session

from app import migrate
from app.certificates import service as certificates
from app.certificates.models import Certificate
from app.courses.models import Course
from app.db import make_engine
from app.opds import service as opds
from app.opds.models import Opd
from app.progress.models import Enrolment
from app.reports import queries, rollups
from app.reports.filters import ReportFilter
from app.reports.models import ReportDirty, ReportRollup, ReportWeekRollup
from app.reports.periods import JAKARTA, week_start
from app.users import admin
from app.users.models import EmploymentStatus, User
from tests.test_reports_queries import _small_city, jakarta, make_course, make_enrolment

CITY = ReportFilter()
ALL_TIME = ReportFilter(completed_from=date(2000, 1, 1), completed_to=date(2100, 12, 31))
NOW = datetime(2026, 3, 20, 3, 0, tzinfo=UTC)
TRIGGERS = {
    f"report_dirty_{table}_{op}"
    for table in ("enrolments", "certificates")
    for op in ("insert", "delete", "update")
} | {"report_dirty_users_update", "report_dirty_users_delete"}


def figures(db, f: ReportFilter = CITY) -> dict[str, dict]:
    """The dashboard rows by OPD code — from the rollups — after checking that the live
    count over all time gives exactly the same."""
    rolled = {r.code: r.as_dict() for r in queries.opd_summary(db, f).rows}
    live = queries.opd_summary(db, _all_time(f))
    assert rolled == {r.code: r.as_dict() for r in live.rows}
    return rolled


def _all_time(f: ReportFilter) -> ReportFilter:
    return ReportFilter(
        course_id=f.course_id,
        audience=f.audience,
        status=f.status,
        opd_id=f.opd_id,
        completed_from=ALL_TIME.completed_from,
        completed_to=ALL_TIME.completed_to,
    )


def counts(row: dict) -> tuple:
    return (row["enrolled"], row["in_progress"], row["completed"], row["certificates"], row["jp"])


def dirty_pairs(db) -> set[tuple[int, int]]:
    db.rollback()
    return {tuple(r) for r in db.execute(select(ReportDirty.opd_id, ReportDirty.course_id))}


def test_small_city_figures_and_nothing_left_dirty(db, people):
    _small_city(db, people)
    rows = figures(db)
    # DISKOMINFO: alice and olga completed the CPNS course (10 JP each), kiki is on it.
    assert counts(rows["DISKOMINFO"]) == (3, 1, 2, 2, 20)
    assert rows["DISKOMINFO"]["average_score"] == 80
    # BAPPEDA: bob enrolled in one course, completed another whose certificate is revoked.
    assert counts(rows["BAPPEDA"]) == (2, 0, 1, 0, 0)
    assert dirty_pairs(db) == set()
    assert rollups.refresh(db) == 0  # nothing dirty: nothing to do


def test_moving_a_person_to_another_opd(db, people):
    _small_city(db, people)
    figures(db)
    admin.change_opd(db, actor=people.adi, person=people.alice, opd=people.opd_b, now=NOW, ip=None)
    rows = figures(db)
    assert counts(rows["DISKOMINFO"]) == (2, 1, 1, 1, 10)
    assert counts(rows["BAPPEDA"]) == (3, 0, 2, 1, 10)
    assert rows["DISKOMINFO"]["average_score"] == 70


def test_merging_opds_moves_everyone_in_one_bulk_update(db, people):
    _small_city(db, people)
    figures(db)
    opds.merge(db, source=people.opd_a, target=people.opd_b, actor_id=people.adi.id)
    rows = figures(db, ReportFilter(opd_id=people.opd_b.id))
    assert counts(rows["BAPPEDA"]) == (5, 1, 3, 2, 20)
    assert counts(figures(db, ReportFilter(opd_id=people.opd_a.id))["DISKOMINFO"]) == (
        0,
        0,
        0,
        0,
        0,
    )


def test_deactivating_a_person_and_changing_their_status(db, people):
    _small_city(db, people)
    figures(db)
    admin.set_active(db, actor=people.adi, person=people.olga, active=False, ip=None)
    rows = figures(db)
    assert counts(rows["DISKOMINFO"]) == (2, 1, 1, 1, 10)
    assert rows["DISKOMINFO"]["average_score"] == 90
    # Alice (CPNS) becomes PNS: the CPNS-only view loses her, the PNS view gains her.
    people.alice.employment_status = EmploymentStatus.PNS
    db.commit()
    assert counts(figures(db, ReportFilter(status="CPNS"))["DISKOMINFO"]) == (0, 0, 0, 0, 0)
    assert counts(figures(db, ReportFilter(status="PNS"))["DISKOMINFO"]) == (2, 1, 1, 1, 10)


def test_revoking_a_certificate(db, people):
    _small_city(db, people)
    figures(db)
    certificate = db.scalar(select(Certificate).where(Certificate.user_id == people.alice.id))
    certificates.revoke(
        db, certificate=certificate, reason="Uji pencabutan", actor=people.adi, now=NOW, ip=None
    )
    rows = figures(db)
    assert counts(rows["DISKOMINFO"]) == (3, 1, 2, 1, 10)


def test_deleting_a_person_takes_their_enrolments_along(db, people):
    _small_city(db, people)
    figures(db)
    db.delete(db.get(User, people.kiki.id))  # in progress, no certificate
    db.commit()
    assert counts(figures(db)["DISKOMINFO"]) == (2, 0, 2, 2, 20)


def test_bulk_core_insert_and_update_of_enrolments(db, people):
    """The importer, bench/gen_data.py and bench/seed.py write with Core, not the ORM."""
    _small_city(db, people)
    figures(db)
    course = make_course(db, "literasi-data", audience="umum", jp=3)
    db.commit()
    enrolled_at = jakarta(date(2026, 3, 1))
    db.execute(
        insert(Enrolment),
        [
            {
                "user_id": person.id,
                "course_id": course.id,
                "enrolled_at": enrolled_at,
                "status": "enrolled",
                "source": "assigned",
                "items_done": 0,
                "items_required": 3,
                "progress_percent": 0,
            }
            for person in (people.alice, people.olga, people.kiki, people.adi, people.bob)
        ],
    )
    db.commit()
    per_course = ReportFilter(course_id=course.id)
    assert counts(figures(db, per_course)["DISKOMINFO"]) == (4, 0, 0, 0, 0)
    done = jakarta(date(2026, 3, 18))
    db.execute(
        update(Enrolment)
        .where(Enrolment.course_id == course.id, Enrolment.user_id != people.bob.id)
        .values(status="completed", completed_at=done, final_score=75)
    )
    db.commit()
    rows = figures(db, per_course)
    assert counts(rows["DISKOMINFO"]) == (4, 0, 4, 0, 0)
    assert counts(rows["BAPPEDA"]) == (1, 0, 0, 0, 0)
    weeks = queries.weekly_completions(db, per_course, today=date(2026, 3, 20))
    assert weeks[-1].start == date(2026, 3, 16) and weeks[-1].completed == 4


def test_progress_that_changes_no_figure_marks_nothing(db, people):
    _small_city(db, people)
    figures(db)
    db.execute(update(Enrolment).values(progress_percent=Enrolment.progress_percent))
    db.execute(
        update(Enrolment)
        .where(Enrolment.user_id == people.kiki.id)
        .values(progress_percent=60, last_activity_at=NOW)
    )
    db.commit()
    assert dirty_pairs(db) == set()


def test_weeks_follow_jakarta_midnight_to_the_microsecond(db, people):
    """Sunday 23:59:59.999999 WIB belongs to that week; SQLite's date() would round it
    into Monday if the fraction were not cut off first."""
    course = make_course(db, "etika")
    sunday = date(2026, 3, 15)
    last_moment = datetime.combine(sunday, time(23, 59, 59, 999999), tzinfo=JAKARTA)
    for person, at in (
        (people.alice, last_moment),
        (people.olga, last_moment + timedelta(microseconds=1)),  # Monday 00:00 WIB
    ):
        make_enrolment(
            db,
            person,
            course,
            status="completed",
            enrolled_at=at - timedelta(days=3),
            completed_at=at.astimezone(UTC),
            score=80,
        )
    db.commit()
    for f in (CITY, ReportFilter(completed_from=date(2026, 1, 1))):  # rollups, then live
        weeks = queries.weekly_completions(db, f, today=date(2026, 3, 16), weeks=2)
        assert [(w.start, w.completed) for w in weeks] == [
            (week_start(sunday), 1),
            (date(2026, 3, 16), 1),
        ]


def test_a_change_during_refresh_keeps_its_pair_dirty(db, people, backend, db_url, monkeypatch):
    """The refresh clears a pair only if its seq is still the one it read. On PostgreSQL
    the change comes from another connection and commits while the refresh works; SQLite
    has one writer at a time, so there it can only come from the refreshing transaction."""
    orientasi, _ = _small_city(db, people)
    figures(db)
    kiki = select(Enrolment.id).where(Enrolment.user_id == people.kiki.id).scalar_subquery()
    db.execute(update(Enrolment).where(Enrolment.id == kiki).values(status="enrolled"))
    db.commit()
    pair = (people.opd_a.id, orientasi.id)
    assert dirty_pairs(db) == {pair}

    other = make_engine(db_url)
    recompute = rollups._recompute

    def recompute_then_someone_writes(session, dialect, recomputed):
        recompute(session, dialect, recomputed)
        change = (
            update(Enrolment)
            .where(Enrolment.user_id == people.alice.id, Enrolment.course_id == orientasi.id)
            .values(final_score=50)
        )
        if backend == "postgresql":
            with other.begin() as conn:
                conn.execute(change)
        else:
            session.execute(change)

    monkeypatch.setattr(rollups, "_recompute", recompute_then_someone_writes)
    first = queries.opd_summary(db, CITY)
    monkeypatch.setattr(rollups, "_recompute", recompute)
    other.dispose()
    assert dirty_pairs(db) == {pair}  # the late change keeps it dirty …
    before = {r.code: r for r in first.rows}["DISKOMINFO"]
    assert before.in_progress == 0 and before.average_score == 80  # kiki's change, not alice's
    # … and the next read counts it (average of alice's new 50 and olga's 70).
    assert figures(db)["DISKOMINFO"]["average_score"] == 60
    assert dirty_pairs(db) == set()


def test_many_dirty_pairs_rebuild_everything(db, people, monkeypatch):
    _small_city(db, people)
    figures(db)
    monkeypatch.setattr(rollups, "FULL_REBUILD_PAIRS", 0)
    db.execute(update(User).where(User.id == people.bob.id).values(active=False))
    db.commit()
    assert counts(figures(db)["BAPPEDA"]) == (0, 0, 0, 0, 0)
    assert dirty_pairs(db) == set()


def test_triggers_exist_at_head(db, backend):
    """SQLite drops a table's triggers with the table: a later migration that recreates
    users, enrolments or certificates (batch "move and copy") must create them again."""
    if backend == "sqlite":
        names = db.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    else:
        names = db.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
    assert TRIGGERS <= set(names)


def test_upgrading_a_database_with_data_builds_the_rollups_on_first_read(db, db_url):
    """Data from before the rollups migration: every pair starts dirty."""
    db.close()
    migrate.downgrade(db_url, "ce8244155755")
    engine = make_engine(db_url)
    assert "report_rollups" not in inspect(engine).get_table_names()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(Opd), [{"id": 1, "code": "A", "name": "A", "created_at": now}])
        conn.execute(
            insert(Course),
            [
                {
                    "id": 1,
                    "slug": "c",
                    "title": "C",
                    "summary": "-",
                    "audience": "umum",
                    "jp": 2,
                    "content_hash": "0" * 64,
                    "assets": [],
                    "synced_at": now,
                }
            ],
        )
        conn.execute(
            insert(User),
            [{"id": 1, "full_name": "A", "opd_id": 1, "created_at": now, "nip": "1" * 18}],
        )
        conn.execute(
            insert(Enrolment),
            [{"user_id": 1, "course_id": 1, "enrolled_at": now, "status": "in_progress"}],
        )
    migrate.upgrade(db_url)
    # A new engine: the old one's connections may hold statements prepared on old tables.
    with Session(engine) as fresh:
        assert dirty_pairs(fresh) == {(1, 1)}
        assert counts(figures(fresh)["A"]) == (1, 1, 0, 0, 0)
        assert fresh.scalar(select(ReportRollup.enrolled)) == 1
        assert fresh.scalar(select(ReportWeekRollup.completions)) is None
    engine.dispose()


def test_rollup_rows_of_vanished_pairs_are_removed(db, people):
    orientasi, etika = _small_city(db, people)
    figures(db)
    db.execute(delete(Certificate))
    db.execute(delete(Enrolment))
    db.commit()
    figures(db)
    assert db.scalar(select(ReportRollup.opd_id)) is None
    assert db.scalar(select(ReportWeekRollup.opd_id)) is None
