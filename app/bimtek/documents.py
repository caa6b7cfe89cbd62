"""Printable bimtek lists: "Daftar hadir" per day (PDF and XLSX) and participants per OPD
(XLSX) — no database; the routes pass the rows the reader may see."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from app.documents import FONT, add_fonts

_INK = (33, 37, 41)
_MUTED = (90, 98, 108)
_HEAD_FILL = (230, 238, 248)

ATTENDANCE_COLUMNS = ["No", "Nama", "NIP/NIK", "OPD", "Waktu hadir", "Tanda tangan"]
_PDF_WIDTHS = (10, 50, 42, 43, 20, 25)  # mm, 190 in all (A4 portrait, 10 mm margins)
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
    time: str  # "08.12 WIB", or "" when absent (signed on paper)


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


def _sheet_header(ws, header: Header, width: int) -> int:
    """Write the header block; return the row where the table starts."""
    last = get_column_letter(width)
    lines = [
        (header.city.upper(), Font(bold=True, size=13)),
        (header.office, Font(size=11)),
        (header.heading, Font(bold=True, size=13)),
        (header.session_title, Font(bold=True, size=11)),
    ]
    row = 1
    for text, font in lines:
        ws.cell(row=row, column=1, value=text).font = font
        ws.cell(row=row, column=1).alignment = Alignment(horizontal="center")
        ws.merge_cells(f"A{row}:{last}{row}")
        row += 1
    for label, value in header.facts:
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        ws.merge_cells(f"A{row}:B{row}")
        ws.cell(row=row, column=3, value=value)
        ws.merge_cells(f"C{row}:{last}{row}")
        row += 1
    return row + 1


def _table(ws, start: int, columns: list[str], widths: tuple[int, ...], rows: list[list[str]]):
    fill = PatternFill("solid", fgColor="E6EEF8")
    for col, (title, width) in enumerate(zip(columns, widths, strict=True), start=1):
        cell = ws.cell(row=start, column=col, value=title)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = _BOX
        ws.column_dimensions[get_column_letter(col)].width = width
    for r, values in enumerate(rows, start=start + 1):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col, value=value)
            cell.border = _BOX
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            # Identifiers are text: an 18-digit NIP must not become 1.99E+17.
            if columns[col - 1] == "NIP/NIK":
                cell.number_format = "@"
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    ws.print_title_rows = f"{start}:{start}"


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def attendance_xlsx(header: Header, rows: list[AttendanceLine], *, summary: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Daftar hadir"
    start = _sheet_header(ws, header, len(ATTENDANCE_COLUMNS))
    values = [
        [number, r.name, r.identifier, r.opd, r.time, ""] for number, r in enumerate(rows, start=1)
    ]
    _table(ws, start, ATTENDANCE_COLUMNS, _XLSX_WIDTHS, values)
    ws.cell(row=start + len(rows) + 2, column=1, value=summary)
    return _save(wb)


PARTICIPANT_COLUMNS = ["No", "Nama", "NIP/NIK", "Jabatan", "Status", "Kehadiran"]
_PARTICIPANT_WIDTHS = (6, 34, 22, 34, 16, 16)
_SHEET_FORBIDDEN = str.maketrans({c: "-" for c in "[]:*?/\\"})


def participants_xlsx(
    header: Header, groups: list[tuple[str, str, list[ParticipantLine]]]
) -> bytes:
    """One sheet per OPD: groups are (sheet name, OPD name, rows)."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for sheet_name, opd_name, rows in groups or [("Peserta", "—", [])]:
        title = sheet_name.translate(_SHEET_FORBIDDEN)[:31] or "OPD"
        while title in used:
            title = title[:28] + f"-{len(used)}"
        used.add(title)
        ws = wb.create_sheet(title)
        sheet_header = Header(
            header.city,
            header.office,
            header.heading,
            header.session_title,
            [*header.facts, ("OPD", opd_name)],
        )
        start = _sheet_header(ws, sheet_header, len(PARTICIPANT_COLUMNS))
        values = [
            [n, r.name, r.identifier, r.jabatan, r.status, r.attendance]
            for n, r in enumerate(rows, start=1)
        ]
        _table(ws, start, PARTICIPANT_COLUMNS, _PARTICIPANT_WIDTHS, values)
    return _save(wb)
