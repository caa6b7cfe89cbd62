"""`cakap demo`: a demo city that shows the product — every dashboard column non-zero, a
bimtek session running today, learners at every stage, certificates over the year (one
revoked) — and `make run` on a loaded database prints the demo logins again."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from app import citytime
from app.bimtek.models import Attendance, BimtekSession, Nomination, NominationStatus
from app.certificates import service as certificates
from app.certificates.models import Certificate
from app.cli import app as cli
from app.courses.models import Course
from app.db import utcnow
from app.demo import DEMO_PASSWORD, accounts
from app.demo_activity import DEMO_SIGNER
from app.progress.models import Enrolment, EnrolmentStatus
from tests.test_reports_http import total_row

runner = CliRunner()


def run_demo(monkeypatch, settings, *args: str):
    monkeypatch.setenv("CAKAP_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("CAKAP_DATA_DIR", str(settings.data_dir))
    result = runner.invoke(cli, ["demo", *args])
    assert result.exit_code == 0, result.output
    return result


def test_demo_city_has_something_real_on_every_page(monkeypatch, settings, db, make_client):
    run_demo(monkeypatch, settings)
    logins = {a.role: a for a in accounts(db)}
    assert set(logins) == {"admin", "kominfo", "opd_admin", "learner", "fasilitator"}

    kominfo = make_client()
    kominfo.login(logins["kominfo"].login, DEMO_PASSWORD)
    r = kominfo.get("/laporan")
    assert r.status_code == 200
    row = total_row(r.text)
    assert row.startswith("Total kota ")
    figures = row.removeprefix("Total kota ").split()
    # people, enrolled, not started, in progress, completed, completion %, mean score,
    # certificates, JP, bimtek attendees: every one shows something
    assert len(figures) == 10, row
    assert all(re.search(r"[1-9]", figure) for figure in figures), row

    # A session of the shipped bimtek course today and tomorrow (in the city) with a
    # facilitator, confirmed participants from several OPDs, today's attendance recorded.
    session = db.scalar(
        select(BimtekSession)
        .join(Course, Course.id == BimtekSession.course_id)
        .where(Course.slug == "bimtek-masterplan-smart-city")
    )
    assert session is not None
    today = citytime.today(utcnow())
    assert [d.date for d in session.days] == [today, today + timedelta(days=1)]
    assert [f.nip for f in session.facilitators] == [logins["fasilitator"].login]
    confirmed_opds = db.scalar(
        select(func.count(func.distinct(Nomination.opd_id))).where(
            Nomination.session_id == session.id, Nomination.status == NominationStatus.confirmed
        )
    )
    assert confirmed_opds >= 3
    present = db.scalar(
        select(func.count()).select_from(Attendance).where(Attendance.day_id == session.days[0].id)
    )
    assert present > 0

    # Learners at every stage, overdue ones among those not started.
    statuses = set(db.scalars(select(Enrolment.status).distinct()))
    assert statuses == {
        EnrolmentStatus.enrolled,
        EnrolmentStatus.in_progress,
        EnrolmentStatus.completed,
    }
    overdue = db.scalar(
        select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.started_at.is_(None), Enrolment.due_date < today)
    )
    assert overdue > 0

    # Completions (and so certificates and JP) over at least three months, one revoked,
    # issued through the real service so they are signed.
    months = {
        (citytime.local(at).year, citytime.local(at).month)
        for at in db.scalars(
            select(Enrolment.completed_at).where(Enrolment.completed_at.is_not(None))
        )
    }
    assert len(months) >= 3, months
    certs = db.scalars(select(Certificate)).all()
    assert len([c for c in certs if c.revoked_at is not None]) == 1
    assert len(certs) == db.scalar(
        select(func.count()).select_from(Enrolment).where(Enrolment.completed_at.is_not(None))
    )
    assert all(certificates.signature_valid(settings, c) for c in certs)
    # Signed by a named person (with NIP), not by a title printed twice.
    assert {c.payload["signer_name"] for c in certs} == {DEMO_SIGNER}
    assert all(c.payload["signer_nip"] for c in certs)

    # The demo learner has a course in progress and a certificate to look at.
    learner = logins["learner"]
    learner_client = make_client()
    learner_client.login(learner.login, DEMO_PASSWORD)
    page = learner_client.get("/sertifikat")
    assert page.status_code == 200 and "Bimtek Penyusunan Masterplan Smart City" in page.text
    mine = db.scalars(
        select(Enrolment.status)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == _user_id(db, learner.login))
    ).all()
    assert EnrolmentStatus.in_progress in mine and EnrolmentStatus.completed in mine


def _user_id(db, nip: str) -> int:
    from app.users.models import User

    return db.scalar(select(User.id).where(User.nip == nip))


def test_running_it_again_prints_the_demo_logins(monkeypatch, settings, db):
    first = run_demo(monkeypatch, settings, "--people", "4", "--if-empty")
    again = run_demo(monkeypatch, settings, "--if-empty")
    assert "dilewati" in again.output and DEMO_PASSWORD in again.output
    logins = accounts(db)
    assert {a.role for a in logins} == {"admin", "kominfo", "opd_admin", "learner", "fasilitator"}
    for account in logins:
        assert account.login in first.output
        assert account.login in again.output and account.name in again.output
