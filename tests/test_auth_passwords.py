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
    # OWASP: argon2id with m >= 19 MiB, t >= 2, p >= 1.
    assert defaults["argon2_memory_kib"] >= 19 * 1024
    assert defaults["argon2_time_cost"] >= 2
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
