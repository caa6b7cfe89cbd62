"""Login throttling per account and per client address, kept in SQL (works across workers)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.auth.models import LoginAttempt
from app.config import Settings


def is_throttled(db: Session, *, account: str, ip: str, settings: Settings, now: datetime) -> bool:
    since = now - timedelta(minutes=settings.login_window_minutes)
    per_account = db.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.account == account, LoginAttempt.at > since)
    )
    if per_account >= settings.login_max_failures:
        return True
    per_ip = db.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.ip == ip, LoginAttempt.at > since)
    )
    return per_ip >= settings.login_max_failures_per_ip


def record_failure(
    db: Session, *, account: str, ip: str, settings: Settings, now: datetime
) -> None:
    # Old rows are useless for the window; trimming here keeps the table small without a cron.
    cutoff = now - timedelta(minutes=settings.login_window_minutes * 4)
    db.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    db.add(LoginAttempt(account=account[:254], ip=ip[:64], at=now))
