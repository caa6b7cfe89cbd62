"""Reading the BKPSDM staff spreadsheet (CSV or XLSX) into rows keyed by field — no database.

Files come straight out of Excel on Indonesian desktops, so the reader tolerates what Excel
produces: a UTF-8 BOM or CP1252 text, `;` as separator (the Indonesian locale's list
separator), quoted fields, CRLF, title rows above the header, header spellings that vary
from city to city, and NIPs stored as numbers. Everything it cannot use becomes a
`RowProblem` with the spreadsheet row number people see in Excel (header = row 1).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Literal

from app.safe_xlsx import XlsxRefused, read_first_sheet

MAX_BYTES = 10 * 1024 * 1024
MAX_DATA_ROWS = 50_000
# Some exports put a title ("DAFTAR PEGAWAI ...") and blank lines above the header.
HEADER_SEARCH_ROWS = 10

Level = Literal["error", "warning"]
Cells = dict[str, str]


@dataclass(frozen=True, order=True, slots=True)
class RowProblem:
    """Something wrong with one spreadsheet row; row 0 means the file as a whole."""

    row: int
    reason: str
    level: Level = "error"

    def __str__(self) -> str:
        where = "Berkas" if self.row == 0 else f"Baris {self.row}"
        tag = "peringatan: " if self.level == "warning" else ""
        return f"{where}: {tag}{self.reason}"


# The one table of accepted column titles. Titles are compared after `normalize_header`,
# so "No. NIP", "NO_NIP" and "no nip" are the same; write aliases in their natural form.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "nip": ("nip", "nip baru", "no. nip", "nomor nip", "nomor induk pegawai"),
    "nik": ("nik", "no. nik", "no ktp", "nomor ktp", "nomor induk kependudukan"),
    "full_name": ("nama", "nama lengkap", "nama pegawai", "nama asn", "name", "full name"),
    "email": ("email", "e-mail", "surel", "alamat email", "alamat e-mail", "alamat surel"),
    "opd_code": ("kode opd", "kode unit", "kode unit kerja", "kode skpd", "opd_code"),
    "opd_name": (
        "opd",
        "nama opd",
        "unit kerja",
        "nama unit kerja",
        "skpd",
        "nama skpd",
        "perangkat daerah",
        "instansi",
    ),
    "jabatan": ("jabatan", "nama jabatan"),
    "golongan": ("golongan", "gol", "gol. ruang", "golongan ruang", "pangkat/golongan"),
    "status": ("status", "status pegawai", "status kepegawaian", "jenis pegawai"),
    "tmt": ("tmt", "tmt cpns", "tmt pns", "tmt pppk", "tmt pengangkatan"),
}


# Two-level headers (a merged "UNIT KERJA" over "KODE" and "NAMA") are read as one title
# per column, the upper and the lower joined: "unit kerja kode". These are the groups.
GROUP_HEADERS = ("unit kerja", "opd", "perangkat daerah", "skpd", "instansi", "unit organisasi")
for _group in GROUP_HEADERS:
    HEADER_ALIASES["opd_code"] += (f"{_group} kode", f"kode {_group}")
    HEADER_ALIASES["opd_name"] += (f"{_group} nama", f"nama {_group}")
# Columns every BKPSDM report has that Cakap does not need: skipped without a warning.
IGNORED_HEADERS = {"no", "nomor", "no urut", "nomor urut"}
# The lower level of a two-level header carries meaning only with its group.
_LOWER_ONLY = {"kode", "nama", "kode unit"}


def normalize_header(title: str) -> str:
    """Lower-case words of a column title: punctuation, underscores and "(...)" notes dropped."""
    title = re.sub(r"\(.*?\)", " ", title.casefold())
    return " ".join(re.sub(r"[^0-9a-z]+", " ", title).split())


_FIELD_BY_HEADER: dict[str, str] = {
    normalize_header(alias): field for field, aliases in HEADER_ALIASES.items() for alias in aliases
}
# A combined title's separator (see _combine); never part of a real title.
_LEVELS = " \u203a "


def _field_of(title: str) -> str | None:
    """The field a column title names. A two-level title ("UNIT KERJA › KODE") is tried
    whole, then by its upper level (a cell merged down over both rows); its lower level
    alone only when that is unambiguous ("NIP" under "IDENTITAS")."""
    if _LEVELS not in title:
        return _FIELD_BY_HEADER.get(normalize_header(title))
    upper, lower = title.split(_LEVELS, 1)
    whole = _FIELD_BY_HEADER.get(normalize_header(f"{upper} {lower}"))
    if whole is not None:
        return whole
    if not lower:
        return _FIELD_BY_HEADER.get(normalize_header(upper))
    if normalize_header(lower) in _LOWER_ONLY:
        return None
    return _FIELD_BY_HEADER.get(normalize_header(lower))


def read_table(
    data: bytes, filename: str
) -> tuple[list[str], list[tuple[int, Cells]], list[RowProblem]]:
    """Fields found (in column order), data rows keyed by field, and problems. Never raises.

    Each row is `(spreadsheet row number, {field: text})`; blank rows are skipped. Any
    file-level problem (row 0) comes alone with no rows: half a file is never imported.
    """
    problem = _size_problem(data)
    if problem is None:
        kind = _file_kind(data, filename)
        if kind == "csv":
            return _read_csv(data)
        if kind == "xlsx":
            return _read_xlsx(data, filename)
        problem = kind
    return [], [], [problem]


def _file_problem(reason: str) -> RowProblem:
    return RowProblem(0, reason)


def _size_problem(data: bytes) -> RowProblem | None:
    if not data.strip():
        return _file_problem("Berkas kosong.")
    if len(data) > MAX_BYTES:
        size = f"{len(data) / 1024 / 1024:.1f}".replace(".", ",")
        return _file_problem(
            f"Berkas terlalu besar ({size} MB); maksimal 10 MB. Bagi menjadi beberapa berkas."
        )
    return None


_TEXT_SUFFIXES = {"", ".csv", ".txt", ".tsv"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and .doc)


def _file_kind(data: bytes, filename: str) -> Literal["csv", "xlsx"] | RowProblem:
    """Decide by content first: a renamed file is judged by what it is, not what it says."""
    suffix = PurePath(filename or "").suffix.casefold()
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        return _file_problem(
            "Format Excel lama (.xls) tidak didukung. Buka di Excel lalu simpan sebagai "
            ".xlsx atau CSV."
        )
    if suffix in _XLSX_SUFFIXES:
        return _file_problem(
            f"Berkas bernama {suffix} tetapi isinya bukan berkas Excel. Simpan ulang dari "
            "Excel sebagai .xlsx atau CSV."
        )
    if suffix in _TEXT_SUFFIXES:
        return "csv"
    return _file_problem(f"Jenis berkas {suffix} tidak didukung; unggah CSV atau XLSX (Excel).")


# ---------------------------------------------------------------------------- CSV


_DELIMITERS = (";", ",", "\t")
# A line of 10 MB of separators is ten million cells; refused before each is cleaned.
MAX_CSV_FIELDS = 1_000


class _TooWide(Exception):
    """A CSV record with more than MAX_CSV_FIELDS fields (its row number in args[0])."""


def _read_csv(data: bytes) -> tuple[list[str], list[tuple[int, Cells]], list[RowProblem]]:
    text = _decode(data)
    if "\x00" in text:
        return [], [], [_file_problem("Berkas bukan teks CSV (berisi data biner).")]
    try:
        delimiter = _sniff_delimiter(text)
        return _build_table(_csv_records(text, delimiter))
    except csv.Error as exc:
        # In practice: an unclosed quote swallowed the rest of the file into one cell.
        reason = f'CSV tidak dapat dibaca; periksa tanda kutip (") yang tidak ditutup ({exc}).'
        return [], [], [_file_problem(reason)]
    except _TooWide as exc:
        limit = f"{MAX_CSV_FIELDS:,}".replace(",", ".")
        reason = (
            f"Baris {exc.args[0]} berisi lebih dari {limit} kolom; periksa pemisah kolom "
            "atau hapus kolom yang tidak dipakai."
        )
        return [], [], [_file_problem(reason)]


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), Excel's "Unicode text" (UTF-16), else Windows-1252.

    Excel on Windows saves "CSV (Comma delimited)" in the ANSI code page, which is CP1252
    here; latin-1 is the last resort because it accepts any byte.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    # Numbered by record, not by line: a quoted cell spanning two lines is still one row
    # in Excel, and a blank line is an (empty) row there too.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, record in enumerate(reader, start=1):
        if len(record) > MAX_CSV_FIELDS:
            raise _TooWide(number)
        yield number, [_clean_cell(cell) for cell in record]


def _sniff_delimiter(text: str) -> str:
    """The separator under which the top rows contain the most recognisable column titles."""

    def score(delimiter: str) -> tuple[int, int]:
        best = (0, 0)
        for _, cells in _first_records(_csv_records(text, delimiter)):
            best = max(best, (len(_map_columns(cells)[0]), len(cells)))
        return best

    return max(_DELIMITERS, key=score)


def _first_records(
    records: Iterable[tuple[int, list[str]]],
) -> Iterator[tuple[int, list[str]]]:
    seen = 0
    for number, cells in records:
        if any(cells):
            seen += 1
            yield number, cells
            # Stop before pulling another record: one pulled here would be lost to the
            # caller, who reads on from the same iterator.
            if seen == HEADER_SEARCH_ROWS:
                return


def _clean_cell(cell: str) -> str:
    cell = cell.strip()
    # `="0123"` is the trick some exporters use to keep leading zeros in Excel.
    if len(cell) >= 3 and cell.startswith('="') and cell.endswith('"'):
        cell = cell[2:-1].strip()
    return cell


# ---------------------------------------------------------------------------- XLSX


def _read_xlsx(
    data: bytes, filename: str
) -> tuple[list[str], list[tuple[int, Cells]], list[RowProblem]]:
    # app/safe_xlsx.py bounds the work a hostile file can cause (ZIP and XML bombs).
    rows = read_first_sheet(data, filename)
    try:
        return _build_table(
            (number, [_clean_cell(_cell_text(value)) for value in values])
            for number, values in rows
        )
    except XlsxRefused as exc:
        return [], [], [_file_problem(str(exc))]
    finally:
        rows.close()


# Floats beyond 2**53 are no longer exact integers: Excel already dropped digits.
_EXACT_FLOAT_LIMIT = 2**53


def _cell_text(value: object) -> str:
    """Text as a person would read the cell. Digits of numbers are kept exactly."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_FLOAT_LIMIT:
            return str(int(value))
        # e.g. "1.99001012015012e+17": validation rejects it as scientific notation
        # instead of importing a NIP whose last digits Excel has already lost.
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------- header + rows


