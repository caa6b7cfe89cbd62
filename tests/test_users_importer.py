"""Staff import: reading CSV/XLSX, row validation, planning, activation codes — no database."""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
import importlib.util
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from app.users.activation_codes import (
    activation_code_hash,
    new_activation_code,
    normalize_activation_code,
)
from app.users.importer import (
    ExistingPerson,
    ImportPlan,
    ImportRow,
    PlannedCreate,
    RowProblem,
    parse_import,
    plan_import,
    read_table,
    validate_rows,
)
from app.users.importer_read import HEADER_ALIASES, MAX_BYTES, MAX_DATA_ROWS
from app.users.models import EmploymentStatus as S
from app.users.nip import nik_problem, nip_problem
from app.users.records import normalize_golongan, normalize_status, parse_tmt

FIXTURES = Path(__file__).parent / "fixtures" / "import"
TODAY = date(2025, 6, 1)
OPDS_BY_CODE = {"DISKOMINFO": 1, "BAPPEDA": 2, "DINKES": 3}
OPDS_BY_NAME = {
    "Dinas Komunikasi dan Informatika": 1,
    "Badan Perencanaan Pembangunan Daerah": 2,
    "Dinas Kesehatan": 3,
}


def error(row: int, reason: str) -> RowProblem:
    return RowProblem(row, reason, "error")


def warning(row: int, reason: str) -> RowProblem:
    return RowProblem(row, reason, "warning")


def plan(rows, existing=None, emails=None, allowed=None, problems=()) -> ImportPlan:
    return plan_import(
        rows,
        existing=existing or {},
        existing_emails=emails or {},
        opds_by_code=OPDS_BY_CODE,
        opds_by_name=OPDS_BY_NAME,
        allowed_opd_ids=allowed,
        problems=problems,
    )


def validate(*cell_rows: dict[str, str]) -> tuple[list[ImportRow], list[RowProblem]]:
    """Validate rows given as dicts, numbered from spreadsheet row 2."""
    return validate_rows(list(enumerate(cell_rows, start=2)), today=TODAY)


def person_row(**cells: str) -> dict[str, str]:
    base = {"nip": "198503152010011002", "full_name": "Siti Rahmawati", "opd_code": "DISKOMINFO"}
    return {**base, **cells}


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


# ---------------------------------------------------------------------------- messy.csv


def test_messy_csv_gives_exactly_the_good_rows_and_every_bad_row() -> None:
    rows, problems = parse_import((FIXTURES / "messy.csv").read_bytes(), "messy.csv", today=TODAY)

    assert problems == [
        warning(1, "Kolom tidak dikenali dan diabaikan: Keterangan"),
        error(7, "NIP tidak valid: NIP harus 18 digit (tertulis 17 digit)"),
        error(8, "NIP tidak valid: digit 1–8 NIP bukan tanggal lahir yang valid"),
        error(9, "NIP tertulis dalam notasi ilmiah (1,99001E+17); format kolom NIP sebagai teks"),
        error(10, "NIP sama dengan baris 2"),
        error(12, "Nama wajib diisi"),
        error(13, "Email 'andi@kota' tidak valid"),
    ]
    assert [r.row for r in rows] == [2, 3, 5, 6, 11]
    by_row = {r.row: r for r in rows}
    assert by_row[2] == ImportRow(
        row=2,
        nip="198503152010011002",
        nik=None,
        full_name="Siti Rahmawati, S.Kom.",
        email="siti.rahmawati@kota.go.id",
        opd_code="DISKOMINFO",
        opd_name=None,
        jabatan="Pranata Komputer Ahli Muda",
        golongan="III/c",
        status=S.PNS,
        tmt=date(2010, 1, 1),
    )
    # Quoted ";" inside a cell, collapsed spaces, upper-case e-mail, "4b", "pns", month name.
    assert by_row[3] == ImportRow(
        row=3,
        nip="197208171998031004",
        nik=None,
        full_name="Ir. Bambang Wijaya, M.T.",
        email="bambang.w@kota.go.id",
        opd_code="bappeda",
        opd_name=None,
        jabatan="Kepala Bidang Perencanaan; Pengendalian",
        golongan="IV/b",
        status=S.PNS,
        tmt=date(1998, 3, 1),
    )
    # No status and a NIP appointed in 2024: CPNS, inferred.
    assert (by_row[5].status, by_row[5].status_derived, by_row[5].golongan) == (
        S.CPNS,
        True,
        "III/a",
    )
    # Honorer identified by NIK; the "-" golongan means empty.
    assert by_row[6] == ImportRow(
        row=6,
        nip=None,
        nik="3273014708950003",
        full_name="Rina Marlina",
        email="rina.marlina@gmail.com",
        opd_code="DISKOMINFO",
        opd_name=None,
        jabatan="Tenaga Administrasi",
        golongan=None,
        status=S.NON_ASN,
        tmt=None,
    )


def test_messy_csv_plan_rejects_the_unknown_opd() -> None:
    rows, problems = parse_import((FIXTURES / "messy.csv").read_bytes(), "messy.csv", today=TODAY)
    result = plan(rows, problems=problems)

    assert [(c.row.row, c.opd_id) for c in result.create] == [(2, 1), (3, 2), (5, 1), (6, 1)]
    assert error(11, "OPD 'DISHUB-X' tidak dikenal") in result.rejected
    assert [p.row for p in result.rejected] == [7, 8, 9, 10, 11, 12, 13]
    assert result.warnings == [warning(1, "Kolom tidak dikenali dan diabaikan: Keterangan")]
    assert result.counts() == {
        "create": 4,
        "update": 0,
        "unchanged": 0,
        "rejected": 7,
        "warnings": 1,
    }


