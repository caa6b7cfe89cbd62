"""Two uvicorn worker processes on PostgreSQL: sessions, CSRF, login throttling and a quiz
must work whichever worker answers (no in-process state)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.conftest import NIPS, PASSWORD

FIXTURES = Path(__file__).parent / "fixtures"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(params=["postgresql"])
def backend(request):
    return request.param


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(settings, tmp_path, *, workers: int, env: dict[str, str] | None = None):
    courses = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses_quiz", courses)
    port = _free_port()
    env = {
        **os.environ,
        "CAKAP_DATABASE_URL": settings.db_url,
        "CAKAP_DATA_DIR": str(tmp_path / "var"),
        "CAKAP_SECRET_KEY": settings.secret_key,
        "CAKAP_COURSES_DIR": str(courses),
        "CAKAP_BASE_URL": f"http://127.0.0.1:{port}",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=Path(__file__).parent.parent,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("server did not become ready")
    return base, proc


def _stop(proc) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=15)


@pytest.fixture
def server(settings, people, tmp_path):
    base, proc = _start(settings, tmp_path, workers=2)
    yield base, proc
    _stop(proc)


def _worker_pids(proc) -> set[int]:
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return {int(pid) for pid in children}


class Visitor:
    """A browser whose every request opens a new connection, so the kernel spreads them
    across the two workers."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = httpx.Cookies()

    def request(self, method, path, **kw):
        with httpx.Client(
            base_url=self.base, cookies=self.cookies, headers={"Connection": "close"}
        ) as c:
            r = c.request(method, path, **kw)
            self.cookies.update(r.cookies)
            return r

    def token(self, path="/masuk") -> str:
        return CSRF.search(self.request("GET", path).text).group(1)

    def post(self, path, data, page=None):
        token = self.token(page or path)
        return self.request("POST", path, data={**data, "csrf_token": token})


def _start_quiz(alice: Visitor) -> tuple[str, str, str]:
    """Enrol, start the fixture quiz; return the attempt URL, CSRF token, a correct option."""
    assert alice.post("/kursus/uji-kuis/daftar", {}, page="/kursus/uji-kuis").status_code == 303
    start = alice.post(
        "/kursus/uji-kuis/kuis/kuis-lengkap/mulai", {}, page="/kursus/uji-kuis/kuis/kuis-lengkap"
    )
    attempt = start.headers["location"]
    page = alice.request("GET", attempt).text
    token = CSRF.search(page).group(1)
    block = page.split('id="soal-satu-pilihan"', 1)[1].split("</fieldset>", 1)[0]
    correct = re.search(r'value="(\d+)"[^>]*> <span>Opsi benar</span>', block).group(1)
    return attempt, token, correct


def test_per_address_throttling_holds_across_two_workers(settings, people, tmp_path):
    # Failures spread over many accounts from one address (as in password spraying),
    # answered by either worker: the address is refused once the limit is reached, while
    # another address (X-Forwarded-For from the trusted local proxy) still gets in.
    base, proc = _start(settings, tmp_path, workers=2, env={"CAKAP_LOGIN_MAX_FAILURES_PER_IP": "8"})
    try:
        sprayer = Visitor(base)
        spray = {"X-Forwarded-For": "203.0.113.7"}
        codes = []
        for i in range(10):
            token = CSRF.search(sprayer.request("GET", "/masuk", headers=spray).text).group(1)
            form = {
                "identifier": f"199001012023011{i + 1:03d}",
                "password": "salah",
                "csrf_token": token,
            }
            codes.append(sprayer.request("POST", "/masuk", data=form, headers=spray).status_code)
        assert codes == [422] * 8 + [429] * 2
        alice = Visitor(base)
        r = alice.post("/masuk", {"identifier": NIPS["alice"], "password": PASSWORD})
        assert r.status_code == 303
    finally:
        _stop(proc)


