"""Every route × every role, generated from the app's route table (deny by default).

Each route must appear in RULES. A new route without a rule fails `test_every_route_has_a_rule`,
and the rule must agree with the dependencies the route really declares.
"""

from __future__ import annotations

import inspect

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from app.auth.deps import current_user
from app.users.models import ActivationCode, Role, User
from app.users.service import create_user
from app.web import get_session
from tests.conftest import NIPS

PUBLIC, LOGIN = "public", "login"
TOKEN = "token"  # /api/v1: bearer API tokens only; no cookie session counts
STAFF = frozenset({"opd_admin", "kominfo", "admin"})
MONITOR = frozenset({"kominfo", "admin"})
ADMIN = frozenset({"admin"})
MANAGERS = frozenset({"opd_admin", "admin"})

# (method, path) -> PUBLIC | LOGIN | frozenset of roles allowed
RULES: dict[tuple[str, str], object] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/masuk"): PUBLIC,
    ("POST", "/masuk"): PUBLIC,
    ("POST", "/keluar"): PUBLIC,
    ("POST", "/bahasa"): PUBLIC,
    ("GET", "/"): LOGIN,
    ("GET", "/akun"): LOGIN,
    ("POST", "/akun/kata-sandi"): LOGIN,
    ("GET", "/kursus"): LOGIN,
    ("GET", "/kursus/{slug}"): LOGIN,
    ("POST", "/kursus/{slug}/daftar"): LOGIN,
    ("GET", "/kursus/{slug}/lanjutkan"): LOGIN,
    ("GET", "/kursus/{slug}/modul/{module_slug}"): LOGIN,
    ("POST", "/kursus/{slug}/modul/{module_slug}/buka"): LOGIN,
    ("POST", "/kursus/{slug}/modul/{module_slug}/selesai"): LOGIN,
    ("GET", "/kursus/{slug}/aset/{path:path}"): LOGIN,
    ("GET", "/admin/kursus"): ADMIN,
    ("POST", "/admin/kursus/sinkron"): ADMIN,
    ("GET", "/kursus/{slug}/kuis/{quiz_slug}"): LOGIN,
    ("POST", "/kursus/{slug}/kuis/{quiz_slug}/mulai"): LOGIN,
    ("GET", "/kuis/percobaan/{attempt_id}"): LOGIN,
    ("POST", "/kuis/percobaan/{attempt_id}/jawab"): LOGIN,
    ("POST", "/kuis/percobaan/{attempt_id}/simpan"): LOGIN,
    ("POST", "/kuis/percobaan/{attempt_id}/kumpulkan"): LOGIN,
    ("GET", "/kuis/percobaan/{attempt_id}/hasil"): LOGIN,
    ("GET", "/pantau/kuis/{quiz_id}"): MONITOR,
    ("GET", "/sertifikat"): LOGIN,
    ("GET", "/sertifikat/{certificate_id}/pdf"): LOGIN,
    ("GET", "/sertifikat/{certificate_id}/openbadge.json"): LOGIN,
    ("GET", "/sertifikat/zip"): STAFF,
    ("GET", "/sertifikat/arsip"): STAFF,
    ("GET", "/sertifikat/arsip.zip"): STAFF,
    ("GET", "/verifikasi"): PUBLIC,
    ("GET", "/verifikasi/{code}"): PUBLIC,
    ("GET", "/verifikasi/{code}/status.json"): PUBLIC,
    ("GET", "/status/{list_id}"): PUBLIC,  # the signed revocation list verifiers fetch
    ("GET", "/.well-known/cakap-keys.json"): PUBLIC,
    ("GET", "/.well-known/did.json"): PUBLIC,
    ("GET", "/admin/sertifikat"): ADMIN,
    ("POST", "/admin/sertifikat/{certificate_id}/cabut"): ADMIN,
    ("GET", "/admin/pengguna"): MANAGERS,
    ("GET", "/admin/pengguna/{user_id}"): MANAGERS,
    ("POST", "/admin/pengguna/{user_id}/status"): MANAGERS,
    ("POST", "/admin/pengguna/{user_id}/opd"): ADMIN,
    ("POST", "/admin/pengguna/{user_id}/peran"): ADMIN,
    ("POST", "/admin/pengguna/{user_id}/reset"): MANAGERS,
    ("GET", "/admin/impor"): MANAGERS,
    ("GET", "/admin/pengguna/baru"): MANAGERS,
    ("POST", "/admin/pengguna/baru"): MANAGERS,
    ("POST", "/admin/impor"): MANAGERS,
    ("GET", "/admin/impor/{job_id}"): MANAGERS,
    ("GET", "/admin/impor/templat.{fmt}"): MANAGERS,
    ("POST", "/admin/impor/{job_id}/terapkan"): MANAGERS,
    ("POST", "/admin/aktivasi"): MANAGERS,
    ("GET", "/admin/aktivasi"): MANAGERS,
    ("GET", "/admin/aktivasi/{opd_id}/daftar.xlsx"): MANAGERS,
    ("GET", "/admin/aktivasi/{opd_id}/daftar.pdf"): MANAGERS,
    ("GET", "/aktivasi"): PUBLIC,
    ("POST", "/aktivasi"): PUBLIC,
    ("GET", "/notifikasi"): LOGIN,
    ("POST", "/notifikasi/{notification_id}/buka"): LOGIN,
    ("POST", "/notifikasi/baca-semua"): LOGIN,
    ("GET", "/lupa-kata-sandi"): PUBLIC,
    ("POST", "/lupa-kata-sandi"): PUBLIC,
    ("GET", "/lupa-kata-sandi/{token}"): PUBLIC,
    ("POST", "/lupa-kata-sandi/{token}"): PUBLIC,
    ("GET", "/admin/opd"): ADMIN,
    ("POST", "/admin/opd"): ADMIN,
    ("POST", "/admin/opd/{opd_id}/ubah"): ADMIN,
    ("POST", "/admin/opd/{opd_id}/gabung"): ADMIN,
    ("POST", "/admin/opd/{opd_id}/status"): ADMIN,
    ("POST", "/admin/opd/impor"): ADMIN,
    ("GET", "/admin/aturan"): ADMIN,
    ("GET", "/admin/kota"): ADMIN,
    ("POST", "/admin/kota"): ADMIN,
    ("POST", "/admin/kota/logo"): ADMIN,
    ("POST", "/admin/kota/logo/hapus"): ADMIN,
    ("GET", "/admin/kota/logo.png"): ADMIN,
    ("POST", "/admin/aturan"): ADMIN,
    ("POST", "/admin/aturan/{rule_id}/nonaktif"): ADMIN,
    ("POST", "/admin/aturan/{rule_id}/aktif"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    ("GET", "/laporan"): STAFF,
    ("GET", "/laporan/opd/{opd_id}"): STAFF,
    ("GET", "/laporan/asn/{user_id}"): STAFF,
    ("GET", "/laporan/belum-mulai"): STAFF,
    ("GET", "/laporan/jp"): STAFF,
    ("GET", "/laporan/ekspor/{tabel}.{fmt}"): STAFF,
    ("GET", "/admin/token-api"): ADMIN,
    ("POST", "/admin/token-api"): ADMIN,
    ("POST", "/admin/token-api/{token_id}/cabut"): ADMIN,
    ("GET", "/api/v1/opd-completion"): TOKEN,
    ("GET", "/api/v1/opds/{opd_id}/people"): TOKEN,
    # bimtek: facilitators hold no role, so check-in screens and day lists are LOGIN routes
    # whose service refuses anyone but facilitators, Diskominfo and admins (403).
    ("GET", "/bimtek"): LOGIN,
    ("POST", "/bimtek/sesi/{session_id}/daftar"): LOGIN,
    ("POST", "/bimtek/sesi/{session_id}/mundur"): LOGIN,
    ("GET", "/bimtek/absen"): LOGIN,
    ("POST", "/bimtek/absen"): LOGIN,
    ("GET", "/bimtek/sesi"): STAFF,
    ("GET", "/bimtek/sesi/baru"): MONITOR,
    ("POST", "/bimtek/sesi/baru"): MONITOR,
    ("GET", "/bimtek/sesi/{session_id}"): STAFF,
    ("GET", "/bimtek/sesi/{session_id}/ubah"): MONITOR,
    ("POST", "/bimtek/sesi/{session_id}/ubah"): MONITOR,
    ("POST", "/bimtek/sesi/{session_id}/nominasi"): MANAGERS,
    ("POST", "/bimtek/nominasi/{nomination_id}/setujui"): MANAGERS,
    ("POST", "/bimtek/nominasi/{nomination_id}/tolak"): MANAGERS,
    ("POST", "/bimtek/nominasi/{nomination_id}/tarik"): MANAGERS,
    ("GET", "/bimtek/sesi/{session_id}/hari/{day_id}"): STAFF,
    ("GET", "/bimtek/sesi/{session_id}/hari/{day_id}/absen"): LOGIN,
    ("GET", "/bimtek/sesi/{session_id}/hari/{day_id}/absen/kode"): LOGIN,
    ("GET", "/bimtek/sesi/{session_id}/hari/{day_id}/absen/hadir"): LOGIN,
    ("POST", "/bimtek/sesi/{session_id}/hari/{day_id}/absen/manual"): LOGIN,
    ("GET", "/bimtek/sesi/{session_id}/hari/{day_id}/daftar-hadir.pdf"): LOGIN,
    ("GET", "/bimtek/sesi/{session_id}/hari/{day_id}/daftar-hadir.xlsx"): LOGIN,
    ("GET", "/bimtek/sesi/{session_id}/peserta.xlsx"): STAFF,
}

