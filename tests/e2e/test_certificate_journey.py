"""Finish a course in Chromium, download the certificate, and open the verification page
from the URL decoded out of the QR code printed on the PDF."""

from __future__ import annotations

import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from playwright.sync_api import Page, expect

from app.main import create_app
from tests.conftest import NIPS, PASSWORD
from tests.e2e.conftest import htmx_idle

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def app(settings, clock, tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses_quiz", root)
    settings.courses_dir = root
    return create_app(settings, clock=clock)


def test_finish_download_and_verify(page: Page, browser, live_server, people, settings, tmp_path):
    settings.base_url = live_server  # the QR must point at this server
    page.goto(live_server + "/masuk")
    page.get_by_label("NIP atau email").fill(NIPS["alice"])
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")
    page.goto(live_server + "/kursus/uji-kuis")
    page.get_by_role("button", name="Daftar dan mulai").click()
    page.get_by_role("button", name="Tandai selesai").click()
    expect(page.locator("#done-box")).to_contain_text("sudah selesai")
    page.goto(live_server + "/kursus/uji-kuis/kuis/kuis-lengkap")
    page.get_by_role("button", name="Mulai kuis").click()
    page.get_by_label("Opsi benar").check()
    htmx_idle(page)
    page.get_by_label("Benar A").check()
    htmx_idle(page)
    page.get_by_label("Benar B").check()
    htmx_idle(page)
    page.locator("#soal-benar-salah").get_by_label("Benar", exact=True).check()
    htmx_idle(page)
    page.get_by_role("button", name="Kumpulkan jawaban").click()
    # Two questions are left open: the browser shows which, and asks once more.
    expect(page.locator("#confirm-submit")).to_contain_text("Masih ada 2 dari 5 soal")
    page.get_by_role("button", name="Ya, kumpulkan sekarang").click()
    expect(page.get_by_text("Kursus ini telah Anda selesaikan")).to_be_visible()
    page.goto(live_server + "/sertifikat")
    with page.expect_download() as info:
        page.get_by_role("link", name="PDF").click()
    pdf_path = tmp_path / "sertifikat.pdf"
    info.value.save_as(pdf_path)
    image = pdfium.PdfDocument(pdf_path.read_bytes())[0].render(scale=2).to_pil()
    urls = [code.text for code in zxingcpp.read_barcodes(image)]
    assert len(urls) == 1 and urls[0].startswith(live_server + "/verifikasi/")
    # anyone can open it: a fresh browser context without a session
    context = browser.new_context()
    other = context.new_page()
    other.goto(urls[0])
    expect(other.locator("#verdict")).to_contain_text("SERTIFIKAT SAH")
    expect(other.get_by_text("tanda tangan QR cocok")).to_be_visible()
    expect(other.get_by_text("Alice Rahmawati")).to_be_visible()
    context.close()