def test_clean_csv_matches_opds_by_name_and_keeps_pppk_golongan() -> None:
    rows, problems = parse_import((FIXTURES / "clean.csv").read_bytes(), "clean.csv", today=TODAY)
    assert problems == []
    assert [(r.row, r.status, r.golongan, r.opd_code, r.tmt) for r in rows] == [
        (2, S.PNS, "III/d", None, date(2005, 1, 1)),
        (3, S.PNS, "III/c", None, date(2010, 1, 1)),
        (4, S.PPPK, "IX", None, date(2023, 2, 1)),
    ]
    result = plan(rows)
    assert [c.opd_id for c in result.create] == [1, 2, 1]


# ---------------------------------------------------------------------------- reading


def test_read_table_returns_fields_and_rows_by_spreadsheet_row_number() -> None:
    data = csv_bytes(
        "NIP,Nama,Kode OPD",
        "198503152010011002,Siti,DISKOMINFO",
        "",
        ",,",
        '197208171998031004,"Bambang',
        'Wijaya",BAPPEDA',  # a quoted cell spanning two lines is one spreadsheet row
        "198001012005011001,Agus",  # short row: missing cells are empty
    )
    fields, rows, problems = read_table(data, "pegawai.csv")
    assert problems == []
    assert fields == ["nip", "full_name", "opd_code"]
    assert rows == [
        (2, {"nip": "198503152010011002", "full_name": "Siti", "opd_code": "DISKOMINFO"}),
        (5, {"nip": "197208171998031004", "full_name": "Bambang\r\nWijaya", "opd_code": "BAPPEDA"}),
        (6, {"nip": "198001012005011001", "full_name": "Agus", "opd_code": ""}),
    ]


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_separator_is_sniffed(separator: str) -> None:
    line = separator.join
    data = csv_bytes(line(["NIP", "Nama", "Jabatan"]), line(["1", '"Budi, S.T.; M.T."', "Staf"]))
    fields, rows, problems = read_table(data, "x.csv")
    assert (fields, problems) == (["nip", "full_name", "jabatan"], [])
    assert rows[0][1]["full_name"] == "Budi, S.T.; M.T."


def test_bom_cp1252_and_utf16_are_decoded() -> None:
    lines = ("NIP;Nama", "198503152010011002;José Ramos-Horta Ñ")
    for data in (
        csv_bytes(*lines, encoding="utf-8-sig"),
        csv_bytes(*lines, encoding="cp1252"),
        codecs.BOM_UTF16_LE + csv_bytes(*lines, encoding="utf-16-le"),
    ):
        fields, rows, problems = read_table(data, "x.csv")
        assert problems == []
        assert fields == ["nip", "full_name"]
        assert rows[0][1]["full_name"] == "José Ramos-Horta Ñ"


def test_title_rows_above_the_header_are_skipped() -> None:
    data = csv_bytes(
        "DAFTAR PEGAWAI PEMERINTAH KOTA CONTOH;;",
        "Keadaan per 1 Juni 2025;;",
        ";;",
        "No;NIP;Nama Pegawai",
        "1;198503152010011002;Siti",
    )
    fields, rows, problems = read_table(data, "x.csv")
    assert rows == [(5, {"nip": "198503152010011002", "full_name": "Siti"})]
    # "No" (the row number every BKPSDM report has) is skipped without a warning.
    assert problems == []


def test_repeated_columns_use_the_first_and_warn() -> None:
    data = csv_bytes("NIP;Nama;TMT CPNS;TMT PNS", "198503152010011002;Siti;01-01-2010;01-01-2011")
    fields, rows, problems = read_table(data, "x.csv")
    assert rows[0][1]["tmt"] == "01-01-2010"
    assert problems == [warning(1, "Kolom ganda diabaikan (yang pertama dipakai): TMT PNS")]


def test_excel_text_tricks_in_cells_are_unwrapped() -> None:
    # `="…"` (exporters keeping leading zeros) and a leaked `'` (Excel's "text" marker).
    data = csv_bytes("NIP;NIK;Nama;OPD", '="198503152010011002";\'3273014708950003;Siti;Dinkes')
    (row,), problems = parse_import(data, "x.csv", today=TODAY)
    assert problems == []
    assert (row.nip, row.nik) == ("198503152010011002", "3273014708950003")


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "x.csv", "Berkas kosong."),
        (b" \r\n\r\n", "x.csv", "Berkas kosong."),
        (b"NIP;Nama\r\n;\r\n", "x.csv", "Berkas hanya berisi judul kolom, tanpa baris data."),
        (
            b"%PDF-1.7 ...",
            "laporan.pdf",
            "Jenis berkas .pdf tidak didukung; unggah CSV atau XLSX (Excel).",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
            "lama.xls",
            "Format Excel lama (.xls) tidak didukung. Buka di Excel lalu simpan sebagai .xlsx atau CSV.",
        ),
        (
            b"NIP;Nama\n1;a\n",
            "palsu.xlsx",
            "Berkas bernama .xlsx tetapi isinya bukan berkas Excel. Simpan ulang dari Excel sebagai .xlsx atau CSV.",
        ),
        (b"PK\x03\x04garbage", "x.xlsx", "Berkas ZIP/XLSX rusak atau tidak lengkap."),
        (b"a,b\x00,c\n", "x.csv", "Berkas bukan teks CSV (berisi data biner)."),
        (
            b"Nomor;Pegawai;Unit\n1;Siti;Dinkes\n",
            "x.csv",
            "Judul kolom tidak dikenali: perlu kolom NIP (atau NIK) dan Nama pada baris judul. "
            "Baris pertama berisi: Nomor, Pegawai, Unit",
        ),
        (b"NIP;Nama\n" + b"1;" + b"x" * 200_000 + b"\n", "x.csv", None),
    ],
)
def test_unusable_files_give_one_file_level_problem(data, filename, reason) -> None:
    fields, rows, problems = read_table(data, filename)
    assert (fields, rows) == ([], [])
    assert len(problems) == 1 and problems[0].row == 0 and problems[0].level == "error"
    if reason is None:
        assert problems[0].reason.startswith(
            'CSV tidak dapat dibaca; periksa tanda kutip (") yang tidak ditutup'
        )
    else:
        assert problems[0].reason == reason


