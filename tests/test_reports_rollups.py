"""The dashboard's rollups stay exact: every kind of change is on the next read.

Each test changes something the way the app (or a bulk Core statement) does, then checks
the rollup figures (no period) against the live count over all time (a period that covers
everything), against a computation from scratch (rollups.differences) and against the
numbers a person would expect. The property test in tests/test_reports_queries.py covers
random cities and changes; these cover the changes one by one.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, insert, inspect, select, text, update
from sqlalchemy.orm import Session

from app import migrate
from app.certificates import service as certificates
from app.certificates.models import Certificate
from app.courses.models import Course
from app.db import make_engine
from app.opds import service as opds
from app.opds.models import Opd
from app.progress.models import Enrolment
from app.reports import rollups
from app.reports.filters import ReportFilter
from app.reports.jp_report import jp_year
from app.reports.models import ReportRollup, ReportWeekRollup
from app.reports.opd_summary import opd_summary
from app.reports.periods import week_start
from app.reports.weekly import weekly_completions
from app.users import admin
from app.users.models import EmploymentStatus, User
from tests.test_reports_queries import JAKARTA, _small_city, jakarta, make_course, make_enrolment

CITY = ReportFilter()
ALL_TIME = ReportFilter(completed_from=date(2000, 1, 1), completed_to=date(2100, 12, 31))
NOW = datetime(2026, 3, 20, 3, 0, tzinfo=UTC)
TRIGGERS = {
    f"report_rollups_{table}_{op}"
    for table in ("enrolments", "certificates")
    for op in ("insert", "delete", "update")
} | {"report_rollups_users_update", "report_rollups_users_delete"}


def figures(db, f: ReportFilter = CITY) -> dict[str, dict]:
    """The dashboard rows by OPD code — from the rollups — after checking that the live
    count over all time gives exactly the same."""
    rolled = {r.code: r.as_dict() for r in opd_summary(db, f).rows}
    live = opd_summary(db, _all_time(f))
    assert rolled == {r.code: r.as_dict() for r in live.rows}
    assert rollups.differences(db) == []
    return rolled


def _all_time(f: ReportFilter) -> ReportFilter:
    return replace(f, completed_from=ALL_TIME.completed_from, completed_to=ALL_TIME.completed_to)


def counts(row: dict) -> tuple:
    return (row["enrolled"], row["in_progress"], row["completed"], row["certificates"], row["jp"])


def test_small_city_figures(db, people):
    _small_city(db, people)
    rows = figures(db)
    # DISKOMINFO: alice and olga completed the CPNS course (10 JP each), kiki is on it.
    assert counts(rows["DISKOMINFO"]) == (3, 1, 2, 2, 20)
    assert rows["DISKOMINFO"]["average_score"] == 80
    # BAPPEDA: bob enrolled in one course, completed another whose certificate is revoked.
    assert counts(rows["BAPPEDA"]) == (2, 0, 1, 0, 0)


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


def test_not_started_follows_starting_moving_and_leaving(db, people):
    """ "Belum mulai" from the rollups equals the live count at every step: Bob's CPNS
    enrolment (never started) moves with him, stops counting when he starts, and a bulk
    insert of unstarted enrolments counts at once."""
    cpns, umum = _small_city(db, people)

    def not_started() -> dict[str, int]:
        return {code: row["not_started"] for code, row in figures(db).items()}

    assert not_started() == {"DISKOMINFO": 0, "BAPPEDA": 1}
    admin.change_opd(db, actor=people.adi, person=people.bob, opd=people.opd_a, now=NOW, ip=None)
    assert not_started() == {"DISKOMINFO": 1, "BAPPEDA": 0}
    db.execute(
        update(Enrolment)
        .where(Enrolment.user_id == people.bob.id, Enrolment.course_id == cpns.id)
        .values(status="in_progress", started_at=NOW, progress_percent=25)
    )
    db.commit()
    assert not_started() == {"DISKOMINFO": 0, "BAPPEDA": 0}
    db.execute(
        insert(Enrolment),
        [
            {"user_id": p.id, "course_id": umum.id, "enrolled_at": NOW, "status": "enrolled"}
            for p in (people.kiki, people.adi)
        ],
    )
    db.commit()
    assert not_started() == {"DISKOMINFO": 2, "BAPPEDA": 0}
    admin.set_active(db, actor=people.adi, person=people.kiki, active=False, ip=None)
    assert not_started() == {"DISKOMINFO": 1, "BAPPEDA": 0}


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
    weeks = weekly_completions(db, per_course, today=date(2026, 3, 20))
    assert weeks[-1].start == date(2026, 3, 16) and weeks[-1].completed == 4


def test_progress_that_changes_no_figure_touches_no_rollup(db, people):
    _small_city(db, people)
    figures(db)
    before = db.execute(select(ReportRollup)).scalars().all()
    stored = [(r.opd_id, r.course_id, r.employment_status, r.enrolled) for r in before]
    # A trigger that fires writes its key, even with a zero delta: make such writes show.
    db.execute(update(ReportRollup).values(enrolled=ReportRollup.enrolled + 1000))
    db.execute(
        update(Enrolment)
        .where(Enrolment.user_id == people.kiki.id)
        .values(progress_percent=60, last_activity_at=NOW, items_done=2)
    )
    db.execute(update(User).values(full_name=User.full_name, locale="en"))
    db.execute(update(ReportRollup).values(enrolled=ReportRollup.enrolled - 1000))
    db.commit()
    db.expire_all()
    after = db.execute(select(ReportRollup)).scalars().all()
    assert [(r.opd_id, r.course_id, r.employment_status, r.enrolled) for r in after] == stored


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
        weeks = weekly_completions(db, f, today=date(2026, 3, 16), weeks=2)
        assert [(w.start, w.completed) for w in weeks] == [
            (week_start(sunday), 1),
            (date(2026, 3, 16), 1),
        ]


def test_concurrent_writers_on_the_same_key_are_all_counted(db, people, backend, db_url):
    """Two transactions add to the same rollup row at once (PostgreSQL; SQLite has one
    writer at a time): the second waits for the first's row lock, then adds to its result."""
    if backend != "postgresql":
        return
    orientasi, _ = _small_city(db, people)
    figures(db)
    other = make_engine(db_url)
    first, second = other.connect(), other.connect()
    try:
        first.begin()
        first.execute(
            update(Enrolment)
            .where(Enrolment.user_id == people.kiki.id)
            .values(status="completed", completed_at=NOW, final_score=50)
        )
        second.begin()
        second.execute(text("SET lock_timeout = '10s'"))

        def complete_adi():
            second.execute(
                insert(Enrolment).values(
                    user_id=people.adi.id,
                    course_id=orientasi.id,
                    enrolled_at=NOW,
                    status="completed",
                    completed_at=NOW,
                    final_score=100,
                )
            )
            second.commit()

        waiting = threading.Thread(target=complete_adi)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # blocked on the rollup row the first one holds
        first.commit()
        waiting.join(10)
        assert not waiting.is_alive()
    finally:
        first.close()
        second.close()
        other.dispose()
    db.rollback()
    rows = figures(db)
    # alice 90, olga 70, kiki 50, adi 100 on the CPNS course.
    assert counts(rows["DISKOMINFO"]) == (4, 0, 4, 2, 20)
    assert rows["DISKOMINFO"]["average_score"] == 77.5


