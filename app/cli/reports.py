"""`cakap report ...`: the dashboard's reports as files, for cron jobs and e-mail.

    cakap report opd-completion --course orientasi-digital-cpns --format pdf \\
        --out /srv/laporan/capaian-$(date +%F).pdf --from 2026-01-01 --to 2026-03-31
    cakap report rollups [--rebuild]

Exit codes: 0 written (rollups: exact), 1 rollups differ from the data or were computed
in another time zone than CAKAP_TIMEZONE, 2 usage error (unknown course, bad date or
status, unwritable file).
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import console, db_session, err, fail

report_app = typer.Typer(help="Laporan capaian pelatihan (berkas CSV/XLSX/PDF).")


class Format(enum.StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"


@report_app.callback(no_args_is_help=True)
def report() -> None:
    """Laporan capaian pelatihan (berkas CSV/XLSX/PDF)."""
    # A callback keeps the subcommands named (`cakap report opd-completion`).


@report_app.command("opd-completion")
def opd_completion(
    out: Annotated[Path, typer.Option("--out", "-o", help="Berkas yang ditulis.")],
    fmt: Annotated[
        Format, typer.Option("--format", "-f", case_sensitive=False, help="csv, xlsx atau pdf.")
    ] = Format.csv,
    course: Annotated[
        str | None, typer.Option("--course", help="Slug kursus (bawaan: semua kursus).")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Awal periode penyelesaian, TTTT-BB-HH.")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Akhir periode penyelesaian, TTTT-BB-HH.")
    ] = None,
    status: Annotated[
        str, typer.Option("--status", help="all, CPNS, PNS, PPPK atau NON_ASN.")
    ] = "all",
    audience: Annotated[str, typer.Option("--audience", help="all, cpns atau bimtek.")] = "all",
) -> None:
    """Capaian per OPD — angka yang sama dengan halaman /laporan untuk filter yang sama."""
    from app.city import service as city
    from app.config import get_settings
    from app.db import utcnow
    from app.reports import exports, lookups, pdf
    from app.reports.filters import FilterError
    from app.reports.opd_summary import opd_summary
    from app.reports.selection import build_filter
    from app.users.scope import WHOLE_CITY

    params = {
        "kursus": course,
        "sasaran": audience,
        "status": status,
        "dari": date_from,
        "sampai": date_to,
    }
    settings = get_settings()
    now = utcnow()
    with db_session() as db:
        try:
            f = build_filter(db, params, scope=WHOLE_CITY)
        except FilterError as exc:
            fail(str(exc))
        summary = opd_summary(db, f)
        filters = exports.describe_filter(
            f, course_title=lookups.course_title(db, f.course_id), opd_name=None
        )
        signer, logo = city.signer(db, settings), city.logo(db)
    if fmt is Format.pdf:
        body = pdf.summary_pdf(
            summary, settings=settings, signer=signer, filters=filters, generated_at=now, logo=logo
        )
    elif fmt is Format.xlsx:
        table = exports.opd_table(summary, filters)
        body = exports.to_xlsx(table, settings=settings, generated_at=now)
    else:
        body = exports.to_csv(exports.opd_table(summary, filters))
    try:
        out.write_bytes(body)
    except OSError as exc:
        fail(f"berkas {out} tidak dapat ditulis: {exc.strerror or exc}")
    t = summary.totals
    percent = "—" if t.completion_percent is None else f"{t.completion_percent:.1f}%"
    console.print(
        f"{out}: {len(summary.rows)} OPD, {t.completed} dari {t.enrolled} pendaftaran selesai "
        f"({percent}), {t.certificates} sertifikat, {t.jp} JP."
    )


@report_app.command("rollups")
def rollups_check(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Hitung ulang semua ringkasan dari data.")
    ] = False,
) -> None:
    """Periksa ringkasan dasbor (rollup) terhadap data; --rebuild menghitung ulang semuanya.

    Trigger database menjaga ringkasan tetap tepat; pemeriksaan ini untuk setelah data
    diubah tanpa trigger (mis. SQL manual dengan trigger dimatikan) dan setelah
    CAKAP_TIMEZONE diubah (minggu, triwulan dan tahun dihitung ulang menurut zona baru).
    """
    from app.reports import rollups

    with db_session() as db:
        if rebuild:
            zone = rollups.configured_zone()
            rollups.rebuild(db, zone)
            db.commit()
            console.print(f"Ringkasan dasbor dihitung ulang dari data (zona waktu {zone.name}).")
            return
        zone_problem = rollups.zone_problem(db)
        problems = rollups.differences(db)
    if not problems and not zone_problem:
        console.print("Ringkasan dasbor sesuai dengan data.")
        return
    if zone_problem:
        err.print(zone_problem, markup=False, highlight=False)
    if problems:
        err.print(f"{len(problems)} baris ringkasan berbeda dari data, misalnya:")
        for line in problems[:20]:
            err.print("  " + line, markup=False, highlight=False)
        err.print("Jalankan 'cakap report rollups --rebuild'.")
    raise typer.Exit(1)