def test_zip_that_is_not_a_workbook_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    problems = read_table(buffer.getvalue(), "surat.docx")[2]
    assert problems == [
        error(0, "Berkas ini bukan lembar kerja Excel (.xlsx); unggah CSV atau XLSX.")
    ]


def test_corrupt_workbook_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not-a-workbook")
    assert read_table(buffer.getvalue(), "x.xlsx")[2] == [
        error(0, "Berkas Excel rusak atau tidak dapat dibaca.")
    ]


def test_size_limit() -> None:
    problems = read_table(b"NIP;Nama\n" + b"x" * MAX_BYTES, "besar.csv")[2]
    assert problems == [
        error(0, "Berkas terlalu besar (10,0 MB); maksimal 10 MB. Bagi menjadi beberapa berkas.")
    ]


def test_row_limit_counts_data_rows_only() -> None:
    header = b"NIP;Nama\n"
    at_limit = header + b"1;a\n\n" * MAX_DATA_ROWS  # blank lines do not count
    fields, rows, problems = read_table(at_limit, "x.csv")
    assert (len(rows), problems) == (MAX_DATA_ROWS, [])
    assert rows[-1][0] == 2 * MAX_DATA_ROWS  # row numbers still count the blank lines

    problems = read_table(header + b"1;a\n" * (MAX_DATA_ROWS + 1), "x.csv")[2]
    assert problems == [
        error(0, "Berkas berisi lebih dari 50.000 baris data; bagi menjadi beberapa berkas.")
    ]


# ---------------------------------------------------------------------------- XLSX


def xlsx_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_first_sheet_numbers_dates_and_title_rows() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Pegawai"
    sheet.append(["DAFTAR PEGAWAI DISKOMINFO"])
    sheet.append(
        ["NIP", "Nama Pegawai", "Alamat Email", "Unit Kerja", "Gol. Ruang", "Status", "TMT CPNS"]
    )
    sheet.append(
        ["198503152010011002", "Siti Rahmawati", None, "Dinas Komunikasi dan Informatika",
         "III/c", "PNS", datetime(2010, 1, 1)]
    )  # fmt: skip
    sheet.append([])
    # A NIP kept as a number: openpyxl, like Excel, writes it with 16 significant digits
    # ("1.97208171998031e+17"), so its last digits are gone before we ever read the file.
    sheet.append([197208171998031004, "Bambang", "b@kota.go.id", "Dinas Kesehatan", 4, None])
    sheet.append(
        ["198001012005011001", "Agus", None, "Dinas Kesehatan", "3d", "PNS", date(2005, 1, 1)]
    )
    sheet.append([3273014708950003, "Rina", None, "Dinas Kesehatan", None, None, None])
    sheet.cell(row=7, column=1).value = None  # row 7 is a NIK-only row: move it
    sheet.insert_cols(8)
    sheet["H2"] = "NIK"
    sheet["H7"] = 3273014708950003  # 16 digits survive as a number
    other = workbook.create_sheet("Catatan")
    other.append(["bukan data"])
    workbook.active = 1  # the reader takes the first sheet, not the one left open
    data = xlsx_bytes(workbook)

    fields, cells, read_problems = read_table(data, "pegawai.xlsx")
    assert fields == ["nip", "full_name", "email", "opd_name", "golongan", "status", "tmt", "nik"]
    assert read_problems == []
    assert [row for row, _ in cells] == [3, 5, 6, 7]
    assert cells[0][1]["tmt"] == "2010-01-01"
    assert cells[1][1]["nip"] == "1.97208171998031e+17"
    assert cells[3][1]["nik"] == "3273014708950003"

    rows, problems = parse_import(data, "pegawai.xlsx", today=TODAY)
    assert problems == [
        error(
            5,
            "NIP tertulis dalam notasi ilmiah (1.97208171998031e+17); format kolom NIP sebagai teks",
        ),
    ]
    assert [(r.row, r.nip, r.nik, r.golongan, r.status, r.tmt) for r in rows] == [
        (3, "198503152010011002", None, "III/c", S.PNS, date(2010, 1, 1)),
        (6, "198001012005011001", None, "III/d", S.PNS, date(2005, 1, 1)),
        (7, None, "3273014708950003", None, S.NON_ASN, None),
    ]


