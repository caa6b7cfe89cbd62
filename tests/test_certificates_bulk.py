"""Bulk certificate ZIPs: by course, OPD or bimtek session; scope; names; revoked ones."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.bimtek.models import BimtekSession, Nomination, NominationStatus
from app.certificates import bulk
from app.certificates.integrity import proofs
from app.certificates.models import Certificate
from app.certificates.pdf import extract_credential_json, extract_signed_json
from app.certificates.signing import KeyStore, unseal
from tests.conftest import NIPS
from tests.test_certificates_http import app, complete_course, courses_dir  # noqa: F401

ALICE = f"{NIPS['alice']}_Alice_Rahmawati"


def _archive(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    return archive


def _manifest(archive: zipfile.ZipFile) -> list[dict[str, str]]:
    text = archive.read("daftar.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _logged_in(make_client, who: str):
    client = make_client()
    client.login(NIPS[who])
    return client


@pytest.fixture
def two_holders(make_client, people, db):
    """Alice (OPD A) and Bob (OPD B) both completed the course."""
    complete_course(make_client(), "alice")
    complete_course(make_client(), "bob")
    return {c.user.nip: c for c in db.scalars(select(Certificate))}


def test_kominfo_downloads_a_course(make_client, two_holders, settings):
    kiki = _logged_in(make_client, "kiki")
    response = kiki.get("/sertifikat/arsip.zip?kursus=uji-kuis")
    archive = _archive(response)
    assert 'filename="sertifikat-uji-kuis.zip"' in response.headers["content-disposition"]
    bob = f"{NIPS['bob']}_{two_holders[NIPS['bob']].user.full_name.replace(' ', '_')}"
    assert sorted(archive.namelist()) == sorted(
        [f"{ALICE}.pdf", f"{ALICE}.json", f"{bob}.pdf", f"{bob}.json", "daftar.csv"]
    )
    keys = KeyStore(settings.signing_keys_dir).public_keys()
    methods = {f"did:web:testserver#{kid}": key for kid, key in keys.items()}
    pdf = archive.read(f"{ALICE}.pdf")
    assert unseal(extract_signed_json(pdf), keys)["holder_nip"] == NIPS["alice"]
    badge = json.loads(archive.read(f"{ALICE}.json"))
    assert proofs.verify_proof(badge, methods)
    # The JSON beside the PDF is the Open Badge the PDF carries.
    assert json.loads(extract_credential_json(pdf)) == badge
    rows = _manifest(archive)
    assert [row["Status"] for row in rows] == ["sah", "sah"]
    assert rows[0]["Berkas"] == f"{ALICE}.pdf" and rows[0]["NIP"] == NIPS["alice"]
    assert rows[0]["Verifikasi"].startswith("http://testserver/verifikasi/")


def test_opd_admin_gets_only_their_own_opd(make_client, two_holders, people):
    olga = _logged_in(make_client, "olga")  # OPD admin of OPD A
    archive = _archive(olga.get("/sertifikat/arsip.zip?kursus=uji-kuis"))
    assert [row["NIP"] for row in _manifest(archive)] == [NIPS["alice"]]
    assert olga.get(f"/sertifikat/arsip.zip?opd={people.opd_b.id}").status_code == 403
    own = _archive(olga.get(f"/sertifikat/arsip.zip?opd={people.opd_a.id}"))
    # an OPD-wide archive spans courses: one folder per course
    assert f"uji-kuis/{ALICE}.pdf" in own.namelist()


def test_learners_and_empty_requests_are_refused(make_client, two_holders):
    alice = _logged_in(make_client, "alice")
    assert alice.get("/sertifikat/arsip.zip?kursus=uji-kuis").status_code == 403
    assert alice.get("/sertifikat/arsip").status_code == 403
    kiki = _logged_in(make_client, "kiki")
    assert kiki.get("/sertifikat/arsip.zip").status_code == 422
    assert kiki.get("/sertifikat/arsip.zip?kursus=tidak-ada").status_code == 404
    assert kiki.get("/sertifikat/arsip.zip?sesi=999").status_code == 404


def test_revoked_certificates_are_listed_not_shipped(make_client, two_holders, db, clock):
    revoked = two_holders[NIPS["alice"]]
    revoked.revoked_at = clock()
    revoked.revoked_reason = "Data peserta keliru"
    db.commit()
    archive = _archive(_logged_in(make_client, "kiki").get("/sertifikat/arsip.zip?kursus=uji-kuis"))
    assert not [name for name in archive.namelist() if name.startswith(ALICE)]
    rows = {row["NIP"]: row for row in _manifest(archive)}
    assert rows[NIPS["alice"]]["Status"] == "dicabut" and rows[NIPS["alice"]]["Berkas"] == ""
    assert rows[NIPS["bob"]]["Status"] == "sah"


def test_a_bimtek_session_gives_its_confirmed_participants(make_client, two_holders, db, clock):
    certificate = two_holders[NIPS["alice"]]
    session = BimtekSession(
        title="Bimtek Uji",
        course_id=certificate.course_id,
        capacity=10,
        registration_opens=clock() - timedelta(days=10),
        registration_closes=clock() - timedelta(days=5),
        jp=certificate.jp,
    )
    db.add(session)
    db.flush()
    for user, status in [
        (certificate.user, NominationStatus.confirmed),
        (two_holders[NIPS["bob"]].user, NominationStatus.withdrawn),
    ]:
        db.add(
            Nomination(session_id=session.id, user_id=user.id, opd_id=user.opd_id, status=status)
        )
    db.commit()
    kiki = _logged_in(make_client, "kiki")
    response = kiki.get(f"/sertifikat/arsip.zip?sesi={session.id}")
    assert [row["NIP"] for row in _manifest(_archive(response))] == [NIPS["alice"]]
    assert f'filename="sertifikat-sesi{session.id}.zip"' in response.headers["content-disposition"]


def test_archive_page_links_to_the_download(make_client, two_holders, people):
    page = _logged_in(make_client, "olga").get("/sertifikat/arsip")
    assert page.status_code == 200 and 'action="/sertifikat/arsip.zip"' in page.text
    assert f'value="{people.opd_b.id}"' not in page.text  # OPD admins see only their OPD
    admin_page = _logged_in(make_client, "adi").get("/admin/sertifikat").text
    assert 'href="/sertifikat/arsip"' in admin_page
    assert 'href="/sertifikat/arsip"' in _logged_in(make_client, "kiki").get("/sertifikat").text


@pytest.mark.parametrize(
    ("nip", "name", "stem"),
    [
        ("199001012015011001", "Siti Nurhaliza", "199001012015011001_Siti_Nurhaliza"),
        ("199001012015011001", "Sitì Nürhaliza, S.Kom.", "199001012015011001_Siti_Nurhaliza_S.Kom"),
        (None, "Budi", "tanpa-NIP_Budi"),
        ("1990", "../../etc/passwd", "1990_etc_passwd"),
        ("1990", "CON", "1990_CON"),
        ("1990", "名前", "1990_tanpa-nama"),
        ("1990", "A" * 300, "1990_" + "A" * 95),
        ("1990", 'a<b>c:d"e|f?g*h\\i/j\x00k', "1990_a_b_c_d_e_f_g_h_i_j_k"),
    ],
)
def test_file_names_are_safe_everywhere(nip, name, stem):
    assert bulk.file_stem(nip, name) == stem
    assert len(stem) <= 100


def test_zip_stream_yields_as_it_goes(monkeypatch):
    """Nothing waits for the whole archive: each certificate is handed out on its own."""

    class FakeDb:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    written = []

    def fake_add(archive, settings, certificate, used, *, single_course, logo):
        archive.writestr(f"{certificate}.pdf", b"x" * 10_000)
        written.append(certificate)
        return [f"{certificate}.pdf"]

    monkeypatch.setattr(bulk, "_load", lambda db, ids: ids)
    monkeypatch.setattr(bulk, "_add", fake_add)
    chunks = bulk.zip_stream(None, FakeDb, range(120), single_course=True)
    first = next(chunks)
    assert written == [0] and len(first) > 10_000
    rest = list(chunks)
    assert len(rest) == 120 and len(written) == 120
    archive = zipfile.ZipFile(io.BytesIO(first + b"".join(rest)))
    assert len(archive.namelist()) == 121
