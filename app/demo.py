"""Demo data: a city's OPDs, a few dozen ASN with valid-format NIPs, one account per role
(plus a bimtek facilitator), and activity that makes every report show something: learners
at every stage, a bimtek session running today, certificates over the past year.

Activity goes through the real services (enrolment, module completion, quiz attempts,
nominations, attendance, revocation), so certificates are issued and signed as in use."""

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


# The demo accounts, in the order they are printed; found again by their e-mail.
ACCOUNT_ROLES = ("admin", "kominfo", "opd_admin", "learner", "fasilitator")


def demo_email(role: str) -> str:
    return f"{role.replace('_', '')}@demo.cakap.id"


def accounts(db: Session) -> list[DemoAccount]:
    """The demo accounts present in the database, found by their e-mail addresses."""
    emails = {demo_email(role): role for role in ACCOUNT_ROLES}
    users = {u.email: u for u in db.scalars(select(User).where(User.email.in_(emails)))}
    return [
        DemoAccount(role=role, login=user.nip or user.email, name=user.full_name)
        for email, role in emails.items()
        if (user := users.get(email)) is not None
    ]


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
            email=demo_email(role),
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
        # The second person (a PNS) facilitates the demo bimtek: a login of their own.
        facilitator = i == 1
        user = create_user(
            db,
            full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            nip=unique_nip(tmt_year=2025 if status is EmploymentStatus.CPNS else None),
            email=demo_email("fasilitator") if facilitator else None,
            opd=opds[i % len(opds)],
            password_hash=shared_hash,
            jabatan=rng.choice(JABATAN),
            golongan=rng.choice(["III/a", "III/b", "III/c", "II/c"]),
            status=status,
        )
        if facilitator:
            accounts.append(DemoAccount(role="fasilitator", login=user.nip, name=user.full_name))
    db.commit()
    return accounts