def test_xlsx_integer_cells_keep_every_digit() -> None:
    """SIMPEG-style exports write whole numbers verbatim (`<v>198503152010011002</v>`)."""
    workbook = Workbook()
    workbook.active.append(["NIP", "Nama", "Kode OPD"])
    workbook.active.append([198503152010011002, "Siti", "DISKOMINFO"])
    workbook.active.append([1.9850315201001e17, "Float", "DISKOMINFO"])
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx_bytes(workbook))) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b">1.98503152010011e+17<", b">198503152010011002<")
            target.writestr(item, content)

    _, cells, problems = read_table(buffer.getvalue(), "simpeg.xlsx")
    assert problems == []
    assert [c["nip"] for _, c in cells] == ["198503152010011002", "1.9850315201001e+17"]


# ---------------------------------------------------------------------------- header aliases


@pytest.mark.parametrize(
    ("header", "fields"),
    [
        (
            "No. NIP;Nama Lengkap;E-mail;Kode OPD;Jabatan;Gol;Status Pegawai;TMT",
            ["nip", "full_name", "email", "opd_code", "jabatan", "golongan", "status", "tmt"],
        ),
        (
            "NIP Baru,NAMA PEGAWAI,Surel,Kode_SKPD,Nama Jabatan,Pangkat/Golongan,Jenis Pegawai,"
            "TMT Pengangkatan",
            ["nip", "full_name", "email", "opd_code", "jabatan", "golongan", "status", "tmt"],
        ),
        (
            "Nomor Induk Pegawai\tName\tAlamat Email\topd_code\tGOL. RUANG\tStatus Kepegawaian"
            "\tTMT PNS",
            ["nip", "full_name", "email", "opd_code", "golongan", "status", "tmt"],
        ),
        ("Nomor Induk Kependudukan;Nama;Perangkat Daerah", ["nik", "full_name", "opd_name"]),
        ("No KTP;nama;Instansi;kode unit", ["nik", "full_name", "opd_name", "opd_code"]),
        ("  nip (18 digit) ;  NAMA  ;SKPD;TMT CPNS", ["nip", "full_name", "opd_name", "tmt"]),
    ],
)
def test_header_variants(header: str, fields: list[str]) -> None:
    separator = max(";,\t", key=header.count)
    found, _, problems = read_table(csv_bytes(header, separator.join("x" * 8)), "x.csv")
    assert (found, problems) == (fields, [])


@pytest.mark.parametrize(
    ("field", "alias"),
    [(field, alias) for field, aliases in HEADER_ALIASES.items() for alias in aliases],
)
def test_every_alias_is_recognised_in_any_case_and_spacing(field: str, alias: str) -> None:
    shouty = alias.upper().replace(" ", "_")
    others = {"nip": "Nama", "nik": "Nama", "full_name": "NIP"}.get(field, "NIP;Nama")
    found, _, problems = read_table(csv_bytes(f"{shouty};{others}", "x;x;x"), "x.csv")
    assert field in found
    assert problems == []


# ---------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("cpns", S.CPNS),
        ("CPNS", S.CPNS),
        ("Pns", S.PNS),
        ("PPPK", S.PPPK),
        ("p3k", S.PPPK),
        ("PPPK Paruh Waktu", S.PPPK),
        ("Honorer", S.NON_ASN),
        ("non asn", S.NON_ASN),
        ("Non-ASN", S.NON_ASN),
        ("NON_ASN", S.NON_ASN),
        ("kontrak", None),
        ("", None),
    ],
)
def test_status_normalisation(raw: str, status: S | None) -> None:
    assert normalize_status(raw) is status


@pytest.mark.parametrize(
    ("raw", "status", "golongan"),
    [
        ("III/a", S.PNS, "III/a"),
        ("iii-a", S.PNS, "III/a"),
        ("3a", S.PNS, "III/a"),
        ("3 / A", S.CPNS, "III/a"),
        ("II.c", S.CPNS, "II/c"),
        ("IV/e", S.PNS, "IV/e"),
        ("Penata Muda Tk. I, III/b", S.PNS, "III/b"),
        ("Pembina Utama Madya (IV/d)", S.PNS, "IV/d"),
        ("III/e", S.PNS, None),  # ruang e only in golongan IV
        ("5a", S.PNS, None),
        ("IX", S.PNS, None),
        ("III", S.PNS, None),
        ("IX", S.PPPK, "IX"),
        ("ix", S.PPPK, "IX"),
        ("9", S.PPPK, "IX"),
        ("Gol. XI", S.PPPK, "XI"),
        ("XVII", S.PPPK, "XVII"),
        ("XVIII", S.PPPK, None),
        ("III/a", S.PPPK, None),
    ],
)
def test_golongan_normalisation(raw: str, status: S, golongan: str | None) -> None:
    assert normalize_golongan(raw, status) == golongan


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-01-31", date(2025, 1, 31)),
        ("2025/1/31", date(2025, 1, 31)),
        ("2024-03-01 00:00:00", date(2024, 3, 1)),
        ("31-01-2025", date(2025, 1, 31)),
        ("31/01/2025", date(2025, 1, 31)),
        ("3/4/2025", date(2025, 4, 3)),  # Indonesian order: 3 April
        ("1 Januari 2025", date(2025, 1, 1)),
        ("17 agustus 2024", date(2024, 8, 17)),
        ("01-Agu-2024", date(2024, 8, 1)),
        ("1 Des. 2023", date(2023, 12, 1)),
        ("1 Pebruari 2020", date(2020, 2, 1)),
        ("31-02-2025", None),
        ("2025-13-01", None),
        ("1 Foo 2025", None),
        ("45658", None),
        ("kemarin", None),
    ],
)
def test_tmt_parsing(raw: str, expected: date | None) -> None:
    assert parse_tmt(raw) == expected


