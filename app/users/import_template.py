"""The ASN import template a city fills in (XLSX and CSV), from the header table itself.

Every title is one the importer accepts (tests/test_admin_import.py reads a filled-in
template back), and a second sheet explains the columns in Indonesian.
"""

from __future__ import annotations

from openpyxl.styles import Font

from app.spreadsheets import Sheet, Style, Styled, csv_bytes, xlsx_book

# (title, field it fills, what to write) — titles must be accepted by the importer.
COLUMNS = [
    ("NIP", "nip", "18 digit, tanpa spasi; kosongkan untuk non-ASN (isi NIK)."),
    ("Nama", "full_name", "Nama lengkap dengan gelar, seperti di SK."),
    ("Email", "email", "Opsional; untuk pemulihan kata sandi dan pemberitahuan."),
    ("Kode OPD", "opd_code", "Kode OPD di Cakap (mis. DISKOMINFO); atau isi Nama OPD."),
    ("Nama OPD", "opd_name", "Nama OPD; boleh dikosongkan bila Kode OPD diisi."),
    ("Jabatan", "jabatan", "Opsional."),
    ("Golongan", "golongan", "Opsional, mis. III/a."),
    ("Status", "status", "CPNS, PNS, PPPK, atau NON_ASN; kosong = dibaca dari NIP."),
    ("TMT", "tmt", "Tanggal pengangkatan (TMT CPNS/PPPK), mis. 2025-01-01."),
    ("NIK", "nik", "16 digit; wajib untuk non-ASN yang tidak punya NIP."),
]


def template_xlsx() -> bytes:
    bold = Style(font=Font(bold=True))
    return xlsx_book(
        [
            Sheet(
                title="Pegawai",
                rows=[[Styled(title, bold) for title, _f, _d in COLUMNS]],
                widths=[20, 32, 28, 16, 36, 30, 10, 10, 12, 18],
                freeze="A2",
            ),
            Sheet(
                title="Petunjuk",
                rows=[
                    [Styled("Kolom", bold), Styled("Isi", bold)],
                    *([title, hint] for title, _f, hint in COLUMNS),
                    [],
                    ["Satu baris untuk satu pegawai, mulai baris 2 lembar Pegawai."],
                    ["Baris judul, baris nomor kolom, dan tanda tangan di bawah boleh ada."],
                ],
                widths=[14, 80],
            ),
        ]
    )


def template_csv() -> bytes:
    """Header only, `;`-separated with a BOM: what Excel set to Indonesian opens right."""
    return csv_bytes([[title for title, _f, _d in COLUMNS]], delimiter=";")
