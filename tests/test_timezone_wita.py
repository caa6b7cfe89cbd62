"""A city outside WIB, through HTTP: Makassar (WITA, UTC+8) and one Jayapura case (WIT,
UTC+9). The day-boundary flows — the bimtek form, check-in windows, "today" on the
learner's page, registration opening, certificate date, due dates and code expiry.

Every instant here is written in UTC and its wall-clock time worked out by hand in the
comment next to it, so that the code under test never checks itself. The clock is the
app's injected one (conftest.Clock), never the machine's.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from html import unescape

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.bimtek import checkin, seats
from app.bimtek.models import BimtekSession
from app.certificates.models import Certificate
from app.courses.models import Course
from app.main import create_app
from app.progress import service as progress
from app.progress.assignment import due_date
from app.progress.models import AssignmentRule
from tests.conftest import NIPS
from tests.fixtures.bimtek.builders import COURSE_SLUG, copy_courses, make_session


@pytest.fixture(autouse=True)
def zone(request, city_zone):
    """Makassar, unless a test asks for another zone (indirect parametrization). Autouse,
    so the zone is pinned before the app and its settings are made."""
    return city_zone(getattr(request, "param", "Asia/Makassar"))


@pytest.fixture
def app(settings, clock, tmp_path):
    settings.courses_dir = copy_courses(tmp_path)
    return create_app(settings, clock=clock)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _course(db) -> Course:
    return db.scalar(select(Course).where(Course.slug == COURSE_SLUG))


def _form(course_id: int, **overrides: str) -> dict[str, str]:
    form = {
        "judul": "Bimtek Masterplan Makassar",
        "kursus": str(course_id),
        "tempat": "Balai Kota",
        "kapasitas": "20",
        "daftar_buka": "2026-11-20T08:00",
        "daftar_tutup": "2026-11-30T16:00",
        "jp": "16",
        "persen_hadir": "100",
        "daftar_mandiri": "1",
        "hari-0-tanggal": "2026-12-01",
        "hari-0-mulai": "08:00",
        "hari-0-selesai": "16:00",
    }
    form.update(overrides)
    return form


def _create_session(client, db, clock) -> BimtekSession:
    clock.now = utc(2026, 11, 19, 0, 0)  # 08.00 WITA, 19 November
    client.login(NIPS["adi"])
    form = _form(_course(db).id)
    r = client.submit("/bimtek/sesi/baru", form, page="/bimtek/sesi/baru", follow_redirects=False)
    assert r.status_code == 303, r.text[:1000]
    db.rollback()
    return db.get(BimtekSession, int(r.headers["location"].rsplit("/", 1)[1]))


def _post_code(client, code: str):
    token = client.csrf("/bimtek/absen")
    return client.post("/bimtek/absen", data={"csrf_token": token, "kode": code})


def test_session_times_are_typed_in_wita_stored_in_utc_and_shown_in_wita(client, people, db, clock):
    session = _create_session(client, db, clock)
    # 08.00 WITA is 00.00 UTC (WIB would have made it 01.00).
    assert session.registration_opens == utc(2026, 11, 20, 0, 0)
    assert session.registration_closes == utc(2026, 11, 30, 8, 0)
    (day,) = session.days
    assert day.date == date(2026, 12, 1)
    assert (day.starts_at, day.ends_at) == (utc(2026, 12, 1, 0, 0), utc(2026, 12, 1, 8, 0))

    new = client.get("/bimtek/sesi/baru").text
    assert "Pendaftaran dibuka (WITA)" in new and "Hari pelaksanaan (WITA)" in new
    assert "WIB" not in new
    # The suggested opening is now on the city's clock: 08.00 WITA.
    assert 'name="daftar_buka" type="datetime-local" value="2026-11-19T08:00"' in new
    edit = client.get(f"/bimtek/sesi/{session.id}/ubah").text
    assert 'value="2026-11-20T08:00"' in edit and 'name="hari-0-mulai" value="08:00"' in edit
    detail = client.get(f"/bimtek/sesi/{session.id}").text
    assert "Waktu (WITA)" in detail and "08.00–16.00" in detail and "WIB" not in detail


def test_registration_opens_at_the_typed_wita_minute(client, make_client, people, db, clock):
    session = _create_session(client, db, clock)
    alice = make_client()
    clock.now = utc(2026, 11, 19, 23, 59)  # 07.59 WITA, 20 November
    alice.login(NIPS["alice"])
    r = alice.submit(f"/bimtek/sesi/{session.id}/daftar", page="/bimtek")
    assert r.status_code == 409
    assert "belum dibuka (dibuka 20 November 2026, 08.00 WITA)" in unescape(r.text)
    clock.now = utc(2026, 11, 20, 0, 0)  # 08.00 WITA
    r = alice.submit(f"/bimtek/sesi/{session.id}/daftar", page="/bimtek")
    assert r.status_code == 200 and "belum dibuka" not in r.text


def test_checkin_window_and_today_follow_the_wita_clock(
    client, make_client, people, db, settings, clock
):
    # 08.00–16.00 WITA on 1 December: check-in from 07.00 to 17.00 WITA, that is from
    # 23.00 UTC on 30 November to 09.00 UTC on 1 December.
    session = make_session(db, actor=people.adi, now=utc(2026, 11, 20, 0, 0))
    (day,) = session.days
    for person in (people.alice, people.bob):
        seats.nominate(
            db, session_id=session.id, person_id=person.id, actor=people.adi, now=clock.now
        )
    key = checkin.derive_key(settings.secret)

    clock.now = utc(2026, 11, 30, 16, 30)  # 00.30 WITA on 1 December, 23.30 WIB the day before
    client.login(NIPS["alice"])
    mine = client.get("/bimtek").text
    assert "hari ini" in mine and "Isi daftar hadir" in mine
    early = _post_code(client, checkin.current_code(key, session.id, day.id, clock.now))
    assert "Daftar hadir hari ini hanya dibuka pukul 07.00–17.00 WITA." in early.text

    clock.now = utc(2026, 11, 30, 23, 0)  # 07.00 WITA: open, though UTC is still on the 30th
    client.login(NIPS["alice"])
    assert "Bimtek Uji Angkatan I (08.00–16.00 WITA)" in client.get("/bimtek/absen").text
    r = _post_code(client, checkin.current_code(key, session.id, day.id, clock.now))
    assert "Kehadiran Anda tercatat pukul 07.00 WITA." in r.text

    clock.now = utc(2026, 12, 1, 9, 1)  # 17.01 WITA: closed
    bob = make_client()
    bob.login(NIPS["bob"])
    late = _post_code(bob, checkin.current_code(key, session.id, day.id, clock.now))
    assert late.status_code == 422
    assert "Daftar hadir hari ini hanya dibuka pukul 07.00–17.00 WITA." in late.text

    client.login(NIPS["adi"])
    screen = client.get(f"/bimtek/sesi/{session.id}/hari/{day.id}/absen").text
    assert "absensi dibuka 07.00–17.00 WITA" in screen and "WIB" not in screen


def test_a_certificate_completed_after_wita_midnight_carries_the_new_year(
    client, people, db, clock
):
    course = _course(db)
    progress.enrol(db, user_id=people.alice.id, course=course, now=clock.now, source="assigned")
    clock.now = utc(2026, 12, 31, 16, 30)  # 00.30 WITA on 1 January 2027 (23.30 WIB in 2026)
    client.login(NIPS["alice"])
    for module in ("pembukaan", "praktik"):
        url = f"/kursus/{COURSE_SLUG}/modul/{module}"
        assert client.submit(url + "/selesai", page=url).status_code == 200
    db.rollback()
    certificate = db.scalar(select(Certificate).where(Certificate.user_id == people.alice.id))
    assert certificate.serial == "CKP/2027/000001"
    assert certificate.payload["completed_on"] == "2027-01-01"
    assert "1 Januari 2027" in client.get("/sertifikat").text


def test_due_dates_and_code_expiry_count_from_the_citys_today(
    client, make_client, people, db, clock
):
    # Before, a due date counted from the UTC date: one day early after 16.00 UTC in WITA.
    rule = AssignmentRule(course_id=1, due_days=30, due_from="enrolment")
    assert due_date(rule, tmt=None, now=utc(2026, 12, 3, 15, 59)) == date(2027, 1, 2)
    assert due_date(rule, tmt=None, now=utc(2026, 12, 3, 16, 0)) == date(2027, 1, 3)

    clock.now = utc(2026, 12, 3, 16, 30)  # 00.30 WITA on 4 December
    client.login(NIPS["adi"])
    course = _course(db)
    r = client.submit(
        "/admin/aturan",
        {"course_id": course.id, "statuses": "CPNS", "due_days": "30"},
        page="/admin/aturan",
    )
    assert "Aturan dibuat" in r.text
    alice = make_client()
    alice.login(NIPS["alice"])
    assert "tenggat 3 Januari 2027" in alice.get("/").text

    # An activation code is valid for 30 days: until 00.30 WITA on 3 January.
    olga = make_client()
    olga.login(NIPS["olga"])
    page = f"/admin/pengguna/{people.alice.id}"
    r = olga.submit(page + "/reset", page=page)
    assert 'id="activation-code"' in r.text and "berlaku sampai 3 Januari 2027" in r.text


@pytest.mark.parametrize("zone", ["Asia/Jayapura"], indirect=True)
def test_a_jayapura_city_reads_wit(client, people, db, settings, clock, zone):
    clock.now = utc(2026, 11, 20, 0, 0)
    session = make_session(db, actor=people.adi, now=clock.now)
    (day,) = session.days
    # 08.00 WIT on 1 December is 23.00 UTC on 30 November.
    assert day.starts_at == utc(2026, 11, 30, 23, 0)
    seats.nominate(
        db, session_id=session.id, person_id=people.alice.id, actor=people.adi, now=clock.now
    )
    key = checkin.derive_key(settings.secret)

    clock.now = utc(2026, 11, 30, 22, 30)  # 07.30 WIT on 1 December
    client.login(NIPS["alice"])
    r = _post_code(client, checkin.current_code(key, session.id, day.id, clock.now))
    assert "Kehadiran Anda tercatat pukul 07.30 WIT." in r.text

    client.login(NIPS["adi"])
    base = f"/bimtek/sesi/{session.id}/hari/{day.id}"
    assert "absensi dibuka 07.00–17.00 WIT" in client.get(base + "/absen").text
    pdf = client.get(base + "/daftar-hadir.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "08.00–16.00 WIT" in text and "07.30 WIT" in text
    assert not re.search(r"\bWIB\b", text)
