"""Request-body limits, caching and transport headers, and the file modes of secrets
(security review of ed68123, findings 5, 11 and 12)."""

from __future__ import annotations

import asyncio
import os
import stat
import tarfile
import threading
import typing

import pytest
from fastapi import UploadFile
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.auth.models import LoginAttempt
from app.certificates.signing import KeyStore
from app.main import UPLOAD_PATHS, create_app
from app.web.limits import BodySizeLimitMiddleware
from tests.conftest import NIPS, Browser
from tests.test_access_matrix import api_routes

MB = 1024 * 1024


def _login_attempts(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(LoginAttempt))


# --- finding 5: bodies are bounded before anything parses them --------------------------


def test_oversized_anonymous_form_is_refused_before_parsing(client, people, db):
    token = client.csrf("/masuk")
    body = f"csrf_token={token}&identifier={NIPS['alice']}&password=" + "x" * (2 * MB)
    r = client.post(
        "/masuk",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert r.status_code == 413
    assert "terlalu besar" in r.text
    assert r.headers["x-content-type-options"] == "nosniff"  # still a page of ours
    assert _login_attempts(db) == 0  # the route never ran


def test_chunked_body_without_length_is_cut_off_while_streaming(client, people, db):
    token = client.csrf("/masuk")

    def chunks():
        yield f"csrf_token={token}&identifier={NIPS['alice']}&password=".encode()
        for _ in range(40):
            yield b"y" * 65536

    r = client.post(
        "/masuk",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert r.status_code == 413
    assert _login_attempts(db) == 0


def test_oversized_multipart_is_refused_for_anonymous_even_on_upload_routes(client, people):
    token = client.csrf("/masuk")
    r = client.post(
        "/admin/impor",
        data={"csrf_token": token},
        files={"berkas": ("pegawai.csv", b"a" * (2 * MB), "text/csv")},
        follow_redirects=False,
    )
    # Anonymous: the small limit applies, the 2 MB file is never spooled.
    assert r.status_code == 413


def test_upload_routes_take_files_up_to_the_upload_limit_when_logged_in(client, people):
    client.login(NIPS["adi"])
    token = client.csrf("/admin/impor")
    # Past the importer's own 10 MB rule but inside the 12 MB body limit: the route answers
    # with its own message, so the middleware let the body through.
    r = client.post(
        "/admin/impor",
        data={"csrf_token": token},
        files={"berkas": ("pegawai.csv", b"a" * (10 * MB + 10), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "terlalu besar" in r.text.lower()
    r = client.post(
        "/admin/impor",
        data={"csrf_token": token},
        files={"berkas": ("pegawai.csv", b"a" * (13 * MB), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 413
    # Other routes keep the small limit for logged-in users too.
    r = client.post(
        "/akun/kata-sandi",
        data={"csrf_token": token, "current": "x" * (2 * MB)},
        follow_redirects=False,
    )
    assert r.status_code == 413


def test_every_route_that_takes_a_file_is_an_upload_path(app):
    taking_files = set()
    for route in api_routes(app.routes):
        if UploadFile in typing.get_type_hints(route.endpoint).values():
            taking_files.add(route.path)
    assert taking_files == set(UPLOAD_PATHS)


def test_middleware_stops_reading_once_the_limit_is_passed():
    """The body is not read to the end: at most one chunk past the limit is taken."""
    read = 0

    async def receive():
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b"z" * 65536, "more_body": read < 1000}

    sent = []

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass

    middleware = BodySizeLimitMiddleware(app, default_limit=MB, upload_limit=2 * MB)
    scope = {"type": "http", "method": "POST", "path": "/masuk", "headers": []}
    # In a thread of its own: Playwright's tests leave an event loop running in this one.
    worker = threading.Thread(target=asyncio.run, args=(middleware(scope, receive, send),))
    worker.start()
    worker.join(timeout=30)
    assert read == MB // 65536 + 1
    assert sent[0]["status"] == 413


# --- finding 11: private pages are not cached; HSTS and Secure cookies under https -----


def test_private_pages_are_never_stored(client, people, db):
    client.login(NIPS["adi"])
    alice = people.alice.id
    for path in ("/akun", f"/admin/pengguna/{alice}", f"/laporan/asn/{alice}", "/", "/masuk"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["cache-control"] == "no-store", path
    reset = client.submit(
        f"/admin/pengguna/{alice}/reset", page=f"/admin/pengguna/{alice}", follow_redirects=True
    )
    assert reset.status_code == 200
    assert "no-store" in reset.headers["cache-control"]
    # Static files may be cached (they carry no personal data).
    assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")


def test_hsts_and_secure_language_cookie_under_https(settings, clock, people):
    settings.base_url = "https://cakap.kota-uji.go.id"
    with Browser(create_app(settings, clock=clock), base_url="https://testserver") as c:
        r = c.get("/masuk")
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")
        login = c.login(NIPS["alice"])
        lang = [h for h in login.headers.get_list("set-cookie") if h.startswith("cakap_lang=")]
        assert lang and "Secure" in lang[0]
        switched = c.submit("/bahasa", {"locale": "en"}, page="/", follow_redirects=False)
        lang = [h for h in switched.headers.get_list("set-cookie") if "cakap_lang=" in h]
        assert lang and "Secure" in lang[0]


def test_no_hsts_on_plain_http(client):
    assert "strict-transport-security" not in client.get("/masuk").headers


# --- finding 12: secrets and personal data are created 0600 / 0700 ----------------------


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_database_secret_and_keys_are_private(settings, clock, tmp_path, loose_umask):
    from app import migrate

    data_dir = tmp_path / "baru" / "var"
    settings.data_dir = data_dir
    settings.secret_key = None
    settings.database_url = f"sqlite:///{data_dir / 'cakap.db'}"
    migrate.upgrade(settings.db_url)
    assert _mode(data_dir) == 0o700
    assert _mode(data_dir / "cakap.db") == 0o600
    with Browser(create_app(settings, clock=clock)) as c:
        assert c.get("/masuk").status_code == 200
        for leftover in ("cakap.db-wal", "cakap.db-shm"):
            if (data_dir / leftover).exists():
                assert _mode(data_dir / leftover) == 0o600, leftover
    KeyStore(settings.signing_keys_dir).current()  # the first certificate makes the key
    assert _mode(data_dir / "secret_key") == 0o600
    keys = data_dir / "keys"
    assert _mode(keys) == 0o700
    assert [p for p in keys.iterdir()] and all(_mode(p) == 0o600 for p in keys.iterdir())


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_backup_archive_and_restore_are_private(
    client, people, settings, tmp_path, monkeypatch, loose_umask
):
    from app.cli import app as cli

    KeyStore(settings.signing_keys_dir).current()
    monkeypatch.setenv("CAKAP_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("CAKAP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CAKAP_SECRET_KEY", settings.secret_key)
    archive = tmp_path / "cadangan.tar.gz"
    archive.write_bytes(b"old")  # an existing file is overwritten and closed too
    os.chmod(archive, 0o644)
    runner = CliRunner()
    result = runner.invoke(cli, ["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert _mode(archive) == 0o600
    with tarfile.open(archive) as tar:
        assert "cakap.db" in tar.getnames()
    target = tmp_path / "pulih"
    restored = runner.invoke(cli, ["restore", str(archive), "--data-dir", str(target)])
    assert restored.exit_code == 0, restored.output
    assert _mode(target) == 0o700
    for path in target.rglob("*"):
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
