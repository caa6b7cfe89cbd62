"""Report tables as CSV, XLSX and PDF — built from the query results, never re-queried.

A `ReportTable` is the one description of a table (columns, rows, totals, filters); the
CSV and XLSX writers render any table, and the PDF renders the OPD summary with its chart
and a signer block. CSV is for machines (UTF-8 with BOM so Excel reads the names right,
ISO dates, dot decimals); XLSX and PDF are for people and start with a header block.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace
from openpyxl.styles import Alignment, Font, PatternFill

from app.city.service import UNSET_NAME, Signer
from app.config import Settings
from app.printing import FONT, add_fonts
from app.reports.filters import AUDIENCES, STATUSES, ReportFilter
from app.reports.periods import JAKARTA
from app.reports.queries import (
    JP_TARGET,
    JpPerson,
    JpYear,
    NotStartedRow,
    OpdSummary,
    PersonRow,
    TrainingRecord,
    WeekCount,
)
from app.spreadsheets import Formatter, Sheet, Style, Styled, csv_bytes, xlsx_book

_LOCALE = "id"
TEXT, INT, PERCENT, SCORE, DATE, DMY, DATETIME = (
    "text",
    "int",
    "percent",
    "score",
    "date",
    "dmy",
    "datetime",
)
ENROLMENT_STATUS = {
    "enrolled": "Belum mulai",
    "in_progress": "Sedang berjalan",
    "completed": "Selesai",
}


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT
    width: float = 14  # XLSX column width, in characters


@dataclass
class ReportTable:
    title: str
    sheet: str
    columns: list[Column]
    rows: Iterable[Sequence[Any]]
    totals: Sequence[Any] | None = None
    filters: list[tuple[str, str]] = field(default_factory=list)


# ---------------------------------------------------------------------------- describing


def describe_filter(
    f: ReportFilter, *, course_title: str | None, opd_name: str | None
) -> list[tuple[str, str]]:
    """The filters as people read them, for the header of every export."""
    if f.completed_from and f.completed_to:
        period = f"{long_date(f.completed_from)} – {long_date(f.completed_to)}"
    elif f.completed_from:
        period = f"sejak {long_date(f.completed_from)}"
    elif f.completed_to:
        period = f"sampai {long_date(f.completed_to)}"
    else:
        period = "Semua waktu"
    return [
        ("OPD", opd_name or "Semua OPD"),
        ("Kursus", course_title or "Semua kursus"),
        ("Sasaran", AUDIENCES[f.audience]),
        ("Status kepegawaian", STATUSES[f.status]),
        ("Periode penyelesaian", period),
    ]


def long_date(day: date) -> str:
    return format_date(day, "long", locale=_LOCALE)


def generated_label(moment: datetime) -> str:
    return format_datetime(moment, "d MMMM y HH.mm", tzinfo=JAKARTA, locale=_LOCALE) + " WIB"


def _local(moment: datetime) -> datetime:
    return moment.astimezone(JAKARTA).replace(tzinfo=None)


# ---------------------------------------------------------------------------- tables


def opd_table(summary: OpdSummary, filters: list[tuple[str, str]]) -> ReportTable:
    def cells(r) -> list[Any]:
        return [
            r.name,
            r.people,
            r.enrolled,
            r.in_progress,
            r.completed,
            _round(r.completion_percent, 1),
            _round(r.average_score, 2),
            r.certificates,
            r.jp,
            r.bimtek_attendees,
        ]

    return ReportTable(
        title="Laporan Capaian Pelatihan ASN per OPD",
        sheet="Capaian per OPD",
        columns=[
            Column("OPD", width=48),
            Column("ASN", INT, 10),
            Column("Terdaftar", INT, 12),
            Column("Sedang berjalan", INT, 16),
            Column("Selesai", INT, 10),
            Column("Persentase selesai (%)", PERCENT, 12),
            Column("Rata-rata nilai", SCORE, 15),
            Column("Sertifikat", INT, 12),
            Column("Total JP", INT, 10),
            Column("Hadir bimtek", INT, 12),
        ],
        rows=[cells(r) for r in summary.rows],
        totals=cells(summary.totals),
        filters=filters,
    )


def weekly_table(weeks: list[WeekCount], filters: list[tuple[str, str]]) -> ReportTable:
    return ReportTable(
        title="Penyelesaian Kursus per Minggu",
        sheet="Per minggu",
        columns=[
            Column("Minggu mulai", DATE, 14),
            Column("Minggu selesai", DATE, 14),
            Column("Selesai", INT, 10),
        ],
        rows=[[w.start, w.end, w.completed] for w in weeks],
        totals=["Total", None, sum(w.completed for w in weeks)],
        filters=filters,
    )


def people_table(
    people: Iterable[PersonRow], opd_name: str, filters: list[tuple[str, str]]
) -> ReportTable:
    def rows() -> Iterator[list[Any]]:
        for p in people:
            if not p.enrolments:
                yield [
                    p.nip or p.nik,
                    p.name,
                    p.status,
                    None,
                    "Belum terdaftar",
                    None,
                    None,
                    None,
                    None,
                    None,
                ]
            for e in p.enrolments:
                yield [
                    p.nip or p.nik,
                    p.name,
                    p.status,
                    e.course_title,
                    ENROLMENT_STATUS.get(e.status, e.status),
                    e.progress_percent,
                    e.last_activity_at,
                    e.final_score,
                    e.completed_at,
                    e.certificate_serial if not e.certificate_revoked else None,
                ]

    return ReportTable(
        title=f"Capaian Pelatihan ASN — {opd_name}",
        sheet="ASN",
        columns=[
            Column("NIP/NIK", width=21),
            Column("Nama", width=30),
            Column("Status kepegawaian", width=12),
            Column("Kursus", width=40),
            Column("Status kursus", width=16),
            Column("Kemajuan (%)", INT, 12),
            Column("Aktivitas terakhir", DATETIME, 18),
            Column("Nilai akhir", SCORE, 11),
            Column("Selesai pada", DATETIME, 18),
            Column("Nomor sertifikat", width=20),
        ],
        rows=rows(),
        filters=filters,
    )


def not_started_table(rows: Iterable[NotStartedRow], filters: list[tuple[str, str]]) -> ReportTable:
    return ReportTable(
        title="ASN yang Belum Mulai Pelatihan Wajib (Lewat Tenggat)",
        sheet="Belum mulai",
        columns=[
            Column("NIP", width=21),
            Column("Nama", width=30),
            Column("OPD", width=40),
            Column("Kursus", width=40),
            Column("Sumber", width=10),
            Column("Tenggat", DATE, 12),
            Column("Hari terlambat", INT, 14),
        ],
        rows=(
            [r.nip, r.name, r.opd_name, r.course_title, r.source, r.due_date, r.days_overdue]
            for r in rows
        ),
        filters=filters,
    )


def jp_people_table(
    rows: Iterable[JpPerson], year: int, filters: list[tuple[str, str]]
) -> ReportTable:
    return ReportTable(
        title=f"Capaian JP per ASN Tahun {year} (target {JP_TARGET} JP)",
        sheet=f"JP {year}",
        columns=[
            Column("NIP", width=21),
            Column("Nama", width=30),
            Column("Status kepegawaian", width=12),
            Column("OPD", width=40),
            Column("JP", INT, 8),
            Column("Memenuhi target", width=16),
        ],
        rows=(
            [r.nip, r.name, r.status, r.opd_name, r.jp, "Ya" if r.met_target else "Belum"]
            for r in rows
        ),
        filters=filters,
    )


def jp_quarter_table(report: JpYear, filters: list[tuple[str, str]]) -> ReportTable:
    def cells(r) -> list[Any]:
        return [r.name, r.people, r.met_target, r.below_target, *r.quarters, r.jp]

    return ReportTable(
        title=f"JP per OPD per Triwulan Tahun {report.year}",
        sheet=f"Triwulan {report.year}",
        columns=[
            Column("OPD", width=48),
            Column("ASN", INT, 10),
            Column(f"Memenuhi {JP_TARGET} JP", INT, 14),
            Column("Di bawah target", INT, 14),
            Column("Triwulan I", INT, 11),
            Column("Triwulan II", INT, 11),
            Column("Triwulan III", INT, 11),
            Column("Triwulan IV", INT, 11),
            Column("Total JP", INT, 10),
        ],
        rows=[cells(r) for r in report.opds],
        totals=cells(report.totals),
        filters=filters,
    )


def jp_category_table(report: JpYear, filters: list[tuple[str, str]]) -> ReportTable:
    return ReportTable(
        title=f"JP per Kategori Tahun {report.year}",
        sheet=f"Kategori {report.year}",
        columns=[
            Column("Kategori JP", width=24),
            Column("Sertifikat", INT, 12),
            Column("JP", INT, 10),
        ],
        rows=[[c.category, c.certificates, c.jp] for c in report.categories],
        totals=[
            "Total",
            sum(c.certificates for c in report.categories),
            sum(c.jp for c in report.categories),
        ],
        filters=filters,
    )


SIASN_COLUMNS = [
    Column("NIP", width=21),
    Column("Nama", width=30),
    Column("Nama Pelatihan", width=44),
    Column("Tanggal Mulai", DMY, 14),
    Column("Tanggal Selesai", DMY, 14),
    Column("JP", INT, 6),
    Column("Nomor Sertifikat", width=20),
    Column("Penyelenggara", width=48),
]


def siasn_table(
    records: Iterable[TrainingRecord], *, organizer: str, filters: list[tuple[str, str]]
) -> ReportTable:
    """Riwayat pelatihan in the columns SIASN asks for; dates as DD-MM-YYYY."""
    return ReportTable(
        title="Riwayat Pelatihan ASN (format SIASN)",
        sheet="Riwayat pelatihan",
        columns=SIASN_COLUMNS,
        rows=(
            [
                r.nip or r.nik,
                r.name,
                r.course_title,
                r.started_on,
                r.completed_on,
                r.jp,
                r.serial,
                organizer,
            ]
            for r in records
        ),
        filters=filters,
    )


def organizer(settings: Settings) -> str:
    return f"{settings.office_name} {settings.city_name}"


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# ---------------------------------------------------------------------------- CSV


def _csv_number(kind: str, *, decimal: str = ".") -> Formatter:
    """How a column's numbers and dates read in CSV; text is neutralised by the writer."""

    def formatted(value: Any) -> str:
        if kind == PERCENT:
            return f"{value:.1f}".replace(".", decimal)
        if kind == SCORE:
            return f"{value:.2f}".replace(".", decimal)
        if kind == DMY and isinstance(value, date):
            return value.strftime("%d-%m-%Y")
        if kind == DATETIME and isinstance(value, datetime):
            return _local(value).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    return formatted


