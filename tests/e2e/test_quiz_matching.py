"""A matching question in Chromium on a 390 px phone: choose in each drop-down (saved by
htmx), reload, submit, read the review — and the page never gets wider than the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import NIPS
from tests.e2e.conftest import htmx_idle
from tests.e2e.test_learning_journey import _login
from tests.e2e.test_phone_layout import PHONE, _overflow
from tests.test_quizzes_matching import matching_app

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["sqlite"])
def backend(request):  # the HTTP tests cover both databases; this one is about the page
    return request.param


@pytest.fixture
def app(settings, clock, tmp_path):
    return matching_app(settings, clock, tmp_path)


def test_matching_on_a_phone(browser: Browser, live_server, people):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    try:
        page = context.new_page()
        _login(page, live_server, NIPS["alice"])
        page.goto(live_server + "/kursus/uji-kuis")
        page.get_by_role("button", name="Daftar dan mulai").click()
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        page.goto(live_server + "/kursus/uji-kuis/kuis/kuis-lengkap")
        page.get_by_role("button", name="Mulai kuis").click()
        question = page.locator("#soal-singkatan")
        expect(question.locator("select")).to_have_count(3)
        assert _overflow(page) <= 0
        for left, right in [
            ("NIP", "Nomor Induk Pegawai"),
            ("OPD", "Organisasi Perangkat Daerah"),
            ("SPBE", "Sistem Pemerintahan Berbasis Elektronik"),
        ]:
            question.get_by_label(left, exact=True).select_option(label=right)
            htmx_idle(page)
        expect(question.locator(".saved")).to_contain_text("Tersimpan")
        page.reload()
        # what was chosen is still chosen
        chosen = page.get_by_label("OPD", exact=True).locator("option:checked")
        expect(chosen).to_have_text("Organisasi Perangkat Daerah")
        page.get_by_role("button", name="Kumpulkan jawaban").click()
        expect(page.locator("#result-summary")).to_contain_text("100")
        expect(page.get_by_text("SPBE → Sistem Pemerintahan Berbasis Elektronik")).to_be_visible()
        assert _overflow(page) <= 0
    finally:
        context.close()
