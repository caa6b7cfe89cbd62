"""A generated city: N ASN over 40 OPDs with enrolments, progress and certificates.

Used by `cakap demo --scale N` and by the benchmarks (bench/gen_data.py,
bench/bench_reports.py, bench/seed.py). N ASN are spread over ~40 OPDs (unevenly, as in
a real city), each with about `per_person` enrolments (10-30) in a generated catalogue of
e-learning and bimtek courses, with progress, completions spread over the year up to today,
scores and certificates (about 1 % revoked). Rows go in with SQLAlchemy Core `insert()` and
lists of dicts in chunks, so 100,000 ASN x 20 enrolments take minutes, not hours. Existing
OPDs and courses are reused by code/slug, new people and certificates get ids, NIPs and
serials that do not collide with what is there. Generated people have no password, and
generated certificates carry no valid signature: this is data for reports and
benchmarks, not for logging in or verification. The same seed and year give the same data.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.orm import Session

import app.models  # noqa: F401  (every table in the metadata)
from app import citytime, migrate
from app.certificates.models import Certificate
from app.courses.models import Course
from app.db import make_engine
from app.opds.models import Opd
from app.progress.models import Enrolment
from app.reports import rollups
from app.users.models import User, UserRole

CHUNK = 10_000

OPDS = (
    ("DISKOMINFO", "Dinas Komunikasi dan Informatika"),
    ("BAPPEDA", "Badan Perencanaan Pembangunan Daerah"),
    ("DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil"),
    ("DISDIK", "Dinas Pendidikan dan Kebudayaan"),
    ("DINKES", "Dinas Kesehatan"),
    ("BKPSDM", "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia"),
    ("DPMPTSP", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"),
    ("DISHUB", "Dinas Perhubungan"),
    ("DLH", "Dinas Lingkungan Hidup"),
    ("BPKAD", "Badan Pengelolaan Keuangan dan Aset Daerah"),
    ("DINSOS", "Dinas Sosial"),
    ("SETDA", "Sekretariat Daerah"),
    ("SETWAN", "Sekretariat DPRD"),
    ("INSPEKTORAT", "Inspektorat"),
    ("BAPENDA", "Badan Pendapatan Daerah"),
    ("BPBD", "Badan Penanggulangan Bencana Daerah"),
    ("KESBANGPOL", "Badan Kesatuan Bangsa dan Politik"),
    ("DPUPR", "Dinas Pekerjaan Umum dan Penataan Ruang"),
    ("DISPERKIM", "Dinas Perumahan dan Kawasan Permukiman"),
    ("DISNAKER", "Dinas Tenaga Kerja"),
    ("DISKOPUKM", "Dinas Koperasi dan Usaha Mikro"),
    ("DISPERINDAG", "Dinas Perindustrian dan Perdagangan"),
    ("DISPAR", "Dinas Pariwisata"),
    ("DISPORA", "Dinas Pemuda dan Olahraga"),
    ("DKP", "Dinas Ketahanan Pangan"),
    ("DKPP", "Dinas Kelautan dan Perikanan"),
    ("DPPKB", "Dinas Pengendalian Penduduk dan Keluarga Berencana"),
    ("DP3A", "Dinas Pemberdayaan Perempuan dan Perlindungan Anak"),
    ("DISPUSIP", "Dinas Perpustakaan dan Kearsipan"),
    ("DAMKAR", "Dinas Pemadam Kebakaran dan Penyelamatan"),
    ("SATPOLPP", "Satuan Polisi Pamong Praja"),
    ("DISPERTAN", "Dinas Pertanian"),
    ("RSUD", "Rumah Sakit Umum Daerah"),
    ("KEC-TIMUR", "Kecamatan Kota Timur"),
    ("KEC-BARAT", "Kecamatan Kota Barat"),
    ("KEC-UTARA", "Kecamatan Kota Utara"),
    ("KEC-SELATAN", "Kecamatan Kota Selatan"),
    ("KEC-TENGAH", "Kecamatan Kota Tengah"),
    ("BAGHUKUM", "Bagian Hukum Setda"),
    ("BAGORG", "Bagian Organisasi Setda"),
)
TOPICS = (
    "Orientasi Digital CPNS", "Budaya Kerja BerAKHLAK", "Keamanan Informasi Dasar",
    "Tata Kelola SPBE", "Literasi Data", "Pelayanan Publik Prima", "Manajemen Arsip Digital",
    "Penulisan Naskah Dinas", "Etika Media Sosial ASN", "Pengadaan Barang dan Jasa",
    "Analisis Kebijakan Publik", "Manajemen Risiko", "Perencanaan Anggaran Berbasis Kinerja",
    "Satu Data Indonesia", "Pengelolaan Website OPD", "Kepemimpinan Pengawas",
    "Komunikasi Publik", "Smart City Dasar", "Aplikasi Perkantoran", "Statistik Sektoral",
    "Perlindungan Data Pribadi", "Inovasi Pelayanan", "Pengelolaan Pengaduan SP4N-LAPOR",
    "Desain Layanan Digital", "Dasar Pemrograman Web", "Administrasi Jaringan",
    "Pengelolaan Server", "Dashboard Kinerja", "Sistem Informasi Geografis",
    "Tanda Tangan Elektronik", "Manajemen Proyek TI", "Audit TIK", "Moderasi Beragama",
    "Wawasan Kebangsaan", "Akuntabilitas Kinerja", "Gratifikasi dan Antikorupsi",
    "Kesehatan dan Keselamatan Kerja", "Public Speaking", "Bahasa Inggris Dasar",
    "Penanganan Insiden Siber",
)  # fmt: skip
CATEGORIES = ("teknis", "manajerial", "sosial-kultural")
FIRST = (
    "Agus", "Andi", "Ayu", "Bambang", "Budi", "Citra", "Dewi", "Dian", "Eko", "Fajar", "Fitri",
    "Gita", "Hendra", "Indah", "Joko", "Kartika", "Lestari", "Made", "Nur", "Putri", "Rahmat",
    "Rina", "Sari", "Siti", "Teguh", "Wahyu", "Wayan", "Yogi", "Yulia",
)  # fmt: skip
LAST = (
    "Hidayat", "Kusuma", "Lubis", "Nasution", "Pratama", "Purnomo", "Rahmawati", "Santoso",
    "Saputra", "Setiawan", "Siregar", "Sitompul", "Susanti", "Wibowo", "Wijaya", "Yulianti",
)  # fmt: skip
# (status, share) — most city staff are PNS; CPNS are the yearly intake.
STATUSES = (("PNS", 0.68), ("PPPK", 0.17), ("CPNS", 0.10), ("NON_ASN", 0.05))


def _chunks(rows: Iterator[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _next_id(conn: Connection, column) -> int:
    return (conn.scalar(select(func.max(column))) or 0) + 1


def ensure_opds(conn: Connection, count: int) -> list[int]:
    have = dict(conn.execute(select(Opd.code, Opd.id)).all())
    wanted = OPDS[:count]
    missing = [
        {"code": code, "name": name, "active": True, "created_at": datetime.now(UTC)}
        for code, name in wanted
        if code not in have
    ]
    if missing:
        conn.execute(insert(Opd), missing)
    have = dict(conn.execute(select(Opd.code, Opd.id)).all())
    return [have[code] for code, _ in wanted]


def ensure_courses(conn: Connection, rng: random.Random, now: datetime) -> list[dict]:
    """The generated catalogue: a few CPNS courses, a third bimtek, the rest open to all."""
    rows = []
    for i, topic in enumerate(TOPICS):
        audience = "cpns" if i < 5 else ("bimtek" if i % 3 == 0 else "umum")
        jp = rng.choice((8, 12, 16, 24)) if audience == "bimtek" else rng.choice((2, 3, 4, 6))
        slug = "gen-" + topic.lower().replace(" ", "-")
        rows.append(
            {
                "slug": slug,
                "title": topic,
                "summary": f"Pelatihan {topic} untuk ASN pemerintah kota.",
                "audience": audience,
                "jp": jp,
                "jp_category": CATEGORIES[i % 3],
                "enrolment_mode": "assigned" if audience != "umum" else "open",
                "content_hash": hashlib.sha256(slug.encode()).hexdigest(),
                "assets": [],
                "archived": False,
                "synced_at": now,
            }
        )
    have = set(conn.scalars(select(Course.slug)))
    new = [r for r in rows if r["slug"] not in have]
    if new:
        conn.execute(insert(Course), new)
    ids = dict(conn.execute(select(Course.slug, Course.id)).all())
    return [
        {"id": ids[r["slug"]], "audience": r["audience"], "jp": r["jp"], "slug": r["slug"]}
        for r in rows
    ]


def _nip(rng: random.Random, status: str) -> str:
    birth = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 36))
    tmt = 2025 if status == "CPNS" else min(birth.year + rng.randint(20, 35), 2024)
    month, gender, sequence = rng.randint(1, 12), rng.choice((1, 2)), rng.randint(1, 999)
    return f"{birth:%Y%m%d}{tmt:04d}{month:02d}{gender}{sequence:03d}"


def generate(
    conn: Connection,
    *,
    scale: int,
    opd_count: int = 40,
    per_person: int = 20,
    seed: int = 1,
    year: int | None = None,
    now: datetime | None = None,
    progress: Callable[[str], object] = print,
) -> dict[str, int]:
    """Insert `scale` people with their enrolments and certificates; returns row counts."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    year = year or citytime.local(now).year
    year_start = citytime.start_of(date(year, 1, 1))
    horizon = min(now, citytime.start_of(date(year + 1, 1, 1)))
    span = max((horizon - year_start).total_seconds(), 86400.0)

    opd_ids = ensure_opds(conn, opd_count)
    courses = ensure_courses(conn, rng, now)
    # Uneven OPD sizes, as in a city: schools and health centres dwarf the small bureaus.
    opd_weights = [rng.paretovariate(1.2) for _ in opd_ids]
    used_nips = set(conn.scalars(select(User.nip).where(User.nip.is_not(None))))
    user_id = _next_id(conn, User.id)
    enrolment_id = _next_id(conn, Enrolment.id)
    certificate_id = _next_id(conn, Certificate.id)
    serial_no = conn.scalar(select(func.count()).select_from(Certificate)) or 0

    people: list[dict] = []
    statuses = [s for s, _ in STATUSES]
    status_weights = [w for _, w in STATUSES]
    for _ in range(scale):
        status = rng.choices(statuses, status_weights)[0]
        nip = _nip(rng, status)
        while nip in used_nips:
            nip = _nip(rng, status)
        used_nips.add(nip)
        people.append(
            {
                "id": user_id,
                "nip": nip,
                "full_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "opd_id": rng.choices(opd_ids, opd_weights)[0],
                "employment_status": status,
                "active": rng.random() > 0.03,
                "locale": "id",
                "created_at": year_start,
            }
        )
        user_id += 1
    started = time.perf_counter()
    for batch in _chunks(iter(people)):
        conn.execute(insert(User), batch)
        conn.execute(insert(UserRole), [{"user_id": p["id"], "role": "learner"} for p in batch])
    progress(f"  {len(people):,} ASN ({time.perf_counter() - started:.1f} s)")

    cpns_courses = [c for c in courses if c["audience"] == "cpns"]
    other_courses = [c for c in courses if c["audience"] != "cpns"]
    counts = {"users": len(people), "enrolments": 0, "certificates": 0}
    certificates: list[dict] = []

    def enrolment_rows() -> Iterator[dict]:
        nonlocal enrolment_id, certificate_id, serial_no
        for person in people:
            k = min(
                len(other_courses), max(1, int(rng.triangular(per_person / 2, per_person * 1.5)))
            )
            chosen = rng.sample(other_courses, k)
            if person["employment_status"] == "CPNS":
                chosen = cpns_courses + chosen[: max(0, k - len(cpns_courses))]
            for course in chosen:
                enrolled = year_start + timedelta(seconds=rng.random() * span * 0.9)
                roll = rng.random()
                status = (
                    "completed" if roll < 0.5 else ("in_progress" if roll < 0.78 else "enrolled")
                )
                source = (
                    "assigned"
                    if course["audience"] == "cpns"
                    else ("bimtek" if course["audience"] == "bimtek" else "self")
                )
                due = (
                    citytime.today(enrolled + timedelta(days=rng.randint(14, 90)))
                    if source != "self"
                    else None
                )
                row = {
                    "id": enrolment_id,
                    "user_id": person["id"],
                    "course_id": course["id"],
                    "source": source,
                    "due_date": due,
                    "enrolled_at": enrolled,
                    "started_at": None,
                    "last_activity_at": None,
                    "completed_at": None,
                    "status": status,
                    "items_done": 0,
                    "items_required": 6,
                    "progress_percent": 0,
                    "final_score": None,
                }
                if status != "enrolled":
                    start = enrolled + timedelta(hours=rng.uniform(1, 240))
                    start = min(start, horizon - timedelta(minutes=1))
                    row["started_at"] = start
                    row["last_activity_at"] = start + (horizon - start) * rng.random() * 0.5
                    row["items_done"] = rng.randint(1, 5)
                    row["progress_percent"] = round(row["items_done"] * 100 / 6)
                if status == "completed":
                    done = row["started_at"] + (horizon - row["started_at"]) * rng.random() * 0.6
                    row.update(
                        completed_at=done,
                        last_activity_at=done,
                        items_done=6,
                        progress_percent=100,
                        final_score=round(rng.uniform(60, 100), 2),
                    )
                    serial_no += 1
                    revoked = rng.random() < 0.01
                    serial = f"GEN/{year}/{serial_no:07d}"
                    certificates.append(
                        {
                            "id": certificate_id,
                            "serial": serial,
                            "code": hashlib.sha256(f"{seed}:{serial}".encode())
                            .hexdigest()[:16]
                            .upper(),
                            "enrolment_id": enrolment_id,
                            "user_id": person["id"],
                            "course_id": course["id"],
                            "content_hash": "0" * 64,
                            "jp": course["jp"],
                            "issued_at": done,
                            "payload": {"v": 1, "serial": serial, "generated": True},
                            "kid": "generated",
                            "signature": "-",
                            "revoked_at": done + timedelta(days=1) if revoked else None,
                            "revoked_reason": "Data uji: sertifikat dicabut" if revoked else None,
                        }
                    )
                    certificate_id += 1
                enrolment_id += 1
                yield row

    started = time.perf_counter()
    for batch in _chunks(enrolment_rows()):
        conn.execute(insert(Enrolment), batch)
        counts["enrolments"] += len(batch)
        if len(certificates) >= CHUNK:
            conn.execute(insert(Certificate), certificates)
            counts["certificates"] += len(certificates)
            certificates.clear()
        if counts["enrolments"] % (CHUNK * 20) < CHUNK:
            progress(
                f"  {counts['enrolments']:,} pendaftaran ({time.perf_counter() - started:.1f} s)"
            )
    if certificates:
        conn.execute(insert(Certificate), certificates)
        counts["certificates"] += len(certificates)
    progress(
        f"  {counts['enrolments']:,} pendaftaran, {counts['certificates']:,} sertifikat "
        f"({time.perf_counter() - started:.1f} s)"
    )
    return counts


