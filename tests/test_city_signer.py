"""Who signs certificates and reports: admins set it in the app; until then the PDFs
leave a line for the name instead of printing the office's title twice (pilot finding 11)."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.certificates.models import Certificate
from app.city.service import UNSET_NAME
from app.main import create_app
from tests.conftest import NIPS, Browser
from tests.test_certificates_http import app, complete_course, courses_dir  # noqa: F401

TITLE = "Kepala Dinas Komunikasi dan Informatika"


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_without_a_signer_the_title_is_printed_once_and_a_line_left_for_the_name(
    client, people, db
):
    complete_course(client)
    cert = db.scalar(select(Certificate))
    text = _pdf_text(client.get(f"/sertifikat/{cert.id}/pdf").content)
    assert text.count(TITLE) == 1
    assert UNSET_NAME in text


def test_admin_sets_the_signer_and_new_certificates_and_reports_carry_it(make_client, people, db):
    adi = make_client()
    adi.login(NIPS["adi"])
    page = adi.get("/admin/kota")
    assert page.status_code == 200 and 'id="signer-missing"' in page.text
    # The title is not a name; a NIP must be valid.
    same = adi.submit(
        "/admin/kota", {"signer_name": TITLE, "signer_title": TITLE}, page="/admin/kota"
    )
    assert same.status_code == 422 and "bukan jabatannya" in same.text
    bad = adi.submit(
        "/admin/kota",
        {"signer_name": "Dr. Hendra Wijaya", "signer_nip": "123", "signer_title": TITLE},
        page="/admin/kota",
    )
    assert bad.status_code == 422 and "NIP penandatangan tidak valid" in bad.text
    saved = adi.submit(
        "/admin/kota",
        {
            "signer_name": "Dr. Hendra Wijaya, S.Kom., M.T.",
            "signer_nip": "19750505 200003 1 002",
            "signer_title": TITLE,
        },
        page="/admin/kota",
    )
    assert saved.status_code == 200 and "Penandatangan disimpan" in saved.text
    assert 'id="signer-missing"' not in saved.text
    db.rollback()
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "city.signer_changed"))
    alice = make_client()
    complete_course(alice)
    db.rollback()
    cert = db.scalar(select(Certificate))
    assert cert.payload["signer_name"] == "Dr. Hendra Wijaya, S.Kom., M.T."
    text = _pdf_text(alice.get(f"/sertifikat/{cert.id}/pdf").content)
    assert "Dr. Hendra Wijaya, S.Kom., M.T." in text and "NIP 197505052000031002" in text
    assert text.count(TITLE) == 1 and UNSET_NAME not in text
    kiki = make_client()
    kiki.login(NIPS["kiki"])
    report = _pdf_text(kiki.get("/laporan/ekspor/opd.pdf").content)
    assert "Dr. Hendra Wijaya, S.Kom., M.T." in report and report.count(TITLE) == 1
    # Only admins keep the signer.
    assert kiki.get("/admin/kota").status_code == 403


def test_start_up_warns_while_the_signer_is_missing(settings, clock, courses_dir, caplog):  # noqa: F811
    settings.courses_dir = courses_dir
    with caplog.at_level(logging.WARNING, logger="cakap"):
        with Browser(create_app(settings, clock=clock)):
            pass
    assert any("penandatangan sertifikat belum diatur" in r.message for r in caplog.records)
    caplog.clear()
    settings.signer_name = "Dr. Hendra Wijaya"
    with caplog.at_level(logging.WARNING, logger="cakap"):
        with Browser(create_app(settings, clock=clock)):
            pass
    assert not any("penandatangan" in r.message for r in caplog.records)
