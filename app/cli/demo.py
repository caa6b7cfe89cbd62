"""`cakap demo`: a demo city in an empty database, and the demo logins."""

from __future__ import annotations

import typer
from rich.table import Table

from app.cli.common import console, db_session, err, fail, hasher
from app.config import get_settings


def demo(
    if_empty: bool = typer.Option(
        False, "--if-empty", help="Lewati bila database sudah berisi pengguna."
    ),
    people: int = typer.Option(36, help="Jumlah ASN contoh."),
    scale: int = typer.Option(
        0,
        "--scale",
        min=0,
        help="Tambahkan N ASN buatan di ~40 OPD dengan pendaftaran, kemajuan dan sertifikat "
        "(untuk uji beban laporan; tanpa kata sandi).",
    ),
) -> None:
    """Isi database dengan data contoh dan tampilkan akun demo."""
    from app import demo as demo_data
    from app import demo_city

    with db_session() as db:
        if not demo_data.is_empty(db):
            if if_empty:
                console.print("Database sudah berisi data; data demo dilewati.")
                # `make run` again: show the logins of the demo city loaded earlier.
                _print_demo_accounts(demo_data.accounts(db))
                return
            fail("database sudah berisi pengguna; data demo hanya untuk database kosong.", 1)
        accounts = demo_data.load(db, hasher=hasher(), people=people)
        _after_demo(db)
        if scale:
            db.commit()
            console.print(f"Membuat {scale:,} ASN buatan …")
            counts = demo_city.add_city(db.get_bind(), scale=scale, progress=console.print)
            console.print(
                f"{counts['users']:,} ASN, {counts['enrolments']:,} pendaftaran, "
                f"{counts['certificates']:,} sertifikat ditambahkan."
            )
    _print_demo_accounts(accounts)


def _print_demo_accounts(accounts) -> None:
    from app import demo as demo_data

    if not accounts:
        return
    table = Table(title="Akun demo (kata sandi sama untuk semua: " + demo_data.DEMO_PASSWORD + ")")
    table.add_column("Peran")
    table.add_column("NIP (login)")
    table.add_column("Nama")
    for a in accounts:
        table.add_row(a.role, a.login, a.name)
    console.print(table)


def _after_demo(db) -> None:
    """Load the shipped courses and play the demo city's activity (app.demo_activity)."""
    from app import demo_activity
    from app.courses.sync import sync_courses
    from app.db import utcnow

    report = sync_courses(db, root=get_settings().courses_dir, now=utcnow())
    if report.errors:
        for problem in report.errors:
            err.print(str(problem), markup=False)
    demo_activity.progress(db, now=utcnow())
