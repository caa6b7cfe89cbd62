"""The activation list an OPD admin prints and hands out (codes are shown only here)."""

from __future__ import annotations

from app import citytime
from app.config import Settings
from app.opds.models import Opd
from app.printing import FONT, pdf_heading, pdf_table, unicode_pdf, xlsx
from app.users.activation import IssuedCode

COLUMNS = ["No", "Nama", "NIP/NIK", "Kode aktivasi", "Berlaku sampai"]


def _rows(issued: list[IssuedCode]):
    for number, item in enumerate(issued, start=1):
        yield [
            number,
            item.user.full_name,
            item.user.nip or item.user.nik or item.user.email or "",
            item.code,
            citytime.local(item.expires_at).strftime("%d-%m-%Y"),
        ]


def activation_xlsx(settings: Settings, opd: Opd, issued: list[IssuedCode]) -> bytes:
    return xlsx(
        title="Aktivasi",
        header_lines=[
            f"Pemerintah {settings.city_name}",
            settings.office_name,
            f"Daftar kode aktivasi akun Cakap — {opd.name}",
            f"Buka {settings.base_url}/aktivasi, masukkan NIP/NIK dan kode, lalu buat kata sandi.",
        ],
        columns=COLUMNS,
        rows=_rows(issued),
    )


def activation_pdf(settings: Settings, opd: Opd, issued: list[IssuedCode]) -> bytes:
    pdf = unicode_pdf(title=f"Kode aktivasi {opd.name}")
    pdf_heading(
        pdf,
        [f"Pemerintah {settings.city_name}", settings.office_name],
        "DAFTAR KODE AKTIVASI AKUN CAKAP",
    )
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(
        0,
        5,
        f"OPD: {opd.name}. Buka {settings.base_url}/aktivasi, masukkan NIP/NIK dan kode di "
        "bawah, lalu buat kata sandi sendiri. Setiap kode hanya dapat dipakai sekali. "
        "Jaga kerahasiaan kode.",
    )
    pdf.ln(3)
    pdf_table(pdf, COLUMNS, [10, 62, 45, 40, 28], _rows(issued))
    return bytes(pdf.output())
