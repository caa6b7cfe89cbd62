"""`cakap courses ...`: checking course folders and loading them into the database."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.common import console, db_session, err, fail
from app.config import get_settings

courses_app = typer.Typer(help="Kursus dari folder courses/.", no_args_is_help=True)


@courses_app.command("check")
def courses_check(
    path: Path = typer.Argument(None, help="Folder kursus (bawaan: CAKAP_COURSES_DIR)."),
) -> None:
    """Validasi berkas kursus; keluar dengan kode 1 bila ada galat."""
    from app.courses.loader import load_catalogue, load_course

    root = path or get_settings().courses_dir
    if not root.is_dir():
        fail(f"folder {root} tidak ada.")
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
