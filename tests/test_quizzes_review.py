"""The review after grading renders the author's Markdown in options and feedback, as the
questions do (pilot finding 14: it showed raw backticks)."""

from __future__ import annotations

import shutil

import pytest

from tests.test_quizzes_http import (
    FIXTURES,
    _answer_all_correctly,
    _enrol_and_start,
    app,  # noqa: F401  (uses the courses_dir below)
)


@pytest.fixture
def courses_dir(tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses_quiz", root)
    quiz = root / "uji-kuis" / "quizzes" / "kuis-lengkap.yaml"
    text = quiz.read_text()
    assert "text: Opsi salah pertama" in text
    quiz.write_text(text.replace("text: Opsi salah pertama", "text: 'Jalankan `sudo rm`'", 1))
    return root


def test_review_renders_markdown_in_options(client, people):
    attempt_id, r = _enrol_and_start(client)
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    assert "<code>sudo rm</code>" in r.text  # the question page already rendered it
    _answer_all_correctly(client, attempt_id, r.text, token)
    result = client.submit(
        f"/kuis/percobaan/{attempt_id}/kumpulkan", page=f"/kuis/percobaan/{attempt_id}"
    )
    assert "Pembahasan" in result.text
    assert "<code>sudo rm</code>" in result.text and "`sudo rm`" not in result.text


def test_review_keeps_the_number_beside_the_question(client, people):
    attempt_id, r = _enrol_and_start(client)
    token = client.csrf(f"/kuis/percobaan/{attempt_id}")
    _answer_all_correctly(client, attempt_id, r.text, token)
    result = client.submit(
        f"/kuis/percobaan/{attempt_id}/kumpulkan", page=f"/kuis/percobaan/{attempt_id}"
    ).text
    # A block of Markdown inside a <p> would push the number onto a line of its own.
    assert '<strong class="question-number">1.</strong><div class="question-text"><p>' in result
    assert "<p><strong>1.</strong> <p>" not in result
