"""Report tables as CSV and XLSX — built from the query results, never re-queried.

A `ReportTable` is the one description of a table (columns, rows, totals, filters); the
CSV and XLSX writers render any table, and app/reports/pdf.py renders the OPD summary's
with its chart and a signer block. CSV is for machines (UTF-8 with BOM so Excel reads the
names right, ISO dates, dot decimals); XLSX and PDF are for people and start with a
header block. Times are the city's (CAKAP_TIMEZONE).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from openpyxl.styles import Alignment, Font, PatternFill

from app import citytime
from app.config import Settings
from app.reports.columns import COLUMNS, Kind
from app.reports.drilldown import PersonRow
from app.reports.filters import AUDIENCES, STATUSES, ReportFilter
from app.reports.jp_report import JP_TARGET, JpPerson, JpYear
from app.reports.opd_summary import OpdSummary
from app.reports.overdue import NotStartedRow
from app.reports.person import TrainingRecord
from app.reports.weekly import WeekCount
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
    """ "17 Juni 2026 10.00 WIB": when a file was made, in the city's zone."""
    text = format_datetime(moment, "d MMMM y HH.mm", tzinfo=citytime.zone(), locale=_LOCALE)
    return f"{text} {citytime.label()}"


def _local(moment: datetime) -> datetime:
    # Excel and CSV have no time zones: the wall-clock time in the city.
    return citytime.local(moment).replace(tzinfo=None)


# ---------------------------------------------------------------------------- tables


# How a report column's kind (app/reports/columns.py) is written in files.
FILE_KINDS = {
    Kind.NAME: TEXT,
    Kind.COUNT: INT,
    Kind.JP: INT,
    Kind.PERCENT: PERCENT,
    Kind.SCORE: SCORE,
}


def opd_table(summary: OpdSummary, filters: list[tuple[str, str]]) -> ReportTable:
    """The OPD summary with its columns (app/reports/columns.py) and the total row."""

    def cells(r) -> list[Any]:
        return [c.rounded(r) for c in COLUMNS]

    return ReportTable(
        title="Laporan Capaian Pelatihan ASN per OPD",
        sheet="Capaian per OPD",
        columns=[Column(c.file_label or c.label, FILE_KINDS[c.kind], c.width) for c in COLUMNS],
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
    """One sheet: the header block (city, office, filters, time in the city), a blank
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
        return _local(value)
    return value
