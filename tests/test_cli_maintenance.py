"""`cakap maintenance run`: expired sessions and login attempts older than every throttle
window are deleted; live sessions and attempts a window still counts are kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from typer.testing import CliRunner

from app.auth import sessions
from app.auth.models import AuthSession, LoginAttempt
from app.cli import app as cli
from app.db import utcnow

runner = CliRunner()


def test_maintenance_removes_expired_sessions_and_keeps_live_ones(
    db_url, monkeypatch, db, people, settings, tmp_path
):
    monkeypatch.setenv("CAKAP_DATABASE_URL", db_url)
    monkeypatch.setenv("CAKAP_DATA_DIR", str(tmp_path))
    now = utcnow()
    lifetime = timedelta(minutes=settings.session_absolute_minutes)
    expired = sessions.create(db, user_id=people.alice.id, settings=settings, now=now - lifetime)
    live = sessions.create(db, user_id=people.bob.id, settings=settings, now=now)
    longest = max(settings.login_window_minutes, settings.login_account_window_minutes)
    db.add_all(
        [
            LoginAttempt(account="lama", ip="10.0.0.1", at=now - timedelta(minutes=longest + 1)),
            LoginAttempt(account="baru", ip="10.0.0.2", at=now),
        ]
    )
    db.commit()

    result = runner.invoke(cli, ["maintenance", "run"])

    assert result.exit_code == 0, result.output
    assert "Sesi kedaluwarsa dihapus: 1." in result.output
    assert "Catatan percobaan masuk lama dihapus: 1." in result.output
    db.expire_all()
    left = set(db.scalars(select(AuthSession.id)))
    assert left == {sessions.token_hash(live)}
    assert sessions.token_hash(expired) not in left
    assert set(db.scalars(select(LoginAttempt.account))) == {"baru"}

    again = runner.invoke(cli, ["maintenance", "run"])
    assert again.exit_code == 0 and "Sesi kedaluwarsa dihapus: 0." in again.output
