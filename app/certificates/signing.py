"""Ed25519 keys and signatures for certificates — no database.

Keys live as PKCS#8 PEM files named `ed25519-<sequence>.pem` in one directory; the highest
sequence number is the active key. Files are never changed or deleted once published, so
every certificate ever signed keeps verifying after a rotation (`cakap keys rotate`). A
retired key (`cakap keys retire`) gets a marker file `ed25519-<sequence>.retired` beside it:
it is never used to sign again, but its public key stays published. Several worker
processes can share the directory without a lock: a key file is written in full under a
temporary name and then published with `os.link`, which fails if the name is taken. The
loser of a race reads the winner's (complete) file instead of making a second key.

A signature covers the RFC 8785 (JCS) canonical JSON of the payload, so any implementation
that canonicalises the same way can verify it offline with the public key from `jwks()`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

_KEY_FILE = re.compile(r"ed25519-(\d{6})\.pem")
_RETIRED_SUFFIX = ".retired"
_SIGNATURE_BYTES = 64
ALGORITHM = "Ed25519 (EdDSA)"


@dataclass(frozen=True)
class SigningKey:
    """The active private key and its key id."""

    kid: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


@dataclass(frozen=True)
class KeyInfo:
    """One key as `cakap keys list` shows it (no private material)."""

    kid: str
    file: str
    created: datetime
    # active: signs new certificates; superseded: an older key, verification only;
    # retired: marked never to sign again (verification only, for good).
    status: str
    retired_at: datetime | None
    algorithm: str = ALGORITHM


class KeyLifecycleError(ValueError):
    """A key operation that would break signing or names an unknown key."""


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex characters of sha256 over the raw 32-byte public key."""
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()[:16]


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes | None:
    """Decode unpadded base64url; None unless `text` is the canonical encoding."""
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    # Only one spelling per signature: reject padding and non-zero trailing bits.
    return raw if b64url_encode(raw) == text else None


