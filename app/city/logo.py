"""The city's logo as printed on certificates and report PDFs — no database.

An uploaded image is untrusted: it is checked by its header before any pixel is decoded
(format, dimensions), then decoded once and re-encoded as a small PNG. What is stored
and embedded in PDFs is only that re-encoded file, never the upload: no metadata, no
trailing bytes, no second image hidden in a JPEG, and a decompression bomb is refused
from its header alone.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image, UnidentifiedImageError

from app.i18n import gettext as _

MAX_UPLOAD_BYTES = 1024 * 1024
# A logo scanned at 300 dpi is ~2,500 px; much more is not a logo (and may be a bomb).
MAX_SIDE = 5000
# Enough for a crisp 30 mm mark on paper (≈ 400 dpi).
STORED_SIDE = 512
FORMATS = {"PNG", "JPEG"}


class LogoError(ValueError):
    pass


def normalise(upload: bytes) -> bytes:
    """The upload as a PNG of at most STORED_SIDE px a side, or LogoError in Indonesian."""
    if not upload:
        raise LogoError(_("Pilih berkas logo (PNG atau JPEG)."))
    if len(upload) > MAX_UPLOAD_BYTES:
        raise LogoError(_("Berkas logo terlalu besar: maksimal 1 MB."))
    try:
        with Image.open(io.BytesIO(upload), formats=sorted(FORMATS)) as image:
            width, height = image.size
            if width > MAX_SIDE or height > MAX_SIDE:
                raise LogoError(
                    _("Logo terlalu besar: %(w)s × %(h)s piksel (maksimal %(m)s).")
                    % {"w": width, "h": height, "m": MAX_SIDE}
                )
            image.load()
            return _png(image)
    except LogoError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own ceiling, from the header
        raise LogoError(
            _("Logo terlalu besar: lebih dari %(m)s piksel per sisi.") % {"m": MAX_SIDE}
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise LogoError(_("Berkas ini bukan gambar PNG atau JPEG yang dapat dibaca.")) from exc


def _png(image: Image.Image) -> bytes:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((STORED_SIDE, STORED_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def digest(png: bytes) -> str:
    """A short fingerprint: PDF caches are keyed by it, so a new logo re-renders them."""
    return hashlib.sha256(png).hexdigest()[:16]


def fit(png: bytes, *, box_mm: float) -> tuple[float, float]:
    """Width and height in mm of the logo scaled to fit a square box, aspect kept."""
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    scale = box_mm / max(width, height)
    return width * scale, height * scale
