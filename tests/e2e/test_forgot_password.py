"""Forgot password in a real browser: the request, the mail on a loopback SMTP server,
the link, a new password — old sessions end, and the link fails a second time and after
30 minutes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.notifications import delivery
from tests.conftest import NIPS

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "sandi-baru-yang-kuat-42"


def _ask_for_link(page: Page, live_server: str, identifier: str) -> None:
    page.goto(live_server + "/masuk")
    page.get_by_role("link", name="Lupa kata sandi?").click()
    page.get_by_label("NIP atau email").fill(identifier)
    page.get_by_role("button", name="Kirim tautan").click()
    expect(page.locator("#forgot-sent")).to_contain_text("kami telah mengirim tautan")


def _mailed_link(db, settings, clock, mail_server, live_server: str) -> str:
    # What the every-minute timer does: `cakap notify run`.
    delivery.run(db, settings=settings, clock=clock)
    message = mail_server.to("alice@uji.go.id")[-1]
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(re.escape(live_server) + r"/lupa-kata-sandi/\S+", body).group(0)


def test_forgot_password_end_to_end(
    browser, page: Page, live_server, settings, db, people, clock, mail_server
):
    settings.base_url = live_server  # the links in the mail point at this server
    other = browser.new_context()
    old_session = other.new_page()
    old_session.goto(live_server + "/masuk")
    old_session.get_by_label("NIP atau email").fill(NIPS["alice"])
    old_session.get_by_label("Kata sandi").fill("kata-sandi-uji-123")
    old_session.get_by_role("button", name="Masuk").click()
    expect(old_session.get_by_role("heading", level=1)).to_contain_text("Alice Rahmawati")

    _ask_for_link(page, live_server, NIPS["alice"])
    link = _mailed_link(db, settings, clock, mail_server, live_server)

    page.goto(link)
    page.get_by_label("Kata sandi baru", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Ulangi kata sandi baru").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Simpan kata sandi").click()
    expect(page.get_by_text("Kata sandi berhasil diubah.")).to_be_visible()

    # The session opened with the old password has ended.
    old_session.reload()
    expect(old_session).to_have_url(re.compile(r"/masuk"))
    other.close()

    # The link works once.
    page.goto(link)
    expect(page.locator("#reset-expired")).to_contain_text("tidak berlaku lagi")

    # A new link, opened after 30 minutes, does not work either.
    stranger = browser.new_context().new_page()
    _ask_for_link(stranger, live_server, "alice@uji.go.id")
    late = _mailed_link(db, settings, clock, mail_server, live_server)
    assert late != link
    clock.advance(minutes=31)
    stranger.goto(late)
    expect(stranger.locator("#reset-expired")).to_contain_text("tidak berlaku lagi")
    stranger.context.close()
