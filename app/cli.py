"""The `cakap` command. Subcommands call services; they never duplicate their logic.

Exit codes: 0 ok, 1 problems found, 2 usage or environment error.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError, SQLAlchemyError

import app.models  # noqa: F401  (models and the services that hook into progress)
from app import citytime, migrate
from app.certificates.cli import cert_app, keys_app
from app.config import get_settings
from app.db import make_engine, make_sessionmaker
from app.quizzes.cli import quiz_app
from app.reports.cli import report_app

app = typer.Typer(help="Cakap — LMS pelatihan ASN untuk pemerintah kota.", no_args_is_help=True)
db_app = typer.Typer(help="Migrasi database.", no_args_is_help=True)
user_app = typer.Typer(help="Kelola pengguna.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
courses_app = typer.Typer(help="Kursus dari folder courses/.", no_args_is_help=True)
app.add_typer(courses_app, name="courses")
app.add_typer(quiz_app, name="quiz")
app.add_typer(report_app, name="report")
app.add_typer(cert_app, name="cert")
app.add_typer(keys_app, name="keys")

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]Galat:[/red] {message}")
    raise typer.Exit(code)


@contextmanager
def db_session(check: bool = True):
    settings = get_settings()
    engine = make_engine(settings.db_url)
    try:
        if check:
            migrate.ensure_migrated(engine)
        with make_sessionmaker(engine, settings)() as session:
            yield session
    except migrate.DatabaseNotMigrated as exc:
        _fail(str(exc))
    except OperationalError as exc:
        _fail(f"database tidak dapat dihubungi ({settings.db_url.split('@')[-1]}): {exc.orig}")
    finally:
        engine.dispose()


def _hasher():
    from app.auth.passwords import Hasher

    s = get_settings()
    return Hasher(s.argon2_memory_kib, s.argon2_time_cost, s.argon2_parallelism)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Alamat yang didengarkan."),
    port: int = typer.Option(8000, help="Port."),
    workers: int = typer.Option(1, help="Jumlah proses worker."),
    reload: bool = typer.Option(
        False, help="Muat ulang otomatis saat kode berubah (pengembangan)."
    ),
    proxy_headers: bool = typer.Option(False, help="Percayai X-Forwarded-* dari proxy (nginx)."),
) -> None:
    """Jalankan server web."""
    import uvicorn

    settings = get_settings()
    engine = make_engine(settings.db_url)
    try:
        migrate.ensure_migrated(engine)
    except migrate.DatabaseNotMigrated as exc:
        _fail(str(exc))
    except OperationalError as exc:
        _fail(f"database tidak dapat dihubungi: {exc.orig}")
    finally:
        engine.dispose()
    console.print(f"Cakap berjalan di http://{host}:{port}")
    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=proxy_headers,
        log_level="info",
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Migrasikan database ke revisi terbaru."""
    settings = get_settings()
    try:
        migrate.upgrade(settings.db_url, revision)
    except OperationalError as exc:
        _fail(f"database tidak dapat dihubungi: {exc.orig}")
    except SQLAlchemyError as exc:
        _fail(f"migrasi gagal: {exc}")
    console.print(
        f"Database pada revisi {migrate.head_revision() if revision == 'head' else revision}."
    )


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(..., help="Revisi tujuan, mis. 'base' atau '-1'."),
) -> None:
    """Kembalikan database ke revisi sebelumnya."""
    migrate.downgrade(get_settings().db_url, revision)
    console.print(f"Database diturunkan ke {revision}.")


@db_app.command("current")
def db_current() -> None:
    """Tampilkan revisi database saat ini."""
    engine = make_engine(get_settings().db_url)
    try:
        console.print(
            f"sekarang: {migrate.current_revision(engine)}  terbaru: {migrate.head_revision()}"
        )
    finally:
        engine.dispose()


@app.command()
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
            _fail("database sudah berisi pengguna; data demo hanya untuk database kosong.", 1)
        accounts = demo_data.load(db, hasher=_hasher(), people=people)
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


