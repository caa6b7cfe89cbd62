"""Rotating check-in codes for bimtek days — pure functions, no database.

A code is an HMAC of (session, day, 45-second window) under a key derived from the instance
secret, so every worker computes the same code without storing anything per rotation.
The facilitator's screen shows it as a QR code (a check-in URL) and as six characters of
Crockford base32 for typing. A code is accepted during its own window and the next one,
which leaves a learner at least 45 seconds after the screen changes.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from datetime import datetime
from urllib.parse import urlencode

import segno

WINDOW_SECONDS = 45
CODE_LENGTH = 6
# Crockford base32: no I, L, O or U, so nothing on the screen can be misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# What people type for the letters the alphabet leaves out.
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
# How far back a stale code is still recognised as "expired" rather than "wrong".
_STALE_LOOKBACK_WINDOWS = 12 * 3600 // WINDOW_SECONDS
CHECKIN_PATH = "/bimtek/absen"


class CodeCheck(enum.StrEnum):
    ok = "ok"
    expired = "expired"  # a real code for this day, from an older window
    invalid = "invalid"  # malformed, forged, or for another day or session


def derive_key(secret: bytes) -> bytes:
    """A sub-key for check-in codes, so they never share a key with CSRF or sessions."""
    return hmac.new(secret, b"bimtek-checkin", hashlib.sha256).digest()


def window_of(now: datetime) -> int:
    return int(now.timestamp() // WINDOW_SECONDS)


def seconds_left(now: datetime) -> int:
    """Seconds until the code on screen changes."""
    return WINDOW_SECONDS - int(now.timestamp() % WINDOW_SECONDS)


def code_for(key: bytes, session_id: int, day_id: int, window: int) -> str:
    digest = hmac.new(key, f"{session_id}:{day_id}:{window}".encode(), hashlib.sha256).digest()
    value = int.from_bytes(digest[:4], "big") >> (32 - 5 * CODE_LENGTH)
    chars = []
    for _ in range(CODE_LENGTH):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def current_code(key: bytes, session_id: int, day_id: int, now: datetime) -> str:
    return code_for(key, session_id, day_id, window_of(now))


def normalize(code: object) -> str | None:
    """The code as typed, cleaned (case, spaces, dashes, O/I/L); None if it cannot be one."""
    if not isinstance(code, str) or len(code) > 32:
        return None
    cleaned = code.upper().replace(" ", "").replace("-", "").translate(_READS_AS)
    if len(cleaned) != CODE_LENGTH or any(c not in ALPHABET for c in cleaned):
        return None
    return cleaned


def check_code(key: bytes, session_id: int, day_id: int, code: object, now: datetime) -> CodeCheck:
    """Accept the current and the previous window only. Never raises."""
    cleaned = normalize(code)
    if cleaned is None:
        return CodeCheck.invalid
    window = window_of(now)
    matched = False
    # Compare against both accepted windows every time, so timing does not tell which.
    for w in (window, window - 1):
        matched |= hmac.compare_digest(cleaned, code_for(key, session_id, day_id, w))
    if matched:
        return CodeCheck.ok
    for w in range(window - 2, window - 2 - _STALE_LOOKBACK_WINDOWS, -1):
        if hmac.compare_digest(cleaned, code_for(key, session_id, day_id, w)):
            return CodeCheck.expired
    return CodeCheck.invalid


def checkin_path(session_id: int, day_id: int, code: str) -> str:
    return f"{CHECKIN_PATH}?{urlencode({'sesi': session_id, 'hari': day_id, 'kode': code})}"


def checkin_url(base_url: str, session_id: int, day_id: int, code: str) -> str:
    """The absolute URL a phone camera opens from the QR code."""
    return base_url.rstrip("/") + checkin_path(session_id, day_id, code)


def qr_code(url: str) -> segno.QRCode:
    """Level M: still readable from a projector across a room, or a phone held at an angle."""
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str, *, title: str) -> str:
    """The QR code as inline SVG (no style attributes, so the strict CSP allows it)."""
    return qr_code(url).svg_inline(
        scale=6, border=4, omitsize=True, light="#fff", svgclass="qr", title=title
    )
