"""Learner journey through courses over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.courses.models import Course, CourseModule, ModuleVersion
from app.main import create_app
from app.progress.models import Enrolment, ModuleProgress
from tests.conftest import NIPS, Browser

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def courses_dir(tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses_ok", root)
    return root


@pytest.fixture
def app(settings, clock, courses_dir):
    settings.courses_dir = courses_dir
    return create_app(settings, clock=clock)


def _resync(client):
    client.login(NIPS["adi"])
    r = client.submit("/admin/kursus/sinkron", page="/admin/kursus", follow_redirects=False)
    assert r.status_code == 303
    client.submit("/keluar", page="/")


def test_catalogue_and_filter(client, people):
    client.login(NIPS["alice"])
    page = client.get("/kursus")
    assert "Pengantar SPBE" in page.text
    assert 'src="/kursus/pengantar-spbe/aset/assets/sampul.svg"' in page.text
    assert "Pengantar SPBE" not in client.get("/kursus?audiens=bimtek").text
    fragment = client.get("/kursus?audiens=cpns", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="course-list"' in fragment.text


def test_enrol_read_mark_done_and_resume(client, people, db):
    client.login(NIPS["alice"])
    course_page = client.get("/kursus/pengantar-spbe")
    assert "Daftar dan mulai" in course_page.text
    r = client.submit("/kursus/pengantar-spbe/daftar", page="/kursus/pengantar-spbe")
    # enrol → "lanjutkan" → the first module
    assert r.url.path == "/kursus/pengantar-spbe/modul/apa-itu-spbe"
    assert "Tandai selesai" in r.text
    # marking done twice (double click) keeps one row and the first time
    first = client.submit(
        "/kursus/pengantar-spbe/modul/apa-itu-spbe/selesai", page=r.url.path, follow_redirects=False
    )
    assert first.status_code == 303
    assert first.headers["location"] == "/kursus/pengantar-spbe/modul/keamanan-dasar"
    client.submit(
        "/kursus/pengantar-spbe/modul/apa-itu-spbe/selesai", page=r.url.path, follow_redirects=False
    )
    assert db.scalar(select(func.count()).select_from(ModuleProgress)) == 1
    enrolment = db.scalar(select(Enrolment))
    assert enrolment.items_required == 3  # two modules + the required final quiz
    assert enrolment.items_done == 1 and enrolment.progress_percent == 33
    assert enrolment.status == "in_progress"
    # leave and come back: "Lanjutkan" goes to the first unfinished module
    resume = client.get("/kursus/pengantar-spbe/lanjutkan", follow_redirects=False)
    assert resume.headers["location"] == "/kursus/pengantar-spbe/modul/keamanan-dasar"
    outline = client.get("/kursus/pengantar-spbe").text
    assert "33%" in outline and "selesai" in outline
    home = client.get("/").text
    assert "Kursus saya" in home and "Pengantar SPBE" in home


def test_htmx_mark_done_returns_fragment(client, people):
    client.login(NIPS["alice"])
    client.submit("/kursus/pengantar-spbe/daftar", page="/kursus/pengantar-spbe")
    token = client.csrf("/kursus/pengantar-spbe/modul/apa-itu-spbe")
    r = client.post(
        "/kursus/pengantar-spbe/modul/apa-itu-spbe/selesai",
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert r.status_code == 200
    assert "<html" not in r.text and 'id="done-box"' in r.text and "sudah selesai" in r.text
    opened = client.post(
        "/kursus/pengantar-spbe/modul/keamanan-dasar/buka",
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert opened.status_code == 204
    assert "sedang" in client.get("/kursus/pengantar-spbe").text


def test_module_requires_enrolment_and_gets_do_not_write(client, people, db):
    client.login(NIPS["alice"])
    r = client.get("/kursus/pengantar-spbe/modul/apa-itu-spbe", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/kursus/pengantar-spbe"
    token = client.csrf("/kursus/pengantar-spbe")
    r = client.post("/kursus/pengantar-spbe/modul/apa-itu-spbe/selesai", data={"csrf_token": token})
    assert r.status_code == 403
    assert db.scalar(select(func.count()).select_from(Enrolment)) == 0
    assert client.get("/kursus/tidak-ada").status_code == 404
    assert client.get("/kursus/pengantar-spbe/modul/tidak-ada").status_code == 404


def test_progress_survives_restart(settings, clock, courses_dir, people):
    settings.courses_dir = courses_dir
    with Browser(create_app(settings, clock=clock), base_url="http://testserver") as c:
        c.login(NIPS["alice"])
        c.submit("/kursus/pengantar-spbe/daftar", page="/kursus/pengantar-spbe")
        c.submit("/kursus/pengantar-spbe/modul/apa-itu-spbe/selesai", page="/kursus/pengantar-spbe")
    with Browser(create_app(settings, clock=clock), base_url="http://testserver") as c:
        c.login(NIPS["alice"])
        r = c.get("/kursus/pengantar-spbe/lanjutkan", follow_redirects=False)
        assert r.headers["location"].endswith("/modul/keamanan-dasar")


def test_editing_a_module_makes_a_new_version_and_keeps_progress(client, people, db, courses_dir):
    client.login(NIPS["alice"])
    client.submit("/kursus/pengantar-spbe/daftar", page="/kursus/pengantar-spbe")
    client.submit(
        "/kursus/pengantar-spbe/modul/apa-itu-spbe/selesai", page="/kursus/pengantar-spbe"
    )
    # Seen before the edit: the cached course structure and module text must not outlive it.
    assert "Paragraf baru" not in client.get("/kursus/pengantar-spbe/modul/apa-itu-spbe").text
    client.submit("/keluar", page="/")
    module_file = courses_dir / "pengantar-spbe" / "modules" / "apa-itu-spbe.md"
    module_file.write_text(module_file.read_text() + "\n\n## Tambahan\n\nParagraf baru.\n")
    _resync(client)
    module = db.scalar(select(CourseModule).where(CourseModule.slug == "apa-itu-spbe"))
    assert (
        db.scalar(
            select(func.count())
            .select_from(ModuleVersion)
            .where(ModuleVersion.module_id == module.id)
        )
        == 2
    )
    progress = db.scalar(select(ModuleProgress))
    assert progress.completed_version_id != module.current_version_id
    client.login(NIPS["alice"])
    page = client.get("/kursus/pengantar-spbe").text
    assert "materi telah diperbarui" in page
    assert "Paragraf baru" in client.get("/kursus/pengantar-spbe/modul/apa-itu-spbe").text


def test_removed_module_is_archived_not_deleted(client, people, db, courses_dir):
    client.login(NIPS["alice"])
    client.submit("/kursus/pengantar-spbe/daftar", page="/kursus/pengantar-spbe")
    client.submit(
        "/kursus/pengantar-spbe/modul/keamanan-dasar/selesai", page="/kursus/pengantar-spbe"
    )
    assert client.get("/kursus/pengantar-spbe/modul/keamanan-dasar").status_code == 200
    client.submit("/keluar", page="/")
    course_yaml = courses_dir / "pengantar-spbe" / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("  - module: keamanan-dasar\n", ""))
    (courses_dir / "pengantar-spbe" / "modules" / "keamanan-dasar.md").unlink()
    other = courses_dir / "pengantar-spbe" / "modules" / "apa-itu-spbe.md"
    other.write_text(other.read_text().replace("keamanan-dasar.md", "https://jdih.go.id"))
    _resync(client)
    module = db.scalar(select(CourseModule).where(CourseModule.slug == "keamanan-dasar"))
    assert module.archived
    assert db.scalar(select(func.count()).select_from(ModuleProgress)) == 1
    client.login(NIPS["alice"])
    assert client.get("/kursus/pengantar-spbe/modul/keamanan-dasar").status_code == 404
    assert "Keamanan" not in client.get("/kursus/pengantar-spbe").text


def test_broken_course_keeps_last_good_version(client, people, db, courses_dir):
    course_yaml = courses_dir / "pengantar-spbe" / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("audience: cpns", "audience: [rusak"))
    client.login(NIPS["adi"])
    client.submit("/admin/kursus/sinkron", page="/admin/kursus")
    admin = client.get("/admin/kursus").text
    assert "course.yaml" in admin and "YAML tidak valid" in admin
    assert "versi baik terakhir" in admin
    assert "Pengantar SPBE" in client.get("/kursus").text
    assert not db.scalar(select(Course)).archived


def test_course_folder_removed_is_archived(client, people, db, courses_dir):
    shutil.rmtree(courses_dir / "pengantar-spbe")
    _resync(client)
    assert db.scalar(select(Course)).archived
    client.login(NIPS["alice"])
    assert "Pengantar SPBE" not in client.get("/kursus").text


def test_assets_are_listed_files_only(client, people):
    client.login(NIPS["alice"])
    r = client.get("/kursus/pengantar-spbe/aset/assets/sampul.svg")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert "sandbox" in r.headers["content-security-policy"]
    assert client.get("/kursus/pengantar-spbe/aset/course.yaml").status_code == 404
    assert client.get("/kursus/pengantar-spbe/aset/../../etc/passwd").status_code == 404
    assert client.get("/kursus/pengantar-spbe/aset/assets/%2e%2e/course.yaml").status_code == 404


def test_markdown_script_and_javascript_links_are_inert(client, people, courses_dir):
    module = courses_dir / "pengantar-spbe" / "modules" / "apa-itu-spbe.md"
    module.write_text(
        module.read_text()
        + '\n\n<script>alert("xss")</script>\n\n[klik](javascript:alert(1))\n\n<img src=x onerror=alert(1)>\n'
    )
    _resync(client)
    client.login(NIPS["alice"])
    client.submit("/kursus/pengantar-spbe/daftar", page="/kursus/pengantar-spbe")
    html = client.get("/kursus/pengantar-spbe/modul/apa-itu-spbe").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert "<img src=x onerror" not in html


def test_shipped_courses_load_and_render(settings, clock, people):
    with Browser(create_app(settings, clock=clock), base_url="http://testserver") as c:
        c.login(NIPS["alice"])
        catalogue = c.get("/kursus").text
        assert "orientasi-digital-cpns" in catalogue and "bimtek-masterplan-smart-city" in catalogue
        c.submit("/kursus/orientasi-digital-cpns/daftar", page="/kursus/orientasi-digital-cpns")
        page = c.get("/kursus/orientasi-digital-cpns/modul/spbe-dasar")
        assert page.status_code == 200
        assert "<table>" in page.text
        # the text-module page weight budget: under 50 KB without cached static files
        assert len(page.content) < 50_000


def test_structure_read_across_a_sync_is_not_cached_under_the_old_hash(client, db):
    """A course row read before a sync committed (PostgreSQL reads each statement from a
    fresh snapshot) must not file the new structure under the old content hash."""
    from types import SimpleNamespace

    from app.courses import service
    from app.db import engine_cache

    course = db.scalar(select(Course).where(Course.slug == "pengantar-spbe"))
    stale = SimpleNamespace(id=course.id, content_hash="hash-before-the-sync")
    assert service.structure(db, stale).modules  # served, from the current rows
    cache = engine_cache(db, "course_structures")
    assert (course.id, "hash-before-the-sync") not in cache
    service.structure(db, course)
    assert (course.id, course.content_hash) in cache
