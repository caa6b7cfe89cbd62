"""Security checks generated from the route table: CSRF on every state-changing route,
no GET that changes data, security headers, cookie flags, and inert user-supplied text."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, inspect, select, text

from app.users.models import User
from tests.conftest import NIPS, Browser
from tests.test_access_matrix import PATH_SAMPLES, ROLES_OF, RULES, _fill, api_routes

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Bookkeeping that GETs may write: session last-seen, rate-limit counters.
BOOKKEEPING = {"auth_sessions", "rate_limit_hits", "login_attempts", "alembic_version"}
# Written by design on GET /pantau/kuis/{id}: showing an admin a quiz's answer key records
# that they saw it (so they cannot sit the quiz); insert-if-absent, repeat views add nothing.
BOOKKEEPING |= {"quiz_key_views"}


def _unsafe_routes(app):
    for route in api_routes(app.routes):
        for method in route.methods & UNSAFE:
            yield method, route


def _snapshot(db) -> dict[str, int]:
    db.rollback()
    tables = [t for t in inspect(db.get_bind()).get_table_names() if t not in BOOKKEEPING]
    return {t: db.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar() for t in tables}


def test_every_unsafe_route_refuses_bad_csrf_and_changes_nothing(app, make_client, people, db):
    admin, other = make_client(), make_client()
    admin.login(NIPS["adi"])
    other.login(NIPS["bob"])
    other_token = other.csrf("/")
    own_token = admin.csrf("/")
    before = _snapshot(db)
    checked = 0
    for method, route in _unsafe_routes(app):
        url = _fill(route.path)
        attempts = [
            admin.request(method, url, data={}, follow_redirects=False),
            admin.request(method, url, data={"csrf_token": other_token}, follow_redirects=False),
            admin.request(
                method, url, headers={"X-CSRF-Token": other_token}, follow_redirects=False
            ),
            admin.request(method, f"{url}?csrf_token={own_token}", data={}, follow_redirects=False),
        ]
        for response in attempts:
            assert response.status_code == 403, (method, route.path, response.status_code)
        checked += 1
    assert checked >= 20
    assert _snapshot(db) == before
    assert admin.get("/").status_code == 200  # and the admin is still logged in


@pytest.mark.parametrize("role", ["anonymous", *ROLES_OF])
def test_no_get_changes_data(app, make_client, people, db, role):
    c = make_client()
    if role != "anonymous":
        c.login(NIPS[ROLES_OF[role]])
    before = _snapshot(db)
    for route in api_routes(app.routes):
        if "GET" in route.methods:
            c.get(_fill(route.path), follow_redirects=False)
    assert _snapshot(db) == before


def test_security_headers_on_pages_and_errors(client):
    for path in ("/masuk", "/tidak-ada", "/healthz"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        )
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"


def test_no_inline_script_or_style_in_pages(client, people):
    client.login(NIPS["adi"])
    for path in ("/", "/kursus", "/akun", "/admin/kursus", "/admin/pengguna", "/sertifikat"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers


def test_cookie_flags_behind_https(settings, clock, people):
    from app.main import create_app

    settings.base_url = "https://cakap.kota-uji.go.id"
    with Browser(create_app(settings, clock=clock), base_url="https://testserver") as c:
        r = c.get("/masuk")
        assert "Secure" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
        login = c.login(NIPS["alice"])
        cookie = login.headers["set-cookie"]
        assert "cakap_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()


def test_no_secret_in_any_url(client, people):
    client.login(NIPS["adi"])
    token = client.cookies.get("cakap_session")
    for path in ("/", "/kursus", "/akun", "/admin/pengguna", "/admin/impor", "/admin/kursus"):
        html = client.get(path).text
        for href in re.findall(r'(?:href|action|hx-get|hx-post)="([^"]+)"', html):
            assert "csrf" not in href.lower() and token not in href, (path, href)


def test_user_supplied_names_render_inert(client, people, db):
    people.bob.full_name = '<script>alert("nama")</script><img src=x onerror=alert(1)>'
    db.commit()
    client.login(NIPS["adi"])
    page = client.get(f"/admin/pengguna/{people.bob.id}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page
    listing = client.get("/admin/pengguna?q=bob").text
    assert "<script>alert" not in listing


def test_session_id_not_accepted_from_query(client, people):
    client.login(NIPS["alice"])
    token = client.cookies.get("cakap_session")
    anon = client.__class__(client.app, base_url="http://testserver")
    r = anon.get(f"/?cakap_session={token}", follow_redirects=False)
    assert r.status_code == 303


def test_sample_routes_cover_rules():
    # every placeholder used in a rule has a sample, so generated requests are well formed
    names = {n for _method, path in RULES for n in re.findall(r"{(\w+)", path)}
    assert names <= set(PATH_SAMPLES)


def test_users_count_helper_sees_commits(db, people):
    db.rollback()
    assert db.scalar(select(func.count()).select_from(User)) == 5


def test_request_logs_carry_no_secrets(settings, clock, people, caplog):
    import json
    import logging

    from app.main import create_app

    caplog.set_level(logging.INFO, logger="cakap.request")
    settings.log_json = True
    with Browser(create_app(settings, clock=clock), base_url="http://testserver") as client:
        client.login(NIPS["alice"])
        session = client.cookies.get("cakap_session")
        client.get("/")
        client.get("/verifikasi/ABCDEFGHJKMNPQRS?k=kid&s=tanda-tangan-rahasia")
        client.submit(
            "/aktivasi",
            {
                "identifier": NIPS["bob"],
                "code": "KODE-RAHA-SIA1",
                "password": "sandi-rahasia-99",
                "confirm": "sandi-rahasia-99",
            },
            page="/aktivasi",
        )
    text = caplog.text
    for secret in (
        "kata-sandi-uji-123",
        "sandi-rahasia-99",
        "KODE-RAHA-SIA1",
        "tanda-tangan-rahasia",
        session,
    ):
        assert secret not in text
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cakap.request"]
    assert {"request_id", "method", "path", "status", "ms", "user_id"} <= set(records[0])
    verify = next(r for r in records if r["path"].startswith("/verifikasi/"))
    assert verify["status"] == 404 and "?" not in verify["path"]
    assert any(r["user_id"] == people.alice.id for r in records)


def test_out_of_range_ids_are_not_found_not_errors(client, people):
    # found by schemathesis on the API: an id beyond the database integer range was a 500
    client.login(NIPS["adi"])
    for path in (
        "/sertifikat/99999999999999999999/pdf",
        "/admin/pengguna/9223372036854775808",
        "/kuis/percobaan/99999999999999999999",
    ):
        assert client.get(path).status_code == 404, path


def test_rate_limit_windows_long_gone_are_swept(db):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import func, select

    from app.ratelimit import SWEEP_ONE_IN, RateLimitHit, hit

    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    for i in range(50):
        assert hit(db, key=f"ip:old-{i}", limit=5, window_seconds=60, now=start)
    later = start + timedelta(minutes=30)
    for i in range(3 * SWEEP_ONE_IN):  # new visitors: some first hit sweeps
        hit(db, key=f"ip:new-{i}", limit=5, window_seconds=60, now=later)
    old = db.scalar(select(func.count()).where(RateLimitHit.key.like("ip:old-%")))
    assert old == 0
    assert db.scalar(select(func.count()).select_from(RateLimitHit)) == 3 * SWEEP_ONE_IN
