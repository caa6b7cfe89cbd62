"""Benchmark: a parallel wrong-password burst against one account (issue #15, item 3).

    .venv/bin/python bench/bench_login_burst.py [--requests 120]

Starts the app with production settings (argon2id defaults, hashing slots, throttle) on
SQLite with one seeded account, under uvicorn on 127.0.0.1 (1 worker), measures its idle
RSS, then fires --requests wrong-password POSTs at once (each with a valid CSRF token) and
the right password as soon as the first refusal (429) shows the budget is used up; then
the same burst spread over as many (unknown) accounts, which the throttle lets through and
only the hashing slots bound. Prints
how many passwords the server actually verified (from its audit log: one `login.failed` or
`login` event per verification), whether the right password was refused, the server's
peak RSS against idle (/proc/PID/status VmRSS, sampled every 5 ms) and the status codes.
Figures, not assertions; loopback only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import migrate  # noqa: E402
from app.auth.passwords import Hasher  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import make_engine, make_sessionmaker  # noqa: E402
from app.opds.models import Opd  # noqa: E402
from app.users.service import create_user  # noqa: E402

NIP = "199001012015012001"
PASSWORD = "frasa-rahasia-bench-123"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def defaults() -> Settings:
    """Field defaults, whatever CAKAP_* the caller's environment holds (e.g. test costs)."""
    return Settings.model_construct()


def seed(url: str) -> None:
    migrate.upgrade(url)
    s = defaults()
    hasher = Hasher(s.argon2_memory_kib, s.argon2_time_cost, s.argon2_parallelism)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as db:
        opd = Opd(code="DISKOMINFO", name="Dinas Komunikasi dan Informatika")
        db.add(opd)
        db.flush()
        create_user(
            db,
            full_name="Peserta Bench",
            nip=NIP,
            email="bench@uji.go.id",
            opd=opd,
            roles=set(),
            password_hash=hasher.hash(PASSWORD),
        )
        db.commit()
    engine.dispose()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class PeakSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.peak = max(self.peak, rss_kib(self.pid))
            except OSError:
                return
            time.sleep(0.005)


async def burst(base: str, requests: int, accounts: int) -> tuple[Counter, int | None, str, float]:
    """`requests` wrong passwords at once over `accounts` NIPs (the seeded one first), then
    the right password for the seeded account once a 429 came back (or all were answered)."""
    limits = httpx.Limits(max_connections=requests + 10)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        page = await client.get("/masuk")
        token = CSRF.search(page.text).group(1)
        budget_gone = asyncio.Event()

        async def wrong(i: int) -> int:
            nip = NIP if i % accounts == 0 else f"199101012023011{i % accounts:03d}"
            form = {"identifier": nip, "password": "salah-sekali-ya", "csrf_token": token}
            r = await client.post("/masuk", data=form)
            if r.status_code == 429:
                budget_gone.set()
            return r.status_code

        started = time.perf_counter()
        all_wrong = asyncio.gather(*(wrong(i) for i in range(requests)))
        waiter = asyncio.create_task(budget_gone.wait())
        await asyncio.wait([waiter, all_wrong], return_when=asyncio.FIRST_COMPLETED, timeout=60)
        when = "after the first 429" if budget_gone.is_set() else "after all wrong ones"
        form = {"identifier": NIP, "password": PASSWORD, "csrf_token": token}
        right = await client.post("/masuk", data=form, follow_redirects=False)
        codes = Counter(await asyncio.wait_for(all_wrong, timeout=120))
        waiter.cancel()
        return codes, right.status_code, when, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=120)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cakap-bench-burst-"))
    url = f"sqlite:///{work / 'cakap.db'}"
    seed(url)
    (work / "courses").mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAKAP_")}
    env.update(
        PYTHONPATH=str(ROOT),
        CAKAP_DATABASE_URL=url,
        CAKAP_DATA_DIR=str(work / "var"),
        CAKAP_COURSES_DIR=str(work / "courses"),
        CAKAP_SECRET_KEY=secrets.token_urlsafe(40),
        CAKAP_BASE_URL=base,
    )
    log = (work / "server.log").open("wb")
    command = [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1", "--log-level", "warning"]
    proc = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            print(f"server did not become ready; see {work / 'server.log'}")
            return 2
        for _ in range(20):  # warm the page and template caches, no password hashed
            httpx.get(base + "/masuk", timeout=5)
        idle = rss_kib(proc.pid)
        rows = [scenario(base, proc.pid, work, args.requests, 1)]
        rows.append(scenario(base, proc.pid, work, args.requests, args.requests))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    s = defaults()
    print(
        f"argon2id m={s.argon2_memory_kib} KiB t={s.argon2_time_cost} p={s.argon2_parallelism}, "
        f"{s.password_hash_concurrency} hashing slots (wait {s.password_hash_wait_seconds:g} s), "
        f"budget {s.login_max_failures} failures per (account, address) per "
        f"{s.login_window_minutes} min; SQLite, 1 uvicorn worker; idle RSS {idle / 1024:.1f} MiB"
    )
    for row in rows:
        peak = row["peak"] / 1024
        right = row["right"]
        print(
            f"\n{args.requests} wrong passwords at once over {row['accounts']} account(s): "
            f"{row['seconds']:.2f} s"
            + (f", the right one {row['when']}" if row["accounts"] == 1 else "")
        )
        print(f"  passwords verified by the server: {row['verified']}")
        if row["accounts"] == 1:
            print(f"  right password: HTTP {right} ({'refused' if right == 429 else 'accepted'})")
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(row["codes"].items()))
        print(f"  status codes of the wrong ones: {codes}")
        print(f"  server RSS peak {peak:.1f} MiB (+{peak - idle / 1024:.1f} MiB over idle)")
    one = rows[0]
    met = (
        one["verified"] <= s.login_max_failures
        and one["right"] == 429
        and max(r["peak"] for r in rows) - idle <= 300 * 1000 * 1000 / 1024
    )
    verdict = "met" if met else "missed"
    print(
        f"\ntarget (one account: ≤ {s.login_max_failures} verified, right refused; "
        f"peak ≤ idle + 300 MB): {verdict}"
    )
    return 0


def scenario(base: str, pid: int, work: Path, requests: int, accounts: int) -> dict:
    before = verified_so_far(work)
    sampler = PeakSampler(pid)
    sampler.start()
    codes, right, when, seconds = asyncio.run(burst(base, requests, accounts))
    sampler.stop.set()
    sampler.join(timeout=5)
    verified = verified_so_far(work) - before
    return {
        "accounts": accounts,
        "codes": codes,
        "right": right,
        "when": when,
        "seconds": seconds,
        "peak": sampler.peak,
        "verified": verified,
    }


def verified_so_far(work: Path) -> int:
    """Each verified password leaves one audit event: `login.failed` or `login`."""
    with sqlite3.connect(work / "cakap.db") as conn:
        return conn.execute(
            "SELECT count(*) FROM audit_events WHERE action IN ('login', 'login.failed')"
        ).fetchone()[0]


if __name__ == "__main__":
    raise SystemExit(main())
