"""`cakap users ...`: creating one account, importing ASN from the BKPSDM file."""

from __future__ import annotations

from pathlib import Path

import typer

from app import citytime
from app.cli.common import console, db_session, err, fail, hasher

users_app = typer.Typer(help="Kelola pengguna dan impor ASN.", no_args_is_help=True)


@users_app.command("create")
def users_create(
    name: str = typer.Option(..., "--name", help="Nama lengkap."),
    nip: str = typer.Option(None, "--nip", help="NIP 18 digit."),
    email: str = typer.Option(None, "--email"),
    opd: str = typer.Option(None, "--opd", help="Kode OPD."),
    role: list[str] = typer.Option(
        [], "--role", help="learner, opd_admin, kominfo, admin (boleh berulang)."
    ),
    password: str = typer.Option(
        None, "--password", help="Kata sandi (bila kosong akan ditanyakan).", hide_input=True
    ),
) -> None:
    """Buat pengguna baru."""
    from app.auth.passwords import password_problem
    from app.users.models import Role
    from app.users.service import UserError, create_user, get_opd_by_code

    try:
        roles = {Role(r) for r in role}
    except ValueError:
        fail(f"peran tidak dikenal: {role}; pilih dari {', '.join(r.value for r in Role)}")
    if password is None:
        password = typer.prompt("Kata sandi", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, nip=nip)
    if problem:
        fail(problem)
    with db_session() as db:
        opd_row = None
        if opd:
            opd_row = get_opd_by_code(db, opd)
            if opd_row is None:
                fail(f"OPD dengan kode '{opd}' tidak ada.")
        try:
            user = create_user(
                db,
                full_name=name,
                nip=nip,
                email=email,
                opd=opd_row,
                roles=roles,
                password=password,
                hasher=hasher(),
            )
            db.commit()
        except UserError as exc:
            fail(str(exc))
        console.print(
            f"Pengguna #{user.id} {user.full_name} dibuat dengan peran "
            f"{', '.join(sorted(r.value for r in user.roles))}."
        )


@users_app.command("import")
def users_import(
    file: Path = typer.Argument(..., help="CSV atau XLSX dari BKPSDM."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Hanya pratinjau; tidak ada yang disimpan."
    ),
) -> None:
    """Impor ASN (kunci: NIP/NIK). Kode keluar 1 bila ada baris yang ditolak."""
    from rich.progress import Progress

    from app.db import utcnow
    from app.users import importing

    try:
        content = file.read_bytes()
    except OSError as exc:
        fail(f"berkas tidak dapat dibaca: {exc}")
    now = utcnow()
    with db_session() as db:
        plan = importing.plan_for(
            db,
            content=content,
            filename=file.name,
            opd_scope_id=None,
            today=citytime.today(now),
        )
        for problem in [*plan.rejected, *plan.warnings]:
            where = f"baris {problem.row}" if problem.row else "berkas"
            (err if problem.level == "error" else console).print(
                f"{file.name} {where}: {problem.reason}", markup=False
            )
        counts = plan.counts()
        if not dry_run:
            total = len(plan.create) + len(plan.update)
            with Progress(console=err, transient=True) as bar:
                task = bar.add_task("Mengimpor", total=total or 1)
                counts = importing.apply_plan(
                    db,
                    plan,
                    actor_id=None,
                    now=now,
                    on_batch=lambda done: bar.update(task, completed=done),
                )
    label = "Pratinjau" if dry_run else "Selesai"
    console.print(
        f"{label}: {counts['create']} baru, {counts['update']} diperbarui, "
        f"{counts['unchanged']} tidak berubah, {counts['rejected']} ditolak"
        + (f", {counts['assigned']} penugasan kursus." if "assigned" in counts else ".")
    )
    if counts["rejected"]:
        raise typer.Exit(1)