def add_city(engine: Engine, **kwargs) -> dict[str, int]:
    """Generate into a migrated database in one transaction (all or nothing), then refresh
    the planner's statistics; keyword arguments as for `generate`."""
    with engine.begin() as conn:
        with _rollups_rebuilt_after(conn):
            counts = generate(conn, **kwargs)
        fix_sequences(conn)
    analyze(engine)
    return counts


# The tables whose rows feed the report rollups through triggers.
_ROLLUP_SOURCES = ("users", "enrolments", "certificates")


@contextmanager
def _rollups_rebuilt_after(conn: Connection) -> Iterator[None]:
    """PostgreSQL: bulk-load with the rollup triggers off, then rebuild the rollups once.

    Row by row the triggers made the 10,000-ASN bench city take 260 s to load. Pausing
    them is DDL inside the generating transaction: it holds those tables' locks until
    the commit and rolls back with it, so no other session ever sees them off or the
    rollups incomplete. SQLite cannot pause a trigger; it keeps them (and is fast anyway).
    """
    if conn.dialect.name != "postgresql":
        yield
        return
    for table in _ROLLUP_SOURCES:
        conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    yield
    for table in _ROLLUP_SOURCES:
        conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    with Session(bind=conn, join_transaction_mode="create_savepoint") as db:
        rollups.rebuild(db)
        db.commit()  # releases the savepoint; the generating transaction goes on


def fix_sequences(conn: Connection) -> None:
    """PostgreSQL: move every id sequence past the rows inserted with explicit ids (as
    `generate` and bench/seed.py do), or the app's next INSERT collides with them."""
    if conn.dialect.name != "postgresql":
        return
    tables = conn.exec_driver_sql(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'id' "
        "AND (column_default LIKE 'nextval%%' OR is_identity = 'YES')"
    ).scalars()
    for table in list(tables):
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - catalog names
            f'COALESCE((SELECT max(id) FROM "{table}"), 0) + 1, false)'
        )


def analyze(engine: Engine) -> None:
    """Fresh statistics after bulk inserts, so the planner picks the report indexes."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


def populate(url: str, **kwargs) -> dict[str, int]:
    """Migrate `url`, then `add_city` into it."""
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        return add_city(engine, **kwargs)
    finally:
        engine.dispose()
