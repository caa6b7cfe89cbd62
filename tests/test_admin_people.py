"""User and OPD management, assignment rules and the audit log — with OPD scoping."""

from __future__ import annotations

import io

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.courses.models import Course
from app.opds.models import Opd
from app.progress.models import Enrolment
from app.users.models import Role, User
from tests.conftest import NIPS, PASSWORD


def _fresh(db):
    """End the test session's snapshot and forget cached objects, to see what requests wrote."""
    db.rollback()
    db.expire_all()
    return db


def test_search_is_scoped_for_opd_admins(make_client, people):
    adi, olga = make_client(), make_client()
    adi.login(NIPS["adi"])
    olga.login(NIPS["olga"])
    assert "Bob Saputra" in adi.get("/admin/pengguna?q=bob").text
    page = olga.get("/admin/pengguna").text
    assert "Alice Rahmawati" in page and "Bob Saputra" not in page
    assert "Bob" not in olga.get(f"/admin/pengguna?q={NIPS['bob']}").text
    assert olga.get(f"/admin/pengguna/{people.bob.id}").status_code == 404
    fragment = adi.get("/admin/pengguna?q=alice", headers={"HX-Request": "true"})
    assert 'id="results"' in fragment.text and "<html" not in fragment.text
    kiki = make_client()
    kiki.login(NIPS["kiki"])
    assert kiki.get("/admin/pengguna").status_code == 403


def test_opd_admin_can_deactivate_own_people_but_not_others(make_client, people, db):
    olga = make_client()
    olga.login(NIPS["olga"])
    token = olga.csrf("/admin/pengguna")
    r = olga.post(
        f"/admin/pengguna/{people.bob.id}/status", data={"csrf_token": token, "active": "0"}
    )
    assert r.status_code == 404
    alice = make_client()
    alice.login(NIPS["alice"])
    asked = olga.submit(
        f"/admin/pengguna/{people.alice.id}/status",
        {"active": "0"},
        page=f"/admin/pengguna/{people.alice.id}",
    )
    # Deactivation is confirmed on a page of its own first (works without JavaScript).
    assert 'id="confirm"' in asked.text and "semua sesinya diakhiri" in asked.text
    assert _fresh(db).get(User, people.alice.id).active
    olga.submit(
        f"/admin/pengguna/{people.alice.id}/status",
        {"active": "0", "konfirmasi": "1"},
        page=f"/admin/pengguna/{people.alice.id}",
    )
    assert not _fresh(db).get(User, people.alice.id).active
    # deactivation ends the person's sessions at once
    assert alice.get("/", follow_redirects=False).status_code == 303
    assert db.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.deactivated")
    ).target == str(people.alice.id)
    # role changes and moves are for city admins only
    r = olga.post(
        f"/admin/pengguna/{people.alice.id}/peran", data={"csrf_token": token, "roles": "admin"}
    )
    assert r.status_code == 403


