"""`cakap report opd-completion`: the dashboard's numbers as files, for cron jobs; and
`cakap report rollups`, which checks (and rebuilds) the dashboard's rollups."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import update
from typer.testing import CliRunner

from app.cli import app as cli
from app.reports.models import ReportRollup
from tests.test_reports_http import city, login  # noqa: F401  (the `city` fixture)

runner = CliRunner()


@pytest.fixture
def env(monkeypatch, db_url, tmp_path):
    monkeypatch.setenv("CAKAP_DATABASE_URL", db_url)
    monkeypatch.setenv("CAKAP_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CAKAP_CITY_NAME", "Kota Uji Coba")
    monkeypatch.setenv("CAKAP_SIGNER_NAME", "Ir. Penanda Tangan")


def test_csv_is_the_same_file_the_dashboard_exports(env, city, make_client, tmp_path):  # noqa: F811
    out = tmp_path / "capaian.csv"
    args = ["report", "opd-completion", "--course", "orientasi", "--status", "CPNS"]
    result = runner.invoke(cli, [*args, "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 OPD, 1 dari 2 pendaftaran selesai (50.0%)" in result.output
    kiki = login(make_client, "kiki")
    web = kiki.get("/laporan/ekspor/opd.csv?kursus=orientasi&status=CPNS")
    assert out.read_bytes() == web.content


def test_xlsx_and_pdf(env, city, tmp_path):  # noqa: F811
    xlsx = tmp_path / "capaian.xlsx"
    result = runner.invoke(
        cli,
        [
            "report",
            "opd-completion",
            "-f",
            "xlsx",
            "-o",
            str(xlsx),
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-30",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(xlsx).active.iter_rows(values_only=True))
    block = {r[0]: r[1] for r in rows if r[0]}
    assert block["Pemerintah"] == "Kota Uji Coba"
    assert block["Periode penyelesaian"] == "1 Juni 2026 – 30 Juni 2026"
    # June: Alice, Olga (orientasi) and Bob (etika) completed; Bob's orientasi not started
    assert rows[-1][:6] == ("Total kota", 6, 7, 1, 1, 3)
    pdf = tmp_path / "capaian.pdf"
    result = runner.invoke(cli, ["report", "opd-completion", "--format", "PDF", "--out", str(pdf)])
    assert result.exit_code == 0, result.output
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Laporan Capaian Pelatihan ASN per OPD" in text and "Ir. Penanda Tangan" in text
    assert "71,4" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--course", "tidak-ada"], "Kursus 'tidak-ada' tidak ditemukan"),
        (["--status", "HONORER"], "Status kepegawaian 'HONORER' tidak dikenal"),
        (["--from", "31/12/2026"], "TTTT-BB-HH"),
        (["--format", "docx"], "docx"),
    ],
)
def test_usage_errors_exit_2(env, city, tmp_path, extra, message):  # noqa: F811
    out = tmp_path / "x.csv"
    result = runner.invoke(cli, ["report", "opd-completion", "--out", str(out), *extra])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_unwritable_output_exits_2(env, city, tmp_path):  # noqa: F811
    result = runner.invoke(
        cli, ["report", "opd-completion", "--out", str(tmp_path / "tidak-ada" / "x.csv")]
    )
    assert result.exit_code == 2 and "tidak dapat ditulis" in result.output


def test_rollups_check_and_rebuild(env, city, db):  # noqa: F811
    result = runner.invoke(cli, ["report", "rollups"])
    assert result.exit_code == 0, result.output
    assert "sesuai" in result.output
    # A write that bypassed the triggers (e.g. manual SQL with triggers disabled).
    db.execute(update(ReportRollup).values(completed=ReportRollup.completed + 1))
    db.commit()
    result = runner.invoke(cli, ["report", "rollups"])
    assert result.exit_code == 1
    assert "--rebuild" in result.output
    result = runner.invoke(cli, ["report", "rollups", "--rebuild"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(cli, ["report", "rollups"]).exit_code == 0
