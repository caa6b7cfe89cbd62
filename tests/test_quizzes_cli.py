from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli.quizzes import quiz_app
from app.quizzes.loader import load_quiz

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_clean_import_writes_the_file_and_exits_0(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "kuis.yaml"
    source = FIXTURES / "aiken" / "lengkap.txt"
    result = runner.invoke(
        quiz_app,
        ["import", str(source), "--format", "aiken", "--out", str(out), "--title", "Kuis SPBE"],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "4 soal diimpor, 0 masalah dilaporkan." in result.stderr
    quiz, problems = load_quiz(out)
    assert problems == []
    assert quiz is not None and quiz.title == "Kuis SPBE"


def test_without_out_the_yaml_goes_to_stdout(runner: CliRunner) -> None:
    result = runner.invoke(
        quiz_app, ["import", str(FIXTURES / "aiken" / "lengkap.txt"), "-f", "AIKEN"]
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("title: Lengkap\npass_mark: 70\nquestions:\n")


def test_reported_questions_exit_1_with_file_and_line_on_stderr(
    runner: CliRunner, tmp_path: Path
) -> None:
    source = FIXTURES / "gift" / "tidak-didukung.gift"
    out = tmp_path / "kuis.yaml"
    result = runner.invoke(quiz_app, ["import", str(source), "--format", "gift", "--out", str(out)])
    assert result.exit_code == 1
    assert (
        f"{source}:8: soal dilewati: soal esai ({{}}) tidak didukung: Cakap hanya memuat soal "
        "yang dinilai otomatis" in result.stderr.splitlines()
    )
    assert f"{source}:16: peringatan: bobot 50%" in result.stderr
    assert "6 soal diimpor, 18 masalah dilaporkan." in result.stderr
    assert load_quiz(out)[0] is not None  # what could be imported still is


def test_nothing_importable_exits_1_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "esai.gift"
    source.write_text("Jelaskan SPBE.{}\n", encoding="utf-8")
    out = tmp_path / "kuis.yaml"
    result = runner.invoke(quiz_app, ["import", str(source), "--format", "gift", "--out", str(out)])
    assert result.exit_code == 1
    assert f"{source}:1: soal dilewati: soal esai" in result.stderr
    assert not out.exists()
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["import", "{aiken}", "--format", "xml"],  # unknown format
        ["import", "{missing}", "--format", "gift"],  # unreadable file
        ["import", "{directory}", "--format", "gift"],  # a directory
        ["import", "{aiken}"],  # --format is required
        ["import", "{aiken}", "--format", "aiken", "--out", "{directory}"],  # cannot write there
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    paths = {
        "aiken": FIXTURES / "aiken" / "lengkap.txt",
        "missing": tmp_path / "tidak-ada.gift",
        "directory": tmp_path,
    }
    result = runner.invoke(quiz_app, [arg.format(**paths) for arg in args])
    assert result.exit_code == 2, result.output


def test_unreadable_file_message(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        quiz_app, ["import", str(tmp_path / "tidak-ada.gift"), "--format", "gift"]
    )
    assert f"{tmp_path / 'tidak-ada.gift'}: berkas tidak dapat dibaca" in result.stderr