def test_reset_shows_a_code_once_and_kills_the_password(make_client, people, db):
    adi = make_client()
    adi.login(NIPS["adi"])
    r = adi.submit(
        f"/admin/pengguna/{people.bob.id}/reset", page=f"/admin/pengguna/{people.bob.id}"
    )
    assert r.status_code == 200
    import re

    code = re.search(r'id="activation-code">([^<]+)<', r.text).group(1)
    assert code not in adi.get(f"/admin/pengguna/{people.bob.id}").text  # shown once
    bob = make_client()
    assert (
        bob.submit("/masuk", {"identifier": NIPS["bob"], "password": PASSWORD}).status_code == 422
    )
    ok = bob.submit(
        "/aktivasi",
        {
            "identifier": NIPS["bob"],
            "code": code,
            "password": "frasa-bob-yang-baru",
            "confirm": "frasa-bob-yang-baru",
        },
        page="/aktivasi",
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "Bob Saputra" in bob.get("/").text


def test_roles_and_moves_are_audited(make_client, people, db):
    adi = make_client()
    adi.login(NIPS["adi"])
    adi.submit(
        f"/admin/pengguna/{people.bob.id}/peran",
        {"roles": "opd_admin"},
        page=f"/admin/pengguna/{people.bob.id}",
    )
    bob = _fresh(db).get(User, people.bob.id)
    assert {r.value for r in bob.roles} == {"learner", "opd_admin"}
    adi.submit(
        f"/admin/pengguna/{people.bob.id}/opd",
        {"opd_id": people.opd_a.id},
        page=f"/admin/pengguna/{people.bob.id}",
    )
    assert _fresh(db).get(User, people.bob.id).opd_id == people.opd_a.id
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"user.roles_changed", "user.opd_changed"} <= actions
    # Taking a role away is confirmed first.
    asked = adi.submit(
        f"/admin/pengguna/{people.bob.id}/peran", {}, page=f"/admin/pengguna/{people.bob.id}"
    )
    assert 'id="confirm"' in asked.text and "Admin OPD" in asked.text
    assert _fresh(db).get(User, people.bob.id).has_role(Role.opd_admin)
    adi.submit(
        f"/admin/pengguna/{people.bob.id}/peran",
        {"konfirmasi": "1"},
        page=f"/admin/pengguna/{people.bob.id}",
    )
    assert not _fresh(db).get(User, people.bob.id).has_role(Role.opd_admin)
    # an admin cannot remove their own admin role by accident
    r = adi.post(
        f"/admin/pengguna/{people.adi.id}/peran",
        data={"csrf_token": adi.csrf("/"), "roles": "kominfo"},
    )
    assert r.status_code == 403


def test_opd_create_rename_merge_import(make_client, people, db):
    adi = make_client()
    adi.login(NIPS["adi"])
    adi.submit("/admin/opd", {"code": "dinkes", "name": "Dinas Kesehatan"}, page="/admin/opd")
    dinkes = _fresh(db).scalar(select(Opd).where(Opd.code == "DINKES"))
    assert dinkes is not None
    dup = adi.submit("/admin/opd", {"code": "DINKES", "name": "Lain"}, page="/admin/opd")
    assert dup.status_code == 422 and "sudah dipakai" in dup.text
    adi.submit(
        f"/admin/opd/{dinkes.id}/ubah",
        {"code": "DINKES", "name": "Dinas Kesehatan Kota"},
        page="/admin/opd",
    )
    assert _fresh(db).get(Opd, dinkes.id).name == "Dinas Kesehatan Kota"
    # Merging is irreversible: the first press only says what would happen.
    asked = adi.submit(
        f"/admin/opd/{people.opd_b.id}/gabung", {"target_id": dinkes.id}, page="/admin/opd"
    )
    assert 'id="confirm"' in asked.text and "1 pegawai" in asked.text
    assert "tidak dapat dibatalkan" in asked.text
    assert _fresh(db).get(User, people.bob.id).opd_id == people.opd_b.id  # nothing moved yet
    # No target is pre-selected on the list page.
    assert '<option value="">' in adi.get("/admin/opd").text
    merged = adi.submit(
        f"/admin/opd/{people.opd_b.id}/gabung",
        {"target_id": dinkes.id, "konfirmasi": "1"},
        page="/admin/opd",
    )
    assert "1 pegawai dipindahkan" in merged.text
    db.rollback()
    assert (
        db.get(User, people.bob.id).opd_id == dinkes.id and not db.get(Opd, people.opd_b.id).active
    )
    token = adi.csrf("/admin/opd")
    csv = b"kode;nama\nDISHUB;Dinas Perhubungan\n;tanpa kode\nDINKES;Dinas Kesehatan Kota\n"
    r = adi.post(
        "/admin/opd/impor",
        data={"csrf_token": token},
        files={"berkas": ("opd.csv", csv, "text/csv")},
    )
    assert "1 OPD ditambahkan" in r.text and "Baris 3" in r.text


