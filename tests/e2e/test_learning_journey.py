"""A learner's journey in Chromium: browse, enrol, read, mark done (htmx), leave, resume;
then a timed quiz: answer, reload mid-attempt, submit, see the result."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.main import create_app
from tests.conftest import NIPS, PASSWORD
from tests.e2e.conftest import htmx_idle

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def app(settings, clock, tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses_ok", root)
    shutil.copytree(FIXTURES / "courses_quiz", root, dirs_exist_ok=True)
    settings.courses_dir = root
    return create_app(settings, clock=clock)


def _login(page: Page, base: str, nip: str) -> None:
    page.goto(base + "/masuk")
    page.get_by_label("NIP atau email").fill(nip)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")


def test_course_journey(page: Page, live_server, people):
    _login(page, live_server, NIPS["alice"])
    page.get_by_role("link", name="Katalog kursus").first.click()
    page.get_by_role("link", name="Orientasi CPNS").click()  # htmx filter
    htmx_idle(page)
    expect(page).to_have_url(live_server + "/kursus?audiens=cpns")
    expect(page.locator("#course-list")).not_to_contain_text("Kursus Uji Kuis")
    page.get_by_role("link", name="Pengantar SPBE").click()
    page.get_by_role("button", name="Daftar dan mulai").click()
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    assert page.url.endswith("/modul/apa-itu-spbe")
    page.get_by_role("button", name="Tandai selesai").click()
    expect(page.locator("#done-box")).to_contain_text("Modul ini sudah selesai")
    # leave, come back through the home page and "Lanjutkan"
    page.goto(live_server + "/")
    expect(page.get_by_text("Pengantar SPBE")).to_be_visible()
    page.get_by_role("link", name="Lanjutkan").click()
    assert page.url.endswith("/modul/keamanan-dasar")
    page.goto(live_server + "/kursus/pengantar-spbe")
    expect(page.get_by_text("Kemajuan: 33%")).to_be_visible()


def test_quiz_journey(page: Page, live_server, people):
    _login(page, live_server, NIPS["alice"])
    page.goto(live_server + "/kursus/uji-kuis")
    page.get_by_role("button", name="Daftar dan mulai").click()
    page.goto(live_server + "/kursus/uji-kuis/kuis/kuis-lengkap")
    page.get_by_role("button", name="Mulai kuis").click()
    expect(page.locator(".timer")).to_contain_text(":")
    page.get_by_label("Opsi benar").check()
    expect(page.locator("#soal-satu-pilihan .saved")).to_contain_text("Tersimpan")
    page.get_by_label("Benar A").check()
    htmx_idle(page)
    page.get_by_label("Benar B").check()
    htmx_idle(page)
    page.locator("#soal-benar-salah").get_by_label("Benar", exact=True).check()
    htmx_idle(page)
    page.locator("#input-isian").fill("kuncirahasia")
    expect(page.locator("#soal-isian .saved")).to_contain_text("Tersimpan", timeout=5000)
    page.locator("#input-angka").fill("4242")
    expect(page.locator("#soal-angka .saved")).to_contain_text("Tersimpan", timeout=5000)
    htmx_idle(page)
    # reload mid-attempt: every answer is still there
    page.reload()
    expect(page.get_by_label("Opsi benar")).to_be_checked()
    expect(page.get_by_label("Benar B")).to_be_checked()
    expect(page.locator("#input-isian")).to_have_value("kuncirahasia")
    page.get_by_role("button", name="Kumpulkan jawaban").click()
    expect(page.locator("#result-summary")).to_contain_text("100")
    expect(page.locator("#result-summary")).to_contain_text("LULUS")