@user_app.command("create")
def user_create(
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
        _fail(f"peran tidak dikenal: {role}; pilih dari {', '.join(r.value for r in Role)}")
    if password is None:
        password = typer.prompt("Kata sandi", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, nip=nip)
    if problem:
        _fail(problem)
    with db_session() as db:
        opd_row = None
        if opd:
            opd_row = get_opd_by_code(db, opd)
            if opd_row is None:
                _fail(f"OPD dengan kode '{opd}' tidak ada.")
        try:
            user = create_user(
                db,
                full_name=name,
                nip=nip,
                email=email,
                opd=opd_row,
                roles=roles,
                password=password,
                hasher=_hasher(),
            )
            db.commit()
        except UserError as exc:
            _fail(str(exc))
        console.print(
            f"Pengguna #{user.id} {user.full_name} dibuat dengan peran "
            f"{', '.join(sorted(r.value for r in user.roles))}."
        )


@courses_app.command("check")
def courses_check(
    path: Path = typer.Argument(None, help="Folder kursus (bawaan: CAKAP_COURSES_DIR)."),
) -> None:
    """Validasi berkas kursus; keluar dengan kode 1 bila ada galat."""
    from app.courses.loader import load_catalogue, load_course

    root = path or get_settings().courses_dir
    if not root.is_dir():
        _fail(f"folder {root} tidak ada.")
    if (root / "course.yaml").exists():
        course, problems = load_course(root)
        courses = {course.slug: course} if course else {}
    else:
        courses, problems = load_catalogue(root)
    for problem in sorted(problems):
        (err if problem.level == "error" else console).print(str(problem), markup=False)
    errors = [p for p in problems if p.level == "error"]
    warnings = len(problems) - len(errors)
    console.print(f"{len(courses)} kursus valid, {len(errors)} galat, {warnings} peringatan.")
    if errors:
        raise typer.Exit(1)


@courses_app.command("sync")
def courses_sync() -> None:
    """Muat folder kursus ke database (kursus bermasalah tetap pada versi baik terakhir)."""
    from app.courses.sync import sync_courses
    from app.db import utcnow

    settings = get_settings()
    with db_session() as db:
        report = sync_courses(db, root=settings.courses_dir, now=utcnow())
    for problem in report.problems:
        (err if problem.level == "error" else console).print(str(problem), markup=False)
    for label, slugs in report.summary().items():
        if slugs:
            console.print(f"{label}: {', '.join(slugs)}")
    if report.errors:
        raise typer.Exit(1)


users_app = typer.Typer(help="Impor dan kelola ASN.", no_args_is_help=True)
app.add_typer(users_app, name="users")


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
        _fail(f"berkas tidak dapat dibaca: {exc}")
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


@app.command("backup")
def backup_cmd(
    out: Path = typer.Argument(..., help="Berkas tujuan, mis. cakap-2026-11-23.tar.gz"),
) -> None:
    """Cadangkan database SQLite, kunci tanda tangan dan kunci rahasia (aman saat server jalan)."""
    from app.backup import BackupError, backup

    try:
        members = backup(get_settings(), out)
    except BackupError as exc:
        _fail(str(exc))
    console.print(f"Cadangan ditulis ke {out}: {', '.join(members)}")


@app.command("restore")
def restore_cmd(
    archive: Path = typer.Argument(..., help="Berkas cadangan .tar.gz"),
    data_dir: Path = typer.Option(..., "--data-dir", help="Folder data kosong tujuan pemulihan."),
) -> None:
    """Pulihkan cadangan ke folder data kosong (lalu jalankan dengan CAKAP_DATA_DIR=folder itu)."""
    from app.backup import BackupError, restore

    try:
        db_path = restore(archive, data_dir)
    except (BackupError, OSError, EOFError) as exc:
        _fail(str(exc))
    console.print(f"Dipulihkan: {db_path}. Jalankan dengan CAKAP_DATA_DIR={data_dir}")


def main() -> None:  # pragma: no cover - entry point
    app(prog_name="cakap")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
