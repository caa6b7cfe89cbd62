"""`cakap notify run` as cron runs it: silent with nothing to do, says so without SMTP,
and two processes started at the same moment send every message once."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import PROJECT_ROOT
from app.notifications.models import Channel, Notification, Status
from app.notifications.outbox import enqueue

runner = CliRunner()


def _env(monkeypatch, settings, tmp_path):
    monkeypatch.setenv("CAKAP_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("CAKAP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CAKAP_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("CAKAP_BASE_URL", settings.base_url)


def _smtp_env(monkeypatch, mail_server):
    monkeypatch.setenv("CAKAP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CAKAP_SMTP_PORT", str(mail_server.port))
    monkeypatch.setenv("CAKAP_SMTP_STARTTLS", "false")


def test_without_smtp_the_command_says_mails_wait(
    monkeypatch, settings, tmp_path, db, people, clock
):
    _env(monkeypatch, settings, tmp_path)
    monkeypatch.delenv("CAKAP_SMTP_HOST", raising=False)
    enqueue(db, recipient=people.alice, kind="smtp_test", dedup_key="uji:1", now=clock.now)
    db.commit()
    result = runner.invoke(cli, ["notify", "run"])
    assert result.exit_code == 0, result.output
    assert "SMTP belum diatur (CAKAP_SMTP_HOST): 1 email menunggu di outbox." in result.output


def test_sends_and_is_silent_when_nothing_is_due(
    monkeypatch, settings, tmp_path, db, people, clock, mail_server
):
    _env(monkeypatch, settings, tmp_path)
    _smtp_env(monkeypatch, mail_server)
    enqueue(db, recipient=people.alice, kind="smtp_test", dedup_key="uji:1", now=clock.now)
    db.commit()
    result = runner.invoke(cli, ["notify", "run"])
    assert result.exit_code == 0, result.output
    assert "Terkirim: 1." in result.output
    assert [m["To"] for m in mail_server.received] == ["alice@uji.go.id"]
    again = runner.invoke(cli, ["notify", "run"])
    assert again.exit_code == 0 and again.output == ""


def test_server_down_exits_1_and_keeps_the_mail(
    monkeypatch, settings, tmp_path, db, people, clock, mail_server
):
    _env(monkeypatch, settings, tmp_path)
    _smtp_env(monkeypatch, mail_server)
    mail_server.stop()
    enqueue(db, recipient=people.alice, kind="smtp_test", dedup_key="uji:1", now=clock.now)
    db.commit()
    result = runner.invoke(cli, ["notify", "run"])
    assert result.exit_code == 1
    assert "Dicoba lagi nanti: 1." in result.output
    db.commit()
    db.expire_all()
    row = db.scalar(select(Notification).where(Notification.channel == Channel.email))
    assert row.status == Status.waiting and row.last_error


def test_two_processes_started_together_send_each_message_once(
    settings, tmp_path, db, people, clock, mail_server
):
    for n in range(200):
        person = people.alice if n % 2 else people.bob
        enqueue(db, recipient=person, kind="smtp_test", dedup_key=f"uji:{n}", now=clock.now)
    db.commit()
    env = {
        **os.environ,
        "CAKAP_DATABASE_URL": settings.db_url,
        "CAKAP_DATA_DIR": str(tmp_path),
        "CAKAP_SECRET_KEY": settings.secret_key,
        "CAKAP_SMTP_HOST": "127.0.0.1",
        "CAKAP_SMTP_PORT": str(mail_server.port),
        "CAKAP_SMTP_STARTTLS": "false",
    }
    command = [sys.executable, "-m", "app.cli", "notify", "run", "--batch", "5"]
    runs = [
        subprocess.Popen(  # noqa: S603 - our own command line
            command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    ids = [m["Message-ID"] for m in mail_server.received]
    assert len(ids) == 200 and len(set(ids)) == 200
    db.commit()
    db.expire_all()
    statuses = set(
        db.scalars(select(Notification.status).where(Notification.channel == Channel.email))
    )
    assert statuses == {Status.sent}
