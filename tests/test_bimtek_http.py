"""Bimtek over HTTP: sessions, nominations and quotas, check-in, completion, documents —
on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app import citytime
from app.audit.models import AuditEvent
from app.bimtek import attendance as bimtek_attendance
from app.bimtek import checkin, completion, seats
from app.bimtek.models import Attendance, BimtekDay, BimtekSession, Nomination
from app.certificates.models import Certificate
from app.main import create_app
from app.progress import service as progress
from app.progress.models import Enrolment
from app.users.models import EmploymentStatus
from tests.conftest import NIPS
from tests.fixtures.bimtek.builders import (
    COURSE_SLUG,
    DAY_ONE,
    MORNING,
    add_person,
    copy_courses,
    days,
    make_session,
    nip_for,
)

NIK_SITI = "1871014501950001"


@pytest.fixture
def courses_dir(tmp_path):
    return copy_courses(tmp_path)


@pytest.fixture
def app(settings, clock, courses_dir):
    settings.courses_dir = courses_dir
    clock.now = MORNING
    return create_app(settings, clock=clock)


def _key(settings) -> bytes:
    return checkin.derive_key(settings.secret)


def _session_id(response) -> int:
    match = re.fullmatch(r"/bimtek/sesi/(\d+)", response.url.path)
    assert match, response.url
    return int(match.group(1))


def _nominate(client, session_id: int, person_id: int, **kw):
    return client.submit(
        f"/bimtek/sesi/{session_id}/nominasi",
        {"pegawai": str(person_id)},
        page=f"/bimtek/sesi/{session_id}",
        **kw,
    )


def _status(db, session_id: int, user_id: int) -> str | None:
    db.rollback()  # end the test's read snapshot before reading what the app wrote
    nomination = db.scalar(
        select(Nomination).where(Nomination.session_id == session_id, Nomination.user_id == user_id)
    )
    return None if nomination is None else nomination.status.value


def _enrolment(db, user_id: int, course_id: int) -> Enrolment | None:
    db.rollback()
    return progress.get_enrolment(db, user_id=user_id, course_id=course_id)


def _form_values(html: str) -> dict[str, str]:
    """What a browser would post from the page's form, as it stands."""
    values = {}
    for tag in re.findall(r"<input [^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        if 'type="checkbox"' in tag and "checked" not in tag:
            continue
        values[name.group(1)] = unescape(value.group(1)) if value else ""
    for name, text in re.findall(
        r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S
    ):
        values[name] = unescape(text)
    for name, body in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = chosen.group(1) if chosen else ""
    return values


def _form(**overrides) -> dict[str, str]:
    form = {
        "judul": "Bimtek Keamanan Informasi",
        "kursus": "",
        "tempat": "Aula Pemkot",
        "tautan_daring": "",
        "nama_fasilitator": "Ir. Budi Santoso",
        "akun_fasilitator": "",
        "kapasitas": "20",
        "kuota_opd": "3",
        "daftar_buka": "2026-11-20T08:00",
        "daftar_tutup": "2026-11-30T16:00",
        "jp": "16",
        "persen_hadir": "100",
        "daftar_mandiri": "1",
        "hari-0-tanggal": "2026-12-01",
        "hari-0-mulai": "08:00",
        "hari-0-selesai": "16:00",
        "hari-1-tanggal": "2026-12-02",
        "hari-1-mulai": "08:00",
        "hari-1-selesai": "12:00",
    }
    form.update(overrides)
    return form


def test_admin_creates_session_with_validation(client, people, db):
    client.login(NIPS["adi"])
    page = client.get("/bimtek/sesi/baru")
    assert page.status_code == 200 and 'id="session-form"' in page.text
    course_id = re.search(r'<option value="(\d+)" >Bimtek Uji Coba', page.text).group(1)
    bad = _form(judul="", kursus=course_id, **{"hari-0-selesai": "07:00", "kapasitas": "nol"})
    r = client.submit("/bimtek/sesi/baru", bad, page="/bimtek/sesi/baru")
    assert r.status_code == 422
    assert "Judul wajib diisi." in r.text
    assert "Jam selesai hari ke-1 harus setelah jam mulai." in r.text
    assert "Kapasitas harus berupa bilangan bulat." in r.text
    assert 'aria-invalid="true"' in r.text and "Bimtek Keamanan" not in r.text
    token = client.csrf("/bimtek/sesi/baru")
    htmx = client.post(
        "/bimtek/sesi/baru",
        data={**bad, "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 200 and "<html" not in htmx.text
    assert "Judul wajib diisi." in htmx.text
    unknown = _form(kursus=course_id, akun_fasilitator="199912312020121001")
    r = client.submit("/bimtek/sesi/baru", unknown, page="/bimtek/sesi/baru")
    assert r.status_code == 422 and "Akun fasilitator tidak ditemukan" in r.text
    good = _form(
        kursus=course_id,
        akun_fasilitator=NIPS["kiki"],
        **{f"kuota-{people.opd_b.id}": "5"},
    )
    r = client.submit("/bimtek/sesi/baru", good, page="/bimtek/sesi/baru", follow_redirects=False)
    assert r.status_code == 303
    session_id = int(r.headers["location"].rsplit("/", 1)[1])
    db.rollback()
    session = db.get(BimtekSession, session_id)
    assert session.title == "Bimtek Keamanan Informasi" and session.capacity == 20
    assert [d.date.isoformat() for d in session.days] == ["2026-12-01", "2026-12-02"]
    # 08.00 typed in the city (WIB: 01.00 UTC, WITA: 00.00 UTC)
    assert session.days[0].starts_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC) - timedelta(
        hours=citytime.offset_hours()
    )
    assert session.quota_for(people.opd_b.id) == 5 and session.quota_for(people.opd_a.id) == 3
    assert [f.full_name for f in session.facilitators] == ["Kiki Handayani"]
    assert db.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "bimtek.session.create")
    )
    detail = client.get(f"/bimtek/sesi/{session_id}")
    assert "Bimtek Keamanan Informasi" in detail.text and "Ir. Budi Santoso" in detail.text


