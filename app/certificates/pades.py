"""Optional PAdES signature of certificate PDFs with the city's signing certificate.

A QR code and an Ed25519 signature make a certificate verifiable, but not a legally binding
electronic signature (TTE, PP 71/2019). A city holding a certified signing key (PKCS#12,
e.g. from BSrE) configures it, and every PDF is then also signed as PAdES with pyHanko.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from app.config import Settings


@lru_cache(maxsize=4)
def _signer(path: str, password: str | None) -> signers.SimpleSigner:
    signer = signers.SimpleSigner.load_pkcs12(
        pfx_file=path, passphrase=password.encode() if password else None
    )
    if signer is None:
        raise ValueError(f"PKCS#12 {path} tidak dapat dibuka (kata sandi salah?)")
    return signer


def enabled(settings: Settings) -> bool:
    return settings.pades_pkcs12 is not None


def signer_name(settings: Settings) -> str | None:
    """The signing certificate's subject, shown on the verification page."""
    if not enabled(settings):
        return None
    signer = _signer(str(Path(settings.pades_pkcs12)), settings.pades_password)
    return signer.signing_cert.subject.human_friendly


def sign(settings: Settings, pdf: bytes, *, reason: str) -> bytes:
    signer = _signer(str(Path(settings.pades_pkcs12)), settings.pades_password)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name="TTE", reason=reason, location=settings.city_name, name=settings.signer_name
    )
    out = signers.sign_pdf(writer, meta, signer=signer)
    return out.getvalue()
