"""Assignment-rule use cases (progress/rules.py): the form is read without a database, a
bad form loses nothing, switching a rule off and on is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.courses.models import Course
from app.progress.models import AssignmentRule
from app.progress.rules import RuleInvalid, parse_rule
from tests.conftest import NIPS


def test_parse_rule_reads_the_form():
    spec = parse_rule(
        {"course_id": "7", "opd_ids": ["3", "1", "3"], "statuses": ["CPNS"], "due_days": "60"}
    )
    assert (spec.course_id, spec.opd_ids, spec.statuses, spec.due_days) == (7, [1, 3], ["CPNS"], 60)
    assert spec.tmt_year is None
    assert parse_rule({"course_id": "7"}).due_days == 30


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Pilih kursus"),
        ({"course_id": "x"}, "Pilih kursus"),
        ({"course_id": "1", "statuses": ["Honorer"]}, "tidak valid"),
        ({"course_id": "1", "due_days": "0"}, "Tenggat 1–730"),
        ({"course_id": "1", "tmt_year": "1900"}, "tahun TMT"),
    ],
)
def test_parse_rule_refuses_bad_forms_in_indonesian(form, message):
    with pytest.raises(RuleInvalid, match=message):
        parse_rule(form)


def test_bad_rule_form_is_answered_422_and_creates_nothing(client, people, db):
    client.login(NIPS["adi"])
    before = db.scalar(select(AssignmentRule.id).order_by(AssignmentRule.id.desc()))
    r = client.submit("/admin/aturan", {"course_id": "999999"}, page="/admin/aturan")
    assert r.status_code == 422 and "Pilih kursus" in r.text
    db.rollback()
    assert db.scalar(select(AssignmentRule.id).order_by(AssignmentRule.id.desc())) == before


def test_switching_a_rule_off_and_on_is_audited_and_unknown_rules_are_404(client, people, db):
    client.login(NIPS["adi"])
    course = db.scalar(select(Course).where(Course.archived.is_(False)).order_by(Course.id))
    r = client.submit(
        "/admin/aturan", {"course_id": course.id, "due_days": "30"}, page="/admin/aturan"
    )
    assert "Aturan dibuat" in r.text
    db.rollback()
    rule = db.scalar(select(AssignmentRule).order_by(AssignmentRule.id.desc()))
    off = client.submit(
        f"/admin/aturan/{rule.id}/nonaktif", page="/admin/aturan", follow_redirects=False
    )
    assert off.status_code == 303
    client.submit(f"/admin/aturan/{rule.id}/aktif", page="/admin/aturan")
    db.rollback()
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.target == str(rule.id)).order_by(AuditEvent.id)
    ).all()
    assert actions == ["rule.deactivated", "rule.activated"]
    assert db.get(AssignmentRule, rule.id).active is True
    missing = client.submit("/admin/aturan/999999/aktif", page="/admin/aturan")
    assert missing.status_code == 404
