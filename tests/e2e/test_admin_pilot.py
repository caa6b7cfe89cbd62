"""An admin's first week in Chromium: importing a BKPSDM report (the preview's numbers,
then confirm) and the destructive actions that ask first (OPD merge, certificate
revocation, deactivation, role removal) — on a page of their own, so without JavaScript
too."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.certificates.models import Certificate
from app.opds.models import Opd
from app.users.models import Role, User
from tests.conftest import NIPS, PASSWORD, Browser
from tests.test_certificates_http import app, complete_course, courses_dir  # noqa: F401

pytestmark = pytest.mark.e2e

REPORT = Path(__file__).parent.parent / "fixtures" / "import" / "bkpsdm-laporan.xlsx"


def _login(page: Page, base: str, who: str) -> None:
    page.goto(base + "/masuk")
    page.get_by_label("NIP atau email").fill(NIPS[who])
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")


def test_import_preview_numbers_then_confirm(page: Page, live_server, people, db):
    _login(page, live_server, "adi")
    page.goto(live_server + "/admin/impor")
    page.get_by_label("Berkas (maksimal 10 MB)").set_input_files(str(REPORT))
    page.get_by_role("button", name="Pratinjau").click()
    counts = page.locator("#counts")
    expect(counts).to_contain_text("4 baru")
    expect(counts).to_contain_text("0 ditolak")
    expect(page.locator("#problems")).to_contain_text("nomor kolom")
    expect(page.locator("#problems")).to_contain_text("penutup")
    page.get_by_role("button", name="Konfirmasi dan impor").click()
    expect(page.get_by_role("status")).to_contain_text("Impor selesai", timeout=15000)
    db.rollback()
    assert db.scalar(select(User).where(User.nip == "199901012025011001")) is not None


def test_merge_asks_first_and_says_what_will_happen(page: Page, live_server, people, db):
    _login(page, live_server, "adi")
    page.goto(live_server + "/admin/opd")
    row = page.locator("tr", has_text=people.opd_b.name)
    row.get_by_label("OPD tujuan").select_option(people.opd_a.code)
    row.get_by_role("button", name="Gabungkan").click()
    expect(page.locator("#confirm")).to_contain_text("tidak dapat dibatalkan")
    db.rollback()
    assert db.get(Opd, people.opd_b.id).active  # nothing happened yet
    page.get_by_role("button", name="Ya, gabungkan").click()
    expect(page.get_by_text("pegawai dipindahkan")).to_be_visible()
    db.rollback()
    db.expire_all()
    assert db.scalar(select(Opd.active).where(Opd.id == people.opd_b.id)) is False
    assert db.scalar(select(User.opd_id).where(User.id == people.bob.id)) == people.opd_a.id


def test_revocation_asks_first_then_the_certificate_is_revoked(
    page: Page,
    app,  # noqa: F811
    live_server,
    people,
    db,
):
    with Browser(app, base_url="http://testserver") as alice:
        complete_course(alice)
    db.rollback()
    certificate = db.scalar(select(Certificate))
    _login(page, live_server, "adi")
    page.goto(live_server + "/admin/sertifikat")
    row = page.locator("tr", has_text=certificate.serial)
    row.get_by_label("Alasan pencabutan").fill("Nilai ujian tidak sah")
    row.get_by_role("button", name="Cabut").click()
    expect(page.locator("#confirm")).to_contain_text("Pencabutan tidak dapat dibatalkan")
    expect(page.locator("#confirm")).to_contain_text("Nilai ujian tidak sah")
    db.rollback()
    assert db.get(Certificate, certificate.id).revoked_at is None  # nothing happened yet
    page.get_by_role("button", name="Ya, cabut sertifikat").click()
    expect(page.locator("tr", has_text=certificate.serial)).to_contain_text("dicabut")
    db.rollback()
    db.expire_all()
    assert db.get(Certificate, certificate.id).revoked_at is not None


def test_deactivation_and_role_removal_ask_first_and_cancel_changes_nothing(
    page: Page, live_server, people, db
):
    _login(page, live_server, "adi")
    page.goto(live_server + f"/admin/pengguna/{people.olga.id}")
    page.get_by_role("button", name="Nonaktifkan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nonaktifkan akun")
    page.get_by_role("link", name="Batal").click()
    db.rollback()
    db.expire_all()
    assert db.get(User, people.olga.id).active  # cancelled: still active

    page.get_by_label("Admin OPD").uncheck()
    page.get_by_role("button", name="Simpan peran").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cabut peran")
    db.rollback()
    db.expire_all()
    assert db.get(User, people.olga.id).has_role(Role.opd_admin)
    page.locator("#confirm").get_by_role("button").click()
    expect(page.get_by_label("Admin OPD")).not_to_be_checked()
    db.rollback()
    db.expire_all()
    assert not db.get(User, people.olga.id).has_role(Role.opd_admin)

    page.get_by_role("button", name="Nonaktifkan").click()
    page.locator("#confirm").get_by_role("button").click()
    expect(page.get_by_role("button", name="Aktifkan kembali")).to_be_visible()
    db.rollback()
    db.expire_all()
    assert not db.get(User, people.olga.id).active
