"""The outbox and `cakap notify run`: written once per event, sent once, retried with
backoff while the mail server is down — against a real SMTP server on loopback."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.db import make_engine, make_sessionmaker
from app.notifications import delivery
from app.notifications.mail import SmtpTransport
from app.notifications.models import Channel, Notification, Status
from app.notifications.outbox import enqueue
from app.users.service import create_user


def _queue(db, person, key="uji:1", **kw):
    enqueue(db, recipient=person, kind="smtp_test", dedup_key=key, now=kw.pop("now"), **kw)


def _rows(db, **where):
    db.commit()  # a fresh snapshot: SQLite keeps an open read transaction's
    db.expire_all()
    stmt = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Notification, name) == value)
    return db.scalars(stmt).all()


def test_retry_delay_doubles_up_to_the_cap():
    delays = [
        delivery.retry_delay(n, base_seconds=60, max_seconds=3600).total_seconds()
        for n in range(1, 9)
    ]
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_enqueue_writes_each_channel_once_per_key(db, people, clock):
    _queue(db, people.alice, now=clock.now)
    _queue(db, people.alice, now=clock.now)  # the same event again: nothing new
    db.commit()
    rows = _rows(db)
    assert [(r.channel, r.status) for r in rows] == [
        (Channel.email, Status.waiting),
        (Channel.in_app, Status.sent),
    ]
    email = rows[0]
    assert email.to_address == "alice@uji.go.id"
    assert email.subject == "Uji pengiriman email Cakap"
    assert "Yth. Alice Rahmawati," in email.body_text
    assert (
        "http://testserver/" in email.body_text and 'href="http://testserver/"' in email.body_html
    )
    assert rows[1].body_text is None  # in-app shows subject and summary only


def test_enqueue_only_flushes_the_callers_transaction_decides(db, people, clock):
    _queue(db, people.alice, now=clock.now)
    db.rollback()
    assert _rows(db) == []


def test_person_without_email_gets_the_in_app_notice_only(db, people, clock):
    person = create_user(db, full_name="Tanpa Surel", nip="199203032019031003", opd=people.opd_a)
    _queue(db, person, now=clock.now)
    db.commit()
    assert [r.channel for r in _rows(db)] == [Channel.in_app]


def test_run_sends_text_and_html_with_a_link_back(db, people, clock, settings, mail_server):
    _queue(db, people.alice, now=clock.now)
    db.commit()

    report = delivery.run(db, settings=settings, clock=clock)

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [message] = mail_server.received
    assert message["To"] == "alice@uji.go.id"
    assert message["Subject"] == "Uji pengiriman email Cakap"
    assert message["From"] == "Cakap <noreply@testserver>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert "http://testserver/" in mail_server.text(message)
    assert 'href="http://testserver/"' in mail_server.html(message)
    [row] = _rows(db, channel=Channel.email)
    assert row.status == Status.sent and row.attempts == 1 and row.sent_at == clock.now
    assert message["Message-ID"] == f"<cakap.notification.{row.id}@testserver>"
    # A second run finds nothing to do.
    assert delivery.run(db, settings=settings, clock=clock).sent == 0
    assert len(mail_server.received) == 1


def test_server_down_then_back_retries_with_backoff(db, people, clock, settings, mail_server):
    _queue(db, people.alice, now=clock.now)
    _queue(db, people.bob, key="uji:2", now=clock.now)
    db.commit()
    mail_server.stop()

    down = delivery.run(db, settings=settings, clock=clock)

    assert down.unreachable and "Connection" in down.unreachable
    assert (down.sent, down.retrying) == (0, 2)
    for row in _rows(db, channel=Channel.email):
        assert row.status == Status.waiting and row.attempts == 1
        assert row.next_attempt_at == clock.now + timedelta(seconds=60)
        assert "Connection" in row.last_error

    mail_server.start()
    # Not yet due: the backoff holds even when the server is back.
    assert delivery.run(db, settings=settings, clock=clock).sent == 0
    clock.advance(seconds=61)
    back = delivery.run(db, settings=settings, clock=clock)

    assert (back.sent, back.unreachable) == (2, None)
    assert sorted(m["To"] for m in mail_server.received) == ["alice@uji.go.id", "bob@uji.go.id"]
    assert {r.status for r in _rows(db, channel=Channel.email)} == {Status.sent}
    assert all(r.last_error is None for r in _rows(db, channel=Channel.email))


def test_a_refused_address_fails_with_the_servers_answer(db, people, clock, settings, mail_server):
    mail_server.refuse["alice@uji.go.id"] = "550 5.1.1 Mailbox tidak dikenal"
    _queue(db, people.alice, now=clock.now)
    _queue(db, people.bob, key="uji:2", now=clock.now)
    db.commit()

    report = delivery.run(db, settings=settings, clock=clock)

    assert (report.sent, report.failed) == (1, 1)
    alice = _rows(db, channel=Channel.email, user_id=people.alice.id)[0]
    assert alice.status == Status.failed
    assert alice.last_error == "550 5.1.1 Mailbox tidak dikenal"
    assert [m["To"] for m in mail_server.received] == ["bob@uji.go.id"]


def test_a_busy_server_is_retried_until_max_attempts(db, people, clock, settings, mail_server):
    settings.notify_max_attempts = 3
    mail_server.refuse["alice@uji.go.id"] = "451 4.3.0 Coba lagi nanti"
    _queue(db, people.alice, now=clock.now)
    db.commit()
    statuses = []
    for _ in range(3):
        delivery.run(db, settings=settings, clock=clock)
        [row] = _rows(db, channel=Channel.email)
        statuses.append((row.status, row.attempts))
        clock.advance(hours=2)
    assert statuses == [(Status.waiting, 1), (Status.waiting, 2), (Status.failed, 3)]
    assert row.last_error == "451 4.3.0 Coba lagi nanti"
    assert mail_server.received == []


def test_a_claim_left_by_a_dead_run_is_taken_over_after_the_lease(
    db, people, clock, settings, mail_server
):
    _queue(db, people.alice, now=clock.now)
    db.commit()
    [claimed] = delivery.claim(db, now=clock.now, settings=settings, limit=10)  # then "dies"
    assert delivery.run(db, settings=settings, clock=clock).sent == 0  # still its claim
    clock.advance(minutes=settings.notify_sending_lease_minutes + 1)
    assert delivery.run(db, settings=settings, clock=clock).sent == 1
    [row] = _rows(db, channel=Channel.email)
    assert row.id == claimed.id and row.status == Status.sent and row.attempts == 2


def test_sealed_mail_keeps_its_secret_out_of_the_database(db, people, clock, settings, mail_server):
    enqueue(
        db,
        recipient=people.alice,
        kind="smtp_test",
        dedup_key="rahasia:1",
        link="/lupa-kata-sandi/TOKEN-RAHASIA",
        sensitive=True,
        now=clock.now,
    )
    db.commit()
    [row] = _rows(db, channel=Channel.email)
    assert row.sealed and "TOKEN-RAHASIA" not in row.body_text + row.body_html
    [in_app] = _rows(db, channel=Channel.in_app)
    assert in_app.body_text is None

    delivery.run(db, settings=settings, clock=clock)

    [message] = mail_server.received
    assert "http://testserver/lupa-kata-sandi/TOKEN-RAHASIA" in mail_server.text(message)
    [row] = _rows(db, channel=Channel.email)
    assert row.status == Status.sent and row.body_text is None and row.body_html is None


class _MeetingTransport(SmtpTransport):
    """Waits at a barrier before its first message: both runs have claimed by then."""

    def __init__(self, settings, barrier):
        super().__init__(settings)
        self.barrier = barrier
        self.first = True

    def send(self, message):
        if self.first:
            self.first = False
            self.barrier.wait(timeout=30)
        super().send(message)


def test_two_overlapping_runs_send_each_message_once(db, people, clock, settings, mail_server):
    for n in range(30):
        person = people.alice if n % 2 else people.bob
        _queue(db, person, key=f"uji:{n}", now=clock.now)
    db.commit()
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def one_run():
        engine = make_engine(settings.db_url)  # its own connections, like another process
        try:
            with make_sessionmaker(engine, settings)() as session:
                transport = _MeetingTransport(settings, barrier)
                with transport:
                    reports.append(
                        delivery.run(
                            session,
                            settings=settings,
                            clock=clock,
                            transport=transport,
                            batch_size=4,
                        )
                    )
        except Exception as exc:  # surfaced below
            errors.append(exc)
            barrier.abort()
        finally:
            engine.dispose()

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert sorted(r.sent for r in reports) != [0, 30], "both runs should have sent a share"
    assert sum(r.sent for r in reports) == 30
    ids = [m["Message-ID"] for m in mail_server.received]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert {r.status for r in _rows(db, channel=Channel.email)} == {Status.sent}


# Row locks are PostgreSQL's; SQLite has one writer, which the test above covers.
@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgresql_runs_skip_rows_another_run_is_claiming(
    backend, db, people, clock, settings, mail_server
):
    for n in range(4):
        _queue(db, people.alice, key=f"uji:{n}", now=clock.now)
    db.commit()
    first_two = db.scalars(
        select(Notification.id)
        .where(Notification.channel == Channel.email)
        .order_by(Notification.id)
        .limit(2)
    ).all()
    engine = make_engine(settings.db_url)
    try:
        with engine.connect() as other:
            # Another run in the middle of its claim: these two rows are locked.
            other.execute(text("SET lock_timeout = '5s'"))
            other.execute(
                text("SELECT id FROM notifications WHERE id = ANY(:ids) FOR UPDATE"),
                {"ids": list(first_two)},
            )
            report = delivery.run(db, settings=settings, clock=clock)
            other.rollback()
    finally:
        engine.dispose()
    assert report.sent == 2  # the other two, without waiting for the lock
    sent = {r.id for r in _rows(db, channel=Channel.email, status=Status.sent)}
    assert sent.isdisjoint(first_two)


def test_without_smtp_mails_wait_in_the_outbox(db, people, clock, settings):
    _queue(db, people.alice, now=clock.now)
    db.commit()
    report = delivery.run(db, settings=settings, clock=clock)
    assert report.not_configured and report.waiting == 1
    assert db.scalar(select(func.count()).select_from(Notification)) == 2


def test_messages_carry_non_ascii_subjects_names_and_bodies():
    import email
    from email.policy import default

    from app.db import utcnow
    from app.notifications.mail import Outgoing, build_message

    built = build_message(
        Outgoing(
            to="dewi@uji.go.id",
            subject="Sertifikat Anda terbit: Literasi Digital — Tingkat Lanjut",
            text="Yth. Ni Luh Ayu Kadek Ñoman,\n\nSelamat — Anda lulus.",
            html="<p>Yth. Ni Luh Ayu Kadek Ñoman,</p>",
            message_key="cakap.notification.7",
        ),
        sender="Diskominfo Kota — Cakap <noreply@kota.go.id>",
        base_url="https://cakap.kota.go.id",
        now=utcnow(),
    )
    parsed = email.message_from_bytes(built.as_bytes(), policy=default)
    assert parsed["Subject"] == "Sertifikat Anda terbit: Literasi Digital — Tingkat Lanjut"
    assert parsed["From"].addresses[0].display_name == "Diskominfo Kota — Cakap"
    assert parsed["Message-ID"] == "<cakap.notification.7@cakap.kota.go.id>"
    assert "Ñoman" in parsed.get_body(preferencelist=("plain",)).get_content()
    assert "Ñoman" in parsed.get_body(preferencelist=("html",)).get_content()
