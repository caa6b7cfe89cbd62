"""ASN import through the web and the CLI, activation codes, and OPD scoping."""

from __future__ import annotations

import io
import re
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
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    assert olga.get(f"/admin/aktivasi?opd_id={people.opd_b.id}").status_code == 403
    assert olga.get(f"/admin/aktivasi/{people.opd_b.id}/daftar.xlsx").status_code == 403
    assert olga.get(f"/admin/aktivasi/{people.opd_b.id}/daftar.pdf").status_code == 403
    learner = make_client()
    learner.login(NIPS["alice"])
    assert learner.get("/admin/impor").status_code == 403


def _activate(client, nip: str, code: str, password: str = "frasa-dewi-yang-kuat", **kw):
    return client.submit(
        "/aktivasi",
        {"identifier": nip, "code": code, "password": password, "confirm": password},
        page="/aktivasi",
        **kw,
    )


def _pdf_codes(content: bytes) -> dict[str, str]:
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    return dict(re.findall(r"(\d{18})\s+([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", text))


def _xlsx_codes(content: bytes) -> dict[str, str]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [row for row in sheet.iter_rows(values_only=True) if row and isinstance(row[0], int)]
    return {row[2]: row[3] for row in rows}


def test_activation_list_and_single_use_expiring_codes(make_client, people, db, clock):
    adi = make_client()
    adi.login(NIPS["adi"])
    _upload(adi, MESSY)
    job = latest_job(db)
    adi.submit(f"/admin/impor/{job.id}/terapkan", page=f"/admin/impor/{job.id}")
    page = f"/admin/aktivasi?opd_id={people.opd_a.id}"
    before = adi.get(page)
    assert "belum punya kode" in before.text and "daftar.xlsx" not in before.text
    issued = adi.submit("/admin/aktivasi", {"opd_id": people.opd_a.id}, page=page)
    assert issued.status_code == 200 and "kode aktivasi baru dibuat" in issued.text
    xlsx = adi.get(f"/admin/aktivasi/{people.opd_a.id}/daftar.xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["cache-control"] == "no-store"
    codes = _xlsx_codes(xlsx.content)
    assert "199805052024032001" in codes
    db.rollback()
    assert db.scalar(select(func.count()).select_from(ActivationCode)) == len(codes)
    stored = db.scalars(select(ActivationCode.code_hash)).all()
    assert all(code not in stored for code in codes.values())  # stored hashed
    sealed = db.scalars(select(ActivationCode.sealed)).all()
    assert all(code not in " ".join(sealed) for code in codes.values())  # and sealed
    # Downloading again, as PDF, shows the same codes: the printed XLSX keeps working.
    pdf = adi.get(f"/admin/aktivasi/{people.opd_a.id}/daftar.pdf")
    assert pdf.content[:5] == b"%PDF-"
    assert _pdf_codes(pdf.content) == {nip: code for nip, code in codes.items() if len(nip) == 18}
    assert _xlsx_codes(adi.get(f"/admin/aktivasi/{people.opd_a.id}/daftar.xlsx").content) == codes
    # Issuing for "people without a code" changes nobody's code now.
    adi.submit("/admin/aktivasi", {"opd_id": people.opd_a.id}, page=page)
    assert _xlsx_codes(adi.get(f"/admin/aktivasi/{people.opd_a.id}/daftar.xlsx").content) == codes
    dewi = make_client()
    ok = _activate(
        dewi, "199805052024032001", codes["199805052024032001"].lower(), follow_redirects=False
    )
    assert ok.status_code == 303
    assert "Dewi Lestari" in dewi.get("/").text
    again = _activate(
        make_client(), "199805052024032001", codes["199805052024032001"], "frasa-lain-yang-kuat"
    )
    assert again.status_code == 422 and "sudah dipakai" in again.text
    # Replacing every code is confirmed first, then old codes say they were replaced.
    siti = "198503152010011002"
    asked = adi.submit("/admin/aktivasi", {"opd_id": people.opd_a.id, "replace": "1"}, page=page)
    assert 'id="confirm-replace"' in asked.text and "tidak berlaku lagi" in asked.text
    assert (
        _xlsx_codes(adi.get(f"/admin/aktivasi/{people.opd_a.id}/daftar.xlsx").content)[siti]
        == codes[siti]
    )  # nothing changed before the confirmation
    adi.submit(
        "/admin/aktivasi",
        {"opd_id": people.opd_a.id, "replace": "1", "konfirmasi": "1"},
        page=page,
    )
    fresh = _xlsx_codes(adi.get(f"/admin/aktivasi/{people.opd_a.id}/daftar.xlsx").content)
    assert fresh[siti] != codes[siti] and "199805052024032001" not in fresh  # Dewi activated
    replaced = _activate(make_client(), siti, codes[siti], "frasa-siti-yang-kuat")
    assert replaced.status_code == 422 and "sudah diganti" in replaced.text
    # expiry
    clock.advance(days=31)
    late = _activate(make_client(), siti, fresh[siti], "frasa-siti-yang-kuat")
    assert late.status_code == 422 and "kedaluwarsa" in late.text
    # An expired code no longer counts as a code: the page offers a new one.
    adi.login(NIPS["adi"])  # the admin's session has expired too
    assert "Buat kode untuk" in adi.get(page).text


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


def _stat(html: str, label: str) -> str:
    match = re.search(r"<li><strong>([^<]*)</strong>\s*" + label + "</li>", html)
    assert match, label
    return match.group(1)


def test_preview_shows_the_numbers_and_refuses_an_import_that_changes_nothing(client, people, db):
    client.login(NIPS["adi"])
    changed = MESSY.replace(
        b"Pranata Komputer Ahli Muda;III/c;PNS;01-01-2010",
        b"Pranata Komputer Ahli Madya;III/c;PNS;01-01-2010",
    )
    preview = _upload(client, changed)
    numbers = {
        k: _stat(preview.text, k) for k in ("baru", "diperbarui", "tidak berubah", "ditolak")
    }
    # The "diperbarui" figure once printed `<built-in method update of dict object …>`.
    assert numbers == {"baru": "4", "diperbarui": "0", "tidak berubah": "0", "ditolak": "7"}
    assert "built-in" not in preview.text
    # Every row rejected: the confirm button is disabled, and confirming anyway does nothing.
    rejected_only = b"nip,nama,opd\n123,Salah Satu,DISKOMINFO\n456,,DISKOMINFO\n"
    before = _people_count(db)
    page = _upload(client, rejected_only)
    job = latest_job(db)
    assert _stat(page.text, "ditolak") == "2" and _stat(page.text, "diperbarui") == "0"
    assert 'id="nothing-to-import"' in page.text
    assert re.search(r'<button type="submit" class="primary"\s+disabled', page.text)
    again = client.submit(f"/admin/impor/{job.id}/terapkan", page=f"/admin/impor/{job.id}")
    assert again.status_code == 200 and "Impor selesai" not in again.text
    assert latest_job(db).status == "previewed" and _people_count(db) == before


BKPSDM_REPORT = (FIXTURES / "bkpsdm-laporan.xlsx").read_bytes()


def test_a_bkpsdm_report_layout_imports_its_people(client, people, db):
    """Title rows, a merged two-level header (UNIT KERJA over KODE and NAMA), a row of
    column numbers and a signature block: the people import, the rest is reported."""
    client.login(NIPS["adi"])
    token = client.csrf("/admin/impor")
    preview = client.post(
        "/admin/impor",
        data={"csrf_token": token},
        files={"berkas": ("bkpsdm-laporan.xlsx", BKPSDM_REPORT, XLSX_TYPE)},
    )
    assert preview.status_code == 200
    job = latest_job(db)
    assert job.counts["create"] == 4 and job.counts["rejected"] == 0, job.problems
    warnings = {p["row"]: p["reason"] for p in job.problems if p["level"] == "warning"}
    assert "nomor kolom" in warnings[7]
    assert "penutup" in warnings[13] and "13–19" in warnings[13]
    assert "nomor kolom" in preview.text and "penutup" in preview.text
    client.submit(f"/admin/impor/{job.id}/terapkan", page=f"/admin/impor/{job.id}")
    db.rollback()
    citra = db.scalar(select(User).where(User.nip == "199901012025011001"))
    siti = db.scalar(select(User).where(User.nip == "198503152010011002"))
    # OPD by code in "UNIT KERJA / KODE" (case-insensitive: "diskominfo" too)
    assert citra.opd_id == people.opd_a.id and siti.opd_id == people.opd_a.id
    assert citra.full_name == "Citra Lestari, S.Kom." and citra.golongan == "III/a"
    assert db.scalar(select(User).where(User.full_name.like("%Bambang%"))) is None


def test_opd_column_may_hold_codes(client, people, db):
    client.login(NIPS["adi"])
    csv_data = b"NIP;Nama;OPD\n199901012025011001;Citra Lestari;bappeda\n"
    _upload(client, csv_data)
    job = latest_job(db)
    assert job.counts["create"] == 1 and job.counts["rejected"] == 0, job.problems


def fill_template(content: bytes, row: list[str]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(content))
    book["Pegawai"].append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_templates_download(client, people):
    client.login(NIPS["olga"])
    page = client.get("/admin/impor").text
    assert "/admin/impor/templat.xlsx" in page and "/admin/impor/templat.csv" in page
    xlsx = client.get("/admin/impor/templat.xlsx")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    header = [cell.value for cell in next(sheet.iter_rows(min_row=1, max_row=1))]
    assert header[:3] == ["NIP", "Nama", "Email"]
    csv_file = client.get("/admin/impor/templat.csv")
    assert csv_file.text.lstrip("\ufeff").splitlines()[0].startswith("NIP;Nama;Email")
    # Filled in, the template reads back: every title is one the importer knows.
    filled = fill_template(xlsx.content, ["199901012025011001", "Citra Lestari", "", "DISKOMINFO"])
    token = client.csrf("/admin/impor")
    back = client.post(
        "/admin/impor",
        data={"csrf_token": token},
        files={"berkas": ("templat.xlsx", filled, XLSX_TYPE)},
    )
    assert back.status_code == 200 and "Pratinjau" in back.text
    assert "tidak dikenali" not in back.text
