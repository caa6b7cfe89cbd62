from __future__ import annotations

from passlib.hash import argon2

from app.auth.passwords import Hasher, password_problem
from app.config import Settings


def test_production_parameters_meet_owasp_minimum():
    s = Settings.model_construct()  # field defaults, ignoring the test environment
    defaults = {
        k: Settings.model_fields[k].default
        for k in ("argon2_memory_kib", "argon2_time_cost", "argon2_parallelism")
    }
    assert s is not None
    # OWASP's recommended minimum for argon2id: m = 19 MiB, t = 2, p = 1. Not higher by
    # default: each concurrent hash holds m of RAM (see Hasher).
    assert defaults == {"argon2_memory_kib": 19456, "argon2_time_cost": 2, "argon2_parallelism": 1}
    hasher = Hasher(
        defaults["argon2_memory_kib"], defaults["argon2_time_cost"], defaults["argon2_parallelism"]
    )
    stored = hasher.hash("frasa-rahasia-panjang")
    assert stored.startswith("$argon2id$")
    info = argon2.from_string(stored)
    assert info.memory_cost >= 19 * 1024 and info.rounds >= 2


def test_rehash_when_parameters_change():
    old = Hasher(1024, 1, 1)
    stored = old.hash("frasa-rahasia-panjang")
    new = Hasher(2048, 2, 1)
    ok, updated = new.verify_and_update("frasa-rahasia-panjang", stored)
    assert ok and updated and updated != stored
    assert argon2.from_string(updated).memory_cost == 2048
    ok, updated = new.verify_and_update("salah", stored)
    assert not ok and updated is None


def test_unknown_user_still_costs_a_verification():
    hasher = Hasher(1024, 1, 1)
    assert hasher.verify_and_update("apa-saja", None) == (False, None)


def test_password_rules():
    assert password_problem("pendek") is not None
    assert password_problem("aaaaaaaaaaaa") is not None
    assert password_problem("x199001012015012001x", nip="199001012015012001") is not None
    assert password_problem("kuda-biru-makan-pisang") is None


def test_unknown_user_and_wrong_password_take_the_same_time(db, people, settings):
    """No account-existence oracle: both paths verify one argon2 hash (a dummy one for
    unknown accounts). With a realistic cost the hash dominates, so the medians match."""
    import statistics
    import time

    from app.auth import service
    from app.db import utcnow

    settings.login_max_failures = 10_000
    settings.login_max_failures_per_ip = 10_000
    hasher = Hasher(19 * 1024, 2, 1)
    people.alice.password_hash = hasher.hash("kata-sandi-yang-benar")
    db.commit()

    def timed(identifier: str) -> float:
        start = time.perf_counter()
        result = service.login(
            db,
            identifier=identifier,
            password="salah-sekali-ya",
            hasher=hasher,
            settings=settings,
            now=utcnow(),
            ip="10.0.0.1",
        )
        assert result.outcome.value == "invalid"
        return time.perf_counter() - start

    unknown = [timed(f"19910101201501100{i % 9 + 1}") for i in range(9)]
    wrong = [timed("199001012015012001") for _ in range(9)]
    a, b = statistics.median(unknown), statistics.median(wrong)
    assert 0.7 < a / b < 1.4, (a, b)
