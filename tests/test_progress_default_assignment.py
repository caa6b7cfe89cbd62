"""A course file's `assign:` block: every new CPNS gets the orientation course, due from
their TMT, without an admin writing a rule (pilot-readiness finding 3)."""

from __future__ import annotations

import itertools
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app import citytime
from app.courses.models import Course
from app.courses.sync import sync_courses
from app.progress.assignment import MIN_DAYS_TO_FINISH, matching_users, rule_covers
from app.progress.models import AssignmentRule, Enrolment
from app.users.activation import issue_codes
from app.users.models import EmploymentStatus, User
from app.users.service import create_user
from tests.conftest import NIPS, PROJECT_ROOT

ORIENTATION = "orientasi-digital-cpns"


def _upload(client, data: bytes):
    token = client.csrf("/admin/impor")
    return client.post(
        "/admin/impor",
        data={"csrf_token": token},
        files={"berkas": ("pegawai.csv", data, "text/csv")},
    )


def _default_rule(db, slug=ORIENTATION) -> AssignmentRule:
    db.rollback()
    db.expire_all()
    course = db.scalar(select(Course).where(Course.slug == slug))
    return db.scalar(
        select(AssignmentRule).where(
            AssignmentRule.course_id == course.id, AssignmentRule.course_default.is_(True)
        )
    )


def test_shipped_orientation_course_has_a_default_rule_for_cpns(client, people, db):
    client.get("/masuk")  # the app has started and synced the shipped courses
    rule = _default_rule(db)
    assert rule is not None and rule.active
    assert rule.statuses == ["CPNS"] and rule.due_from == "tmt" and rule.due_days == 90
    # The bimtek course has no `assign:`: nobody gets it without a nomination.
    assert _default_rule(db, "bimtek-masterplan-smart-city") is None


def test_imported_cpns_sees_the_orientation_course_on_first_login(
    client, make_client, people, db, clock
):
    client.login(NIPS["adi"])
    tmt = (clock().date() - timedelta(days=30)).isoformat()
    csv = (
        "nip,nama,opd,status,tmt\n"
        f"199901012025011001,Citra Lestari,DISKOMINFO,CPNS,{tmt}\n"
        "199001012015011002,Dedi Pratama,DISKOMINFO,PNS,2015-01-01\n"
    ).encode()
    preview = _upload(client, csv)
    assert preview.status_code == 200
    # The preview says how many course assignments confirming will create.
    assert 'id="assignments"' in preview.text
    assert ">1</strong>" in preview.text.split('id="assignments"')[1][:80]
    job_id = int(preview.url.path.rsplit("/", 1)[1])
    done = client.submit(f"/admin/impor/{job_id}/terapkan", page=f"/admin/impor/{job_id}")
    assert "Impor selesai" in done.text
    db.rollback()
    citra = db.scalar(select(User).where(User.nip == "199901012025011001"))
    dedi = db.scalar(select(User).where(User.nip == "199001012015011002"))
    enrolments = db.scalars(select(Enrolment).where(Enrolment.user_id == citra.id)).all()
    assert len(enrolments) == 1 and enrolments[0].course.slug == ORIENTATION
    # 90 days after the TMT, which was 30 days ago.
    assert enrolments[0].due_date == date.fromisoformat(tmt) + timedelta(days=90)
    assert db.scalars(select(Enrolment).where(Enrolment.user_id == dedi.id)).all() == []
    # First login, through activation: the course is on the home page.
    (issued,) = issue_codes(
        db, users=[citra], actor_id=None, now=clock(), reason="test", secret=b"s" * 32
    )
    db.commit()
    cpns = make_client()
    token = cpns.csrf("/aktivasi")
    activated = cpns.post(
        "/aktivasi",
        data={
            "csrf_token": token,
            "identifier": citra.nip,
            "code": issued.code,
            "password": "kata-sandi-baru-citra-1",
            "confirm": "kata-sandi-baru-citra-1",
        },
    )
    assert activated.status_code == 200
    home = cpns.get("/")
    assert "Orientasi Digital untuk CPNS" in home.text
    assert "belum mengikuti kursus" not in home.text


