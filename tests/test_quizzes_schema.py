import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.quizzes.loader import load_quiz, load_quiz_text, quiz_content_hash
from app.quizzes.schema import Quiz, slugify, unique_slug
from app.quizzes.types.multiple import MultipleQuestion
from app.quizzes.types.numeric import NumericQuestion
from app.quizzes.types.short import ShortQuestion
from app.quizzes.types.single import SingleQuestion
from app.quizzes.types.true_false import TrueFalseQuestion

FIXTURES = Path(__file__).parent / "fixtures" / "quizzes"
REPO = Path(__file__).parent.parent


def problems_of(name: str) -> list[str]:
    quiz, problems = load_quiz(FIXTURES / name, name)
    assert quiz is None
    return [str(problem) for problem in problems]


def test_a_complete_quiz_loads() -> None:
    quiz, problems = load_quiz(FIXTURES / "lengkap.yaml")
    assert problems == []
    assert quiz is not None
    assert quiz.title == "Kuis Keamanan Informasi"
    assert (quiz.pass_mark, quiz.attempts, quiz.max_attempts, quiz.time_limit_minutes) == (
        70,
        3,
        3,
        20,
    )
    assert quiz.draw is not None and quiz.draw.tags == {"keamanan": 2, "etika": 1}
    assert quiz.show_answers == "after_passing"
    assert [type(q) for q in quiz.questions] == [
        SingleQuestion,
        MultipleQuestion,
        TrueFalseQuestion,
        ShortQuestion,
        NumericQuestion,
    ]
    sandi = quiz.questions[0]
    assert isinstance(sandi, SingleQuestion)
    assert sandi.points == 2.0
    assert [o.correct for o in sandi.options] == [False, True]
    assert sandi.options[0].text == "123456"
    assert sandi.options[0].feedback == "Terlalu mudah ditebak."
    assert quiz.question_map()["ciri-phishing"].scoring == "partial"  # type: ignore[union-attr]


def test_defaults() -> None:
    quiz, problems = load_quiz_text(
        "title: T\npass_mark: 0\nquestions:\n  - {id: a, type: true_false, text: Q, answer: false}\n",
        "kuis.yaml",
    )
    assert problems == [] and quiz is not None
    assert quiz.attempts == "unlimited" and quiz.max_attempts is None
    assert quiz.show_answers == "after_passing"
    assert not quiz.shuffle_questions and not quiz.shuffle_options
    assert quiz.draw is None and quiz.time_limit_minutes is None
    assert quiz.questions[0].points == 1.0 and quiz.questions[0].tags == []


def test_every_problem_of_a_broken_file_is_reported_in_one_run() -> None:
    assert problems_of("rusak.yaml") == [
        "rusak.yaml:2: pass_mark: maksimal 100",
        "rusak.yaml:3: attempts: harus bilangan bulat >= 1 atau 'unlimited'",
        "rusak.yaml:4: kunci 'shuffle_question' tidak dikenal",
        "rusak.yaml:5: show_answers: harus salah satu dari 'never', 'after_passing', "
        "'after_last_attempt', 'after_each_attempt'",
        "rusak.yaml:6: draw: isi count ATAU tags, tidak keduanya",
        "rusak.yaml:13: options: tidak ada opsi bertanda 'correct: true'",
        "rusak.yaml:16: id 'sandi-kuat' sudah dipakai soal nomor 1; id soal harus unik",
        "rusak.yaml:19: options: soal 'single' harus punya tepat satu opsi benar, tetapi opsi 1, 2 "
        "bertanda benar (pakai type: multiple untuk beberapa jawaban benar)",
        "rusak.yaml:24: id: harus berupa slug: huruf kecil, angka, dan tanda hubung (contoh: sandi-kuat)",
        "rusak.yaml:26: scoring: harus salah satu dari 'all_or_nothing', 'partial'",
        "rusak.yaml:28: options: soal pilihan harus punya 2–10 opsi, bukan 1",
        "rusak.yaml:34: answers: isi minimal satu jawaban yang diterima",
        "rusak.yaml:38: answer: harus berupa angka",
        "rusak.yaml:39: tolerance: minimal 0",
        "rusak.yaml:43: answer: harus true atau false",
        "rusak.yaml:44: points: harus lebih besar dari 0",
        "rusak.yaml:46: type 'essay' tidak dikenal; pilih: single, multiple, true_false, short, numeric, matching",
        "rusak.yaml:52: text: harus berupa teks (apit dengan tanda kutip bila berupa angka, tanggal, "
        "atau true/false)",
    ]