@pytest.mark.parametrize(
    ("nip", "status"),
    [
        ("199805052025032001", S.CPNS),  # appointed this year
        ("199805052024032001", S.CPNS),  # last year
        ("199805052023032001", S.PNS),
    ],
)
def test_empty_status_is_inferred_from_the_nip_tmt_year(nip: str, status: S) -> None:
    (row,), problems = validate(person_row(nip=nip))
    assert problems == []
    assert (row.status, row.status_derived) == (status, True)


# ---------------------------------------------------------------------------- row rules


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        (
            {"nip": "", "nik": ""},
            error(2, "NIP atau NIK wajib diisi (NIK hanya untuk pegawai Non-ASN)"),
        ),
        (
            {"nip": "", "nik": "3273014708950003", "status": "PNS"},
            error(2, "Pegawai berstatus PNS wajib memiliki NIP; isi kolom NIP"),
        ),
        (
            {"nip": "", "nik": "3273014708950003", "status": "cpns"},
            error(2, "Pegawai berstatus CPNS wajib memiliki NIP; isi kolom NIP"),
        ),
        (
            {"status": "Honorer"},
            error(2, "Pegawai ber-NIP tidak dapat berstatus Non-ASN; periksa NIP atau status"),
        ),
        (
            {"nip": "", "nik": "32730147089500"},
            error(2, "NIK tidak valid: NIK harus 16 digit (tertulis 14 digit)"),
        ),
        (
            {"nip": "", "nik": "3,27301E+15"},
            error(
                2, "NIK tertulis dalam notasi ilmiah (3,27301E+15); format kolom NIK sebagai teks"
            ),
        ),
        (
            {"nip": "١٩٨٥٠٣١٥٢٠١٠٠١١٠٠٢"},
            error(2, "NIP tidak valid: NIP hanya boleh berisi angka 0–9"),
        ),
        (
            {"nip": "", "nik": "３２７３０１４７０８９５０００３"},
            error(2, "NIK tidak valid: NIK hanya boleh berisi angka 0–9"),
        ),
        (
            {"nip": "198503152010011000"},
            error(
                2,
                "NIP tidak valid: nomor urut NIP (digit 16–18) tidak boleh 000 — kemungkinan "
                "digit terakhir hilang karena kolom NIP berformat angka",
            ),
        ),
        ({"full_name": "x" * 201}, error(2, "Nama terlalu panjang (201 karakter; maksimal 200)")),
        (
            {"full_name": "198503152010011002"},
            error(2, "Nama '198503152010011002' tidak berisi huruf; periksa urutan kolom"),
        ),
        ({"full_name": " - "}, error(2, "Nama wajib diisi")),
        (
            {"email": "a" * 250 + "@x.id"},
            error(2, "Email terlalu panjang (255 karakter; maksimal 254)"),
        ),
        ({"email": "budi@@kota.go.id"}, error(2, "Email 'budi@@kota.go.id' tidak valid")),
        ({"email": "budi@kota..go.id"}, error(2, "Email 'budi@kota..go.id' tidak valid")),
        (
            {"status": "Kontrak"},
            error(2, "Status 'Kontrak' tidak dikenal; gunakan CPNS, PNS, PPPK, atau Non-ASN"),
        ),
        ({"opd_code": ""}, error(2, "Kode OPD atau nama OPD wajib diisi")),
        ({"jabatan": "j" * 201}, error(2, "Jabatan terlalu panjang (201 karakter; maksimal 200)")),
        (
            {"tmt": "kemarin"},
            error(
                2,
                "TMT 'kemarin' bukan tanggal yang valid; tulis seperti 01-03-2025, 2025-03-01, atau 1 Maret 2025",
            ),
        ),
        ({"tmt": "01-01-2030"}, error(2, "TMT '01-01-2030' tidak masuk akal (tahun 2030)")),
        (
            {"golongan": "IX"},
            error(
                2,
                "Golongan 'IX' tidak dikenali; tulis seperti III/a (ruang a–d, IV sampai e); jika pegawai PPPK, isi kolom Status dengan PPPK",
            ),
        ),
        (
            {"golongan": "III/a", "status": "PPPK"},
            error(2, "Golongan PPPK 'III/a' tidak dikenali; gunakan I sampai XVII (mis. IX)"),
        ),
    ],
)
def test_row_errors_say_what_is_wrong(cells: dict[str, str], problem: RowProblem) -> None:
    rows, problems = validate(person_row(**cells))
    assert rows == []
    assert problems == [problem]


def test_a_row_reports_all_its_problems_at_once() -> None:
    rows, problems = validate(
        {"nip": "123", "full_name": "", "email": "x@", "status": "?", "opd_name": "Dinkes"}
    )
    assert rows == []
    assert problems == [  # in column order, all at once
        error(2, "NIP tidak valid: NIP harus 18 digit (tertulis 3 digit)"),
        error(2, "Nama wajib diisi"),
        error(2, "Email 'x@' tidak valid"),
        error(2, "Status '?' tidak dikenal; gunakan CPNS, PNS, PPPK, atau Non-ASN"),
    ]