def _map_columns(cells: list[str]) -> tuple[dict[int, str], list[str], list[str]]:
    """Column index -> field, titles not recognised, and titles repeating a field."""
    columns: dict[int, str] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for index, title in enumerate(cells):
        if not title or normalize_header(title) in IGNORED_HEADERS:
            continue
        field = _field_of(title)
        if field is None:
            unknown.append(title)
        elif field in columns.values():
            repeated.append(title)
        else:
            columns[index] = field
    return columns, unknown, repeated


def _is_header(columns: dict[int, str]) -> bool:
    fields = set(columns.values())
    return "full_name" in fields and bool(fields & {"nip", "nik"})


def _build_table(
    records: Iterable[tuple[int, list[str]]],
) -> tuple[list[str], list[tuple[int, Cells]], list[RowProblem]]:
    """Header, rows and problems of a sheet laid out as people lay them out: title rows
    above the header, a two-level header, a row of column numbers under it, and a
    signature block below the data — each found and reported, never imported."""
    records = iter(records)
    header = _find_header(records)
    if isinstance(header, RowProblem):
        return [], [], [header]
    header_row, cells, first_data = header
    columns, unknown, repeated = _map_columns(cells)
    problems = _column_warnings(header_row, unknown, repeated)
    rows: list[tuple[int, Cells]] = []
    widths: list[int] = []  # non-empty cells per row, for spotting the footer
    for number, record in itertools.chain(first_data, records):
        if not any(record):
            continue
        if not rows and _is_number_row(record):
            problems.append(
                RowProblem(number, "baris nomor kolom (1, 2, 3, …) dilewati", "warning")
            )
            continue
        if len(rows) == MAX_DATA_ROWS:
            return [], [], [_too_many_rows()]
        rows.append((number, _row_cells(record, columns)))
        widths.append(sum(1 for cell in record if cell))
    footer = _footer_start(rows, widths)
    if footer is not None:
        first, last = rows[footer][0], rows[-1][0]
        where = f"baris {first}" if first == last else f"baris {first}–{last}"
        problems.append(
            RowProblem(
                first,
                f"bagian penutup di bawah data ({where}: tanggal, jabatan, tanda tangan) dilewati",
                "warning",
            )
        )
        rows = rows[:footer]
    if not rows:
        return [], [], [_file_problem("Berkas hanya berisi judul kolom, tanpa baris data.")]
    return [columns[i] for i in sorted(columns)], rows, problems


