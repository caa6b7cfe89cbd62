"""The printable certificate: one A4 landscape page in Bahasa Indonesia — no database.

The PDF carries its own proof: a QR code with the verification URL, and the signed
payload attached as `sertifikat.json`, so a certificate can be checked offline with the
public keys alone (`extract_signed_json` + `signing.unseal`). It also carries the Open
Badge as `openbadge.json`, whose signed `credentialStatus` says where to look up
revocation (`extract_credential_json`).
"""

from __future__ import annotations

import io
from datetime import datetime

import segno
from babel.dates import format_date
from babel.numbers import format_decimal
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from pypdf import PdfReader

from app.certificates.payload import CertificateData, format_code
from app.city import logo as city_logo
from app.city.service import UNSET_NAME
from app.printing import FONT, add_fonts

ATTACHMENT_NAME = "sertifikat.json"
CREDENTIAL_ATTACHMENT_NAME = "openbadge.json"

_LOCALE = "id"

_PAGE_WIDTH = 297.0  # A4 landscape, mm
_CONTENT_WIDTH = 230.0
_INK = (33, 37, 41)
_ACCENT = (22, 74, 122)
_MUTED = (90, 98, 108)

_QR_X, _QR_Y, _QR_SIZE = 24.0, 142.0, 34.0
_SIGNER_X, _SIGNER_Y, _SIGNER_WIDTH = 183.0, 146.0, 90.0
_LOGO_X, _LOGO_Y, _LOGO_BOX = 18.0, 16.0, 26.0


def qr_code(verify_url: str) -> segno.QRCode:
    """The QR code printed on the certificate (level M survives a smudged printout)."""
    return segno.make(verify_url, error="m", micro=False)


def render_pdf(
    data: CertificateData,
    *,
    verify_url: str,
    signed_json: bytes,
    credential_json: bytes | None = None,
    creation_date: datetime | None = None,
    logo_png: bytes | None = None,
) -> bytes:
    """The certificate PDF; a fixed `creation_date` gives byte-identical output.
    `logo_png` is the city's logo as app/city/logo.py stores it."""
    pdf = _new_document(data, creation_date)
    _draw_frame(pdf)
    if logo_png:
        _draw_logo(pdf, logo_png)
    _draw_header(pdf, data)
    _draw_body(pdf, data)
    _draw_qr(pdf, data, verify_url)
    _draw_signer(pdf, data)
    _draw_footer(pdf)
    pdf.embed_file(
        bytes=signed_json,
        basename=ATTACHMENT_NAME,
        mime_type="application/json",
        desc="Data sertifikat bertanda tangan digital (Ed25519) untuk verifikasi luring",
        creation_date=pdf.creation_date,
        modification_date=pdf.creation_date,
    )
    if credential_json is not None:
        pdf.embed_file(
            bytes=credential_json,
            basename=CREDENTIAL_ATTACHMENT_NAME,
            mime_type="application/ld+json",
            desc="Open Badges 3.0 dengan status pencabutan (credentialStatus)",
            creation_date=pdf.creation_date,
            modification_date=pdf.creation_date,
        )
    return bytes(pdf.output())


def extract_signed_json(pdf_bytes: bytes) -> bytes | None:
    """The attached `sertifikat.json`, or None if absent or the file is not a readable PDF."""
    return _attachment(pdf_bytes, ATTACHMENT_NAME)


def extract_credential_json(pdf_bytes: bytes) -> bytes | None:
    """The attached `openbadge.json` (PDFs rendered before status lists have none)."""
    return _attachment(pdf_bytes, CREDENTIAL_ATTACHMENT_NAME)


def _attachment(pdf_bytes: bytes, name: str) -> bytes | None:
    try:
        attachments = PdfReader(io.BytesIO(pdf_bytes)).attachments
        contents = attachments.get(name)
    except Exception:
        # Uploaded files are untrusted, and pypdf raises many exception types on junk.
        return None
    return contents[0] if contents else None


def _new_document(data: CertificateData, creation_date: datetime | None) -> FPDF:
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(left=20, top=15, right=20)
    add_fonts(pdf)
    if creation_date is not None:
        pdf.set_creation_date(creation_date)
    pdf.set_lang("id")
    pdf.set_title(f"Sertifikat {data.serial}")
    pdf.set_subject(data.course_title)
    pdf.set_author(f"{data.issuer_office}, {data.issuer_city}")
    pdf.set_creator("Cakap")
    pdf.add_page()
    return pdf


def _draw_frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*_ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, _PAGE_WIDTH - 16, 210 - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, _PAGE_WIDTH - 22, 210 - 22)


def _draw_logo(pdf: FPDF, png: bytes) -> None:
    # Top left inside the frame, beside the centred city name (which the logo never
    # reaches: the name is at most _CONTENT_WIDTH wide, centred).
    width, height = city_logo.fit(png, box_mm=_LOGO_BOX)
    x = _LOGO_X + (_LOGO_BOX - width) / 2
    y = _LOGO_Y + (_LOGO_BOX - height) / 2
    pdf.image(io.BytesIO(png), x=x, y=y, w=width, h=height)


def _draw_header(pdf: FPDF, data: CertificateData) -> None:
    pdf.set_text_color(*_INK)
    pdf.set_y(20)
    _centered(pdf, data.issuer_city.upper(), size=15, style="B", height=8)
    _centered(pdf, data.issuer_office, size=12, height=7)
    pdf.set_draw_color(*_ACCENT)
    pdf.set_line_width(0.4)
    pdf.line(70, pdf.get_y() + 2, _PAGE_WIDTH - 70, pdf.get_y() + 2)

    pdf.set_y(pdf.get_y() + 7)
    pdf.set_text_color(*_ACCENT)
    _centered(pdf, "SERTIFIKAT", size=36, style="B", height=16)
    pdf.set_text_color(*_MUTED)
    _centered(pdf, f"Nomor: {data.serial}", size=10, height=6)


