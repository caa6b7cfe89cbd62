"""Benchmark: `cakap notify run` against a loopback SMTP server (issue #19).

    .venv/bin/python bench/bench_notify.py [--mails 1000] [--batch 50] [--pg URL]

Seeds --mails people in a fresh database (SQLite in a temporary directory, or the given
empty PostgreSQL database), queues one message each through `enqueue` (as the events do:
rendered text + HTML, in batches of 500 per transaction), starts an aiosmtpd server on
127.0.0.1, then runs the real command (`python -m app.cli notify run`) in a subprocess
and times it. Prints the enqueue rate, the messages per second delivered, and how many
arrived (each exactly once). Figures, not assertions; loopback only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from app import migrate  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import make_engine, make_sessionmaker, utcnow  # noqa: E402
from app.notifications.outbox import enqueue  # noqa: E402
from app.opds.models import Opd  # noqa: E402
from app.users.models import User  # noqa: E402

SECRET = "bench-secret-" + "x" * 40


class Sink:
    def __init__(self):
        self.ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        for line in envelope.content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.lock:
                    self.ids.append(line.split(b":", 1)[1].strip().decode())
                break
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--pg", help="an empty PostgreSQL database URL instead of SQLite")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="cakap-bench-notify-"))
    url = args.pg or f"sqlite:///{tmp / 'cakap.db'}"
    migrate.upgrade(url)
    settings = Settings(database_url=url, data_dir=tmp, secret_key=SECRET)
    engine = make_engine(url)
    maker = make_sessionmaker(engine, settings)
    now = utcnow()
    with maker() as db:
        opd = Opd(code="BENCH", name="OPD Bench")
        db.add(opd)
        db.flush()
        db.execute(
            insert(User),
            [
                {
                    "full_name": f"Pegawai {n:05d}",
                    "email": f"p{n}@bench.go.id",
                    "opd_id": opd.id,
                    "nip": f"1990010120150{n:05d}",
                }
                for n in range(args.mails)
            ],
        )
        db.commit()
        people = db.query(User).order_by(User.id).all()
        started = time.perf_counter()
        for n, person in enumerate(people, 1):
            enqueue(db, recipient=person, kind="smtp_test", dedup_key=f"bench:{n}", now=now)
            if n % 500 == 0:
                db.commit()
        db.commit()
        queued = time.perf_counter() - started
    engine.dispose()

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "CAKAP_DATABASE_URL": url,
        "CAKAP_DATA_DIR": str(tmp),
        "CAKAP_SECRET_KEY": SECRET,
        "CAKAP_SMTP_HOST": "127.0.0.1",
        "CAKAP_SMTP_PORT": str(port),
        "CAKAP_SMTP_STARTTLS": "false",
    }
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "app.cli", "notify", "run", "--batch", str(args.batch)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    controller.stop()

    backend = "postgresql" if args.pg else "sqlite"
    print(f"backend: {backend}; mails: {args.mails}; batch: {args.batch}")
    print(
        f"enqueue (render text+html, insert e-mail + in-app rows): "
        f"{args.mails / queued:,.0f} messages/s ({queued:.2f} s)"
    )
    print(
        f"cakap notify run: {elapsed:.2f} s incl. ~process start-up, "
        f"{len(sink.ids) / elapsed:,.0f} messages/s; exit {result.returncode}: "
        f"{result.stdout.strip()}"
    )
    print(f"arrived: {len(sink.ids)}, distinct Message-IDs: {len(set(sink.ids))}")


if __name__ == "__main__":
    main()