@pytest.mark.parametrize(
    ("cells", "problem", "check"),
    [
        (
            {"nip": "", "nik": "3273014708950003", "status": "P3K"},
            warning(2, "PPPK tanpa NIP dicatat sebagai Non-ASN sampai NIP terbit"),
            lambda r: r.status is S.NON_ASN and r.nik == "3273014708950003",
        ),
        (
            {"nik": "1234"},
            warning(2, "NIK tidak valid: NIK harus 16 digit (tertulis 4 digit); NIK diabaikan"),
            lambda r: r.nik is None and r.nip == "198503152010011002",
        ),
        (
            {"nip": "", "nik": "3273014708950003", "golongan": "II/a"},
            warning(2, "Golongan 'II/a' diabaikan: pegawai Non-ASN tidak bergolongan"),
            lambda r: r.golongan is None and r.status is S.NON_ASN and r.status_derived,
        ),
    ],
)
def test_row_warnings_keep_the_row(cells, problem, check) -> None:
    (row,), problems = validate(person_row(**cells))
    assert problems == [problem]
    assert check(row)


def test_text_is_cleaned() -> None:
    (row,), problems = validate(
        person_row(
            nip="  19850315 201001 1 002 ",
            full_name="Siti\u200b\tRahma\x00wati \n ",
            email="  Siti@Kota.GO.ID ",
            jabatan="\ufeffAnalis   Data",
            opd_code="—",
            opd_name=" Dinas  Kesehatan ",
        )
    )
    assert problems == []
    assert (row.nip, row.full_name, row.email, row.jabatan, row.opd_code, row.opd_name) == (
        "198503152010011002",
        "Siti Rahmawati",
        "siti@kota.go.id",
        "Analis Data",
        None,
        "Dinas Kesehatan",
    )


def test_later_duplicates_name_the_first_row() -> None:
    rows, problems = validate(
        person_row(email="siti@kota.go.id"),
        person_row(nip="19850315.201001.1.002", email="lain@kota.go.id"),
        person_row(nip="197208171998031004", email="SITI@kota.go.id"),
        person_row(nip="", nik="3273014708950003", full_name="Rina"),
        person_row(nip="198001012005011001", nik="3273 0147 0895 0003", full_name="Agus"),
        person_row(nip="198503152010011002"),
    )
    assert [r.row for r in rows] == [2, 5]
    assert problems == [
        error(3, "NIP sama dengan baris 2"),
        error(4, "Email sama dengan baris 2"),
        error(6, "NIK sama dengan baris 5"),
        error(7, "NIP sama dengan baris 2"),
    ]


# ---------------------------------------------------------------------------- planning


def import_row(row: int = 2, **fields) -> ImportRow:
    base = dict(
        row=row,
        nip="198503152010011002",
        nik=None,
        full_name="Siti Rahmawati",
        email="siti@kota.go.id",
        opd_code="DISKOMINFO",
        opd_name=None,
        jabatan="Analis Data",
        golongan="III/c",
        status=S.PNS,
        tmt=None,
    )
    return ImportRow(**{**base, **fields})


def existing_person(user_id: int = 10, **fields) -> ExistingPerson:
    base = dict(
        user_id=user_id,
        key="198503152010011002",
        full_name="Siti Rahmawati",
        email="siti@kota.go.id",
        opd_id=1,
        jabatan="Analis Data",
        golongan="III/c",
        status="PNS",
    )
    return ExistingPerson(**{**base, **fields})


def keyed(*people: ExistingPerson) -> dict[str, ExistingPerson]:
    return {p.key: p for p in people}


def emails_of(*people: ExistingPerson) -> dict[str, str]:
    return {p.email: p.key for p in people if p.email}


def test_plan_create_update_unchanged() -> None:
    same = existing_person()
    moved = existing_person(11, key="197208171998031004", email="b@kota.go.id", opd_id=2)
    rows = [
        import_row(2),
        import_row(3, nip="197208171998031004", email="b@kota.go.id", jabatan="Kepala Bidang"),
        import_row(4, nip="198001012005011001", email="agus@kota.go.id", opd_code="dinkes"),
    ]
    result = plan(rows, keyed(same, moved), emails_of(same, moved))

    assert result.unchanged == [rows[0]]
    assert result.update == [
        (moved, rows[1], {"opd_id": (2, 1), "jabatan": ("Analis Data", "Kepala Bidang")})
    ]
    assert result.create == [PlannedCreate(rows[2], 3)]
    assert (result.rejected, result.warnings) == ([], [])
    assert result.counts() == {
        "create": 1,
        "update": 1,
        "unchanged": 1,
        "rejected": 0,
        "warnings": 0,
    }


def test_empty_cells_never_clear_stored_values() -> None:
    stored = existing_person(email="pilihan.sendiri@gmail.com")
    row = import_row(email=None, jabatan=None, golongan=None)
    assert plan([row], keyed(stored), emails_of(stored)).unchanged == [row]


def test_inferred_status_does_not_override_a_stored_one() -> None:
    stored = existing_person(status="PPPK")
    inferred = import_row(status=S.PNS, status_derived=True)
    assert plan([inferred], keyed(stored)).unchanged == [inferred]
    explicit = import_row(status=S.PNS)
    assert plan([explicit], keyed(stored)).update[0].diff == {"status": ("PPPK", S.PNS)}


def test_honorer_registered_by_nik_who_now_has_a_nip_is_updated_not_duplicated() -> None:
    honorer = existing_person(key="3273014708950003", status="NON_ASN", golongan=None)
    row = import_row(nik="3273014708950003", status=S.CPNS, status_derived=True, golongan="III/a")
    result = plan([row], keyed(honorer), emails_of(honorer))
    assert result.create == []
    assert result.update == [
        (
            honorer,
            row,
            {
                "nip": (None, "198503152010011002"),
                "golongan": (None, "III/a"),
                "status": ("NON_ASN", S.CPNS),
            },
        )
    ]


