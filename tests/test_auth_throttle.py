"""Login throttling counted before the hash, per (account, address), and bounded hashing —
through HTTP, on SQLite and PostgreSQL. Bursts run as parallel threads against a live
uvicorn server; they synchronise on events in a wrapped hasher, never on sleeps."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed

import httpx2 as httpx
from passlib.hash import argon2
from sqlalchemy import func, select

from app.auth.models import LoginAttempt
from app.auth.passwords import Hasher
from app.config import Settings
from app.main import create_app
from app.users.models import User
from tests.conftest import CSRF_RE, NIPS, PASSWORD, Browser, serving

WRONG = "salah-sekali"


class Anonymous:
    """One anonymous browser: its cookie and CSRF token, reused by parallel posts."""

    def __init__(self, base: str):
        self.base = base
        page = httpx.get(base + "/masuk")
        self.cookies = dict(page.cookies)
        self.token = CSRF_RE.search(page.text).group(1)

    def login(self, nip: str, password: str) -> httpx.Response:
        form = {"identifier": nip, "password": password, "csrf_token": self.token}
        return httpx.post(self.base + "/masuk", data=form, cookies=self.cookies, timeout=60)


class GatedHasher:
    """The app's hasher, counting verifications; each waits until `release` is set."""

    def __init__(self, inner: Hasher):
        self.inner = inner
        self.verified = 0
        self.arrived = threading.Semaphore(0)
        self.release = threading.Event()
        self._lock = threading.Lock()

    def verify_and_update(self, password, stored):
        with self._lock:
            self.verified += 1
        self.arrived.release()
        assert self.release.wait(60)
        return self.inner.verify_and_update(password, stored)

    def hash(self, password):
        return self.inner.hash(password)


def test_parallel_burst_verifies_at_most_the_budget(app, people, clock):
    """40 wrong passwords at once: only login_max_failures (5) reach argon2, the rest are
    refused unhashed, and the right password after them is refused as well. Before the
    fix every one of the 40 was hashed (the failure was written after the hash)."""
    budget = app.state.settings.login_max_failures
    gate = GatedHasher(app.state.hasher)
    app.state.hasher = gate
    with serving(app) as base, ThreadPoolExecutor(41) as pool:
        visitor = Anonymous(base)
        try:
            wrong = [pool.submit(visitor.login, NIPS["bob"], WRONG) for _ in range(40)]
            for _ in range(budget):  # the budget's attempts are now inside the hash
                assert gate.arrived.acquire(timeout=30)
            # While those hang in the hash, every other attempt is answered without one.
            refused = []
            for future in as_completed(wrong, timeout=30):
                refused.append(future.result())
                if len(refused) == 40 - budget:
                    break
            assert {r.status_code for r in refused} == {429}
            assert "Coba lagi dalam 15 menit" in refused[0].text
            assert 0 < int(refused[0].headers["Retry-After"]) <= 15 * 60
            right = pool.submit(visitor.login, NIPS["bob"], PASSWORD).result(timeout=30)
            assert right.status_code == 429
            assert gate.verified == budget
        finally:
            gate.release.set()
        assert sorted(f.result(timeout=30).status_code for f in wrong) == (
            [422] * budget + [429] * (40 - budget)
        )
        assert gate.verified == budget
        # After the window the right password works again.
        clock.advance(minutes=16)
        assert visitor.login(NIPS["bob"], PASSWORD).status_code == 303


