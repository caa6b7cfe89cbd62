"""Seats under concurrency and a burst of check-ins — each thread with its own connection,
on SQLite (BEGIN IMMEDIATE) and PostgreSQL (SELECT … FOR UPDATE)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, insert, select

from app.bimtek import attendance, checkin, seats
from app.bimtek.models import Attendance, AttendanceMethod, Nomination, NominationStatus
from app.courses.sync import sync_courses
from app.db import make_engine, make_sessionmaker
from app.progress.models import Enrolment, EnrolmentStatus
from app.users.models import EmploymentStatus, User
from tests.fixtures.bimtek.builders import MORNING, add_person, copy_courses, make_session, nip_for

BURST = 1000
BURST_THREADS = 8


@pytest.fixture
def synced(db, tmp_path):
    sync_courses(db, root=copy_courses(tmp_path), now=MORNING)


@pytest.fixture
def maker(settings):
    # Every thread holds its own connection while it waits for the others.
    engine = make_engine(settings.db_url, pool_size=20, max_overflow=0)
    yield make_sessionmaker(engine, settings)  # as the app makes them (notices render links)
    engine.dispose()


def _run_at_once(maker, jobs) -> list[BaseException]:
    """Run each job(session) in its own thread, all released together."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(job):
        try:
            with maker() as s:
                prepared = job(s)
                barrier.wait(timeout=60)
                prepared()
        except BaseException as exc:  # collected and asserted on below
            barrier.abort()  # a thread that cannot start must not leave the others waiting
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def _counts(db, session_id: int):
    db.rollback()
    rows = db.execute(
        select(Nomination.opd_id, Nomination.status, func.count())
        .where(Nomination.session_id == session_id)
        .group_by(Nomination.opd_id, Nomination.status)
    ).all()
    return {(opd_id, NominationStatus(status)): n for opd_id, status, n in rows}


def test_concurrent_nominations_never_overbook(db, people, synced, maker):
    session = make_session(db, actor=people.adi, capacity=5, quota=3)
    opd_a = [add_person(db, f"Pegawai A{i}", people.opd_a, nip=nip_for(i)) for i in range(1, 9)]
    opd_b = [
        add_person(db, f"Pegawai B{i}", people.opd_b, nip=nip_for(100 + i)) for i in range(1, 9)
    ]
    admin_id = people.adi.id

    def job(person_id):
        def prepare(s):
            actor = s.get(User, admin_id)
            assert actor.roles  # loaded before the race starts
            return lambda: seats.nominate(
                s, session_id=session.id, person_id=person_id, actor=actor, now=MORNING
            )

        return prepare

    errors = _run_at_once(maker, [job(p.id) for p in opd_a + opd_b])
    assert not errors, errors
    counts = _counts(db, session.id)
    confirmed_a = counts.get((people.opd_a.id, NominationStatus.confirmed), 0)
    confirmed_b = counts.get((people.opd_b.id, NominationStatus.confirmed), 0)
    assert confirmed_a + confirmed_b == 5  # capacity
    assert confirmed_a <= 3 and confirmed_b <= 3  # quota
    waiting = db.scalars(
        select(Nomination.position).where(
            Nomination.session_id == session.id,
            Nomination.status == NominationStatus.waitlisted,
        )
    ).all()
    assert len(waiting) == 11 and len(set(waiting)) == 11  # every place in line is distinct
    enrolled = db.scalar(
        select(func.count()).select_from(Enrolment).where(Enrolment.course_id == session.course_id)
    )
    assert enrolled == 5