# Sample values for path parameters, so every GET route can be requested.
# Objects that do not exist give 404 after the role check, which is what the matrix needs:
# a denied role must get 403 before any lookup happens.
PATH_SAMPLES: dict[str, str] = {
    "slug": "orientasi-digital-cpns",
    "module_slug": "spbe-dasar",
    "quiz_slug": "ujian-akhir",
    "path": "assets/cover.svg",
    "attempt_id": "999999",
    "quiz_id": "1",
    "certificate_id": "999999",
    "code": "ZZZZZZZZZZZZZZZZ",
    "list_id": "1",
    "user_id": "999999",
    "job_id": "999999",
    "opd_id": "999999",
    "rule_id": "999999",
    "tabel": "opd",
    "fmt": "csv",
    "token_id": "999999",
    "session_id": "999999",
    "day_id": "999999",
    "nomination_id": "999999",
    "notification_id": "999999",
    "token": "tidak-ada-tautan-seperti-ini",
}

ROLES_OF = {"learner": "alice", "opd_admin": "olga", "kominfo": "kiki", "admin": "adi"}


def api_routes(routes):
    """Every APIRoute of the app. FastAPI 0.16x keeps included routers as wrapper objects
    (not flattened), so walk into them; routers are included without a prefix here."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def _routes(app):
    for route in api_routes(app.routes):
        for method in sorted(route.methods - {"HEAD"}):
            yield method, route


def test_route_table_is_not_empty(app):
    # Guards the generated tests below against a framework change hiding the routes.
    assert len(list(_routes(app))) >= 40


def test_routes_using_the_database_do_not_run_on_the_event_loop(app):
    # An `async def` route runs on the event loop: one blocking database call there (an
    # SQLite lock wait) stalled every request of the worker under the quiz-start benchmark.
    # Routes that touch the database are plain `def`s and FastAPI runs them in threads.
    offenders = []
    for route in api_routes(app.routes):
        stack, uses_db = list(route.dependant.dependencies), False
        while stack:
            dep = stack.pop()
            uses_db = uses_db or dep.call is get_session
            stack.extend(dep.dependencies)
        if uses_db and inspect.iscoroutinefunction(route.endpoint):
            offenders.append(route.path)
    assert offenders == []


def _declared_rule(route: APIRoute):
    """What the route's dependencies enforce: roles, login, or nothing."""
    stack = list(route.dependant.dependencies)
    login = False
    while stack:
        dep = stack.pop()
        if getattr(dep.call, "token_auth", False):
            return TOKEN
        allowed = getattr(dep.call, "allowed_roles", None)
        if allowed is not None:
            return frozenset(r.value for r in allowed)
        if dep.call is current_user or getattr(dep.call, "checks_login", False):
            login = True
        stack.extend(dep.dependencies)
    return LOGIN if login else PUBLIC


