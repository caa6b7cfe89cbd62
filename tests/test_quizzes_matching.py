"""The `matching` question type: file format, grading with partial credit, GIFT, and pages."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.main import create_app
from app.quizzes import results
from app.quizzes.gift import parse_gift
from app.quizzes.grading import draw_questions, grade_question, public_question
from app.quizzes.loader import load_quiz_text
from app.quizzes.models import QuizAttempt
from app.quizzes.service import parse_response
from app.quizzes.types.matching import MatchingQuestion
from tests.conftest import NIPS

FIXTURES = Path(__file__).parent / "fixtures"

QUIZ_YAML = """\
title: Kuis Menjodohkan
pass_mark: 60
show_answers: after_each_attempt
questions:
  - id: singkatan
    type: matching
    text: Pasangkan singkatan dengan kepanjangannya.
    points: 3
    feedback: PEMBAHASANRAHASIA
    pairs:
      - left: NIP
        right: Nomor Induk Pegawai
      - left: OPD
        right: Organisasi Perangkat Daerah
      - left: SPBE
        right: Sistem Pemerintahan Berbasis Elektronik
    distractors: [Aparatur Sipil Negara]
"""


def matching(**extra) -> MatchingQuestion:
    data = {
        "id": "m",
        "text": "Pasangkan.",
        "pairs": [
            {"left": "NIP", "right": "Nomor Induk Pegawai"},
            {"left": "OPD", "right": "Organisasi Perangkat Daerah"},
            {"left": "SPBE", "right": "Sistem Pemerintahan Berbasis Elektronik"},
        ],
        "distractors": ["Aparatur Sipil Negara"],
        "points": 3.0,
        **extra,
    }
    return MatchingQuestion.model_validate(data)


# --- file format -----------------------------------------------------------------------


def test_matching_quiz_loads() -> None:
    quiz, problems = load_quiz_text(QUIZ_YAML, "m.yaml")
    assert problems == [] and quiz is not None
    question = quiz.questions[0]
    assert isinstance(question, MatchingQuestion)
    # Choices are sorted by text, so their indices say nothing about the pairs.
    assert question.choices() == [
        "Aparatur Sipil Negara",
        "Nomor Induk Pegawai",
        "Organisasi Perangkat Daerah",
        "Sistem Pemerintahan Berbasis Elektronik",
    ]
    assert question.key() == [1, 2, 3]


def test_matching_errors_and_warnings_name_their_line() -> None:
    text = QUIZ_YAML.replace("distractors: [Aparatur Sipil Negara]", "distractors: [nip]")
    text = text.replace("right: Nomor Induk Pegawai", "right: NIP")
    text = text.replace("left: OPD", "left: nip")
    quiz, problems = load_quiz_text(text, "m.yaml")
    assert quiz is None
    assert [str(p) for p in problems] == [
        "m.yaml:17: distractors: pengecoh 'nip' sama dengan jawaban salah satu pasangan",
    ]
    one_pair = QUIZ_YAML.split("      - left: OPD")[0] + "    distractors: [x]\n"
    _, problems = load_quiz_text(one_pair, "m.yaml")
    assert [str(p) for p in problems] == [
        "m.yaml:10: pairs: soal pilihan harus punya 2–10 pasangan, bukan 1"
    ]
    repeated = QUIZ_YAML.replace("left: OPD", "left: nip")
    quiz, problems = load_quiz_text(repeated, "m.yaml")
    assert quiz is not None
    assert [str(p) for p in problems] == [
        "m.yaml:13: peringatan: pasangan 'nip' sama dengan pasangan nomor 1"
    ]


# --- grading ---------------------------------------------------------------------------


def test_each_correct_pair_earns_its_share() -> None:
    question = matching()
    assert grade_question(question, [1, 2, 3]).points == 3
    assert grade_question(question, [1, 2, 3]).correct
    assert grade_question(question, [1, 2, 0]).points == pytest.approx(2)
    assert not grade_question(question, [1, 2, 0]).correct
    assert grade_question(question, [1, None, None]).points == pytest.approx(1)
    assert grade_question(question, [3, 1, 2]).points == 0


@pytest.mark.parametrize(
    "response", [None, "1", 1, {"0": 1}, [True, 2, 3], [1.0, "2", None], [], [1, 2, 3, 0, 0]]
)
def test_wrong_shapes_earn_what_they_match_and_never_raise(response) -> None:
    result = grade_question(matching(), response)
    expected = {"[True, 2, 3]": 2, "[1, 2, 3, 0, 0]": 3}.get(repr(response), 0)
    assert result.points == pytest.approx(expected)


@given(st.lists(st.one_of(st.none(), st.integers(-2, 6), st.text(max_size=2)), max_size=5))
def test_score_is_always_between_zero_and_the_points(response) -> None:
    assert 0 <= grade_question(matching(), response).points <= 3


def test_parse_reads_item_option_values_and_ignores_junk() -> None:
    question = matching()
    assert parse_response(question, ["0:1", "2:3"]) == [1, None, 3]
    assert parse_response(question, ["", "x:1", "5:1", "1:9", "1:-1", "1:2"]) == [None, 2, None]
    assert parse_response(question, []) is None
    assert parse_response(question, [""]) is None


def test_public_view_has_items_and_shuffled_options_but_no_key() -> None:
    question = matching(feedback="PEMBAHASAN")
    orders = set()
    for seed in range(20):
        quiz, _ = load_quiz_text(QUIZ_YAML, "m.yaml")
        (drawn,) = draw_questions(quiz, random.Random(seed))
        orders.add(tuple(drawn.option_order))
    # Shuffled although the quiz does not set shuffle_options.
    assert len(orders) > 1
    shown = public_question(question, [3, 0, 2, 1])
    assert shown.prompts == ("NIP", "OPD", "SPBE")
    assert [o.text for o in shown.options] == [
        "Sistem Pemerintahan Berbasis Elektronik",
        "Aparatur Sipil Negara",
        "Organisasi Perangkat Daerah",
        "Nomor Induk Pegawai",
    ]
    assert "PEMBAHASAN" not in repr(shown) and "pairs" not in repr(shown)
    with pytest.raises(ValueError):
        public_question(question, [0, 1])


# --- GIFT ------------------------------------------------------------------------------


def test_gift_matching_imports_pairs_and_distractors() -> None:
    text = (
        "::Ibu kota::Pasangkan provinsi dengan ibu kotanya. {\n"
        "  =Jawa Barat -> Bandung\n"
        "  =Jawa Tengah -> Semarang\n"
        "  = -> Surabaya\n"
        "  = -> Bandung\n"
        "####Hafalkan.\n"
        "}\n"
    )
    questions, problems = parse_gift(text, "m.gift")
    assert [str(p) for p in problems] == [
        "m.gift:1: peringatan: pengecoh 'Bandung' sama dengan jawaban pasangan; dibuang"
    ]
    assert questions == [
        {
            "id": "ibu-kota",
            "type": "matching",
            "text": "Pasangkan provinsi dengan ibu kotanya.",
            "feedback": "Hafalkan.",
            "pairs": [
                {"left": "Jawa Barat", "right": "Bandung"},
                {"left": "Jawa Tengah", "right": "Semarang"},
            ],
            "distractors": ["Surabaya"],
        }
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("=a -> 1", "soal menjodohkan harus punya 2–10 pasangan, bukan 1"),
        ("=a -> 1 =b", "pasangan tanpa '->' (tulis =butir -> jawaban)"),
        ("=a -> 1 =b ->", "ada pasangan yang jawabannya kosong"),
        ("=a -> 1 =A -> 2", "butir 'A' tertulis dua kali"),
        ("x =a -> 1 =b -> 2", "ada teks sebelum pasangan pertama; setiap pasangan diawali '='"),
    ],
)
def test_gift_matching_that_cannot_be_imported_is_reported(body: str, message: str) -> None:
    questions, problems = parse_gift(f"Soal {{{body}}}\n", "m.gift")
    assert questions == []
    assert [str(p) for p in problems] == [f"m.gift:1: soal dilewati: {message}"]


# --- pages, on both databases ----------------------------------------------------------


def matching_app(settings, clock, tmp_path):
    """The quiz test course with QUIZ_YAML as its quiz (used by the browser test too)."""
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses_quiz", root)
    (root / "uji-kuis" / "quizzes" / "kuis-lengkap.yaml").write_text(QUIZ_YAML, encoding="utf-8")
    settings.courses_dir = root
    return create_app(settings, clock=clock)


@pytest.fixture
def app(settings, clock, tmp_path):
    return matching_app(settings, clock, tmp_path)


def _selects(html: str) -> dict[str, dict[str, str]]:
    """Left item -> {option text -> submitted value}, as a browser reads the page."""
    block = html.split('id="soal-singkatan"', 1)[1].split("</fieldset>", 1)[0]
    found = {}
    for left, options in re.findall(
        r"<span>(.*?)</span></label>\s*<select[^>]*>(.*?)</select>", block, re.S
    ):
        found[left] = {
            text: value
            for value, text in re.findall(r'value="(\d+:\d+)"\s*>(.*?)</option>', options)
        }
    return found


def test_learner_sees_no_key_and_is_graded_per_pair(client, people, db):
    client.login(NIPS["alice"])
    client.submit("/kursus/uji-kuis/daftar", page="/kursus/uji-kuis")
    started = client.submit(
        "/kursus/uji-kuis/kuis/kuis-lengkap/mulai", page="/kursus/uji-kuis/kuis/kuis-lengkap"
    )
    attempt_id = int(started.url.path.rsplit("/", 1)[1])
    page = client.get(f"/kuis/percobaan/{attempt_id}").text
    selects = _selects(page)
    assert list(selects) == ["NIP", "OPD", "SPBE"]
    # Every select offers the same options under the same option index: the values show
    # which item they answer, never which option belongs to which item.
    by_item = [{t: v.split(":")[1] for t, v in options.items()} for options in selects.values()]
    assert by_item[0] == by_item[1] == by_item[2] and len(by_item[0]) == 4
    assert "PEMBAHASANRAHASIA" not in page and "→" not in page
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    values = [
        selects["NIP"]["Nomor Induk Pegawai"],
        selects["OPD"]["Organisasi Perangkat Daerah"],
        selects["SPBE"]["Aparatur Sipil Negara"],
    ]
    saved = client.post(
        f"/kuis/percobaan/{attempt_id}/jawab",
        data={"question": "singkatan", "q-singkatan": values},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert saved.status_code == 200 and "Tersimpan" in saved.text
    again = client.get(f"/kuis/percobaan/{attempt_id}").text
    block = again.split('id="soal-singkatan"', 1)[1].split("</fieldset>", 1)[0]
    assert block.count("selected") == 3
    result = client.submit(
        f"/kuis/percobaan/{attempt_id}/kumpulkan", page=f"/kuis/percobaan/{attempt_id}"
    )
    assert result.url.path == f"/kuis/percobaan/{attempt_id}/hasil"
    db.rollback()
    attempt = db.scalar(select(QuizAttempt))
    # Two of three pairs right: 2 of 3 points.
    assert attempt.points == pytest.approx(2) and attempt.score_percent == pytest.approx(66.67)
    assert attempt.passed
    # The review (allowed after each attempt) shows each pair and the learner's wrong pick.
    assert "SPBE → Sistem Pemerintahan Berbasis Elektronik" in result.text
    assert "Aparatur Sipil Negara" in result.text and "PEMBAHASANRAHASIA" in result.text


def test_statistics_count_correct_pairs_and_hide_the_key_without_kunci(client, people, db):
    from app.courses.models import CourseQuiz

    test_learner_sees_no_key_and_is_graded_per_pair(client, people, db)
    quiz = db.scalar(select(CourseQuiz))
    hidden = results.question_stats(db, quiz=quiz, with_keys=False)
    assert hidden[0].option_counts == [("NIP", 1, None), ("OPD", 1, None), ("SPBE", 0, None)]
    shown = results.question_stats(db, quiz=quiz, with_keys=True)
    assert shown[0].option_counts[2] == ("SPBE → Sistem Pemerintahan Berbasis Elektronik", 0, True)
    assert shown[0].correct == 0 and shown[0].answered == 1
