"""`cakap cert verify` and `cakap keys ...`: checking certificate files, managing signing keys.

    cakap cert verify FILE.pdf|FILE.json [--keys jwks.json] [--status-file list.json | --offline]
    cakap keys list
    cakap keys rotate
    cakap keys retire KID

Exit codes: 0 ok (verify: genuine and not revoked, or --offline), 1 problems found
(verify: not genuine, revoked, or revocation status could not be checked; retire: the key
is active or unknown), 2 usage error (unreadable file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from app.cli.common import console, err, fail
from app.config import get_settings

cert_app = typer.Typer(help="Sertifikat.", no_args_is_help=True)
keys_app = typer.Typer(help="Kunci tanda tangan sertifikat (Ed25519).", no_args_is_help=True)

_STATUS_LABELS = {
    "active": "aktif (menandatangani)",
    "superseded": "lama (hanya verifikasi)",
    "retired": "dipensiunkan (hanya verifikasi)",
}


@cert_app.command("verify")
def cert_verify(
    file: Annotated[
        Path, typer.Argument(help="Sertifikat PDF atau berkas JSON (Open Badge / sertifikat.json).")
    ],
    keys: Annotated[
        Path | None,
        typer.Option(help="JWKS kunci publik (unduh dari /.well-known/cakap-keys.json)."),
    ] = None,
    status_file: Annotated[
        Path | None,
        typer.Option(
            "--status-file",
            help="Daftar status pencabutan yang sudah diunduh (dari /status/1), "
            "untuk komputer tanpa internet.",
        ),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="Jangan periksa status pencabutan; hanya tanda tangan berkas."
        ),
    ] = False,
) -> None:
    """Verifikasi sertifikat dan status pencabutannya. Kode keluar 1 bila tidak sah/dicabut."""
    from app.certificates import offline as checks

    settings = get_settings()
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"berkas tidak dapat dibaca: {exc}")
    if keys is not None:
        try:
            public = checks.keys_from_jwks(json.loads(keys.read_text()))
        except (OSError, ValueError) as exc:
            fail(f"berkas kunci tidak valid: {exc}")
    else:
        from app.certificates.signing import KeyStore

        public = KeyStore(settings.signing_keys_dir).public_keys()
    result = checks.verify_file(data, file.name, public, base_url=settings.base_url)
    summary = escape(result.summary)
    if not result.ok:
        err.print(f"[red]TIDAK SAH[/red] — {summary}")
        raise typer.Exit(1)
    if offline:
        console.print(
            f"[green]TANDA TANGAN SAH[/green] — {summary}\n"
            "Status pencabutan tidak diperiksa (--offline)."
        )
        return
    fetch = checks.fetch_url
    if status_file is not None:
        try:
            saved = status_file.read_bytes()
        except OSError as exc:
            fail(f"berkas daftar status tidak dapat dibaca: {exc}")
        fetch = lambda _url: saved  # noqa: E731  (the operator's saved copy of the list)
    status = checks.check_status(result, keys=public, base_url=settings.base_url, fetch=fetch)
    as_of = f" (daftar status per {status.as_of})" if status.as_of else ""
    if status.revoked:
        err.print(f"[red]DICABUT[/red] — {summary}\nSertifikat ini telah dicabut{as_of}.")
        raise typer.Exit(1)
    if status.revoked is None:
        page = (
            f" Periksa di {settings.base_url.rstrip('/')}/verifikasi/{result.code}."
            if result.code
            else ""
        )
        err.print(
            f"[yellow]TANDA TANGAN SAH, STATUS TIDAK DIKETAHUI[/yellow] — {summary}\n"
            f"Status pencabutan tidak dapat diperiksa: {escape(status.problem or '')}.{page}"
        )
        raise typer.Exit(1)
    console.print(f"[green]SAH[/green] — {summary}\nTidak dicabut{as_of}.")


def _key_store():
    from app.certificates.signing import KeyStore

    return KeyStore(get_settings().signing_keys_dir)


@keys_app.command("list")
def keys_list() -> None:
    """Tampilkan semua kunci: id, dibuat, status, algoritme."""
    store = _key_store()
    # Plain aligned lines rather than a table: they never wrap and are easy to grep.
    console.print(f"Kunci tanda tangan di {store.directory}", markup=False)
    row = "{:<16}  {:<16}  {:<48}  {:<15}  {}"
    console.print(row.format("KID", "DIBUAT (UTC)", "STATUS", "ALGORITME", "BERKAS"), markup=False)
    for info in store.describe():
        status = _STATUS_LABELS[info.status]
        if info.retired_at is not None:
            status += f" sejak {info.retired_at:%Y-%m-%d %H:%M}"
        console.print(
            row.format(
                info.kid, f"{info.created:%Y-%m-%d %H:%M}", status, info.algorithm, info.file
            ),
            markup=False,
            highlight=False,
        )


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Buat kunci aktif baru; kunci lama tetap diterbitkan untuk verifikasi."""
    kid = _key_store().rotate()
    console.print(
        f"Kunci aktif baru: {kid}. Sertifikat baru ditandatangani dengan kunci ini; kunci lama "
        "tetap ada di /.well-known/cakap-keys.json dan did.json. Bila server lebih dari satu, "
        "salin folder kunci ke semua server."
    )


@keys_app.command("retire")
def keys_retire(kid: Annotated[str, typer.Argument(help="Id kunci (lihat 'cakap keys list').")]):
    """Pensiunkan kunci lama: tidak pernah menandatangani lagi, tetap memverifikasi."""
    from app.certificates.signing import KeyLifecycleError
    from app.db import utcnow

    try:
        info = _key_store().retire(kid.strip(), now=utcnow())
    except KeyLifecycleError as exc:
        fail(str(exc), 1)
    console.print(
        f"Kunci {info.kid} dipensiunkan sejak {info.retired_at:%Y-%m-%d %H:%M} UTC; "
        "sertifikat yang pernah ditandatanganinya tetap dapat diverifikasi."
    )
