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


def test_unknown_user_and_wrong_password_do_the_same_argon2_work(db, people, settings):
    """No account-existence oracle: both paths verify exactly one argon2 hash of the same
    cost (a dummy one for unknown accounts), and the hash is what a login's time is made
    of. Checked by recording the verifications rather than by timing them: a timing
    comparison failed whenever the machine was busy, and proves no more than this."""
    from app.auth import service
    from app.db import utcnow

    settings.login_max_failures = 10_000
    settings.login_max_failures_per_ip = 10_000
    hasher = Hasher(19 * 1024, 2, 1)
    people.alice.password_hash = hasher.hash("kata-sandi-yang-benar")
    db.commit()
    verified: list[str] = []
    real_verify, real_verify_and_update = hasher.ctx.verify, hasher.ctx.verify_and_update

    def verify(password, stored, *args, **kwargs):
        verified.append(stored)
        return real_verify(password, stored, *args, **kwargs)

    def verify_and_update(password, stored, *args, **kwargs):
        verified.append(stored)
        return real_verify_and_update(password, stored, *args, **kwargs)

    hasher.ctx.verify, hasher.ctx.verify_and_update = verify, verify_and_update

    def work_of(identifier: str) -> list[str]:
        verified.clear()
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
        return list(verified)

    unknown = work_of("199101012015011001")
    wrong = work_of("199001012015012001")
    assert len(unknown) == len(wrong) == 1
    # The same algorithm and cost: everything before the salt ($argon2id$v=19$m=…,t=…,p=…).
    cost = lambda stored: stored.rsplit("$", 2)[0]  # noqa: E731
    assert cost(unknown[0]) == cost(wrong[0]) == "$argon2id$v=19$m=19456,t=2,p=1"
    assert unknown[0] != people.alice.password_hash and wrong[0] == people.alice.password_hash