def test_every_route_has_a_rule(app):
    missing, wrong = [], []
    for method, route in _routes(app):
        key = (method, route.path)
        if key not in RULES:
            missing.append(key)
        elif _declared_rule(route) != RULES[key]:
            wrong.append((key, _declared_rule(route), RULES[key]))
    assert not missing, f"routes without an access rule: {missing}"
    assert not wrong, f"routes whose dependencies disagree with their rule: {wrong}"


def _fill(path: str) -> str:
    for name, value in PATH_SAMPLES.items():
        path = path.replace("{" + name + "}", value).replace("{" + name + ":path}", value)
    return path


@pytest.mark.parametrize("role", ["anonymous", *ROLES_OF])
def test_get_matrix(app, make_client, people, role):
    c = make_client()
    if role != "anonymous":
        c.login(NIPS[ROLES_OF[role]])
    for method, route in _routes(app):
        if method != "GET":
            continue
        rule = RULES[(method, route.path)]
        if rule == TOKEN:
            response = c.get(_fill(route.path), follow_redirects=False)
            assert response.status_code == 401, (route.path, role, response.status_code)
            continue
        response = c.get(_fill(route.path), follow_redirects=False)
        if rule == PUBLIC:
            assert response.status_code in (200, 303, 404), route.path
        elif role == "anonymous":
            assert response.status_code == 303, route.path
            assert response.headers["location"].startswith("/masuk")
        elif rule == LOGIN or role in rule:
            # allowed: the page, a redirect within a flow, 404 for a sample id that no
            # object has, 422 for missing query parameters — never 403, never a login redirect
            assert response.status_code in (200, 303, 404, 422), (
                route.path,
                role,
                response.status_code,
            )
            if response.status_code == 303:
                assert not response.headers["location"].startswith("/masuk"), route.path
        else:
            assert response.status_code == 403, (route.path, role, response.status_code)