def test_parallel_burst_across_two_workers_verifies_at_most_the_budget(server, db):
    """The attempt is counted in SQL before the hash (advisory locks on PostgreSQL), so two
    workers together verify at most the budget, whatever the interleaving: before, each
    worker checked every password that arrived before a failure had been written."""
    from sqlalchemy import func, select

    from app.audit.models import AuditEvent

    base, _proc = server
    visitor = Visitor(base)
    token = visitor.token()

    def guess(password: str) -> int:
        form = {"identifier": NIPS["bob"], "password": password, "csrf_token": token}
        return visitor.request("POST", "/masuk", data=form).status_code

    with ThreadPoolExecutor(40) as pool:
        codes = sorted(pool.map(guess, ["salah-sekali"] * 40))
    assert codes == [422] * 5 + [429] * 35
    assert guess(PASSWORD) == 429  # the right password after the burst: refused unhashed
    verified = db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action.in_(["login", "login.failed"]), AuditEvent.target == NIPS["bob"])
    )
    assert verified == 5


def test_two_workers_share_sessions_csrf_throttling_and_quiz(server):
    base, proc = server
    assert len(_worker_pids(proc)) >= 2  # two workers (plus multiprocessing helpers)
    # throttling holds whichever worker answers: the 6th failure is refused
    attacker = Visitor(base)
    codes = [
        attacker.post("/masuk", {"identifier": NIPS["bob"], "password": "salah-sekali"}).status_code
        for _ in range(6)
    ]
    assert codes == [422] * 5 + [429]
    # a session started on one worker is valid on the other; CSRF tokens too
    alice = Visitor(base)
    r = alice.post("/masuk", {"identifier": NIPS["alice"], "password": PASSWORD})
    assert r.status_code == 303
    for _ in range(6):
        assert "Alice Rahmawati" in alice.request("GET", "/").text
    assert alice.request("POST", "/keluar", data={"csrf_token": "palsu"}).status_code == 403
    # a whole quiz across workers
    attempt, token, correct = _start_quiz(alice)
    saved = alice.request(
        "POST",
        f"{attempt}/jawab",
        data={"question": "satu-pilihan", "q-satu-pilihan": correct},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert saved.status_code == 200 and "Tersimpan" in saved.text
    for _ in range(3):  # double/triple submit, possibly on different workers
        r = alice.request(
            "POST", f"{attempt}/kumpulkan", data={"csrf_token": token, "konfirmasi": "1"}
        )
        assert r.status_code == 303
    result = alice.request("GET", f"{attempt}/hasil").text
    assert "Nilai" in result and "20" in result  # one of five points


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_one_worker_survives_more_concurrent_saves_than_connections(settings, people, tmp_path):
    """More simultaneous requests than the worker has threads (40) and pooled connections
    (15 on SQLite, 20 on PostgreSQL): every save is answered, none waits for the pool's
    30 s timeout. Before the fix, requests holding a connection waited for a thread while
    every thread waited for a connection (and async routes blocked the event loop)."""
    base, proc = _start(settings, tmp_path, workers=1)
    try:
        alice = Visitor(base)
        assert (
            alice.post("/masuk", {"identifier": NIPS["alice"], "password": PASSWORD}).status_code
            == 303
        )
        attempt, token, correct = _start_quiz(alice)

        async def burst() -> list[int]:
            limits = httpx.Limits(max_connections=120)
            async with httpx.AsyncClient(
                base_url=base, cookies=alice.cookies, limits=limits, timeout=25
            ) as client:
                save = {"question": "satu-pilihan", "q-satu-pilihan": correct}
                headers = {"HX-Request": "true", "X-CSRF-Token": token}
                requests = [
                    client.post(f"{attempt}/jawab", data=save, headers=headers) for _ in range(120)
                ] + [client.get("/") for _ in range(60)]
                return [r.status_code for r in await asyncio.gather(*requests)]

        started = time.monotonic()
        # In a thread of its own: the browser tests may leave an event loop in this one.
        with ThreadPoolExecutor(1) as pool:
            codes = pool.submit(asyncio.run, burst()).result()
        elapsed = time.monotonic() - started
        assert codes == [200] * 180
        assert elapsed < 20, f"180 requests took {elapsed:.1f} s"
    finally:
        _stop(proc)
