"""What a certificate says, as data and as the signed JSON payload — no database.

Payload (`CertificateData.to_payload()`), version 1: a flat JSON object whose keys are the
dataclass field names plus `"v": 1`. Only strings, integers and null appear, so every
JCS implementation produces the same bytes: dates are ISO 8601 (`completed_on`
"2026-11-23", `issued_at` "2026-11-23T08:15:00Z", whole seconds, UTC) and the score is a
string with two decimals ("87.50") or null.

Verification code: 16 characters of Crockford base32 (80 random bits), stored and put in
URLs without separators, shown to people as four groups (`format_code`). People may type
it in either case, with spaces or dashes, and with I/L for 1 and O for 0 (`normalize_code`).

QR payload (`qr_url`): `<base_url>/verifikasi/<code>?k=<kid>&s=<signature>`, where `kid`
is the 16-hex-character key id and `signature` the unpadded base64url Ed25519 signature
(86 characters) over the canonical payload. The page looks the certificate up by code,
rebuilds its payload and checks the signature, so a forged or altered record shows as
invalid even if someone tampered with the database. With a 40-character base URL the whole
URL is 176 bytes, which fits a QR code of version 9 at error-correction level M.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote, urlencode

PAYLOAD_VERSION = 1

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 16  # 16 x 5 bits = 80 bits
_CODE_GROUP = 4
_CODE_LOOKALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_CODE_SEPARATORS = re.compile(r"[\s\-]+")
_CODE_RE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")

_SCORE_RE = re.compile(r"-?[0-9]+\.[0-9]{2}")

_TWO_PLACES = Decimal("0.01")


def _round_score(score: float) -> float:
    # Decimal(str(x)) rounds the number as written (87.125 -> 87.13), not its binary value.
    return float(Decimal(str(score)).quantize(_TWO_PLACES, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on, and signed for, one certificate.

    `issued_at` is stored in UTC to the whole second and `score` to two decimals, so the
    PDF, the signed payload and `from_payload(to_payload())` all agree.
    """

    serial: str
    code: str
    holder_name: str
    holder_nip: str | None
    course_title: str
    course_slug: str
    content_hash: str
    jp: int
    jp_category: str | None
    completed_on: date
    score: float | None
    issued_at: datetime
    issuer_city: str
    issuer_office: str
    signer_name: str
    signer_nip: str | None
    signer_title: str

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")
        if isinstance(self.jp, bool) or not isinstance(self.jp, int) or self.jp < 0:
            raise ValueError("jp must be a non-negative integer")
        issued_at = self.issued_at.astimezone(UTC).replace(microsecond=0)
        object.__setattr__(self, "issued_at", issued_at)
        if self.score is not None:
            if not math.isfinite(self.score):
                raise ValueError("score must be a finite number")
            object.__setattr__(self, "score", _round_score(self.score))

    def to_payload(self) -> dict[str, Any]:
        """The JSON object that gets signed: strings, ints and null only."""
        payload: dict[str, Any] = asdict(self)
        payload["v"] = PAYLOAD_VERSION
        payload["completed_on"] = self.completed_on.isoformat()
        payload["issued_at"] = self.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        payload["score"] = None if self.score is None else f"{self.score:.2f}"
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> CertificateData:
        """Inverse of to_payload(); ValueError on anything it would not have produced."""
        if payload.get("v") != PAYLOAD_VERSION:
            raise ValueError(f"unsupported payload version: {payload.get('v')!r}")
        expected = {field.name for field in fields(cls)} | {"v"}
        if set(payload) != expected:
            raise ValueError(f"payload keys differ from {sorted(expected)}")
        values = {name: payload[name] for name in expected - {"v"}}
        _check_types(values)
        values["completed_on"] = date.fromisoformat(values["completed_on"])
        values["issued_at"] = _parse_utc(values["issued_at"])
        if values["score"] is not None:
            if not _SCORE_RE.fullmatch(values["score"]):
                raise ValueError("score must have exactly two decimals")
            values["score"] = float(values["score"])
        return cls(**values)


_OPTIONAL_STR = ("holder_nip", "jp_category", "score", "signer_nip")


def _check_types(values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "jp":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif name in _OPTIONAL_STR:
            ok = value is None or isinstance(value, str)
        else:
            ok = isinstance(value, str)
        if not ok:
            raise ValueError(f"payload field {name!r} has the wrong type")


def _parse_utc(text: str) -> datetime:
    if not text.endswith("Z"):
        raise ValueError("issued_at must be UTC with a trailing Z")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def new_code() -> str:
    """A fresh verification code: 16 Crockford base32 characters, 80 random bits."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str:
    """The stored form of a code as a person typed it (case, spaces, dashes, I/L/O)."""
    return _CODE_SEPARATORS.sub("", text).upper().translate(_CODE_LOOKALIKES)


def is_valid_code(code: str) -> bool:
    """Whether a normalized code has the shape new_code() produces."""
    return _CODE_RE.fullmatch(code) is not None


def format_code(code: str) -> str:
    """A code grouped for reading aloud and typing: `ABCD-EFGH-JKMN-PQRS`."""
    groups = (code[i : i + _CODE_GROUP] for i in range(0, len(code), _CODE_GROUP))
    return "-".join(groups)


def qr_url(base_url: str, code: str, kid: str, signature: str) -> str:
    """The URL put in the QR code; see the module docstring for its format."""
    query = urlencode({"k": kid, "s": signature})
    return f"{base_url.rstrip('/')}/verifikasi/{quote(code, safe='')}?{query}"
