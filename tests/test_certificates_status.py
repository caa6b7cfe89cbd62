"""Revocation that travels (W3C Bitstring Status List), honest verification pages and
public responses without personal data (issue #15 items 8, 9, 10)."""

from __future__ import annotations

import base64
import gzip
import json
import re
import socket

import pytest
from jsonschema import Draft201909Validator
from sqlalchemy import select
from typer.testing import CliRunner

from app.certificates import status_list
from app.certificates.models import Certificate, CertificateStatusEntry
from app.certificates.signing import KeyStore
from app.cli import app as cli
from tests.conftest import NIPS, serving
from tests.test_certificates_badges import SCHEMA_FILE
from tests.test_certificates_http import app, complete_course, courses_dir  # noqa: F401

NIP_RE = re.compile(r"(?<!\d)\d{18}(?!\d)")
SIGNER_NIP = "197001011995031001"


# --- the status list itself, no database ----------------------------------------------


def test_encoded_list_is_gzip_base64url_msb_first_and_16_kib():
    encoded = status_list.encode([0, 9, status_list.LIST_BITS - 1])
    assert encoded.startswith("u") and "=" not in encoded
    body = encoded[1:]
    raw = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert len(raw) == 16 * 1024
    # bit 0 is the most significant bit of the first byte
    assert raw[0] == 0b1000_0000 and raw[1] == 0b0100_0000 and raw[-1] == 0b0000_0001
    assert sum(bin(b).count("1") for b in raw) == 3
    decoded = status_list.decode(encoded)
    assert decoded == raw
    assert status_list.bit_is_set(decoded, 9) and not status_list.bit_is_set(decoded, 8)


@pytest.mark.parametrize(
    "encoded",
    [
        None,
        42,
        "",
        "u",
        "zabc",  # not multibase base64url
        "u" + "!" * 8,
        # a list below the specification's 131,072-bit minimum
        "u" + base64.urlsafe_b64encode(gzip.compress(bytes(100))).decode().rstrip("="),
        # a gzip bomb: far more than any list we publish
        "u" + base64.urlsafe_b64encode(gzip.compress(bytes(10**8))).decode().rstrip("="),
    ],
)
def test_decode_refuses_what_is_not_a_list(encoded):
    assert status_list.decode(encoded) is None


def test_indices_map_to_lists_of_fixed_size():
    assert status_list.position(1) == (1, 1)
    assert status_list.position(status_list.LIST_BITS) == (2, 0)
    entry = status_list.entry("https://cakap.kota.go.id/", 7)
    assert entry == {
        "id": "https://cakap.kota.go.id/status/1#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": "https://cakap.kota.go.id/status/1",
    }


# --- through the app -----------------------------------------------------------------


def _path(url: str) -> str:
    """The path of a URL the test app (base_url http://testserver) put in a credential."""
    assert url.startswith("http://testserver/"), url
    return url.removeprefix("http://testserver")


def _methods(client, settings):
    did = client.get("/.well-known/did.json").json()
    keys = KeyStore(settings.signing_keys_dir).public_keys()
    assert {m["id"] for m in did["verificationMethod"]} == {f"{did['id']}#{k}" for k in keys}
    return did["id"], {f"{did['id']}#{kid}": key for kid, key in keys.items()}


def _revoke(make_client, certificate, reason="Data peserta keliru"):
    adi = make_client()
    adi.login(NIPS["adi"])
    r = adi.submit(
        f"/admin/sertifikat/{certificate.id}/cabut",
        {"reason": reason, "konfirmasi": "1"},
        page="/admin/sertifikat",
    )
    assert r.status_code == 200