def test_post_routes_refuse_missing_csrf(app, make_client, people):
    c = make_client()
    c.login(NIPS["adi"])
    for method, route in _routes(app):
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            response = c.request(method, _fill(route.path), data={}, follow_redirects=False)
            assert response.status_code == 403, route.path


# ---------------------------------------------------------------- peer-or-higher targets

# learner < opd_admin < kominfo < admin, written out here rather than imported from
# app.users.scope so that the test states the rule instead of repeating the code.
RANK_OF = {"learner": 0, "opd_admin": 1, "kominfo": 2, "admin": 3}
SECOND_ADMIN_NIP = "198207072008072007"


def _management_routes(app):
    """Unsafe routes that act on one person's account, found in the route table."""
    for method, route in _routes(app):
        if method != "GET" and route.path.startswith("/admin/pengguna/{user_id}"):
            yield method, route


def _account_state(db, user_ids):
    db.rollback()
    db.expire_all()
    state = {}
    for user_id in user_ids:
        person = db.get(User, user_id)
        codes = db.scalars(select(ActivationCode.id).where(ActivationCode.user_id == user_id))
        state[user_id] = (
            person.password_hash,
            person.active,
            person.opd_id,
            sorted(person.roles),
            list(codes),
        )
    return state


@pytest.fixture
def second_admin(db, people):
    # In OPD A with everyone else, so OPD scoping alone would let an OPD admin through.
    other = create_user(
        db,
        full_name="Ani Wulandari",
        nip=SECOND_ADMIN_NIP,
        opd=people.opd_a,
        roles={Role.admin},
        password_hash=people.adi.password_hash,
    )
    db.commit()
    return other


@pytest.mark.parametrize("role", list(ROLES_OF))
def test_management_routes_refuse_peer_or_higher_targets(
    app, make_client, people, second_admin, db, role
):
    """Every people-management route × every role × every target ranked at or above them
    (themselves included) gives 403/404 and changes nothing — admins too, when they do not
    re-enter their password."""
    actor = ROLES_OF[role]
    targets = {
        name: getattr(people, name)
        for held, name in ROLES_OF.items()
        if RANK_OF[held] >= RANK_OF[role]
    }
    targets["second_admin"] = second_admin
    c = make_client()
    c.login(NIPS[actor])
    token = c.csrf("/")
    ids = [person.id for person in targets.values()]
    before = _account_state(db, ids)
    routes = list(_management_routes(app))
    assert len(routes) >= 4
    for method, route in routes:
        for name, person in targets.items():
            url = route.path.replace("{user_id}", str(person.id))
            data = {
                "csrf_token": token,
                "active": "0",
                "opd_id": people.opd_b.id,
                "roles": "kominfo",
            }
            response = c.request(method, url, data=data, follow_redirects=False)
            assert response.status_code in (403, 404), (
                role,
                route.path,
                name,
                response.status_code,
            )
    assert _account_state(db, ids) == before
    # The OPD's activation list issues no code for any of them either.
    for person in targets.values():
        person.password_hash = None
    db.commit()
    for replace in ("0", "1"):
        c.request(
            "POST",
            "/admin/aktivasi",
            data={
                "csrf_token": token,
                "opd_id": people.opd_a.id,
                "replace": replace,
                "konfirmasi": "1",
            },
            follow_redirects=False,
        )
    assert all(codes == [] for *_, codes in _account_state(db, ids).values())
