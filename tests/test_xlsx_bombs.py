"""XLSX bombs: small uploads that unpack to huge or very wide sheets are refused quickly,
with a message naming the file (and row) — on the reader and through the upload route.

The limits live in app/safe_xlsx.py; bench/bench_xlsx_bombs.py prints time and memory.
Timings here are generous bounds on this process's CPU time, not benchmarks: wall-clock
bounds failed whenever other work shared the machine (a refusal took 5.006 s of wall
time at load 10 on two cores), while the bombs these limits stop took minutes of CPU.
"""

from __future__ import annotations

import functools
import time

import pytest
from sqlalchemy import select

from app import safe_xlsx
from app.users.importer_read import read_table
from app.users.models import ImportJob
from tests.conftest import NIPS
from tests.fixtures import xlsx_bombs as bombs

SECONDS = 5.0  # CPU seconds (time.process_time)


@functools.cache
def review_bomb() -> bytes:
    """The review's file: a few hundred KB holding 272 MB of shared strings."""
    return bombs.shared_strings_bomb(272)


def _cell(ref: str, value: int = 1) -> str:
    return f'<c r="{ref}"><v>{value}</v></c>'


BOMBS = {
    "shared strings 272 MB": (
        review_bomb,
        "isi berkas Excel terlalu besar setelah dibuka (lebih dari 50 MB)",
    ),
    "one row of 3 million cells": (
        bombs.wide_row_bomb,
        "isi berkas Excel terlalu besar setelah dibuka",
    ),
    # Passes the ZIP checks (distinct values): stopped by the per-row count.
    "row 2 with 5,000 distinct cells": (
        lambda: bombs.wide_row(5_000),
        "baris 2 memiliki lebih dari 100 kolom",
    ),
    "400,000 distinct shared strings": (
        lambda: bombs.many_distinct_strings(400_000),
        "isi lembar pertama terlalu banyak untuk sekali impor (lebih dari 200.000 unsur XML",
    ),
    "sheet of 30,000 rows x 10 cells": (
        lambda: bombs.workbook(bombs.rows_of_cells(30_000)),
        "unsur XML sampai baris ",
    ),
    "60,000 cell formats": (
        lambda: bombs.workbook(styles=bombs.styles_bomb(60_000)),
        "terlalu banyak format sel (lebih dari 50.000 unsur di xl/styles.xml)",
    ),
    "billion laughs": (
        lambda: bombs.workbook(doctype=bombs.BILLION_LAUGHS),
        "bagian xl/worksheets/sheet1.xml memuat DTD",
    ),
    "row number beyond Excel": (
        lambda: bombs.workbook([bombs.HEADER_ROW, '<row r="2000000">', _cell("A1"), "</row>"]),
        "nomor baris 2.000.000 melewati batas Excel",
    ),
    "a cell far to the right": (
        lambda: bombs.workbook(
            [bombs.HEADER_ROW, f'<row r="7">{_cell("A7")}{_cell("XFD7")}</row>']
        ),
        "baris 7 berisi data setelah kolom ke-100",
    ),
    "thousands of members": (
        lambda: bombs.workbook(extra_members=1_000),
        "berkas Excel berisi terlalu banyak bagian",
    ),
}


@pytest.mark.parametrize("kind", list(BOMBS))
def test_reader_refuses_bombs_quickly(kind: str) -> None:
    build, message = BOMBS[kind]
    data = build()
    assert len(data) < 12 * 1024 * 1024
    started = time.process_time()
    fields, rows, problems = read_table(data, "pegawai.xlsx")
    elapsed = time.process_time() - started
    assert (fields, rows) == ([], [])
    assert len(problems) == 1 and problems[0].row == 0, problems
    assert problems[0].reason.startswith("pegawai.xlsx: "), problems[0].reason
    assert message in problems[0].reason, problems[0].reason
    assert elapsed < SECONDS, f"{kind}: {elapsed:.1f} s"


def test_big_honest_files_within_the_limits_are_read() -> None:
    """Just under the allowance, and a row at Excel's last row number: read, and fast."""
    data = bombs.workbook(bombs.rows_of_cells(9_000))
    started = time.process_time()
    fields, rows, problems = read_table(data, "besar.xlsx")
    assert time.process_time() - started < SECONDS
    assert problems == [] and fields == ["nip", "full_name"] and len(rows) == 9_000
    assert rows[-1] == (9_001, {"nip": str(9_001 * 31), "full_name": str(9_001 * 31 + 1)})

    far = bombs.workbook(
        [bombs.HEADER_ROW, bombs.VALID_ROW, '<row r="1048576">', _cell("A1048576", 5), "</row>"]
    )
    started = time.process_time()
    _, rows, problems = read_table(far, "jauh.xlsx")
    assert time.process_time() - started < SECONDS  # openpyxl's gap padding is skipped
    assert problems == [] and [number for number, _ in rows] == [2, 1_048_576]


def test_limits_are_what_the_messages_say() -> None:
    assert safe_xlsx.MAX_COLUMNS == 100
    assert safe_xlsx.MAX_UNPACKED_BYTES == 50 * 1024 * 1024
    assert safe_xlsx.MAX_RATIO == 100


def _upload(client, data: bytes, name: str):
    token = client.csrf("/admin/impor")
    return client.post(
        "/admin/impor",
        data={"csrf_token": token},
        files={"berkas": (name, data, "application/octet-stream")},
    )


@pytest.mark.parametrize(
    "kind", ["shared strings 272 MB", "row 2 with 5,000 distinct cells", "billion laughs"]
)
def test_upload_route_refuses_bombs_quickly(client, people, db, kind: str) -> None:
    build, message = BOMBS[kind]
    data = build()
    client.login(NIPS["adi"])
    started = time.process_time()
    response = _upload(client, data, "bom.xlsx")
    elapsed = time.process_time() - started
    assert response.status_code == 200
    assert "bom.xlsx: " in response.text and message in response.text
    assert elapsed < SECONDS, f"{kind}: {elapsed:.1f} s"
    db.rollback()
    job = db.scalars(select(ImportJob).order_by(ImportJob.id.desc())).first()
    assert job.total == 0  # nothing to import: the file was refused as a whole
    assert [p["row"] for p in job.problems] == [0]


def test_csv_with_millions_of_separators_is_refused_quickly() -> None:
    """The CSV twin of the wide row: 10 MB of separators is ten million cells."""
    data = b"NIP;Nama\n" + b";" * (10 * 1024 * 1024 - 20) + b"\n"
    started = time.process_time()
    _, rows, problems = read_table(data, "lebar.csv")
    assert time.process_time() - started < SECONDS
    assert rows == [] and [str(p) for p in problems] == [
        "Berkas: Baris 2 berisi lebih dari 1.000 kolom; periksa pemisah kolom atau hapus "
        "kolom yang tidak dipakai."
    ]
