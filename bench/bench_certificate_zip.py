"""Bulk certificate ZIP: time and memory for N certificates (default 1,000), streamed.

    .venv/bin/python bench/bench_certificate_zip.py [--certificates 1000] [--keep DIR]

Builds a scratch SQLite city (one OPD, N ASN who completed one course), issues N real
certificates through the certificate service, then consumes `bulk.zip_stream` as the
route sends it — twice: first with no PDF rendered yet (every PDF is rendered and
cached on the way), then with every PDF cached. It samples the process RSS after every
chunk and prints the growth over the first certificates' level: flat means the archive
is never held in memory. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

import app.models  # noqa: E402, F401  (every table)
from app import migrate, wiring  # noqa: E402
from app.certificates import bulk  # noqa: E402
from app.certificates import service as certificates  # noqa: E402
from app.config import Settings  # noqa: E402
from app.courses.models import Course  # noqa: E402
from app.courses.sync import sync_courses  # noqa: E402
from app.db import make_engine, make_sessionmaker  # noqa: E402
from app.opds.models import Opd  # noqa: E402
from app.progress.models import Enrolment  # noqa: E402
from app.users.models import User  # noqa: E402

COURSE = "orientasi-digital-cpns"


def _mib(value: int) -> float:
    return value / (1024 * 1024)


def build(settings: Settings, count: int) -> list[int]:
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    maker = make_sessionmaker(engine, settings)
    now = datetime.now(UTC)
    with maker() as db:
        report = sync_courses(db, root=settings.courses_dir, now=now)
        if report.errors:
            raise SystemExit(f"course sync failed: {report.errors}")
        course = db.scalar(select(Course).where(Course.slug == COURSE))
        db.add(Opd(code="BKPSDM", name="Badan Kepegawaian dan Pengembangan SDM"))
        db.commit()
        opd_id = db.scalar(select(Opd.id))
    with engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {
                    "nip": f"19900101201501{i:04d}",
                    "full_name": f"Pegawai Uji Ke-{i} Sitì Nurhaliza",
                    "opd_id": opd_id,
                }
                for i in range(count)
            ],
        )
        user_ids = list(conn.scalars(select(User.id).order_by(User.id)))
        conn.execute(
            insert(Enrolment),
            [
                {
                    "user_id": user_id,
                    "course_id": course.id,
                    "status": "completed",
                    "completed_at": now,
                    "progress_percent": 100,
                    "final_score": 88.5,
                }
                for user_id in user_ids
            ],
        )
    with maker() as db:
        for enrolment in db.scalars(select(Enrolment).order_by(Enrolment.id)):
            certificates.issue(db, enrolment=enrolment, now=now)
        db.commit()
        selection = bulk.Selection(course=db.scalar(select(Course).where(Course.slug == COURSE)))
        from app.users.scope import WHOLE_CITY

        ids = bulk.certificate_ids(db, selection=selection, scope=WHOLE_CITY)
    return ids, maker


def run(settings: Settings, maker, ids: list[int], label: str, out: Path) -> dict:
    process = psutil.Process()
    samples: list[int] = []
    started = time.perf_counter()
    digest = hashlib.sha256()
    size = 0
    with out.open("wb") as handle:
        for number, chunk in enumerate(
            bulk.zip_stream(settings, maker, ids, single_course=True), start=1
        ):
            handle.write(chunk)  # what the server hands to the socket, chunk by chunk
            digest.update(chunk)
            size += len(chunk)
            if number % 10 == 0:
                samples.append(process.memory_info().rss)
    seconds = time.perf_counter() - started
    with zipfile.ZipFile(out) as archive:
        entries = len(archive.namelist())
    # The level once the first batch is loaded (imports, fonts, caches warm) vs the rest.
    base = samples[min(5, len(samples) - 1)]
    return {
        "label": label,
        "seconds": seconds,
        "per_certificate_ms": seconds / len(ids) * 1000,
        "archive_mib": _mib(size),
        "entries": entries,
        "rss_base_mib": _mib(base),
        "rss_peak_growth_mib": _mib(max(samples) - base),
        "rss_end_growth_mib": _mib(samples[-1] - base),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certificates", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    args = parser.parse_args(argv)
    wiring.install()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="cakap-zip-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'cakap.db'}",
        data_dir=workdir / "var",
        secret_key="bench-" + "x" * 40,
        courses_dir=ROOT / "courses",
    )
    started = time.perf_counter()
    ids, maker = build(settings, args.certificates)
    print(f"{len(ids)} certificates issued in {time.perf_counter() - started:.1f} s ({workdir})")
    results = [
        run(settings, maker, ids, "PDFs not yet rendered", workdir / "first.zip"),
        run(settings, maker, ids, "PDFs cached", workdir / "second.zip"),
    ]
    print(
        f"{'run':<24}{'time s':>9}{'ms/cert':>9}{'ZIP MiB':>9}{'entries':>9}"
        f"{'RSS MiB':>9}{'peak +':>9}{'end +':>9}"
    )
    for r in results:
        print(
            f"{r['label']:<24}{r['seconds']:>9.1f}{r['per_certificate_ms']:>9.0f}"
            f"{r['archive_mib']:>9.1f}{r['entries']:>9}{r['rss_base_mib']:>9.0f}"
            f"{r['rss_peak_growth_mib']:>9.1f}{r['rss_end_growth_mib']:>9.1f}"
        )
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("CAKAP_TIMEZONE", "Asia/Jakarta")
    raise SystemExit(main())