def test_open_badge_status_resolves_and_flips_on_revocation(
    client, make_client, people, db, settings
):
    from app.certificates.integrity import proofs

    complete_course(client)
    cert = db.scalar(select(Certificate))
    entry = db.scalar(select(CertificateStatusEntry))
    assert entry.certificate_id == cert.id
    credential = client.get(f"/sertifikat/{cert.id}/openbadge.json").json()
    validator = Draft201909Validator(json.loads(SCHEMA_FILE.read_text()))
    assert list(validator.iter_errors(credential)) == []
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "revocation"
    assert status["statusListIndex"] == str(entry.status_index)
    assert status["statusListCredential"] == "http://testserver/status/1"
    assert status["id"] == f"http://testserver/status/1#{entry.status_index}"
    did, methods = _methods(client, settings)
    assert proofs.verify_proof(credential, methods)

    response = client.get(_path(status["statusListCredential"]))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    listed = response.json()
    assert listed["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listed["id"] == status["statusListCredential"]
    assert listed["issuer"] == credential["issuer"]["id"] == did
    subject = listed["credentialSubject"]
    assert subject["id"] == "http://testserver/status/1#list"
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    assert proofs.verify_proof(listed, methods)
    bits = status_list.decode(subject["encodedList"])
    assert len(bits) * 8 == 131_072
    assert not status_list.bit_is_set(bits, entry.status_index)
    check = status_list.check(status, listed, issuer=did, public_keys_by_method=methods)
    assert check.revoked is False and check.as_of == listed["validFrom"]

    _revoke(make_client, cert)
    listed = make_client().get("/status/1").json()
    assert proofs.verify_proof(listed, methods)
    bits = status_list.decode(listed["credentialSubject"]["encodedList"])
    assert status_list.bit_is_set(bits, entry.status_index)
    assert sum(bin(b).count("1") for b in bits) == 1
    check = status_list.check(status, listed, issuer=did, public_keys_by_method=methods)
    assert check.revoked is True
    # a list edited to say "not revoked" no longer carries a valid proof
    listed["credentialSubject"]["encodedList"] = status_list.encode([])
    forged = status_list.check(status, listed, issuer=did, public_keys_by_method=methods)
    assert forged.revoked is None and "tanda tangan" in forged.problem
    # lists nobody has entries in do not exist
    assert client.get("/status/2").status_code == 404
    assert client.get("/status/0").status_code == 404


def _verify(*args: str):
    result = CliRunner().invoke(cli, ["cert", "verify", *args])
    return result.exit_code, result.output


def test_cli_reports_revoked_for_the_pdf_and_the_json(
    client, make_client, people, db, settings, tmp_path, monkeypatch
):
    complete_course(client)
    cert = db.scalar(select(Certificate))
    pdf = tmp_path / "sertifikat.pdf"
    pdf.write_bytes(client.get(f"/sertifikat/{cert.id}/pdf").content)
    badge = tmp_path / "openbadge.json"
    badge.write_text(client.get(f"/sertifikat/{cert.id}/openbadge.json").text)
    jwks = tmp_path / "keys.json"
    jwks.write_text(client.get("/.well-known/cakap-keys.json").text)
    saved = tmp_path / "status.json"
    saved.write_text(client.get("/status/1").text)
    monkeypatch.setenv("CAKAP_BASE_URL", settings.base_url)
    for file in (pdf, badge):
        code, output = _verify(str(file), "--keys", str(jwks), "--status-file", str(saved))
        assert code == 0, output
        assert "SAH" in output and "Tidak dicabut" in output and "DICABUT" not in output

    _revoke(make_client, cert)
    saved.write_text(make_client().get("/status/1").text)
    for file in (pdf, badge):
        code, output = _verify(str(file), "--keys", str(jwks), "--status-file", str(saved))
        assert code == 1 and "DICABUT" in output, output
        assert "SAH" not in output.replace("TIDAK SAH", "")
    # --offline checks the signature only, and says so
    code, output = _verify(str(pdf), "--keys", str(jwks), "--offline")
    assert code == 0 and "tidak diperiksa" in output


@pytest.fixture
def live_server(app):  # noqa: F811
    """The test's app on a free loopback port, so the CLI fetches the list over HTTP."""
    with serving(app) as url:
        yield url


def test_cli_fetches_the_status_list_online(
    live_server, client, make_client, people, db, settings, tmp_path, monkeypatch
):
    settings.base_url = live_server  # what the credentials point to
    monkeypatch.setenv("CAKAP_BASE_URL", live_server)
    complete_course(client)
    cert = db.scalar(select(Certificate))
    pdf = tmp_path / "sertifikat.pdf"
    pdf.write_bytes(client.get(f"/sertifikat/{cert.id}/pdf").content)
    badge = tmp_path / "openbadge.json"
    badge.write_text(client.get(f"/sertifikat/{cert.id}/openbadge.json").text)
    assert json.loads(badge.read_text())["credentialStatus"]["statusListCredential"] == (
        f"{live_server}/status/1"
    )
    jwks = tmp_path / "keys.json"
    jwks.write_text(client.get("/.well-known/cakap-keys.json").text)
    for file in (pdf, badge):
        code, output = _verify(str(file), "--keys", str(jwks))
        assert code == 0 and "Tidak dicabut" in output, output
    _revoke(make_client, cert)
    for file in (pdf, badge):
        code, output = _verify(str(file), "--keys", str(jwks))
        assert code == 1 and "DICABUT" in output, output


def test_cli_says_when_the_status_could_not_be_checked(
    client, people, db, settings, tmp_path, monkeypatch
):
    # Nothing listens on this port: the list cannot be fetched.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()
    settings.base_url = closed
    monkeypatch.setenv("CAKAP_BASE_URL", closed)
    complete_course(client)
    cert = db.scalar(select(Certificate))
    pdf = tmp_path / "sertifikat.pdf"
    pdf.write_bytes(client.get(f"/sertifikat/{cert.id}/pdf").content)
    jwks = tmp_path / "keys.json"
    jwks.write_text(client.get("/.well-known/cakap-keys.json").text)
    code, output = _verify(str(pdf), "--keys", str(jwks))
    assert code == 1, output
    assert "status pencabutan tidak dapat diperiksa" in output.lower()
    assert f"{closed}/status/1 tidak dapat diambil" in output
    assert f"{closed}/verifikasi/{cert.code}" in output
    assert "[green]" not in output and not output.startswith("SAH")
    # a status list from somewhere else is not taken as "not revoked"
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"id": f"{closed}/status/1", "type": ["VerifiableCredential"]}))
    code, output = _verify(str(pdf), "--keys", str(jwks), "--status-file", str(other))
    assert code == 1 and "tidak dapat diperiksa" in output


