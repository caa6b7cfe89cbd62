"""What both EdDSA cryptosuites share: the proof type and the error they raise."""

from __future__ import annotations

PROOF_TYPE = "DataIntegrityProof"


class ProofError(ValueError):
    """PROOF_GENERATION_ERROR / PROOF_VERIFICATION_ERROR of Data Integrity: this proof
    cannot be made, or cannot be valid whatever its signature."""