def test_who_may_create_sessions(client, make_client, people):
    client.login(NIPS["kiki"])
    assert client.get("/bimtek/sesi/baru").status_code == 200
    olga = make_client()
    olga.login(NIPS["olga"])
    assert olga.get("/bimtek/sesi/baru").status_code == 403
    assert olga.get("/bimtek/sesi").status_code == 200
    alice = make_client()
    alice.login(NIPS["alice"])
    assert alice.get("/bimtek/sesi").status_code == 403
    assert alice.get("/bimtek").status_code == 200


def test_nominate_within_quota_then_waitlist_with_message(client, people, db):
    session = make_session(db, actor=people.adi, quota=2, capacity=10)
    dewi = add_person(db, "Dewi Lestari", people.opd_a, nip=nip_for(1))
    eko = add_person(db, "Eko Prasetyo", people.opd_a, nip=nip_for(2))
    client.login(NIPS["olga"])
    found = client.get(f"/bimtek/sesi/{session.id}?q=Dewi")
    assert "Dewi Lestari" in found.text and "Nominasikan" in found.text
    by_nip = client.get(f"/bimtek/sesi/{session.id}?q={nip_for(2)}", headers={"HX-Request": "true"})
    assert "Eko Prasetyo" in by_nip.text and "<html" not in by_nip.text

    r = _nominate(client, session.id, people.alice.id)
    assert "Alice Rahmawati terdaftar sebagai peserta." in r.text
    assert _status(db, session.id, people.alice.id) == "confirmed"
    enrolment = _enrolment(db, people.alice.id, session.course_id)
    assert enrolment is not None and enrolment.source == "bimtek"
    assert _status(db, session.id, dewi.id) is None
    _nominate(client, session.id, dewi.id)
    assert _status(db, session.id, dewi.id) == "confirmed"

    r = _nominate(client, session.id, eko.id)
    assert _status(db, session.id, eko.id) == "waitlisted"
    assert (
        "Kuota Dinas Komunikasi dan Informatika untuk bimtek ini sudah penuh (2 dari 2)." in r.text
    )
    assert "Eko Prasetyo masuk daftar tunggu nomor 1." in r.text
    assert _enrolment(db, eko.id, session.course_id) is None

    again = _nominate(client, session.id, people.alice.id)
    assert again.status_code == 409 and "Alice Rahmawati sudah terdaftar." in again.text
    page = client.get(f"/bimtek/sesi/{session.id}")
    assert re.search(
        r"Dinas Komunikasi dan Informatika</td><td>2</td><td>2</td>\s*<td>100%", page.text
    )


def test_capacity_full_waitlists_and_withdraw_promotes_in_order(client, make_client, people, db):
    session = make_session(db, actor=people.adi, quota=2, capacity=3)
    a2 = add_person(db, "Dewi Lestari", people.opd_a, nip=nip_for(1))
    a3 = add_person(db, "Eko Prasetyo", people.opd_a, nip=nip_for(2))
    b2 = add_person(db, "Fitri Handayani", people.opd_b, nip=nip_for(3))
    client.login(NIPS["adi"])
    for person in (people.alice, a2, a3, people.bob, b2):
        _nominate(client, session.id, person.id)
    assert [_status(db, session.id, p.id) for p in (people.alice, a2, a3, people.bob, b2)] == [
        "confirmed",
        "confirmed",
        "waitlisted",  # OPD A's quota (2) is full
        "confirmed",
        "waitlisted",  # the capacity (3) is full
    ]
    r = client.get(
        f"/bimtek/sesi/{session.id}?n={db.scalar(select(Nomination.id).where(Nomination.user_id == b2.id))}"
    )
    assert "Kapasitas bimtek sudah penuh (3 dari 3 peserta)." in r.text
    assert "Fitri Handayani masuk daftar tunggu nomor 2." in r.text

    # An OPD admin cannot withdraw another OPD's participant.
    olga = make_client()
    olga.login(NIPS["olga"])
    bob_nomination = db.scalar(select(Nomination.id).where(Nomination.user_id == people.bob.id))
    r = olga.submit(f"/bimtek/nominasi/{bob_nomination}/tarik", page="/bimtek/sesi")
    assert r.status_code == 403
    assert _status(db, session.id, people.bob.id) == "confirmed"

    # Bob leaves: Eko is first in line but OPD A is still full, so Fitri gets the seat.
    r = client.submit(f"/bimtek/nominasi/{bob_nomination}/tarik", page=f"/bimtek/sesi/{session.id}")
    assert _status(db, session.id, people.bob.id) == "withdrawn"
    assert _status(db, session.id, b2.id) == "confirmed"
    assert _status(db, session.id, a3.id) == "waitlisted"
    assert _enrolment(db, b2.id, session.course_id).source == "bimtek"

    # Alice withdraws herself: now Eko fits OPD A's quota.
    alice = make_client()
    alice.login(NIPS["alice"])
    r = alice.submit(f"/bimtek/sesi/{session.id}/mundur", page="/bimtek")
    assert "Anda tidak lagi terdaftar di bimtek ini." in r.text
    assert _status(db, session.id, a3.id) == "confirmed"
    db.rollback()
    confirmed = db.scalar(
        select(func.count())
        .select_from(Nomination)
        .where(Nomination.session_id == session.id, Nomination.status == "confirmed")
    )
    assert confirmed == 3
    # withdrawn people can be nominated again (same row)
    _nominate(client, session.id, people.bob.id)
    assert _status(db, session.id, people.bob.id) == "waitlisted"
    assert (
        db.scalar(
            select(func.count()).select_from(Nomination).where(Nomination.user_id == people.bob.id)
        )
        == 1
    )


