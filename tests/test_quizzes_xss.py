"""Quiz text is author-written Markdown: HTML in a question, an option, feedback or an
explanation renders as text on every page of an attempt (start, questions, result,
review), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.main import create_app
from tests.conftest import NIPS

FIXTURES = Path(__file__).parent / "fixtures"
PAYLOADS = {
    "text: Pilih jawaban yang benar.": 'text: "Pilih <script>alert(1)</script> yang benar."',
    "text: Opsi salah pertama": "text: '<img src=x onerror=alert(2)> salah'",
    "feedback: UMPANBALIKOPSI1": "feedback: '<svg onload=alert(3)>'",
    "feedback: UMPANBALIKUMUM1": "feedback: '[klik](javascript:alert(4)) <iframe src=//x>'",
    "description: Lima jenis soal.": "description: '<script>alert(5)</script>'",
}


class LiveMarkup(HTMLParser):
    """Elements and attributes that would run as parsed by a browser (escaped text such
    as &lt;script&gt; is fine)."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"img", "svg", "iframe"} or (tag == "script" and "src" not in attrs):
            self.found.append(tag)
        for name, value in attrs.items():
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}={value}")


@pytest.fixture
def courses_dir(tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses_quiz", root)
    quiz = root / "uji-kuis" / "quizzes" / "kuis-lengkap.yaml"
    text = quiz.read_text()
    for plain, hostile in PAYLOADS.items():
        assert plain in text
        text = text.replace(plain, hostile, 1)
    quiz.write_text(text)
    return root


@pytest.fixture
def app(settings, clock, courses_dir):
    settings.courses_dir = courses_dir
    return create_app(settings, clock=clock)


def test_quiz_text_renders_inert_on_every_attempt_page(client, people):
    client.login(NIPS["alice"])
    client.submit("/kursus/uji-kuis/daftar", page="/kursus/uji-kuis")
    intro = client.get("/kursus/uji-kuis/kuis/kuis-lengkap")
    assert intro.status_code == 200, intro.text[:300]
    started = client.submit(
        "/kursus/uji-kuis/kuis/kuis-lengkap/mulai", page="/kursus/uji-kuis/kuis/kuis-lengkap"
    )
    attempt = started.url.path
    assert attempt.startswith("/kuis/percobaan/")
    page = client.get(attempt).text
    assert "&lt;script&gt;alert(1)" in page  # shown as text, not dropped silently
    block = page.split('id="soal-satu-pilihan"', 1)[1].split("</fieldset>", 1)[0]
    wrong = re.search(r'value="(\d+)"[^>]*> <span>&lt;img', block).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    saved = client.post(
        f"{attempt}/jawab",
        data={"question": "satu-pilihan", "q-satu-pilihan": wrong},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert saved.status_code == 200
    result = client.post(f"{attempt}/kumpulkan", data={"csrf_token": token, "konfirmasi": "1"})
    assert result.status_code == 200 and "/hasil" in str(result.url)
    review = result.text
    assert "&lt;svg onload" in review  # the chosen option's feedback is shown, as text
    pages = {
        "intro": intro.text,
        "attempt": page,
        "saved": saved.text,
        "result": review,
        "course": client.get("/kursus/uji-kuis").text,
    }
    for name, html in pages.items():
        assert LiveMarkup(html).found == [], name
