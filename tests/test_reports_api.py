"""The JSON API under /api/v1: API tokens (shown once, stored hashed, revocable, audited),
bearer-only authentication, OPD-scoped tokens, JSON errors, and the OpenAPI schema."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.reports.filters import ReportFilter
from app.reports.models import ApiToken
from app.reports.opd_summary import opd_summary
from app.reports.selection import build_filter
from app.users.models import Role, User
from app.users.scope import WHOLE_CITY
from tests.conftest import NIPS
from tests.test_reports_http import NOW, city, login  # noqa: F401  (the `city` fixture)

SECRET_RE = re.compile(r'<code id="token-baru" class="secret">([^<]+)</code>')


def create_token(admin, name="Dasbor kota", opd: str = "") -> str:
    r = admin.submit("/admin/token-api", {"name": name, "opd": opd}, page="/admin/token-api")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Cache-Control"] == "no-store"
    match = SECRET_RE.search(r.text)
    assert match, "the new secret is shown"
    return match.group(1)


def reread(db) -> None:
    """End the test session's read transaction, so it sees what the app committed."""
    db.rollback()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def admin(make_client, city):  # noqa: F811
    return login(make_client, "adi")


@pytest.fixture
def anon(make_client):
    return make_client()


def test_token_is_shown_once_and_stored_hashed(admin, db):
    secret = create_token(admin)
    assert secret.startswith("ckp_") and len(secret) > 40
    token = db.scalar(select(ApiToken))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.name, token.prefix, token.token_hash}
    assert secret.startswith(f"ckp_{token.prefix}_")
    assert (token.scope, token.opd_id, token.last_used_at, token.revoked_at) == (
        "read",
        None,
        None,
        None,
    )
    listing = admin.get("/admin/token-api")
    assert secret not in listing.text
    assert f"ckp_{token.prefix}_…" in listing.text and "Dasbor kota" in listing.text
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.created"))
    assert event.target == f"api_token:{token.id}" and event.detail["prefix"] == token.prefix
    assert secret not in str(event.detail)


def test_creating_needs_a_name_and_a_real_opd(admin, db, people):
    r = admin.submit("/admin/token-api", {"name": "  "}, page="/admin/token-api")
    assert r.status_code == 422 and "Nama token wajib diisi" in r.text
    r = admin.submit(
        "/admin/token-api", {"name": "x", "opd": "bukan-angka"}, page="/admin/token-api"
    )
    assert r.status_code == 422
    assert db.scalar(select(ApiToken)) is None


def test_only_admins_manage_tokens(make_client, admin, city):  # noqa: F811
    kiki = login(make_client, "kiki")
    assert kiki.get("/admin/token-api").status_code == 403
    r = kiki.submit("/admin/token-api", {"name": "x"}, page="/")
    assert r.status_code == 403


def test_api_with_a_token_matches_the_query_function(admin, anon, db):
    secret = create_token(admin)
    r = anon.get("/api/v1/opd-completion", headers=bearer(secret))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    summary = opd_summary(db, ReportFilter())
    assert body["rows"] == [row.as_dict() for row in summary.rows]
    assert body["totals"] == summary.totals.as_dict()
    assert body["totals"]["completion_percent"] == 71.4 and body["totals"]["jp"] == 46
    # "Belum mulai": Bob's orientasi in BAPPEDA is the one enrolment nobody started.
    assert body["totals"]["not_started"] == 1
    assert {r["opd_code"]: r["not_started"] for r in body["rows"]} == {
        "BAPPEDA": 1,
        "DISKOMINFO": 0,
    }
    filtered = anon.get(
        "/api/v1/opd-completion?kursus=orientasi&status=CPNS", headers=bearer(secret)
    ).json()
    f = build_filter(db, {"kursus": "orientasi", "status": "CPNS"}, scope=WHOLE_CITY)
    assert filtered["totals"] == opd_summary(db, f).totals.as_dict()
    assert filtered["filters"]["course_slug"] == "orientasi"


def test_people_endpoint_paginates(admin, anon, people):
    secret = create_token(admin)
    url = f"/api/v1/opds/{people.opd_a.id}/people?kursus=orientasi&per_halaman=2"
    first = anon.get(url, headers=bearer(secret)).json()
    assert (first["total"], first["pages"], first["page"]) == (4, 2, 1)
    assert [p["name"] for p in first["people"]] == ["Adi Nugroho", "Alice Rahmawati"]
    alice = first["people"][1]
    assert alice["nip"] == NIPS["alice"]
    assert alice["enrolments"][0]["status"] == "completed"
    assert alice["enrolments"][0]["certificate_serial"].startswith("UJI/")
    second = anon.get(url + "&halaman=2", headers=bearer(secret)).json()
    assert [p["name"] for p in second["people"]] == ["Kiki Handayani", "Olga Siregar"]
    missing = anon.get("/api/v1/opds/999999/people", headers=bearer(secret))
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"
    assert "999999" not in missing.json()["detail"]  # the standard message, not the id