def test_draw_by_tag_problems() -> None:
    assert problems_of("draw-tag-rusak.yaml") == [
        "draw-tag-rusak.yaml:6: tag 'etika': diminta 2 soal, tetapi hanya 1 yang tersisa; soal bertag "
        "lebih dari satu dihitung untuk tag pertamanya di draw.tags",
        "draw-tag-rusak.yaml:7: tag 'regulasi': diminta 3 soal, tetapi hanya 2 soal bertag ini",
        "draw-tag-rusak.yaml:8: tag 'kemanan' tidak dipakai soal mana pun",
        "draw-tag-rusak.yaml:30: peringatan: soal ini tidak akan pernah muncul: tidak ada tagnya yang "
        "tercantum di draw.tags",
    ]


def test_draw_count_larger_than_the_bank() -> None:
    assert problems_of("draw-count-rusak.yaml") == [
        "draw-count-rusak.yaml:4: draw.count 3 melebihi jumlah soal (2)"
    ]


def test_draw_checks_still_run_when_a_question_is_broken() -> None:
    text = (
        "title: T\npass_mark: 50\ndraw: {count: 3}\nquestions:\n"
        "  - {id: a, type: true_false, text: Q, answer: 1}\n"
        "  - {id: b, type: true_false, text: Q, answer: true}\n"
    )
    _, problems = load_quiz_text(text, "k.yaml")
    assert [str(p) for p in problems] == [
        "k.yaml:3: draw.count 3 melebihi jumlah soal (2)",
        "k.yaml:5: answer: harus true atau false",
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "yaml-rusak.yaml",
            "yaml-rusak.yaml:6: YAML tidak valid: mapping values are not allowed here",
        ),
        ("kunci-ganda.yaml", "kunci-ganda.yaml:8: kunci 'answer' ditulis dua kali"),
    ],
)
def test_unreadable_yaml(name: str, expected: str) -> None:
    assert problems_of(name) == [expected]


def test_warnings_do_not_stop_loading() -> None:
    quiz, problems = load_quiz(FIXTURES / "peringatan.yaml", "peringatan.yaml")
    assert quiz is not None
    assert [str(p) for p in problems] == [
        "peringatan.yaml:11: peringatan: opsi '  jakarta ' sama dengan opsi nomor 1",
        "peringatan.yaml:15: peringatan: jawaban 'JAKARTA' sama dengan jawaban nomor 1",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "k.yaml:1: berkas kuis harus berupa pemetaan"),
        ("- 1\n- 2\n", "k.yaml:1: berkas kuis harus berupa pemetaan"),
        ("title: T\npass_mark: 1\n", "k.yaml:1: kunci wajib 'questions' tidak ada"),
        (
            "title: T\npass_mark: 1\nquestions: []\n",
            "k.yaml:3: questions: harus berupa daftar soal",
        ),
        ("title: T\npass_mark: 1\nquestions:\n  - teks\n", "k.yaml:4: soal harus berupa pemetaan"),
        (
            "title: T\npass_mark: 1\nquestions:\n  - {id: a}\n",
            "k.yaml:4: kunci wajib 'type' tidak ada",
        ),
        (
            "title: ' '\npass_mark: 1\nquestions:\n  - {id: a, type: short, text: Q, answers: [x]}\n",
            "k.yaml:1: title: tidak boleh kosong",
        ),
        (
            "title: T\npass_mark: '70'\nquestions:\n  - {id: a, type: short, text: Q, answers: [x]}\n",
            "k.yaml:2: pass_mark: harus berupa bilangan bulat",
        ),
        (
            "title: T\npass_mark: 1\nquestions:\n  - {id: a, type: short, text: Q, answers: [x, ' ']}\n",
            "k.yaml:4: answers: jawaban nomor 2 kosong",
        ),
        (
            "title: T\npass_mark: 1\nquestions:\n  - {id: a, type: numeric, text: Q, answer: .nan}\n",
            "k.yaml:4: answer: harus berupa angka biasa",
        ),
        (
            "title: T\npass_mark: 1\ndraw: {}\nquestions:\n  - {id: a, type: short, text: Q, answers: [x]}\n",
            "k.yaml:3: draw: isi count atau tags",
        ),
        (
            "title: T\npass_mark: 1\ndraw: {tags: {}}\nquestions:\n  - {id: a, type: short, text: Q, answers: [x]}\n",
            "k.yaml:3: tags: minimal 1 isian",
        ),
        (
            "title: T\npass_mark: 1\ndraw: {count: 0}\nquestions:\n  - {id: a, type: short, text: Q, answers: [x]}\n",
            "k.yaml:3: count: minimal 1",
        ),
        (
            "title: T\npass_mark: 1\nquestions:\n  - {id: a, type: short, text: Q, answers: [x]}\n  - {id: b, type: single, text: Q, options: [{text: x, correct: true}, {text: 'y', correct: 1}]}\n",
            "k.yaml:5: correct: harus true atau false",
        ),
        ("a: 2024-13-45\n", "k.yaml:1: YAML tidak valid: month must be in 1..12"),
        ("title: T\nx: !!python/object:os.system ls\n", "k.yaml:2: YAML tidak valid"),
        ("? [a]\n: b\n", "k.yaml:1: YAML tidak valid"),
    ],
)
def test_single_problems(text: str, expected: str) -> None:
    quiz, problems = load_quiz_text(text, "k.yaml")
    assert quiz is None
    assert any(str(p).startswith(expected) for p in problems), [str(p) for p in problems]


