"""Printable bimtek lists: "Daftar hadir" per day (PDF and XLSX) and participants per OPD
(XLSX) — no database; the routes pass the rows the reader may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from app.printing import FONT, add_fonts
from app.spreadsheets import Sheet, Style, Styled, xlsx_book

_INK = (33, 37, 41)
_MUTED = (90, 98, 108)
_HEAD_FILL = (230, 238, 248)

ATTENDANCE_COLUMNS = ["No", "Nama", "NIP/NIK", "OPD", "Waktu hadir", "Tanda tangan"]
# mm, 190 in all (A4 portrait, 10 mm margins); the time column fits "23.59 WITA" on one line.
_PDF_WIDTHS = (10, 50, 42, 41, 22, 25)
_XLSX_WIDTHS = (6, 34, 22, 38, 14, 24)


@dataclass
class Header:
    """The block above every list: issuing office, what the list is, and of which session."""

    city: str
    office: str
    heading: str  # "DAFTAR HADIR", "DAFTAR PESERTA"
    session_title: str
    facts: list[tuple[str, str]] = field(default_factory=list)  # ("Tanggal", "Senin, …")


@dataclass
class AttendanceLine:
    name: str
    identifier: str  # NIP, or NIK for non-ASN
    opd: str
    time: str  # "08.12 WIB" (the city's zone), or "" when absent (signed on paper)


@dataclass
class ParticipantLine:
    name: str
    identifier: str
    jabatan: str
    status: str
    attendance: str  # "2 dari 3 hari"


class _AttendancePdf(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, f"Halaman {self.page_no()} dari {{nb}}", align="C")


def attendance_pdf(
    header: Header,
    rows: list[AttendanceLine],
    *,
    summary: str,
    creation_date: datetime | None = None,
) -> bytes:
    """Daftar hadir on A4 portrait; the table header repeats on every page and the
    signature column stays empty for a wet signature."""
    pdf = _AttendancePdf(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(left=10, top=12, right=10)
    pdf.set_auto_page_break(auto=True, margin=16)
    add_fonts(pdf)
    if creation_date is not None:
        pdf.set_creation_date(creation_date)
    pdf.set_lang("id")
    pdf.set_title(f"{header.heading.title()} — {header.session_title}")
    pdf.set_author(f"{header.office}, {header.city}")
    pdf.set_creator("Cakap")
    pdf.add_page()
    _pdf_header(pdf, header)
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*_INK)
    pdf.set_draw_color(120, 120, 120)
    with pdf.table(
        col_widths=_PDF_WIDTHS,
        line_height=5,
        padding=1.5,
        headings_style=_heading_style(),
        repeat_headings=1,
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "CENTER", "LEFT"),
        first_row_as_headings=True,
    ) as table:
        table.row(ATTENDANCE_COLUMNS)
        for number, line in enumerate(rows, start=1):
            # Extra blank line: room for a signature on paper.
            table.row([str(number), line.name, line.identifier, line.opd, line.time, "\n"])
    pdf.ln(4)
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, summary, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _heading_style() -> FontFace:
    return FontFace(family=FONT, emphasis="BOLD", fill_color=_HEAD_FILL)


def _pdf_header(pdf: FPDF, header: Header) -> None:
    pdf.set_text_color(*_INK)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 6, header.city.upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 11)
    pdf.cell(0, 6, header.office, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_line_width(0.4)
    pdf.line(10, pdf.get_y() + 1.5, 200, pdf.get_y() + 1.5)
    pdf.ln(5)
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 7, header.heading, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 6, header.session_title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FONT, "", 10)
    for label, value in header.facts:
        pdf.cell(32, 5.5, label)
        pdf.multi_cell(0, 5.5, f": {value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTRED = Alignment(horizontal="center")
_HEAD = Style(font=Font(bold=True), fill=PatternFill("solid", fgColor="E6EEF8"), border=_BOX)
_BODY = Style(border=_BOX, alignment=Alignment(vertical="top", wrap_text=True))
# Identifiers are text: an 18-digit NIP must not become 1.99E+17.
_IDENTIFIER = Style(
    border=_BOX, alignment=Alignment(vertical="top", wrap_text=True), number_format="@"
)


def _sheet_header(header: Header, width: int) -> tuple[list[list[Any]], list[str]]:
    """The header block's rows (ending with a blank row) and its merged ranges."""
    last = get_column_letter(width)
    lines = [
        (header.city.upper(), Font(bold=True, size=13)),
        (header.office, Font(size=11)),
        (header.heading, Font(bold=True, size=13)),
        (header.session_title, Font(bold=True, size=11)),
    ]
    rows: list[list[Any]] = []
    merged: list[str] = []
    for text, font in lines:
        rows.append([Styled(text, Style(font=font, alignment=_CENTRED))])
        merged.append(f"A{len(rows)}:{last}{len(rows)}")
    for label, value in header.facts:
        rows.append([Styled(label, Style(font=Font(bold=True))), None, value])
        merged += [f"A{len(rows)}:B{len(rows)}", f"C{len(rows)}:{last}{len(rows)}"]
    rows.append([])
    return rows, merged