def test_opd_matching_by_code_or_name() -> None:
    rows = [
        import_row(2, nip="198503152010011002", email=None, opd_code=" Bappeda "),
        import_row(
            3, nip="197208171998031004", email=None, opd_code=None,
            opd_name="dinas   KESEHATAN",
        ),
        import_row(4, nip="198001012005011001", email=None, opd_code="XYZ", opd_name="Dinas Kesehatan"),
        import_row(5, nip="198707072010012002", email=None, opd_code="DINKES", opd_name="Bappeda Kota"),
        import_row(6, nip="199101012019031005", email=None, opd_code="DISHUB", opd_name="Dinas Perhubungan"),
    ]  # fmt: skip
    result = plan(rows)
    assert [(c.row.row, c.opd_id) for c in result.create] == [(2, 2), (3, 3), (4, 3), (5, 3)]
    assert result.rejected == [error(6, "OPD 'DISHUB / Dinas Perhubungan' tidak dikenal")]

    conflicting = import_row(opd_code="DINKES", opd_name="Badan Perencanaan Pembangunan Daerah")
    result = plan([conflicting])
    assert result.create == [PlannedCreate(conflicting, 3)]
    assert result.warnings == [
        warning(
            2,
            "Kode OPD 'DINKES' dan nama OPD 'Badan Perencanaan Pembangunan Daerah' menunjuk "
            "OPD yang berbeda; kode OPD yang dipakai",
        )
    ]


def test_opd_admin_may_only_import_into_their_own_opd() -> None:
    elsewhere = existing_person(11, key="197208171998031004", email=None, opd_id=2)
    rows = [
        import_row(2, email=None),  # new, own OPD (1)
        import_row(3, nip="198001012005011001", email=None, opd_code="BAPPEDA"),
        # Someone registered in BAPPEDA, listed under the admin's OPD: a move they may not make.
        import_row(4, nip="197208171998031004", email=None),
    ]
    result = plan(rows, keyed(elsewhere), allowed={1})
    assert result.create == [PlannedCreate(rows[0], 1)]
    assert result.rejected == [
        error(3, "Anda hanya dapat mengimpor pegawai OPD Anda"),
        error(4, "Pegawai ini terdaftar di luar OPD Anda; minta admin kota untuk memindahkannya"),
    ]
    # A city-wide admin (no restriction) may move them.
    assert plan(rows, keyed(elsewhere)).update[0].diff == {"opd_id": (2, 1)}


def test_email_of_another_person_is_rejected() -> None:
    other = existing_person(11, key="197208171998031004", email="siti@kota.go.id")
    mine = existing_person(email="lama@kota.go.id")
    result = plan(
        [import_row(email="siti@kota.go.id")],
        keyed(other, mine),
        {"SITI@kota.go.id": other.key, "lama@kota.go.id": mine.key},
    )
    assert result.rejected == [error(2, "Email siti@kota.go.id sudah dipakai pegawai lain")]
    assert result.counts()["rejected"] == 1
    # Keeping one's own e-mail is not a conflict.
    assert plan([import_row()], keyed(mine), {"siti@kota.go.id": mine.key}).update[0].diff == {
        "email": ("lama@kota.go.id", "siti@kota.go.id")
    }


def test_plan_carries_reading_problems_and_counts_rows_not_problems() -> None:
    problems = [
        error(0, "Berkas kosong."),
        error(4, "Nama wajib diisi"),
        error(4, "Email 'x' tidak valid"),
        warning(1, "Kolom ..."),
    ]
    result = plan([], problems=problems)
    assert result.rejected == problems[:3]
    assert result.counts()["rejected"] == 2
    assert result.warnings == [problems[3]]


# ---------------------------------------------------------------------------- idempotence


def apply(result: ImportPlan, existing: dict[str, ExistingPerson], emails: dict[str, str]) -> None:
    """What the service does to the database, done to the planner's dictionaries."""
    next_id = max((p.user_id for p in existing.values()), default=0) + 1
    for row, opd_id in result.create:
        existing[row.key] = ExistingPerson(
            next_id,
            row.key,
            row.full_name,
            row.email,
            opd_id,
            row.jabatan,
            row.golongan,
            row.status,
        )
        next_id += 1
        if row.email:
            emails[row.email] = row.key
    for person, _, diff in result.update:
        changes = {name: new for name, (_, new) in diff.items()}
        key = str(changes.pop("nip", person.key))
        updated = dataclasses.replace(person, key=key, **changes)
        del existing[person.key]
        existing[key] = updated
        for email, owner in list(emails.items()):
            if owner == person.key:
                del emails[email]
        if updated.email:
            emails[updated.email] = key


