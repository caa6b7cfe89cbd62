"""ASN import through the web and the CLI, activation codes, and OPD scoping."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.users.models import ActivationCode, ImportJob, User
from tests.conftest import NIPS

FIXTURES = Path(__file__).parent / "fixtures" / "import"
MESSY = (FIXTURES / "messy.csv").read_bytes()
CLEAN = (FIXTURES / "clean.csv").read_bytes()


def _upload(client, data: bytes, name: str = "pegawai.csv"):
    token = client.csrf("/admin/impor")
    return client.post(
        "/admin/impor", data={"csrf_token": token}, files={"berkas": (name, data, "text/csv")}
    )


def latest_job(db) -> ImportJob:
    db.rollback()  # end the test session's read snapshot (SQLite WAL) first
    db.expire_all()
    return db.scalars(select(ImportJob).order_by(ImportJob.id.desc())).first()


def _people_count(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(User))


def test_messy_csv_preview_then_apply(client, people, db):
    client.login(NIPS["adi"])
    before = _people_count(db)
    preview = _upload(client, MESSY)
    assert preview.status_code == 200 and "Pratinjau" in preview.text
    job = latest_job(db)
    # nothing written yet
    assert _people_count(db) == before
    assert job.counts["create"] == 4 and job.counts["rejected"] == 7
    rows = {p["row"] for p in job.problems if p["level"] == "error"}
    assert rows == {7, 8, 9, 10, 11, 12, 13}
    reasons = " ".join(p["reason"] for p in job.problems)
    for phrase in (
        "18 digit",
        "tanggal lahir",
        "notasi ilmiah",
        "sama dengan baris 2",
        "DISHUB-X",
        "Nama wajib",
        "Email",
    ):
        assert phrase in reasons, phrase
    assert "baris" in preview.text.lower() and "DISHUB-X" in preview.text
    applied = client.submit(f"/admin/impor/{job.id}/terapkan", page=f"/admin/impor/{job.id}")
    assert applied.status_code == 200 and "Impor selesai" in applied.text
    assert _people_count(db) == before + 4
    db.rollback()
    honorer = db.scalar(select(User).where(User.nik == "3273014708950003"))
    assert honorer.employment_status == "NON_ASN" and honorer.password_hash is None
    cpns = db.scalar(select(User).where(User.nip == "199805052024032001"))
    # no status given: TMT 2024 is more than a year ago, so PNS (CPNS serve one year)
    assert cpns.employment_status == "PNS" and cpns.golongan == "III/a"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "import.applied")) is not None


def test_reimport_is_a_noop_and_changes_update(client, people, db):
    client.login(NIPS["adi"])
    job_page = _upload(client, MESSY)
    job = latest_job(db)
    client.submit(f"/admin/impor/{job.id}/terapkan", page=job_page.url.path)
    count = _people_count(db)
    _upload(client, MESSY)
    second = latest_job(db)
    assert second.counts["create"] == 0 and second.counts["update"] == 0
    assert second.counts["unchanged"] == 4
    # a changed jabatan updates the person, keeps their account and is audited
    changed = MESSY.replace(
        b"Pranata Komputer Ahli Muda;III/c;PNS;01-01-2010",
        b"Pranata Komputer Ahli Madya;III/c;PNS;01-01-2010",
    )
    _upload(client, changed)
    third = latest_job(db)
    assert third.counts["update"] == 1
    client.submit(f"/admin/impor/{third.id}/terapkan", page=f"/admin/impor/{third.id}")
    assert _people_count(db) == count
    db.rollback()
    siti = db.scalar(select(User).where(User.nip == "198503152010011002"))
    assert siti.jabatan == "Pranata Komputer Ahli Madya"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.updated_by_import"))
    assert event.target == str(siti.id) and "jabatan" in event.detail["changes"]


def test_xlsx_import(client, people, db):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NIP", "Nama", "Kode OPD", "Status"])
    sheet.append(["199001012015012009", "Nur Hasanah", "BAPPEDA", "PNS"])
    buffer = io.BytesIO()
    book.save(buffer)
    client.login(NIPS["adi"])
    _upload(client, buffer.getvalue(), "pegawai.xlsx")
    job = latest_job(db)
    assert job.counts["create"] == 1
    client.submit(f"/admin/impor/{job.id}/terapkan", page=f"/admin/impor/{job.id}")
    db.rollback()
    assert (
        db.scalar(select(User).where(User.nip == "199001012015012009")).full_name == "Nur Hasanah"
    )


def test_opd_admin_imports_only_into_own_opd(make_client, people, db):
    olga = make_client()
    olga.login(NIPS["olga"])  # OPD A = DISKOMINFO
    _upload(olga, MESSY)
    job = latest_job(db)
    reasons = [p["reason"] for p in job.problems]
    assert any("hanya dapat mengimpor pegawai OPD Anda" in r for r in reasons)
    assert job.opd_scope_id == people.opd_a.id
    # another manager's job is invisible
    adi = make_client()
    adi.login(NIPS["adi"])
    _upload(adi, CLEAN)
    admin_job = latest_job(db)
    assert olga.get(f"/admin/impor/{admin_job.id}").status_code == 404
    token = olga.csrf("/admin/impor")
    assert (
        olga.post(f"/admin/impor/{admin_job.id}/terapkan", data={"csrf_token": token}).status_code
        == 404
    )
    # activation list for another OPD is refused
    r = olga.post("/admin/aktivasi", data={"csrf_token": token, "opd_id": people.opd_b.id})
    assert r.status_code == 403
    learner = make_client()
    learner.login(NIPS["alice"])
    assert learner.get("/admin/impor").status_code == 403


def test_activation_list_and_single_use_expiring_codes(make_client, people, db, clock):
    adi = make_client()
    adi.login(NIPS["adi"])
    _upload(adi, MESSY)
    job = latest_job(db)
    adi.submit(f"/admin/impor/{job.id}/terapkan", page=f"/admin/impor/{job.id}")
    token = adi.csrf("/admin/impor")
    r = adi.post(
        "/admin/aktivasi", data={"csrf_token": token, "opd_id": people.opd_a.id, "format": "xlsx"}
    )
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = [row for row in sheet.iter_rows(values_only=True) if row and isinstance(row[0], int)]
    codes = {row[2]: row[3] for row in rows}
    assert "199805052024032001" in codes
    db.rollback()
    assert db.scalar(select(func.count()).select_from(ActivationCode)) == len(rows)
    stored = db.scalars(select(ActivationCode.code_hash)).all()
    assert all(code not in stored for code in codes.values())  # stored hashed
    pdf = adi.post(
        "/admin/aktivasi", data={"csrf_token": token, "opd_id": people.opd_a.id, "format": "pdf"}
    )
    assert pdf.content[:5] == b"%PDF-"
    # the PDF download issued new codes: the XLSX ones no longer work
    dewi = make_client()
    old = dewi.submit(
        "/aktivasi",
        {
            "identifier": "199805052024032001",
            "code": codes["199805052024032001"],
            "password": "frasa-dewi-yang-kuat",
            "confirm": "frasa-dewi-yang-kuat",
        },
        page="/aktivasi",
    )
    assert old.status_code == 422
    # a fresh code works once
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    import re

    fresh = re.search(r"199805052024032001\s+([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", text).group(1)
    ok = dewi.submit(
        "/aktivasi",
        {
            "identifier": "199805052024032001",
            "code": fresh.lower(),
            "password": "frasa-dewi-yang-kuat",
            "confirm": "frasa-dewi-yang-kuat",
        },
        page="/aktivasi",
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "Dewi Lestari" in dewi.get("/").text
    again = make_client().submit(
        "/aktivasi",
        {
            "identifier": "199805052024032001",
            "code": fresh,
            "password": "frasa-lain-yang-kuat",
            "confirm": "frasa-lain-yang-kuat",
        },
        page="/aktivasi",
    )
    assert again.status_code == 422 and "sudah dipakai" in again.text
    # expiry
    siti_code = re.search(
        r"198503152010011002\s+([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", text
    ).group(1)
    clock.advance(days=31)
    late = make_client().submit(
        "/aktivasi",
        {
            "identifier": "198503152010011002",
            "code": siti_code,
            "password": "frasa-siti-yang-kuat",
            "confirm": "frasa-siti-yang-kuat",
        },
        page="/aktivasi",
    )
    assert late.status_code == 422 and "kedaluwarsa" in late.text


def test_cli_import(db_url, monkeypatch, tmp_path, people, db):
    from app.cli import app as cli

    monkeypatch.setenv("CAKAP_DATABASE_URL", db_url)
    monkeypatch.setenv("CAKAP_DATA_DIR", str(tmp_path))
    path = tmp_path / "messy.csv"
    path.write_bytes(MESSY)
    runner = CliRunner()
    before = _people_count(db)
    dry = runner.invoke(cli, ["users", "import", str(path), "--dry-run"])
    assert dry.exit_code == 1 and "4 baru" in dry.output and "baris 8" in dry.output
    assert _people_count(db) == before
    real = runner.invoke(cli, ["users", "import", str(path)])
    assert real.exit_code == 1 and "Selesai: 4 baru" in real.output
    assert _people_count(db) == before + 4
    clean = tmp_path / "clean.csv"
    clean.write_bytes(CLEAN)
    ok = runner.invoke(cli, ["users", "import", str(clean)])
    assert ok.exit_code == 0, ok.output