def _sheet(
    title: str,
    header: Header,
    columns: list[str],
    widths: tuple[int, ...],
    values: list[list[Any]],
    footer: str | None = None,
) -> Sheet:
    """Header block, then the ruled table (heading frozen and repeated when printed).
    Cells are written by app/spreadsheets.py: a name like "=HYPERLINK(…)" stays text."""
    rows, merged = _sheet_header(header, len(columns))
    start = len(rows) + 1  # the table's heading row
    rows.append([Styled(title, _HEAD) for title in columns])
    for line in values:
        rows.append(
            [
                Styled(value, _IDENTIFIER if column == "NIP/NIK" else _BODY)
                for column, value in zip(columns, line, strict=True)
            ]
        )
    if footer is not None:
        rows += [[], [footer]]
    return Sheet(
        title=title,
        rows=rows,
        widths=widths,
        merged=merged,
        freeze=f"A{start + 1}",
        print_title_rows=f"{start}:{start}",
    )


def attendance_xlsx(header: Header, rows: list[AttendanceLine], *, summary: str) -> bytes:
    values = [
        [number, r.name, r.identifier, r.opd, r.time, ""] for number, r in enumerate(rows, start=1)
    ]
    return xlsx_book(
        [_sheet("Daftar hadir", header, ATTENDANCE_COLUMNS, _XLSX_WIDTHS, values, footer=summary)]
    )


PARTICIPANT_COLUMNS = ["No", "Nama", "NIP/NIK", "Jabatan", "Status", "Kehadiran"]
_PARTICIPANT_WIDTHS = (6, 34, 22, 34, 16, 16)
_SHEET_FORBIDDEN = str.maketrans({c: "-" for c in "[]:*?/\\"})


def participants_xlsx(
    header: Header, groups: list[tuple[str, str, list[ParticipantLine]]]
) -> bytes:
    """One sheet per OPD: groups are (sheet name, OPD name, rows)."""
    sheets = []
    used: set[str] = set()
    for sheet_name, opd_name, rows in groups or [("Peserta", "—", [])]:
        title = sheet_name.translate(_SHEET_FORBIDDEN)[:31] or "OPD"
        while title in used:
            title = title[:28] + f"-{len(used)}"
        used.add(title)
        sheet_header = Header(
            header.city,
            header.office,
            header.heading,
            header.session_title,
            [*header.facts, ("OPD", opd_name)],
        )
        values = [
            [n, r.name, r.identifier, r.jabatan, r.status, r.attendance]
            for n, r in enumerate(rows, start=1)
        ]
        sheets.append(_sheet(title, sheet_header, PARTICIPANT_COLUMNS, _PARTICIPANT_WIDTHS, values))
    return xlsx_book(sheets)
