"""The city's logo on certificates (pilot finding 11): admins upload it at /admin/kota;
the upload is checked by its header, decoded once and stored re-encoded; every PDF
rendered afterwards carries it."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.certificates.models import Certificate
from app.city import logo
from tests.conftest import NIPS
from tests.test_certificates_http import app, complete_course, courses_dir  # noqa: F401


def _image(fmt: str, size=(800, 400), mode="RGBA", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (22, 74, 122, 255) if mode == "RGBA" else (22, 74, 122)).save(
        out, format=fmt, **save
    )
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _pdf_images(content: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(content)).pages)


def test_a_png_or_jpeg_is_stored_re_encoded_small_and_without_its_metadata():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "rahasia di dalam berkas")
    stored = logo.normalise(_image("PNG", size=(2000, 1000), pnginfo=info))
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG" and image.size == (512, 256) and image.mode == "RGBA"
    assert b"rahasia" not in stored
    jpeg = logo.normalise(_image("JPEG", size=(300, 300), mode="RGB"))
    with Image.open(io.BytesIO(jpeg)) as image:
        assert image.format == "PNG" and image.size == (300, 300)
    assert logo.fit(stored, box_mm=26) == (26, 13)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (b"", "Pilih berkas logo"),
        (b"%PDF-1.7 bukan gambar", "bukan gambar PNG atau JPEG"),
        (_image("GIF", mode="RGB"), "bukan gambar PNG atau JPEG"),
        (_png_claiming(6000, 20), "Logo terlalu besar: 6000 × 20 piksel"),
        (_png_claiming(60000, 60000), "Logo terlalu besar: lebih dari 5000 piksel"),
        (b"\x89PNG" + b"\0" * logo.MAX_UPLOAD_BYTES, "maksimal 1 MB"),
        (_image("PNG")[:200], "bukan gambar PNG atau JPEG"),  # cut off mid-file
    ],
)
def test_what_is_not_a_usable_logo_is_refused_in_indonesian(upload, message):
    with pytest.raises(logo.LogoError, match=message):
        logo.normalise(upload)


def _upload(browser, content: bytes, name: str = "logo.png"):
    token = browser.csrf("/admin/kota")
    return browser.post(
        "/admin/kota/logo",
        data={"csrf_token": token},
        files={"berkas": (name, content, "image/png")},
    )


def test_admin_uploads_a_logo_and_certificates_and_reports_carry_it_until_it_is_removed(
    make_client, people, db
):
    alice = make_client()
    complete_course(alice)
    db.rollback()
    cert = db.scalar(select(Certificate))
    before = alice.get(f"/sertifikat/{cert.id}/pdf").content
    assert _pdf_images(before) == 0

    adi = make_client()
    adi.login(NIPS["adi"])
    assert 'id="logo-none"' in adi.get("/admin/kota").text
    refused = _upload(adi, b"bukan gambar", name="logo.exe")
    assert refused.status_code == 422 and 'id="logo-error"' in refused.text

    saved = _upload(adi, _image("PNG"))
    assert saved.status_code == 200 and "Logo disimpan" in saved.text
    assert 'id="logo-preview"' in saved.text
    preview = adi.get("/admin/kota/logo.png")
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/png"
    db.rollback()
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "city.logo_changed"))

    # The cached PDF is rendered again with the logo; what was signed is unchanged.
    with_logo = alice.get(f"/sertifikat/{cert.id}/pdf").content
    assert _pdf_images(with_logo) == 1
    # The report PDF sent up the chain carries it too.
    kiki = make_client()
    kiki.login(NIPS["kiki"])
    assert _pdf_images(kiki.get("/laporan/ekspor/opd.pdf").content) == 1

    removed = adi.submit("/admin/kota/logo/hapus", page="/admin/kota")
    assert removed.status_code == 200 and "Logo dihapus" in removed.text
    assert _pdf_images(alice.get(f"/sertifikat/{cert.id}/pdf").content) == 0
    assert adi.get("/admin/kota/logo.png").status_code == 404


def test_only_admins_set_the_logo_and_never_without_the_csrf_token(make_client, people):
    kiki = make_client()
    kiki.login(NIPS["kiki"])
    assert _upload(kiki, _image("PNG")).status_code == 403
    assert kiki.get("/admin/kota/logo.png").status_code == 403
    adi = make_client()
    adi.login(NIPS["adi"])
    forged = adi.post("/admin/kota/logo", files={"berkas": ("logo.png", _image("PNG"))})
    assert forged.status_code == 403
