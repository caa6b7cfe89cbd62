"""The one OPD scope rule (users/scope.py): who reads and who acts on which OPD's data."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import NotAllowed
from app.users.models import Role, User
from app.users.scope import NOTHING, WHOLE_CITY, act_scope, may_act_on_opd, read_scope


def test_read_scope_follows_the_role_order(people):
    assert read_scope(people.adi) == WHOLE_CITY
    assert read_scope(people.kiki) == WHOLE_CITY
    olga = read_scope(people.olga)
    assert olga.limited_to == people.opd_a.id
    assert olga.allows(people.opd_a.id) and not olga.allows(people.opd_b.id)
    assert not olga.allows(None)
    with pytest.raises(NotAllowed):
        read_scope(people.alice)


def test_act_scope_leaves_kominfo_monitoring_only(people):
    assert act_scope(people.adi) == WHOLE_CITY
    assert act_scope(people.olga).limited_to == people.opd_a.id
    with pytest.raises(NotAllowed):
        act_scope(people.kiki)
    assert not may_act_on_opd(people.kiki, people.opd_a.id)
    assert not may_act_on_opd(people.alice, people.alice.opd_id)


def test_opd_admin_without_an_opd_is_refused_with_a_reason(db, people):
    people.olga.opd_id = None
    db.flush()
    with pytest.raises(NotAllowed, match="belum terhubung ke OPD"):
        read_scope(people.olga)


def test_scope_conditions_count_the_right_people_in_sql(db, people):
    def count(scope):
        return db.scalar(select(func.count()).select_from(User).where(scope.where(User.opd_id)))

    everyone = db.scalar(select(func.count()).select_from(User))
    in_a = db.scalar(select(func.count()).select_from(User).where(User.opd_id == people.opd_a.id))
    assert count(read_scope(people.kiki)) == everyone
    assert count(read_scope(people.olga)) == in_a
    # "No OPD" must match nobody, not the people whose opd_id IS NULL.
    nobody_opd = User(full_name="Tanpa OPD", nip="199912312020121001", opd_id=None)
    nobody_opd.set_roles({Role.learner})
    db.add(nobody_opd)
    db.flush()
    assert count(NOTHING) == 0


def test_opd_admin_without_opd_still_gets_a_home_page(client, db, people):
    people.olga.opd_id = None
    db.commit()
    client.login(people.olga.nip)
    response = client.get("/")
    assert response.status_code == 200
