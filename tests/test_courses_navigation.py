"""Moving through a course: "next" and "Lanjutkan" (pilot-readiness finding 8)."""

from __future__ import annotations

from tests.conftest import NIPS


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
    for module in (
        "spbe-dasar",
        "keamanan-informasi",
        "etika-digital",
        "kolaborasi-daring",
        "layanan-publik-digital",
        "pelindungan-data-pribadi",
    ):
        client.submit(
            f"/kursus/{slug}/modul/{module}/selesai", page=f"/kursus/{slug}/modul/{module}"
        )
    resume = client.get(f"/kursus/{slug}/lanjutkan", follow_redirects=False)
    # The module quizzes are optional (completion: quizzes: [ujian-akhir]).
    assert resume.headers["location"] == f"/kursus/{slug}/kuis/ujian-akhir"
