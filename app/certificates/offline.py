"""Verifying a certificate file with the public keys, and its revocation status.

The signature check needs nothing but the public keys (no server, no database). Whether
the certificate was revoked since is a separate question answered by the issuer's signed
status list (`status_list`): `verify_file` returns the `credentialStatus` the file carries
and `check_status` resolves it — by fetching the list online, or from a saved list file.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.certificates import badges, status_list
from app.certificates.integrity import proofs
from app.certificates.payload import CertificateData
from app.certificates.pdf import extract_credential_json, extract_signed_json
from app.certificates.signing import unseal

FETCH_TIMEOUT_SECONDS = 5
_MAX_LIST_RESPONSE = 1024 * 1024  # a 16 KiB bitstring gzips to well under this


@dataclass
class OfflineResult:
    ok: bool
    summary: str
    # The signed `credentialStatus` of a genuine file, when it carries one; `code` is the
    # certificate's verification code, to point people at its page when status is unknown.
    status: dict[str, Any] | None = None
    issuer: str | None = None
    code: str | None = None


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


def methods_for(keys: dict[str, Ed25519PublicKey], *, base_url: str) -> dict[str, Any]:
    """The keys as did:web verification methods of the issuer at `base_url`."""
    issuer = badges.did_web(base_url)
    return {f"{issuer}#{kid}": key for kid, key in keys.items()}


def _describe(payload: dict[str, Any]) -> str:
    data = CertificateData.from_payload(payload)
    course = f"{data.course_title} ({data.jp} JP, {data.completed_on})"
    return f"{data.serial}: {data.holder_name} — {course}"


def verify_file(
    data: bytes, name: str, keys: dict[str, Ed25519PublicKey], *, base_url: str
) -> OfflineResult:
    """A PDF (its embedded sertifikat.json), a sertifikat.json, or an Open Badge credential."""
    methods = methods_for(keys, base_url=base_url)
    if data[:5] == b"%PDF-":
        sealed = extract_signed_json(data)
        if sealed is None:
            return OfflineResult(False, f"{name}: tidak ada data bertanda tangan di dalam PDF")
        payload = unseal(sealed, keys)
        if payload is None:
            return OfflineResult(False, f"{name}: tanda tangan tidak cocok dengan isi sertifikat")
        result = OfflineResult(True, _describe(payload), code=payload.get("code"))
        badge = _json_or_none(extract_credential_json(data))
        # The badge's proof binds its credentialStatus; its id binds it to this certificate.
        expected_id = f"{base_url.rstrip('/')}/verifikasi/{payload.get('code')}"
        if (
            isinstance(badge, dict)
            and badge.get("id") == expected_id
            and proofs.verify_proof(badge, methods)
        ):
            result.status = badge.get("credentialStatus")
            result.issuer = _issuer_id(badge)
        return result
    document = _json_or_none(data)
    if document is None:
        return OfflineResult(False, f"{name}: bukan PDF atau JSON")
    if isinstance(document, dict) and "payload" in document:
        payload = unseal(data, keys)
        if payload is None:
            return OfflineResult(False, f"{name}: tanda tangan tidak cocok dengan isi sertifikat")
        # A bare sertifikat.json carries no status pointer (its payload predates them).
        return OfflineResult(True, _describe(payload), code=payload.get("code"))
    if isinstance(document, dict) and "proof" in document:
        if proofs.verify_proof(document, methods):
            name_ = document.get("name") or document.get("credentialSubject", {}).get(
                "achievement", {}
            ).get("name")
            code = str(document.get("id", "")).rsplit("/verifikasi/", 1)[-1] or None
            return OfflineResult(
                True,
                f"Open Badge sah: {name_}",
                status=document.get("credentialStatus"),
                issuer=_issuer_id(document),
                code=code,
            )
        return OfflineResult(False, f"{name}: bukti (proof) Open Badge tidak valid")
    return OfflineResult(False, f"{name}: format tidak dikenal")


def _json_or_none(data: bytes | None) -> Any:
    if data is None:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _issuer_id(credential: dict[str, Any]) -> Any:
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def fetch_url(url: str) -> bytes:
    """GET a status list over http(s), with a timeout and a size cap (OSError on failure)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise OSError(f"alamat daftar status bukan http(s): {url}")
    # S310: the scheme is checked just above, so file:// and friends never get here.
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
            body = response.read(_MAX_LIST_RESPONSE + 1)
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise OSError(str(getattr(exc, "reason", exc))) from exc
    if len(body) > _MAX_LIST_RESPONSE:
        raise OSError("daftar status terlalu besar")
    return body


def check_status(
    result: OfflineResult,
    *,
    keys: dict[str, Ed25519PublicKey],
    base_url: str,
    fetch: Callable[[str], bytes] = fetch_url,
) -> status_list.StatusCheck:
    """Look up a genuine file's revocation bit; `fetch` gets the statusListCredential URL."""
    if result.status is None:
        return status_list.StatusCheck(
            revoked=None, problem="berkas ini tidak membawa data status (credentialStatus)"
        )
    url = result.status.get("statusListCredential") if isinstance(result.status, dict) else None
    if not isinstance(url, str):
        return status_list.StatusCheck(revoked=None, problem="statusListCredential tidak ada")
    try:
        document = _json_or_none(fetch(url))
    except OSError as exc:
        return status_list.StatusCheck(revoked=None, problem=f"{url} tidak dapat diambil: {exc}")
    if document is None:
        return status_list.StatusCheck(revoked=None, problem=f"{url} bukan JSON")
    return status_list.check(
        result.status,
        document,
        issuer=result.issuer,
        public_keys_by_method=methods_for(keys, base_url=base_url),
    )
