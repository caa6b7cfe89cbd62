"""docs/verification.md's worked example, run as written against a live Cakap (uvicorn on
loopback, plain HTTP with httpx): the verification API stays what the document says."""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import httpx2
import pytest
from cryptography.exceptions import InvalidSignature
from sqlalchemy import select

from app.certificates import service
from app.certificates.models import Certificate
from app.certificates.pdf import extract_signed_json
from tests.conftest import NIPS, serving
from tests.test_certificates_http import app, complete_course, courses_dir  # noqa: F401

DOC = Path(__file__).resolve().parents[1] / "docs" / "verification.md"
MARKER = "<!-- tested by tests/test_verification_api.py"


def documented_code() -> str:
    text = DOC.read_text(encoding="utf-8")
    after = text[text.index(MARKER) :]
    match = re.search(r"```python\n(.*?)```", after, re.S)
    assert match, "the tested example is missing from docs/verification.md"
    return match.group(1)


@pytest.fixture
def example(monkeypatch):
    """The documented functions, importing `httpx` as an integrator would."""
    monkeypatch.setitem(sys.modules, "httpx", httpx2)
    namespace: dict = {}
    exec(compile(documented_code(), str(DOC), "exec"), namespace)  # noqa: S102
    return namespace


@pytest.fixture
def live(app):  # noqa: F811
    with serving(app) as base:
        # Credentials name the server by its base URL; make it the live one.
        app.state.settings.base_url = base
        yield base


def test_the_documented_example_works(example, live, client, people, db, clock):
    complete_course(client)
    certificate = db.scalar(select(Certificate))
    code = certificate.code

    status = example["certificate_status"](live, code)
    assert status["status"] == "valid" and status["serial"] == certificate.serial
    assert status["nip"] != NIPS["alice"] and status["nip"].startswith(NIPS["alice"][:4])
    assert set(status) == {
        "status", "serial", "holder", "nip", "course", "jp", "completed_on", "issuer",
        "revoked_at", "revoked_reason", "kid",
    }  # fmt: skip
    assert example["certificate_status"](live, "ZZZZZZZZZZZZZZZZ") == {"status": "not_found"}

    badge = client.get(f"/sertifikat/{certificate.id}/openbadge.json").json()
    assert example["check_open_badge"](live, badge) == "valid"
    forged = copy.deepcopy(badge)
    forged["credentialSubject"]["achievement"]["name"] = "Kursus palsu"
    with pytest.raises(InvalidSignature):
        example["check_open_badge"](live, forged)

    pdf = client.get(f"/sertifikat/{certificate.id}/pdf").content
    payload = example["check_sertifikat_json"](live, extract_signed_json(pdf))
    assert payload["serial"] == certificate.serial and payload["holder_nip"] == NIPS["alice"]
    tampered = extract_signed_json(pdf).replace(b"Alice", b"Alicf")
    with pytest.raises(InvalidSignature):
        example["check_sertifikat_json"](live, tampered)

    # Revoked: the issuer says so, and so does the list the badge points to.
    db.rollback()  # end the read transaction the live server has written past
    service.revoke(
        db,
        certificate=db.get(Certificate, certificate.id),
        reason="Data peserta keliru",
        actor=people.adi,
        now=clock(),
        ip=None,
    )
    status = example["certificate_status"](live, code)
    assert status["status"] == "revoked" and status["revoked_reason"] == "Data peserta keliru"
    assert example["check_open_badge"](live, badge) == "revoked"


def test_documented_endpoints_answer_as_documented(live, app, people):  # noqa: F811
    service.key_store(app.state.settings).current()  # the first key exists once one signs
    with httpx2.Client(base_url=live, timeout=10) as http:
        did = http.get("/.well-known/did.json")
        assert did.headers["content-type"].startswith("application/did+json")
        assert did.json()["id"].startswith("did:web:127.0.0.1")
        keys = http.get("/.well-known/cakap-keys.json").json()["keys"]
        assert {k["kty"] for k in keys} == {"OKP"} and {k["crv"] for k in keys} == {"Ed25519"}
        for _ in range(30):
            http.get("/verifikasi/ZZZZZZZZZZZZZZZZ/status.json")
        limited = http.get("/verifikasi/ZZZZZZZZZZZZZZZZ/status.json")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
