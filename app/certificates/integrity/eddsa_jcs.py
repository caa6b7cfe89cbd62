"""The `eddsa-jcs-2022` cryptosuite (Data Integrity EdDSA Cryptosuites v1.0, §3.3) — pure.

Step by step as the Recommendation writes it (https://www.w3.org/TR/vc-di-eddsa/):

- Create Proof: the proof is a clone of the options; if the document has an `@context`,
  the proof gets that `@context` (step 2 — "strongly advised", so proofs stay valid in
  proof sets and chains). The proof configuration is the JCS of that proof.
- Verify Proof: the proof configuration is the JCS of the proof as received, without
  `proofValue` — its `@context` only if the proof carries one. When it does, the
  document's `@context` must start with it, and the document is hashed with the proof's
  `@context`. (Cakap used to add the document's `@context` to every proof configuration:
  it rejected proofs made without step 2, such as the Recommendation's earlier test
  vector, and accepted its own proofs with `proof.@context` stripped, which the
  Recommendation's verifier rejects.)
- Hashing: SHA-256(canonical proof configuration) followed by SHA-256(canonical document).

Signing and the Ed25519 check are the same for both EdDSA suites (`proofs.py`).
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import rfc8785

from app.certificates.integrity import xsd
from app.certificates.integrity.base import PROOF_TYPE, ProofError

NAME = "eddsa-jcs-2022"


def create(unsecured: dict[str, Any], options: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """Create Proof steps 1–5: the proof (still without proofValue) and the bytes to sign."""
    proof = copy.deepcopy(options)
    if "@context" in unsecured:
        proof["@context"] = copy.deepcopy(unsecured["@context"])
    proof_config = _proof_configuration(proof)
    transformed = _transform(unsecured, options)
    return proof, _hash(transformed, proof_config)


def verify_data(unsecured: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    """Verify Proof steps 4–7: the bytes the proof's signature must cover.

    `proof_options` is the proof without `proofValue`. ProofError when no signature can
    make this proof valid (its @context is not where the document's begins, bad options).
    """
    if "@context" in proof_options:
        if not _starts_with(unsecured.get("@context"), proof_options["@context"]):
            raise ProofError("the document's @context does not start with the proof's")
        unsecured = {**unsecured, "@context": proof_options["@context"]}
    transformed = _transform(unsecured, proof_options)
    proof_config = _proof_configuration(proof_options)
    return _hash(transformed, proof_config)


def _transform(unsecured: dict[str, Any], options: dict[str, Any]) -> bytes:
    _check_suite(options)
    return _jcs(unsecured)


def _proof_configuration(options: dict[str, Any]) -> bytes:
    _check_suite(options)
    if "created" in options and not xsd.is_datetime(options["created"]):
        raise ProofError("created is not an XML Schema dateTime")
    return _jcs(options)


def _hash(transformed: bytes, proof_config: bytes) -> bytes:
    return hashlib.sha256(proof_config).digest() + hashlib.sha256(transformed).digest()


def _check_suite(options: dict[str, Any]) -> None:
    if options.get("type") != PROOF_TYPE or options.get("cryptosuite") != NAME:
        raise ProofError(f"not a {PROOF_TYPE} with cryptosuite {NAME}")


def _jcs(value: Any) -> bytes:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, RecursionError) as exc:
        # NaN, integers beyond 2**53, non-JSON types, absurd nesting: nothing to sign.
        raise ProofError(f"not canonicalisable as JSON: {exc}") from exc


def _starts_with(context: Any, prefix: Any) -> bool:
    context = context if isinstance(context, list) else [context]
    prefix = prefix if isinstance(prefix, list) else [prefix]
    return context[: len(prefix)] == prefix
