"""Consistent online backups of an embedded (SQLite) instance: database + signing keys +
secret key, in one tar.gz. PostgreSQL is backed up with pg_dump (see docs/deploy)."""

from __future__ import annotations

import io
import sqlite3
import tarfile
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from app.config import Settings
from app.files import DIR_MODE, FILE_MODE, open_private_for_writing, private_dir

DB_NAME = "cakap.db"


class BackupError(RuntimeError):
    pass


def backup(settings: Settings, out: Path) -> list[str]:
    """Write `out` (tar.gz); returns the member names. Safe while the server runs."""
    if not settings.is_sqlite:
        raise BackupError(
            "Database PostgreSQL: gunakan pg_dump (lihat docs/deploy/README.md); "
            "cakap backup hanya untuk database SQLite bawaan."
        )
    source = make_url(settings.db_url).database
    members: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = Path(tmp) / DB_NAME
        # VACUUM INTO writes a consistent copy from one read transaction (WAL stays live).
        with sqlite3.connect(source, timeout=30) as conn:
            conn.execute("VACUUM INTO ?", (str(snapshot),))
        # The archive holds the signing keys, the secret key and every person's record.
        with open_private_for_writing(out) as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(snapshot, arcname=DB_NAME)
            members.append(DB_NAME)
            keys = settings.signing_keys_dir
            if keys.is_dir():
                tar.add(keys, arcname="keys")
                members.append("keys/")
            secret = settings.data_dir / "secret_key"
            if secret.exists():
                tar.add(secret, arcname="secret_key")
                members.append("secret_key")
            manifest = f"cakap-backup\ncreated={int(time.time())}\n".encode()
            info = tarfile.TarInfo("MANIFEST")
            info.size = len(manifest)
            tar.addfile(info, io.BytesIO(manifest))
    return members


def restore(archive: Path, data_dir: Path) -> Path:
    """Unpack into an empty data directory; returns the restored database path."""
    private_dir(data_dir)
    if any(data_dir.iterdir()):
        raise BackupError(f"Folder {data_dir} tidak kosong; pulihkan ke folder kosong.")
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        if "MANIFEST" not in names or DB_NAME not in names:
            raise BackupError("Berkas ini bukan cadangan Cakap.")
        tar.extractall(data_dir, filter="data")
    (data_dir / "MANIFEST").unlink(missing_ok=True)
    with sqlite3.connect(data_dir / DB_NAME) as conn:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("Database hasil pemulihan rusak (integrity_check gagal).")
    # The archive's own modes are whatever the backed-up machine had: close everything.
    for path in data_dir.rglob("*"):
        path.chmod(DIR_MODE if path.is_dir() else FILE_MODE)
    return data_dir / DB_NAME