def to_csv(table: ReportTable, *, excel: bool = False) -> bytes:
    """Written by app/spreadsheets.py, which neutralises names that look like formulas.

    Plain CSV (RFC 4180: "," and a decimal point) is for machines. `excel` is the file for
    Excel set to Indonesian, which splits on ";" and reads "71,4" as a number: opened from
    the plain file, every row would land in one column."""
    rows: list[Iterable[Sequence[Any]]] = [[[c.label for c in table.columns]], table.rows]
    if table.totals is not None:
        rows.append([table.totals])
    return csv_bytes(
        itertools.chain.from_iterable(rows),
        formats=[_csv_number(c.kind, decimal="," if excel else ".") for c in table.columns],
        delimiter=";" if excel else ",",
    )


# ---------------------------------------------------------------------------- XLSX

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEAD_FILL = PatternFill("solid", fgColor="E6EEF8")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_NUMBER_FORMATS = {
    INT: "#,##0",
    PERCENT: "0.0",
    SCORE: "0.00",
    DATE: "DD-MM-YYYY",
    DMY: "DD-MM-YYYY",
    DATETIME: "DD-MM-YYYY HH:MM",
}


def header_block(
    table: ReportTable, settings: Settings, generated_at: datetime
) -> list[tuple[str, str]]:
    return [
        ("Pemerintah", settings.city_name),
        ("Instansi", settings.office_name),
        ("Laporan", table.title),
        *table.filters,
        ("Dibuat pada", generated_label(generated_at)),
    ]