def test_revoked_certificates_are_not_handed_out(make_client, people, db):
    alice = make_client()
    complete_course(alice)
    cert = db.scalar(select(Certificate))
    assert alice.get(f"/sertifikat/{cert.id}/pdf").status_code == 200
    _revoke(make_client, cert, reason="Nilai tercatat keliru")
    for url in (f"/sertifikat/{cert.id}/pdf", f"/sertifikat/{cert.id}/openbadge.json"):
        r = alice.get(url)
        assert r.status_code == 410, url
        assert r.headers["content-type"].startswith("text/html")
        assert "SERTIFIKAT DICABUT" in r.text and "Nilai tercatat keliru" in r.text
        assert r.headers["cache-control"] == "private, no-store"
    page = alice.get("/sertifikat").text
    assert f"/sertifikat/{cert.id}/pdf" not in page and "dicabut" in page
    olga = make_client()  # opd_admin of Alice's OPD: same as the holder now
    olga.login(NIPS["olga"])
    assert olga.get(f"/sertifikat/{cert.id}/pdf").status_code == 410
    adi = make_client()  # admins keep the file for the record
    adi.login(NIPS["adi"])
    r = adi.get(f"/sertifikat/{cert.id}/pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    bob = make_client()  # strangers still see nothing at all
    bob.login(NIPS["bob"])
    assert bob.get(f"/sertifikat/{cert.id}/pdf").status_code == 404


# --- item 9: an edited link is not a forged certificate --------------------------------


def test_altered_link_is_reported_as_such_with_the_true_status(make_client, people, db):
    alice = make_client()
    complete_course(alice)
    cert = db.scalar(select(Certificate))
    anon = make_client()
    page = anon.get(f"/verifikasi/{cert.code}?s=AAAA").text  # the reviewer's reproduction
    assert "TAUTAN INI TELAH DIUBAH" in page
    assert "SERTIFIKAT SAH" in page and "Alice Rahmawati" in page
    assert "TIDAK VALID" not in page and "Jangan terima" not in page
    wrong_kid = anon.get(f"/verifikasi/{cert.code}?k=0000000000000000&s={cert.signature}").text
    assert "TAUTAN INI TELAH DIUBAH" in wrong_kid and "tanda tangan QR cocok" not in wrong_kid
    genuine = anon.get(f"/verifikasi/{cert.code}?k={cert.kid}&s={cert.signature}").text
    assert "TAUTAN INI TELAH DIUBAH" not in genuine and "tanda tangan QR cocok" in genuine
    _revoke(make_client, cert)
    revoked = anon.get(f"/verifikasi/{cert.code}?s=AAAA").text
    assert "TAUTAN INI TELAH DIUBAH" in revoked and "SERTIFIKAT DICABUT" in revoked
    assert "SERTIFIKAT SAH" not in revoked


# --- item 10: no full NIP and no score in public responses -----------------------------


def test_public_verification_responses_carry_no_nip_and_no_score(make_client, people, db, settings):
    settings.signer_nip = SIGNER_NIP  # the signing official's NIP must not leak either
    alice = make_client()
    complete_course(alice)
    cert = db.scalar(select(Certificate))
    assert cert.payload["score"] == "100.00" and cert.payload["signer_nip"] == SIGNER_NIP
    anon = make_client()
    responses = {
        "page": anon.get(f"/verifikasi/{cert.code}"),
        "qr page": anon.get(f"/verifikasi/{cert.code}?k={cert.kid}&s={cert.signature}"),
        "form": anon.get(f"/verifikasi?nomor={cert.serial}&kode={cert.code}"),
        "status.json": anon.get(f"/verifikasi/{cert.code}/status.json"),
        "did": anon.get("/.well-known/did.json"),
        "jwks": anon.get("/.well-known/cakap-keys.json"),
        "status list": anon.get("/status/1"),
    }
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert not NIP_RE.search(response.text), name
        assert "100.00" not in response.text and "100,00" not in response.text, name
    body = responses["status.json"].json()
    assert body["status"] == "valid" and body["nip"] == "1990xxxxxxxxxx2001"
    assert not {"payload", "score", "holder_nip", "signer_nip", "signature"} & set(body)
    _revoke(make_client, cert)
    revoked = anon.get(f"/verifikasi/{cert.code}/status.json")
    assert revoked.json()["status"] == "revoked" and not NIP_RE.search(revoked.text)


def test_certificates_issued_before_the_migration_get_an_index(tmp_path):
    """The migration gives existing certificates their bit, in issuing order, set for the
    ones already revoked."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from app import migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "c15a00000002")
    engine = create_engine(url)
    with engine.begin() as conn:
        # A plain engine leaves SQLite's foreign keys off: only certificates are needed.
        for i, revoked_at in ((3, None), (5, "2026-02-01")):
            conn.execute(
                text(
                    "INSERT INTO certificates (id, serial, code, enrolment_id, user_id, "
                    "course_id, content_hash, jp, issued_at, payload, kid, signature, "
                    "revoked_at) VALUES (:i, 'S' || :i, 'C' || :i, :i, 1, 1, 'h', 2, "
                    "'2026-01-01', '{}', 'k', 's', :revoked_at)"
                ),
                {"i": i, "revoked_at": revoked_at},
            )
    command.upgrade(migrate.alembic_config(url), "c15a00000003")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status_index, certificate_id, revoked FROM certificate_status_entries")
        ).all()
    engine.dispose()
    assert sorted(rows) == [(1, 3, 0), (2, 5, 1)]
