"""The cross-domain manifest (app/wiring.py) is installed once, and completion refuses to
run without it — so no script completes a course without the attendance gate."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app import wiring
from app.certificates.models import Certificate
from app.courses.models import Course
from app.main import create_app
from app.progress import hooks
from app.progress import service as progress
from app.progress.models import Enrolment, EnrolmentStatus


@pytest.fixture
def unwired():
    hooks.uninstall()
    yield
    wiring.install()


def test_the_manifest_lists_each_hook_once_however_often_it_is_installed(settings):
    create_app(settings)
    create_app(settings)
    wiring.install()
    installed = hooks.installed()
    assert installed is wiring.MANIFEST
    for hook_list in (
        installed.passed_quizzes,
        installed.gates,
        installed.on_completed,
        installed.jp_sources,
    ):
        assert len(hook_list) == len(set(hook_list)) == 1


def test_completion_refuses_to_run_without_the_manifest(db, people, unwired):
    # A course with nothing in it: the first recompute would complete it at once.
    course = Course(
        slug="kosong", title="Kosong", summary="-", audience="umum", jp=1, content_hash="x"
    )
    db.add(course)
    db.flush()
    enrolment = Enrolment(user_id=people.alice.id, course_id=course.id)
    db.add(enrolment)
    db.flush()
    with pytest.raises(hooks.WiringMissing, match="wiring.install"):
        progress.recompute(db, enrolment=enrolment, now=datetime(2026, 12, 4, tzinfo=UTC))
    assert enrolment.status != EnrolmentStatus.completed
    assert db.scalar(select(func.count()).select_from(Certificate)) == 0


def test_a_script_importing_only_progress_cannot_complete_a_course():
    """Before the manifest, importing progress alone left the attendance gate out; now the
    hooks are simply not there and completion says so."""
    code = (
        "from app.progress import hooks\n"
        "try:\n"
        "    hooks.installed()\n"
        "except hooks.WiringMissing:\n"
        "    print('refused')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="."
    )
    assert out.stdout.strip() == "refused"


def test_the_cli_installs_the_manifest(monkeypatch):
    from typer.testing import CliRunner

    from app.cli import app as cli

    hooks.uninstall()
    try:
        result = CliRunner().invoke(cli, ["maintenance", "--help"])
        assert result.exit_code == 0
        assert hooks.installed() is wiring.MANIFEST
    finally:
        wiring.install()
