"""Adding one person by hand: a one-row import with the same checks, rules and scope
(pilot finding 14: the OPD admin had no form to add one person)."""

from __future__ import annotations

from sqlalchemy import select

from app.progress.models import Enrolment
from app.users.models import User
from tests.conftest import NIPS


def _fresh(db):
    db.rollback()
    db.expire_all()
    return db


def test_opd_admin_adds_a_cpns_to_their_own_opd(make_client, people, db, clock):
    olga = make_client()
    olga.login(NIPS["olga"])
    assert 'href="/admin/pengguna/baru"' in olga.get("/admin/pengguna").text
    form = olga.get("/admin/pengguna/baru").text
    assert 'name="nip"' in form and people.opd_b.code not in form  # only her own OPD
    added = olga.submit(
        "/admin/pengguna/baru",
        {
            "nip": "19990101 202501 1 007",
            "nama": "Gita Permata",
            "opd": people.opd_b.code,  # ignored: an OPD admin adds to her own OPD
            "status": "CPNS",
            "tmt": clock().date().isoformat(),
        },
        page="/admin/pengguna/baru",
    )
    assert added.status_code == 200 and 'id="person-added"' in added.text
    gita = _fresh(db).scalar(select(User).where(User.nip == "199901012025011007"))
    assert gita.opd_id == people.opd_a.id and gita.password_hash is None
    # The orientation's default rule reached her like an imported CPNS.
    assert db.scalars(select(Enrolment).where(Enrolment.user_id == gita.id)).all()


def test_bad_or_existing_people_are_refused_with_the_importers_reasons(make_client, people, db):
    adi = make_client()
    adi.login(NIPS["adi"])
    bad = adi.submit(
        "/admin/pengguna/baru", {"nip": "1234", "nama": "Salah"}, page="/admin/pengguna/baru"
    )
    assert bad.status_code == 422 and 'id="add-problems"' in bad.text and "18 digit" in bad.text
    again = adi.submit(
        "/admin/pengguna/baru",
        {"nip": NIPS["bob"], "nama": "Bob Saputra", "opd": people.opd_b.code},
        page="/admin/pengguna/baru",
    )
    assert again.status_code == 422 and "sudah terdaftar" in again.text
    assert make_client().get("/admin/pengguna/baru", follow_redirects=False).status_code == 303
    kiki = make_client()
    kiki.login(NIPS["kiki"])
    assert kiki.get("/admin/pengguna/baru").status_code == 403
