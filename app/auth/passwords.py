"""Password hashing with passlib + argon2id, a few at a time per process."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING

from passlib.context import CryptContext

from app.i18n import gettext as _

if TYPE_CHECKING:
    from app.config import Settings

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


@lru_cache(maxsize=8)
def _hashing_threads(concurrency: int) -> ThreadPoolExecutor:
    """One pool per process and size, shared by every Hasher (tests build many apps)."""
    return ThreadPoolExecutor(concurrency, thread_name_prefix="argon2")


class HashBusy(Exception):
    """Every hashing slot stayed taken for the whole wait; answered as 429 + Retry-After."""

    def __init__(self, retry_after: int):
        super().__init__(f"password hashing busy, retry after {retry_after} s")
        self.retry_after = retry_after


class Hasher:
    """Hashes and verifies with the instance's argon2 parameters, at most `concurrency`
    at a time in this process.

    Each argon2 computation holds `memory_kib` of RAM, so unbounded parallel logins are a
    memory bomb (120 anonymous requests once took a worker from 210 MiB to 2.1 GiB). A
    request waits up to `wait_seconds` for a slot, then gets HashBusy. The work runs on
    `concurrency` dedicated threads rather than the caller's: glibc keeps a freed argon2
    block in the arena of the thread that used it, so hashing on any of the 40 threadpool
    threads left ~19 MiB resident per arena (365 MiB after a burst, against 99 MiB on two
    dedicated threads). Per process by design: it bounds this process's memory.
    """

    def __init__(
        self,
        memory_kib: int,
        time_cost: int,
        parallelism: int,
        *,
        concurrency: int = 2,
        wait_seconds: float = 2.0,
    ):
        self.ctx = _context(memory_kib, time_cost, parallelism)
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(concurrency)
        self._threads = _hashing_threads(concurrency)
        # Verified against when the account does not exist, so unknown users and wrong
        # passwords cost the same time.
        self._dummy = self.ctx.hash("cakap-dummy-password")

    def _bounded(self, fn, *args):
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise HashBusy(max(1, math.ceil(self.wait_seconds)))
        try:
            # A slot is held, so the pool has a free thread (a process has one Hasher; only
            # tests build several, and they then share the pool's threads).
            return self._threads.submit(fn, *args).result()
        finally:
            self._slots.release()

    def hash(self, password: str) -> str:
        return self._bounded(self.ctx.hash, password)

    def verify_and_update(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """(ok, new_hash): new_hash is set when the stored hash uses outdated parameters."""
        if not stored:
            self._bounded(self.ctx.verify, password, self._dummy)
            return False, None
        return self._bounded(self.ctx.verify_and_update, password, stored)

    def burn(self, password: str) -> None:
        self._bounded(self.ctx.verify, password, self._dummy)


def hasher_from_settings(settings: Settings) -> Hasher:
    """The instance's hasher (argon2 cost and per-process bound from the settings), built
    the same way for the web app and the CLI."""
    return Hasher(
        settings.argon2_memory_kib,
        settings.argon2_time_cost,
        settings.argon2_parallelism,
        concurrency=settings.password_hash_concurrency,
        wait_seconds=settings.password_hash_wait_seconds,
    )


def new_password_problem(password: str, confirm: str, *, nip: str | None) -> str | None:
    """Why a new password typed twice (change, reset, activation) is refused, or None."""
    if password != confirm:
        return _("Konfirmasi kata sandi baru tidak sama.")
    return password_problem(password, nip=nip)


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
