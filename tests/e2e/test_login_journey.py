"""A person logs in and out in a real browser (htmx enhanced form)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import NIPS, PASSWORD
from tests.e2e.conftest import htmx_idle

pytestmark = pytest.mark.e2e


def test_login_wrong_password_then_right(page: Page, live_server, people):
    page.goto(live_server + "/")
    expect(page).to_have_url(live_server + "/masuk?next=/")
    page.get_by_label("NIP atau email").fill(NIPS["kiki"])
    page.get_by_label("Kata sandi").fill("salah-sekali")
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("#login-error")).to_contain_text("kata sandi salah")
    htmx_idle(page)
    # htmx swapped only the form: the page did not reload, and the typed NIP is kept.
    expect(page.get_by_label("NIP atau email")).to_have_value(NIPS["kiki"])
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang, Kiki Handayani")
    expect(page.get_by_text("Pemantauan seluruh OPD")).to_be_visible()
    page.get_by_role("button", name="Keluar").click()
    expect(page).to_have_url(live_server + "/masuk")


def test_login_without_javascript(browser, live_server, people):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/masuk")
    page.get_by_label("NIP atau email").fill(NIPS["alice"])
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alice Rahmawati")
    context.close()