def test_a_long_past_tmt_still_leaves_time_to_finish(client, people, db, clock):
    client.login(NIPS["adi"])
    csv = b"nip,nama,opd,status,tmt\n199501012019011003,Eko Wibowo,DISKOMINFO,CPNS,2019-01-01\n"
    job_id = int(_upload(client, csv).url.path.rsplit("/", 1)[1])
    client.submit(f"/admin/impor/{job_id}/terapkan", page=f"/admin/impor/{job_id}")
    db.rollback()
    eko = db.scalar(select(User).where(User.nip == "199501012019011003"))
    (enrolment,) = db.scalars(select(Enrolment).where(Enrolment.user_id == eko.id)).all()
    assert enrolment.due_date == citytime.today(clock()) + timedelta(days=MIN_DAYS_TO_FINISH)


def _course_copy(tmp_path: Path) -> Path:
    root = tmp_path / "courses"
    shutil.copytree(PROJECT_ROOT / "courses" / ORIENTATION, root / ORIENTATION)
    return root


def test_switched_off_stays_off_and_removing_the_block_removes_the_rule(
    client, people, db, clock, tmp_path
):
    root = _course_copy(tmp_path)
    sync_courses(db, root=root, now=clock())
    client.login(NIPS["adi"])
    rule = _default_rule(db)
    client.submit(f"/admin/aturan/{rule.id}/nonaktif", page="/admin/aturan")
    # A changed course file (new due days) syncs again; the rule stays off.
    course_yaml = root / ORIENTATION / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("due_days: 90", "due_days: 60"))
    sync_courses(db, root=root, now=clock())
    rule = _default_rule(db)
    assert rule.due_days == 60 and not rule.active
    page = client.get("/admin/aturan").text
    assert "dari berkas kursus" in page and "60 hari setelah TMT" in page
    # Switched on again, it assigns the CPNS it covers (alice and bob are CPNS).
    client.submit(f"/admin/aturan/{rule.id}/aktif", page="/admin/aturan")
    db.rollback()
    enrolled = set(
        db.scalars(select(Enrolment.user_id).where(Enrolment.course_id == rule.course_id))
    )
    assert {people.alice.id, people.bob.id} <= enrolled
    assert people.olga.id not in enrolled  # PNS
    # Without the block, the rule is gone; the enrolments it made stay.
    text = course_yaml.read_text()
    course_yaml.write_text(text[: text.index("# Every CPNS")])
    sync_courses(db, root=root, now=clock())
    assert _default_rule(db) is None
    assert people.alice.id in set(
        db.scalars(select(Enrolment.user_id).where(Enrolment.course_id == rule.course_id))
    )


def test_course_check_reports_a_bad_assign_block(tmp_path):
    from app.courses.loader import load_catalogue

    root = _course_copy(tmp_path)
    course_yaml = root / ORIENTATION / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("[CPNS]", "[HONORER]"))
    loaded, problems = load_catalogue(root)
    assert ORIENTATION not in loaded
    (problem,) = [p for p in problems if p.level == "error"]
    assert problem.path.endswith("course.yaml") and problem.line > 1
    assert "assign" in problem.message and "HONORER" in problem.message


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_rule_covers_agrees_with_the_sql_of_matching_users(db, people):
    """The preview's Python predicate and the SQL that enrols are one rule."""
    course = Course(slug="uji", title="Uji", summary="-", audience="umum", jp=1, content_hash="x")
    db.add(course)
    db.flush()
    specs = itertools.product(
        [people.opd_a, people.opd_b],
        list(EmploymentStatus),
        [None, date(2019, 3, 1), date(2024, 1, 2)],
    )
    persons = []
    for n, (opd, status, tmt) in enumerate(specs):
        nip = f"19900101{2019 if n % 2 else 2024}011{n + 1:03d}"
        person = create_user(db, full_name=f"Orang {n}", nip=nip, opd=opd, status=status)
        person.tmt = tmt
        persons.append(person)
    db.flush()
    rules = [
        AssignmentRule(course_id=course.id, opd_ids=opds, statuses=statuses, tmt_year=year)
        for opds in (None, [people.opd_a.id])
        for statuses in (None, ["CPNS"], ["PNS", "PPPK"])
        for year in (None, 2019, 2024)
    ]
    ids = [p.id for p in persons]
    for rule in rules:
        in_sql = {uid for uid, _ in matching_users(db, rule, user_ids=ids)}
        in_python = {
            p.id
            for p in persons
            if rule_covers(rule, opd_id=p.opd_id, status=p.employment_status, tmt=p.tmt, nip=p.nip)
        }
        assert in_sql == in_python, (rule.opd_ids, rule.statuses, rule.tmt_year)