def test_concurrent_self_registration_and_approvals_never_overbook(db, people, synced, maker):
    session = make_session(db, actor=people.adi, capacity=4, quota=2, allow_self=True)
    learners = [add_person(db, f"Pegawai A{i}", people.opd_a, nip=nip_for(i)) for i in range(1, 7)]
    learners += [
        add_person(db, f"Pegawai B{i}", people.opd_b, nip=nip_for(50 + i)) for i in range(1, 7)
    ]

    def register(user_id):
        def prepare(s):
            user = s.get(User, user_id)
            return lambda: seats.self_register(s, session_id=session.id, user=user, now=MORNING)

        return prepare

    assert not _run_at_once(maker, [register(u.id) for u in learners])
    pending = _counts(db, session.id)
    assert pending[(people.opd_a.id, NominationStatus.pending)] == 6
    nomination_ids = db.scalars(
        select(Nomination.id).where(Nomination.session_id == session.id)
    ).all()
    admin_id = people.adi.id

    def approve(nomination_id):
        def prepare(s):
            actor = s.get(User, admin_id)
            assert actor.roles
            return lambda: seats.approve(s, nomination_id=nomination_id, actor=actor, now=MORNING)

        return prepare

    errors = _run_at_once(maker, [approve(i) for i in nomination_ids])
    assert not errors, errors
    counts = _counts(db, session.id)
    assert counts[(people.opd_a.id, NominationStatus.confirmed)] == 2
    assert counts[(people.opd_b.id, NominationStatus.confirmed)] == 2
    assert counts[(people.opd_a.id, NominationStatus.waitlisted)] == 4
    assert counts[(people.opd_b.id, NominationStatus.waitlisted)] == 4


def test_burst_of_1000_checkins(db, people, synced, maker, settings, backend):
    """1,000 participants check in within one code window from 8 threads."""
    session = make_session(db, actor=people.adi, capacity=BURST)
    day = session.days[0]
    db.execute(
        insert(User),
        [
            {
                "full_name": f"Peserta {i:04d}",
                "nik": f"187101{i:010d}",
                "opd_id": (people.opd_a if i % 2 else people.opd_b).id,
                "employment_status": EmploymentStatus.NON_ASN,
            }
            for i in range(BURST)
        ],
    )
    user_ids = db.scalars(select(User.id).where(User.full_name.like("Peserta %"))).all()
    opd_of = dict(db.execute(select(User.id, User.opd_id).where(User.id.in_(user_ids))).all())
    db.execute(
        insert(Nomination),
        [
            {
                "session_id": session.id,
                "user_id": uid,
                "opd_id": opd_of[uid],
                "status": NominationStatus.confirmed,
                "created_at": MORNING,
                "nominated_by": people.adi.id,
            }
            for uid in user_ids
        ],
    )
    db.execute(
        insert(Enrolment),
        [
            {
                "user_id": uid,
                "course_id": session.course_id,
                "source": "bimtek",
                "enrolled_at": MORNING,
                "status": EnrolmentStatus.enrolled,
                "items_required": 2,
            }
            for uid in user_ids
        ],
    )
    db.commit()
    assert len(user_ids) == BURST
    key = checkin.derive_key(settings.secret)
    code = checkin.current_code(key, session.id, day.id, MORNING)
    chunks = [user_ids[i::BURST_THREADS] for i in range(BURST_THREADS)]

    def job(chunk):
        def prepare(s):
            users = list(s.scalars(select(User).where(User.id.in_(chunk))))
            s.commit()

            def run():
                for user in users:
                    result = attendance.check_in(
                        s,
                        user=user,
                        code=code,
                        key=key,
                        now=MORNING,
                        session_id=session.id,
                        day_id=day.id,
                        method=AttendanceMethod.qr,
                    )
                    assert result.created

            return run

        return prepare

    started = time.perf_counter()
    errors = _run_at_once(maker, [job(c) for c in chunks])
    elapsed = time.perf_counter() - started
    print(
        f"\nbimtek burst [{backend}]: {BURST} check-ins, {BURST_THREADS} threads: {elapsed:.2f} s"
    )
    assert not errors, errors[:3]
    db.rollback()
    total, distinct = db.execute(
        select(func.count(), func.count(func.distinct(Attendance.user_id))).where(
            Attendance.day_id == day.id
        )
    ).one()
    assert total == distinct == BURST
    assert elapsed < 60
