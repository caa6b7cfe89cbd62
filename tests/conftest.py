"""Test harness: every database test runs on SQLite and on a real PostgreSQL.

SQLite: a migrated template file is copied per test. PostgreSQL: pytest-postgresql clones
a migrated template database per test (`postgresql_noproc` against the machine's server;
`make test` installs and starts it when missing). If PostgreSQL cannot be reached, the
PostgreSQL half fails loudly — it is never skipped.

The city's time zone is the run's CAKAP_TIMEZONE (default Asia/Jakarta):
`CAKAP_TIMEZONE=Asia/Makassar pytest` runs the suite as a WITA city (`make test` runs the
day-boundary tests that way too). A test about one particular zone pins it with the
`city_zone` fixture; tests/test_timezone_wita.py does so for the whole module.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

# Cheap argon2 for tests; production parameters are checked in test_auth_passwords.
os.environ.setdefault("CAKAP_ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("CAKAP_ARGON2_TIME_COST", "1")
os.environ.setdefault("CAKAP_ARGON2_PARALLELISM", "1")

import pytest
import uvicorn
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from pytest_postgresql import factories

from app import citytime, migrate, wiring
from app.auth.passwords import Hasher
from app.config import PROJECT_ROOT, Settings
from app.db import make_engine, make_sessionmaker, utcnow
from app.main import create_app
from app.opds.models import Opd
from app.users.models import EmploymentStatus, Role
from app.users.service import create_user

# `make fuzz` runs the property tests much longer (HYPOTHESIS_PROFILE=fuzz).
hypothesis_settings.register_profile("fuzz", max_examples=2000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

PG_HOST = os.environ.get("CAKAP_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("CAKAP_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("CAKAP_TEST_PG_USER", "cakap")
PG_PASSWORD = os.environ.get("CAKAP_TEST_PG_PASSWORD", "cakap")
PASSWORD = "kata-sandi-uji-123"
BACKENDS = ["sqlite", "postgresql"]


def pg_url(dbname: str, host=PG_HOST, port=PG_PORT, user=PG_USER, password=PG_PASSWORD) -> str:
    return f"postgresql+psycopg://{user}:{password}@{host}:{port}/{dbname}"


def _migrate_pg_template(host, port, user, dbname, password):
    migrate.upgrade(pg_url(dbname, host, port, user, password))


_pg_server = factories.postgresql_noproc(
    host=PG_HOST,
    port=PG_PORT,
    user=PG_USER,
    password=PG_PASSWORD,
    # One name per test process: parallel runs (two terminals, agents) never collide.
    dbname=f"cakap_pytest_{os.getpid()}",
    load=[_migrate_pg_template],
)
pg_database = factories.postgresql("pg_server")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop_leftovers() -> None:
    """Drop databases that killed runs left behind (their process is gone) — never a live
    parallel run's. pytest-postgresql's own drop option fails when there is nothing to drop."""
    import psycopg

    with psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user=PG_USER,
        password=PG_PASSWORD,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        names = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'cakap_pytest%'"
        ).fetchall()
        for (name,) in names:
            owner = re.match(r"cakap_pytest_(\d+)", name)
            if owner and int(owner.group(1)) != os.getpid() and _pid_alive(int(owner.group(1))):
                continue
            conn.execute(f'ALTER DATABASE "{name}" WITH is_template false')
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", autouse=True)
def wired():
    """Service-level tests complete courses without an app: install the manifest as
    create_app and the CLI do (tests/test_wiring.py proves what happens without it)."""
    wiring.install()


@pytest.fixture(scope="session")
def pg_server(request):
    _drop_leftovers()
    return request.getfixturevalue("_pg_server")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite-template") / "cakap.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(request, backend, tmp_path, sqlite_template) -> str:
    """A migrated, empty database of the test's backend."""
    if backend == "sqlite":
        path = tmp_path / "cakap.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    try:
        conn = request.getfixturevalue("pg_database")
    except Exception as exc:  # make the cause obvious, never skip
        pytest.fail(
            "PostgreSQL tests need a server on "
            f"{PG_HOST}:{PG_PORT} with role '{PG_USER}'. Run 'make test' (it installs Debian's "
            f"'postgresql' and creates the role) or '.ci/ensure-postgres'. Cause: {exc}"
        )
    return pg_url(conn.info.dbname)


def pytest_configure(config):
    # citytime reads the zone once per process; read it from this run's environment.
    citytime.name.cache_clear()


@pytest.fixture
def city_zone(monkeypatch):
    """Pin the city's zone for one test: `city_zone("Asia/Jayapura")`. Call it before the
    app and its settings are made (an autouse fixture does), as the process would."""

    def use(name: str) -> str:
        Settings(timezone=name)  # the start-up check: a known zone without daylight saving
        monkeypatch.setattr(citytime, "name", lambda: name)
        return name

    return use


