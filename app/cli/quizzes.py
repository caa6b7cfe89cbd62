"""`cakap quiz ...` commands. Exit codes: 0 ok, 1 problems reported, 2 usage error."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from app.quizzes.importers import import_quiz, quiz_yaml

quiz_app = typer.Typer(help="Kuis: impor bank soal dari format lain.", no_args_is_help=True)


class ImportFormat(enum.StrEnum):
    gift = "gift"
    aiken = "aiken"


@quiz_app.callback()
def quiz() -> None:
    """Kuis: impor bank soal dari format lain."""
    # A callback keeps `import` a named subcommand even while it is the only one.


@quiz_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="Berkas GIFT atau Aiken yang diimpor.")],
    fmt: Annotated[
        ImportFormat,
        typer.Option(
            "--format", "-f", case_sensitive=False, help="Format berkas: gift atau aiken."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Tulis YAML kuis ke berkas ini (bawaan: stdout)."),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="Judul kuis (bawaan: dari nama berkas).")
    ] = None,
) -> None:
    """Ubah berkas GIFT/Aiken menjadi berkas kuis Cakap (YAML)."""
    try:
        quiz_data, problems = import_quiz(file, fmt.value, title=title)
    except OSError as exc:
        typer.echo(f"{file}: berkas tidak dapat dibaca: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    for problem in problems:
        typer.echo(str(problem), err=True)
    imported = 0 if quiz_data is None else len(quiz_data["questions"])
    if quiz_data is not None:
        _write(quiz_yaml(quiz_data), out)
    typer.echo(f"{imported} soal diimpor, {len(problems)} masalah dilaporkan.", err=True)
    raise typer.Exit(1 if problems else 0)


def _write(yaml_text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(yaml_text, nl=False)
        return
    try:
        out.write_text(yaml_text, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"{out}: tidak dapat menulis berkas: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
