"""Course folders -> LoadedCourse: every problem with its file and line, in one run."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.courses.loader import load_catalogue, load_course
from app.courses.schema import LoadedModule, LoadedQuiz

FIXTURES = Path(__file__).parent / "fixtures"
OK_ROOT = FIXTURES / "courses_ok"
BROKEN_ROOT = FIXTURES / "courses_broken"
OK_COURSE = OK_ROOT / "pengantar-spbe"

# Every problem of tests/fixtures/courses_broken, in the order the loader reports them. Each
# reported `path:line: message` (paths relative to courses_broken/) must start with its line
# here; warnings read `peringatan: ...`. Quiz wording belongs to the quiz loader, so only its
# key is pinned.
EXPECTED_BROKEN = """
Nama_Salah/course.yaml:1: nama folder 'Nama_Salah' bukan slug yang valid
Nama_Salah/course.yaml:5: sampul '../sampul.svg' harus berkas di dalam folder kursus
Nama_Salah/course.yaml:9: completion.modules: harus 'all' atau daftar slug
banyak-masalah/course.yaml:3: audience:
banyak-masalah/course.yaml:5: kunci 'durasi' tidak dikenal
banyak-masalah/course.yaml:6: berkas sampul 'assets/tidak-ada.svg' tidak ditemukan
banyak-masalah/course.yaml:10: modul 'pembuka' sudah tercantum di items (baris 8)
banyak-masalah/course.yaml:14: modul 'belum-ditulis' tercantum di items tetapi berkas modules/belum-ditulis.md tidak ada
banyak-masalah/course.yaml:16: kuis 'kuis-hilang' tercantum di items tetapi berkas quizzes/kuis-hilang.yaml tidak ada
banyak-masalah/course.yaml:17: items.9: setiap item harus berisi tepat satu kunci: 'module' atau 'quiz'
banyak-masalah/course.yaml:19: items.10: setiap item harus berisi tepat satu kunci: 'module' atau 'quiz'
banyak-masalah/course.yaml:20: items.11: setiap item ditulis 'module: slug' atau 'quiz: slug'
banyak-masalah/course.yaml:21: items.12.quiz: 'Kuis_Satu' bukan slug yang valid
banyak-masalah/course.yaml:24: completion.quizzes: 'ujian-akhir' bukan kuis di items
banyak-masalah/modules/front-matter-rusak.md:4: YAML tidak valid
banyak-masalah/modules/front-matter-salah.md:2: title:
banyak-masalah/modules/front-matter-salah.md:3: minutes:
banyak-masalah/modules/front-matter-salah.md:4: kunci 'penulis' tidak dikenal
banyak-masalah/modules/gambar-dan-tautan.md:8: gambar 'assets/hilang.png' tidak ditemukan di assets/ kursus ini
banyak-masalah/modules/gambar-dan-tautan.md:9: gambar '../../rahasia.png' berada di luar folder kursus
banyak-masalah/modules/gambar-dan-tautan.md:11: gambar 'luar-assets.svg' tidak ditemukan di assets/ kursus ini
banyak-masalah/modules/gambar-dan-tautan.md:15: tautan ke 'modul-lain.md' bukan modul kursus ini
banyak-masalah/modules/gambar-dan-tautan.md:16: tautan ke 'modules/pembuka.md' bukan modul kursus ini (tulis nama berkasnya saja: 'pembuka.md')
banyak-masalah/modules/gambar-dan-tautan.md:19: tautan ke 'tidak-tercantum.md' bukan modul kursus ini
banyak-masalah/modules/gambar-dan-tautan.md:21: berkas 'assets/panduan.pdf' tidak ditemukan di assets/ kursus ini
banyak-masalah/modules/tanpa-front-matter.md:1: front matter YAML tidak ditemukan
banyak-masalah/modules/tidak-tercantum.md:1: peringatan: tidak tercantum di items course.yaml; berkas ini diabaikan
banyak-masalah/quizzes/cadangan.yaml:1: peringatan: tidak tercantum di items course.yaml
banyak-masalah/quizzes/catatan.txt:1: peringatan: tidak tercantum di items course.yaml
banyak-masalah/quizzes/kuis-rusak.yaml:2: pass_mark
peringatan-saja/modules/satu.md:7: peringatan: gambar 'https://example.org/logo.png' diambil dari situs lain
peringatan-saja/modules/sisa.md:1: peringatan: tidak tercantum di items course.yaml
tanpa-course-yaml/course.yaml:1: course.yaml tidak ditemukan di folder kursus
yaml-rusak/course.yaml:7: YAML tidak valid
yaml-rusak/modules/satu.md:2: kunci wajib 'minutes' tidak ada
yaml-rusak/modules/satu.md:6: gambar 'assets/tidak-ada.png' tidak ditemukan di assets/ kursus ini
peringatan-saja/course.yaml:1: peringatan: judul 'Pengantar Kursus' sama dengan judul kursus 'judul-kembar'
"""


def copy_course(tmp_path: Path, source: Path = OK_COURSE) -> Path:
    target = tmp_path / "courses" / source.name
    shutil.copytree(source, target)
    return target


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# --- a valid course ------------------------------------------------------------------------


def test_valid_course_loads_without_problems():
    course, problems = load_course(OK_COURSE, display_root=OK_ROOT)

    assert problems == []
    assert course is not None
    assert (course.slug, course.title, course.audience, course.jp) == (
        "pengantar-spbe",
        "Pengantar SPBE",
        "cpns",
        2,
    )
    assert (course.jp_category, course.enrolment, course.cover) == (
        "teknis",
        "open",
        "assets/sampul.svg",
    )
    assert [(type(item), item.slug) for item in course.items] == [
        (LoadedModule, "apa-itu-spbe"),
        (LoadedModule, "keamanan-dasar"),
        (LoadedQuiz, "kuis-akhir"),
    ]
    assert course.required_modules == {"apa-itu-spbe", "keamanan-dasar"}
    assert course.required_quizzes == {"kuis-akhir"}
    assert course.assets == {"assets/sampul.svg", "assets/arsitektur.svg"}
    assert len(course.content_hash) == 64


def test_loaded_module_keeps_body_line_and_source():
    course, _ = load_course(OK_COURSE, display_root=OK_ROOT)
    assert course is not None
    module = course.modules[0]
    assert (module.title, module.minutes, module.body_line) == ("Apa itu SPBE?", 15, 5)
    assert module.body.startswith("# Apa itu SPBE?\n")
    assert module.source == "courses_ok/pengantar-spbe/modules/apa-itu-spbe.md"
    assert course.quizzes[0].quiz.pass_mark == 70


def test_paths_are_shown_as_given_without_display_root(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(FIXTURES)
    course, _ = load_course(Path("courses_ok/pengantar-spbe"))
    assert course is not None
    assert course.modules[1].source == "courses_ok/pengantar-spbe/modules/keamanan-dasar.md"


def test_catalogue_of_valid_courses():
    courses, problems = load_catalogue(OK_ROOT)
    assert problems == []
    assert list(courses) == ["pengantar-spbe"]


# --- broken courses ------------------------------------------------------------------------


def test_broken_catalogue_reports_every_problem_in_one_run():
    courses, problems = load_catalogue(BROKEN_ROOT)

    reported = [str(p).removeprefix("courses_broken/") for p in problems]
    expected = EXPECTED_BROKEN.strip().splitlines()
    assert len(reported) == len(expected), "\n".join(reported)
    for line, prefix in zip(reported, expected, strict=True):
        assert line.startswith(prefix)
    assert sorted(courses) == ["judul-kembar", "peringatan-saja"]


def test_problem_strings_read_as_path_line_message():
    _, problems = load_course(BROKEN_ROOT / "yaml-rusak", display_root=BROKEN_ROOT)
    assert [str(p) for p in problems] == [
        "courses_broken/yaml-rusak/course.yaml:7: YAML tidak valid: "
        "expected <block end>, but found '<block sequence start>'",
        "courses_broken/yaml-rusak/modules/satu.md:2: kunci wajib 'minutes' tidak ada",
        "courses_broken/yaml-rusak/modules/satu.md:6: "
        "gambar 'assets/tidak-ada.png' tidak ditemukan di assets/ kursus ini",
    ]


def test_folders_starting_with_dot_or_underscore_are_ignored():
    _, problems = load_catalogue(BROKEN_ROOT)
    assert not [p for p in problems if "_draf" in p.path or ".tersembunyi" in p.path]


def test_warnings_do_not_block_loading():
    course, problems = load_course(BROKEN_ROOT / "peringatan-saja", display_root=BROKEN_ROOT)
    assert course is not None
    assert {p.level for p in problems} == {"warning"}
    assert str(problems[0]).startswith(
        "courses_broken/peringatan-saja/modules/satu.md:7: peringatan: "
    )
    assert course.required_modules == {"satu"} and course.required_quizzes == frozenset()


def test_one_broken_link_blocks_an_otherwise_valid_course(tmp_path: Path):
    course_dir = copy_course(tmp_path)
    module = course_dir / "modules" / "keamanan-dasar.md"
    module.write_text(module.read_text() + "\nLihat [modul lama](modul-lama.md).\n")

    course, problems = load_course(course_dir, display_root=course_dir.parent)

    assert course is None
    assert [str(p) for p in problems] == [
        "courses/pengantar-spbe/modules/keamanan-dasar.md:11: "
        "tautan ke 'modul-lama.md' bukan modul kursus ini"
    ]


def test_missing_catalogue_root(tmp_path: Path):
    courses, problems = load_catalogue(tmp_path / "courses")
    assert courses == {}
    assert [str(p) for p in problems] == ["courses:1: folder kursus tidak ditemukan"]


def test_missing_course_folder(tmp_path: Path):
    course, problems = load_course(tmp_path / "tidak-ada")
    assert course is None
    assert [p.message for p in problems] == ["folder kursus tidak ditemukan"]


@pytest.mark.parametrize(
    ("yaml_text", "line", "phrase"),
    [
        ("title: x\ntanggal: 2024-13-45\n", 1, "YAML tidak valid"),
        ("title: &a [*a]\n", 1, "YAML tidak valid"),
        ("title: x\n? [a, b]\n: c\n", 2, "YAML tidak valid"),
        ("title: x\ntitle: y\n", 2, "kunci 'title' ditulis dua kali"),
        ("- just\n- a list\n", 1, "(dokumen)"),
        ("", 1, "(dokumen)"),
    ],
)
def test_odd_yaml_is_a_problem_not_a_crash(tmp_path: Path, yaml_text: str, line: int, phrase: str):
    course_dir = copy_course(tmp_path)
    write(course_dir / "course.yaml", yaml_text)
    course, problems = load_course(course_dir, display_root=course_dir.parent)
    assert course is None
    assert (problems[0].path, problems[0].line) == ("courses/pengantar-spbe/course.yaml", line)
    assert phrase in problems[0].message


def test_odd_yaml_in_front_matter_points_into_the_module(tmp_path: Path):
    course_dir = copy_course(tmp_path)
    write(
        course_dir / "modules" / "apa-itu-spbe.md",
        "---\ntitle: x\nminutes: !!binary zz\n---\nIsi\n",
    )
    _, problems = load_course(course_dir, display_root=course_dir.parent)
    assert [(p.path, p.line) for p in problems] == [
        ("courses/pengantar-spbe/modules/apa-itu-spbe.md", 3)
    ]


def test_non_utf8_module_is_reported(tmp_path: Path):
    course_dir = copy_course(tmp_path)
    (course_dir / "modules" / "apa-itu-spbe.md").write_bytes(b"---\ntitle: Caf\xe9\n---\n")
    _, problems = load_course(course_dir, display_root=course_dir.parent)
    assert [str(p) for p in problems] == [
        "courses/pengantar-spbe/modules/apa-itu-spbe.md:1: berkas bukan UTF-8"
    ]


def test_byte_order_mark_is_accepted(tmp_path: Path):
    course_dir = copy_course(tmp_path)
    module = course_dir / "modules" / "apa-itu-spbe.md"
    module.write_bytes(b"\xef\xbb\xbf" + module.read_bytes())
    course, problems = load_course(course_dir)
    assert problems == [] and course is not None


def test_asset_linking_outside_the_course_is_not_an_asset(tmp_path: Path):
    course_dir = copy_course(tmp_path)
    secret = tmp_path / "rahasia.png"
    secret.write_bytes(b"not really a png")
    (course_dir / "assets" / "bocor.png").symlink_to(secret)
    module = course_dir / "modules" / "keamanan-dasar.md"
    module.write_text(module.read_text() + "\n![bocor](assets/bocor.png)\n")

    course, problems = load_course(course_dir, display_root=course_dir.parent)

    assert course is None
    assert [p.line for p in problems] == [11]
    assert "tidak ditemukan di assets/" in problems[0].message


def test_cover_must_be_an_image(tmp_path: Path):
    course_dir = copy_course(tmp_path)
    write(course_dir / "assets" / "catatan.txt", "bukan gambar")
    text = (
        (course_dir / "course.yaml").read_text().replace("assets/sampul.svg", "assets/catatan.txt")
    )
    write(course_dir / "course.yaml", text)
    _, problems = load_course(course_dir, display_root=course_dir.parent)
    assert [(p.line, p.message.split(" (")[0]) for p in problems] == [
        (8, "sampul 'assets/catatan.txt' harus berupa gambar")
    ]


# --- completion rule -----------------------------------------------------------------------


def test_completion_defaults_to_every_item(tmp_path: Path):
    course_dir = copy_course(tmp_path)
    text = (course_dir / "course.yaml").read_text().split("completion:")[0]
    write(course_dir / "course.yaml", text)
    course, _ = load_course(course_dir)
    assert course is not None
    assert course.required_modules == {"apa-itu-spbe", "keamanan-dasar"}
    assert course.required_quizzes == {"kuis-akhir"}


def test_completion_requiring_nothing_is_a_warning(tmp_path: Path):
    course_dir = copy_course(tmp_path)
    text = (course_dir / "course.yaml").read_text().split("completion:")[0]
    write(course_dir / "course.yaml", text + "completion:\n  modules: []\n  quizzes: []\n")
    course, problems = load_course(course_dir)
    assert course is not None
    assert course.required_modules == frozenset() and course.required_quizzes == frozenset()
    assert [(p.line, p.level) for p in problems] == [(14, "warning")]


def test_completion_naming_a_quiz_as_a_module_is_an_error(tmp_path: Path):
    course_dir = copy_course(tmp_path)
    text = (course_dir / "course.yaml").read_text().replace("modules: all", "modules: [kuis-akhir]")
    write(course_dir / "course.yaml", text)
    course, problems = load_course(course_dir)
    assert course is None
    assert [(p.line, p.message) for p in problems] == [
        (15, "completion.modules: 'kuis-akhir' bukan modul di items")
    ]


# --- versioning ----------------------------------------------------------------------------


def test_content_hash_is_stable_when_nothing_changes(tmp_path: Path):
    first, _ = load_course(OK_COURSE)
    copy, _ = load_course(copy_course(tmp_path))
    assert first is not None and copy is not None
    assert first.content_hash == copy.content_hash
    assert [i.content_hash for i in first.items] == [i.content_hash for i in copy.items]


def test_editing_a_module_changes_its_hash_and_the_course_hash(tmp_path: Path):
    course_dir = copy_course(tmp_path)
    before, _ = load_course(course_dir)
    module = course_dir / "modules" / "keamanan-dasar.md"
    module.write_text(module.read_text().replace("panjang", "panjang (minimal 12 karakter)"))
    after, _ = load_course(course_dir)

    assert before is not None and after is not None
    assert after.content_hash != before.content_hash
    old, new = before.modules, after.modules
    assert old[0].content_hash == new[0].content_hash
    assert old[1].content_hash != new[1].content_hash


def test_editing_a_quiz_changes_the_course_hash(tmp_path: Path):
    course_dir = copy_course(tmp_path)
    before, _ = load_course(course_dir)
    quiz = course_dir / "quizzes" / "kuis-akhir.yaml"
    quiz.write_text(quiz.read_text().replace("pass_mark: 70", "pass_mark: 80"))
    after, _ = load_course(course_dir)
    assert before is not None and after is not None
    assert after.quizzes[0].content_hash != before.quizzes[0].content_hash
    assert after.content_hash != before.content_hash


def test_reordering_items_changes_the_course_hash(tmp_path: Path):
    course_dir = copy_course(tmp_path)
    before, _ = load_course(course_dir)
    text = (course_dir / "course.yaml").read_text()
    text = text.replace(
        "  - module: apa-itu-spbe\n  - module: keamanan-dasar\n",
        "  - module: keamanan-dasar\n  - module: apa-itu-spbe\n",
    )
    write(course_dir / "course.yaml", text)
    after, _ = load_course(course_dir)
    assert before is not None and after is not None
    assert [m.slug for m in after.modules] == ["keamanan-dasar", "apa-itu-spbe"]
    assert after.content_hash != before.content_hash


# --- property: never raises ----------------------------------------------------------------

_YAMLISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "title: ",
                "items:\n",
                "  - module: ",
                "apa-itu-spbe",
                "\n",
                "- ",
                "[",
                "{",
                "}",
                ":",
                "&a ",
                "*a",
                "!!binary ",
                "2024-13-45",
                "---\n",
                "? ",
                "'",
                '"',
                "completion: ",
                "all",
                "cover: ",
                "../",
                "jp: ",
                "-1",
                "\t",
                "#",
            ]
        ),
        st.text(max_size=6),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(course_yaml=_YAMLISH, module=_YAMLISH)
def test_load_course_never_raises(course_yaml: str, module: str):
    with tempfile.TemporaryDirectory() as tmp:
        course_dir = copy_course(Path(tmp))
        write(course_dir / "course.yaml", course_yaml)
        write(course_dir / "modules" / "apa-itu-spbe.md", module)
        course, problems = load_course(course_dir)
    assert course is not None or any(p.level == "error" for p in problems)


@pytest.mark.parametrize(
    ("markdown", "problem"),
    [
        ("[unduh](assets/arsitektur.svg)", None),
        ("[atas](#keamanan-informasi-dasar)", None),
        ("[surel](mailto:admin@example.go.id)", None),
        ("[ftp](ftp://example.org/a)", "tautan 'ftp://example.org/a' tidak diizinkan"),
        ("[situs](www.bssn.go.id)", "(alamat situs diawali https://)"),
        ("[akar](/kursus/lain)", "tautan '/kursus/lain' mengarah ke luar folder kursus"),
        ("![kosong]()", "alamat gambar '' tidak valid"),
        ("![sampul](./assets/sampul.svg)", None),
    ],
)
def test_link_checks(tmp_path: Path, markdown: str, problem: str | None):
    course_dir = copy_course(tmp_path)
    module = course_dir / "modules" / "keamanan-dasar.md"
    module.write_text(module.read_text() + f"\n{markdown}\n")
    _, problems = load_course(course_dir)
    if problem is None:
        assert problems == []
    else:
        assert [(p.line, problem in p.message) for p in problems] == [(11, True)]
