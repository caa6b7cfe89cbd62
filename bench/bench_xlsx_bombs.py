"""Benchmark: how long and how much memory the staff import's reader spends on hostile XLSX
files, and on the largest files it still accepts.

    .venv/bin/python bench/bench_xlsx_bombs.py

Each file is read in a fresh process (so peak RSS is that file's alone) through
`read_table`, the function the upload route and `cakap users import` call. Prints a table and
writes bench/results/xlsx_bombs.json. Figures, not assertions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES = {
    "shared strings 272 MB (review)": "xlsx_bombs.shared_strings_bomb(272)",
    "one row of 3 million cells": "xlsx_bombs.wide_row_bomb(3_000_000)",
    "row 2 with 5,000 distinct cells": "xlsx_bombs.wide_row(5_000)",
    "400,000 distinct shared strings": "xlsx_bombs.many_distinct_strings(400_000)",
    "60,000 cell formats": "xlsx_bombs.workbook(styles=xlsx_bombs.styles_bomb(60_000))",
    "billion laughs DTD": "xlsx_bombs.workbook(doctype=xlsx_bombs.BILLION_LAUGHS)",
    "limit: 9,500 rows x 10 cells": "xlsx_bombs.workbook(xlsx_bombs.rows_of_cells(9_500))",
    "limit: 99,000 shared strings": "xlsx_bombs.many_distinct_strings(99_000)",
    "limit: row 1,048,576": (
        "xlsx_bombs.workbook([xlsx_bombs.HEADER_ROW, xlsx_bombs.VALID_ROW,"
        " '<row r=\"1048576\"><c><v>1</v></c></row>'])"
    ),
}

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from tests.fixtures import xlsx_bombs
from app.users.importer_read import read_table
data = {expr}

def rss_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

before = rss_kib()
start = time.perf_counter()
fields, rows, problems = read_table(data, "pegawai.xlsx")
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{
    "upload_kb": round(len(data) / 1024),
    "seconds": round(elapsed, 2),
    "extra_rss_mb": round((peak - before) / 1024, 1),
    "rows": len(rows),
    "answer": str(problems[0]) if problems else "",
}}))
"""


def main() -> None:
    results = {}
    print(f"{'file':<34} {'upload':>8} {'time':>7} {'+RSS':>8}  answer")
    for label, expr in CASES.items():
        out = subprocess.run(
            [sys.executable, "-c", _CHILD.format(root=str(ROOT), expr=expr)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        results[label] = result
        answer = result["answer"][:70] or f"{result['rows']} rows read"
        print(
            f"{label:<34} {result['upload_kb']:>6} KB {result['seconds']:>6}s "
            f"{result['extra_rss_mb']:>6} MB  {answer}"
        )
    target = ROOT / "bench" / "results" / "xlsx_bombs.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
