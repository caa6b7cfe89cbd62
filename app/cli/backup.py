"""`cakap backup` and `cakap restore`: the SQLite database, signing keys and secret key."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.common import console, fail
from app.config import get_settings


def backup_cmd(
    out: Path = typer.Argument(..., help="Berkas tujuan, mis. cakap-2026-11-23.tar.gz"),
) -> None:
    """Cadangkan database SQLite, kunci tanda tangan dan kunci rahasia (aman saat server jalan)."""
    from app.backup import BackupError, backup

    try:
        members = backup(get_settings(), out)
    except BackupError as exc:
        fail(str(exc))
    console.print(f"Cadangan ditulis ke {out}: {', '.join(members)}")


def restore_cmd(
    archive: Path = typer.Argument(..., help="Berkas cadangan .tar.gz"),
    data_dir: Path = typer.Option(..., "--data-dir", help="Folder data kosong tujuan pemulihan."),
) -> None:
    """Pulihkan cadangan ke folder data kosong (lalu jalankan dengan CAKAP_DATA_DIR=folder itu)."""
    from app.backup import BackupError, restore

    try:
        db_path = restore(archive, data_dir)
    except (BackupError, OSError, EOFError) as exc:
        fail(str(exc))
    console.print(f"Dipulihkan: {db_path}. Jalankan dengan CAKAP_DATA_DIR={data_dir}")