def test_opd_admin_cannot_act_on_another_opd(client, people, db):
    session = make_session(db, actor=people.adi, allow_self=True)
    client.login(NIPS["olga"])
    r = _nominate(client, session.id, people.bob.id)
    assert r.status_code == 403
    assert "OPD Anda sendiri" in r.text
    assert _status(db, session.id, people.bob.id) is None
    # the search shows only the OPD admin's own people
    assert "Bob Saputra" not in client.get(f"/bimtek/sesi/{session.id}?q=Saputra").text
    # Bob registers himself; Olga may not approve or reject him
    outcome = seats.self_register(db, session_id=session.id, user=people.bob, now=MORNING)
    for action in ("setujui", "tolak", "tarik"):
        r = client.submit(f"/bimtek/nominasi/{outcome.nomination.id}/{action}", page="/bimtek/sesi")
        assert r.status_code == 403, action
    assert _status(db, session.id, people.bob.id) == "pending"
    # and his pending registration is not listed on her page
    assert "Bob Saputra" not in client.get(f"/bimtek/sesi/{session.id}").text
    # unknown ids are 404, not 500
    assert client.submit("/bimtek/nominasi/999999/setujui", page="/bimtek/sesi").status_code == 404
    assert _nominate(client, 999999, people.alice.id).status_code == 404


def test_self_registration_and_approval_rechecks_quota(client, make_client, people, db):
    session = make_session(db, actor=people.adi, allow_self=True, quota=1)
    closed = make_session(db, actor=people.adi, title="Bimtek Tertutup")
    dewi = add_person(db, "Dewi Lestari", people.opd_a, nip=nip_for(1))
    eko = add_person(db, "Eko Prasetyo", people.opd_a, nip=nip_for(2))
    client.login(NIPS["alice"])
    mine = client.get("/bimtek")
    assert "Daftar sebagai peserta" in mine.text and "Bimtek Tertutup" in mine.text
    r = client.submit(f"/bimtek/sesi/{session.id}/daftar", page="/bimtek")
    assert "Pendaftaran Anda terkirim dan menunggu persetujuan admin OPD." in r.text
    assert _status(db, session.id, people.alice.id) == "pending"
    twice = client.submit(f"/bimtek/sesi/{session.id}/daftar", page="/bimtek")
    assert twice.status_code == 409 and "Anda sudah terdaftar di bimtek ini." in twice.text
    refused = client.submit(f"/bimtek/sesi/{closed.id}/daftar", page="/bimtek")
    assert refused.status_code == 409 and "tidak menerima pendaftaran mandiri" in refused.text
    # pending holds no seat and gives no course yet
    assert _enrolment(db, people.alice.id, session.course_id) is None

    for person in (dewi, eko):
        other = make_client()
        other.login(person.nip)
        other.submit(f"/bimtek/sesi/{session.id}/daftar", page="/bimtek")
    olga = make_client()
    olga.login(NIPS["olga"])
    page = olga.get(f"/bimtek/sesi/{session.id}")
    assert "Pendaftaran menunggu persetujuan" in page.text
    db.rollback()
    ids = dict(
        db.execute(
            select(Nomination.user_id, Nomination.id).where(Nomination.session_id == session.id)
        ).all()
    )
    r = olga.submit(
        f"/bimtek/nominasi/{ids[people.alice.id]}/setujui", page=f"/bimtek/sesi/{session.id}"
    )
    assert "Alice Rahmawati terdaftar sebagai peserta." in r.text
    assert _enrolment(db, people.alice.id, session.course_id)
    # the quota (1) is used: approving Dewi puts her on the waiting list, with the reason
    r = olga.submit(f"/bimtek/nominasi/{ids[dewi.id]}/setujui", page=f"/bimtek/sesi/{session.id}")
    assert _status(db, session.id, dewi.id) == "waitlisted"
    assert "sudah penuh (1 dari 1)" in r.text
    again = olga.submit(
        f"/bimtek/nominasi/{ids[dewi.id]}/setujui", page=f"/bimtek/sesi/{session.id}"
    )
    assert again.status_code == 409 and "sudah diputuskan" in again.text
    olga.submit(f"/bimtek/nominasi/{ids[eko.id]}/tolak", page=f"/bimtek/sesi/{session.id}")
    assert _status(db, session.id, eko.id) == "rejected"
    eko_client = make_client()
    eko_client.login(eko.nip)
    r = eko_client.submit(f"/bimtek/sesi/{session.id}/daftar", page="/bimtek")
    assert r.status_code == 409 and "sudah ditolak" in r.text


