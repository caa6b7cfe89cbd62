"""Kominfo opens the report dashboard in Chromium, changes a filter and a sort: htmx swaps
the table in place and the address bar follows, so the view can be bookmarked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import NIPS, PASSWORD
from tests.e2e.conftest import htmx_idle
from tests.test_reports_http import city  # noqa: F401  (the `city` fixture)

pytestmark = pytest.mark.e2e


def test_filter_and_sort_update_the_table_and_the_url(page: Page, live_server, city):  # noqa: F811
    page.goto(live_server + "/masuk")
    page.get_by_label("NIP atau email").fill(NIPS["kiki"])
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")
    page.get_by_role("link", name="Buka laporan capaian per OPD").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Laporan capaian pelatihan")
    total = page.locator("#total-kota")
    expect(total).to_contain_text("71,4%")
    expect(page.locator("#grafik-opd")).to_be_visible()

    # Mark the document: a full reload would lose this, an htmx swap keeps it.
    page.evaluate("window.__noReload = true")
    page.get_by_label("Kursus", exact=True).select_option("orientasi")
    htmx_idle(page)
    expect(total).to_contain_text("75,0%")
    expect(page).to_have_url(live_server + "/laporan?kursus=orientasi")
    assert page.evaluate("window.__noReload") is True

    page.get_by_role("link", name="Persentase", exact=True).click()
    htmx_idle(page)
    expect(page).to_have_url(re.compile(r"/laporan\?kursus=orientasi&urut=persen&turun=1$"))
    first_row = page.locator("#tabel-opd tbody tr").first
    expect(first_row).to_contain_text("Dinas Komunikasi dan Informatika")
    assert page.evaluate("window.__noReload") is True
    expect(page.get_by_label("Kursus", exact=True)).to_have_value("orientasi")

    # The URL is the view: opening it fresh shows the same table.
    page.goto(page.url)
    expect(page.locator("#total-kota")).to_contain_text("75,0%")
    expect(page.locator("#tabel-opd tbody tr").first).to_contain_text("Dinas Komunikasi")


def test_dashboard_works_without_javascript(browser, live_server, city):  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/masuk")
    page.get_by_label("NIP atau email").fill(NIPS["kiki"])
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.goto(live_server + "/laporan")
    page.get_by_label("Status kepegawaian", exact=True).select_option("PPPK")
    page.get_by_role("button", name="Terapkan").click()
    expect(page).to_have_url(re.compile(r"/laporan\?.*status=PPPK"))
    expect(page.locator("#total-kota")).to_contain_text("100,0%")
    context.close()
