"""Login, logout, sessions, throttling and CSRF through HTTP — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import event, func, select

from app.audit.models import AuditEvent
from app.auth.models import AuthSession
from tests.conftest import NIPS, PASSWORD


def test_login_page_is_indonesian_and_sets_anon_cookie(client):
    response = client.get("/masuk")
    assert response.status_code == 200
    assert "Masuk ke Cakap" in response.text
    assert "NIP atau email" in response.text
    assert "cakap_anon" in response.cookies


def test_anonymous_is_redirected_to_login(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/masuk?next=/"


def test_login_with_nip_then_home(client, people):
    response = client.login(NIPS["alice"])
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "cakap_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/")
    assert home.status_code == 200
    assert "Alice Rahmawati" in home.text


def test_login_with_spaced_nip_and_email(client, people):
    spaced = "19900101 201501 2 001"
    client.login(spaced)
    assert client.get("/").status_code == 200
    client.submit("/keluar", page="/")
    client.login("ALICE@uji.go.id")
    assert "Alice" in client.get("/").text


def test_wrong_password_unknown_and_malformed_nip(client, people, db):
    r = client.submit("/masuk", {"identifier": NIPS["alice"], "password": "salah-sekali"})
    assert r.status_code == 422
    assert "NIP/email atau kata sandi salah" in r.text
    r = client.submit("/masuk", {"identifier": "199901012020011999", "password": "apa-saja-123"})
    assert r.status_code == 422
    assert "NIP/email atau kata sandi salah" in r.text  # same message: no account enumeration
    r = client.submit("/masuk", {"identifier": "12345", "password": "apa-saja-123"})
    assert r.status_code == 422
    assert "NIP harus 18 digit" in r.text
    assert db.scalar(select(func.count()).select_from(AuthSession)) == 0
    actions = db.scalars(select(AuditEvent.action)).all()
    assert actions.count("login.failed") == 2


def test_htmx_login_error_returns_fragment(client, people):
    token = client.csrf()
    r = client.post(
        "/masuk",
        data={"identifier": NIPS["alice"], "password": "salah-sekali", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert "<html" not in r.text
    assert 'id="login-form"' in r.text and "kata sandi salah" in r.text


def test_htmx_login_success_uses_hx_redirect(client, people):
    token = client.csrf()
    r = client.post(
        "/masuk",
        data={
            "identifier": NIPS["alice"],
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/akun",
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert r.headers["HX-Redirect"] == "/akun"


def test_open_redirect_refused(client, people):
    token = client.csrf()
    r = client.post(
        "/masuk",
        data={
            "identifier": NIPS["alice"],
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_sixth_wrong_password_is_throttled(client, people, clock):
    for _ in range(5):
        r = client.submit("/masuk", {"identifier": NIPS["bob"], "password": "salah-sekali"})
        assert r.status_code == 422
    r = client.submit("/masuk", {"identifier": NIPS["bob"], "password": PASSWORD})
    assert r.status_code == 429
    assert "Terlalu banyak percobaan" in r.text
    # Other accounts are unaffected.
    client.login(NIPS["alice"])
    client.submit("/keluar", page="/")
    # After the window passes, the right password works again.
    clock.advance(minutes=16)
    client.login(NIPS["bob"])


def test_session_rotates_at_login_and_dies_at_logout(client, people, db):
    client.login(NIPS["alice"])
    first = client.cookies.get("cakap_session")
    client.submit("/keluar", page="/")
    assert db.scalar(select(func.count()).select_from(AuthSession)) == 0
    assert client.get("/", follow_redirects=False).status_code == 303
    # A login while a (planted) session cookie exists issues a new id.
    client.cookies.clear()
    client.cookies.set("cakap_session", first, domain="testserver.local")
    client.login(NIPS["alice"])
    assert client.cookies.get("cakap_session") != first


def test_idle_and_absolute_timeouts(client, people, clock):
    client.login(NIPS["alice"])
    clock.advance(minutes=119)
    assert client.get("/").status_code == 200  # activity keeps it alive
    clock.advance(minutes=119)
    assert client.get("/").status_code == 200
    clock.advance(minutes=121)  # idle too long
    assert client.get("/", follow_redirects=False).status_code == 303
    client.login(NIPS["alice"])
    for _ in range(7):  # active all day, but the absolute limit (12 h) still ends it
        clock.advance(minutes=110)
        assert client.get("/").status_code == 200
    clock.advance(minutes=110)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_post_without_csrf_is_refused_and_changes_nothing(client, people, db):
    client.login(NIPS["alice"])
    r = client.post(
        "/akun/kata-sandi",
        data={"current": PASSWORD, "new": "baru-sekali-123", "confirm": "baru-sekali-123"},
    )
    assert r.status_code == 403
    assert "CSRF" in r.text
    # token in the query string does not count
    token = client.csrf("/akun")
    r = client.post(
        f"/akun/kata-sandi?csrf_token={token}",
        data={"current": PASSWORD, "new": "baru-sekali-123", "confirm": "baru-sekali-123"},
    )
    assert r.status_code == 403
    client.submit("/keluar", page="/")
    client.login(NIPS["alice"])  # old password still works


def test_csrf_token_of_another_session_is_refused(make_client, people):
    a, b = make_client(), make_client()
    a.login(NIPS["alice"])
    b.login(NIPS["bob"])
    token_b = b.csrf("/akun")
    r = a.post("/keluar", data={"csrf_token": token_b})
    assert r.status_code == 403
    r = a.post("/keluar", headers={"X-CSRF-Token": token_b})
    assert r.status_code == 403
    assert a.get("/").status_code == 200  # still logged in


def test_htmx_header_token_is_accepted(client, people):
    client.login(NIPS["alice"])
    html = client.get("/").text
    import json
    import re

    headers = json.loads(re.search(r"hx-headers='([^']+)'", html).group(1))
    r = client.post("/keluar", headers={**headers, "HX-Request": "true"})
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/masuk"


def test_password_change_rotates_and_kills_other_sessions(make_client, people):
    a, b = make_client(), make_client()
    a.login(NIPS["alice"])
    b.login(NIPS["alice"])
    before = a.cookies.get("cakap_session")
    r = a.submit(
        "/akun/kata-sandi",
        {
            "current": PASSWORD,
            "new": "frasa-baru-yang-panjang",
            "confirm": "frasa-baru-yang-panjang",
        },
        page="/akun",
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert a.cookies.get("cakap_session") != before
    assert "berhasil diubah" in a.get(r.headers["location"]).text
    assert b.get("/", follow_redirects=False).status_code == 303  # the other session died
    a.submit("/keluar", page="/")
    a.login(NIPS["alice"], "frasa-baru-yang-panjang")


def test_password_change_validation(client, people):
    client.login(NIPS["alice"])
    r = client.submit(
        "/akun/kata-sandi",
        {
            "current": "salah-salah",
            "new": "frasa-baru-yang-panjang",
            "confirm": "frasa-baru-yang-panjang",
        },
        page="/akun",
    )
    assert r.status_code == 422 and "saat ini salah" in r.text
    r = client.submit(
        "/akun/kata-sandi",
        {"current": PASSWORD, "new": "pendek", "confirm": "pendek"},
        page="/akun",
    )
    assert r.status_code == 422 and "minimal 10 karakter" in r.text
    r = client.submit(
        "/akun/kata-sandi",
        {"current": PASSWORD, "new": "frasa-baru-yang-panjang", "confirm": "lain"},
        page="/akun",
    )
    assert r.status_code == 422 and "tidak sama" in r.text


def test_over_long_fields_get_clear_errors(client, people):
    r = client.submit("/masuk", {"identifier": "9" * 300, "password": "x"})
    assert r.status_code == 422
    assert "terlalu panjang" in r.text
    r = client.submit("/masuk", {"identifier": "a" * 5000, "password": "x"})
    assert r.status_code == 422
    assert "Data tidak valid" in r.text


def test_inactive_user_cannot_log_in(client, people, db):
    people.bob.active = False
    db.commit()
    r = client.submit("/masuk", {"identifier": NIPS["bob"], "password": PASSWORD})
    assert r.status_code == 422


def test_english_locale(client, people):
    client.login(NIPS["alice"])
    r = client.submit("/bahasa", {"locale": "en"}, page="/")
    assert r.status_code == 200
    page = client.get("/akun").text
    assert "Change password" in page
    assert "Ganti kata sandi" not in page


def test_login_redirect_keeps_the_query_string(client, people):
    r = client.get("/bimtek/absen?sesi=1&hari=2&kode=ABC123", follow_redirects=False)
    assert (
        r.headers["location"] == "/masuk?next=/bimtek/absen%3Fsesi%3D1%26hari%3D2%26kode%3DABC123"
    )
    token = client.csrf(r.headers["location"])
    done = client.post(
        "/masuk",
        data={
            "identifier": NIPS["alice"],
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/bimtek/absen?sesi=1&hari=2&kode=ABC123",
        },
        follow_redirects=False,
    )
    assert done.headers["location"] == "/bimtek/absen?sesi=1&hari=2&kode=ABC123"


def test_concurrent_logins_never_hit_database_is_locked(people, settings, db):
    """A login storm (found by the benchmark): many logins at once, each hashing for tens of
    milliseconds, must all succeed — no SQLite 'database is locked'."""
    import threading

    from app.auth import service
    from app.auth.passwords import Hasher
    from app.db import make_engine, make_sessionmaker, utcnow

    hasher = Hasher(8 * 1024, 2, 1)
    stored = hasher.hash(PASSWORD)
    for person in (people.alice, people.bob, people.olga, people.kiki):
        person.password_hash = stored
    db.commit()
    engine = make_engine(settings.db_url)
    maker = make_sessionmaker(engine, settings)
    nips = [NIPS[k] for k in ("alice", "bob", "olga", "kiki")]
    barrier = threading.Barrier(8)
    outcomes, errors = [], []

    def worker(i: int):
        try:
            barrier.wait()
            for round_ in range(3):
                with maker() as s:
                    password = PASSWORD if (i + round_) % 2 == 0 else "salah-sekali"
                    result = service.login(
                        s,
                        identifier=nips[i % 4],
                        password=password,
                        hasher=hasher,
                        settings=settings,
                        now=utcnow(),
                        ip=f"10.0.0.{i}",
                    )
                    outcomes.append(result.outcome.value)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert not errors, errors
    assert sorted(set(outcomes)) == ["invalid", "ok"] and len(outcomes) == 24


def test_nip_typed_as_printed_on_an_sk_logs_in(client, people):
    """'19900101 201501 2 001' — with the spaces of a printed SK — is the same NIP."""
    nip = NIPS["alice"]
    spaced = f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    response = client.submit(
        "/masuk", {"identifier": spaced, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303


def test_an_account_not_activated_yet_is_told_so(client, people, db):
    people.bob.password_hash = None
    db.commit()
    response = client.submit("/masuk", {"identifier": NIPS["bob"], "password": "apa-saja-123"})
    assert response.status_code == 422
    assert "belum diaktifkan" in response.text and "admin OPD" in response.text
    # An unknown NIP or a wrong password still gets the one generic message.
    wrong = client.submit("/masuk", {"identifier": NIPS["alice"], "password": "salah-123456"})
    assert "belum diaktifkan" not in wrong.text and "kata sandi salah" in wrong.text


def test_a_page_reads_session_user_opd_and_roles_in_one_statement(client, people):
    """Every authenticated page starts with the session lookup: one Core statement for
    the session, its user, OPD and roles — the account page needs nothing else."""
    client.login(NIPS["olga"])
    client.get("/akun")  # the session's last-seen touch is done; the next view only reads
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    engine = client.app.state.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/akun")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert page.status_code == 200
    assert "Olga Siregar" in page.text and "Dinas Komunikasi dan Informatika" in page.text
    queries = [s for s in sent if not s.startswith("BEGIN")]
    assert len(queries) == 1, sent
    assert "FROM auth_sessions JOIN users" in queries[0] and "user_roles" in queries[0]


def test_the_session_lookup_takes_no_thread_hop_on_sqlite(client, people, backend):
    """On SQLite the session is read on the event loop (app.web.session.EventLoopReader),
    so a page takes one thread hop (its route), not two; on PostgreSQL, where a read is a
    network round trip, it stays in a thread. The route's own queries never run there."""
    client.login(NIPS["alice"])
    client.get("/kursus")  # last-seen touch done: the next lookup has nothing to write
    loop_thread = client.portal.call(threading.get_ident)
    seen: list[tuple[str, int]] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append((statement, threading.get_ident()))

    engine = client.app.state.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/kursus").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    lookup = {t for s, t in seen if "FROM auth_sessions" in s}
    route = {t for s, t in seen if "FROM courses" in s}
    assert lookup and route
    assert loop_thread not in route
    if backend == "sqlite":
        assert lookup == {loop_thread}
    else:
        assert loop_thread not in lookup


def test_page_views_write_the_last_seen_time_at_most_every_five_minutes(client, people, clock):
    """A page view is a read: the session's last-seen time is written only when it is five
    minutes old (the idle timeout is counted in hours)."""
    client.login(NIPS["alice"])
    engine = client.app.state.engine
    writes: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE auth_sessions"):
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(4):
            clock.advance(minutes=1)
            assert client.get("/akun").status_code == 200
        assert writes == []
        clock.advance(minutes=1)
        assert client.get("/akun").status_code == 200
        assert len(writes) == 1
    finally:
        event.remove(engine, "before_cursor_execute", record)
