"""Moving through a course: "next" and "Lanjutkan" (pilot-readiness finding 8)."""

from __future__ import annotations

import shutil

import pytest

from app.config import PROJECT_ROOT
from app.courses.loader import load_catalogue
from tests.conftest import NIPS

MODULES = (
    "spbe-dasar",
    "keamanan-informasi",
    "etika-digital",
    "kolaborasi-daring",
    "layanan-publik-digital",
    "pelindungan-data-pribadi",
)


def test_next_goes_to_the_following_quiz_and_resume_to_the_required_item(client, people, db):
    """The shipped orientation: "next" after module 2 is the quiz between modules, and once
    only the required final exam is left, "Lanjutkan" goes there, not to optional quizzes."""
    client.login(NIPS["alice"])
    slug = "orientasi-digital-cpns"
    client.submit(f"/kursus/{slug}/daftar", page=f"/kursus/{slug}")
    page = client.get(f"/kursus/{slug}/modul/keamanan-informasi").text
    assert f'href="/kursus/{slug}/kuis/kuis-modul-1-2"' in page  # the pager's "next"
    done = client.submit(
        f"/kursus/{slug}/modul/keamanan-informasi/selesai",
        page=f"/kursus/{slug}/modul/keamanan-informasi",
        follow_redirects=False,
    )
    assert done.headers["location"] == f"/kursus/{slug}/kuis/kuis-modul-1-2"
    again = client.get(f"/kursus/{slug}/modul/keamanan-informasi").text
    assert "Kuis berikutnya" in again
    for module in MODULES:
        client.submit(
            f"/kursus/{slug}/modul/{module}/selesai", page=f"/kursus/{slug}/modul/{module}"
        )
    resume = client.get(f"/kursus/{slug}/lanjutkan", follow_redirects=False)
    # The module quizzes are optional (completion: quizzes: [ujian-akhir]).
    assert resume.headers["location"] == f"/kursus/{slug}/kuis/ujian-akhir"


def test_the_final_exam_waits_for_the_modules(client, people, db):
    """`requires: modules` on the orientation's final exam: refused by the server until
    every module is read, the intro page says what is missing, "Lanjutkan" goes there."""
    client.login(NIPS["alice"])
    slug = "orientasi-digital-cpns"
    client.submit(f"/kursus/{slug}/daftar", page=f"/kursus/{slug}")
    intro = client.get(f"/kursus/{slug}/kuis/ujian-akhir").text
    assert 'id="quiz-waiting"' in intro
    assert "Mulai kuis" not in intro
    start = client.submit(
        f"/kursus/{slug}/kuis/ujian-akhir/mulai", page=f"/kursus/{slug}/kuis/ujian-akhir"
    )
    assert start.status_code == 409 and "baru dapat dimulai setelah" in start.text
    # Optional module quizzes have no prerequisite.
    optional = client.get(f"/kursus/{slug}/kuis/kuis-modul-1-2").text
    assert 'id="quiz-waiting"' not in optional and "Mulai kuis" in optional
    for module in MODULES:
        client.submit(
            f"/kursus/{slug}/modul/{module}/selesai", page=f"/kursus/{slug}/modul/{module}"
        )
    intro = client.get(f"/kursus/{slug}/kuis/ujian-akhir").text
    assert 'id="quiz-waiting"' not in intro and "Mulai kuis" in intro
    started = client.submit(
        f"/kursus/{slug}/kuis/ujian-akhir/mulai",
        page=f"/kursus/{slug}/kuis/ujian-akhir",
        follow_redirects=False,
    )
    assert started.status_code == 303 and "/kuis/percobaan/" in started.headers["location"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("requires: modules ", "requires: [spbe-dasar, tidak-ada] "), "'tidak-ada' bukan item"),
        (
            ("  - module: etika-digital\n", "  - module: etika-digital\n    requires: previous\n"),
            "'requires' hanya untuk kuis",
        ),
        (("requires: modules ", "requires: semua "), "harus 'modules', 'previous'"),
    ],
)
def test_course_check_reports_bad_requires(tmp_path, change, expected):
    root = tmp_path / "courses"
    shutil.copytree(PROJECT_ROOT / "courses" / "orientasi-digital-cpns", root / "orientasi")
    course_yaml = root / "orientasi" / "course.yaml"
    text = course_yaml.read_text()
    assert change[0] in text
    course_yaml.write_text(text.replace(*change))
    loaded, problems = load_catalogue(root)
    assert "orientasi" not in loaded
    errors = [p for p in problems if p.level == "error" and expected in p.message]
    assert errors and errors[0].path.endswith("course.yaml") and errors[0].line > 1, problems
