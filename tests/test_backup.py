"""cakap backup / restore: a consistent online copy that restores into an empty directory
with every user, attempt and certificate, and certificates that still verify."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.certificates.signing import KeyStore, verify
from tests.test_certificates_http import complete_course

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


@pytest.fixture
def app(settings, clock, tmp_path):
    from app.main import create_app

    shutil.copytree(FIXTURES / "courses_quiz", tmp_path / "courses")
    settings.courses_dir = tmp_path / "courses"
    return create_app(settings, clock=clock)


def test_backup_and_restore_into_an_empty_directory(
    client, people, settings, tmp_path, monkeypatch
):
    from app.cli import app as cli

    complete_course(client)  # a quiz attempt and a certificate exist now
    db_path = settings.db_url.removeprefix("sqlite:///")
    monkeypatch.setenv("CAKAP_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("CAKAP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CAKAP_SECRET_KEY", settings.secret_key)
    runner = CliRunner()
    archive = tmp_path / "cadangan.tar.gz"
    result = runner.invoke(cli, ["backup", str(archive)])  # while the app is running
    assert result.exit_code == 0, result.output
    target = tmp_path / "pulih"
    restored = runner.invoke(cli, ["restore", str(archive), "--data-dir", str(target)])
    assert restored.exit_code == 0, restored.output
    with sqlite3.connect(db_path) as a, sqlite3.connect(target / "cakap.db") as b:
        for table in ("users", "quiz_attempts", "quiz_answers", "certificates", "enrolments"):
            query = f"SELECT * FROM {table} ORDER BY id"
            assert a.execute(query).fetchall() == b.execute(query).fetchall(), table
        payload, kid, signature = b.execute(
            "SELECT payload, kid, signature FROM certificates"
        ).fetchone()
    import json

    assert verify(json.loads(payload), kid, signature, KeyStore(target / "keys").public_keys())
    again = runner.invoke(cli, ["restore", str(archive), "--data-dir", str(target)])
    assert again.exit_code == 2 and "tidak kosong" in again.output


def test_backup_of_postgresql_points_to_pg_dump(monkeypatch, tmp_path):
    from app.cli import app as cli

    monkeypatch.setenv("CAKAP_DATABASE_URL", "postgresql+psycopg://cakap@127.0.0.1/cakap")
    result = CliRunner().invoke(cli, ["backup", str(tmp_path / "x.tar.gz")])
    assert result.exit_code == 2 and "pg_dump" in result.output
