"""Open Badges 3.0 export of a certificate, with a did:web issuer — no database.

The credential is an `OpenBadgeCredential` (W3C VC data model 2.0) secured with a Data
Integrity proof using the `eddsa-jcs-2022` cryptosuite from "Data Integrity EdDSA
Cryptosuites v1.0"; the W3C test vector for that suite is reproduced in the tests. The
holder's NIP never appears in clear: it is a salted sha256 `IdentityObject`.

did:web: `did_web("https://cakap.kota.go.id")` is `did:web:cakap.kota.go.id`, whose DID
document `did_document()` must be served at `https://cakap.kota.go.id/.well-known/did.json`;
with a path (`https://host:8443/cakap`) the DID is `did:web:host%3A8443:cakap` and the
document lives at `https://host:8443/cakap/did.json`. Each signing key is a Multikey
verification method `<did>#<kid>`.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.certificates.payload import CertificateData
from app.certificates.signing import SigningKey, canonical_json, raw_public_key

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"

_ED25519_PUB_MULTICODEC = b"\xed\x01"  # varint of multicodec 0xed, "ed25519-pub"
_SIGNATURE_BYTES = 64


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
    return multibase_base58btc(_ED25519_PUB_MULTICODEC + raw_public_key(public_key))


def multibase_base58btc(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode("ascii")


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
    """The certificate as an unsigned OpenBadgeCredential; secure it with add_proof().

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
        "validFrom": _xsd_datetime(data.issued_at),
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


def _xsd_datetime(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("timestamps in credentials must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_proof(
    credential: dict[str, Any],
    key: SigningKey,
    *,
    verification_method: str,
    created: datetime,
) -> dict[str, Any]:
    """A copy of `credential` with an eddsa-jcs-2022 Data Integrity proof appended.

    Open Badges 3.0's schema wants `proof` as a list; an existing proof is kept and the
    new one signs the document without it (a proof set, as Data Integrity defines).
    """
    unsecured = {name: value for name, value in credential.items() if name != "proof"}
    options: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": _xsd_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    if "@context" in unsecured:
        options["@context"] = copy.deepcopy(unsecured["@context"])
    signature = key.private_key.sign(_hash_data(unsecured, options))
    proof = {**options, "proofValue": multibase_base58btc(signature)}

    secured = copy.deepcopy(credential)
    secured["proof"] = [*_proofs(credential), proof]
    return secured


def _hash_data(unsecured: dict[str, Any], options: dict[str, Any]) -> bytes:
    """sha256(JCS(proof config)) followed by sha256(JCS(document)), per the spec."""
    proof_config = dict(options)
    if "@context" in unsecured:
        proof_config["@context"] = unsecured["@context"]
    return (
        hashlib.sha256(canonical_json(proof_config)).digest()
        + hashlib.sha256(canonical_json(unsecured)).digest()
    )


def _proofs(credential: dict[str, Any]) -> list[Any]:
    proof = credential.get("proof")
    if proof is None:
        return []
    return list(proof) if isinstance(proof, list) else [proof]


def verify_proof(credential: Any, public_keys_by_method: dict[str, Ed25519PublicKey]) -> bool:
    """True if the credential has at least one proof and every proof verifies.

    Only eddsa-jcs-2022 proofs for assertion by a listed verification method count;
    anything malformed or tampered gives False, never an exception.
    """
    if not isinstance(credential, dict):
        return False
    proofs = _proofs(credential)
    unsecured = {name: value for name, value in credential.items() if name != "proof"}
    return bool(proofs) and all(
        _verify_one(unsecured, proof, public_keys_by_method) for proof in proofs
    )


def _verify_one(
    unsecured: dict[str, Any], proof: Any, public_keys: dict[str, Ed25519PublicKey]
) -> bool:
    if not isinstance(proof, dict):
        return False
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    if (
        options.get("type") != PROOF_TYPE
        or options.get("cryptosuite") != CRYPTOSUITE
        or options.get("proofPurpose") != PROOF_PURPOSE
    ):
        return False
    public_key = _lookup(public_keys, options.get("verificationMethod"))
    signature = _decode_proof_value(proof.get("proofValue"))
    if public_key is None or signature is None:
        return False
    if "@context" in options:
        # The proof's context must be the start of the document's (spec, Verify Proof).
        if not _is_prefix(options["@context"], unsecured.get("@context")):
            return False
        unsecured = {**unsecured, "@context": options["@context"]}
    try:
        public_key.verify(signature, _hash_data(unsecured, options))
    except (InvalidSignature, rfc8785.CanonicalizationError, RecursionError):
        return False
    return True


def _lookup(public_keys: dict[str, Ed25519PublicKey], method: Any) -> Ed25519PublicKey | None:
    return public_keys.get(method) if isinstance(method, str) else None


def _decode_proof_value(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value.startswith("z"):
        return None
    try:
        signature = base58.b58decode(value[1:])
    except ValueError:
        return None
    return signature if len(signature) == _SIGNATURE_BYTES else None


def _is_prefix(prefix: Any, context: Any) -> bool:
    if not isinstance(prefix, list):
        prefix = [prefix]
    if not isinstance(context, list):
        context = [context]
    return context[: len(prefix)] == prefix
