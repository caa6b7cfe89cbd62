"""Check-in in Chromium: the facilitator's screen shows the rotating code; a participant on
another device types it; the facilitator's live list (htmx polling) shows them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from app import citytime
from app.bimtek import seats
from app.main import create_app
from tests.conftest import NIPS, PASSWORD
from tests.fixtures.bimtek.builders import MORNING, add_person, copy_courses, make_session, nip_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(settings, clock, tmp_path):
    settings.courses_dir = copy_courses(tmp_path)
    clock.now = MORNING
    return create_app(settings, clock=clock)


def _login(page: Page, base: str, identifier: str) -> None:
    page.goto(base + "/masuk")
    page.get_by_label("NIP atau email").fill(identifier)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")


def test_typed_code_appears_on_the_facilitator_screen(
    page: Page, browser: Browser, live_server, people, db
):
    fajar = add_person(db, "Fajar Nugraha", people.opd_b, nip=nip_for(9))
    session = make_session(db, actor=people.adi, facilitators=[fajar.nip])
    day = session.days[0]
    seats.nominate(
        db, session_id=session.id, person_id=people.alice.id, actor=people.olga, now=MORNING
    )

    _login(page, live_server, fajar.nip)
    page.goto(live_server + "/bimtek")
    page.get_by_role("link", name=re.compile("Layar absensi")).click()
    expect(page.locator("#present-count")).to_have_text("0")
    expect(page.locator("#qr-box svg")).to_be_visible()
    code = page.locator("#short-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{6}", code)

    phone = browser.new_context()
    try:
        participant = phone.new_page()
        _login(participant, live_server, NIPS["alice"])
        participant.goto(live_server + "/bimtek")
        participant.get_by_role("link", name="Isi daftar hadir").click()
        participant.get_by_label("Kode hadir").fill("zzzzzz")
        participant.get_by_role("button", name="Catat kehadiran").click()
        expect(participant.locator("#checkin-error")).to_contain_text("Kode tidak cocok")
        participant.get_by_label("Kode hadir").fill(code.lower())
        participant.get_by_role("button", name="Catat kehadiran").click()
        expect(participant.locator("#checkin-ok")).to_contain_text(
            f"Kehadiran Anda tercatat pukul 09.00 {citytime.label()}"
        )
    finally:
        phone.close()

    # No reload: the list refreshes itself every 5 seconds.
    expect(page.locator("#present-list")).to_contain_text("Alice Rahmawati", timeout=15_000)
    expect(page.locator("#present-count")).to_have_text("1")
    assert page.url.endswith(f"/bimtek/sesi/{session.id}/hari/{day.id}/absen")
