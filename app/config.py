"""One settings object for the whole instance (env prefix CAKAP_)."""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.files import private_dir

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAKAP_", env_file=".env", extra="ignore")

    # Where the embedded database, the generated secret key and signing keys live.
    data_dir: Path = Field(default=PROJECT_ROOT / "var")
    database_url: str | None = None
    secret_key: str | None = None
    courses_dir: Path = Field(default=PROJECT_ROOT / "courses")
    sync_courses_on_startup: bool = True
    # Database connections each worker keeps open (PostgreSQL: keep workers × this below
    # max_connections). Unset: 20 on PostgreSQL, 40 on SQLite (one per threadpool thread).
    db_pool_size: int | None = None

    city_name: str = "Kota Bandar Lampung"
    office_name: str = "Dinas Komunikasi dan Informatika"
    base_url: str = "http://127.0.0.1:8000"
    default_locale: str = "id"
    # The city's time zone: Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT).
    # Set it before the first `cakap db upgrade`: the report rollups count days in it.
    # What else follows it: docs/deploy/README.md.
    timezone: str = "Asia/Jakarta"

    # Who signs certificates and reports: the defaults for what admins set under
    # Admin › Penandatangan (app/city). No name by default: a title is not a name.
    signer_name: str | None = None
    signer_nip: str | None = None
    signer_title: str = "Kepala Dinas Komunikasi dan Informatika"
    certificate_prefix: str = "CKP"
    # Ed25519 signing keys live outside the database (default: <data_dir>/keys).
    keys_dir: Path | None = None
    # Optional legal e-signature (TTE, PP 71/2019): a PKCS#12 signing certificate, e.g. from
    # BSrE. When set, certificate PDFs are also signed as PAdES.
    pades_pkcs12: Path | None = None
    pades_password: str | None = None

    # Sessions: idle and absolute lifetime, in minutes.
    session_idle_minutes: int = 120
    session_absolute_minutes: int = 12 * 60

    # Login throttling (stored in the database, so it holds across workers). Failures are
    # counted per (account, address), so an attacker elsewhere cannot lock a person out of
    # their own office; a higher per-account ceiling stops attacks spread over many
    # addresses, and a per-address ceiling (high enough for an office behind one NAT)
    # stops password spraying over many accounts.
    login_max_failures: int = 5  # per (account, address) per login_window_minutes
    login_window_minutes: int = 15
    login_max_failures_per_account: int = 50  # all addresses, per login_account_window_minutes
    login_account_window_minutes: int = 60
    login_max_failures_per_ip: int = 200  # all accounts, per login_window_minutes

    # argon2id cost: OWASP's recommended minimum (19 MiB, t=2, p=1); raise it if the server
    # has the memory and time. Existing hashes are rehashed to these at the next login.
    # Tests lower them through the environment.
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    # Password hashes computed at once per worker (each holds argon2_memory_kib of RAM); a
    # request waits this long for a free slot, then gets 429 with Retry-After.
    password_hash_concurrency: int = Field(default=2, ge=1)
    password_hash_wait_seconds: float = Field(default=2.0, ge=0)

    log_json: bool = False

    # Request bodies: the small limit for every request, the larger one only for the file
    # upload routes of a logged-in user (ASN and OPD imports). Refused with 413 while the
    # body streams in, before anything parses it.
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 12 * 1024 * 1024

    # Outgoing mail (any SMTP server). Unset host: mails wait in the outbox and
    # `cakap notify run` says so; nothing is lost.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    # The From address; unset: noreply@ the host of base_url.
    mail_from: str | None = None
    # `cakap notify run`: messages claimed per transaction; retries back off from
    # notify_retry_seconds, doubling up to notify_retry_max_seconds, and a message is
    # given up ("gagal") after notify_max_attempts tries. A message claimed by a run that
    # died is due again after notify_sending_lease_minutes.
    notify_batch_size: int = Field(default=50, ge=1)
    notify_max_attempts: int = Field(default=8, ge=1)
    notify_retry_seconds: int = Field(default=60, ge=1)
    notify_retry_max_seconds: int = Field(default=3600, ge=1)
    notify_sending_lease_minutes: int = Field(default=15, ge=1)
    # Forgot password: how long the mailed link works, and how many requests per
    # account and per address are sent per hour.
    password_reset_minutes: int = Field(default=30, ge=1)
    password_reset_per_account_per_hour: int = Field(default=3, ge=1)
    password_reset_per_ip_per_hour: int = Field(default=30, ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        # Indonesia's zones keep one offset all year; the rollup triggers rely on it.
        try:
            zone = ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"CAKAP_TIMEZONE: zona waktu {value!r} tidak dikenal") from None
        offsets = {datetime(2026, month, 1, tzinfo=zone).utcoffset() for month in (1, 7)}
        if len(offsets) != 1:
            raise ValueError(f"CAKAP_TIMEZONE: {value!r} memakai waktu musim panas")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_not_weak(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 32:
            raise ValueError("CAKAP_SECRET_KEY harus minimal 32 karakter")
        return value

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'cakap.db'}"

    @property
    def mail_sender(self) -> str:
        if self.mail_from:
            return self.mail_from
        host = urlsplit(self.base_url).hostname or "localhost"
        return f"Cakap <noreply@{host}>"

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)

    @property
    def signing_keys_dir(self) -> Path:
        return self.keys_dir or self.data_dir / "keys"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @cached_property
    def secret(self) -> bytes:
        """The instance secret: given, or generated once and kept in data_dir.

        Several workers may start at once, so the file is created exclusively and a
        loser of that race reads the winner's key.
        """
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret_key"
        private_dir(self.data_dir)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip().encode()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()


def get_settings() -> Settings:
    return Settings()