def _confirmed(db, session, *people_, actor):
    for person in people_:
        outcome = seats.nominate(
            db, session_id=session.id, person_id=person.id, actor=actor, now=MORNING
        )
        assert outcome.nomination.status == "confirmed"


def test_nomination_and_its_enrolment_are_one_transaction(client, people, db, monkeypatch):
    # Before, the nomination committed and the enrolment followed in its own transaction:
    # a failing enrolment left a confirmed seat without the course.
    session = make_session(db, actor=people.adi)

    def broken(*_args, **_kwargs):
        raise RuntimeError("enrolment failed")

    monkeypatch.setattr(progress, "add_enrolment", broken)
    with pytest.raises(RuntimeError):
        seats.nominate(
            db, session_id=session.id, person_id=people.alice.id, actor=people.olga, now=MORNING
        )
    assert db.scalar(select(func.count()).select_from(Nomination)) == 0
    assert people.olga.full_name  # the actor stays readable for an error page


def test_checkin_via_qr_url(client, people, db, settings, clock):
    session = make_session(db, actor=people.adi)
    day = session.days[0]
    _confirmed(db, session, people.alice, actor=people.olga)
    code = checkin.current_code(_key(settings), session.id, day.id, clock.now)
    client.login(NIPS["alice"])
    url = checkin.checkin_path(session.id, day.id, code)
    form = client.get(url)
    assert form.status_code == 200
    assert f'value="{code}"' in form.text and 'name="cara" value="qr"' in form.text
    assert "Bimtek Uji Angkatan I" in form.text
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Attendance)) == 0  # a GET writes nothing
    token = client.csrf(url)
    r = client.post(
        "/bimtek/absen",
        data={"csrf_token": token, "sesi": session.id, "hari": day.id, "kode": code, "cara": "qr"},
    )
    assert r.url.path == "/bimtek/absen"
    assert f"Kehadiran Anda tercatat pukul 09.00 {citytime.label()}." in r.text
    db.rollback()
    attendance = db.scalar(select(Attendance))
    assert attendance.user_id == people.alice.id and attendance.method == "qr"
    assert attendance.checked_in_at == MORNING and attendance.recorded_by == people.alice.id

    # scanning again later keeps the first time and writes nothing new
    clock.advance(minutes=10)
    code = checkin.current_code(_key(settings), session.id, day.id, clock.now)
    r = client.post(
        "/bimtek/absen",
        data={"csrf_token": token, "sesi": session.id, "hari": day.id, "kode": code, "cara": "qr"},
    )
    assert f"Kehadiran Anda tercatat pukul 09.00 {citytime.label()}." in r.text
    db.rollback()
    rows = db.scalars(select(Attendance)).all()
    assert len(rows) == 1 and rows[0].checked_in_at == MORNING
    page = client.get("/bimtek")
    assert "hadir 09.00" in page.text


def _post_code(client, token, session_id, day_id, code, **headers):
    data = {"csrf_token": token, "kode": code}
    if session_id is not None:
        data.update(sesi=str(session_id), hari=str(day_id))
    return client.post("/bimtek/absen", data=data, headers=headers)