def test_eleven_options_are_too_many() -> None:
    options = (
        "".join(f"      - text: opsi {i}\n" for i in range(10))
        + "      - text: benar\n        correct: true\n"
    )
    text = f"title: T\npass_mark: 1\nquestions:\n  - id: a\n    type: multiple\n    text: Q\n    options:\n{options}"
    _, problems = load_quiz_text(text, "k.yaml")
    assert [str(p) for p in problems] == [
        "k.yaml:7: options: soal pilihan harus punya 2–10 opsi, bukan 11"
    ]


def test_missing_or_undecodable_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    quiz, problems = load_quiz(tmp_path / "tidak-ada.yaml", "tidak-ada.yaml")
    assert quiz is None
    assert [str(p) for p in problems] == [
        "tidak-ada.yaml:1: berkas tidak dapat dibaca: No such file or directory"
    ]
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("title: T\npass_mark: 1\n# caf\xe9\n".encode("latin-1"))
    assert [str(p) for p in load_quiz(latin1, "latin1.yaml")[1]] == [
        "latin1.yaml:3: berkas bukan UTF-8; simpan ulang sebagai UTF-8"
    ]


def test_a_bom_is_ignored(tmp_path: Path) -> None:
    file = tmp_path / "bom.yaml"
    file.write_text(
        "\ufefftitle: T\npass_mark: 1\nquestions:\n  - {id: a, type: short, text: Q, answers: [x]}\n",
        encoding="utf-8",
    )
    assert load_quiz(file)[1] == []


def test_invalid_quiz_cannot_be_built_in_code_either() -> None:
    question = TrueFalseQuestion(id="a", text="Q", answer=True)
    with pytest.raises(ValidationError, match="sudah dipakai"):
        Quiz(title="T", pass_mark=1, questions=[question, question])
    with pytest.raises(ValidationError, match="melebihi"):
        Quiz.model_validate(
            {"title": "T", "pass_mark": 1, "draw": {"count": 2}, "questions": [question]}
        )
    with pytest.raises(ValidationError, match="tepat satu"):
        SingleQuestion.model_validate(
            {
                "id": "a",
                "text": "Q",
                "options": [{"text": "x", "correct": True}, {"text": "y", "correct": True}],
            }
        )


def test_content_hash_is_sha256_of_the_bytes(tmp_path: Path) -> None:
    file = tmp_path / "kuis.yaml"
    file.write_bytes(b"title: T\n")
    assert quiz_content_hash(file) == hashlib.sha256(b"title: T\n").hexdigest()
    before = quiz_content_hash(file)
    file.write_bytes(b"title: U\n")
    assert quiz_content_hash(file) != before


@pytest.mark.parametrize(
    "path", sorted(REPO.glob("courses/*/quizzes/*.yaml")), ids=lambda p: p.name
)
def test_shipped_course_quizzes_load_cleanly(path: Path) -> None:
    quiz, problems = load_quiz(path)
    assert [str(p) for p in problems] == []
    assert quiz is not None


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Sandi Kuat", "sandi-kuat"),
        ("  Énergie — 2024!! ", "energie-2024"),
        ("???", ""),
        ("UU PDP No. 27", "uu-pdp-no-27"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_slugify_cuts_long_titles_at_a_word() -> None:
    assert slugify("satu dua tiga empat", max_length=12) == "satu-dua"


def test_unique_slug() -> None:
    used: set[str] = set()
    assert [unique_slug("soal", used) for _ in range(3)] == ["soal", "soal-2", "soal-3"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_loader_never_raises(text: str) -> None:
    quiz, problems = load_quiz_text(text, "acak.yaml")
    assert quiz is not None or problems
    assert all(p.line >= 1 for p in problems)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "title: T\n",
                "pass_mark: 70\n",
                "questions:\n",
                "  - id: a\n",
                "    type: single\n",
                "    text: Q\n",
                "    options:\n",
                "      - text: x\n",
                "        correct: true\n",
                "draw: {count: 2}\n",
                "  - ",
                "{",
                "}",
                "[",
                "]",
                ": ",
                "\n",
                "!!int x",
                "2024-02-30",
                "&a ",
                "*a",
                "'",
                '"',
                "\t",
                "- ",
                "? ",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_loader_never_raises_on_yamlish_text(text: str) -> None:
    quiz, problems = load_quiz_text(text, "acak.yaml")
    assert quiz is not None or any(p.level == "error" for p in problems)
    assert all(1 <= p.line <= text.count("\n") + 2 for p in problems)