def _is_number_row(record: list[str]) -> bool:
    """ "1 2 3 4 …" under the header (BKPSDM reports number their columns)."""
    filled = [cell for cell in record if cell]
    return len(filled) >= 3 and filled == [str(n) for n in range(1, len(filled) + 1)]


# A signature block is a few short rows ("Bandar Lampung, 1 Desember 2026", "KEPALA BKPSDM",
# a name, "NIP. 1970…") without a NIP or NIK in their columns.
_FOOTER_MAX_CELLS = 3


def _footer_start(rows: list[tuple[int, Cells]], widths: list[int]) -> int | None:
    """Index of the first row of the trailing signature block, if there is one."""
    start = None
    for index in range(len(rows) - 1, -1, -1):
        cells = rows[index][1]
        if cells.get("nip") or cells.get("nik") or widths[index] > _FOOTER_MAX_CELLS:
            break
        start = index
    # A sheet of nothing but such rows is bad data, not a footer: let the rows be checked.
    return None if start == 0 else start


def _too_many_rows() -> RowProblem:
    limit = f"{MAX_DATA_ROWS:,}".replace(",", ".")
    return _file_problem(
        f"Berkas berisi lebih dari {limit} baris data; bagi menjadi beberapa berkas."
    )


def _find_header(
    records: Iterator[tuple[int, list[str]]],
) -> tuple[int, list[str], list[tuple[int, list[str]]]] | RowProblem:
    """(row of the header, one title per column, rows read past it) or the problem.

    The header is the first of the top rows that names a NIP (or NIK) column and a name
    column. When the row under it is a second header level (text only, nothing in the NIP
    column: "KODE | NAMA" under a merged "UNIT KERJA"), the two levels are combined."""
    top = list(_first_records(records))
    first: list[str] | None = None
    for position, (number, cells) in enumerate(top):
        if not _is_header(_map_columns(cells)[0]):
            first = first or cells
            continue
        rest = top[position + 1 :]
        if rest and _is_lower_level(cells, rest[0][1]):
            lower_number, lower = rest[0]
            combined = _combine(cells, lower)
            if _is_header(_map_columns(combined)[0]):
                return lower_number, combined, rest[1:]
        return number, cells, rest
    if first is None:
        return _file_problem("Berkas tidak berisi data.")
    titles = ", ".join(cell for cell in first if cell)[:200]
    return _file_problem(
        "Judul kolom tidak dikenali: perlu kolom NIP (atau NIK) dan Nama pada baris judul. "
        f"Baris pertama berisi: {titles}"
    )


