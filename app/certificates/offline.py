"""Verifying a certificate file with nothing but the public keys (no server, no database)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.certificates import badges
from app.certificates.payload import CertificateData
from app.certificates.pdf import extract_signed_json
from app.certificates.signing import unseal


@dataclass
class OfflineResult:
    ok: bool
    summary: str


def keys_from_jwks(jwks: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    keys = {}
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "kid" not in jwk:
            continue
        raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(raw)
    if not keys:
        raise ValueError("tidak ada kunci Ed25519 dalam JWKS")
    return keys


def _describe(payload: dict[str, Any]) -> str:
    data = CertificateData.from_payload(payload)
    course = f"{data.course_title} ({data.jp} JP, {data.completed_on})"
    return f"{data.serial}: {data.holder_name} — {course}"


def verify_file(
    data: bytes, name: str, keys: dict[str, Ed25519PublicKey], *, base_url: str
) -> OfflineResult:
    """A PDF (its embedded sertifikat.json), a sertifikat.json, or an Open Badge credential."""
    if data[:5] == b"%PDF-":
        sealed = extract_signed_json(data)
        if sealed is None:
            return OfflineResult(False, f"{name}: tidak ada data bertanda tangan di dalam PDF")
        payload = unseal(sealed, keys)
        if payload is None:
            return OfflineResult(False, f"{name}: tanda tangan tidak cocok dengan isi sertifikat")
        return OfflineResult(True, _describe(payload))
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return OfflineResult(False, f"{name}: bukan PDF atau JSON")
    if isinstance(document, dict) and "payload" in document:
        payload = unseal(data, keys)
        if payload is None:
            return OfflineResult(False, f"{name}: tanda tangan tidak cocok dengan isi sertifikat")
        return OfflineResult(True, _describe(payload))
    if isinstance(document, dict) and "proof" in document:
        issuer = badges.did_web(base_url)
        methods = {f"{issuer}#{kid}": key for kid, key in keys.items()}
        if badges.verify_proof(document, methods):
            name_ = document.get("name") or document.get("credentialSubject", {}).get(
                "achievement", {}
            ).get("name")
            return OfflineResult(True, f"Open Badge sah: {name_}")
        return OfflineResult(False, f"{name}: bukti (proof) Open Badge tidak valid")
    return OfflineResult(False, f"{name}: format tidak dikenal")
