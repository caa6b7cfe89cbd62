"""Quiz attempts over HTTP and through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from app.db import make_engine, make_sessionmaker
from app.main import create_app
from app.progress.models import Enrolment
from app.quizzes import service
from app.quizzes.models import QuizAnswer, QuizAttempt
from tests.conftest import NIPS, Browser

FIXTURES = Path(__file__).parent / "fixtures"
# Never in any response before grading:
SECRETS = ["UMPANBALIK", '"correct"', "correct: true", "tolerance"]
# Accepted answers: the learner may type them, so only checked before any answer is given.
ANSWER_KEYS = ["kuncirahasia", "kunci rahasia", "4242"]


@pytest.fixture
def courses_dir(tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses_quiz", root)
    return root


@pytest.fixture
def app(settings, clock, courses_dir):
    settings.courses_dir = courses_dir
    return create_app(settings, clock=clock)


class Recorder:
    """Keeps every response body an attempt produced, to look for leaked answers."""

    def __init__(self, client):
        self.client = client
        self.bodies: list[str] = []

    def __call__(self, response):
        self.bodies.append(response.text)
        return response


def _enrol_and_start(client, who="alice"):
    client.login(NIPS[who])
    client.submit("/kursus/uji-kuis/daftar", page="/kursus/uji-kuis")
    r = client.submit(
        "/kursus/uji-kuis/kuis/kuis-lengkap/mulai", page="/kursus/uji-kuis/kuis/kuis-lengkap"
    )
    assert r.url.path.startswith("/kuis/percobaan/"), r.text[:300]
    attempt_id = int(r.url.path.rsplit("/", 1)[1])
    return attempt_id, r


def _save(client, attempt_id, question, values, token):
    data = {"question": question}
    if values is not None:
        data[f"q-{question}"] = values
    return client.post(
        f"/kuis/percobaan/{attempt_id}/jawab",
        data=data,
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )


def _options(html: str, question: str) -> dict[str, str]:
    """Option text -> submitted value, read from the attempt page as a browser sees it."""
    block = html.split(f'id="soal-{question}"', 1)[1].split("</fieldset>", 1)[0]
    found = re.findall(r'value="(\d+)"[^>]*> <span>(.*?)</span>', block)
    return {text: value for value, text in found}


def _answer_all_correctly(client, attempt_id, page_html, token):
    single = _options(page_html, "satu-pilihan")
    multi = _options(page_html, "banyak-pilihan")
    tf = _options(page_html, "benar-salah")
    assert _save(client, attempt_id, "satu-pilihan", single["Opsi benar"], token).status_code == 200
    assert (
        _save(
            client, attempt_id, "banyak-pilihan", [multi["Benar A"], multi["Benar B"]], token
        ).status_code
        == 200
    )
    assert _save(client, attempt_id, "benar-salah", tf["Benar"], token).status_code == 200
    assert _save(client, attempt_id, "isian", "  Kunci   RAHASIA ", token).status_code == 200
    assert _save(client, attempt_id, "angka", "4242,3", token).status_code == 200


def test_full_attempt_is_graded_on_the_server_and_never_leaks(client, people, db):
    rec = Recorder(client)
    attempt_id, first = _enrol_and_start(client)
    rec(first)
    rec(client.get("/kursus/uji-kuis/kuis/kuis-lengkap"))
    page = rec(client.get(f"/kuis/percobaan/{attempt_id}")).text
    # a refresh shows the same drawn order
    assert rec(client.get(f"/kuis/percobaan/{attempt_id}")).text.count("soal-") == page.count(
        "soal-"
    )
    order = re.findall(r'id="soal-([a-z-]+)"', page)
    assert order == re.findall(
        r'id="soal-([a-z-]+)"', client.get(f"/kuis/percobaan/{attempt_id}").text
    )
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    for body in rec.bodies:
        for key in ANSWER_KEYS:
            assert key not in body.lower(), f"{key!r} leaked before grading"
    single = _options(page, "satu-pilihan")
    saved = rec(_save(client, attempt_id, "satu-pilihan", single["Opsi benar"], token))
    assert "Tersimpan" in saved.text and "<html" not in saved.text
    _answer_all_correctly(client, attempt_id, page, token)
    # answers survive leaving and coming back
    again = rec(client.get(f"/kuis/percobaan/{attempt_id}")).text
    assert 'value="kunci   rahasia"' in again.lower() or "Kunci   RAHASIA" in again
    for body in rec.bodies:
        for secret in SECRETS:
            assert secret not in body, f"{secret!r} leaked before grading"
    result = client.submit(
        f"/kuis/percobaan/{attempt_id}/kumpulkan", page=f"/kuis/percobaan/{attempt_id}"
    )
    assert result.url.path == f"/kuis/percobaan/{attempt_id}/hasil"
    assert "100" in result.text and "LULUS" in result.text
    # after grading the review (allowed after each attempt) shows the feedback
    assert "UMPANBALIKUMUM1" in result.text
    attempt = db.scalar(select(QuizAttempt))
    assert attempt.status == "submitted" and attempt.passed and attempt.score_percent == 100
    assert db.scalar(select(func.count()).select_from(QuizAnswer)) == 5


def test_no_js_form_post_saves_and_submits(client, people, db):
    attempt_id, r = _enrol_and_start(client)
    page = r.text
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    single = _options(page, "satu-pilihan")
    form = {
        "csrf_token": token,
        "seen-satu-pilihan": "1",
        "q-satu-pilihan": single["Opsi salah pertama"],
        "seen-banyak-pilihan": "1",
        "seen-isian": "1",
        "q-isian": "kuncirahasia",
    }
    saved = client.post(f"/kuis/percobaan/{attempt_id}/simpan", data=form)
    assert "Jawaban tersimpan" in saved.text
    answers = {a.question_id: a.response for a in db.scalars(select(QuizAnswer))}
    assert answers == {
        "satu-pilihan": int(single["Opsi salah pertama"]),
        "banyak-pilihan": [],
        "isian": "kuncirahasia",
    }
    done = client.post(
        f"/kuis/percobaan/{attempt_id}/kumpulkan",
        data={**form, "seen-angka": "1", "q-angka": "4242", "konfirmasi": "1"},
    )
    assert done.url.path.endswith("/hasil")
    db.rollback()  # end the test's read snapshot (SQLite WAL) before reading again
    attempt = db.scalar(select(QuizAttempt))
    # isian (1) + angka (1) of 5 points = 40%
    assert attempt.score_percent == 40 and attempt.passed is False


def test_double_submit_gives_one_graded_attempt(client, people, db):
    attempt_id, _ = _enrol_and_start(client)
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    for _ in range(3):
        r = client.post(
            f"/kuis/percobaan/{attempt_id}/kumpulkan",
            data={"csrf_token": token, "konfirmasi": "1"},
            follow_redirects=False,
        )
        assert r.status_code == 303
    attempts = db.scalars(select(QuizAttempt)).all()
    assert len(attempts) == 1 and attempts[0].status == "submitted"
    # answering after submit is refused and stores nothing
    r = _save(client, attempt_id, "isian", "kuncirahasia", token)
    assert r.status_code == 409
    assert db.scalar(select(func.count()).select_from(QuizAnswer)) == 0


def test_concurrent_submits_grade_once(client, people, settings, clock):
    attempt_id, r = _enrol_and_start(client)
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    _answer_all_correctly(client, attempt_id, r.text, token)
    engine = make_engine(settings.db_url)
    maker = make_sessionmaker(engine, settings)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker():
        try:
            with maker() as s:
                attempt = s.get(QuizAttempt, attempt_id)
                barrier.wait()
                service.submit(s, attempt=attempt, now=clock())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with maker() as s:
        attempts = s.scalars(select(QuizAttempt)).all()
        assert len(attempts) == 1
        assert attempts[0].status == "submitted" and attempts[0].score_percent == 100
        enrolment = s.scalar(select(Enrolment))
        assert enrolment.final_score == 100
    engine.dispose()


def test_time_limit_is_enforced_by_the_server(client, people, db, clock):
    attempt_id, r = _enrol_and_start(client)
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    assert 'data-deadline="' in r.text
    single = _options(r.text, "satu-pilihan")
    _save(client, attempt_id, "satu-pilihan", single["Opsi benar"], token)
    clock.advance(minutes=9, seconds=59)
    _save(client, attempt_id, "isian", "kuncirahasia", token)
    clock.advance(seconds=2)  # now past the 10-minute deadline
    late = _save(client, attempt_id, "angka", "4242", token)
    assert late.headers.get("HX-Redirect") == f"/kuis/percobaan/{attempt_id}/hasil"
    assert {a.question_id for a in db.scalars(select(QuizAnswer))} == {"satu-pilihan", "isian"}
    result = client.get(f"/kuis/percobaan/{attempt_id}/hasil")
    assert "Waktu habis" in result.text
    db.rollback()
    attempt = db.scalar(select(QuizAttempt))
    assert attempt.status == "expired" and attempt.score_percent == 40


def test_attempt_limit(client, people):
    attempt_id, _ = _enrol_and_start(client)
    client.submit(
        f"/kuis/percobaan/{attempt_id}/kumpulkan",
        {"konfirmasi": "1"},
        page=f"/kuis/percobaan/{attempt_id}",
    )
    second = client.submit(
        "/kursus/uji-kuis/kuis/kuis-lengkap/mulai", page="/kursus/uji-kuis/kuis/kuis-lengkap"
    )
    assert second.url.path != f"/kuis/percobaan/{attempt_id}"
    new_id = int(second.url.path.rsplit("/", 1)[1])
    client.submit(
        f"/kuis/percobaan/{new_id}/kumpulkan", {"konfirmasi": "1"}, page=f"/kuis/percobaan/{new_id}"
    )
    third = client.submit(
        "/kursus/uji-kuis/kuis/kuis-lengkap/mulai", page="/kursus/uji-kuis/kuis/kuis-lengkap"
    )
    assert third.status_code == 409
    assert "sudah habis" in third.text


def test_double_start_returns_the_open_attempt(client, people, db):
    attempt_id, _ = _enrol_and_start(client)
    again = client.submit(
        "/kursus/uji-kuis/kuis/kuis-lengkap/mulai", page="/kursus/uji-kuis/kuis/kuis-lengkap"
    )
    assert again.url.path == f"/kuis/percobaan/{attempt_id}"
    assert db.scalar(select(func.count()).select_from(QuizAttempt)) == 1


def test_other_users_attempt_is_invisible(make_client, people):
    alice, bob = make_client(), make_client()
    attempt_id, _ = _enrol_and_start(alice)
    bob.login(NIPS["bob"])
    assert bob.get(f"/kuis/percobaan/{attempt_id}").status_code == 404
    assert bob.get(f"/kuis/percobaan/{attempt_id}/hasil").status_code == 404
    token = bob.csrf("/")
    assert _save(bob, attempt_id, "isian", "x", token).status_code == 404
    r = bob.post(f"/kuis/percobaan/{attempt_id}/kumpulkan", data={"csrf_token": token})
    assert r.status_code == 404


def test_passing_quiz_and_modules_completes_the_course(client, people, db):
    attempt_id, r = _enrol_and_start(client)
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    _answer_all_correctly(client, attempt_id, r.text, token)
    client.submit(f"/kuis/percobaan/{attempt_id}/kumpulkan", page=f"/kuis/percobaan/{attempt_id}")
    enrolment = db.scalar(select(Enrolment))
    assert enrolment.status == "in_progress" and enrolment.progress_percent == 50
    client.submit("/kursus/uji-kuis/modul/bacaan/selesai", page="/kursus/uji-kuis")
    db.rollback()
    enrolment = db.scalar(select(Enrolment))
    assert enrolment.status == "completed" and enrolment.completed_at is not None
    assert "Selamat" in client.get("/kursus/uji-kuis").text


def test_answers_survive_a_server_restart(settings, clock, courses_dir, people, db):
    settings.courses_dir = courses_dir
    with Browser(create_app(settings, clock=clock), base_url="http://testserver") as c:
        attempt_id, r = _enrol_and_start(c)
        token = c.csrf(f"/kuis/percobaan/{attempt_id}")
        _save(c, attempt_id, "isian", "kuncirahasia", token)
    with Browser(create_app(settings, clock=clock), base_url="http://testserver") as c:
        c.login(NIPS["alice"])
        assert 'value="kuncirahasia"' in c.get(f"/kuis/percobaan/{attempt_id}").text


def test_question_statistics_for_monitors(make_client, people, db):
    alice = make_client()
    attempt_id, r = _enrol_and_start(alice)
    token = alice.csrf(f"/kuis/percobaan/{attempt_id}")
    _answer_all_correctly(alice, attempt_id, r.text, token)
    alice.submit(f"/kuis/percobaan/{attempt_id}/kumpulkan", page=f"/kuis/percobaan/{attempt_id}")
    quiz_id = db.scalar(select(QuizAttempt.quiz_id))
    assert alice.get(f"/pantau/kuis/{quiz_id}").status_code == 403
    kiki = make_client()
    kiki.login(NIPS["kiki"])
    page = kiki.get(f"/pantau/kuis/{quiz_id}").text
    assert "satu-pilihan" in page and "Opsi benar: 1" in page


def test_submitting_with_unanswered_questions_asks_first(client, people, db):
    """ "Kumpulkan" with questions left open shows how many and which, and burns nothing
    until confirmed — a plain page, so it works without JavaScript."""
    attempt_id, _ = _enrol_and_start(client)
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    _save(client, attempt_id, "isian", "kuncirahasia", token)
    asked = client.post(f"/kuis/percobaan/{attempt_id}/kumpulkan", data={"csrf_token": token})
    assert asked.status_code == 200 and 'id="confirm-submit"' in asked.text
    total = asked.text.count(f'href="/kuis/percobaan/{attempt_id}#soal-')
    assert f"Masih ada {total} dari {total + 1} soal yang belum dijawab" in asked.text
    db.rollback()
    assert db.scalar(select(QuizAttempt)).status == "open"  # not graded, attempt not used
    assert "Kembali menjawab" in asked.text and 'name="konfirmasi" value="1"' in asked.text
    confirm = re.search(r'name="csrf_token" value="([^"]+)"', asked.text).group(1)
    done = client.post(
        f"/kuis/percobaan/{attempt_id}/kumpulkan",
        data={"csrf_token": confirm, "konfirmasi": "1"},
    )
    assert done.url.path.endswith("/hasil")
    db.rollback()
    assert db.scalar(select(QuizAttempt)).status == "submitted"


def test_submitting_with_every_question_answered_needs_no_confirmation(client, people, db):
    attempt_id, r = _enrol_and_start(client)
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    _answer_all_correctly(client, attempt_id, r.text, token)
    done = client.post(f"/kuis/percobaan/{attempt_id}/kumpulkan", data={"csrf_token": token})
    assert done.url.path.endswith("/hasil")


@contextmanager
def _statements(engine):
    """Every SQL statement the engine sends while the block runs."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_answer_save_is_a_session_check_and_one_upsert(client, people, db):
    """The exam peak's hot path loads no ORM object: with the attempt's facts cached (after
    its first save), a save is the session check and the guarded upsert (plus SQLite's
    BEGIN IMMEDIATE) — no attempt, quiz version or user row read on its own."""
    attempt_id, r = _enrol_and_start(client)
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    single = _options(r.text, "satu-pilihan")
    assert _save(client, attempt_id, "satu-pilihan", single["Opsi benar"], token).status_code == 200
    with _statements(client.app.state.engine) as sent:
        saved = _save(client, attempt_id, "isian", "kuncirahasia", token)
    assert saved.status_code == 200 and "Tersimpan" in saved.text
    queries = [s for s in sent if not s.startswith("BEGIN")]
    assert len(sent) <= 3 and len(queries) == 2, sent
    check, upsert = queries
    assert check.startswith("SELECT") and "FROM auth_sessions JOIN users" in check
    assert upsert.startswith("INSERT INTO quiz_answers") and "ON CONFLICT" in upsert
    assert {a.question_id for a in db.scalars(select(QuizAnswer))} == {"satu-pilihan", "isian"}


