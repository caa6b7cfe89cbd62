"""kill -9 in the middle of quiz answers and of an import (SQLite): after a restart the
database is intact, every acknowledged answer is there, and no batch is half-written."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.conftest import NIPS, PASSWORD
from tests.test_multiworker import CSRF, Visitor, _free_port

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


def _env(settings, tmp_path, port=0):
    return {
        **os.environ,
        "CAKAP_DATABASE_URL": settings.db_url,
        "CAKAP_DATA_DIR": str(tmp_path / "var"),
        "CAKAP_SECRET_KEY": settings.secret_key,
        "CAKAP_COURSES_DIR": str(tmp_path / "courses"),
        "CAKAP_BASE_URL": f"http://127.0.0.1:{port}",
    }


def _start(settings, tmp_path, port):
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
            "--log-level",
            "warning",
        ],
        env=_env(settings, tmp_path, port),
        cwd=ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail("server did not start")


def _integrity(path: str) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_kill_during_quiz_answers_loses_no_acknowledged_answer(settings, people, tmp_path):
    shutil.copytree(FIXTURES / "courses_quiz", tmp_path / "courses")
    port = _free_port()
    proc = _start(settings, tmp_path, port)
    alice = Visitor(f"http://127.0.0.1:{port}")
    alice.post("/masuk", {"identifier": NIPS["alice"], "password": PASSWORD})
    alice.post("/kursus/uji-kuis/daftar", {}, page="/kursus/uji-kuis")
    attempt = alice.post(
        "/kursus/uji-kuis/kuis/kuis-lengkap/mulai", {}, page="/kursus/uji-kuis/kuis/kuis-lengkap"
    ).headers["location"]
    token = CSRF.search(alice.request("GET", attempt).text).group(1)
    acknowledged: dict[str, list[str]] = {}
    sent: dict[str, list[str]] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def answer(worker: int):
        n = 0
        while not stop.is_set():
            value = f"jawaban-{worker}-{n}"
            n += 1
            with lock:
                sent.setdefault("isian", []).append(value)
            try:
                r = alice.request(
                    "POST",
                    f"{attempt}/jawab",
                    data={"question": "isian", "q-isian": value},
                    headers={"HX-Request": "true", "X-CSRF-Token": token},
                    timeout=5,
                )
            except httpx.HTTPError:
                return
            if r.status_code == 200:
                with lock:
                    acknowledged.setdefault("isian", []).append(value)

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stop.set()
    for t in threads:
        t.join()
    assert acknowledged["isian"], "no answer was acknowledged before the kill"
    db_path = settings.db_url.removeprefix("sqlite:///")
    assert _integrity(db_path) == "ok"
    with sqlite3.connect(db_path) as conn:
        stored = conn.execute(
            "SELECT response FROM quiz_answers WHERE question_id = 'isian'"
        ).fetchone()[0]
    stored = stored.strip('"')
    # the stored answer is the last acknowledged one, or one sent after it (its reply was
    # lost in the kill) — never an older one
    last_ack = acknowledged["isian"][-1]
    assert stored in sent["isian"][sent["isian"].index(last_ack) :]
    # after a restart the attempt continues and can be submitted
    proc = _start(settings, tmp_path, port)
    try:
        page = alice.request("GET", attempt).text
        assert f'value="{stored}"' in page
        assert (
            alice.request(
                "POST", f"{attempt}/kumpulkan", data={"csrf_token": token, "konfirmasi": "1"}
            ).status_code
            == 303
        )
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


PAUSE_IN_SECOND_BATCH = """
import pathlib, runpy, sys, time
import app.users.importing as importing
marker = pathlib.Path(sys.argv.pop(1))
original, calls = importing._create_batch, []
def create_batch(db, batch, now):
    touched = original(db, batch, now)
    calls.append(1)
    if len(calls) == 2:
        db.flush()
        marker.write_text("written, not committed")
        time.sleep(3600)
    return touched
importing._create_batch = create_batch
sys.argv[0] = "cakap"
runpy.run_module("app.cli", run_name="__main__")
"""


def test_kill_during_import_leaves_whole_batches(settings, people, tmp_path):
    (tmp_path / "courses").mkdir()
    csv_path = tmp_path / "asn.csv"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "gen_import.py"),
            "--rows",
            "6000",
            "--out",
            str(csv_path),
            "--opds",
            "DISKOMINFO,BAPPEDA",
        ],
        check=True,
        capture_output=True,
    )
    db_path = settings.db_url.removeprefix("sqlite:///")

    def users() -> int:
        with sqlite3.connect(db_path, timeout=10) as conn:
            return conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]

    before = users()
    env = _env(settings, tmp_path)
    marker = tmp_path / "second-batch-written"
    # The importer runs in its own process, stopped deterministically in the middle of its
    # second batch — rows written, not committed — and killed there. (Killing "as soon as
    # the first rows appear" raced: a fast machine finished the import first.)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PAUSE_IN_SECOND_BATCH,
            str(marker),
            "users",
            "import",
            str(csv_path),
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists(), "the importer never reached its second batch"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _integrity(db_path) == "ok"
    imported = users() - before
    assert imported == 1000, imported  # the committed batch, none of the one in flight
    with sqlite3.connect(db_path) as conn:
        orphans = conn.execute(
            "SELECT COUNT(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id)"
        ).fetchone()[0]
    assert orphans == 0  # each batch wrote people and their roles together
    # running the same file again completes it
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "users", "import", str(csv_path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert users() - before == 6000
    assert re.search(r"\d+ tidak berubah", done.stdout)
