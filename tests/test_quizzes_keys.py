"""Answer keys on the monitoring page (#15 item 2).

Kominfo accounts also hold `learner`: they once read the ✓ on /pantau/kuis/{id} and then
sat the same exam. Now only admins see keys, and whoever has seen a key cannot start it.
"""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import func, select

from app.main import create_app
from app.quizzes.models import QuizAttempt, QuizKeyView
from tests.conftest import NIPS
from tests.test_quizzes_http import FIXTURES, _answer_all_correctly, _enrol_and_start

START = "/kursus/uji-kuis/kuis/kuis-lengkap/mulai"
INTRO = "/kursus/uji-kuis/kuis/kuis-lengkap"
KEY_SEEN = "Anda sudah melihat kunci jawaban kuis ini"
# Option texts of the fixture quiz, right and wrong alike: each must look the same.
OPTIONS = ["Opsi salah pertama", "Opsi benar", "Benar A", "Benar B", "Keliru C"]


@pytest.fixture
def app(settings, clock, tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses_quiz", root)
    settings.courses_dir = root
    return create_app(settings, clock=clock)


def _fresh(db):
    db.rollback()
    db.expire_all()
    return db


@pytest.fixture
def graded_quiz(make_client, people, db):
    """Alice has answered everything correctly once; the quiz id for /pantau/kuis."""
    alice = make_client()
    attempt_id, r = _enrol_and_start(alice)
    token = alice.csrf(f"/kuis/percobaan/{attempt_id}")
    _answer_all_correctly(alice, attempt_id, r.text, token)
    alice.submit(f"/kuis/percobaan/{attempt_id}/kumpulkan", page=f"/kuis/percobaan/{attempt_id}")
    return _fresh(db).scalar(select(QuizAttempt.quiz_id))


def _option_lines(html: str) -> dict[str, str]:
    """Option text -> everything rendered on its line of the table (marker included)."""
    lines = {}
    for row in re.findall(r"<tr><td>(.*?)</td></tr>", html, flags=re.S):
        options_cell = row.rsplit("<td>", 1)[-1]
        for line in options_cell.split("<br>"):
            for text in OPTIONS:
                if re.fullmatch(rf"(\S+ )?{re.escape(text)}: .*", line.strip()):
                    lines[text] = line.strip()
    return lines


def _views(db) -> int:
    return _fresh(db).scalar(select(func.count()).select_from(QuizKeyView))


def test_monitors_see_pick_rates_but_no_key(make_client, people, db, graded_quiz):
    kiki = make_client()
    kiki.login(NIPS["kiki"])
    url = f"/pantau/kuis/{graded_quiz}"
    responses = [
        kiki.get(url),
        kiki.get(f"{url}?kunci=1"),  # asking for the key changes nothing for monitors
        kiki.get(url, headers={"HX-Request": "true"}),
        kiki.get(url, headers={"Accept": "application/json"}),
    ]
    for response in responses:
        assert response.status_code == 200
        body = response.text
        assert "✓" not in body and "&#10003;" not in body and "correct" not in body
        assert "kuncirahasia" not in body and "4242" not in body
    page = responses[0].text
    lines = _option_lines(page)
    assert set(lines) == set(OPTIONS)
    # pick rates, and every option line has exactly the same shape: no marker to tell
    assert lines["Opsi benar"] == "Opsi benar: 1 (100%)"
    assert lines["Opsi salah pertama"] == "Opsi salah pertama: 0 (0%)"
    assert all(re.fullmatch(rf"{re.escape(t)}: \d+ \(\d+%\)", line) for t, line in lines.items())
    assert "Kunci jawaban tidak ditampilkan" in page and "?kunci=1" not in page
    # nothing recorded, and the monitor can still sit the quiz
    assert _views(db) == 0
    kiki.submit("/kursus/uji-kuis/daftar", page="/kursus/uji-kuis")
    r = kiki.submit(START, page=INTRO)
    assert r.url.path.startswith("/kuis/percobaan/"), r.text[:300]


def test_admin_sees_the_key_and_then_cannot_sit_the_quiz(make_client, people, db, graded_quiz):
    adi = make_client()
    adi.login(NIPS["adi"])
    adi.submit("/kursus/uji-kuis/daftar", page="/kursus/uji-kuis")
    assert 'action="/kursus/uji-kuis/kuis/kuis-lengkap/mulai"' in adi.get(INTRO).text
    # by default an admin gets pick rates too, and a warning link to the key
    plain = adi.get(f"/pantau/kuis/{graded_quiz}").text
    assert "✓ " not in plain and f"/pantau/kuis/{graded_quiz}?kunci=1" in plain
    assert _views(db) == 0
    page = adi.get(f"/pantau/kuis/{graded_quiz}?kunci=1").text
    lines = _option_lines(page)
    assert lines["Opsi benar"].startswith("✓") and lines["Benar A"].startswith("✓")
    assert lines["Opsi salah pertama"].startswith("·")
    assert _views(db) == 1
    adi.get(f"/pantau/kuis/{graded_quiz}?kunci=1")  # viewing again records nothing new
    assert _views(db) == 1
    intro = adi.get(INTRO).text
    assert KEY_SEEN in intro and 'action="/kursus/uji-kuis/kuis/kuis-lengkap/mulai"' not in intro
    r = adi.post(START, data={"csrf_token": adi.csrf(INTRO)}, follow_redirects=False)
    assert r.status_code == 403 and KEY_SEEN in r.text
    started = _fresh(db).scalar(
        select(func.count()).select_from(QuizAttempt).where(QuizAttempt.user_id == people.adi.id)
    )
    assert started == 0
    # the other learners are not affected
    bob = make_client()
    attempt_id, _ = _enrol_and_start(bob, "bob")
    assert attempt_id


def test_no_key_for_an_admin_in_the_middle_of_an_attempt(make_client, people, db, graded_quiz):
    adi = make_client()
    attempt_id, _ = _enrol_and_start(adi, "adi")
    page = adi.get(f"/pantau/kuis/{graded_quiz}?kunci=1").text
    assert "✓" not in page and "?kunci=1" not in page and _views(db) == 0
    assert adi.get(f"/kuis/percobaan/{attempt_id}").status_code == 200