def test_checkin_refusals_have_clear_messages(client, make_client, people, db, settings, clock):
    session = make_session(db, actor=people.adi, day_inputs=days(0, 1))
    other = make_session(db, actor=people.adi, title="Bimtek Lain")
    day0, day1 = session.days
    _confirmed(db, session, people.alice, actor=people.olga)
    key = _key(settings)
    client.login(NIPS["alice"])
    token = client.csrf("/bimtek/absen")

    stale = checkin.current_code(key, session.id, day0.id, clock.now)
    clock.advance(seconds=100)
    r = _post_code(client, token, session.id, day0.id, stale)
    assert r.status_code == 422 and "Kode sudah kedaluwarsa." in r.text

    r = _post_code(client, token, session.id, day0.id, "ZZZZZZ")
    assert r.status_code == 422 and "Kode tidak cocok untuk bimtek dan hari ini." in r.text
    other_day = checkin.current_code(key, session.id, day1.id, clock.now)
    r = _post_code(client, token, session.id, day0.id, other_day)
    assert r.status_code == 422 and "Kode tidak cocok" in r.text
    other_session = checkin.current_code(key, other.id, other.days[0].id, clock.now)
    r = _post_code(client, token, session.id, day0.id, other_session)
    assert r.status_code == 422 and "Kode tidak cocok" in r.text
    # tomorrow's QR code, scanned today
    r = _post_code(client, token, session.id, day1.id, other_day)
    assert r.status_code == 422 and "Daftar hadir ini untuk 02-12-2026, bukan hari ini." in r.text
    # a day id under another session's URL is unknown
    r = _post_code(client, token, other.id, day0.id, stale)
    assert r.status_code == 404
    # htmx gets the form fragment with the message (status 200 so it is swapped in)
    r = _post_code(client, token, session.id, day0.id, "ZZZZZZ", **{"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text and "Kode tidak cocok" in r.text
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Attendance)) == 0

    # not a participant
    bob = make_client()
    bob.login(NIPS["bob"])
    bob_token = bob.csrf("/bimtek/absen")
    code = checkin.current_code(key, session.id, day0.id, clock.now)
    r = _post_code(bob, bob_token, session.id, day0.id, code)
    assert r.status_code == 403 and "Anda bukan peserta terkonfirmasi bimtek ini." in r.text
    r = _post_code(bob, bob_token, None, None, code)
    assert r.status_code == 403 and "tidak memiliki jadwal bimtek hari ini" in r.text

    # outside the day's hours (16.00 + 1 hour)
    clock.now = datetime(2026, 12, 1, 17, 30, tzinfo=citytime.zone()).astimezone(UTC)
    client.login(NIPS["alice"])  # the login session idled out while the clock moved
    token = client.csrf("/bimtek/absen")
    code = checkin.current_code(key, session.id, day0.id, clock.now)
    r = _post_code(client, token, session.id, day0.id, code)
    assert r.status_code == 422
    assert f"Daftar hadir hari ini hanya dibuka pukul 07.00–17.00 {citytime.label()}." in r.text

    # typed code without the QR's ids: today's days of the learner are tried
    clock.now = MORNING + timedelta(minutes=30)
    client.login(NIPS["alice"])
    token = client.csrf("/bimtek/absen")
    page = client.get("/bimtek/absen")
    assert f"Bimtek Uji Angkatan I (08.00–16.00 {citytime.label()})" in page.text
    code = checkin.current_code(key, session.id, day0.id, clock.now)
    r = _post_code(client, token, None, None, code.lower())
    assert f"Kehadiran Anda tercatat pukul 09.30 {citytime.label()}." in r.text
    db.rollback()
    assert db.scalar(select(Attendance.method)) == "code"


def test_facilitator_screen_and_manual_attendance_audited(client, make_client, people, db):
    fajar = add_person(db, "Fajar Nugraha", people.opd_b, nip=nip_for(9))
    session = make_session(db, actor=people.adi, facilitators=[fajar.nip])
    day = session.days[0]
    _confirmed(db, session, people.alice, actor=people.olga)
    screen = f"/bimtek/sesi/{session.id}/hari/{day.id}/absen"
    client.login(fajar.nip)
    page = client.get(screen)
    assert page.status_code == 200
    assert 'hx-trigger="every 15s"' in page.text and 'hx-trigger="every 5s"' in page.text
    assert re.search(r'id="short-code"[^>]*>[0-9A-HJKMNP-TV-Z]{6}<', page.text)
    assert "<svg" in page.text and "0 / 1" not in page.text
    assert page.headers["cache-control"] == "no-store"
    # The screen is projected in the room: NIPs of people not yet present are masked.
    assert NIPS["alice"] not in page.text
    assert NIPS["alice"][:4] + "x" * 10 + NIPS["alice"][-4:] in page.text
    qr = client.get(screen + "/kode", headers={"HX-Request": "true"})
    assert 'id="qr-box"' in qr.text and "<html" not in qr.text and "<svg" in qr.text
    live = client.get(screen + "/hadir", headers={"HX-Request": "true"})
    assert 'id="attendance-live"' in live.text and "<html" not in live.text
    assert re.search(r'id="present-count">0</strong> / 1', live.text)
    # The manual list comes with every poll (out of band), so it follows check-ins.
    assert 'id="manual-attendance" hx-swap-oob="true"' in live.text
    assert "Alice Rahmawati" in live.text.split('id="manual-attendance"')[1]

    # who may open the screen: facilitators, Diskominfo, admins — not learners or OPD admins
    for who, expected in (("alice", 403), ("olga", 403), ("kiki", 200), ("adi", 200)):
        c = make_client()
        c.login(NIPS[who])
        assert c.get(screen).status_code == expected, who

    r = client.submit(
        screen + "/manual", {"peserta": str(people.alice.id)}, page=screen, follow_redirects=False
    )
    assert r.status_code == 303
    again = client.submit(screen + "/manual", {"peserta": str(people.alice.id)}, page=screen)
    assert again.status_code == 200
    db.rollback()
    attendance = db.scalars(select(Attendance)).all()
    assert len(attendance) == 1
    assert attendance[0].method == "manual" and attendance[0].recorded_by == fajar.id
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "bimtek.attendance.manual")
    ).all()
    assert len(events) == 1
    assert events[0].actor_id == fajar.id and events[0].detail["user_id"] == people.alice.id
    live = client.get(screen + "/hadir", headers={"HX-Request": "true"})
    assert "Alice Rahmawati" in live.text and re.search(
        r'id="present-count">1</strong> / 1', live.text
    )
    # ... and has left the manual list (now empty and hidden) without a page reload.
    manual = live.text.split('id="manual-attendance"')[1]
    assert "Alice Rahmawati" not in manual and manual.startswith(' hx-swap-oob="true" hidden')

    r = client.submit(screen + "/manual", {"peserta": str(people.bob.id)}, page=screen)
    assert r.status_code == 422 and "bukan peserta terkonfirmasi" in r.text
    alice = make_client()
    alice.login(NIPS["alice"])
    r = alice.submit(screen + "/manual", {"peserta": str(people.alice.id)}, page="/bimtek")
    assert r.status_code == 403
    # a day of another session under this session's URL
    other = make_session(db, actor=people.adi, title="Lain", facilitators=[fajar.nip])
    assert client.get(f"/bimtek/sesi/{session.id}/hari/{other.days[0].id}/absen").status_code == 404


