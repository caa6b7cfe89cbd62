"""Open Badges 3.0 export of a certificate, with a did:web issuer — no database.

The credential is an `OpenBadgeCredential` (W3C VC data model 2.0), secured by
`integrity.proofs.add_proof` with Data Integrity proofs ("Data Integrity EdDSA
Cryptosuites v1.0"; which ones and why: docs/verification.md). The holder's NIP never
appears in clear: it is a salted sha256 `IdentityObject`.

did:web: `did_web("https://cakap.kota.go.id")` is `did:web:cakap.kota.go.id`, whose DID
document `did_document()` must be served at `https://cakap.kota.go.id/.well-known/did.json`;
with a path (`https://host:8443/cakap`) the DID is `did:web:host%3A8443:cakap` and the
document lives at `https://host:8443/cakap/did.json`. Each signing key is a Multikey
verification method `<did>#<kid>`.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.certificates.integrity import multibase, xsd
from app.certificates.integrity.jsonld import OB_CONTEXT, VC_CONTEXT
from app.certificates.payload import CertificateData
from app.certificates.signing import raw_public_key

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"

_ED25519_PUB_MULTICODEC = b"\xed\x01"  # varint of multicodec 0xed, "ed25519-pub"


def did_web(base_url: str) -> str:
    """The did:web identifier of the site at `base_url` (port as %3A, path as ':')."""
    parts = urlsplit(base_url)
    if not parts.hostname:
        raise ValueError(f"not an absolute URL: {base_url!r}")
    host = parts.hostname.lower()
    if parts.port is not None:
        host += quote(f":{parts.port}", safe="")
    segments = [quote(segment, safe="") for segment in parts.path.split("/") if segment]
    return ":".join(["did", "web", host, *segments])


def multikey(public_key: Ed25519PublicKey) -> str:
    """`publicKeyMultibase` of an Ed25519 key: base58btc ('z') of 0xed01 + raw key."""
    return multibase.encode(_ED25519_PUB_MULTICODEC + raw_public_key(public_key))


def did_document(base_url: str, keys: dict[str, Ed25519PublicKey]) -> dict[str, Any]:
    """The DID document listing every key (by kid) as an assertion method."""
    did = did_web(base_url)
    methods = [
        {
            "id": f"{did}#{kid}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": multikey(public_key),
        }
        for kid, public_key in keys.items()
    ]
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def openbadge_credential(
    data: CertificateData,
    *,
    base_url: str,
    issuer_did: str,
    achievement_url: str,
    credential_url: str,
    credential_status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The certificate as an unsigned OpenBadgeCredential; secure it with proofs.add_proof().

    `credential_status` (a status_list.entry()) lets verifiers find out about revocation.
    """
    issuer = _issuer_profile(data, base_url=base_url, issuer_did=issuer_did)
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": _identifiers(data),
        "achievement": _achievement(data, achievement_url=achievement_url, issuer=issuer),
    }
    if data.score is not None:
        subject["result"] = [
            {
                "type": ["Result"],
                "resultDescription": _score_description_id(achievement_url),
                "value": f"{data.score:.2f}",
                "status": "Completed",
            }
        ]
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": credential_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer,
        "validFrom": xsd.format_utc(data.issued_at),
        "name": f"Sertifikat {data.course_title}",
        "description": f"Sertifikat pelatihan nomor {data.serial}.",
        "credentialSubject": subject,
    }
    if credential_status is not None:
        credential["credentialStatus"] = dict(credential_status)
    return credential


def _issuer_profile(data: CertificateData, *, base_url: str, issuer_did: str) -> dict[str, Any]:
    return {
        "id": issuer_did,
        "type": ["Profile"],
        "name": f"{data.issuer_office}, {data.issuer_city}",
        "url": base_url,
    }


def _achievement(
    data: CertificateData, *, achievement_url: str, issuer: dict[str, Any]
) -> dict[str, Any]:
    hours = f"{data.jp} JP" + (f", {data.jp_category}" if data.jp_category else "")
    achievement: dict[str, Any] = {
        "id": achievement_url,
        "type": ["Achievement"],
        "achievementType": "Course",
        "name": data.course_title,
        "description": f"Pelatihan {data.course_title} ({hours}) oleh {issuer['name']}.",
        "criteria": {
            "narrative": f"Menyelesaikan seluruh materi dan evaluasi pelatihan "
            f"{data.course_title} sebanyak {data.jp} JP (jam pelajaran)."
        },
        "creator": dict(issuer),
        "humanCode": data.course_slug,
        # The course content the certificate was earned on: a later edit is a new version.
        "version": data.content_hash,
        "inLanguage": "id",
    }
    if data.jp_category:
        achievement["tag"] = [data.jp_category]
    if data.score is not None:
        achievement["resultDescription"] = [
            {
                "id": _score_description_id(achievement_url),
                "type": ["ResultDescription"],
                "name": "Nilai akhir",
                "resultType": "Percent",
                "valueMin": "0",
                "valueMax": "100",
            }
        ]
    return achievement


def _score_description_id(achievement_url: str) -> str:
    return f"{achievement_url}#nilai"


def _identifiers(data: CertificateData) -> list[dict[str, Any]]:
    """The holder's name in clear (wallets display it) and the NIP only as a salted hash."""
    identifiers: list[dict[str, Any]] = [
        {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": data.holder_name,
        }
    ]
    if data.holder_nip:
        salt = identity_salt(data.code)
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityType": "identifier",
                "hashed": True,
                "identityHash": hash_identity(data.holder_nip, salt),
                "salt": salt,
            }
        )
    return identifiers


def identity_salt(code: str) -> str:
    """Per-certificate salt, derived from the secret code so re-exports stay identical.

    A different salt for every certificate keeps a person's credentials from being linked
    by their NIP hash; the hash of the code reveals nothing about the code itself.
    """
    return hashlib.sha256(b"cakap:ob3-identity-salt:" + code.encode("utf-8")).hexdigest()[:32]


def hash_identity(identity: str, salt: str) -> str:
    """Open Badges IdentityHash: `sha256$` + hex sha256 of the identity followed by the salt."""
    return "sha256$" + hashlib.sha256((identity + salt).encode("utf-8")).hexdigest()
