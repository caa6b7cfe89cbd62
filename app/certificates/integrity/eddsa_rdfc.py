"""The `eddsa-rdfc-2022` cryptosuite (Data Integrity EdDSA Cryptosuites v1.0, §3.2).

The Linked Data proof 1EdTech's Open Badges 3.0 conformance asks issuers for. As the
Recommendation writes it (https://www.w3.org/TR/vc-di-eddsa/):

- Transformation: the document as RDF (JSON-LD to RDF), canonicalised with RDFC-1.0 and
  serialised as canonical N-Quads (`jsonld.canonicalize`: contexts shipped locally, safe
  mode, bounded work).
- Proof configuration: the proof options with `@context` set to the document's
  `@context` — always, on creating and on verifying; the proof itself carries no
  `@context` — canonicalised the same way.
- Hashing: SHA-256(canonical proof configuration) followed by SHA-256(canonical document).

Two documents with the same RDF meaning (keys reordered, a term spelt as a full IRI)
have the same proof; a term the contexts do not define is refused, never ignored.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from app.certificates.integrity import jsonld, xsd
from app.certificates.integrity.base import PROOF_TYPE, ProofError

NAME = "eddsa-rdfc-2022"


def create(
    unsecured: dict[str, Any],
    options: dict[str, Any],
    *,
    contexts: jsonld.LocalContexts = jsonld.SHIPPED,
) -> tuple[dict[str, Any], bytes]:
    """Create Proof steps 1–4: the proof (still without proofValue) and the bytes to sign."""
    proof = copy.deepcopy(options)
    proof_config = _proof_configuration(unsecured, options, contexts)
    transformed = _transform(unsecured, options, contexts)
    return proof, _hash(transformed, proof_config)


def verify_data(
    unsecured: dict[str, Any],
    proof_options: dict[str, Any],
    *,
    contexts: jsonld.LocalContexts = jsonld.SHIPPED,
) -> bytes:
    """Verify Proof steps 4–6: the bytes the proof's signature must cover (ProofError
    when the document or the proof cannot be canonicalised)."""
    transformed = _transform(unsecured, proof_options, contexts)
    proof_config = _proof_configuration(unsecured, proof_options, contexts)
    return _hash(transformed, proof_config)


def canonical_document(
    unsecured: dict[str, Any], *, contexts: jsonld.LocalContexts = jsonld.SHIPPED
) -> str:
    """The canonical N-Quads a proof covers (for tests and for people debugging one)."""
    return _canonical(unsecured, contexts)


def _transform(
    unsecured: dict[str, Any], options: dict[str, Any], contexts: jsonld.LocalContexts
) -> bytes:
    _check_suite(options)
    return _canonical(unsecured, contexts).encode("utf-8")


def _proof_configuration(
    unsecured: dict[str, Any], options: dict[str, Any], contexts: jsonld.LocalContexts
) -> bytes:
    proof_config = copy.deepcopy(options)
    _check_suite(proof_config)
    if "created" in proof_config and not xsd.is_datetime(proof_config["created"]):
        raise ProofError("created is not an XML Schema dateTime")
    proof_config["@context"] = copy.deepcopy(unsecured.get("@context"))
    return _canonical(proof_config, contexts).encode("utf-8")


def _hash(transformed: bytes, proof_config: bytes) -> bytes:
    return hashlib.sha256(proof_config).digest() + hashlib.sha256(transformed).digest()


def _check_suite(options: dict[str, Any]) -> None:
    if options.get("type") != PROOF_TYPE or options.get("cryptosuite") != NAME:
        raise ProofError(f"not a {PROOF_TYPE} with cryptosuite {NAME}")


def _canonical(document: dict[str, Any], contexts: jsonld.LocalContexts) -> str:
    try:
        return jsonld.canonicalize(document, contexts=contexts)
    except jsonld.CanonicalizationError as exc:
        raise ProofError(f"not canonicalisable as RDF: {exc}") from exc