class KeyStore:
    """Signing keys in a directory shared by all worker processes."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        # Published files never change, so parsed keys can be cached by file name.
        self._loaded: dict[str, SigningKey] = {}

    def current(self) -> SigningKey:
        """The active key (the newest); creates one when there is none or it is retired."""
        names = self._key_files()
        if not names:
            return self._publish(1)
        if self._retired_at(names[-1]) is not None:
            # `retire` refuses the active key, so only a hand-made marker gets here. Never
            # fall back to an older key: that would undo a rotation.
            return self._publish(self._sequence(names[-1]) + 1)
        return self._load(names[-1])

    def rotate(self) -> str:
        """Make a new active key and return its kid; older keys stay for verification."""
        names = self._key_files()
        return self._publish(self._sequence(names[-1]) + 1 if names else 1).kid

    def describe(self) -> list[KeyInfo]:
        """Every key, oldest first, with its creation time and lifecycle status."""
        names = self._key_files()
        infos = []
        for position, name in enumerate(names):
            retired_at = self._retired_at(name)
            if retired_at is not None:
                status = "retired"
            elif position == len(names) - 1:
                status = "active"
            else:
                status = "superseded"
            created = (self.directory / name).stat().st_mtime
            infos.append(
                KeyInfo(
                    kid=self._load(name).kid,
                    file=name,
                    created=datetime.fromtimestamp(created, UTC),
                    status=status,
                    retired_at=retired_at,
                )
            )
        return infos

    def retire(self, kid: str, *, now: datetime) -> KeyInfo:
        """Mark key `kid` retired: never signs again, still verifies what it signed.

        Refuses the active key (also when it is the only one): rotate first, so that there
        is always a key to sign with. Retiring a retired key changes nothing.
        """
        infos = {info.kid: info for info in self.describe()}
        info = infos.get(kid)
        if info is None:
            raise KeyLifecycleError(f"kunci {kid} tidak ada")
        if info.status == "active":
            raise KeyLifecycleError(
                f"kunci {kid} adalah kunci aktif; jalankan 'cakap keys rotate' dahulu"
            )
        if info.status == "retired":
            return info
        marker = self.directory / (info.file.removesuffix(".pem") + _RETIRED_SUFFIX)
        try:
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process retired it a moment ago
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(now.astimezone(UTC).isoformat())
        return next(i for i in self.describe() if i.kid == kid)

    def _retired_at(self, name: str) -> datetime | None:
        marker = self.directory / (name.removesuffix(".pem") + _RETIRED_SUFFIX)
        try:
            text = marker.read_text().strip()
        except FileNotFoundError:
            return None
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            # A marker is what retires a key; unreadable content still counts.
            return datetime.fromtimestamp(marker.stat().st_mtime, UTC)

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        """Every key ever created, retired ones too, by kid, so old certificates verify."""
        keys = (self._load(name) for name in self._key_files())
        return {key.kid: key.public_key for key in keys}

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public keys as an RFC 8037 JWK set (OKP / Ed25519)."""
        return {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": b64url_encode(raw_public_key(public_key)),
                    "kid": kid,
                    "use": "sig",
                    "alg": "EdDSA",
                }
                for kid, public_key in self.public_keys().items()
            ]
        }

    def _key_files(self) -> list[str]:
        """Published key file names, oldest first (zero-padded, so name order is age)."""
        self._ensure_directory()
        return sorted(
            entry.name for entry in os.scandir(self.directory) if _KEY_FILE.fullmatch(entry.name)
        )

    def _ensure_directory(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkdir leaves an existing directory's mode alone; private keys need it closed.
        if self.directory.stat().st_mode & 0o077:
            self.directory.chmod(0o700)

    @staticmethod
    def _sequence(name: str) -> int:
        match = _KEY_FILE.fullmatch(name)
        assert match is not None  # only names from _key_files() get here
        return int(match.group(1))

    def _load(self, name: str) -> SigningKey:
        cached = self._loaded.get(name)
        if cached is None:
            pem = (self.directory / name).read_bytes()
            private_key = serialization.load_pem_private_key(pem, password=None)
            if not isinstance(private_key, Ed25519PrivateKey):
                raise ValueError(f"{self.directory / name} is not an Ed25519 private key")
            cached = SigningKey(kid=key_id(private_key.public_key()), private_key=private_key)
            self._loaded[name] = cached
        return cached

    def _publish(self, sequence: int) -> SigningKey:
        """Create key number `sequence`, or load it if another process got there first."""
        name = f"ed25519-{sequence:06d}.pem"
        private_key = Ed25519PrivateKey.generate()
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        temporary = self.directory / f".tmp-{secrets.token_hex(8)}"
        # O_EXCL + 0600: the file is never readable by others, not even for a moment.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                # Atomic publish of a complete file; fails if the name is already taken.
                os.link(temporary, self.directory / name)
            except FileExistsError:
                return self._load(name)
        finally:
            temporary.unlink(missing_ok=True)
        return self._load(name)


def canonical_json(payload: Any) -> bytes:
    """RFC 8785 (JCS) canonical UTF-8 JSON, the exact bytes that get signed."""
    return rfc8785.dumps(payload)


def sign(payload: dict[str, Any], key: SigningKey) -> str:
    """Ed25519 signature over canonical_json(payload), base64url without padding."""
    return b64url_encode(key.private_key.sign(canonical_json(payload)))


def verify(payload: Any, kid: Any, signature: Any, keys: dict[str, Ed25519PublicKey]) -> bool:
    """True only for a valid signature by a known key; never raises on bad input."""
    if not isinstance(kid, str) or not isinstance(signature, str) or kid not in keys:
        return False
    raw_signature = b64url_decode(signature)
    if raw_signature is None or len(raw_signature) != _SIGNATURE_BYTES:
        return False
    try:
        keys[kid].verify(raw_signature, canonical_json(payload))
    except (InvalidSignature, rfc8785.CanonicalizationError, RecursionError):
        # Canonicalisation fails on data JSON cannot carry (NaN, huge ints, odd types);
        # RecursionError on absurdly deep nesting. Both mean: not a valid signature.
        return False
    return True


def seal(payload: dict[str, Any], key: SigningKey) -> bytes:
    """The signed document `{"payload", "kid", "signature"}` as canonical JSON bytes.

    This is what the PDF carries as `sertifikat.json` for offline verification.
    """
    document = {"payload": payload, "kid": key.kid, "signature": sign(payload, key)}
    return canonical_json(document)


def unseal(data: bytes, keys: dict[str, Ed25519PublicKey]) -> dict[str, Any] | None:
    """The payload of a sealed document if its signature verifies, else None."""
    try:
        document = json.loads(data)
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("payload"), dict):
        return None
    payload = document["payload"]
    if not verify(payload, document.get("kid"), document.get("signature"), keys):
        return None
    return payload
