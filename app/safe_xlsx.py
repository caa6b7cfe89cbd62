"""Reading the first sheet of an uploaded XLSX within fixed bounds — no database.

An XLSX is a ZIP of XML parts, so a small upload can hold a lot of work: a 660 KB file
with 272 MB of shared strings held a worker for 186 s and 1.5 GB, a 223 KB file with one
very wide row for 62 s and 1.65 GB. openpyxl bounds none of this (its workbook loader
also builds whole XML trees of some parts and pads rows to their last column), so an
upload passes two gates, cheapest first, and is refused with a message naming the file
(and the row):

1. The ZIP's central directory: member count, declared unpacked size, compression ratio.
   zipfile never inflates a member past its declared size (it stops and fails the CRC),
   so the declared sizes are a real bound.
2. Only the parts needed are read — content types, workbook and its relationships,
   styles (they tell dates from numbers), shared strings and the first worksheet — with
   openpyxl's own parsers, but every byte goes through expat first (`_Scanned`), which
   builds no tree and counts elements, shared strings, rows and cells per row. The count
   runs ahead of openpyxl by one read, so a limit stops the parse within 16 KB of XML. A
   DTD (entity expansion) is refused. External links, chart sheets, drawings, comments and
   custom properties are never opened.

The limits keep the worst case of a 12 MB upload to a few seconds and well under 200 MB
extra memory (bench/bench_xlsx_bombs.py); real BKPSDM sheets are far inside them.
"""

from __future__ import annotations

import io
import pyexpat
import zipfile
from collections.abc import Iterator
from typing import Any

MAX_MEMBERS = 1_000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_RATIO = 100
# Small members compress far better than 100:1 (a run of empty cells) and cannot hurt.
RATIO_CHECKED_FROM = 1024 * 1024
MAX_SMALL_PART_BYTES = 1024 * 1024  # content types, workbook, relationships
MAX_SMALL_PART_ELEMENTS = 10_000
MAX_STYLE_ELEMENTS = 50_000
# One allowance for the shared strings and the first sheet together: openpyxl spends
# about the same per element on both (7-14 µs through defusedxml's pure-Python parser),
# so this bounds its time however a file is made up. About 7,000 rows of 10 columns;
# bigger lists go in as CSV (no such cost) or in parts.
MAX_ELEMENTS = 200_000
MAX_COLUMNS = 100
MAX_ROW_ELEMENTS = 30 * MAX_COLUMNS  # a cell with rich inline text is several elements
LAST_EXCEL_ROW = 1_048_576
MAX_CELL_CHARS = 32_767  # what one Excel cell can hold

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SPLIT = "\x01"  # expat's namespace separator: never part of a name
_ROW, _CELL = (f"{MAIN}{_SPLIT}{local}" for local in ("row", "c"))
_BROKEN = "Berkas Excel rusak atau tidak dapat dibaca."


class XlsxRefused(Exception):
    """The upload is not read; the message (Indonesian) says why."""


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def read_first_sheet(data: bytes, filename: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number as Excel shows it, cell values) of the first worksheet's non-empty rows,
    at most MAX_COLUMNS values each.

    Raises XlsxRefused before the first row for whole-file problems and while iterating
    for row problems; close the iterator when stopping early."""
    # openpyxl's sheet parser is what its read-only worksheets use; only the bytes it is
    # given differ. Imported here: openpyxl is slow to import and most uploads are CSV.
    from openpyxl.worksheet._reader import WorkSheetParser

    name = filename or "berkas"
    with _open_archive(data, name) as archive:
        sheet_part, shared_part, epoch = _layout(archive, name)
        date_formats, timedelta_formats = _number_formats(archive, name)
        allowance = _Allowance(
            MAX_ELEMENTS,
            f"isi lembar pertama terlalu banyak untuk sekali impor (lebih dari "
            f"{_number(MAX_ELEMENTS)} unsur XML{{where}}, kira-kira 7.000 baris × 10 kolom). "
            "Simpan ulang sebagai CSV atau bagi menjadi beberapa berkas.",
        )
        shared = _shared_strings(archive, _Scan(name, shared_part or "", allowance))
        with archive.open(sheet_part) as source:
            parser = WorkSheetParser(
                _Scanned(source, _SheetScan(name, sheet_part, allowance)),
                shared,
                data_only=True,
                epoch=epoch,
                date_formats=date_formats,
                timedelta_formats=timedelta_formats,
            )
            for number, cells in _guarded(parser.parse()):
                values = _values(name, number, cells)
                if values:
                    yield number, values


def _guarded(rows: Iterator) -> Iterator:
    """openpyxl parses lazily: malformed XML and values surface while iterating."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except XlsxRefused:
            raise
        except Exception:
            raise XlsxRefused(_BROKEN) from None
        yield row