def _is_lower_level(upper: list[str], lower: list[str]) -> bool:
    """Whether `lower` is the second row of a two-level header rather than data."""
    nip_columns = [i for i, field in _map_columns(upper)[0].items() if field in ("nip", "nik")]
    if any(i < len(lower) and lower[i] for i in nip_columns):
        return False
    filled = [cell for cell in lower if cell]
    return bool(filled) and not any(re.fullmatch(r"[\d\s.,/-]+", cell) for cell in filled)


def _combine(upper: list[str], lower: list[str]) -> list[str]:
    """One title per column from two header rows. A merged upper cell holds its text in
    its first column only, so a blank upper cell above a lower title takes the nearest
    upper title to its left (within the run of lower titles under the merge)."""
    width = max(len(upper), len(lower))
    upper = upper + [""] * (width - len(upper))
    lower = lower + [""] * (width - len(lower))
    combined, group = [], ""
    for top, bottom in zip(upper, lower, strict=True):
        if top:
            group = top if bottom else ""
        elif not bottom:
            group = ""
        if top and not bottom:
            combined.append(top)  # merged down over both rows: "NIP", "NAMA"
        elif bottom:
            combined.append(f"{top or group}{_LEVELS}{bottom}")
        else:
            combined.append("")
    return combined


def _column_warnings(header_row: int, unknown: list[str], repeated: list[str]) -> list[RowProblem]:
    problems = []
    if unknown:
        problems.append(
            RowProblem(
                header_row,
                f"Kolom tidak dikenali dan diabaikan: {', '.join(unknown)}",
                "warning",
            )
        )
    if repeated:
        problems.append(
            RowProblem(
                header_row,
                f"Kolom ganda diabaikan (yang pertama dipakai): {', '.join(repeated)}",
                "warning",
            )
        )
    return problems


def _row_cells(record: list[str], columns: dict[int, str]) -> Cells:
    width = len(record)
    return {field: record[index] if index < width else "" for index, field in columns.items()}
