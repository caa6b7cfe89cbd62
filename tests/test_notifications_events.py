"""Each event notifies exactly once, in its own transaction, on both databases: a
certificate issued or revoked, a bimtek seat confirmed, a self-registration waiting for
the OPD admin (or kominfo, for an OPD without one). And the bell and the Notifikasi page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.bimtek import seats
from app.bimtek.access import BimtekError
from app.certificates import service as certificates
from app.certificates.models import Certificate
from app.courses.sync import sync_courses
from app.notifications.models import Channel, Notification
from app.progress import service as progress
from app.progress.models import Enrolment
from app.users.models import Role
from tests.conftest import NIPS
from tests.fixtures.bimtek.builders import MORNING, add_person, copy_courses, make_session, nip_for
from tests.test_certificates_http import complete_course, courses_dir  # noqa: F401


@pytest.fixture
def app(settings, clock, courses_dir):  # noqa: F811 - the certificate tests' app, own clock
    from app.main import create_app

    settings.courses_dir = courses_dir
    return create_app(settings, clock=clock)


def _notes(db, **where):
    db.commit()  # a fresh snapshot
    db.expire_all()
    stmt = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Notification, name) == value)
    return db.scalars(stmt).all()


def _channels(db, user_id, kind):
    return sorted(n.channel.value for n in _notes(db, user_id=user_id, kind=kind))


def test_certificate_issued_notifies_once_and_the_bell_counts_it(client, people, db, clock):
    client.login(NIPS["alice"])
    assert 'aria-label="Notifikasi"' in client.get("/").text  # nothing unread yet
    complete_course(client)
    enrolment = db.scalar(select(Enrolment))
    progress.recompute(db, enrolment=enrolment, now=clock())  # checked again: nothing new
    db.commit()
    assert _channels(db, people.alice.id, "certificate_issued") == ["email", "in_app"]
    cert = db.scalar(select(Certificate))
    [mail] = _notes(db, channel=Channel.email)
    assert cert.serial in mail.body_text and "http://testserver/sertifikat" in mail.body_text

    home = client.get("/").text
    assert 'aria-label="Notifikasi, 1 belum dibaca"' in home and 'class="count"' in home
    page = client.get("/notifikasi").text
    assert "Sertifikat Anda terbit: Kursus Uji Kuis" in page and cert.serial in page
    [note] = _notes(db, channel=Channel.in_app)
    opened = client.submit(
        f"/notifikasi/{note.id}/buka", page="/notifikasi", follow_redirects=False
    )
    assert opened.status_code == 303 and opened.headers["location"] == "/sertifikat"
    assert 'aria-label="Notifikasi"' in client.get("/").text
    assert _notes(db, channel=Channel.in_app)[0].read_at == clock.now


def test_certificate_revoked_notifies_once(db, people, settings, tmp_path, clock):
    sync_courses(db, root=copy_courses(tmp_path), now=MORNING)
    session = make_session(db, actor=people.adi)
    seats.nominate(
        db, session_id=session.id, person_id=people.alice.id, actor=people.adi, now=MORNING
    )
    enrolment = db.scalar(select(Enrolment).where(Enrolment.user_id == people.alice.id))
    cert = certificates.issue(db, enrolment=enrolment, now=MORNING)
    db.commit()
    for _ in range(2):  # a double click on "Cabut"
        certificates.revoke(
            db, certificate=cert, reason="Data keliru", actor=people.adi, now=MORNING, ip=None
        )
    assert _channels(db, people.alice.id, "certificate_revoked") == ["email", "in_app"]
    [mail] = _notes(db, kind="certificate_revoked", channel=Channel.email)
    assert "Alasan: Data keliru" in mail.body_text


def test_confirmed_seat_notifies_once_per_decision(db, people, tmp_path, clock):
    sync_courses(db, root=copy_courses(tmp_path), now=MORNING)
    session = make_session(db, actor=people.adi, capacity=1)
    seats.nominate(
        db, session_id=session.id, person_id=people.alice.id, actor=people.olga, now=MORNING
    )
    waiting = add_person(db, "Dewi Lestari", people.opd_a, nip=nip_for(1), email="dewi@uji.go.id")
    seats.nominate(db, session_id=session.id, person_id=waiting.id, actor=people.olga, now=MORNING)
    assert _channels(db, people.alice.id, "bimtek_confirmed") == ["email", "in_app"]
    assert _channels(db, waiting.id, "bimtek_confirmed") == []  # waitlisted: not confirmed
    [mail] = _notes(db, user_id=people.alice.id, kind="bimtek_confirmed", channel=Channel.email)
    assert "Bimtek Uji Angkatan I" in mail.body_text and "Aula Diskominfo" in mail.body_text
    assert "08.00–16.00 WIB" in mail.body_text

    # Enrolling the same people again (a course change) repeats no message.
    with seats.seat_lock(db, session.id) as locked:
        seats.enrol(db, locked, [people.alice.id], MORNING)
        db.commit()
    assert len(_notes(db, user_id=people.alice.id, kind="bimtek_confirmed")) == 2

    # Alice withdraws: Dewi is promoted from the waiting list — her own decision, told once.
    nomination = db.scalar(
        select(seats.Nomination).where(seats.Nomination.user_id == people.alice.id)
    )
    later = MORNING + timedelta(hours=1)
    seats.withdraw(db, nomination_id=nomination.id, actor=people.alice, now=later)
    assert _channels(db, waiting.id, "bimtek_confirmed") == ["email", "in_app"]


def test_self_registration_goes_to_the_opd_admin(db, people, tmp_path):
    sync_courses(db, root=copy_courses(tmp_path), now=MORNING)
    session = make_session(db, actor=people.adi, allow_self=True)
    seats.self_register(db, session_id=session.id, user=people.alice, now=MORNING)
    with pytest.raises(BimtekError):  # registering twice is refused, and tells nobody again
        seats.self_register(db, session_id=session.id, user=people.alice, now=MORNING)
    pending = _notes(db, kind="bimtek_pending")
    assert {n.user_id for n in pending} == {people.olga.id}
    assert sorted(n.channel.value for n in pending) == ["email", "in_app"]
    [mail] = [n for n in pending if n.channel == Channel.email]
    assert "Alice Rahmawati" in mail.subject
    assert "http://testserver/bimtek/sesi/" in mail.body_text
    assert "Setujui atau tolak" in mail.body_text


def test_self_registration_in_an_opd_without_admin_goes_to_kominfo(db, people, tmp_path):
    sync_courses(db, root=copy_courses(tmp_path), now=MORNING)
    session = make_session(db, actor=people.adi, allow_self=True)
    # OPD B has no OPD admin: kominfo hears of it, rather than nobody ever.
    seats.self_register(db, session_id=session.id, user=people.bob, now=MORNING)
    pending = _notes(db, kind="bimtek_pending")
    assert {n.user_id for n in pending} == {people.kiki.id}
    [mail] = [n for n in pending if n.channel == Channel.email]
    assert "belum memiliki admin OPD" in mail.body_text
    assert people.kiki.has_role(Role.kominfo)


def test_the_notifikasi_page_works_without_javascript(client, make_client, people, db, clock):
    from app.notifications.outbox import enqueue

    for n in range(3):
        enqueue(db, recipient=people.alice, kind="smtp_test", dedup_key=f"uji:{n}", now=clock.now)
    enqueue(db, recipient=people.bob, kind="smtp_test", dedup_key="uji:bob", now=clock.now)
    db.commit()
    client.login(NIPS["alice"])
    page = client.get("/notifikasi").text
    assert page.count('action="/notifikasi/') == 4  # three to open, one "mark all read"
    assert 'aria-label="Notifikasi, 3 belum dibaca"' in page
    # Bob's notification is not Alice's to open.
    [bobs] = _notes(db, user_id=people.bob.id, channel=Channel.in_app)
    assert client.submit(f"/notifikasi/{bobs.id}/buka", page="/notifikasi").status_code == 404
    done = client.submit("/notifikasi/baca-semua", page="/notifikasi", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/notifikasi"
    after = client.get("/notifikasi").text
    assert 'aria-label="Notifikasi"' in after and "Tandai semua sudah dibaca" not in after
    assert _notes(db, user_id=people.bob.id, channel=Channel.in_app)[0].read_at is None
