"""Files that hold secrets or personal data: created readable by the owner only.

The database, the secret key, signing keys, backups and the certificate cache all carry
personal data or keys; under the usual umask 022 they would be created world-readable
(0644), so anyone with a shell on the server could copy them. Created here, they are 0600
and their directories 0700 — whatever the umask. Existing files keep their mode: an
operator who opened one up on purpose (a backup group, say) is not overruled.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """`path` as a directory; a newly created one (and its new parents) is 0700."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another worker made it a moment ago
            continue
        # mkdir's mode is filtered by the umask; chmod is not.
        directory.chmod(DIR_MODE)
    return path


def touch_private(path: Path) -> Path:
    """Create `path` empty with mode 0600 if it does not exist yet (never truncates)."""
    path = Path(path)
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    os.close(fd)
    return path


def open_private_for_writing(path: Path):
    """A binary file object for writing `path` (truncated), mode 0600 even if it existed."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return os.fdopen(fd, "wb")
