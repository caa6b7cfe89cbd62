"""Who may manage whom (#15 item 1): only people ranked strictly below oneself.

An OPD admin sharing DISKOMINFO with the city admin once could reset the admin's access,
receive the new activation code and log in as the admin. Peers and higher are now refused
(403, audited, nothing changed) and the pages hide the buttons; admin over admin needs the
acting admin's own password.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.passwords import Hasher
from app.users.models import ActivationCode, ImportJob, Role, User
from app.users.service import create_user
from tests.conftest import NIPS, PASSWORD

OSCAR_NIP = "198606062011061006"  # a second opd_admin in OPD A (olga's peer)
ANI_NIP = "198207072008072007"  # a second admin, in OPD B

RESET_BUTTON = "/reset"
STATUS_BUTTON = "/status"
REFUSAL = "Anda hanya dapat mengelola akun dengan peran di bawah peran Anda sendiri."


def _fresh(db):
    db.rollback()
    db.expire_all()
    return db


@pytest.fixture
def staff(db, people):
    """The conftest people plus oscar (opd_admin, OPD A) and ani (admin, OPD B)."""
    pw = Hasher(1024, 1, 1).hash(PASSWORD)
    oscar = create_user(
        db,
        full_name="Oscar Pratama",
        nip=OSCAR_NIP,
        opd=people.opd_a,
        roles={Role.opd_admin},
        password_hash=pw,
    )
    ani = create_user(
        db,
        full_name="Ani Wulandari",
        nip=ANI_NIP,
        opd=people.opd_b,
        roles={Role.admin},
        password_hash=pw,
    )
    db.commit()
    return {"adi": people.adi, "kiki": people.kiki, "oscar": oscar, "ani": ani}


def _state(db, user_id: int):
    """What a management action would change about the person."""
    person = _fresh(db).get(User, user_id)
    codes = db.scalars(select(ActivationCode.id).where(ActivationCode.user_id == user_id)).all()
    return person.password_hash, person.active, person.opd_id, sorted(person.roles), codes


def _refusals(db, target_id: int) -> list[dict]:
    rows = _fresh(db).scalars(
        select(AuditEvent).where(
            AuditEvent.action == "user.manage_refused", AuditEvent.target == str(target_id)
        )
    )
    return [row.detail for row in rows]


@pytest.mark.parametrize("target", ["adi", "kiki", "oscar"])
def test_opd_admin_cannot_manage_peers_or_higher_in_her_opd(make_client, people, staff, db, target):
    person = staff[target]
    olga = make_client()
    olga.login(NIPS["olga"])
    before = _state(db, person.id)
    page = olga.get(f"/admin/pengguna/{person.id}")
    assert page.status_code == 200
    assert RESET_BUTTON not in page.text and STATUS_BUTTON not in page.text
    assert REFUSAL in page.text
    token = olga.csrf(f"/admin/pengguna/{person.id}")
    reset = olga.post(f"/admin/pengguna/{person.id}/reset", data={"csrf_token": token})
    assert reset.status_code == 403
    assert 'id="activation-code"' not in reset.text and REFUSAL in reset.text
    status = olga.post(
        f"/admin/pengguna/{person.id}/status", data={"csrf_token": token, "active": "0"}
    )
    assert status.status_code == 403
    assert _state(db, person.id) == before
    tried = sorted(detail["tried"] for detail in _refusals(db, person.id))
    assert tried == ["reset", "status"]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.manage_refused"))
    assert event.actor_id == people.olga.id


def test_the_admin_takeover_no_longer_works(make_client, people, db):
    olga = make_client()
    olga.login(NIPS["olga"])
    r = olga.submit(
        f"/admin/pengguna/{people.adi.id}/reset", page=f"/admin/pengguna/{people.adi.id}"
    )
    assert r.status_code == 403
    # no code was issued, so none can be activated: the admin's password still works
    assert _fresh(db).scalar(select(ActivationCode)) is None
    adi = make_client()
    adi.login(NIPS["adi"])


def test_opd_admin_still_manages_learners_of_her_opd(make_client, people, staff, db):
    olga = make_client()
    olga.login(NIPS["olga"])
    page = olga.get(f"/admin/pengguna/{people.alice.id}").text
    assert RESET_BUTTON in page and STATUS_BUTTON in page and 'name="password"' not in page
    r = olga.submit(
        f"/admin/pengguna/{people.alice.id}/reset", page=f"/admin/pengguna/{people.alice.id}"
    )
    assert r.status_code == 200 and 'id="activation-code"' in r.text
    olga.submit(
        f"/admin/pengguna/{people.alice.id}/status",
        {"active": "0", "konfirmasi": "1"},
        page=f"/admin/pengguna/{people.alice.id}",
    )
    alice = _fresh(db).get(User, people.alice.id)
    assert alice.password_hash is None and not alice.active
    assert _refusals(db, people.alice.id) == []


def _listed(response) -> set[str]:
    assert response.status_code == 200, response.text[:300]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return {
        str(row[2]) for row in sheet.iter_rows(values_only=True) if row and isinstance(row[0], int)
    }


def test_activation_lists_leave_out_peers_and_higher(make_client, people, staff, db):
    olga, adi = make_client(), make_client()
    olga.login(NIPS["olga"])
    adi.login(NIPS["adi"])
    # Everyone in OPD A is now "not activated yet", the managers themselves included.
    for person in (people.alice, people.olga, people.kiki, people.adi, staff["oscar"]):
        person.password_hash = None
    staff["ani"].opd = people.opd_a
    staff["ani"].password_hash = None
    db.commit()
    token = olga.csrf("/admin/impor")
    # Asked to replace every code (confirmed): still only for people below her.
    olga.post(
        "/admin/aktivasi",
        data={"csrf_token": token, "opd_id": people.opd_a.id, "replace": "1", "konfirmasi": "1"},
    )
    listed = _listed(olga.get(f"/admin/aktivasi/{people.opd_a.id}/daftar.xlsx"))
    assert listed == {NIPS["alice"]}
    pdf = olga.get(f"/admin/aktivasi/{people.opd_a.id}/daftar.pdf")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert NIPS["alice"] in text
    assert not any(nip in text for nip in (NIPS["adi"], NIPS["kiki"], NIPS["olga"], OSCAR_NIP))
    # codes were never issued for them, not merely left out of the file
    assert set(_fresh(db).scalars(select(ActivationCode.user_id))) == {people.alice.id}
    # the admin's list has everyone below admin, but neither admin
    adi.post(
        "/admin/aktivasi",
        data={"csrf_token": adi.csrf("/admin/impor"), "opd_id": people.opd_a.id},
    )
    listed = _listed(adi.get(f"/admin/aktivasi/{people.opd_a.id}/daftar.xlsx"))
    assert listed == {NIPS["alice"], NIPS["olga"], NIPS["kiki"], OSCAR_NIP}
    coded = set(_fresh(db).scalars(select(ActivationCode.user_id)))
    assert people.adi.id not in coded and staff["ani"].id not in coded


def test_admin_over_admin_needs_the_acting_admins_password(make_client, people, staff, db):
    ani = staff["ani"]
    adi = make_client()
    adi.login(NIPS["adi"])
    page = adi.get(f"/admin/pengguna/{ani.id}").text
    assert page.count('name="password"') == 4  # reset, status, OPD, roles
    assert 'name="password"' not in adi.get(f"/admin/pengguna/{people.kiki.id}").text
    before = _state(db, ani.id)
    url = f"/admin/pengguna/{ani.id}"
    for action, data in [
        ("reset", {}),
        ("status", {"active": "0"}),
        ("opd", {"opd_id": people.opd_a.id}),
        ("peran", {"roles": "kominfo"}),
    ]:
        for password in ("", "salah-sekali-ini"):
            r = adi.submit(f"{url}/{action}", {**data, "password": password}, page=url)
            assert r.status_code == 403, (action, password)
            assert "masukkan kata sandi Anda sendiri" in r.text
            assert 'id="activation-code"' not in r.text
    assert _state(db, ani.id) == before
    refusals = _refusals(db, ani.id)
    assert len(refusals) == 8 and {d["reason"] for d in refusals} == {"password"}
    # with his own password it works: a deliberate act, never a single click
    r = adi.submit(f"{url}/reset", {"password": PASSWORD}, page=url)
    assert r.status_code == 200 and 'id="activation-code"' in r.text
    adi.submit(f"{url}/status", {"active": "0", "password": PASSWORD}, page=url)
    person = _fresh(db).get(User, ani.id)
    assert person.password_hash is None and not person.active


def test_admin_manages_lower_roles_in_one_step(make_client, people, staff, db):
    adi = make_client()
    adi.login(NIPS["adi"])
    url = f"/admin/pengguna/{people.kiki.id}"
    r = adi.submit(f"{url}/reset", page=url)
    assert r.status_code == 200 and 'id="activation-code"' in r.text
    assert _fresh(db).get(User, people.kiki.id).password_hash is None


def test_password_re_entry_is_throttled(make_client, people, staff, db):
    ani = staff["ani"]
    adi = make_client()
    adi.login(NIPS["adi"])
    url = f"/admin/pengguna/{ani.id}"
    token = adi.csrf(url)
    for _ in range(10):
        r = adi.post(f"{url}/reset", data={"csrf_token": token, "password": "tebakan-salah"})
        assert r.status_code == 403
    # the right password no longer helps within the window: guessing is bounded
    r = adi.post(f"{url}/reset", data={"csrf_token": token, "password": PASSWORD})
    assert r.status_code == 403 and "Terlalu banyak percobaan" in r.text
    assert _fresh(db).get(User, ani.id).password_hash is not None
    assert {d["reason"] for d in _refusals(db, ani.id)} == {"password", "throttled"}


def test_opd_admin_import_cannot_change_peers_or_higher(make_client, people, staff, db):
    opd = people.opd_a.name
    csv = (
        "nip,nama,email,opd,status\n"
        f"{NIPS['alice']},Alice Baru,,{opd},CPNS\n"
        f"{NIPS['adi']},Adi Diganti,olga.palsu@uji.go.id,{opd},PNS\n"
        f"{NIPS['kiki']},Kiki Diganti,,{opd},PNS\n"
        f"{OSCAR_NIP},Oscar Diganti,,{opd},PNS\n"
    ).encode()
    olga = make_client()
    olga.login(NIPS["olga"])
    token = olga.csrf("/admin/impor")
    olga.post(
        "/admin/impor",
        data={"csrf_token": token},
        files={"berkas": ("pegawai.csv", csv, "text/csv")},
    )
    job = _fresh(db).scalars(select(ImportJob).order_by(ImportJob.id.desc())).first()
    assert job.counts["update"] == 1 and job.counts["rejected"] == 3, job.problems
    assert {p["row"] for p in job.problems if "peran lebih tinggi" in p["reason"]} == {3, 4, 5}
    olga.submit(f"/admin/impor/{job.id}/terapkan", page=f"/admin/impor/{job.id}")
    db_ = _fresh(db)
    assert db_.get(User, people.alice.id).full_name == "Alice Baru"
    assert db_.get(User, people.adi.id).full_name == "Adi Nugroho"
    assert db_.get(User, people.adi.id).email == "adi@uji.go.id"
    assert db_.get(User, people.kiki.id).full_name == "Kiki Handayani"
    assert db_.get(User, staff["oscar"].id).full_name == "Oscar Pratama"
