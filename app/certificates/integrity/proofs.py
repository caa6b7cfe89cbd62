"""Adding and verifying Data Integrity proofs (W3C VC Data Integrity 1.0) — no database.

A proof is a `DataIntegrityProof` made with one of the EdDSA cryptosuites in CRYPTOSUITES
(each module: NAME, `create(unsecured, options) -> (proof, hash data)` and
`verify_data(unsecured, proof_options) -> hash data`, raising ProofError); signing and
checking the hash data with Ed25519, the multibase `proofValue` and the proof-set rules
are the same for all of them and live here.

Proof sets: a document may carry several proofs (Cakap's carry one per cryptosuite). Each
proof without `previousProof` signs the document without any proof; one with
`previousProof` also signs the proofs it names (a proof chain). A document verifies only
if every proof in it does ("Verify Proof Sets and Chains").
"""

from __future__ import annotations

import copy
from datetime import datetime
from types import ModuleType
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.certificates.integrity import eddsa_jcs, eddsa_rdfc, multibase, xsd
from app.certificates.integrity.base import PROOF_TYPE, ProofError
from app.certificates.signing import SigningKey

PROOF_PURPOSE = "assertionMethod"
CRYPTOSUITES: dict[str, ModuleType] = {suite.NAME: suite for suite in (eddsa_jcs, eddsa_rdfc)}
# What Cakap puts on what it issues, in this order (docs/verification.md says why).
ISSUED_CRYPTOSUITES = (eddsa_rdfc.NAME, eddsa_jcs.NAME)

_SIGNATURE_BYTES = 64
# Far above any credential or status list Cakap issues (a few KiB, ~22 KiB at most); a
# bound on what a verifier canonicalises for someone else's file.
MAX_DOCUMENT_BYTES = 1024 * 1024


def add_proof(
    document: dict[str, Any],
    key: SigningKey,
    *,
    verification_method: str,
    created: datetime,
    cryptosuite: str = eddsa_jcs.NAME,
) -> dict[str, Any]:
    """A copy of `document` with one more proof (Open Badges 3.0 wants `proof` a list).

    Proofs already there are kept and not signed by the new one (a proof set).
    """
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": cryptosuite,
        "created": xsd.format_utc(created),
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    proof, hash_data = CRYPTOSUITES[cryptosuite].create(unsecured, options)
    proof["proofValue"] = multibase.encode(key.private_key.sign(hash_data))
    secured = copy.deepcopy(document)
    secured["proof"] = [*proofs_of(document), proof]
    return secured


def add_issuer_proofs(
    document: dict[str, Any], key: SigningKey, *, verification_method: str, created: datetime
) -> dict[str, Any]:
    """`document` with one proof per cryptosuite of ISSUED_CRYPTOSUITES (a proof set)."""
    for cryptosuite in ISSUED_CRYPTOSUITES:
        document = add_proof(
            document,
            key,
            verification_method=verification_method,
            created=created,
            cryptosuite=cryptosuite,
        )
    return document


def proofs_of(document: dict[str, Any]) -> list[Any]:
    proof = document.get("proof")
    if proof is None:
        return []
    return list(proof) if isinstance(proof, list) else [proof]


def verify_proof(document: Any, public_keys_by_method: dict[str, Ed25519PublicKey]) -> bool:
    """True if the document has at least one proof and every proof verifies.

    A proof counts only if it is an assertion by one of the given verification methods
    (keys by verification method id, e.g. from the issuer's DID document), made with a
    known cryptosuite. Anything malformed or tampered gives False, never an exception.
    """
    if not isinstance(document, dict) or not _small_enough(document):
        return False
    all_proofs = proofs_of(document)
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    return bool(all_proofs) and all(
        _verify_one(unsecured, proof, all_proofs, public_keys_by_method) for proof in all_proofs
    )


def _verify_one(
    unsecured: dict[str, Any],
    proof: Any,
    all_proofs: list[Any],
    public_keys: dict[str, Ed25519PublicKey],
) -> bool:
    if not isinstance(proof, dict):
        return False
    suite = CRYPTOSUITES.get(proof.get("cryptosuite"))  # type: ignore[arg-type]
    if (
        suite is None
        or proof.get("type") != PROOF_TYPE
        or proof.get("proofPurpose") != PROOF_PURPOSE
    ):
        return False
    method = proof.get("verificationMethod")
    public_key = public_keys.get(method) if isinstance(method, str) else None
    signature = multibase.decode(proof.get("proofValue"))
    if public_key is None or signature is None or len(signature) != _SIGNATURE_BYTES:
        return False
    input_document = _with_previous_proofs(unsecured, proof, all_proofs)
    if input_document is None:
        return False
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    try:
        public_key.verify(signature, suite.verify_data(input_document, options))
    except (InvalidSignature, ProofError):
        return False
    return True


def _with_previous_proofs(
    unsecured: dict[str, Any], proof: dict[str, Any], all_proofs: list[Any]
) -> dict[str, Any] | None:
    """The document a proof signed: with the proofs its `previousProof` names, if any."""
    previous = proof.get("previousProof")
    if previous is None:
        return unsecured
    wanted = [previous] if isinstance(previous, str) else previous
    if not isinstance(wanted, list) or not all(isinstance(item, str) for item in wanted):
        return None
    by_id = {p.get("id"): p for p in all_proofs if isinstance(p, dict) and "id" in p}
    if any(item not in by_id for item in wanted):
        return None  # "an error MUST be raised": a chain whose link is missing
    return {**unsecured, "proof": [by_id[item] for item in wanted]}


def _small_enough(document: dict[str, Any]) -> bool:
    try:
        return len(rfc8785.dumps(document)) <= MAX_DOCUMENT_BYTES
    except (rfc8785.CanonicalizationError, RecursionError):
        return False