def _draw_body(pdf: FPDF, data: CertificateData) -> None:
    pdf.set_text_color(*_INK)
    pdf.set_y(pdf.get_y() + 4)
    _centered(pdf, "Diberikan kepada", size=12, height=8)
    _centered(pdf, data.holder_name, size=24, style="B", height=12, min_size=14)
    if data.holder_nip:
        _centered(pdf, f"NIP {data.holder_nip}", size=11, height=6)
    pdf.set_y(pdf.get_y() + 3)
    _centered(pdf, "telah menyelesaikan pelatihan", size=12, height=8)
    _centered(pdf, data.course_title, size=17, style="B", height=8, min_size=12, lines=2)
    pdf.set_y(pdf.get_y() + 1)
    _centered(pdf, _details_line(data), size=11, height=6)


def _details_line(data: CertificateData) -> str:
    jp = f"{data.jp} JP" + (f" ({data.jp_category})" if data.jp_category else "")
    completed = format_date(data.completed_on, format="long", locale=_LOCALE)
    line = f"sebanyak {jp}, diselesaikan pada {completed}"
    if data.score is not None:
        line += f", dengan nilai {format_decimal(data.score, format='#,##0.00', locale=_LOCALE)}"
    return line


def _draw_qr(pdf: FPDF, data: CertificateData, verify_url: str) -> None:
    # Vector modules: one filled rectangle per horizontal run of dark modules, written as
    # one path. fpdf2's SVG import of the same code took a third of the render, and 700
    # `pdf.rect` calls most of the rest (each is a page-state check plus an operator); the
    # operators are the ones `rect` writes. The QR-on-the-page test decodes the result.
    matrix = qr_code(verify_url).matrix
    module = _QR_SIZE / len(matrix)
    k, page_height = pdf.k, pdf.h
    pdf.set_fill_color(0, 0, 0)
    ops = []
    for row, cells in enumerate(matrix):
        y = _QR_Y + row * module
        col = 0
        while col < len(cells):
            if not cells[col]:
                col += 1
                continue
            start = col
            while col < len(cells) and cells[col]:
                col += 1
            x, width = _QR_X + start * module, (col - start) * module
            ops.append(
                f"{x * k:.2f} {(page_height - y) * k:.2f} {width * k:.2f} {-module * k:.2f} re"
            )
    pdf._out("\n".join(ops) + " f")  # noqa: SLF001 - see above

    text_x = _QR_X + _QR_SIZE + 4
    text_width = 95.0
    pdf.set_text_color(*_INK)
    pdf.set_xy(text_x, _QR_Y + 2)
    pdf.set_font(FONT, "B", 9)
    pdf.cell(text_width, 5, "Pindai untuk memverifikasi", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8)
    pdf.cell(text_width, 5, f"Kode verifikasi: {format_code(data.code)}")
    pdf.set_xy(text_x, pdf.get_y() + 6)
    pdf.set_text_color(*_MUTED)
    pdf.set_font(FONT, "", 6.5)
    # A URL has no spaces; multi_cell breaks it wherever the line is full.
    pdf.multi_cell(text_width, 3.2, verify_url, align=Align.L)


def _draw_signer(pdf: FPDF, data: CertificateData) -> None:
    pdf.set_text_color(*_INK)
    pdf.set_xy(_SIGNER_X, _SIGNER_Y)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(_SIGNER_WIDTH, 5, data.signer_title, align=Align.C)
    # Room where a printed copy gets its wet signature or stamp.
    pdf.set_xy(_SIGNER_X, pdf.get_y() + 16)
    pdf.set_font(FONT, "BU" if data.signer_name else "", 11)
    # No name set: a line to write it by hand — never the title a second time.
    pdf.multi_cell(_SIGNER_WIDTH, 6, data.signer_name or UNSET_NAME, align=Align.C)
    if data.signer_nip:
        pdf.set_x(_SIGNER_X)
        pdf.set_font(FONT, "", 10)
        pdf.cell(_SIGNER_WIDTH, 5, f"NIP {data.signer_nip}", align=Align.C)


def _draw_footer(pdf: FPDF) -> None:
    pdf.set_text_color(*_MUTED)
    pdf.set_y(190)
    _centered(
        pdf,
        "Sertifikat ini ditandatangani secara elektronik; keasliannya dapat diperiksa "
        "melalui kode QR atau berkas sertifikat.json yang terlampir.",
        size=7.5,
        height=4,
    )


def _centered(
    pdf: FPDF,
    text: str,
    *,
    size: float,
    height: float,
    style: str = "",
    min_size: float | None = None,
    lines: int = 1,
) -> None:
    """A centred paragraph; shrinks the font (down to `min_size`) to fit in `lines` lines."""
    pdf.set_font(FONT, style, size)
    while min_size is not None and size > min_size:
        if pdf.get_string_width(text) <= _CONTENT_WIDTH * lines * 0.95:
            break
        size -= 0.5
        pdf.set_font(FONT, style, size)
    pdf.set_x((_PAGE_WIDTH - _CONTENT_WIDTH) / 2)
    pdf.multi_cell(_CONTENT_WIDTH, height, text, align=Align.C, new_x=XPos.LMARGIN)
