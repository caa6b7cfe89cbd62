"""Certificates end to end: issued once on completion, downloads with IDOR checks, public
verification (valid / revoked / tampered / not found), keys, Open Badges, ZIP, rate limit."""

from __future__ import annotations

import io
import json
import re
import shutil
import threading
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.certificates.integrity import proofs
from app.certificates.models import Certificate
from app.certificates.pdf import extract_signed_json
from app.certificates.signing import KeyStore, unseal
from app.courses.models import Course, CourseModule
from app.db import make_engine, make_sessionmaker
from app.main import create_app
from app.progress import service as progress
from app.progress.models import Enrolment
from tests.conftest import NIPS
from tests.test_quizzes_http import _answer_all_correctly, _enrol_and_start

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def courses_dir(tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses_quiz", root)
    return root


@pytest.fixture
def app(settings, clock, courses_dir):
    settings.courses_dir = courses_dir
    return create_app(settings, clock=clock)


def complete_course(client, who="alice") -> None:
    attempt_id, r = _enrol_and_start(client, who)
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    _answer_all_correctly(client, attempt_id, r.text, token)
    client.submit(f"/kuis/percobaan/{attempt_id}/kumpulkan", page=f"/kuis/percobaan/{attempt_id}")
    client.submit("/kursus/uji-kuis/modul/bacaan/selesai", page="/kursus/uji-kuis")


def test_issued_once_on_completion_with_a_serial(client, people, db, clock):
    complete_course(client)
    certs = db.scalars(select(Certificate)).all()
    assert len(certs) == 1
    cert = certs[0]
    year = clock.now.year
    assert re.fullmatch(rf"CKP/{year}/000001", cert.serial)
    assert len(cert.code) == 16
    assert cert.payload["holder_name"] == "Alice Rahmawati"
    assert cert.payload["score"] == "100.00" and cert.payload["jp"] == 2
    # re-checking does nothing
    enrolment = db.scalar(select(Enrolment))
    progress.recompute(db, enrolment=enrolment, now=clock())
    db.commit()
    assert db.scalar(select(func.count()).select_from(Certificate)) == 1
    page = client.get("/sertifikat").text
    assert cert.serial in page and "Kursus Uji Kuis" in page


def test_pdf_download_and_offline_verification(client, people, db, settings):
    complete_course(client)
    cert = db.scalar(select(Certificate))
    r = client.get(f"/sertifikat/{cert.id}/pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    assert "Alice Rahmawati" in text and cert.serial in text and "SERTIFIKAT" in text
    payload = unseal(
        extract_signed_json(r.content), KeyStore(settings.signing_keys_dir).public_keys()
    )
    assert payload == cert.payload


def test_idor_other_users_cannot_download(make_client, people, db):
    alice = make_client()
    complete_course(alice)
    cert = db.scalar(select(Certificate))
    bob = make_client()
    bob.login(NIPS["bob"])
    assert bob.get(f"/sertifikat/{cert.id}/pdf").status_code == 404
    assert bob.get(f"/sertifikat/{cert.id}/openbadge.json").status_code == 404
    assert bob.get(f"/sertifikat/{cert.id + 1}/pdf").status_code == 404
    olga = make_client()  # opd_admin of Alice's OPD
    olga.login(NIPS["olga"])
    assert olga.get(f"/sertifikat/{cert.id}/pdf").status_code == 200
    assert olga.get(f"/sertifikat/{cert.id}/openbadge.json").status_code == 404
    kiki = make_client()
    kiki.login(NIPS["kiki"])
    assert kiki.get(f"/sertifikat/{cert.id}/pdf").status_code == 200


def test_opd_admin_of_another_opd_cannot_download(make_client, people, db):
    bob = make_client()
    complete_course(bob, "bob")  # Bob is in OPD B; Olga administers OPD A
    cert = db.scalar(select(Certificate))
    olga = make_client()
    olga.login(NIPS["olga"])
    assert olga.get(f"/sertifikat/{cert.id}/pdf").status_code == 404
    r = olga.get(f"/sertifikat/zip?kursus=uji-kuis&opd={people.opd_b.id}")
    assert r.status_code == 403


def test_public_verification_page(make_client, people, db):
    alice = make_client()
    complete_course(alice)
    cert = db.scalar(select(Certificate))
    anon = make_client()
    page = anon.get(f"/verifikasi/{cert.code}")
    assert page.status_code == 200 and "SERTIFIKAT SAH" in page.text
    assert "Alice Rahmawati" in page.text
    assert NIPS["alice"] not in page.text and "1990xxxxxxxxxx2001" in page.text
    # the QR's URL carries the signature; the page checks it
    qr = anon.get(f"/verifikasi/{cert.code}?k={cert.kid}&s={cert.signature}")
    assert "tanda tangan QR cocok" in qr.text
    # change the first character, so the forged signature always differs from the real one
    bad = ("B" if cert.signature[0] == "A" else "A") + cert.signature[1:]
    forged = anon.get(f"/verifikasi/{cert.code}?k={cert.kid}&s={bad}")
    # an edited link is not a forged certificate: the server vouches for its own record
    assert "TAUTAN INI TELAH DIUBAH" in forged.text and "SERTIFIKAT SAH" in forged.text
    assert "TIDAK VALID" not in forged.text and "tanda tangan QR cocok" not in forged.text
    # typed with dashes and lower case
    dashed = "-".join(cert.code[i : i + 4] for i in range(0, 16, 4)).lower()
    spaced_lower = " ".join(cert.code[i : i + 4] for i in range(0, 16, 4)).lower()
    assert "SERTIFIKAT SAH" in anon.get(f"/verifikasi/{dashed}").text
    missing = anon.get("/verifikasi/ZZZZZZZZZZZZZZZZ")
    assert missing.status_code == 404 and "TIDAK DITEMUKAN" in missing.text
    by_form = anon.get(f"/verifikasi?nomor={cert.serial}&kode={cert.code}", follow_redirects=False)
    assert by_form.status_code == 303 and by_form.headers["location"] == f"/verifikasi/{cert.code}"
    # Typed from paper: spaces in the number and the code, lower case.
    typed = anon.get(
        "/verifikasi",
        params={"nomor": " " + cert.serial.lower().replace("/", " / "), "kode": spaced_lower},
        follow_redirects=False,
    )
    assert typed.status_code == 303 and typed.headers["location"] == f"/verifikasi/{cert.code}"
    status = anon.get(f"/verifikasi/{cert.code}/status.json").json()
    assert status["status"] == "valid" and status["nip"] == "1990xxxxxxxxxx2001"


def test_tampered_record_shows_invalid(make_client, people, db):
    alice = make_client()
    complete_course(alice)
    cert = db.scalar(select(Certificate))
    cert.payload = {**cert.payload, "jp": 40}
    db.commit()
    assert "TIDAK VALID" in make_client().get(f"/verifikasi/{cert.code}").text


def test_revocation_is_audited_and_shown(make_client, people, db):
    alice = make_client()
    complete_course(alice)
    cert = db.scalar(select(Certificate))
    adi = make_client()
    adi.login(NIPS["adi"])
    # Revocation cannot be undone: the first press asks, and changes nothing.
    asked = adi.submit(
        f"/admin/sertifikat/{cert.id}/cabut",
        {"reason": "Data peserta keliru"},
        page="/admin/sertifikat",
    )
    assert 'id="confirm"' in asked.text and cert.serial in asked.text
    assert "Alice Rahmawati" in asked.text and "tidak dapat dibatalkan" in asked.text
    assert "SERTIFIKAT SAH" in make_client().get(f"/verifikasi/{cert.code}").text
    r = adi.submit(
        f"/admin/sertifikat/{cert.id}/cabut",
        {"reason": "Data peserta keliru", "konfirmasi": "1"},
        page="/admin/sertifikat",
    )
    assert r.status_code == 200
    page = make_client().get(f"/verifikasi/{cert.code}").text
    assert "DICABUT" in page and "Data peserta keliru" in page
    assert make_client().get(f"/verifikasi/{cert.code}/status.json").json()["status"] == "revoked"
    from app.audit.models import AuditEvent

    db.rollback()
    assert (
        db.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoked")).target
        == cert.serial
    )


def test_open_badge_validates_and_verifies(client, people, db, settings):
    import jsonschema

    complete_course(client)
    cert = db.scalar(select(Certificate))
    credential = client.get(f"/sertifikat/{cert.id}/openbadge.json").json()
    schema_path = (
        Path(__file__).resolve().parents[2]
        / "shared/standards/openbadges-3.0/achievementcredential.schema.json"
    )
    jsonschema.Draft201909Validator(json.loads(schema_path.read_text())).validate(credential)
    # revocation travels with it (resolved and checked in test_certificates_status)
    assert credential["credentialStatus"]["type"] == "BitstringStatusListEntry"
    did = client.get("/.well-known/did.json").json()
    keys = KeyStore(settings.signing_keys_dir).public_keys()
    methods = {f"{did['id']}#{kid}": key for kid, key in keys.items()}
    assert proofs.verify_proof(credential, methods)
    assert NIPS["alice"] not in json.dumps(credential)
    jwks = client.get("/.well-known/cakap-keys.json").json()
    assert jwks["keys"][0]["kid"] == cert.kid


def test_zip_for_opd(make_client, people, db):
    alice = make_client()
    complete_course(alice)
    olga = make_client()
    olga.login(NIPS["olga"])
    r = olga.get(f"/sertifikat/zip?kursus=uji-kuis&opd={people.opd_a.id}")
    assert r.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert names == [db.scalar(select(Certificate.serial)).replace("/", "-") + ".pdf"]


def test_verification_is_rate_limited(client, people):
    for _ in range(30):
        assert client.get("/verifikasi/ZZZZZZZZZZZZZZZZ").status_code == 404
    r = client.get("/verifikasi/ZZZZZZZZZZZZZZZZ")
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"


def test_concurrent_completions_issue_one_certificate_and_serials_have_no_gaps(
    people, settings, clock, app, db
):
    """Many learners completing at once get consecutive serials; one enrolment never gets two."""
    from fastapi.testclient import TestClient

    with TestClient(app):
        pass  # runs start-up: syncs the fixture course
    course = db.scalar(select(Course))
    module = db.scalar(select(CourseModule))
    # make the module the only requirement so marking it completes the course
    from app.courses.models import CourseQuiz

    for quiz in db.scalars(select(CourseQuiz)):
        quiz.required = False
    db.commit()
    users = [people.alice, people.bob, people.olga, people.kiki, people.adi]
    enrolments = [progress.enrol(db, user_id=u.id, course=course, now=clock()) for u in users]
    engine = make_engine(settings.db_url)
    maker = make_sessionmaker(engine, settings)
    barrier = threading.Barrier(len(enrolments) * 2)
    errors: list[BaseException] = []

    def worker(enrolment_id):
        try:
            with maker() as s:
                e = s.get(Enrolment, enrolment_id)
                m = s.get(CourseModule, module.id)
                barrier.wait()
                progress.mark_completed(s, enrolment=e, module=m, now=clock())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(e.id,)) for e in enrolments for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with maker() as s:
        serials = sorted(s.scalars(select(Certificate.serial)))
        assert len(serials) == len(enrolments)
        numbers = sorted(int(x.rsplit("/", 1)[1]) for x in serials)
        assert numbers == list(range(1, len(enrolments) + 1))
    engine.dispose()


def test_cli_verifies_pdf_and_badge_offline(client, people, db, settings, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from app.cli import app as cli

    complete_course(client)
    cert = db.scalar(select(Certificate))
    pdf = tmp_path / "s.pdf"
    pdf.write_bytes(client.get(f"/sertifikat/{cert.id}/pdf").content)
    badge = tmp_path / "b.json"
    badge.write_text(client.get(f"/sertifikat/{cert.id}/openbadge.json").text)
    jwks = tmp_path / "keys.json"
    jwks.write_text(client.get("/.well-known/cakap-keys.json").text)
    monkeypatch.setenv("CAKAP_BASE_URL", settings.base_url)
    runner = CliRunner()
    # --offline: signatures only (revocation status is tested in test_certificates_status)
    offline = ["--keys", str(jwks), "--offline"]
    ok = runner.invoke(cli, ["cert", "verify", str(pdf), *offline])
    assert ok.exit_code == 0, ok.output
    assert "SAH" in ok.output and cert.serial in ok.output
    assert runner.invoke(cli, ["cert", "verify", str(badge), *offline]).exit_code == 0
    # tamper with the badge: the proof no longer verifies
    tampered = json.loads(badge.read_text())
    tampered["credentialSubject"]["achievement"]["name"] = "Kursus palsu"
    badge.write_text(json.dumps(tampered))
    bad = runner.invoke(cli, ["cert", "verify", str(badge), *offline])
    assert bad.exit_code == 1 and "TIDAK SAH" in bad.output
    # tamper with the PDF's embedded payload bytes
    raw = pdf.read_bytes().replace(b"Alice", b"Alicf")
    pdf.write_bytes(raw)
    assert runner.invoke(cli, ["cert", "verify", str(pdf), *offline]).exit_code == 1


def _self_signed_p12(tmp_path, password: bytes):
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Kepala Diskominfo Kota Uji"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Pemerintah Kota Uji Coba"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "tte.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"tte", key, cert, None, serialization.BestAvailableEncryption(password)
        )
    )
    return path, cert