def test_missing_invalid_and_revoked_tokens_get_401(admin, anon, db):
    r = anon.get("/api/v1/opd-completion")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="cakap"'
    assert "Authorization: Bearer" in r.json()["detail"]
    for wrong in ("ckp_00000000_salah", "bukan-token", ""):
        r = anon.get("/api/v1/opd-completion", headers=bearer(wrong))
        assert r.status_code == 401, wrong
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    basic = anon.get("/api/v1/opd-completion", headers={"Authorization": "Basic YTpi"})
    assert basic.status_code == 401

    secret = create_token(admin)
    token = db.scalar(select(ApiToken))
    assert anon.get("/api/v1/opd-completion", headers=bearer(secret)).status_code == 200
    r = admin.submit(
        f"/admin/token-api/{token.id}/cabut", page="/admin/token-api", follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/token-api"
    r = anon.get("/api/v1/opd-completion", headers=bearer(secret))
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    reread(db)
    assert db.get(ApiToken, token.id).revoked_at is not None
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.revoked"))


def test_a_cookie_session_does_not_open_the_api(make_client, city):  # noqa: F811
    for who in ("kiki", "adi"):
        c = login(make_client, who)
        assert c.get("/laporan").status_code == 200  # the session itself is fine
        r = c.get("/api/v1/opd-completion")
        assert r.status_code == 401, who


def test_a_token_opens_no_html_page_and_no_write(admin, anon, db):
    secret = create_token(admin)
    token = db.scalar(select(ApiToken))
    page = anon.get("/laporan", headers=bearer(secret), follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/masuk")
    assert (
        anon.get("/admin/token-api", headers=bearer(secret), follow_redirects=False).status_code
        == 303
    )
    for url in ("/admin/token-api", f"/admin/token-api/{token.id}/cabut", "/keluar"):
        r = anon.post(url, data={"name": "lewat token"}, headers=bearer(secret))
        assert r.status_code == 403, url
    assert anon.post("/api/v1/opd-completion", headers=bearer(secret)).status_code == 405
    reread(db)
    assert db.get(ApiToken, token.id).revoked_at is None
    assert len(db.scalars(select(ApiToken)).all()) == 1


def test_last_used_is_recorded_at_most_once_a_minute(admin, anon, db, clock):
    secret = create_token(admin)
    token_id = db.scalar(select(ApiToken.id))
    anon.get("/api/v1/opd-completion", headers=bearer(secret))
    reread(db)
    first = db.get(ApiToken, token_id).last_used_at
    assert first == NOW
    clock.advance(seconds=30)
    anon.get("/api/v1/opd-completion", headers=bearer(secret))
    reread(db)
    assert db.get(ApiToken, token_id).last_used_at == first
    clock.advance(seconds=31)
    anon.get("/api/v1/opd-completion", headers=bearer(secret))
    reread(db)
    assert db.get(ApiToken, token_id).last_used_at == NOW + timedelta(seconds=61)
    assert "belum pernah" not in admin.get("/admin/token-api").text


def test_opd_scoped_token_reads_only_its_opd(admin, anon, people):
    secret = create_token(admin, name="Dasbor Diskominfo", opd=str(people.opd_a.id))
    own = anon.get("/api/v1/opd-completion", headers=bearer(secret)).json()
    assert [row["opd_code"] for row in own["rows"]] == ["DISKOMINFO"]
    assert own["totals"]["asn"] == 4
    other = people.opd_b.id
    r = anon.get(f"/api/v1/opds/{other}/people", headers=bearer(secret))
    assert r.status_code == 403 and r.headers["content-type"] == "application/json"
    assert (
        anon.get(f"/api/v1/opd-completion?opd={other}", headers=bearer(secret)).status_code == 403
    )
    ok = anon.get(f"/api/v1/opds/{people.opd_a.id}/people", headers=bearer(secret))
    assert ok.status_code == 200 and ok.json()["total"] == 4


def test_bad_parameters_give_json_422(admin, anon):
    secret = create_token(admin)
    r = anon.get("/api/v1/opd-completion?status=HONORER", headers=bearer(secret))
    assert r.status_code == 422
    assert "Status kepegawaian 'HONORER' tidak dikenal" in r.json()["detail"]
    r = anon.get("/api/v1/opd-completion?dari=31-12-2026", headers=bearer(secret))
    assert r.status_code == 422 and "TTTT-BB-HH" in r.json()["detail"]
    r = anon.get("/api/v1/opds/1/people?per_halaman=0", headers=bearer(secret))
    assert r.status_code == 422


def test_openapi_lists_the_api_and_not_the_pages(app):
    schema = app.openapi()
    paths = schema["paths"]
    assert "/api/v1/opd-completion" in paths and "/api/v1/opds/{opd_id}/people" in paths
    assert not [p for p in paths if p.startswith(("/laporan", "/admin/token-api"))]
    operation = paths["/api/v1/opd-completion"]["get"]
    row = schema["components"]["schemas"]["OpdCompletion"]["properties"]
    assert row["not_started"]["description"] == "Belum mulai"
    assert {p["name"] for p in operation["parameters"]} >= {"kursus", "status", "dari", "sampai"}
    assert operation["security"] == [{"TokenAPI": []}]
    assert schema["components"]["securitySchemes"]["TokenAPI"]["scheme"] == "bearer"
    assert "401" in operation["responses"] and "422" in operation["responses"]


def test_tokens_stop_when_their_creator_is_no_longer_an_active_admin(admin, anon, db):
    """Like sessions: a deactivated admin's tokens stop working (and work again if the
    account is reactivated); so do they when the admin role is taken away."""
    secret = create_token(admin)
    api = "/api/v1/opd-completion"
    assert anon.get(api, headers=bearer(secret)).status_code == 200
    reread(db)
    adi = db.scalar(select(User).where(User.nip == NIPS["adi"]))
    adi.active = False
    db.commit()
    r = anon.get(api, headers=bearer(secret))
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    adi.active = True
    db.commit()
    assert anon.get(api, headers=bearer(secret)).status_code == 200
    adi.set_roles({Role.learner})
    db.commit()
    assert anon.get(api, headers=bearer(secret)).status_code == 401
