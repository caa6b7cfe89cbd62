"""Every page of every role fits a 390 px phone screen: nothing makes the page itself scroll
sideways (wide tables scroll inside their own box). The pages are found by following the
links each role sees, starting from the home page, so a new page is checked without
being listed here."""

from __future__ import annotations

import re
import shutil
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from app.bimtek import seats
from app.config import PROJECT_ROOT
from app.main import create_app
from tests.conftest import NIPS, PASSWORD
from tests.conftest import Browser as TestBrowser
from tests.fixtures.bimtek.builders import COURSES as BIMTEK_COURSES
from tests.fixtures.bimtek.builders import MORNING, add_person, make_session, nip_for
from tests.test_certificates_http import complete_course

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
# Files, not pages; and links that end the session or change state on GET (none should).
SKIP = re.compile(
    r"\.(pdf|xlsx|csv|zip|json|ics|svg|png|jpg)(\?|$)|/(pdf|zip)(\?|$)|/keluar|/static/|/ekspor/"
)
MAX_PAGES_PER_ROLE = 80


@pytest.fixture(params=["sqlite"])
def backend(request):  # layout does not depend on the database
    return request.param


@pytest.fixture
def app(settings, clock, tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(PROJECT_ROOT / "courses", root)
    for extra in (BIMTEK_COURSES, PROJECT_ROOT / "tests" / "fixtures" / "courses_quiz"):
        for course in extra.iterdir():
            shutil.copytree(course, root / course.name)
    settings.courses_dir = root
    clock.now = MORNING
    return create_app(settings, clock=clock)


@pytest.fixture
def city(app, people, db):
    """A bimtek session with a facilitator and a participant, and a certificate."""
    fajar = add_person(db, "Fajar Nugraha", people.opd_b, nip=nip_for(9))
    session = make_session(db, actor=people.adi, facilitators=[fajar.nip])
    seats.nominate(
        db, session_id=session.id, person_id=people.alice.id, actor=people.olga, now=MORNING
    )
    with TestBrowser(app, base_url="http://testserver") as client:
        complete_course(client)  # alice: quiz passed, module read, certificate issued
        # Enrolled in the shipped courses too: their modules hold wide Markdown tables.
        for slug in ("orientasi-digital-cpns", "bimtek-masterplan-smart-city"):
            client.submit(f"/kursus/{slug}/daftar", page=f"/kursus/{slug}")
    return {"fajar": fajar}


def _pattern(path: str) -> str:
    """/admin/pengguna/12 and /admin/pengguna/13 are the same page: check one of each
    (module pages are all checked: each has its own Markdown)."""
    return re.sub(r"/\d+", "/{id}", path if "/modul/" in path else path.split("?")[0])


def _overflow(page: Page) -> int:
    """How far the page is wider than the screen, in CSS px (0 = fits). Measured against
    the phone's width: with mobile emulation Chromium widens the layout viewport to fit
    wide content, so innerWidth alone would hide the overflow."""
    return page.evaluate(
        f"Math.max(document.documentElement.scrollWidth, window.innerWidth) - {PHONE['width']}"
    )


# Controls of a record list (table.records) that do not fit the screen: on a phone each
# row is a card, so a button off to the side would mean the card layout broke.
_OFF_SCREEN_CONTROLS = f"""() => [...document.querySelectorAll(
    'table.records a, table.records button, table.records input, table.records select')]
  .filter(e => e.offsetParent !== null && e.type !== 'hidden')
  .filter(e => {{ const r = e.getBoundingClientRect(); return r.left < 0 || r.right > {PHONE["width"]}; }})
  .map(e => e.outerHTML.slice(0, 80))"""


def _crawl(page: Page, base: str) -> tuple[set[str], dict[str, int]]:
    """The pages the role's links reach, and those that do not fit the phone: wider than
    the screen (excess in px), or with a record list's control off-screen (count)."""
    seen_patterns: set[str] = set()
    visited: set[str] = set()
    too_wide: dict[str, int] = {}
    queue = deque(["/"])
    while queue and len(visited) < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        pattern = _pattern(path)
        if pattern in seen_patterns:
            continue
        seen_patterns.add(pattern)
        try:
            response = page.goto(base + path)
        except PlaywrightError as exc:  # a link to a file the pattern did not recognise
            if "Download is starting" in str(exc):
                continue
            raise
        if response is None or not response.headers.get("content-type", "").startswith("text/html"):
            continue
        visited.add(path)
        if (excess := _overflow(page)) > 0:
            too_wide[path] = excess
        if off_screen := page.evaluate(_OFF_SCREEN_CONTROLS):
            too_wide[f"{path} (controls off-screen: {off_screen})"] = len(off_screen)
        if page.locator("table.records").count():
            visited.add(f"cards:{_pattern(path)}")
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            url = urlsplit(urljoin(page.url, href))
            if url.netloc != urlsplit(base).netloc or SKIP.search(url.path):
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if _pattern(target) not in seen_patterns:
                queue.append(target)
    return visited, too_wide


@pytest.mark.parametrize("who", ["alice", "olga", "kiki", "adi", "fajar"])
def test_every_page_fits_a_phone(browser: Browser, live_server, city, who):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(live_server + "/masuk")
        login = city["fajar"].nip if who == "fajar" else NIPS[who]
        page.get_by_label("NIP atau email").fill(login)
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")
        visited, too_wide = _crawl(page, live_server)
        assert len(visited) >= 5, visited  # the crawl really walked the role's pages
        assert too_wide == {}, f"pages wider than {PHONE['width']} px: {too_wide}"
        if who == "adi":  # the admin's record lists are cards (checked for fit above)
            cards = {path for path in visited if path.startswith("cards:")}
            for listing in ("/admin/pengguna", "/admin/opd", "/admin/sertifikat", "/admin/aturan"):
                assert f"cards:{listing}" in cards, cards
    finally:
        context.close()


def test_anonymous_pages_fit_a_phone(browser: Browser, live_server, city):
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    try:
        page = context.new_page()
        wide = {}
        for path in ("/masuk", "/aktivasi", "/verifikasi"):
            page.goto(live_server + path)
            if (excess := _overflow(page)) > 0:
                wide[path] = excess
        assert wide == {}
    finally:
        context.close()


def test_certificate_buttons_are_on_screen_on_a_phone(browser: Browser, live_server, city):
    """A list of records is one card per row on a phone: no button sits off-screen in a
    table that scrolls sideways."""
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(live_server + "/masuk")
        page.get_by_label("NIP atau email").fill(NIPS["alice"])
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")
        page.goto(live_server + "/sertifikat")
        for name in ("PDF", "Open Badge"):
            box = page.locator("#my-certificates").get_by_role("link", name=name).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    finally:
        context.close()
