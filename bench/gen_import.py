"""Write a realistic BKPSDM-style CSV of valid ASN rows, for import benchmarks.

    python bench/gen_import.py --rows 10000 --out var/asn-10k.csv --opds DISKOMINFO,BAPPEDA

Every row is valid: unique 18-digit NIPs whose birth date, TMT and sequence follow the
BKN layout, unique e-mail addresses, Indonesian names, and golongan that fit the status.
The same --seed gives the same file.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from datetime import date, timedelta
from pathlib import Path

FIRST_NAMES = (
    "Agus", "Andi", "Ayu", "Bambang", "Budi", "Citra", "Dewi", "Dian", "Eko", "Fajar",
    "Fitri", "Gita", "Hendra", "Indah", "Joko", "Kartika", "Lestari", "Made", "Nur",
    "Putri", "Rahmat", "Rina", "Sari", "Siti", "Teguh", "Wahyu", "Wayan", "Yogi", "Yulia",
)  # fmt: skip
LAST_NAMES = (
    "Hidayat", "Kusuma", "Lubis", "Nasution", "Pratama", "Purnomo", "Rahmawati", "Santoso",
    "Saputra", "Setiawan", "Siregar", "Sitompul", "Susanti", "Wibowo", "Wijaya", "Yulianti",
)  # fmt: skip
JABATAN = (
    "Analis Kebijakan Ahli Muda", "Arsiparis Ahli Pertama", "Kepala Seksi Layanan",
    "Pengadministrasi Perkantoran", "Penata Kelola Sistem dan Teknologi Informasi",
    "Perencana Ahli Muda", "Pranata Komputer Ahli Pertama", "Statistisi Ahli Muda",
)  # fmt: skip
GOLONGAN = ("II/a", "II/c", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b")
HEADER = ("NIP", "Nama", "Email", "Kode OPD", "Jabatan", "Golongan", "Status", "TMT")
LAST_TMT_YEAR = 2024  # keeps the file independent of the day it is generated


def make_nip(rng: random.Random) -> tuple[str, int, int]:
    """A NIP that passes app.users.nip.parse_nip, with its TMT year and month."""
    birth = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 36))
    tmt_year = min(birth.year + rng.randint(20, 35), LAST_TMT_YEAR)
    tmt_month = rng.randint(1, 12)
    gender = rng.choice((1, 2))
    sequence = rng.randint(1, 999)
    nip = f"{birth:%Y%m%d}{tmt_year:04d}{tmt_month:02d}{gender}{sequence:03d}"
    return nip, tmt_year, tmt_month


def generate_rows(count: int, opds: list[str], seed: int) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    rows: list[tuple[str, ...]] = []
    seen: set[str] = set()
    while len(rows) < count:
        nip, tmt_year, tmt_month = make_nip(rng)
        if nip in seen:
            continue
        seen.add(nip)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        status = "CPNS" if tmt_year >= LAST_TMT_YEAR else "PNS"
        golongan = "III/a" if status == "CPNS" else rng.choice(GOLONGAN)
        rows.append(
            (
                nip,
                f"{first} {last}",
                f"{first}.{last}.{len(rows) + 1}@kota.go.id".lower(),
                rng.choice(opds),
                rng.choice(JABATAN),
                golongan,
                status,
                f"01-{tmt_month:02d}-{tmt_year}",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000, help="number of data rows")
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    parser.add_argument(
        "--opds",
        default="DISKOMINFO,BAPPEDA,DINKES,DISDIK,BPKAD",
        help="comma-separated OPD codes to spread people over",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same file)")
    args = parser.parse_args(argv)
    opds = [code.strip() for code in args.opds.split(",") if code.strip()]
    if args.rows < 0 or not opds:
        parser.error("--rows must be >= 0 and --opds must name at least one OPD code")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(generate_rows(args.rows, opds, args.seed))
    print(f"{args.rows} baris ditulis ke {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
