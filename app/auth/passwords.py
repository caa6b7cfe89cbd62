"""Password hashing with passlib + argon2id."""

from __future__ import annotations

from functools import lru_cache

from passlib.context import CryptContext

from app.i18n import gettext as _

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


@lru_cache(maxsize=8)
def _context(memory_kib: int, time_cost: int, parallelism: int) -> CryptContext:
    return CryptContext(
        schemes=["argon2"],
        deprecated="auto",
        argon2__type="ID",
        argon2__memory_cost=memory_kib,
        argon2__time_cost=time_cost,
        argon2__parallelism=parallelism,
    )


class Hasher:
    """Hashes and verifies with the instance's argon2 parameters."""

    def __init__(self, memory_kib: int, time_cost: int, parallelism: int):
        self.ctx = _context(memory_kib, time_cost, parallelism)
        # Verified against when the account does not exist, so unknown users and wrong
        # passwords cost the same time.
        self._dummy = self.ctx.hash("cakap-dummy-password")

    def hash(self, password: str) -> str:
        return self.ctx.hash(password)

    def verify_and_update(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """(ok, new_hash): new_hash is set when the stored hash uses outdated parameters."""
        if not stored:
            self.ctx.verify(password, self._dummy)
            return False, None
        return self.ctx.verify_and_update(password, stored)

    def burn(self, password: str) -> None:
        self.ctx.verify(password, self._dummy)


def password_problem(password: str, *, nip: str | None = None) -> str | None:
    """A Bahasa Indonesia reason the password is unacceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Kata sandi minimal %(n)s karakter.") % {"n": MIN_PASSWORD_LENGTH}
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("Kata sandi maksimal %(n)s karakter.") % {"n": MAX_PASSWORD_LENGTH}
    if nip and nip in password:
        return _("Kata sandi tidak boleh memuat NIP Anda.")
    if len(set(password)) < 4:
        return _("Kata sandi terlalu mudah ditebak.")
    return None
