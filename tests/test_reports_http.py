"""The report pages and exports over HTTP: figures, filters in the URL, htmx fragments,
OPD scoping, CSV/XLSX/PDF/SIASN downloads, charts, "Belum mulai" and JP."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from app.progress.models import Enrolment
from app.reports.filters import ReportFilter
from app.reports.opd_summary import opd_summary
from app.reports.selection import build_filter
from app.users.models import EmploymentStatus
from app.users.scope import WHOLE_CITY
from app.users.service import create_user
from tests.conftest import NIPS
from tests.test_reports_queries import complete, jakarta, make_course, make_enrolment

NOW = datetime(2026, 6, 17, 3, 0, tzinfo=UTC)  # Wednesday 17 June 2026, 10:00 WIB
TODAY = date(2026, 6, 17)


@pytest.fixture
def city(db, people, clock, settings):
    """Two OPDs, three courses, completions (one certificate revoked) and an overdue one."""
    # Exactly these courses and enrolments: the shipped courses are not synced, or their
    # default rule (orientation for every CPNS) would enrol Alice and Bob once more.
    settings.sync_courses_on_startup = False
    clock.now = NOW
    orientasi = make_course(db, "orientasi", audience="cpns", jp=10)
    bimtek = make_course(db, "bimtek-data", audience="bimtek", jp=16, category="manajerial")
    etika = make_course(db, "etika", audience="umum", jp=4, category="sosial-kultural")
    citra = create_user(
        db,
        full_name="Citra Lestari",
        nip="199305052020122003",
        opd=people.opd_b,
        status=EmploymentStatus.PPPK,
    )
    db.flush()

    def ago(days: int) -> datetime:
        return jakarta(TODAY - timedelta(days=days), 9)

    complete(db, people.alice, orientasi, at=ago(3), score=90)
    make_enrolment(db, people.alice, etika, status="in_progress", enrolled_at=ago(5), progress=50)
    complete(db, people.olga, orientasi, at=ago(10), score=70)
    complete(db, people.olga, bimtek, at=ago(20), score=85)
    make_enrolment(
        db,
        people.bob,
        orientasi,
        enrolled_at=ago(30),
        source="assigned",
        due_date=TODAY - timedelta(days=5),
    )
    complete(db, people.bob, etika, at=ago(2), score=60, revoked=True)
    complete(db, citra, orientasi, at=ago(40), score=80)
    db.commit()
    return {"citra": citra, "orientasi": orientasi, "bimtek": bimtek, "etika": etika}


def login(make_client, who: str):
    c = make_client()
    c.login(NIPS[who])
    return c


def total_row(html: str) -> str:
    match = re.search(r'<tr id="total-kota">(.*?)</tr>', html, re.S)
    assert match, "no totals row"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def body_rows(html: str) -> list[str]:
    tbody = re.search(r'<table id="tabel-opd".*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", tbody, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in rows]


def test_dashboard_shows_every_opd_and_the_city_total(make_client, city):
    kiki = login(make_client, "kiki")
    r = kiki.get("/laporan")
    assert r.status_code == 200
    # people 6, enrolled 7, not started 1 (Bob), in progress 1, completed 5 (71.4 %),
    # mean score 77, certificates 4 (one revoked), 46 JP, no bimtek attendance
    assert total_row(r.text) == "Total kota 6 7 1 1 5 71,4% 77,00 4 46 0"
    rows = body_rows(r.text)
    assert rows == [
        "Badan Perencanaan Pembangunan Daerah 2 3 1 0 2 66,7% 70,00 1 10 0",
        "Dinas Komunikasi dan Informatika 4 4 0 1 3 75,0% 81,67 3 36 0",
    ]
    assert 'aria-sort="ascending"' in r.text  # sorted by OPD name
    headings = re.findall(r'<th scope="col"[^>]*>\s*<a [^>]*>([^<]+)<', r.text)
    assert [h.strip() for h in headings[:7]] == [
        "OPD",
        "ASN",
        "Terdaftar",
        "Belum mulai",
        "Sedang berjalan",
        "Selesai",
        "Persentase",
    ]
    assert "{}" not in r.text  # no label mangled by gettext's %-formatting
    assert 'href="/laporan?urut=persen&amp;turun=1"' in r.text


def test_filters_in_the_url_change_the_numbers(make_client, city):
    kiki = login(make_client, "kiki")
    course = kiki.get("/laporan?kursus=orientasi")
    assert total_row(course.text) == "Total kota 6 4 1 0 3 75,0% 80,00 3 30 0"
    assert '<option value="orientasi" selected>' in course.text
    pppk = kiki.get("/laporan?status=PPPK")
    assert total_row(pppk.text) == "Total kota 1 1 0 0 1 100,0% 80,00 1 10 0"
    # completions of the last week only: Alice (3 days ago) and Bob (2 days ago)
    period = kiki.get(f"/laporan?dari={TODAY - timedelta(days=7)}&sampai={TODAY}")
    assert total_row(period.text) == "Total kota 6 7 1 1 2 28,6% 75,00 1 10 0"
    audience = kiki.get("/laporan?sasaran=bimtek")
    assert total_row(audience.text) == "Total kota 6 1 0 0 1 100,0% 85,00 1 16 0"
    by_percent = kiki.get("/laporan?urut=persen&turun=1")
    assert [row.split(" ")[0] for row in body_rows(by_percent.text)] == ["Dinas", "Badan"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=HONORER", "Status kepegawaian &#39;HONORER&#39; tidak dikenal"),
        ("dari=kemarin", "gunakan format TTTT-BB-HH"),
        ("kursus=tidak-ada", "Kursus &#39;tidak-ada&#39; tidak ditemukan"),
        ("dari=2026-06-10&sampai=2026-06-01", "tidak boleh setelah"),
    ],
)
def test_bad_filter_values_give_a_clear_422(make_client, city, query, message):
    kiki = login(make_client, "kiki")
    r = kiki.get("/laporan?" + query)
    assert r.status_code == 422
    assert message in r.text


def test_htmx_gets_only_the_results_fragment_with_a_clean_url(make_client, city):
    kiki = login(make_client, "kiki")
    r = kiki.get(
        "/laporan?kursus=orientasi&sasaran=all&status=&dari=&sampai=&opd=",
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert "<html" not in r.text and "<form" not in r.text
    assert r.text.lstrip().startswith('<div id="results"')
    assert total_row(r.text) == "Total kota 6 4 1 0 3 75,0% 80,00 3 30 0"
    assert r.headers["HX-Push-Url"] == "/laporan?kursus=orientasi"
    assert r.headers["Vary"] == "HX-Request"
    full = kiki.get("/laporan?kursus=orientasi")
    assert "<html" in full.text and 'hx-push-url="true"' in full.text


def test_charts_are_accessible_svg_without_inline_style(make_client, city):
    kiki = login(make_client, "kiki")
    html = kiki.get("/laporan").text
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 2
    bar, trend = svgs
    assert 'role="img"' in bar and '<title id="grafik-opd-title">' in bar
    assert "Persentase penyelesaian kursus per OPD" in bar and "<desc" in bar
    assert "Dinas Komunikasi dan Informatika" in bar and "75,0%" in bar
    assert 'role="img"' in trend and "per minggu" in trend
    assert "style=" not in bar + trend
    assert 'aria-labelledby="grafik-opd-title grafik-opd-desc"' in bar


def test_opd_admin_sees_only_their_opd(make_client, city, people):
    olga = login(make_client, "olga")
    page = olga.get("/laporan")
    assert page.status_code == 200
    assert body_rows(page.text) == ["Dinas Komunikasi dan Informatika 4 4 0 1 3 75,0% 81,67 3 36 0"]
    assert "Badan Perencanaan" not in page.text
    assert total_row(page.text).startswith("Total 4 4 0 1 3")
    own = olga.get(f"/laporan/opd/{people.opd_a.id}")
    assert own.status_code == 200 and "Alice Rahmawati" in own.text
    other = people.opd_b.id
    for url in (
        f"/laporan?opd={other}",
        f"/laporan/opd/{other}",
        f"/laporan/asn/{people.bob.id}",
        f"/laporan/ekspor/opd.csv?opd={other}",
        f"/laporan/ekspor/asn.xlsx?opd={other}",
        f"/laporan/ekspor/siasn.csv?asn={people.bob.id}",
        f"/laporan/jp?opd={other}",
    ):
        assert olga.get(url).status_code == 403, url
    assert olga.get(f"/laporan/asn/{people.alice.id}").status_code == 200
    export = olga.get("/laporan/ekspor/opd.csv")
    assert "Badan Perencanaan" not in export.content.decode("utf-8-sig")


def test_learners_are_refused(make_client, city, people):
    alice = login(make_client, "alice")
    for url in (
        "/laporan",
        f"/laporan/opd/{people.opd_a.id}",
        f"/laporan/asn/{people.alice.id}",
        "/laporan/belum-mulai",
        "/laporan/jp",
        "/laporan/ekspor/opd.csv",
        "/laporan/ekspor/siasn.xlsx",
    ):
        assert alice.get(url).status_code == 403, url


def _sheet_table(content: bytes) -> tuple[dict[str, str], list[list]]:
    sheet = load_workbook(io.BytesIO(content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    blank = next(i for i, r in enumerate(rows) if not any(r))  # ends the header block
    block = {r[0]: r[1] for r in rows[:blank]}
    return block, rows[blank + 1 :]


def test_xlsx_holds_the_numbers_of_the_page(make_client, city, db):
    kiki = login(make_client, "kiki")
    r = kiki.get("/laporan/ekspor/opd.xlsx?kursus=orientasi")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    block, table = _sheet_table(r.content)
    assert block["Pemerintah"] == "Kota Uji Coba"
    assert block["Instansi"] == "Dinas Komunikasi dan Informatika"
    assert block["Kursus"] == "Kursus orientasi"
    assert block["Status kepegawaian"] == "Semua status"
    assert block["Dibuat pada"] == "17 Juni 2026 10.00 WIB"
    heading, *rows, totals = table
    assert heading[:7] == [
        "OPD",
        "ASN",
        "Terdaftar",
        "Belum mulai",
        "Sedang berjalan",
        "Selesai",
        "Persentase selesai (%)",
    ]
    summary = opd_summary(db, build_filter(db, {"kursus": "orientasi"}, scope=WHOLE_CITY))
    for row, expected in zip(rows, summary.rows, strict=True):
        assert row == [
            expected.name,
            expected.people,
            expected.enrolled,
            expected.not_started,
            expected.in_progress,
            expected.completed,
            round(expected.completion_percent, 1),
            round(expected.average_score, 2),
            expected.certificates,
            expected.jp,
            expected.bimtek_attendees,
        ]
    assert totals == ["Total kota", 6, 4, 1, 0, 3, 75.0, 80.0, 3, 30, 0]
    page = kiki.get("/laporan?kursus=orientasi").text
    assert total_row(page) == "Total kota 6 4 1 0 3 75,0% 80,00 3 30 0"


def test_csv_for_indonesian_excel_uses_semicolons_and_decimal_commas(make_client, city):
    """Excel set to Indonesian splits on ";" and reads "71,4": the plain CSV would land in
    one column there. The page offers both; the plain one stays RFC 4180 for machines."""
    kiki = login(make_client, "kiki")
    page = kiki.get("/laporan").text
    assert 'href="/laporan/ekspor/opd.csv?excel=1"' in page
    assert 'href="/laporan/ekspor/opd.csv"' in page
    r = kiki.get("/laporan/ekspor/opd.csv?excel=1")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[-1] == ["Total kota", "6", "7", "1", "1", "5", "71,4", "77,00", "4", "46", "0"]
    # Filters in the link are kept alongside the Excel switch.
    filtered = kiki.get(f"/laporan?opd={people_opd(city)}").text
    assert f"opd.csv?opd={people_opd(city)}&amp;excel=1" in filtered


def people_opd(city) -> int:
    return city["citra"].opd_id


def test_csv_holds_the_same_numbers(make_client, city):
    kiki = login(make_client, "kiki")
    r = kiki.get("/laporan/ekspor/opd.csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the names right
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "OPD" and rows[0][-1] == "Hadir bimtek"
    assert rows[-1] == ["Total kota", "6", "7", "1", "1", "5", "71.4", "77.00", "4", "46", "0"]
    assert rows[2] == [
        "Dinas Komunikasi dan Informatika",
        "4",
        "4",
        "0",
        "1",
        "3",
        "75.0",
        "81.67",
        "3",
        "36",
        "0",
    ]
    weekly = kiki.get("/laporan/ekspor/mingguan.csv").content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(weekly)))
    assert lines[0] == ["Minggu mulai", "Minggu selesai", "Selesai"]
    assert lines[-2] == ["2026-06-15", "2026-06-21", "1"]  # Bob's, on Monday 15 June
    assert lines[-1] == ["Total", "", "5"]


def test_pdf_summary_has_the_table_chart_total_and_signer(make_client, city, settings):
    settings.signer_name = "Dr. Rahmat Hidayat, S.Kom., M.T."
    settings.signer_nip = "197001011995031001"
    kiki = login(make_client, "kiki")
    r = kiki.get("/laporan/ekspor/opd.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Laporan Capaian Pelatihan ASN per OPD" in text
    assert "KOTA UJI COBA" in text
    assert "Total kota" in text and "71,4" in text and "77,00" in text
    assert "Persentase penyelesaian per OPD" in text
    assert "Dr. Rahmat Hidayat, S.Kom., M.T." in text and "NIP 197001011995031001" in text
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape


def test_siasn_training_history_export(make_client, city, people):
    kiki = login(make_client, "kiki")
    r = kiki.get("/laporan/ekspor/siasn.csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "NIP",
        "Nama",
        "Nama Pelatihan",
        "Tanggal Mulai",
        "Tanggal Selesai",
        "JP",
        "Nomor Sertifikat",
        "Penyelenggara",
    ]
    body = rows[1:]
    assert [(r[1], r[2]) for r in body] == [
        ("Alice Rahmawati", "Kursus orientasi"),
        ("Citra Lestari", "Kursus orientasi"),
        ("Olga Siregar", "Kursus bimtek-data"),
        ("Olga Siregar", "Kursus orientasi"),
    ]  # Bob's certificate was revoked
    alice = body[0]
    assert alice[0] == NIPS["alice"]
    assert alice[3:6] == ["04-06-2026", "14-06-2026", "10"]
    assert alice[7] == "Dinas Komunikasi dan Informatika Kota Uji Coba"
    one = kiki.get(f"/laporan/ekspor/siasn.xlsx?asn={people.olga.id}")
    block, table = _sheet_table(one.content)
    assert block["ASN"] == f"Olga Siregar ({NIPS['olga']})"
    assert [row[2] for row in table[1:]] == ["Kursus bimtek-data", "Kursus orientasi"]
    assert table[1][3] == datetime(2026, 5, 18, 0, 0)  # a real date cell, not text


def test_drill_down_person_record_and_people_export(make_client, city, people):
    kiki = login(make_client, "kiki")
    page = kiki.get(f"/laporan/opd/{people.opd_a.id}?kursus=orientasi")
    assert page.status_code == 200
    assert "Alice Rahmawati" in page.text and "Kiki Handayani" in page.text
    assert "Belum terdaftar pada kursus yang dipilih." in page.text  # Kiki, Adi
    assert re.search(r'<a href="/sertifikat/\d+/pdf">UJI/\d+</a>', page.text)
    assert kiki.get(f"/laporan/opd/{people.opd_a.id}?halaman=0").status_code == 422
    assert kiki.get("/laporan/opd/999999").status_code == 404
    export = kiki.get(f"/laporan/ekspor/asn.csv?opd={people.opd_a.id}")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["NIP/NIK", "Nama", "Status kepegawaian", "Kursus", "Status kursus"]
    assert len(rows) == 1 + 6  # Alice 2, Olga 2, Adi and Kiki one line each
    assert kiki.get("/laporan/ekspor/asn.csv").status_code == 422  # which OPD?
    record = kiki.get(f"/laporan/asn/{people.olga.id}")
    assert record.status_code == 200
    assert "Kursus bimtek-data" in record.text and "2026: <strong>26 JP</strong>" in record.text
    assert kiki.get("/laporan/asn/999999").status_code == 404


def test_belum_mulai_lists_overdue_assignments(make_client, city, people):
    kiki = login(make_client, "kiki")
    page = kiki.get("/laporan/belum-mulai")
    assert page.status_code == 200
    assert "Bob Saputra" in page.text and "5 hari" in page.text
    assert "1 pendaftaran lewat tenggat" in page.text
    olga = login(make_client, "olga")
    assert "Bob Saputra" not in olga.get("/laporan/belum-mulai").text
    export = kiki.get("/laporan/ekspor/belum-mulai.xlsx")
    _, table = _sheet_table(export.content)
    assert table[1][1] == "Bob Saputra" and table[1][-1] == 5


def test_jp_page_meters_quarters_and_below_target(make_client, city, people):
    kiki = login(make_client, "kiki")
    page = kiki.get("/laporan/jp")
    assert page.status_code == 200
    assert "Capaian JP tahun 2026" in page.text
    # Olga has 26 JP (met); Alice and Citra 10; Kiki, Adi and Bob none. Bob's is revoked.
    assert re.search(r'id="jp-met">1<', page.text) and re.search(r'id="jp-below">5<', page.text)
    assert re.search(r'<meter min="0" max="20"[^>]*value="20"', page.text)  # Olga, capped
    assert "26 dari 20 JP" in page.text and "10 dari 20 JP" in page.text
    quarters = re.search(r'<table id="tabel-jp-triwulan".*?<tfoot>(.*?)</tfoot>', page.text, re.S)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", quarters.group(1))
    assert cells == ["6", "1", "5", "0", "46", "0", "0", "46"]  # all in triwulan II
    below = kiki.get("/laporan/jp?bawah=1")
    assert "Olga Siregar" not in re.search(
        r'<table id="tabel-jp-asn".*?</table>', below.text, re.S
    ).group(0)
    assert kiki.get("/laporan/jp?status=NON_ASN").status_code == 422
    assert kiki.get("/laporan/jp?tahun=1999").status_code == 422
    assert "Belum ada sertifikat" in kiki.get("/laporan/jp?tahun=2025").text
    categories = kiki.get("/laporan/ekspor/jp-kategori.csv").content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(categories)))[1:] == [
        ["manajerial", "1", "16"],
        ["teknis", "3", "30"],
        ["Total", "4", "46"],
    ]


def test_unknown_export_is_404(make_client, city):
    kiki = login(make_client, "kiki")
    assert kiki.get("/laporan/ekspor/opd.docx").status_code == 404
    assert kiki.get("/laporan/ekspor/gaji.csv").status_code == 404
    assert kiki.get("/laporan/ekspor/siasn.pdf").status_code == 404


def test_same_numbers_everywhere_for_one_filter(make_client, city, db):
    """Page, CSV and the query function agree for a combined filter."""
    kiki = login(make_client, "kiki")
    query = f"kursus=orientasi&status=CPNS&sampai={TODAY}"
    f = build_filter(
        db, {"kursus": "orientasi", "status": "CPNS", "sampai": str(TODAY)}, scope=WHOLE_CITY
    )
    assert f == ReportFilter(
        course_id=city["orientasi"].id,
        course_slug="orientasi",
        status="CPNS",
        completed_to=TODAY,
    )
    t = opd_summary(db, f).totals
    csv_rows = list(
        csv.reader(io.StringIO(kiki.get("/laporan/ekspor/opd.csv?" + query).text.lstrip("\ufeff")))
    )
    assert csv_rows[-1][1:6] == [
        str(t.people),
        str(t.enrolled),
        str(t.not_started),
        str(t.in_progress),
        str(t.completed),
    ]
    assert total_row(kiki.get("/laporan?" + query).text).startswith(
        f"Total kota {t.people} {t.enrolled} {t.not_started} {t.in_progress} {t.completed}"
    )


def test_exports_neutralise_spreadsheet_formulas(make_client, city, db, people):
    course = make_course(db, "jahat", jp=2)
    course.title = '=HYPERLINK("http://contoh.invalid","klik")'
    complete(db, people.kiki, course, at=jakarta(TODAY, 8), score=75)
    db.commit()
    kiki = login(make_client, "kiki")
    rows = list(
        csv.reader(io.StringIO(kiki.get("/laporan/ekspor/siasn.csv").text.lstrip("\ufeff")))
    )
    titles = [r[2] for r in rows if r[1] == "Kiki Handayani"]
    assert titles == ['\'=HYPERLINK("http://contoh.invalid","klik")']
    sheet = load_workbook(io.BytesIO(kiki.get("/laporan/ekspor/siasn.xlsx").content)).active
    cells = [c for row in sheet.iter_rows() for c in row if "HYPERLINK" in str(c.value)]
    assert [c.value for c in cells] == ['\'=HYPERLINK("http://contoh.invalid","klik")']
    assert cells[0].data_type == "s"  # text, not a formula


def test_belum_mulai_column_on_the_page_in_files_and_sorted(make_client, city, db, people):
    """The OPD summary's "Belum mulai": enrolments nobody has started (Bob's orientasi in
    BAPPEDA), on the page, in the CSV and XLSX, sortable; gone once Bob opens a module."""
    kiki = login(make_client, "kiki")
    page = kiki.get("/laporan?urut=belum&turun=1")
    headings = re.findall(r'<th scope="col"[^>]*>\s*<a [^>]*>([^<]+)<', page.text)
    assert "Belum mulai" in [h.strip() for h in headings]
    assert 'aria-sort="descending"' in page.text
    assert [row.split(" ")[0] for row in body_rows(page.text)] == ["Badan", "Dinas"]
    rows = list(csv.reader(io.StringIO(kiki.get("/laporan/ekspor/opd.csv").text.lstrip("\ufeff"))))
    column = rows[0].index("Belum mulai")
    assert [r[column] for r in rows[1:]] == ["1", "0", "1"]  # BAPPEDA, DISKOMINFO, total
    _, table = _sheet_table(kiki.get("/laporan/ekspor/opd.xlsx").content)
    assert [r[column] for r in table[1:]] == [1, 0, 1]
    # With a period it is counted live: the same figure.
    assert total_row(kiki.get(f"/laporan?sampai={TODAY}").text).startswith("Total kota 6 7 1 1")

    bob = db.scalar(
        select(Enrolment).where(
            Enrolment.user_id == people.bob.id, Enrolment.course_id == city["orientasi"].id
        )
    )
    bob.status = "in_progress"  # what opening the first module does (progress.service)
    db.commit()
    assert total_row(kiki.get("/laporan").text).startswith("Total kota 6 7 0 2 5")
