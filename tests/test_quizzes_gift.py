from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.quizzes.gift import parse_gift
from app.quizzes.gift_text import find_unescaped, html_to_text, unescape
from app.quizzes.importers import import_file, quiz_yaml
from app.quizzes.loader import load_quiz_text

FIXTURES = Path(__file__).parent / "fixtures" / "gift"


def parse_fixture(name: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    questions, problems = parse_gift((FIXTURES / name).read_text(encoding="utf-8"), name)
    return {q["id"]: q for q in questions}, [str(p) for p in problems]


def parse(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    questions, problems = parse_gift(text, "soal.gift")
    return questions, [str(p) for p in problems]


def test_common_constructs() -> None:
    questions, problems = parse_fixture("lengkap.gift")
    assert problems == [
        "lengkap.gift:46: peringatan: format [html]: tag <img> dibuang saat diubah menjadi teks; periksa hasilnya"
    ]
    assert list(questions) == [
        "sandi-kuat",
        "ciri-phishing",
        "uu-pdp",
        "salah",
        "istilah-phishing",
        "jp-minimal",
        "toleransi",
        "rentang",
        "sandi-kuat-2",  # same title twice: ids are deduplicated
        "markdown",
        "html",
        "soal-tanpa-judul-ibu-kota-jawa-barat",  # no title: id from the text
        "ibu-kota-indonesia-saat-ini-adalah",
    ]
    assert questions["sandi-kuat"] == {
        "id": "sandi-kuat",
        "type": "single",
        "text": "Manakah kata sandi yang paling kuat?",
        "tags": ["keamanan-informasi"],
        "feedback": "Kata sandi panjang lebih sulit ditebak.",
        "options": [
            {"text": "123456", "feedback": "Terlalu mudah ditebak."},
            {
                "text": "Kuda-Biru-Makan-Pisang-42!",
                "correct": True,
                "feedback": "Panjang dan acak.",
            },
            {"text": "password"},
        ],
    }
    assert questions["ciri-phishing"]["type"] == "multiple"
    assert questions["ciri-phishing"]["scoring"] == "partial"
    assert [o.get("correct", False) for o in questions["ciri-phishing"]["options"]] == [
        True,
        True,
        False,
    ]
    assert questions["ciri-phishing"]["options"][2]["feedback"] == "Ini justru tanda surel sah."


def test_true_false_feedback_joins_the_explanation() -> None:
    questions, _ = parse_fixture("lengkap.gift")
    assert questions["uu-pdp"]["answer"] is True
    assert questions["uu-pdp"]["tags"] == ["keamanan-informasi", "regulasi"]  # [tag:] comment
    assert (
        questions["uu-pdp"]["feedback"]
        == "Benar, itu UU PDP.\n\nPeriksa lagi judul undang-undangnya."
    )
    assert questions["salah"]["answer"] is False
    assert "feedback" not in questions["salah"]


def test_short_and_numeric() -> None:
    questions, _ = parse_fixture("lengkap.gift")
    assert questions["istilah-phishing"]["answers"] == ["phishing", "pengelabuan"]
    assert questions["istilah-phishing"]["feedback"] == "Istilah Indonesianya."
    assert (questions["jp-minimal"]["answer"], questions["jp-minimal"].get("tolerance")) == (
        20,
        None,
    )
    assert (questions["toleransi"]["answer"], questions["toleransi"]["tolerance"]) == (80, 5)
    # {#1..5}: the midpoint, with the half-width as tolerance
    assert (questions["rentang"]["answer"], questions["rentang"]["tolerance"]) == (3, 2)


def test_escapes_multiline_formats_and_missing_word() -> None:
    questions, _ = parse_fixture("lengkap.gift")
    assert questions["sandi-kuat-2"]["text"] == (
        "Lambang kunci: apa fungsi tanda { dan } serta ~, = dan # di GIFT?\nSoal ini ditulis\ndalam beberapa baris."
    )
    assert questions["sandi-kuat-2"]["tags"] == ["etika"]  # the second $CATEGORY
    assert questions["markdown"]["text"] == "Apa arti **SPBE**?"
    assert questions["html"]["text"] == "Apa singkatan ASN?"
    assert (
        questions["soal-tanpa-judul-ibu-kota-jawa-barat"]["text"]
        == "Soal tanpa judul: ibu kota Jawa Barat adalah?"
    )
    assert (
        questions["ibu-kota-indonesia-saat-ini-adalah"]["text"]
        == "Ibu kota Indonesia saat ini adalah ...."
    )


def test_import_round_trips_through_the_quiz_loader() -> None:
    text, problems = import_file(
        FIXTURES / "lengkap.gift", "gift", title="Kuis Keamanan", pass_mark=80
    )
    assert text is not None
    assert len(problems) == 1
    quiz, load_problems = load_quiz_text(text, "impor.yaml")
    assert load_problems == []
    assert quiz is not None
    assert (quiz.title, quiz.pass_mark, len(quiz.questions)) == ("Kuis Keamanan", 80, 13)
    assert "Ibu kota" in text  # allow_unicode keeps text readable; keys keep their order
    assert text.startswith(
        "title: Kuis Keamanan\npass_mark: 80\nquestions:\n- id: sandi-kuat\n  type: single\n"
    )


def test_moodle_export() -> None:
    questions, problems = parse_fixture("moodle-ekspor.gift")
    assert problems == []
    assert questions["jumlah-dimensi"] == {
        "id": "jumlah-dimensi",
        "type": "numeric",
        "text": "Berapa jumlah dimensi smart city?",
        "tags": ["default-for-bimtek"],
        "feedback": "Ada enam dimensi.\n\nHitung lagi dimensinya.",
        "answer": 6,
    }
    assert questions["istilah"]["answers"] == ["branding", "smart branding"]
    assert [o.get("correct", False) for o in questions["penyelenggara"]["options"]] == [
        True,
        True,
        False,
    ]
    assert questions["hibah"]["answer"] is False
    assert questions["hakikat"]["options"][1] == {
        "text": "Pengelolaan kota yang efektif dan efisien",
        "correct": True,
    }


def test_unsupported_and_malformed_questions_are_reported_with_their_line() -> None:
    questions, problems = parse_fixture("tidak-didukung.gift")
    name = "tidak-didukung.gift"
    assert problems == [
        f"{name}:8: soal dilewati: soal esai ({{}}) tidak didukung: Cakap hanya memuat soal yang dinilai otomatis",
        f"{name}:10: soal dilewati: tidak ada blok jawaban {{...}}; soal deskripsi tanpa jawaban tidak didukung",
        f"{name}:12: soal dilewati: soal pilihan tunggal harus punya tepat satu jawaban benar, ditemukan 2 "
        "(untuk beberapa jawaban benar pakai bobot, mis. ~%50%)",
        f"{name}:16: peringatan: bobot 50% pada soal pilihan tunggal tidak didukung; jawaban 'Jawaban lumayan' dihitung salah",
        f"{name}:20: peringatan: jawaban 'spam' berbobot 50% tidak dimasukkan: jawaban singkat di Cakap benar atau salah",
        f"{name}:20: peringatan: jawaban 'virus' berbobot 0% tidak dimasukkan: jawaban singkat di Cakap benar atau salah",
        f"{name}:22: soal dilewati: soal numerik harus punya tepat satu jawaban bernilai penuh, ditemukan 2",
        f"{name}:24: soal dilewati: jawaban numerik 'dua puluh' tidak valid; contoh: 20, 20:2, atau 18..22",
        f"{name}:26: soal dilewati: blok jawaban '{{' tidak ditutup dengan '}}'",
        f"{name}:28: soal dilewati: judul '::' tidak ditutup dengan '::'",
        f"{name}:30: soal dilewati: lebih dari satu blok jawaban {{...}} dalam satu soal tidak didukung",
        f"{name}:32: soal dilewati: '}}' tanpa '{{' pembuka",
        f"{name}:34: soal dilewati: soal pilihan harus punya 2–10 jawaban, bukan 1",
        f"{name}:36: soal dilewati: jawaban 'ya' tertulis dua kali",
        f"{name}:38: soal dilewati: tidak ada jawaban benar: tandai dengan '=' atau bobot positif, mis. ~%50%",
        f"{name}:40: soal dilewati: ada teks sebelum jawaban pertama; setiap jawaban diawali '=' atau '~'",
        f"{name}:42: peringatan: bobot jawaban benar (70%, 30%) diganti: di Cakap tiap jawaban benar bernilai sama (1/2 poin)",
        f"{name}:44: peringatan: '*' pada jawaban 'ja*' bukan wildcard di Cakap; dibandingkan apa adanya",
    ]
    # Imported with a warning: the partial-credit option counts as wrong, weights become equal.
    assert list(questions) == [
        "menjodohkan",
        "bobot-tunggal",
        "singkat-berbobot",
        "bobot-beda",
        "wildcard",
        "baik",
    ]
    assert [o.get("correct", False) for o in questions["bobot-tunggal"]["options"]] == [
        True,
        False,
        False,
    ]
    assert questions["singkat-berbobot"]["answers"] == ["phishing"]
    assert questions["singkat-berbobot"]["feedback"] == "Bukan virus."


def test_every_skipped_question_is_reported() -> None:
    text = (FIXTURES / "tidak-didukung.gift").read_text(encoding="utf-8")
    questions, problems = parse_gift(text, "x.gift")
    skipped = [p for p in problems if p.message.startswith("soal dilewati")]
    blocks = [b for b in text.split("\n\n") if b.strip() and not b.lstrip().startswith("//")]
    assert len(questions) + len(skipped) == len(blocks)


def test_problem_lines_point_into_multiline_questions() -> None:
    _, problems = parse("// komentar\n\n::Q::Pertanyaan\n{\n=a\n~%50%b\n~c\n}\n")
    assert problems == [
        "soal.gift:6: peringatan: bobot 50% pada soal pilihan tunggal tidak didukung; jawaban 'b' dihitung salah"
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{T}", {"type": "true_false", "answer": True}),
        ("{TRUE}", {"type": "true_false", "answer": True}),
        ("{F}", {"type": "true_false", "answer": False}),
        ("{false}", {"type": "true_false", "answer": False}),
        ("{#20:2}", {"type": "numeric", "answer": 20, "tolerance": 2}),
        ("{#2,5}", {"type": "numeric", "answer": 2.5}),
        ("{#1.1..1.3}", {"type": "numeric", "answer": 1.2, "tolerance": 0.1}),
        ("{#-5..-1}", {"type": "numeric", "answer": -3, "tolerance": 2}),
        ("{=Jakarta}", {"type": "short", "answers": ["Jakarta"]}),
        ("{Jakarta}", {"type": "short", "answers": ["Jakarta"]}),
        ("{=a =A = a }", {"type": "short", "answers": ["a"]}),
    ],
)
def test_answer_blocks(body: str, expected: dict[str, Any]) -> None:
    questions, problems = parse(f"Soal?{body}")
    assert problems == []
    assert {
        k: v for k, v in questions[0].items() if k in ("type", "answer", "answers", "tolerance")
    } == expected


def test_general_feedback_and_option_feedback() -> None:
    questions, _ = parse("Q?{=a#betul ~b#salah ####Pembahasan umum.}")
    assert questions[0]["feedback"] == "Pembahasan umum."
    assert questions[0]["options"] == [
        {"text": "a", "correct": True, "feedback": "betul"},
        {"text": "b", "feedback": "salah"},
    ]


def test_id_and_tag_comments() -> None:
    questions, _ = parse("// [id:Q-7] [tag:Etika Dasar] [tag:uji]\n::Judul::Q?{T}")
    assert questions[0]["id"] == "q-7"
    assert questions[0]["tags"] == ["etika-dasar", "uji"]


def test_category_top_and_course_levels_give_no_tag() -> None:
    questions, _ = parse("$CATEGORY: $course$/top\n\nQ?{T}\n\n$CATEGORY: a/b//c\n\nR?{F}")
    assert "tags" not in questions[0]
    assert questions[1]["tags"] == ["b-c"]


def test_escape_helpers() -> None:
    assert find_unescaped(r"a\{b{c", "{") == 4
    assert find_unescaped(r"a\\{", "{") == 3  # an escaped backslash does not escape the brace
    assert find_unescaped("abc", "{") == -1
    assert unescape(r"\~ \= \# \{ \} \: \\ a\nb \x") == "~ = # { } : \\ a\nb \\x"


def test_html_to_text() -> None:
    text, dropped = html_to_text(
        "<p>Satu &amp; dua</p><script>alert(1)</script><p>x<sup>2</sup> <a href='u'>tautan</a></p>"
    )
    assert text == "Satu & dua\n\nx2 tautan"
    assert dropped == {"script", "sup", "a"}


def test_empty_or_comment_only_file_has_no_questions() -> None:
    assert parse("") == ([], [])
    assert parse("// hanya komentar\n\n   \n") == ([], [])


def test_undecodable_file(tmp_path: Path) -> None:
    file = tmp_path / "latin1.gift"
    file.write_bytes("Q?{T}\n\nCaf\xe9?{T}\n".encode("latin-1"))
    text, problems = import_file(file, "gift")
    assert text is None
    assert [str(p) for p in problems] == [
        f"{file}:3: berkas bukan UTF-8; simpan ulang sebagai UTF-8"
    ]


GIFT_TOKENS = [
    "{",
    "}",
    "=",
    "~",
    "#",
    "####",
    "::",
    "->",
    "%50%",
    "%-100%",
    "%100%",
    "\\",
    "\\{",
    "\n",
    "\n\n",
    "T",
    "FALSE",
    "[html]",
    "[markdown]",
    "<p>",
    "<b>",
    "</p>",
    "<!",
    "&amp;",
    "$CATEGORY: a/b",
    "//",
    "// [tag:x]",
    " ",
    "x",
    "Soal",
    "1..5",
    "20:2",
    ":",
    "..",
    "-",
    "*",
    "\t",
    "\r\n",
    "é",
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(GIFT_TOKENS), st.text(max_size=4)), max_size=40).map("".join)
)
def test_fuzz_never_raises_and_imports_only_valid_questions(text: str) -> None:
    questions, problems = parse_gift(text, "acak.gift")
    lines = max(1, len(text.splitlines()))
    assert all(1 <= p.line <= lines for p in problems)
    if questions:
        quiz, load_problems = load_quiz_text(
            quiz_yaml({"title": "T", "pass_mark": 70, "questions": questions}), "k.yaml"
        )
        assert load_problems == []
        assert quiz is not None and len(quiz.questions) == len(questions)