def test_editing_a_session_keeps_attendance(client, people, db, settings, clock):
    session = make_session(db, actor=people.adi, day_inputs=days(0, 1))
    day0 = session.days[0]
    _confirmed(db, session, people.alice, actor=people.olga)
    bimtek_attendance.check_in(
        db,
        user=people.alice,
        code=checkin.current_code(_key(settings), session.id, day0.id, clock.now),
        key=_key(settings),
        now=clock.now,
        session_id=session.id,
        day_id=day0.id,
    )
    client.login(NIPS["adi"])
    edit = f"/bimtek/sesi/{session.id}/ubah"
    page = client.get(edit)
    assert f'name="hari-0-id" value="{day0.id}"' in page.text
    base = _form_values(page.text)
    assert base["kursus"] == str(session.course_id) and base["hari-0-tanggal"] == "2026-12-01"
    r = client.submit(edit, {**base, "hari-0-hapus": "1"}, page=edit)
    assert r.status_code == 422
    assert "Hari 01-12-2026 sudah memiliki data kehadiran dan tidak dapat dihapus." in r.text
    r = client.submit(edit, {**base, "hari-0-tanggal": "2026-12-05"}, page=edit)
    assert r.status_code == 422 and "hanya jamnya yang dapat diubah" in r.text
    changed = {
        **base,
        "hari-0-mulai": "07:30",  # times of a day with attendance may change
        "hari-1-hapus": "1",  # a day without attendance may go
        "hari-2-tanggal": "2026-12-03",
        "hari-2-mulai": "09:00",
        "hari-2-selesai": "15:00",
        "judul": "Bimtek Uji (diperbarui)",
    }
    r = client.submit(edit, changed, page=edit, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    db.rollback()
    db.expire_all()
    session = db.get(BimtekSession, session.id)
    assert session.title == "Bimtek Uji (diperbarui)"
    assert [d.date.isoformat() for d in session.days] == ["2026-12-01", "2026-12-03"]
    assert session.days[0].id == day0.id
    assert session.days[0].starts_at == datetime(2026, 12, 1, 7, 30, tzinfo=UTC) - timedelta(
        hours=citytime.offset_hours()
    )
    assert (
        db.scalar(
            select(func.count())
            .select_from(BimtekDay)
            .where(BimtekDay.date == DAY_ONE + timedelta(days=1))
        )
        == 0
    )
    attendance = db.scalars(select(Attendance)).all()
    assert [(a.day_id, a.user_id, a.checked_in_at) for a in attendance] == [
        (day0.id, people.alice.id, MORNING)
    ]


def test_attendance_rule_gates_completion(client, make_client, people, db, settings, clock):
    # 60 % of 3 days: two days needed
    session = make_session(db, actor=people.adi, day_inputs=days(0, 1, 2), percent=60)
    day0, day1, _day2 = session.days
    _confirmed(db, session, people.alice, actor=people.olga)
    key = _key(settings)
    client.login(NIPS["alice"])
    for module in ("pembukaan", "praktik"):
        url = f"/kursus/{COURSE_SLUG}/modul/{module}"
        r = client.submit(url + "/selesai", page=url)
        assert r.status_code == 200
    db.rollback()
    enrolment = _enrolment(db, people.alice.id, session.course_id)
    assert enrolment.progress_percent == 100 and enrolment.status != "completed"

    token = client.csrf("/bimtek/absen")
    _post_code(client, token, None, None, checkin.current_code(key, session.id, day0.id, clock.now))
    db.rollback()
    enrolment = _enrolment(db, people.alice.id, session.course_id)
    assert enrolment.status != "completed"  # 1 of 3 days < 60 %
    assert completion.jp_credits(db, user_id=people.alice.id) == []

    clock.now = MORNING + timedelta(days=1)
    client.login(NIPS["alice"])
    token = client.csrf("/bimtek/absen")
    r = _post_code(
        client, token, None, None, checkin.current_code(key, session.id, day1.id, clock.now)
    )
    assert "Kehadiran Anda tercatat" in r.text
    db.rollback()
    enrolment = _enrolment(db, people.alice.id, session.course_id)
    assert enrolment.status == "completed"
    assert enrolment.completed_at == clock.now
    assert [c.jp for c in completion.jp_credits(db, user_id=people.alice.id)] == [16]
    assert "JP yang diperoleh dari bimtek: 16 JP." in client.get("/bimtek").text
    # The certificate carries the session's JP (16), not the course's (8): reports and
    # the SIASN export count JP from certificates.
    certificate = db.scalar(select(Certificate).where(Certificate.user_id == people.alice.id))
    assert certificate.jp == 16 and certificate.payload["jp"] == 16

    # Someone who is not a participant completes the same course on modules alone.
    course = session.course
    progress.enrol(db, user_id=people.bob.id, course=course, now=clock.now, source="assigned")
    bob_enrolment = _enrolment(db, people.bob.id, course.id)
    for module in course.modules:
        progress.mark_completed(db, enrolment=bob_enrolment, module=module, now=clock.now)
    db.rollback()
    assert _enrolment(db, people.bob.id, course.id).status == "completed"
    assert completion.jp_credits(db, user_id=people.bob.id) == []
    certificate = db.scalar(select(Certificate).where(Certificate.user_id == people.bob.id))
    assert certificate.jp == 8  # the course's own JP


def test_lowering_the_rule_completes_waiting_participants(client, people, db, settings, clock):
    session = make_session(db, actor=people.adi, day_inputs=days(0, 1))
    _confirmed(db, session, people.alice, actor=people.olga)
    enrolment = _enrolment(db, people.alice.id, session.course_id)
    for module in session.course.modules:
        progress.mark_completed(db, enrolment=enrolment, module=module, now=clock.now)
    bimtek_attendance.mark_present(
        db,
        session_id=session.id,
        day_id=session.days[0].id,
        person_id=people.alice.id,
        actor=people.adi,
        now=clock.now,
    )
    db.rollback()
    assert _enrolment(db, people.alice.id, session.course_id).status != "completed"
    client.login(NIPS["adi"])
    edit = f"/bimtek/sesi/{session.id}/ubah"
    page = client.get(edit)
    values = {**_form_values(page.text), "persen_hadir": "50"}
    r = client.submit(edit, values, page=edit, follow_redirects=False)
    assert r.status_code == 303, r.text[:1500]
    db.rollback()
    assert _enrolment(db, people.alice.id, session.course_id).status == "completed"


def test_documents_are_role_scoped(client, make_client, people, db, settings, clock):
    fajar = add_person(db, "Fajar Nugraha", people.opd_b, nip=nip_for(9))
    siti = add_person(
        db, "Siti Ñurhaliza", people.opd_a, nik=NIK_SITI, status=EmploymentStatus.NON_ASN
    )
    session = make_session(db, actor=people.adi, facilitators=[fajar.nip])
    day = session.days[0]
    _confirmed(db, session, people.alice, siti, actor=people.olga)
    _confirmed(db, session, people.bob, actor=people.adi)
    for person in (people.alice, people.bob, siti):
        bimtek_attendance.mark_present(
            db,
            session_id=session.id,
            day_id=day.id,
            person_id=person.id,
            actor=fajar,
            now=clock.now,
        )
    base = f"/bimtek/sesi/{session.id}/hari/{day.id}/daftar-hadir"

    client.login(NIPS["adi"])
    pdf = client.get(base + ".pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in (
        "KOTA UJI COBA",
        "Dinas Komunikasi dan Informatika",
        "DAFTAR HADIR",
        "Bimtek Uji Angkatan I",
        "Selasa, 1 Desember 2026",
        "Alice Rahmawati",
        "Bob Saputra",
        "Siti Ñurhaliza",
        NIK_SITI,
        NIPS["alice"],
        "Tanda",
        f"09.00 {citytime.label()}",
    ):
        assert expected in text, expected

    xlsx = client.get(base + ".xlsx")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    assert values[0][0] == "KOTA UJI COBA" and values[2][0] == "DAFTAR HADIR"
    header_row = next(i for i, row in enumerate(values) if row[0] == "No")
    assert list(values[header_row]) == [
        "No",
        "Nama",
        "NIP/NIK",
        "OPD",
        "Waktu hadir",
        "Tanda tangan",
    ]
    names = {row[1]: row for row in values[header_row + 1 :] if row[1]}
    assert set(names) >= {"Alice Rahmawati", "Bob Saputra", "Siti Ñurhaliza"}
    assert names["Alice Rahmawati"][2] == NIPS["alice"]  # text, not a number
    assert names["Siti Ñurhaliza"][2] == NIK_SITI

    participants = client.get(f"/bimtek/sesi/{session.id}/peserta.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(participants.content))
    assert wb.sheetnames == ["BAPPEDA", "DISKOMINFO"]

    # The OPD admin of OPD A gets OPD A's rows only.
    olga = make_client()
    olga.login(NIPS["olga"])
    text = PdfReader(io.BytesIO(olga.get(base + ".pdf").content)).pages[0].extract_text()
    assert "Alice Rahmawati" in text and "Siti Ñurhaliza" in text and "Bob Saputra" not in text
    ws = openpyxl.load_workbook(io.BytesIO(olga.get(base + ".xlsx").content)).active
    cells = {c for row in ws.iter_rows(values_only=True) for c in row if c}
    assert "Alice Rahmawati" in cells and "Bob Saputra" not in cells
    wb = openpyxl.load_workbook(
        io.BytesIO(olga.get(f"/bimtek/sesi/{session.id}/peserta.xlsx").content)
    )
    assert wb.sheetnames == ["DISKOMINFO"]
    cells = {c for row in wb.active.iter_rows(values_only=True) for c in row if c}
    assert "Alice Rahmawati" in cells and "Bob Saputra" not in cells and "1 dari 1 hari" in cells
    day_page = olga.get(f"/bimtek/sesi/{session.id}/hari/{day.id}")
    assert "Alice Rahmawati" in day_page.text and "Bob Saputra" not in day_page.text

    # The facilitator prints the full list; learners get nothing; ids are checked.
    fajar_client = make_client()
    fajar_client.login(fajar.nip)
    text = PdfReader(io.BytesIO(fajar_client.get(base + ".pdf").content)).pages[0].extract_text()
    assert "Bob Saputra" in text and "Alice Rahmawati" in text
    alice = make_client()
    alice.login(NIPS["alice"])
    assert alice.get(base + ".pdf").status_code == 403
    assert alice.get(base + ".xlsx").status_code == 403
    assert alice.get(f"/bimtek/sesi/{session.id}/peserta.xlsx").status_code == 403
    other = make_session(db, actor=people.adi, title="Lain")
    assert client.get(f"/bimtek/sesi/{other.id}/hari/{day.id}/daftar-hadir.pdf").status_code == 404


def test_learner_page_and_non_asn_participant(client, make_client, people, db, settings, clock):
    siti = add_person(
        db, "Siti Ñurhaliza", people.opd_a, nik=NIK_SITI, status=EmploymentStatus.NON_ASN
    )
    session = make_session(db, actor=people.adi, day_inputs=days(0, 1))
    olga = make_client()
    olga.login(NIPS["olga"])
    found = olga.get(f"/bimtek/sesi/{session.id}?q={NIK_SITI[:8]}")
    assert "Siti Ñurhaliza" in found.text and NIK_SITI in found.text and "non-ASN" in found.text
    _nominate(olga, session.id, siti.id)
    assert _status(db, session.id, siti.id) == "confirmed"
    client.login(siti.email)
    token = client.csrf("/bimtek/absen")
    code = checkin.current_code(_key(settings), session.id, session.days[0].id, clock.now)
    r = _post_code(client, token, None, None, code)
    assert f"Kehadiran Anda tercatat pukul 09.00 {citytime.label()}." in r.text
    page = client.get("/bimtek").text
    assert "terkonfirmasi" in page and "Bimtek Uji Angkatan I" in page
    assert "Kehadiran: 1 dari 2 hari." in page and "Mundur dari bimtek" in page
    olga_page = olga.get(f"/bimtek/sesi/{session.id}").text
    assert NIK_SITI in olga_page


def test_registration_window_binds_opd_admins_not_admins(client, make_client, people, db, clock):
    session = make_session(db, actor=people.adi, allow_self=True, now=MORNING - timedelta(days=30))
    client.login(NIPS["olga"])
    r = _nominate(client, session.id, people.alice.id)
    assert r.status_code == 409 and "Pendaftaran bimtek ini sudah ditutup." in r.text
    alice = make_client()
    alice.login(NIPS["alice"])
    assert "Daftar sebagai peserta" not in alice.get("/bimtek").text
    r = alice.submit(f"/bimtek/sesi/{session.id}/daftar", page="/bimtek")
    assert r.status_code == 409 and "sudah ditutup" in r.text
    admin = make_client()
    admin.login(NIPS["adi"])
    _nominate(admin, session.id, people.alice.id)
    assert _status(db, session.id, people.alice.id) == "confirmed"
    screen = admin.get(f"/bimtek/sesi/{session.id}/hari/{session.days[0].id}/absen")
    assert "Kode di bawah belum diterima saat ini." not in screen.text
    clock.advance(hours=9)  # 18.00 in the city: the day is over
    admin.login(NIPS["adi"])
    screen = admin.get(f"/bimtek/sesi/{session.id}/hari/{session.days[0].id}/absen")
    assert "Kode di bawah belum diterima saat ini." in screen.text


def test_bimtek_title_renders_inert(client, people, db):
    from tests.fixtures.bimtek.builders import make_session

    session = make_session(
        db, actor=people.adi, title='<script>alert("bimtek")</script><b onclick=x>Judul</b>'
    )
    client.login(NIPS["adi"])
    for path in ("/bimtek/sesi", f"/bimtek/sesi/{session.id}", "/bimtek"):
        page = client.get(path).text
        assert "<script>alert" not in page and "<b onclick" not in page, path
    assert "&lt;script&gt;" in client.get(f"/bimtek/sesi/{session.id}").text
