"""Forgot password over HTTP: a single-use link by e-mail (through the outbox and a real
SMTP server on loopback), 30 minutes, void after a password change, the same page whether
or not the account exists, throttled per address and per account."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import func, select

from app.auth.models import AuthSession, PasswordResetToken
from app.notifications import delivery
from app.notifications.models import Channel, Notification
from app.users.service import create_user
from tests.conftest import NIPS, PASSWORD

NEW_PASSWORD = "sandi-baru-yang-kuat-42"
LINK = re.compile(r"http://testserver(/lupa-kata-sandi/[A-Za-z0-9_-]+)")


def _ask(client, identifier):
    return client.submit("/lupa-kata-sandi", {"identifier": identifier}, page="/lupa-kata-sandi")


def _deliver(db, settings, clock):
    return delivery.run(db, settings=settings, clock=clock)


def _link(mail_server, address):
    [message] = mail_server.to(address)
    return LINK.search(mail_server.text(message)).group(1)


def _without_tokens(html: str) -> str:
    return re.sub(r'(csrf_token" value="|X-CSRF-Token": ")[^"]+', "", html)


def test_the_whole_way_ends_old_sessions_and_works_once(
    client, make_client, db, people, settings, clock, mail_server
):
    elsewhere = make_client()
    elsewhere.login(NIPS["alice"])  # a session that must end with the old password
    page = client.get("/masuk")
    assert 'href="/lupa-kata-sandi"' in page.text and "Lupa kata sandi?" in page.text

    answer = _ask(client, "alice@uji.go.id")
    assert answer.status_code == 200
    assert "kami telah mengirim tautan" in answer.text

    assert _deliver(db, settings, clock).sent == 1
    [message] = mail_server.to("alice@uji.go.id")
    assert message["Subject"] == "Atur ulang kata sandi Cakap"
    assert "30 menit" in mail_server.text(message)
    link = _link(mail_server, "alice@uji.go.id")
    assert link in mail_server.html(message)
    token = link.rsplit("/", 1)[1]
    stored = db.scalar(select(PasswordResetToken))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    # Once sent, the outbox keeps no copy of the link.
    assert (
        db.scalar(select(Notification.body_text).where(Notification.channel == Channel.email))
        is None
    )

    form = client.get(link)
    assert form.status_code == 200 and 'name="password"' in form.text
    done = client.submit(
        link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, page=link, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/akun?diubah=1"
    assert "Kata sandi berhasil diubah." in client.get(done.headers["location"]).text

    # The other browser's session is gone; one session is left (this browser's new one).
    assert elsewhere.get("/", follow_redirects=False).status_code in (302, 303)
    db.commit()  # a fresh snapshot (SQLite keeps the read transaction's)
    assert db.scalar(select(func.count()).select_from(AuthSession)) == 1
    # The link works once.
    again = client.get(link)
    assert again.status_code == 404 and "tidak berlaku lagi" in again.text
    replay = client.submit(
        link,
        {"password": "lain-lagi-sandi-99", "confirm": "lain-lagi-sandi-99"},
        page="/masuk",
        follow_redirects=False,
    )
    assert replay.status_code == 303 and replay.headers["location"] == link
    # Old password out, new password in.
    fresh = make_client()
    assert (
        fresh.submit("/masuk", {"identifier": NIPS["alice"], "password": PASSWORD}).status_code
        == 422
    )
    fresh.login(NIPS["alice"], NEW_PASSWORD)


def test_the_link_expires_after_30_minutes(client, db, people, settings, clock, mail_server):
    _ask(client, NIPS["bob"])  # by NIP: the mail goes to the registered address
    _deliver(db, settings, clock)
    link = _link(mail_server, "bob@uji.go.id")
    clock.advance(minutes=29)
    assert client.get(link).status_code == 200
    clock.advance(minutes=2)
    assert client.get(link).status_code == 404
    late = client.submit(
        link,
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        page="/masuk",
        follow_redirects=False,
    )
    assert late.status_code == 303 and late.headers["location"] == link
    db.commit()  # a fresh snapshot (SQLite keeps the read transaction's)
    db.refresh(people.bob)
    assert people.bob.password_changed_at is None


def test_a_password_change_voids_earlier_links(client, db, people, settings, clock, mail_server):
    _ask(client, "alice@uji.go.id")
    _deliver(db, settings, clock)
    link = _link(mail_server, "alice@uji.go.id")
    clock.advance(seconds=1)
    client.login(NIPS["alice"])
    changed = client.submit(
        "/akun/kata-sandi",
        {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        page="/akun",
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert client.get(link).status_code == 404


def test_the_page_is_the_same_whether_or_not_the_account_exists(client, db, people, clock):
    create_user(
        db,
        full_name="Tanpa Surel",
        nip="199203032019031003",
        opd=people.opd_a,
        password_hash=people.alice.password_hash,
    )
    db.commit()
    pages = {
        who: _without_tokens(_ask(client, who).text)
        for who in (
            "alice@uji.go.id",
            "tidak-ada@uji.go.id",
            "199203032019031003",
            "199912312020121999",
        )
    }
    assert len(set(pages.values())) == 1, "the answer must not tell who has an account"
    assert "minta admin OPD Anda" in pages["alice@uji.go.id"]
    db.commit()  # a fresh snapshot (SQLite keeps the read transaction's)
    # Only the account with an address got a link.
    assert db.scalar(select(func.count()).select_from(PasswordResetToken)) == 1
    assert db.scalars(select(Notification.to_address)).all() == ["alice@uji.go.id"]


def test_requests_are_throttled_per_account_silently(client, db, people, settings, clock):
    answers = {_without_tokens(_ask(client, "alice@uji.go.id").text) for _ in range(5)}
    assert len(answers) == 1  # the fourth and fifth look the same, and send nothing
    db.commit()  # a fresh snapshot (SQLite keeps the read transaction's)
    assert db.scalar(select(func.count()).select_from(PasswordResetToken)) == 3
    clock.advance(hours=1)
    _ask(client, NIPS["alice"])
    db.commit()  # a fresh snapshot (SQLite keeps the read transaction's)
    assert db.scalar(select(func.count()).select_from(PasswordResetToken)) == 4


def test_requests_are_throttled_per_address(client, db, people, settings):
    settings.password_reset_per_ip_per_hour = 2
    assert _ask(client, "x1@uji.go.id").status_code == 200
    assert _ask(client, "x2@uji.go.id").status_code == 200
    refused = _ask(client, "alice@uji.go.id")
    assert refused.status_code == 429 and "Terlalu banyak permintaan" in refused.text
    db.commit()  # a fresh snapshot (SQLite keeps the read transaction's)
    assert db.scalar(select(func.count()).select_from(PasswordResetToken)) == 0


def test_a_weak_new_password_keeps_the_link(client, db, people, settings, clock, mail_server):
    _ask(client, "alice@uji.go.id")
    _deliver(db, settings, clock)
    link = _link(mail_server, "alice@uji.go.id")
    weak = client.submit(link, {"password": "pendek", "confirm": "pendek"}, page=link)
    assert weak.status_code == 422 and "minimal 10 karakter" in weak.text
    assert client.get(link).status_code == 200


def test_an_admins_access_reset_voids_earlier_links(
    client, db, people, settings, clock, mail_server
):
    from app.users.admin import reset_access

    _ask(client, "alice@uji.go.id")
    _deliver(db, settings, clock)
    link = _link(mail_server, "alice@uji.go.id")
    reset_access(
        db, actor=people.adi, person=people.alice, now=clock.now, ip=None, secret=settings.secret
    )
    assert client.get(link).status_code == 404
