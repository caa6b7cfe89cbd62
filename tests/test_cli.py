from __future__ import annotations

from sqlalchemy import func, select, text
from typer.testing import CliRunner

from app.cli import app as cli
from app.users.models import Role, User

runner = CliRunner()


def test_demo_and_user_create(db_url, monkeypatch, db, tmp_path):
    monkeypatch.setenv("CAKAP_DATABASE_URL", db_url)
    monkeypatch.setenv("CAKAP_DATA_DIR", str(tmp_path))
    result = runner.invoke(cli, ["demo", "--people", "8"])
    assert result.exit_code == 0, result.output
    assert "cakap-demo-2026" in result.output
    assert db.scalar(select(func.count()).select_from(User)) == 12
    roles = {r for u in db.scalars(select(User)) for r in u.roles}
    assert roles == set(Role)
    again = runner.invoke(cli, ["demo", "--if-empty"])
    assert again.exit_code == 0 and "dilewati" in again.output
    refused = runner.invoke(cli, ["demo"])
    assert refused.exit_code == 1

    ok = runner.invoke(
        cli,
        [
            "users",
            "create",
            "--name",
            "Dina Lestari",
            "--nip",
            "199203032019032003",
            "--opd",
            "BAPPEDA",
            "--role",
            "opd_admin",
            "--password",
            "frasa-rahasia-panjang",
        ],
    )
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(
        cli,
        ["users", "create", "--name", "X", "--nip", "123", "--password", "frasa-rahasia-panjang"],
    )
    assert bad.exit_code == 2 and "18 digit" in bad.output
    unknown_opd = runner.invoke(
        cli,
        [
            "users",
            "create",
            "--name",
            "Y",
            "--email",
            "y@uji.go.id",
            "--opd",
            "NOPE",
            "--password",
            "frasa-rahasia-panjang",
        ],
    )
    assert unknown_opd.exit_code == 2 and "NOPE" in unknown_opd.output


def test_unreachable_database_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CAKAP_DATABASE_URL", "postgresql+psycopg://cakap:x@127.0.0.1:1/none")
    result = runner.invoke(cli, ["demo"])
    assert result.exit_code == 2
    assert "tidak dapat dihubungi" in result.output


def test_unmigrated_database_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("CAKAP_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    result = runner.invoke(cli, ["demo"])
    assert result.exit_code == 2
    assert "cakap db upgrade" in result.output


def test_demo_scale_adds_a_generated_city(db_url, monkeypatch, db, tmp_path):
    """`cakap demo --scale N`: the demo accounts plus N generated ASN over ~40 OPDs, with
    enrolments, progress and certificates — and dashboard rollups that match them."""
    from app.demo import OPDS as DEMO_OPDS
    from app.demo_city import OPDS as CITY_OPDS
    from app.opds.models import Opd
    from app.progress.models import Enrolment
    from app.reports import rollups
    from app.reports.filters import ReportFilter
    from app.reports.opd_summary import opd_summary

    monkeypatch.setenv("CAKAP_DATABASE_URL", db_url)
    monkeypatch.setenv("CAKAP_DATA_DIR", str(tmp_path))
    result = runner.invoke(cli, ["demo", "--people", "4", "--scale", "150"])
    assert result.exit_code == 0, result.output
    assert "150 ASN" in result.output and "cakap-demo-2026" in result.output
    assert DEMO_OPDS == CITY_OPDS[: len(DEMO_OPDS)]  # one list of the city's OPDs
    assert db.scalar(select(func.count()).select_from(User)) == 4 + 4 + 150
    assert db.scalar(select(func.count()).select_from(Opd)) == len(CITY_OPDS)
    statuses = set(db.scalars(select(Enrolment.status).distinct()))
    assert {"enrolled", "in_progress", "completed"} <= statuses
    totals = opd_summary(db, ReportFilter()).totals
    assert totals.enrolled > 150 and totals.certificates > 0
    assert rollups.differences(db) == []
    if db.get_bind().dialect.name == "postgresql":
        # Paused for the bulk load (PostgreSQL), and on again afterwards.
        states = db.execute(
            text("SELECT tgname, tgenabled FROM pg_trigger WHERE tgname LIKE 'report_rollups_%'")
        ).all()
        assert len(states) == 8 and {state for _, state in states} == {"O"}
    # The app's own inserts still get fresh ids after the generated rows (PostgreSQL).
    ok = runner.invoke(
        cli,
        ["users", "create", "--name", "Uji Baru", "--nip", "199203032019032003"]
        + ["--password", "frasa-rahasia-panjang"],
    )
    assert ok.exit_code == 0, ok.output
