"""Revocation that travels with the credential: W3C Bitstring Status List v1.0 — no database.

Every certificate owns one bit for life (`status_index`, allocated in issuing order). Index
`i` lives in list `i // LIST_BITS + 1` at position `i % LIST_BITS`; each list is published
at `<base_url>/status/<list_id>` as a signed `BitstringStatusListCredential` whose
`encodedList` is "u" + base64url (no padding) of the GZIP-compressed bitstring. Bit 0 is the
most significant bit of the first byte; 1 means revoked. A list holds 131,072 bits (16 KiB),
the specification's minimum, so one bit says nothing about how many certificates exist.

A credential points at its bit with a `BitstringStatusListEntry` (`credentialStatus`);
`check()` is what a verifier does with the entry and the list it fetched.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.certificates.integrity import proofs
from app.certificates.integrity.jsonld import VC_CONTEXT

LIST_BITS = 131_072
STATUS_PURPOSE = "revocation"
ENTRY_TYPE = "BitstringStatusListEntry"
LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
LIST_TYPE = "BitstringStatusList"
# A hostile list could be a gzip bomb: decompress at most this much (64 lists' worth).
_MAX_LIST_BYTES = 64 * LIST_BITS // 8


def position(status_index: int) -> tuple[int, int]:
    """(list id, bit position in that list) of a certificate's status index."""
    if status_index < 0:
        raise ValueError("status index must not be negative")
    list_number, bit = divmod(status_index, LIST_BITS)
    return list_number + 1, bit


def list_url(base_url: str, list_id: int) -> str:
    return f"{base_url.rstrip('/')}/status/{list_id}"


def entry(base_url: str, status_index: int) -> dict[str, str]:
    """The `credentialStatus` of the certificate with this status index."""
    list_id, bit = position(status_index)
    url = list_url(base_url, list_id)
    return {
        "id": f"{url}#{bit}",
        "type": ENTRY_TYPE,
        "statusPurpose": STATUS_PURPOSE,
        "statusListIndex": str(bit),
        "statusListCredential": url,
    }


def encode(revoked_bits: Iterable[int], *, size: int = LIST_BITS) -> str:
    """`encodedList` with the given bit positions set (mtime 0: same bits, same text)."""
    bitstring = bytearray(size // 8)
    for bit in revoked_bits:
        bitstring[bit // 8] |= 0x80 >> (bit % 8)
    compressed = gzip.compress(bytes(bitstring), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode(encoded: Any) -> bytes | None:
    """The bitstring of an `encodedList`, or None if it is not one (never raises)."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        return None
    text = encoded[1:]
    try:
        compressed = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
        bitstring = inflater.decompress(compressed, _MAX_LIST_BYTES)
    except (binascii.Error, ValueError, zlib.error):
        return None
    if inflater.unconsumed_tail or not inflater.eof or len(bitstring) * 8 < LIST_BITS:
        return None  # bigger than any list we publish, truncated, or below the minimum
    return bitstring


def bit_is_set(bitstring: bytes, bit: int) -> bool:
    return bool(bitstring[bit // 8] & (0x80 >> (bit % 8)))


def list_credential(
    *, base_url: str, list_id: int, issuer_did: str, revoked_bits: Iterable[int], now: datetime
) -> dict[str, Any]:
    """The unsigned status list credential; secure it with proofs.add_proof()."""
    url = list_url(base_url, list_id)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer_did,
        "validFrom": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": LIST_TYPE,
            "statusPurpose": STATUS_PURPOSE,
            "encodedList": encode(revoked_bits),
        },
    }


@dataclass(frozen=True)
class StatusCheck:
    """What a status list says about one credential: revoked True/False, or a problem."""

    revoked: bool | None
    problem: str | None = None
    as_of: str | None = None  # the list's validFrom, so a verifier sees how fresh it was


def _unknown(problem: str) -> StatusCheck:
    return StatusCheck(revoked=None, problem=problem)


def _issuer_id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def check(
    status: Any,
    status_list: Any,
    *,
    issuer: Any,
    public_keys_by_method: dict[str, Ed25519PublicKey],
) -> StatusCheck:
    """Check a credential's `credentialStatus` against the list credential it names.

    The list must be the one the entry points to, come from the credential's issuer and
    carry a valid proof by one of its keys; otherwise the answer is "unknown", never
    "not revoked". Messages are Indonesian: the CLI prints them as they are.
    """
    if not isinstance(status, dict) or status.get("type") != ENTRY_TYPE:
        return _unknown("kredensial tidak membawa credentialStatus")
    if status.get("statusPurpose") != STATUS_PURPOSE:
        return _unknown("credentialStatus bukan untuk pencabutan")
    index = status.get("statusListIndex")
    if not isinstance(index, str) or not (index.isascii() and index.isdigit()) or len(index) > 12:
        return _unknown("statusListIndex tidak valid")
    if not isinstance(status_list, dict):
        return _unknown("daftar status bukan objek JSON")
    if status_list.get("id") != status.get("statusListCredential"):
        return _unknown("daftar status bukan yang dirujuk sertifikat")
    if LIST_CREDENTIAL_TYPE not in (status_list.get("type") or []):
        return _unknown("berkas bukan BitstringStatusListCredential")
    if _issuer_id(status_list.get("issuer")) != _issuer_id(issuer):
        return _unknown("daftar status diterbitkan pihak lain")
    if not proofs.verify_proof(status_list, public_keys_by_method):
        return _unknown("tanda tangan daftar status tidak valid")
    subject = status_list.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("statusPurpose") != STATUS_PURPOSE:
        return _unknown("daftar status bukan untuk pencabutan")
    bitstring = decode(subject.get("encodedList"))
    if bitstring is None:
        return _unknown("encodedList tidak dapat dibaca")
    bit = int(index)
    if bit >= len(bitstring) * 8:
        return _unknown("statusListIndex di luar daftar status")
    as_of = status_list.get("validFrom") if isinstance(status_list.get("validFrom"), str) else None
    return StatusCheck(revoked=bit_is_set(bitstring, bit), as_of=as_of)
