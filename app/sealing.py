"""Text sealed with a key derived from the instance secret (AES-GCM), so that a copy of
the database alone reveals nothing: activation codes kept for reprinting, queued mails
that carry a password-reset link. Each use names its own `purpose`, which derives a key
of its own."""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@lru_cache(maxsize=16)
def _key(secret: bytes, purpose: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose)
    return AESGCM(key.derive(secret))


def seal(secret: bytes, text: str, *, purpose: bytes) -> str:
    """`text` encrypted (random nonce + AES-GCM), as URL-safe base64."""
    nonce = os.urandom(12)
    return base64.urlsafe_b64encode(
        nonce + _key(secret, purpose).encrypt(nonce, text.encode(), None)
    ).decode()


def unseal(secret: bytes, sealed: str | None, *, purpose: bytes) -> str | None:
    """The text, or None when there is nothing sealed or the secret has changed since."""
    if not sealed:
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return _key(secret, purpose).decrypt(raw[:12], raw[12:], None).decode()
    except (InvalidTag, ValueError):
        return None