def test_pades_signature_when_a_signing_certificate_is_configured(
    client, people, db, settings, tmp_path
):
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    p12, cert = _self_signed_p12(tmp_path, b"rahasia-p12")
    settings.pades_pkcs12 = p12
    settings.pades_password = "rahasia-p12"
    complete_course(client)
    certificate = db.scalar(select(Certificate))
    pdf = client.get(f"/sertifikat/{certificate.id}/pdf").content
    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = reader.embedded_signatures
    trust = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    # pyHanko's sync API runs its own event loop; Playwright may leave one running in this
    # thread during a full run, so validate in a worker thread.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        status = pool.submit(
            validate_pdf_signature, signature, ValidationContext(trust_roots=[trust])
        ).result()
    assert status.intact and status.valid
    # the signed-payload attachment is still there for offline verification
    assert (
        unseal(extract_signed_json(pdf), KeyStore(settings.signing_keys_dir).public_keys())
        == certificate.payload
    )
    page = client.get(f"/verifikasi/{certificate.code}").text
    assert "PAdES" in page and "Kepala Diskominfo Kota Uji" in page


def test_pdf_is_rendered_once_then_served_from_the_cache(client, people, db, settings, monkeypatch):
    from app.certificates import service as cert_service

    complete_course(client)
    cert = db.scalar(select(Certificate))
    renders = []
    real = cert_service.render_pdf
    monkeypatch.setattr(
        cert_service, "render_pdf", lambda *a, **kw: renders.append(1) or real(*a, **kw)
    )
    first = client.get(f"/sertifikat/{cert.id}/pdf").content
    second = client.get(f"/sertifikat/{cert.id}/pdf").content
    assert first == second and len(renders) == 1
    assert list((settings.data_dir / "cache" / "sertifikat").rglob("*.tmp")) == []
    # What goes into the PDF changes (the QR code's base URL): rendered again.
    other = settings.model_copy(update={"base_url": "https://cakap.example.go.id"})
    again = cert_service.pdf_bytes(other, cert)
    assert len(renders) == 2 and again != first