def test_answer_save_refusals_after_the_facts_are_cached(make_client, people, db, clock):
    """Cached facts never let an answer in that the attempt row refuses: submitted, past
    the deadline, or sent by another learner's session."""
    alice, bob = make_client(), make_client()
    attempt_id, r = _enrol_and_start(alice)
    token = alice.csrf(f"/kuis/percobaan/{attempt_id}")
    assert _save(alice, attempt_id, "isian", "satu", token).status_code == 200
    # Bob, logged in, posts to Alice's attempt: it does not exist for him.
    _enrol_and_start(bob, "bob")
    bob_token = bob.csrf("/")
    assert _save(bob, attempt_id, "isian", "dua", bob_token).status_code == 404
    # Past the deadline (10 minutes): refused, the attempt graded with what was in time.
    clock.advance(minutes=10, seconds=1)
    late = _save(alice, attempt_id, "isian", "tiga", token)
    assert late.status_code == 409
    assert late.headers.get("HX-Redirect") == f"/kuis/percobaan/{attempt_id}/hasil"
    answers = db.execute(select(QuizAnswer.question_id, QuizAnswer.response)).all()
    assert answers == [("isian", "satu")]


def test_lean_save_refuses_a_submitted_attempt(client, people, settings, clock):
    """The guard is in the upsert itself: with every cached fact saying yes, a submitted
    attempt still stores nothing (a submit from another worker, whose cache says open)."""
    attempt_id, r = _enrol_and_start(client)
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    assert _save(client, attempt_id, "isian", "satu", token).status_code == 200
    with client.app.state.sessionmaker() as s:
        service.submit(s, attempt=s.get(QuizAttempt, attempt_id), now=clock())
    with client.app.state.sessionmaker() as s:
        assert service.attempt_facts(s, attempt_id) is not None  # still cached: immutable
        stored = service.save_answer_lean(
            s,
            token=client.cookies.get("cakap_session"),
            attempt_id=attempt_id,
            question_id="angka",
            values=["4242"],
            settings=settings,
            now=clock(),
        )
        assert stored is False
        assert s.scalar(select(func.count()).select_from(QuizAnswer)) == 1


def test_whole_form_saves_in_one_transaction(client, people, db):
    """The plain form (and the submit, which carries every answer) stores all its answers
    with one attempt check and one upsert, not one write transaction per question."""
    attempt_id, r = _enrol_and_start(client)
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    form = {"csrf_token": token, "seen-banyak-pilihan": "1", "q-isian": "satu", "q-angka": "7"}
    with _statements(client.app.state.engine) as sent:
        saved = client.post(f"/kuis/percobaan/{attempt_id}/simpan", data=form)
    assert "Jawaban tersimpan" in saved.text
    writes = [s for s in sent if s.startswith(("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE"))]
    upserts = [s for s in writes if s.startswith("INSERT INTO quiz_answers")]
    assert len(upserts) == 1, sent
    assert sum(s.startswith("BEGIN IMMEDIATE") for s in writes) <= 1, sent
    answers = dict(db.execute(select(QuizAnswer.question_id, QuizAnswer.response)).all())
    assert answers == {"banyak-pilihan": [], "isian": "satu", "angka": "7"}
