"""Shared building blocks for generated documents (PDF lists, XLSX sheets)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from openpyxl.styles import Font

from app import citytime
from app.spreadsheets import Sheet, Style, Styled, xlsx_book

FONT_DIR = Path(__file__).resolve().parent / "static" / "fonts"
FONT = "DejaVu"


def add_fonts(pdf: FPDF) -> None:
    """Register DejaVu Sans (Latin subset, see static/fonts/README.md) as FONT, regular and
    bold: fpdf2's core fonts are Latin-1 only."""
    pdf.add_font(FONT, "", FONT_DIR / "DejaVuSans-Latin.ttf")
    pdf.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold-Latin.ttf")


def unicode_pdf(*, orientation: str = "portrait", title: str = "") -> FPDF:
    """An A4 FPDF with DejaVu Sans registered (fpdf2's core fonts are Latin-1 only)."""
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    add_fonts(pdf)
    pdf.set_lang("id")
    pdf.set_creator("Cakap")
    if title:
        pdf.set_title(title)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    return pdf


def pdf_heading(pdf: FPDF, lines: Sequence[str], title: str) -> None:
    pdf.set_font(FONT, "B", 11)
    for line in lines:
        pdf.cell(0, 6, line.upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 8, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def pdf_table(
    pdf: FPDF, headers: Sequence[str], widths: Sequence[float], rows: Iterable[Sequence[str]]
) -> None:
    """A simple ruled table that repeats its header on every page."""

    def header() -> None:
        pdf.set_font(FONT, "B", 9)
        for text, width in zip(headers, widths, strict=True):
            pdf.cell(width, 7, text, border=1, align="C")
        pdf.ln()
        pdf.set_font(FONT, "", 9)

    header()
    for row in rows:
        if pdf.will_page_break(8):
            pdf.add_page()
            header()
        for text, width in zip(row, widths, strict=True):
            pdf.cell(width, 8, fit_text(pdf, str(text), width - 2), border=1)
        pdf.ln()


def fit_text(pdf: FPDF, text: str, width: float) -> str:
    """`text` cut with an ellipsis to fit `width` mm in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def xlsx(
    *, title: str, header_lines: Sequence[str], columns: Sequence[str], rows: Iterable[Sequence]
) -> bytes:
    """One sheet: a header block (who, what, when), a blank line, then the table. Written by
    app/spreadsheets.py: names that look like formulas stay text."""
    bold = Style(font=Font(bold=True))

    def lines() -> Iterator[Sequence]:
        for line in header_lines:
            yield [line]
        yield [f"Dibuat: {citytime.local(datetime.now(UTC)):%d-%m-%Y %H:%M} {citytime.label()}"]
        yield []
        yield [Styled(name, bold) for name in columns]
        yield from rows

    widths = [max(12, min(45, len(str(name)) + 6)) for name in columns]
    return xlsx_book([Sheet(title=title, rows=lines(), widths=widths)])