@pytest.fixture
def settings(db_url, tmp_path) -> Settings:
    return Settings(
        timezone=citytime.name(),
        database_url=db_url,
        data_dir=tmp_path / "var",
        secret_key="test-secret-" + "x" * 40,
        courses_dir=PROJECT_ROOT / "courses",
        city_name="Kota Uji Coba",
        base_url="http://testserver",
        argon2_memory_kib=1024,
        argon2_time_cost=1,
        argon2_parallelism=1,
    )


class Clock:
    """A controllable clock for expiry and time-limit tests."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **kwargs):
        from datetime import timedelta

        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings, clock):
    return create_app(settings, clock=clock)


@pytest.fixture
def db(settings):
    engine = make_engine(settings.db_url)
    with make_sessionmaker(engine, settings)() as session:
        yield session
    engine.dispose()


@dataclass
class People:
    alice: object  # learner, OPD A
    bob: object  # learner, OPD B
    olga: object  # opd_admin, OPD A
    kiki: object  # kominfo
    adi: object  # admin
    opd_a: Opd
    opd_b: Opd


NIPS = {
    "alice": "199001012015012001",
    "bob": "199102022016021002",
    "olga": "198503032010031003",
    "kiki": "198704042012042004",
    "adi": "198005052005051005",
}


@pytest.fixture
def people(db) -> People:
    hasher = Hasher(1024, 1, 1)
    opd_a = Opd(code="DISKOMINFO", name="Dinas Komunikasi dan Informatika")
    opd_b = Opd(code="BAPPEDA", name="Badan Perencanaan Pembangunan Daerah")
    db.add_all([opd_a, opd_b])
    db.flush()
    pw = hasher.hash(PASSWORD)
    spec = {
        "alice": ("Alice Rahmawati", opd_a, set(), EmploymentStatus.CPNS),
        "bob": ("Bob Saputra", opd_b, set(), EmploymentStatus.CPNS),
        "olga": ("Olga Siregar", opd_a, {Role.opd_admin}, EmploymentStatus.PNS),
        "kiki": ("Kiki Handayani", opd_a, {Role.kominfo}, EmploymentStatus.PNS),
        "adi": ("Adi Nugroho", opd_a, {Role.admin}, EmploymentStatus.PNS),
    }
    users = {}
    for key, (name, opd, roles, status) in spec.items():
        users[key] = create_user(
            db,
            full_name=name,
            nip=NIPS[key],
            email=f"{key}@uji.go.id",
            opd=opd,
            roles=roles,
            password_hash=pw,
            status=status,
        )
    db.commit()
    return People(**users, opd_a=opd_a, opd_b=opd_b)


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser(TestClient):
    """A test client that behaves like a browser: it reads the CSRF token from a page."""

    def csrf(self, page: str = "/masuk") -> str:
        html = self.get(page).text
        match = CSRF_RE.search(html)
        assert match, f"no csrf_token on {page}"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, *, page: str | None = None, **kw):
        """POST a form the way a browser would: token from the page the form is on."""
        token = self.csrf(page or ("/" if self.cookies.get("cakap_session") else "/masuk"))
        return self.post(url, data={**(data or {}), "csrf_token": token}, **kw)

    def login(self, nip: str, password: str = PASSWORD):
        response = self.submit(
            "/masuk", {"identifier": nip, "password": password}, follow_redirects=False
        )
        assert response.status_code == 303, response.text[:500]
        return response


@contextmanager
def serving(app):
    """Serve `app` with uvicorn on a free loopback port (in a thread); yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def mail_server(settings):
    """A loopback SMTP server (aiosmtpd) that the test's settings send to."""
    from tests.mailserver import MailServer

    server = MailServer()
    server.start()
    server.settings_for(settings)
    yield server
    server.stop()


@pytest.fixture
def client(app):
    with Browser(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def make_client(app):
    """Extra independent browsers (other users, other tabs)."""
    opened = []

    def factory():
        c = Browser(app, base_url="http://testserver")
        c.__enter__()
        opened.append(c)
        return c

    yield factory
    for c in opened:
        c.__exit__(None, None, None)


def pytest_terminal_summary(terminalreporter):
    """Show, per database backend, how many tests ran — the proof both were exercised."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") != "call" and outcome != "error":
                continue
            nodeid = report.nodeid
            for backend in BACKENDS:
                if f"[{backend}" in nodeid or f"-{backend}]" in nodeid or f"-{backend}-" in nodeid:
                    counts.setdefault(backend, {}).setdefault(outcome, 0)
                    counts[backend][outcome] += 1
    e2e = sum(1 for r in terminalreporter.stats.get("passed", []) if "/e2e/" in r.nodeid)
    terminalreporter.write_sep("-", "database backends")
    for backend in BACKENDS:
        c = counts.get(backend, {})
        terminalreporter.write_line(
            f"{backend:>10}: {c.get('passed', 0)} passed, {c.get('failed', 0)} failed, "
            f"{c.get('error', 0)} errors"
        )
    terminalreporter.write_line(f"{'chromium':>10}: {e2e} browser tests passed (Playwright)")
