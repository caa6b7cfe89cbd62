"""Benchmark: import N generated ASN rows (preview + apply), then re-import (no-op).

    .venv/bin/python bench/bench_import.py --rows 10000 [--database-url postgresql+psycopg://…]

Prints a table and writes bench/results/import.json. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import migrate  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import make_engine, make_sessionmaker, utcnow  # noqa: E402
from app.opds.models import Opd  # noqa: E402
from app.users import importing  # noqa: E402

OPDS = ["DISKOMINFO", "BAPPEDA", "DINKES", "DISDIK", "BKPSDM", "DISHUB", "DLH", "SETDA"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument(
        "--database-url", default=None, help="default: a fresh temporary SQLite file"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cakap-bench-import-"))
    url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    csv_path = work / "asn.csv"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "gen_import.py"),
            "--rows",
            str(args.rows),
            "--out",
            str(csv_path),
            "--opds",
            ",".join(OPDS),
        ],
        check=True,
    )
    migrate.upgrade(url)
    settings = Settings(database_url=url, data_dir=work)
    engine = make_engine(url)
    maker = make_sessionmaker(engine, settings)
    with maker() as db:
        for code in OPDS:
            if not db.query(Opd).filter_by(code=code).first():
                db.add(Opd(code=code, name=f"OPD {code}"))
        db.commit()
    content = csv_path.read_bytes()
    results = {"rows": args.rows, "database": url.split(":")[0]}
    with maker() as db:
        now = utcnow()
        t0 = time.perf_counter()
        plan = importing.plan_for(
            db, content=content, filename="asn.csv", opd_scope_id=None, today=now.date()
        )
        results["preview_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        counts = importing.apply_plan(db, plan, actor_id=None, now=now)
        results["apply_s"] = round(time.perf_counter() - t0, 3)
        results["created"] = counts["create"]
        t0 = time.perf_counter()
        again = importing.plan_for(
            db, content=content, filename="asn.csv", opd_scope_id=None, today=now.date()
        )
        results["reimport_preview_s"] = round(time.perf_counter() - t0, 3)
        results["reimport_unchanged"] = again.counts()["unchanged"]
    engine.dispose()
    results["total_s"] = round(results["preview_s"] + results["apply_s"], 3)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "import.json").write_text(json.dumps(results, indent=2))
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
