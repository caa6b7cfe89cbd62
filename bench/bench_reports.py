"""Time the report queries on generated cities in a temporary SQLite database.

    python bench/bench_reports.py                    # 10,000 ASN
    python bench/bench_reports.py --scale 100000     # 100,000 ASN (~2 minutes to generate)
    python bench/bench_reports.py --scale 10000 --scale 100000 --data-dir var/bench

Each dataset is made by bench/gen_data.py (about --per-person enrolments per ASN), then
every measured call runs once to warm the cache and --repeat times more; the table shows
the fastest and the median run. Results also go to bench/results/reports-*.json. This
script prints figures and never asserts: timings depend on the machine (see
docs/reports.md for the figures on the reference machine and the target).

The dashboard without a period reads pre-aggregated rollups that triggers keep exact
(app/reports/rollups.py). The first read after generating data is shown on its own (cold
cache), and three more lines measure the rollup machinery: computing all four rollup
tables from scratch (what the migration does on an existing database, and `cakap report
rollups --rebuild`), one enrolment changing (update + commit, with its triggers; the
largest OPD and the busiest course), and the dashboard read right after such a change.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, update  # noqa: E402

import app.models  # noqa: E402, F401
from app import citytime  # noqa: E402
from app.db import make_engine, make_sessionmaker  # noqa: E402
from app.progress.models import Enrolment  # noqa: E402
from app.reports import exports, rollups  # noqa: E402
from app.reports.drilldown import opd_people  # noqa: E402
from app.reports.filters import ReportFilter  # noqa: E402
from app.reports.jp_report import jp_year  # noqa: E402
from app.reports.opd_summary import opd_summary  # noqa: E402
from app.reports.overdue import not_started  # noqa: E402
from app.reports.weekly import weekly_completions  # noqa: E402
from app.users.models import User  # noqa: E402
from bench.gen_data import populate  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _time(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    fn()  # warm the page cache and SQLAlchemy's statement cache
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return {"min_ms": round(min(runs), 1), "median_ms": round(statistics.median(runs), 1)}


def _time_after(setup: Callable[[], object], fn: Callable[[], object], repeat: int) -> dict:
    """Like _time, but `setup` runs (untimed) before each call."""
    setup()
    fn()
    runs = []
    for _ in range(repeat):
        setup()
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return {"min_ms": round(min(runs), 1), "median_ms": round(statistics.median(runs), 1)}


def bench_scale(scale: int, *, per_person: int, repeat: int, data_dir: Path) -> dict:
    path = data_dir / f"reports-{scale}-{per_person}.db"
    url = f"sqlite:///{path}"
    generation = None
    if not path.exists():
        started = time.perf_counter()
        print(f"\n== {scale:,} ASN: membuat data di {path} …", file=sys.stderr)
        counts = populate(
            url, scale=scale, per_person=per_person, progress=lambda s: print(s, file=sys.stderr)
        )
        generation = {"seconds": round(time.perf_counter() - started, 1), **counts}
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    today = citytime.today(now)
    with sessions() as db:
        course_id = db.scalar(
            select(Enrolment.course_id)
            .group_by(Enrolment.course_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        opd_id = db.scalar(
            select(User.opd_id)
            .where(User.opd_id.is_not(None))
            .group_by(User.opd_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        sizes = {
            "users": db.scalar(select(func.count()).select_from(User)),
            "enrolments": db.scalar(select(func.count()).select_from(Enrolment)),
        }
    city = ReportFilter()
    per_course = ReportFilter(course_id=course_id)
    per_opd = ReportFilter(opd_id=opd_id)

    with sessions() as db:
        started = time.perf_counter()
        opd_summary(db, city)
        weekly_completions(db, city, today=today)
        first_read = {"ms": round((time.perf_counter() - started) * 1000, 1)}
    print(f"  dashboard, baca pertama: {first_read['ms']:.1f} ms", file=sys.stderr)
    with sessions() as db:
        # One enrolment of the largest OPD in the busiest course.
        changed_id = db.scalar(
            select(func.min(Enrolment.id))
            .join(User, User.id == Enrolment.user_id)
            .where(
                User.opd_id == opd_id,
                User.active.is_(True),
                Enrolment.course_id == course_id,
                Enrolment.final_score.is_not(None),
            )
        )

    def run(fn):
        def call():
            with sessions() as db:
                return fn(db)

        return call

    def csv_export(db):
        summary = opd_summary(db, city)
        filters = exports.describe_filter(city, course_title=None, opd_name=None)
        return exports.to_csv(exports.opd_table(summary, filters))

    def dashboard(db):
        opd_summary(db, city)
        weekly_completions(db, city, today=today)

    def change_one_enrolment():
        with sessions() as db:
            db.execute(
                update(Enrolment)
                .where(Enrolment.id == changed_id)
                .values(final_score=100 - Enrolment.final_score)
            )
            db.commit()

    def full_rebuild(db):
        rollups.rebuild(db)
        db.commit()

    measures = {
        "dashboard kota (ringkasan + tren mingguan)": run(dashboard),
        "opd_summary kota": run(lambda db: opd_summary(db, city)),
        "opd_summary satu kursus": run(lambda db: opd_summary(db, per_course)),
        "opd_summary satu OPD (terbesar)": run(lambda db: opd_summary(db, per_opd)),
        "weekly_completions kota": run(lambda db: weekly_completions(db, city, today=today)),
        "ekspor CSV ringkasan kota": run(csv_export),
        "opd_people halaman 1 (OPD terbesar)": run(lambda db: opd_people(db, city, opd_id)),
        "not_started kota halaman 1": run(lambda db: not_started(db, city, today=today)),
        "jp_year kota": run(lambda db: jp_year(db, today.year)),
    }
    timings = {}
    for label, fn in measures.items():
        timings[label] = _time(fn, repeat)
        print(f"  {label:<45} {timings[label]['min_ms']:>9.1f} ms", file=sys.stderr)
    rollup_measures = {
        "rollup: hitung ulang semua (migrasi)": (lambda: None, run(full_rebuild)),
        "ubah 1 pendaftaran + commit (trigger)": (lambda: None, change_one_enrolment),
        "dashboard kota setelah 1 perubahan": (change_one_enrolment, run(dashboard)),
    }
    for label, (setup, fn) in rollup_measures.items():
        timings[label] = _time_after(setup, fn, repeat)
        print(f"  {label:<45} {timings[label]['min_ms']:>9.1f} ms", file=sys.stderr)
    engine.dispose()
    return {
        "scale": scale,
        "sizes": sizes,
        "generation": generation,
        "first_read": first_read,
        "timings": timings,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=int, action="append", help="ASN per dataset (repeatable; default 10000)"
    )
    parser.add_argument("--per-person", type=int, default=20, help="average enrolments per ASN")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measure")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the generated databases here and reuse them (default: a temporary folder)",
    )
    args = parser.parse_args(argv)
    scales = args.scale or [10_000]
    with tempfile.TemporaryDirectory(prefix="cakap-bench-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        results = [
            bench_scale(s, per_person=args.per_person, repeat=args.repeat, data_dir=data_dir)
            for s in scales
        ]
    labels = list(results[0]["timings"])
    header = f"{'ukuran (min / median, ms)':<45}" + "".join(
        f"{r['scale']:>12,} ASN".rjust(24) for r in results
    )
    print(header)
    print("-" * len(header))
    for label in labels:
        cells = "".join(
            f"{r['timings'][label]['min_ms']:>11.1f} / {r['timings'][label]['median_ms']:<10.1f}"
            for r in results
        )
        print(f"{label:<45}{cells}")
    for r in results:
        gen = r["generation"]
        made = f", dibuat dalam {gen['seconds']} s" if gen else ", data dipakai ulang"
        print(
            f"{r['scale']:,} ASN: {r['sizes']['users']:,} pengguna, "
            f"{r['sizes']['enrolments']:,} pendaftaran{made}; dashboard, baca pertama "
            f"{r['first_read']['ms']:,.1f} ms"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"reports-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(
        json.dumps(
            {
                "machine": {
                    "python": platform.python_version(),
                    "sqlite": sqlite3.sqlite_version,
                    "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                },
                "per_person": args.per_person,
                "repeat": args.repeat,
                "results": results,
            },
            indent=2,
        )
    )
    print(f"Hasil JSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
