import io
import time
from datetime import UTC, datetime

from pypdf import PdfReader

from app.certificates.payload import CertificateData, qr_url
from app.certificates.pdf import extract_signed_json, qr_code, render_pdf
from app.certificates.signing import seal, sign, unseal
from tests.test_certificates_payload import fixed_key, make_certificate

BASE_URL = "https://cakap.bandarlampungkota.go.id"
CREATED = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)


def render(data: CertificateData, creation_date: datetime | None = CREATED) -> tuple[bytes, str]:
    key = fixed_key()
    payload = data.to_payload()
    verify_url = qr_url(BASE_URL, data.code, key.kid, sign(payload, key))
    pdf = render_pdf(
        data,
        verify_url=verify_url,
        signed_json=seal(payload, key),
        creation_date=creation_date,
    )
    return pdf, verify_url


def page_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def test_pdf_is_one_a4_landscape_page_with_the_certificate_text():
    data = make_certificate()
    pdf, verify_url = render(data)

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)

    text = page_text(pdf)
    for expected in (
        "PEMERINTAH KOTA BANDAR LAMPUNG",
        data.issuer_office,
        "SERTIFIKAT",
        f"Nomor: {data.serial}",
        "Diberikan kepada",
        data.holder_name,
        f"NIP {data.holder_nip}",
        "telah menyelesaikan pelatihan",
        data.course_title,
        "12 JP (Kompetensi Teknis)",
        "23 November 2026",
        "dengan nilai 87,50",
        data.signer_name,
        f"NIP {data.signer_nip}",
        "Pindai untuk memverifikasi",
        "7K3M-Q9XW-2HDR-5TPV",
    ):
        assert expected in text, expected
    # The URL is wrapped over several lines; it is all there once the breaks are removed.
    assert verify_url in text.replace("\n", "")


def test_pdf_without_score_or_nip_leaves_them_out():
    pdf, _ = render(make_certificate(score=None, holder_nip=None, jp_category=None))
    text = page_text(pdf)
    assert "nilai" not in text
    assert "NIP 1990" not in text
    assert "sebanyak 12 JP, diselesaikan pada 23 November 2026" in text


def test_embedded_json_extracts_and_verifies_offline():
    data = make_certificate()
    pdf, _ = render(data)
    key = fixed_key()

    signed_json = extract_signed_json(pdf)

    assert signed_json == seal(data.to_payload(), key)
    payload = unseal(signed_json, {key.kid: key.public_key})
    assert payload is not None
    assert CertificateData.from_payload(payload) == data


def test_embedded_json_from_another_key_does_not_verify():
    pdf, _ = render(make_certificate())
    other = fixed_key().private_key.public_key()
    assert unseal(extract_signed_json(pdf), {"0123456789abcdef": other}) is None


def test_extract_signed_json_returns_none_without_attachment_or_pdf():
    from fpdf import FPDF

    plain = FPDF()
    plain.add_page()
    assert extract_signed_json(bytes(plain.output())) is None
    assert extract_signed_json(b"") is None
    assert extract_signed_json(b"%PDF-1.7\n garbage") is None


def test_fixed_creation_date_gives_identical_bytes():
    data = make_certificate()
    first, _ = render(data)
    second, _ = render(data)
    later, _ = render(data, creation_date=datetime(2027, 1, 1, tzinfo=UTC))

    assert first == second
    assert later != first  # the date really is what made them equal


def test_non_latin_name_renders():
    name = "Ṡiti Nurhaliza Ä Ş 王"
    pdf, _ = render(make_certificate(holder_name=name))

    # DejaVu has no CJK glyphs: 王 is left out, everything else is drawn.
    assert "Ṡiti Nurhaliza Ä Ş" in page_text(pdf)


def test_very_long_names_and_titles_still_fit_on_one_page():
    pdf, _ = render(
        make_certificate(
            holder_name="Raden Ajeng Siti Nurhaliza Kusumawardhani Purbaningrum Wicaksono",
            course_title="Penyusunan Dokumen Perencanaan dan Penganggaran Berbasis Kinerja "
            "untuk Perangkat Daerah di Lingkungan Pemerintah Kota",
        )
    )
    text = page_text(pdf)
    assert "Purbaningrum" in text and "Lingkungan Pemerintah Kota" in text


def test_render_takes_well_under_a_second():
    data = make_certificate()
    render(data)  # imports and first-use caches are not what we measure
    # CPU time of this process: a wall-clock bound fails when other work shares the machine.
    start = time.process_time()
    render(data, creation_date=None)
    assert time.process_time() - start < 1.0


def test_qr_code_decodes_to_the_verification_url():
    import zxingcpp
    from PIL import Image

    _, verify_url = render(make_certificate())
    png = io.BytesIO()
    qr_code(verify_url).save(png, kind="png", scale=4)
    png.seek(0)

    decoded = [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(png))]

    assert decoded == [verify_url]


def test_qr_code_printed_on_the_page_decodes_to_the_verification_url():
    import pypdfium2 as pdfium
    import zxingcpp

    pdf, verify_url = render(make_certificate())
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=2).to_pil()  # about 150 dpi, like a phone photo of a print

    decoded = [barcode.text for barcode in zxingcpp.read_barcodes(image)]

    assert decoded == [verify_url]