def load_generator():
    spec = importlib.util.spec_from_file_location(
        "gen_import", Path(__file__).parents[1] / "bench" / "gen_import.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_applying_a_plan_and_replanning_gives_only_unchanged_rows(tmp_path: Path) -> None:
    generated = tmp_path / "asn.csv"
    assert (
        load_generator().main(
            ["--rows", "300", "--out", str(generated), "--opds", "DISKOMINFO,bappeda,DINKES"]
        )
        == 0
    )
    files = [
        (FIXTURES / "messy.csv").read_bytes(),
        (FIXTURES / "clean.csv").read_bytes(),
        generated.read_bytes(),
    ]
    honorer = existing_person(
        99,
        key="3273014708950003",
        email="rina.lama@gmail.com",
        opd_id=2,
        status="NON_ASN",
        golongan=None,
    )
    stale = existing_person(
        98,
        key="198001012005011001",
        full_name="AGUS SETIAWAN",
        email=None,
        opd_id=3,
        jabatan=None,
        golongan="III/a",
    )
    existing, emails = keyed(honorer, stale), emails_of(honorer, stale)

    for data in files:
        rows, problems = parse_import(data, "x.csv", today=TODAY)
        first = plan(rows, existing, emails, problems=problems)
        assert first.create or first.update
        apply(first, existing, emails)

        again = plan(rows, existing, emails, problems=problems)
        assert (again.create, again.update) == ([], [])
        assert len(again.unchanged) == len(first.create) + len(first.update) + len(first.unchanged)
        assert again.rejected == first.rejected

    assert existing["3273014708950003"].opd_id == 1  # the honorer from messy.csv moved OPD
    assert existing["198001012005011001"].full_name == "Agus Setiawan"
    # Two people at the start; messy.csv adds 3 (its honorer exists), clean.csv 2 (Agus exists).
    assert len(existing) == 2 + 3 + 2 + 300


def test_generator_writes_unique_valid_rows(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    generator = load_generator()
    generator.main(["--rows", "500", "--out", str(out), "--opds", "A,B", "--seed", "7"])
    rows, problems = parse_import(out.read_bytes(), out.name, today=TODAY)
    assert problems == []
    assert len(rows) == 500 and len({r.nip for r in rows}) == 500
    assert {r.opd_code for r in rows} == {"A", "B"}
    first = out.read_bytes()
    generator.main(["--rows", "500", "--out", str(out), "--opds", "A,B", "--seed", "7"])
    assert out.read_bytes() == first  # same seed, same file


# ---------------------------------------------------------------------------- activation codes

CODE_FORMAT = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def test_activation_code_format_and_hash() -> None:
    code, digest = new_activation_code()
    assert CODE_FORMAT.fullmatch(code)
    assert digest == hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    assert activation_code_hash(code) == digest


def test_typed_codes_match_after_normalisation() -> None:
    digest = activation_code_hash("7KQ2-M9XD-40T1")
    for typed in ("7kq2m9xd40t1", " 7KQ2 M9XD 40T1 ", "7kq2-m9xd-4ot1", "7KQ2--M9XD-4OTl"):
        assert activation_code_hash(typed) == digest
    assert normalize_activation_code("7kq2 m9xd-4oti") == "7KQ2M9XD40T1"
    assert activation_code_hash("7KQ2-M9XD-40T2") != digest


def test_activation_codes_have_sixty_random_bits() -> None:
    codes = [new_activation_code()[0].replace("-", "") for _ in range(3000)]
    assert len(set(codes)) == len(codes)
    assert {len(code) for code in codes} == {12}  # 12 symbols x log2(32) = 60 bits
    # Every position draws from all 32 symbols: no fixed or narrowed positions.
    for position in range(12):
        assert len({code[position] for code in codes}) == 32


# ---------------------------------------------------------------------------- fuzz

HEADER = "NIP;Nama;Email;Kode OPD;Gol;Status;TMT;NIK\r\n"
CSVISH = st.text(alphabet=';,\t"\r\n 0123456789-/.+eEIVXabcPNSK@é\u200b', max_size=400)


def assert_sane(rows: list[ImportRow], problems: list[RowProblem]) -> None:
    for problem in problems:
        assert problem.row >= 0 and problem.reason and problem.level in ("error", "warning")
    for row in rows:
        assert row.full_name and row.status in S
        assert (row.nip and nip_problem(row.nip) is None) or (
            row.nik and nik_problem(row.nik) is None
        )
    plan(rows, problems=problems).counts()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["a.csv", "a.xlsx", "a.txt", "a", "a.pdf"]))
def test_random_bytes_never_raise(data: bytes, filename: str) -> None:
    assert_sane(*parse_import(data, filename, today=TODAY))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=500))
def test_random_zip_like_bytes_never_raise(tail: bytes) -> None:
    assert_sane(*parse_import(b"PK\x03\x04" + tail, "x.xlsx", today=TODAY))


@settings(max_examples=300, deadline=None)
@given(CSVISH)
def test_random_csv_text_never_raises(body: str) -> None:
    assert_sane(*parse_import((HEADER + body).encode(), "x.csv", today=TODAY))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(list(HEADER_ALIASES)),
            st.one_of(
                st.text(max_size=30),
                st.sampled_from(
                    ["198503152010011002", "3273014708950003", "III/a", "p3k", "1 Mei 2020", "-"]
                ),
            ),
        ),
        max_size=8,
    )
)
def test_random_cells_never_raise(cell_rows: list[dict[str, str]]) -> None:
    rows, problems = validate(*cell_rows)
    assert_sane(rows, problems)
    assert {r.row for r in rows}.isdisjoint(p.row for p in problems if p.level == "error")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.none(),
                st.integers(),
                st.floats(),
                st.text(max_size=20).map(lambda s: re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", s)),
                st.dates(),
            ),
            max_size=6,
        ),
        max_size=6,
    )
)
def test_random_xlsx_cells_never_raise(cells: list[list[object]]) -> None:
    workbook = Workbook()
    workbook.active.append(["NIP", "Nama", "OPD", "TMT", "Gol", "NIK"])
    for row in cells:
        workbook.active.append(row)
    assert_sane(*parse_import(xlsx_bytes(workbook), "x.xlsx", today=TODAY))
