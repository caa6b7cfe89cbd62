"""Demo data: a city's OPDs, a few dozen ASN with valid-format NIPs and one account per role."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.passwords import Hasher
from app.demo_city import OPDS as CITY_OPDS
from app.opds.models import Opd
from app.users.models import EmploymentStatus, Role, User
from app.users.service import create_user

# The demo city's OPDs: the first of the generated city's (`cakap demo --scale` adds the rest).
OPDS = CITY_OPDS[:12]

FIRST = [
    "Andi",
    "Siti",
    "Rizky",
    "Dewi",
    "Agus",
    "Nur",
    "Putri",
    "Fajar",
    "Wulan",
    "Hendra",
    "Ayu",
    "Bayu",
    "Intan",
    "Yusuf",
    "Ratna",
    "Dimas",
    "Lestari",
    "Arif",
    "Maya",
    "Teguh",
]
LAST = [
    "Saputra",
    "Rahmawati",
    "Pratama",
    "Lestari",
    "Hidayat",
    "Kurniawan",
    "Wijaya",
    "Handayani",
    "Nugroho",
    "Siregar",
    "Harahap",
    "Simanjuntak",
    "Situmorang",
    "Aritonang",
]
JABATAN = [
    "Analis Kebijakan",
    "Pranata Komputer Ahli Pertama",
    "Penata Kelola Sistem dan Teknologi Informasi",
    "Arsiparis",
    "Perencana Ahli Pertama",
    "Pengelola Layanan Operasional",
    "Statistisi Ahli Pertama",
]

# Published on purpose: demo instances only; `cakap demo` refuses a non-empty database.
DEMO_PASSWORD = "cakap-demo-2026"  # noqa: S105


@dataclass
class DemoAccount:
    role: str
    login: str
    name: str


def demo_nip(rng: random.Random, *, gender: int | None = None, tmt_year: int | None = None) -> str:
    birth_year = rng.randint(1975, 2000)
    tmt = tmt_year or min(2025, birth_year + rng.randint(22, 30))
    return (
        f"{birth_year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        f"{tmt}{rng.randint(1, 12):02d}{gender or rng.randint(1, 2)}{rng.randint(1, 999):03d}"
    )


def is_empty(db: Session) -> bool:
    return not db.scalar(select(func.count()).select_from(User))


def load(db: Session, *, hasher: Hasher, people: int = 36, seed: int = 2026) -> list[DemoAccount]:
    """Create demo data in an empty database; returns the demo credentials."""
    rng = random.Random(seed)
    opds = []
    for code, name in OPDS:
        opd = Opd(code=code, name=name)
        db.add(opd)
        opds.append(opd)
    db.flush()
    # Hash once: every demo account shares the same password.
    shared_hash = hasher.hash(DEMO_PASSWORD)
    used: set[str] = set()

    def unique_nip(**kw) -> str:
        while True:
            nip = demo_nip(rng, **kw)
            if nip not in used:
                used.add(nip)
                return nip

    accounts: list[DemoAccount] = []
    fixed = [
        ("admin", "Administrator Cakap", opds[0], {Role.admin}, EmploymentStatus.PNS),
        ("kominfo", "Rina Kusumawardani", opds[0], {Role.kominfo}, EmploymentStatus.PNS),
        ("opd_admin", "Bambang Sutrisno", opds[1], {Role.opd_admin}, EmploymentStatus.PNS),
        ("learner", "Ahmad Fauzi", opds[2], set(), EmploymentStatus.CPNS),
    ]
    for role, name, opd, roles, status in fixed:
        nip = unique_nip(tmt_year=2025 if status is EmploymentStatus.CPNS else None)
        create_user(
            db,
            full_name=name,
            nip=nip,
            email=f"{role.replace('_', '')}@demo.cakap.id",
            opd=opd,
            roles=roles,
            password_hash=shared_hash,
            jabatan=rng.choice(JABATAN),
            golongan="III/a",
            status=status,
        )
        accounts.append(DemoAccount(role=role, login=nip, name=name))
    for i in range(people):
        status = EmploymentStatus.CPNS if i % 3 == 0 else EmploymentStatus.PNS
        create_user(
            db,
            full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            nip=unique_nip(tmt_year=2025 if status is EmploymentStatus.CPNS else None),
            opd=opds[i % len(opds)],
            password_hash=shared_hash,
            jabatan=rng.choice(JABATAN),
            golongan=rng.choice(["III/a", "III/b", "III/c", "II/c"]),
            status=status,
        )
    db.commit()
    return accounts


def progress(db: Session, *, now) -> None:
    """Enrol demo people in the shipped courses with varied progress (CPNS in onboarding)."""
    from datetime import timedelta

    from app.courses.models import Course, CourseModule
    from app.progress import service as progress_service

    rng = random.Random(7)
    courses = {c.slug: c for c in db.scalars(select(Course).where(Course.archived.is_(False)))}
    onboarding = courses.get("orientasi-digital-cpns")
    if onboarding is None:
        return
    modules = list(
        db.scalars(
            select(CourseModule)
            .where(CourseModule.course_id == onboarding.id, CourseModule.archived.is_(False))
            .order_by(CourseModule.position)
        )
    )
    people = db.scalars(
        select(User).where(User.employment_status == EmploymentStatus.CPNS).order_by(User.id)
    ).all()
    for person in people:
        enrolment = progress_service.enrol(
            db,
            user_id=person.id,
            course=onboarding,
            now=now - timedelta(days=20),
            source="assigned",
            due_date=(now + timedelta(days=rng.randint(-5, 30))).date(),
        )
        for module in modules[: rng.randint(0, len(modules))]:
            progress_service.mark_completed(
                db, enrolment=enrolment, module=module, now=now - timedelta(days=rng.randint(0, 15))
            )