def test_rebuild_repairs_writes_that_bypassed_the_triggers(db, people):
    _small_city(db, people)
    figures(db)
    db.execute(update(ReportRollup).values(enrolled=ReportRollup.enrolled + 7))
    db.execute(delete(ReportWeekRollup))
    db.commit()
    assert len(rollups.differences(db)) > 0
    rollups.rebuild(db)
    db.commit()
    assert rollups.differences(db) == []
    assert counts(figures(db)["DISKOMINFO"]) == (3, 1, 2, 2, 20)


def test_triggers_exist_at_head(db, backend):
    """SQLite drops a table's triggers with the table: a later migration that recreates
    users, enrolments or certificates (batch "move and copy") must create them again."""
    if backend == "sqlite":
        names = db.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
    else:
        names = db.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
    assert TRIGGERS <= set(names)


def test_upgrading_a_database_with_data_fills_the_rollups(db, db_url):
    """Data from before the rollups migration is counted by the migration itself."""
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
        assert counts(figures(fresh)["A"]) == (1, 1, 0, 0, 0)
        assert fresh.scalar(select(ReportRollup.enrolled)) == 1
        assert fresh.scalar(select(ReportWeekRollup.completions)) is None
    engine.dispose()


def test_keys_whose_rows_all_went_count_nothing(db, people):
    _small_city(db, people)
    figures(db)
    db.execute(delete(Certificate))
    db.execute(delete(Enrolment))
    db.commit()
    rows = figures(db)
    assert counts(rows["DISKOMINFO"]) == counts(rows["BAPPEDA"]) == (0, 0, 0, 0, 0)
    assert db.scalar(select(func.sum(ReportRollup.enrolled))) == 0
    assert db.scalar(select(func.sum(ReportWeekRollup.completions))) == 0