def _values(name: str, number: int, cells: list[dict[str, Any]]) -> tuple[Any, ...]:
    """The row's values by column (empty cells None), without trailing empty cells."""
    values: list[Any] = []
    for cell in cells:
        value = cell["value"]
        if value is None:
            continue
        column = cell["column"]
        if column > MAX_COLUMNS:
            raise XlsxRefused(
                f"{name}: baris {_number(number)} berisi data setelah kolom ke-{MAX_COLUMNS}. "
                f"Hapus kolom yang tidak dipakai (paling banyak {MAX_COLUMNS} kolom)."
            )
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            raise XlsxRefused(
                f"{name}: baris {_number(number)} memiliki sel berisi lebih dari "
                f"{_number(MAX_CELL_CHARS)} karakter (batas Excel)."
            )
        if column > len(values):
            values.extend([None] * (column - len(values)))
        values[column - 1] = value
    return tuple(values)


# ---------------------------------------------------------------------------- gate 1: ZIP


def _open_archive(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except Exception:  # zipfile raises several types on truncated or odd archives
        raise XlsxRefused("Berkas ZIP/XLSX rusak atau tidak lengkap.") from None
    too_big = XlsxRefused(
        f"{name}: isi berkas Excel terlalu besar setelah dibuka (lebih dari "
        f"{MAX_UNPACKED_BYTES // (1024 * 1024)} MB) atau dipadatkan secara tidak wajar. "
        "Simpan ulang sebagai CSV atau bagi menjadi beberapa berkas."
    )
    if len(members) > MAX_MEMBERS:
        raise XlsxRefused(f"{name}: berkas Excel berisi terlalu banyak bagian; berkas rusak.")
    if sum(info.file_size for info in members) > MAX_UNPACKED_BYTES:
        raise too_big
    for info in members:
        if info.file_size >= RATIO_CHECKED_FROM and (
            info.file_size > MAX_RATIO * max(info.compress_size, 1)
        ):
            raise too_big
    return archive


# ---------------------------------------------------------------------------- gate 2: XML


class _Allowance:
    """How many more XML elements the parts drawing on it may hold, and what to say then."""

    def __init__(self, elements: int, reason: str):
        self.left, self.reason = elements, reason


class _Scan:
    """Counts the elements of one XML part as expat reads it; refuses past the allowance."""

    def __init__(self, name: str, part: str, allowance: _Allowance):
        self.name, self.part, self.allowance = name, part, allowance

    def where(self) -> str:
        return ""

    def refuse(self, reason: str) -> None:
        raise XlsxRefused(f"{self.name}: {reason.replace('{where}', self.where())}")

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.allowance.left -= 1
        if self.allowance.left < 0:
            self.refuse(self.allowance.reason)

    def end(self, tag: str) -> None:
        pass


class _SheetScan(_Scan):
    """Also counts cells per row: openpyxl holds a whole row in memory before yielding it."""

    def __init__(self, name: str, part: str, allowance: _Allowance):
        super().__init__(name, part, allowance)
        self.depth = 0
        self.row_depth = -1  # the depth of the open <row>, -1 outside rows
        self.row_number = self.row_cells = self.row_elements = 0

    def where(self) -> str:
        return f" sampai baris {_number(self.row_number)}" if self.row_number else ""

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        super().start(tag, attrs)
        if self.row_depth >= 0:
            self.row_elements += 1
            if tag == _CELL and self.depth == self.row_depth + 1:
                self.row_cells += 1
            if self.row_cells > MAX_COLUMNS or self.row_elements > MAX_ROW_ELEMENTS:
                self.refuse(
                    f"baris {_number(self.row_number)} memiliki lebih dari {MAX_COLUMNS} "
                    f"kolom. Hapus kolom yang tidak dipakai (paling banyak {MAX_COLUMNS})."
                )
        elif tag == _ROW:
            self._row(attrs.get("r"))
        self.depth += 1

    def end(self, tag: str) -> None:
        self.depth -= 1
        if self.depth == self.row_depth:
            self.row_depth = -1

    def _row(self, given: str | None) -> None:
        # Numbered like openpyxl does: the r attribute ("12", or "12.0"), else previous + 1.
        if given is None:
            self.row_number += 1
        else:
            whole, _dot, fraction = given.partition(".")
            if not (whole.isdigit() and len(whole) <= 7 and fraction.strip("0") == ""):
                self.refuse(f"nomor baris tidak sah ({given[:20]}); berkas rusak.")
            self.row_number = int(whole)
        if self.row_number > LAST_EXCEL_ROW:
            self.refuse(
                f"nomor baris {_number(self.row_number)} melewati batas Excel "
                f"({_number(LAST_EXCEL_ROW)}); berkas rusak."
            )
        self.row_depth = self.depth
        self.row_cells = self.row_elements = 0


class _Scanned:
    """A part as a file for openpyxl's parsers: each chunk they read is counted first."""

    def __init__(self, source, scan: _Scan):
        self.source, self.scan = source, scan
        self.finished = False
        self.expat = pyexpat.ParserCreate(namespace_separator=_SPLIT)
        self.expat.StartElementHandler = scan.start
        self.expat.EndElementHandler = scan.end
        self.expat.StartDoctypeDeclHandler = self._doctype

    def _doctype(self, *_args) -> None:
        self.scan.refuse(f"bagian {self.scan.part} memuat DTD; berkas Excel tidak memakainya.")

    def read(self, size: int = -1) -> bytes:
        try:
            chunk = self.source.read(size)
            if not self.finished:
                self.finished = not chunk
                self.expat.Parse(chunk, self.finished)
        except XlsxRefused:
            raise
        except Exception:  # malformed XML, a bad CRC, encryption, an unknown compression
            raise XlsxRefused(_BROKEN) from None
        return chunk


def _whole(archive: zipfile.ZipFile, part: str, scan: _Scan) -> bytes:
    """A part read whole (for openpyxl's tree parsers) once it has passed `scan`."""
    with archive.open(part) as source:
        scanned = _Scanned(source, scan)
        chunks = []
        while chunk := scanned.read(64 * 1024):
            chunks.append(chunk)
    return b"".join(chunks)


def _small(archive: zipfile.ZipFile, name: str, part: str) -> bytes:
    if archive.getinfo(part).file_size > MAX_SMALL_PART_BYTES:
        raise XlsxRefused(f"{name}: bagian {part} terlalu besar; berkas rusak.")
    too_many = f"bagian {part} berisi lebih dari {_number(MAX_SMALL_PART_ELEMENTS)} unsur."
    allowance = _Allowance(MAX_SMALL_PART_ELEMENTS, too_many + " Berkas rusak.")
    return _whole(archive, part, _Scan(name, part, allowance))


class _CheckedParts:
    """The upload as openpyxl's workbook parser reads it, limited to parts that passed
    `_small`: anything else it asks for (external links) is refused."""

    def __init__(self, parts: dict[str, bytes]):
        self.parts = parts

    def read(self, part: str) -> bytes:
        if part not in self.parts:
            raise XlsxRefused(_BROKEN)
        return self.parts[part]


def _layout(archive: zipfile.ZipFile, name: str):
    """The first worksheet's part, the shared strings part (or None) and the date epoch,
    found with openpyxl's own lookups, on size-checked parts only."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.packaging.relationship import get_rels_path
    from openpyxl.reader.workbook import WorkbookParser
    from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS, XLSM, XLSX, XLTM, XLTX
    from openpyxl.xml.functions import fromstring

    names = set(archive.namelist())
    manifest = None
    try:
        if ARC_CONTENT_TYPES in names:
            manifest = Manifest.from_tree(fromstring(_small(archive, name, ARC_CONTENT_TYPES)))
        workbook_part = "xl/workbook.xml"
        for content_type in (XLSX, XLSM, XLTX, XLTM) if manifest is not None else ():
            found = manifest.find(content_type)
            if found is not None:
                workbook_part = found.PartName.lstrip("/")
                break
        if workbook_part not in names:
            raise XlsxRefused("Berkas ini bukan lembar kerja Excel (.xlsx); unggah CSV atau XLSX.")
        parts = {workbook_part: _small(archive, name, workbook_part)}
        rels = get_rels_path(workbook_part)
        if rels in names:
            parts[rels] = _small(archive, name, rels)
        parser = WorkbookParser(_CheckedParts(parts), workbook_part, keep_links=False)
        parser.parse()
        sheets = [
            rel.target
            for _sheet, rel in parser.find_sheets()
            if rel.Type.endswith("/worksheet") and rel.target in names
        ]
        shared = manifest.find(SHARED_STRINGS) if manifest is not None else None
    except XlsxRefused:
        raise
    except Exception:  # openpyxl raises many exception types on malformed parts
        raise XlsxRefused(_BROKEN) from None
    if not sheets:
        raise XlsxRefused("Berkas Excel tidak memiliki lembar kerja.")
    shared_part = shared.PartName.lstrip("/") if shared is not None else None
    return sheets[0], shared_part if shared_part in names else None, parser.wb.epoch


def _number_formats(archive: zipfile.ZipFile, name: str) -> tuple[set[int], set[int]]:
    """Which cell styles are dates and durations (read from xl/styles.xml, like openpyxl)."""
    from openpyxl.styles.stylesheet import Stylesheet
    from openpyxl.xml.constants import ARC_STYLE
    from openpyxl.xml.functions import fromstring

    if ARC_STYLE not in archive.namelist():
        return set(), set()
    allowance = _Allowance(
        MAX_STYLE_ELEMENTS,
        f"terlalu banyak format sel (lebih dari {_number(MAX_STYLE_ELEMENTS)} unsur di "
        f"{ARC_STYLE}). Hapus format yang tidak dipakai atau simpan ulang sebagai CSV.",
    )
    xml = _whole(archive, ARC_STYLE, _Scan(name, ARC_STYLE, allowance))
    try:
        stylesheet = Stylesheet.from_tree(fromstring(xml))
    except Exception:
        raise XlsxRefused(_BROKEN) from None
    if not stylesheet.cell_styles:
        return set(), set()
    return stylesheet.date_formats, stylesheet.timedelta_formats


def _shared_strings(archive: zipfile.ZipFile, scan: _Scan) -> list[str]:
    from openpyxl.reader.strings import read_string_table

    if not scan.part:
        return []
    with archive.open(scan.part) as source:
        try:
            return read_string_table(_Scanned(source, scan))
        except XlsxRefused:
            raise
        except Exception:
            raise XlsxRefused(_BROKEN) from None