def test_assignment_rule_applies_now_and_to_people_imported_later(make_client, people, db, clock):
    adi = make_client()
    adi.login(NIPS["adi"])
    # The bimtek course: the orientation course already goes to every CPNS by its own
    # `assign:` block (tests/test_progress_default_assignment.py).
    course = _fresh(db).scalar(select(Course).where(Course.slug == "bimtek-masterplan-smart-city"))
    r = adi.submit(
        "/admin/aturan",
        {"course_id": course.id, "statuses": "CPNS", "due_days": "30"},
        page="/admin/aturan",
    )
    assert "2 pegawai ditugaskan" in r.text  # Alice and Bob are CPNS
    db.rollback()
    enrolments = db.scalars(select(Enrolment).where(Enrolment.course_id == course.id)).all()
    assert {e.user_id for e in enrolments} == {people.alice.id, people.bob.id}
    assert all(e.source == "assigned" and e.due_date is not None for e in enrolments)
    alice = make_client()
    alice.login(NIPS["alice"])
    home = alice.get("/").text
    assert "Bimtek Penyusunan Masterplan Smart City" in home and "tenggat" in home
    # someone imported later as CPNS gets it too
    token = adi.csrf("/admin/impor")
    data = b"nip;nama;kode opd;status\n200101012025011001;Citra Dewi;BAPPEDA;CPNS\n"
    adi.post(
        "/admin/impor", data={"csrf_token": token}, files={"berkas": ("baru.csv", data, "text/csv")}
    )
    from app.users.models import ImportJob

    job = _fresh(db).scalars(select(ImportJob).order_by(ImportJob.id.desc())).first()
    done = adi.submit(f"/admin/impor/{job.id}/terapkan", page=f"/admin/impor/{job.id}")
    assert "penugasan kursus" in done.text
    citra = _fresh(db).scalar(select(User).where(User.nip == "200101012025011001"))
    assert db.scalar(
        select(Enrolment).where(Enrolment.user_id == citra.id, Enrolment.course_id == course.id)
    )


def test_audit_log_viewer_filters(make_client, people):
    adi = make_client()
    adi.login(NIPS["adi"])
    make_client().submit("/masuk", {"identifier": NIPS["bob"], "password": "salah-sekali"})
    page = adi.get("/admin/audit?aksi=login.failed").text
    failed = f"Percobaan masuk gagal dengan akun {NIPS['bob']}."
    assert failed in page and "Adi Nugroho masuk" not in page
    assert "Percobaan masuk gagal" not in adi.get("/admin/audit?aksi=opd").text.split("<tbody>")[1]
    assert adi.get("/admin/audit?dari=kemarin").status_code == 422
    fragment = adi.get("/admin/audit?aksi=login", headers={"HX-Request": "true"})
    assert 'id="results"' in fragment.text and "<html" not in fragment.text
    olga = make_client()
    olga.login(NIPS["olga"])
    assert olga.get("/admin/audit").status_code == 403


def test_activation_form_is_rate_limited(client, people):
    for _ in range(10):
        client.submit(
            "/aktivasi",
            {"identifier": NIPS["bob"], "code": "AAAA-BBBB-CCCC", "password": "x", "confirm": "x"},
            page="/aktivasi",
        )
    r = client.submit(
        "/aktivasi",
        {"identifier": NIPS["bob"], "code": "AAAA-BBBB-CCCC", "password": "x", "confirm": "x"},
        page="/aktivasi",
    )
    assert r.status_code == 429


def test_pdf_activation_list_renders_unicode_names(make_client, people, db):
    people.alice.password_hash = None
    people.alice.full_name = "Ṡiti Nurhaliza Ä"
    db.commit()
    adi = make_client()
    adi.login(NIPS["adi"])
    adi.post(
        "/admin/aktivasi",
        data={"csrf_token": adi.csrf("/admin/impor"), "opd_id": people.opd_a.id},
    )
    r = adi.get(f"/admin/aktivasi/{people.opd_a.id}/daftar.pdf")
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    assert "Nurhaliza" in text and NIPS["alice"] in text
