"""The OPD summary as a PDF for people: "Laporan Capaian Pelatihan ASN per OPD".

A4 landscape: the header block, the summary table (app/reports/exports.py's `opd_table`,
so the same columns as the CSV and XLSX) with the total, a bar chart of completion per
OPD drawn with rectangles, and the signer block (app/city).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from babel.numbers import format_decimal
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

from app import citytime
from app.city import logo as city_logo
from app.city.service import UNSET_NAME, Logo, Signer
from app.config import Settings
from app.printing import FONT, add_fonts, fit_text
from app.reports.exports import (
    INT,
    PERCENT,
    SCORE,
    TEXT,
    ReportTable,
    generated_label,
    long_date,
    opd_table,
)
from app.reports.opd_summary import OpdSummary

_LOCALE = "id"


_INK = (33, 37, 41)
_ACCENT = (11, 92, 171)
_MUTED = (90, 98, 108)
_TRACK = (230, 233, 239)


class _ReportPdf(FPDF):
    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, f"Cakap · halaman {self.page_no()} dari {{nb}}", align=Align.R)


_LOGO_BOX = 16.0  # mm: the height of the two heading lines and the rule under them


def summary_pdf(
    summary: OpdSummary,
    *,
    settings: Settings,
    signer: Signer,
    filters: list[tuple[str, str]],
    generated_at: datetime,
    creation_date: datetime | None = None,
    logo: Logo | None = None,
) -> bytes:
    """ "Laporan Capaian Pelatihan ASN per OPD": A4 landscape, the table with the city
    total, a bar chart of completion % per OPD, and the signer block; the city's logo
    beside the heading when admins set one (app.city)."""
    table = opd_table(summary, filters)
    pdf = _ReportPdf(orientation="landscape", unit="mm", format="A4")
    pdf.set_margins(left=12, top=12, right=12)
    pdf.set_auto_page_break(auto=True, margin=14)
    add_fonts(pdf)
    if creation_date is not None:
        pdf.set_creation_date(creation_date)
    pdf.set_lang("id")
    pdf.set_title(table.title)
    pdf.set_author(f"{settings.office_name}, {settings.city_name}")
    pdf.set_creator("Cakap")
    pdf.add_page()
    if logo is not None:
        # Top left, beside the centred city name and office (short lines).
        width, height = city_logo.fit(logo.png, box_mm=_LOGO_BOX)
        pdf.image(io.BytesIO(logo.png), x=pdf.l_margin, y=pdf.t_margin, w=width, h=height)
    _pdf_header(pdf, table, settings, generated_at)
    _pdf_table(pdf, table)
    _pdf_chart(pdf, summary)
    _pdf_signer(pdf, settings, signer, generated_at)
    return bytes(pdf.output())


def _pdf_header(pdf: FPDF, table: ReportTable, settings: Settings, generated_at: datetime) -> None:
    width = pdf.epw
    pdf.set_text_color(*_INK)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(
        width, 6, settings.city_name.upper(), align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font(FONT, "", 11)
    pdf.cell(width, 6, settings.office_name, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*_ACCENT)
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, pdf.get_y() + 1.5, pdf.l_margin + width, pdf.get_y() + 1.5)
    pdf.ln(4)
    pdf.set_font(FONT, "B", 14)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(width, 8, table.title, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_MUTED)
    pdf.set_font(FONT, "", 8.5)
    line = " · ".join(f"{label}: {value}" for label, value in table.filters)
    pdf.multi_cell(width, 4.5, line, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(
        width,
        4.5,
        f"Dibuat pada {generated_label(generated_at)}",
        align=Align.C,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(3)


def _pdf_number(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == PERCENT:
        return format_decimal(value, format="#,##0.0", locale=_LOCALE)
    if kind == SCORE:
        return format_decimal(value, format="#,##0.00", locale=_LOCALE)
    if kind == INT:
        return format_decimal(value, format="#,##0", locale=_LOCALE)
    return str(value)


def _pdf_table(pdf: FPDF, table: ReportTable) -> None:
    pdf.set_text_color(*_INK)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_draw_color(*_TRACK)
    pdf.set_line_width(0.2)
    # Text columns (the OPD name) share what the numbers leave; numbers align right.
    texts = [c for c in table.columns if c.kind == TEXT]
    number_w = 21.0
    text_w = (pdf.epw - number_w * (len(table.columns) - len(texts))) / max(len(texts), 1)
    widths = tuple(text_w if c.kind == TEXT else number_w for c in table.columns)
    aligns = tuple("LEFT" if c.kind == TEXT else "RIGHT" for c in table.columns)
    with pdf.table(
        col_widths=widths,
        text_align=aligns,
        line_height=4.6,
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 238, 248)),
        repeat_headings=1,
    ) as t:
        heading = t.row()
        for column in table.columns:
            heading.cell(column.label)
        for values in table.rows:
            row = t.row()
            for value, column in zip(values, table.columns, strict=True):
                row.cell(_pdf_number(value, column.kind))
        if table.totals is not None:
            row = t.row(style=FontFace(emphasis="BOLD", fill_color=(245, 247, 250)))
            for value, column in zip(table.totals, table.columns, strict=True):
                row.cell(_pdf_number(value, column.kind))


def _pdf_chart(pdf: FPDF, summary: OpdSummary) -> None:
    """Completion % per OPD as horizontal bars, drawn with rectangles (no images)."""
    label_w, value_w, row_h = 78.0, 18.0, 5.2
    track_w = pdf.epw - label_w - value_w - 4
    bottom = pdf.h - pdf.b_margin
    if pdf.get_y() + 14 + 3 * row_h > bottom:
        pdf.add_page()
    pdf.ln(5)
    pdf.set_font(FONT, "B", 11)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(pdf.epw, 7, "Persentase penyelesaian per OPD", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*_INK)
    for row in summary.rows:
        if pdf.get_y() + row_h > bottom:
            pdf.add_page()
        y = pdf.get_y()
        x = pdf.l_margin
        pdf.set_xy(x, y)
        pdf.cell(label_w, row_h, fit_text(pdf, row.name, label_w - 2))
        pdf.set_fill_color(*_TRACK)
        pdf.rect(x + label_w, y + 1, track_w, row_h - 2, style="F")
        percent = row.completion_percent
        if percent:
            pdf.set_fill_color(*_ACCENT)
            pdf.rect(x + label_w, y + 1, track_w * min(percent, 100) / 100, row_h - 2, style="F")
        pdf.set_xy(x + label_w + track_w + 2, y)
        text = "—" if percent is None else _pdf_number(percent, PERCENT) + "%"
        pdf.cell(value_w, row_h, text, align=Align.R)
        pdf.set_xy(x, y + row_h)


def _pdf_signer(pdf: FPDF, settings: Settings, signer: Signer, generated_at: datetime) -> None:
    # place and date, title, room for the signature, name, NIP: 5 + 5 + 16 + 5 + 5 mm
    block_w, block_h = 95.0, 36.0
    if pdf.get_y() + block_h + 4 > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.ln(4)
    x = pdf.l_margin + pdf.epw - block_w
    pdf.set_text_color(*_INK)
    pdf.set_font(FONT, "", 9.5)
    place = settings.city_name.removeprefix("Kota ").removeprefix("Kabupaten ")
    pdf.set_x(x)
    pdf.multi_cell(
        block_w,
        5,
        f"{place}, {long_date(citytime.today(generated_at))}",
        align=Align.C,
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    pdf.set_x(x)
    pdf.multi_cell(block_w, 5, signer.title, align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(x, pdf.get_y() + 16)  # room for the wet signature and stamp
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(
        block_w,
        5,
        signer.name or UNSET_NAME,
        align=Align.C,
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    if signer.nip:
        pdf.set_x(x)
        pdf.set_font(FONT, "", 9.5)
        pdf.cell(block_w, 5, f"NIP {signer.nip}", align=Align.C)