def test_jp_year_follows_revocations_and_moves(db, people):
    """Alice and olga earned 10 JP each in March 2026 (first triwulan), both in DISKOMINFO."""
    _small_city(db, people)

    def by_code():
        report = jp_year(db, 2026)
        assert rollups.differences(db) == []
        return {r.code: (r.people, r.met_target, r.quarters) for r in report.opds}, report

    rows, report = by_code()
    assert rows["DISKOMINFO"] == (4, 0, (20, 0, 0, 0))
    assert [(c.category, c.certificates, c.jp) for c in report.categories] == [("teknis", 2, 20)]
    certificate = db.scalar(select(Certificate).where(Certificate.user_id == people.olga.id))
    certificates.revoke(
        db, certificate=certificate, reason="Uji pencabutan", actor=people.adi, now=NOW, ip=None
    )
    admin.change_opd(db, actor=people.adi, person=people.alice, opd=people.opd_b, now=NOW, ip=None)
    rows, report = by_code()
    assert rows["DISKOMINFO"] == (3, 0, (0, 0, 0, 0))
    assert rows["BAPPEDA"] == (2, 0, (10, 0, 0, 0))
    assert [(c.category, c.certificates, c.jp) for c in report.categories] == [("teknis", 1, 10)]
    # Ten more JP for alice in the second triwulan: she reaches the 20 JP target.
    extra = make_course(db, "lanjutan", jp=10)
    done = jakarta(date(2026, 4, 1), 0, 0)  # 1 April 00:00 WIB: the second triwulan
    enrolment = make_enrolment(
        db, people.alice, extra, status="completed", enrolled_at=done, completed_at=done
    )
    db.add(
        Certificate(
            serial="UJI/JP/1",
            code="JP00000000000001",
            enrolment_id=enrolment.id,
            user_id=people.alice.id,
            course_id=extra.id,
            content_hash="0" * 64,
            jp=10,
            issued_at=done,
            payload={},
            kid="uji",
            signature="-",
        )
    )
    db.commit()
    rows, _ = by_code()
    assert rows["BAPPEDA"] == (2, 1, (10, 10, 0, 0))


def test_a_move_racing_an_enrolment_change_is_counted_right(db, people, backend, db_url):
    """PostgreSQL: kiki's enrolment completes (not yet committed) while an admin moves kiki
    to BAPPEDA. The move waits for the completion and then moves the completed enrolment;
    without that each would count the other's state from before it."""
    if backend != "postgresql":
        return
    _small_city(db, people)
    figures(db)
    other = make_engine(db_url)
    learner, admin_conn = other.connect(), other.connect()
    try:
        learner.begin()
        learner.execute(
            update(Enrolment)
            .where(Enrolment.user_id == people.kiki.id)
            .values(status="completed", completed_at=NOW, final_score=50)
        )
        admin_conn.begin()
        admin_conn.execute(text("SET lock_timeout = '10s'"))

        def move_kiki():
            admin_conn.execute(
                update(User).where(User.id == people.kiki.id).values(opd_id=people.opd_b.id)
            )
            admin_conn.commit()

        mover = threading.Thread(target=move_kiki)
        mover.start()
        mover.join(0.5)
        assert mover.is_alive()  # waits for the learner's transaction
        learner.commit()
        mover.join(10)
        assert not mover.is_alive()
    finally:
        learner.close()
        admin_conn.close()
        other.dispose()
    db.rollback()
    rows = figures(db)  # checks rollups.differences too
    assert counts(rows["DISKOMINFO"]) == (2, 0, 2, 2, 20)
    assert counts(rows["BAPPEDA"]) == (3, 0, 2, 0, 0)
