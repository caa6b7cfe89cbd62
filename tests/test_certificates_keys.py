"""`cakap keys list|rotate|retire` (issue #15 item 13): rotation signs new certificates with
the new key while every old certificate keeps verifying, online and offline."""

from __future__ import annotations

import stat
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.certificates import badges
from app.certificates.models import Certificate
from app.certificates.signing import KeyLifecycleError, KeyStore
from app.cli import app as cli
from tests.test_certificates_http import app, complete_course, courses_dir  # noqa: F401


@pytest.fixture
def keys(settings, monkeypatch):
    """Run `cakap keys ...` against the test app's key directory."""
    monkeypatch.setenv("CAKAP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CAKAP_BASE_URL", settings.base_url)
    monkeypatch.delenv("CAKAP_KEYS_DIR", raising=False)
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(cli, ["keys", *args])
        return result.exit_code, result.output

    return run


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _row(output: str, kid: str) -> str:
    (line,) = [line for line in output.splitlines() if kid in line]
    return line


def test_rotate_list_retire_and_old_certificates_keep_verifying(
    make_client, people, db, settings, keys, tmp_path
):
    alice = make_client()
    complete_course(alice)
    old = db.scalar(select(Certificate))
    code, output = keys("list")
    assert code == 0 and "aktif" in _row(output, old.kid) and "Ed25519" in output
    # the only key is the active one: it cannot be retired
    code, output = keys("retire", old.kid)
    assert code == 1 and "kunci aktif" in output

    code, output = keys("rotate")
    assert code == 0, output
    store = KeyStore(settings.signing_keys_dir)
    new_kid = store.current().kid
    assert new_kid != old.kid and new_kid in output
    code, output = keys("list")
    assert "aktif" in _row(output, new_kid) and "hanya verifikasi" in _row(output, old.kid)
    code, output = keys("retire", new_kid)
    assert code == 1 and "kunci aktif" in output

    bob = make_client()
    complete_course(bob, "bob")
    db.rollback()  # end the read snapshot taken before Bob's certificate was issued
    new = db.scalar(select(Certificate).where(Certificate.id != old.id))
    assert new.kid == new_kid

    code, output = keys("retire", old.kid)
    assert code == 0 and "dipensiunkan" in output, output
    code, output = keys("list")
    assert "dipensiunkan" in _row(output, old.kid) and "aktif" in _row(output, new_kid)
    assert keys("retire", "ffffffffffffffff")[0] == 1

    anon = make_client()
    jwks = anon.get("/.well-known/cakap-keys.json").json()
    assert {key["kid"] for key in jwks["keys"]} == {old.kid, new_kid}
    did = anon.get("/.well-known/did.json").json()
    assert {m["id"] for m in did["verificationMethod"]} == {
        f"{did['id']}#{old.kid}",
        f"{did['id']}#{new_kid}",
    }
    for certificate in (old, new):
        qr = f"/verifikasi/{certificate.code}?k={certificate.kid}&s={certificate.signature}"
        page = anon.get(qr).text
        assert "SERTIFIKAT SAH" in page and "tanda tangan QR cocok" in page
        assert certificate.kid in page

    # offline: the old certificate's PDF verifies against the published keys
    pdf = tmp_path / "lama.pdf"
    pdf.write_bytes(alice.get(f"/sertifikat/{old.id}/pdf").content)
    jwks_file = tmp_path / "keys.json"
    jwks_file.write_text(anon.get("/.well-known/cakap-keys.json").text)
    status_file = tmp_path / "status.json"
    status_file.write_text(anon.get("/status/1").text)
    result = CliRunner().invoke(
        cli,
        ["cert", "verify", str(pdf), "--keys", str(jwks_file), "--status-file", str(status_file)],
    )
    assert result.exit_code == 0 and "Tidak dicabut" in result.output, result.output
    # nothing new is signed by the retired key: a fresh Open Badge of the old certificate
    # and the status list carry the active key's proof
    badge = alice.get(f"/sertifikat/{old.id}/openbadge.json").json()
    assert badge["proof"][0]["verificationMethod"].endswith(f"#{new_kid}")
    assert anon.get("/status/1").json()["proof"][0]["verificationMethod"].endswith(f"#{new_kid}")

    # files: keys and the retirement marker 0600, the directory 0700
    directory = settings.signing_keys_dir
    assert _mode(directory) == 0o700
    files = sorted(directory.iterdir())
    assert [f.name for f in files] == [
        "ed25519-000001.pem",
        "ed25519-000001.retired",
        "ed25519-000002.pem",
    ]
    assert all(_mode(f) == 0o600 for f in files)


def test_store_never_signs_with_a_retired_key(tmp_path):
    store = KeyStore(tmp_path / "keys")
    first = store.current().kid
    with pytest.raises(KeyLifecycleError):
        store.retire(first, now=datetime.now(UTC))
    second = store.rotate()
    store.retire(first, now=datetime(2026, 12, 3, 8, 0, tzinfo=UTC))
    assert store.retire(first, now=datetime.now(UTC)).retired_at == datetime(
        2026, 12, 3, 8, 0, tzinfo=UTC
    )  # retiring twice keeps the first date
    assert [(i.kid, i.status) for i in store.describe()] == [
        (first, "retired"),
        (second, "active"),
    ]
    assert set(store.public_keys()) == {first, second}
    # a marker put on the newest key by hand: a new key is made rather than an old one reused
    (tmp_path / "keys" / "ed25519-000002.retired").write_text("2026-12-03T09:00:00+00:00")
    third = store.current().kid
    assert third not in (first, second)
    assert [i.status for i in store.describe()] == ["retired", "retired", "active"]
    assert badges.did_document("https://cakap.kota.go.id", store.public_keys())[
        "assertionMethod"
    ] == [f"did:web:cakap.kota.go.id#{kid}" for kid in (first, second, third)]
