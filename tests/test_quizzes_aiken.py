from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from app.quizzes.aiken import parse_aiken
from app.quizzes.importers import import_file, quiz_yaml
from app.quizzes.loader import load_quiz_text

FIXTURES = Path(__file__).parent / "fixtures" / "aiken"


def test_valid_file_imports_as_single_choice_questions() -> None:
    questions, problems = parse_aiken(
        (FIXTURES / "lengkap.txt").read_text(encoding="utf-8"), "lengkap.txt"
    )
    assert problems == []
    assert [q["id"] for q in questions] == [
        "apa-kepanjangan-spbe",
        "manakah-kata-sandi-yang-paling-kuat",
        "perhatikan-pernyataan-berikut-uu-no-27",
        "apa-kepanjangan-spbe-2",  # same text twice: ids are deduplicated
    ]
    assert all(q["type"] == "single" for q in questions)
    assert questions[1]["options"] == [
        {"text": "123456"},
        {"text": "password"},
        {"text": "Kuda-Biru-Makan-Pisang-42!", "correct": True},
        {"text": "qwerty"},
    ]
    # Multi-line question text; lower-case labels and "Answer:" are accepted.
    assert (
        questions[2]["text"]
        == "Perhatikan pernyataan berikut.\nUU No. 27 Tahun 2022 mengatur tentang ..."
    )
    assert questions[2]["options"][0] == {"text": "pelindungan data pribadi", "correct": True}


def test_import_round_trips_through_the_quiz_loader() -> None:
    text, problems = import_file(FIXTURES / "lengkap.txt", "aiken")
    assert problems == []
    assert text is not None
    quiz, load_problems = load_quiz_text(text, "impor.yaml")
    assert load_problems == []
    assert quiz is not None
    assert quiz.title == "Lengkap"  # from the file name
    assert quiz.pass_mark == 70
    assert len(quiz.questions) == 4


def test_malformed_questions_are_reported_with_line_numbers() -> None:
    questions, problems = parse_aiken(
        (FIXTURES / "rusak.txt").read_text(encoding="utf-8"), "rusak.txt"
    )
    assert [str(p) for p in problems] == [
        "rusak.txt:1: soal dilewati: baris 'ANSWER: <huruf>' tidak ditemukan",
        "rusak.txt:8: soal dilewati: jawaban 'E' tidak ada di antara opsi A, B",
        "rusak.txt:10: soal dilewati: opsi A tanpa teks soal di atasnya",
        "rusak.txt:16: soal dilewati: soal harus punya 2–10 opsi, bukan 1",
        "rusak.txt:21: soal dilewati: ANSWER 'A, B' harus satu huruf (Aiken hanya mendukung satu jawaban benar)",
        "rusak.txt:23: soal dilewati: soal tanpa opsi jawaban (A. ..., B. ...)",
        "rusak.txt:28: soal dilewati: huruf opsi A dipakai dua kali",
        "rusak.txt:30: baris ANSWER tanpa soal di atasnya",
        "rusak.txt:37: soal dilewati: baris 'ANSWER: <huruf>' tidak ditemukan",
    ]
    assert [q["text"] for q in questions] == ["Soal yang sah"]


def test_answer_may_be_written_with_punctuation() -> None:
    questions, problems = parse_aiken("Q?\nA. x\nB. y\nANSWER: B.\n", "a.txt")
    assert problems == []
    assert questions[0]["options"][1] == {"text": "y", "correct": True}


def test_options_identical_after_normalising_are_refused() -> None:
    questions, problems = parse_aiken("Q?\nA. Ya\nB.  ya \nANSWER: A\n", "a.txt")
    assert questions == []
    assert [str(p) for p in problems] == [
        "a.txt:4: soal dilewati: opsi B sama dengan opsi sebelumnya"
    ]


def test_empty_option_is_refused_and_the_rest_of_the_question_skipped() -> None:
    questions, problems = parse_aiken(
        "Q?\nA.\nB. y\nANSWER: B\n\nR?\nA. a\nB. b\nANSWER: A\n", "a.txt"
    )
    assert [str(p) for p in problems] == ["a.txt:2: soal dilewati: opsi A kosong"]
    assert [q["text"] for q in questions] == ["R?"]


def test_nothing_importable(tmp_path: Path) -> None:
    empty = tmp_path / "kosong.txt"
    empty.write_text("\n\n", encoding="utf-8")
    text, problems = import_file(empty, "aiken")
    assert text is None
    assert [str(p) for p in problems] == [f"{empty}:1: tidak ada soal di berkas ini"]


AIKEN_TOKENS = [
    "A. ",
    "B) ",
    "C. ",
    "a. ",
    "ANSWER: ",
    "ANSWER: A",
    "Answer: b",
    "\n",
    "\n\n",
    "Soal?",
    "x",
    " ",
    "E",
    "A, B",
    "\t",
    ".",
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(AIKEN_TOKENS), st.text(max_size=4)), max_size=40).map(
        "".join
    )
)
def test_fuzz_never_raises_and_imports_only_valid_questions(text: str) -> None:
    questions, problems = parse_aiken(text, "acak.txt")
    lines = max(1, len(text.splitlines()))
    assert all(1 <= p.line <= lines for p in problems)
    if questions:
        quiz, load_problems = load_quiz_text(
            quiz_yaml({"title": "T", "pass_mark": 70, "questions": questions}), "k.yaml"
        )
        assert load_problems == []
        assert quiz is not None