def to_xlsx(table: ReportTable, *, settings: Settings, generated_at: datetime) -> bytes:
    """One sheet: the header block (city, office, filters, time in Asia/Jakarta), a blank
    row, then the table with a bold heading and totals row. Written by app/spreadsheets.py
    (streaming, text cells neutralised and never formulas)."""
    block = header_block(table, settings, generated_at)

    def cell(value: Any, *, kind: str = TEXT, font: Font | None = None) -> Styled | None:
        if value is None and font is None:
            return None
        number_format = _NUMBER_FORMATS.get(kind) if value is not None else None
        return Styled(_xlsx_value(value), Style(font=font, number_format=number_format))

    def rows() -> Iterator[list[Any]]:
        for i, (label, value) in enumerate(block):
            yield [cell(label, font=_BOLD), cell(value, font=_TITLE if i == 0 else None)]
        yield []
        yield [
            Styled(column.label, Style(font=_BOLD, fill=_HEAD_FILL, alignment=_WRAP_TOP))
            for column in table.columns
        ]
        for row in table.rows:
            yield [cell(v, kind=c.kind) for v, c in zip(row, table.columns, strict=True)]
        if table.totals is not None:
            yield [
                cell(v, kind=c.kind, font=_BOLD)
                for v, c in zip(table.totals, table.columns, strict=True)
            ]

    return xlsx_book(
        [
            Sheet(
                title=table.sheet,
                rows=rows(),
                widths=[c.width for c in table.columns],
                freeze=f"A{len(block) + 3}",
            )
        ]
    )


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # Excel has no time zones: write the wall-clock time in Jakarta.
        return _local(value)
    return value


# ---------------------------------------------------------------------------- PDF

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


def summary_pdf(
    summary: OpdSummary,
    *,
    settings: Settings,
    signer: Signer,
    filters: list[tuple[str, str]],
    generated_at: datetime,
    creation_date: datetime | None = None,
) -> bytes:
    """ "Laporan Capaian Pelatihan ASN per OPD": A4 landscape, the table with the city
    total, a bar chart of completion % per OPD, and the signer block (app.city)."""
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
    numbers = len(table.columns) - 1
    widths = (pdf.epw - numbers * 23, *([23] * numbers))  # the OPD name gets the rest
    aligns = ("LEFT", *(["RIGHT"] * (len(table.columns) - 1)))
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
        pdf.cell(label_w, row_h, _fit(pdf, row.name, label_w - 2))
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


def _fit(pdf: FPDF, text: str, width: float) -> str:
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


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
        f"{place}, {long_date(generated_at.astimezone(JAKARTA).date())}",
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