class BlockingContext:
    """Stands in for a Hasher's passlib context: while `armed`, a verification signals
    `entered` and holds its hashing slot until `release` is set."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    def verify_and_update(self, password, stored):
        if self.armed:
            self.entered.set()
            assert self.release.wait(60)
        return self.ctx.verify_and_update(password, stored)

    def __getattr__(self, name):
        return getattr(self.ctx, name)


def test_busy_hashing_slots_answer_429_with_retry_after(settings, people, clock, db):
    settings.password_hash_concurrency = 1
    settings.password_hash_wait_seconds = 0.2
    app = create_app(settings, clock=clock)
    blocker = BlockingContext(app.state.hasher.ctx)
    app.state.hasher.ctx = blocker
    with serving(app) as base, ThreadPoolExecutor(2) as pool:
        kiki = Browser(app, base_url="http://testserver")
        with kiki:
            kiki.login(NIPS["kiki"])
            blocker.armed = True
            first = pool.submit(Anonymous(base).login, NIPS["alice"], PASSWORD)
            try:
                assert blocker.entered.wait(30)  # alice's hash holds the only slot
                busy = Anonymous(base).login(NIPS["bob"], PASSWORD)
                assert busy.status_code == 429
                assert busy.headers["Retry-After"] == "1"
                assert "Server sedang sibuk memeriksa kata sandi" in busy.text
                # Every use of the hasher is bounded: a password change gets the error page.
                change = kiki.submit(
                    "/akun/kata-sandi",
                    {"current": PASSWORD, "new": "frasa-baru-panjang", "confirm": "x"},
                    page="/akun",
                )
                assert change.status_code == 429 and change.headers["Retry-After"] == "1"
                assert "Terlalu banyak permintaan" in change.text
            finally:
                blocker.release.set()
            assert first.result(timeout=30).status_code == 303
    # The refused attempt checked no password, so it is not held against bob.
    count = select(func.count()).select_from(LoginAttempt)
    assert db.scalar(count.where(LoginAttempt.account == NIPS["bob"])) == 0


def at(app, ip: str) -> Browser:
    """A browser whose requests come from `ip`."""
    return Browser(app, base_url="http://testserver", client=(ip, 50000))


def test_attacker_elsewhere_cannot_lock_out_the_office(app, people):
    """Before: 5 wrong passwords from anywhere locked the account for everyone."""
    with at(app, "198.51.100.9") as attacker, at(app, "10.20.0.5") as office:
        codes = [
            attacker.submit("/masuk", {"identifier": NIPS["alice"], "password": WRONG})
            for _ in range(10)
        ]
        assert [r.status_code for r in codes] == [422] * 5 + [429] * 5
        office.login(NIPS["alice"])
        assert "Alice Rahmawati" in office.get("/").text
        assert "Coba lagi dalam 15 menit" in codes[-1].text
        assert int(codes[-1].headers["Retry-After"]) <= 15 * 60


def test_per_account_ceiling_stops_guessing_from_many_addresses(settings, people, clock):
    settings.login_max_failures_per_account = 15
    app = create_app(settings, clock=clock)
    for i in range(3):  # 3 addresses × 5 failures each: the account's ceiling
        with at(app, f"198.51.100.{i}") as guesser:
            for _ in range(5):
                r = guesser.submit("/masuk", {"identifier": NIPS["bob"], "password": WRONG})
                assert r.status_code == 422
    with at(app, "10.20.0.7") as office:
        r = office.submit("/masuk", {"identifier": NIPS["bob"], "password": PASSWORD})
        assert r.status_code == 429
        assert "dari berbagai alamat" in r.text and "Coba lagi dalam 60 menit" in r.text
        clock.advance(minutes=16)  # past the per-address window, not the account's
        r = office.submit("/masuk", {"identifier": NIPS["bob"], "password": PASSWORD})
        assert r.status_code == 429 and "Coba lagi dalam 44 menit" in r.text
        clock.advance(minutes=44, seconds=1)
        office.login(NIPS["bob"])


def test_office_behind_one_address_is_not_locked_by_colleagues_typos(app, people):
    """Before: 50 failures from one address (an office NAT) locked everyone behind it."""
    with at(app, "10.20.0.1") as office:
        for i in range(60):  # 20 colleagues, 3 typos each
            nip = f"199001012023011{i // 3 + 1:03d}"
            r = office.submit("/masuk", {"identifier": nip, "password": WRONG})
            assert r.status_code == 422
        office.login(NIPS["alice"])


def test_per_address_ceiling_stops_spraying(settings, people):
    settings.login_max_failures_per_ip = 4
    app = create_app(settings)
    with at(app, "203.0.113.7") as sprayer, at(app, "10.20.0.2") as office:
        codes = [
            sprayer.submit(
                "/masuk", {"identifier": f"19900101202301100{i}", "password": WRONG}
            ).status_code
            for i in range(1, 7)
        ]
        assert codes == [422] * 4 + [429] * 2
        r = sprayer.submit("/masuk", {"identifier": NIPS["alice"], "password": PASSWORD})
        assert r.status_code == 429 and "alamat jaringan ini" in r.text
        office.login(NIPS["alice"])


def test_successful_logins_do_not_use_the_budget(client, people):
    for _ in range(4):
        r = client.submit("/masuk", {"identifier": NIPS["alice"], "password": WRONG})
        assert r.status_code == 422
    for _ in range(6):  # each success takes back its own reserved attempt
        client.login(NIPS["alice"])
        client.submit("/keluar", page="/")
    r = client.submit("/masuk", {"identifier": NIPS["alice"], "password": WRONG})
    assert r.status_code == 422  # the 5th failure
    r = client.submit("/masuk", {"identifier": NIPS["alice"], "password": PASSWORD})
    assert r.status_code == 429


def test_old_64_mib_hash_is_rehashed_to_the_new_defaults_at_login(settings, people, clock, db):
    """Hashes made with the old defaults (64 MiB, t=3, p=4) move to OWASP's minimum."""
    for field in ("argon2_memory_kib", "argon2_time_cost", "argon2_parallelism"):
        setattr(settings, field, Settings.model_fields[field].default)
    old = Hasher(65536, 3, 4).hash(PASSWORD)
    people.alice.password_hash = old
    db.commit()
    with Browser(create_app(settings, clock=clock), base_url="http://testserver") as browser:
        browser.login(NIPS["alice"])
    db.expire_all()
    stored = db.scalar(select(User.password_hash).where(User.nip == NIPS["alice"]))
    assert stored != old
    info = argon2.from_string(stored)
    assert (info.memory_cost, info.rounds, info.parallelism) == (19456, 2, 1)
    assert re.match(r"\$argon2id\$v=19\$m=19456,t=2,p=1\$", stored)
