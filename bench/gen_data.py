"""Fill a database with a city's worth of ASN, enrolments, progress and certificates.

    python bench/gen_data.py --scale 10000                     # CAKAP_DATABASE_URL or var/
    python bench/gen_data.py --scale 100000 --database-url sqlite:///var/bench.db

The generator lives in app/demo_city.py (`cakap demo --scale N` uses it too); see there
for what it makes. The database is migrated first.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import get_settings  # noqa: E402
from app.demo_city import OPDS, generate, populate  # noqa: E402

__all__ = ["OPDS", "generate", "populate"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000, help="number of ASN to create")
    parser.add_argument("--opds", type=int, default=40, help=f"number of OPDs (max {len(OPDS)})")
    parser.add_argument("--per-person", type=int, default=20, help="average enrolments per ASN")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--year", type=int, default=None, help="year of the activity (default: now)"
    )
    parser.add_argument("--database-url", default=None, help="default: CAKAP_DATABASE_URL")
    args = parser.parse_args(argv)
    if args.scale < 1 or not 1 <= args.opds <= len(OPDS) or args.per_person < 1:
        parser.error(f"--scale >= 1, 1 <= --opds <= {len(OPDS)}, --per-person >= 1")
    url = args.database_url or get_settings().db_url
    started = time.perf_counter()
    print(f"Membuat {args.scale:,} ASN di {url.split('@')[-1]} …", file=sys.stderr)
    counts = populate(
        url,
        scale=args.scale,
        opd_count=args.opds,
        per_person=args.per_person,
        seed=args.seed,
        year=args.year,
        progress=lambda line: print(line, file=sys.stderr),
    )
    print(
        f"Selesai dalam {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{k}={v:,}" for k, v in counts.items()),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
