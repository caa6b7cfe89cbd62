"""Course folders on disk -> LoadedCourse, with every problem reported as `path:line`.

A course folder is checked as a whole, so an author sees all that is wrong in one run:
course.yaml, every module (front matter, images, links), every quiz, the cover and the
completion rule. When course.yaml is unusable the module and quiz files are still checked.
Nothing here raises on bad input; a course with any error (warnings do not count) is not
loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from app.courses.markdown import LinkTarget, extract_links, resolve_target
from app.courses.schema import (
    SLUG_RE,
    CompletionRule,
    CourseFile,
    CourseItem,
    LoadedCourse,
    LoadedModule,
    LoadedQuiz,
    ModuleFrontMatter,
)
from app.quizzes.loader import load_quiz, quiz_content_hash
from app.sourcefile import (
    Problem,
    SourceError,
    YamlDoc,
    parse_yaml,
    split_front_matter,
    validate,
)

COURSE_FILE = "course.yaml"
MODULE_SUFFIX = ".md"
QUIZ_SUFFIX = ".yaml"
IMAGE_SUFFIXES = frozenset({".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif"})

T = TypeVar("T")
ItemKind = Literal["module", "quiz"]
KIND_NAMES: dict[str, str] = {"module": "modul", "quiz": "kuis"}  # for authors' messages


@dataclass(frozen=True)
class _Entry:
    """An item of course.yaml, or (when course.yaml is unusable) a file found on disk."""

    kind: ItemKind
    slug: str
    line: int


@dataclass
class _Folder:
    """One course folder being checked: where it is, how to show paths, what went wrong."""

    root: Path
    display_root: Path | None
    problems: list[Problem] = field(default_factory=list)

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def show(self, path: Path) -> str:
        if self.display_root is not None:
            try:
                return path.relative_to(self.display_root.parent).as_posix()
            except ValueError:
                pass
        return path.as_posix()

    def add(self, path: Path, line: int, message: str, level: str = "error") -> None:
        self.problems.append(Problem(self.show(path), line, message, level))

    def read_text(self, path: Path) -> tuple[bytes, str] | None:
        """File bytes (for hashing) and text; None (and a problem) if unreadable."""
        try:
            raw = path.read_bytes()
        except OSError as exc:
            self.add(path, 1, f"berkas tidak dapat dibaca: {exc.strerror or exc}")
            return None
        try:
            # utf-8-sig: editors on Windows like to start files with a byte-order mark.
            return raw, raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            self.add(path, 1, "berkas bukan UTF-8")
            return None

    def parse(self, path: Path, line_offset: int, parse: Callable[[], T]) -> T | None:
        """Run a YAML parse; turn any way it can fail into a problem."""
        try:
            return parse()
        except SourceError as exc:
            self.problems.append(exc.problem)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = (mark.line + 1 if mark else 1) + line_offset
            self.add(path, line, f"YAML tidak valid: {exc.problem or exc}")
        except (yaml.YAMLError, ValueError) as exc:
            self.add(path, 1 + line_offset, f"YAML tidak valid: {exc}")
        except RecursionError:
            self.add(path, 1 + line_offset, "YAML tidak valid: struktur bersarang terlalu dalam")
        return None

    @property
    def has_errors(self) -> bool:
        return any(problem.level == "error" for problem in self.problems)


def load_course(
    course_dir: Path, display_root: Path | None = None
) -> tuple[LoadedCourse | None, list[Problem]]:
    """Check one course folder; return the course (None if there is any error) and problems.

    Paths in problems are shown relative to `display_root.parent` (so passing the
    `courses/` folder gives `courses/<slug>/...`), otherwise as given.
    """
    folder = _Folder(course_dir, display_root)
    yaml_path = folder.path(COURSE_FILE)
    if not course_dir.is_dir():
        folder.add(course_dir, 1, "folder kursus tidak ditemukan")
        return None, folder.problems
    if not SLUG_RE.match(course_dir.name):
        folder.add(
            yaml_path,
            1,
            f"nama folder '{course_dir.name}' bukan slug yang valid "
            "(huruf kecil, angka, tanda hubung; mis. 'orientasi-digital-cpns')",
        )
    course_bytes, doc = _read_course_yaml(folder, yaml_path)
    spec = None
    if doc is None:
        entries = _entries_on_disk(folder)
    else:
        spec, problems = validate(CourseFile, doc)
        folder.problems += problems
        entries = _listed_entries(folder, doc, spec)
        _warn_unlisted(folder, entries)
    module_slugs = frozenset(entry.slug for entry in entries if entry.kind == "module")
    assets = _collect_assets(course_dir)
    items = [_load_item(folder, entry, module_slugs, assets) for entry in entries]
    cover = _check_cover(folder, doc, yaml_path)
    required = _required(folder, doc, spec, entries, yaml_path)
    prerequisites = _prerequisites(folder, doc, spec, yaml_path)

    problems = sorted(set(folder.problems))
    if spec is None or folder.has_errors or required is None:
        return None, problems
    loaded = [
        replace(item, requires=prerequisites.get(item.slug, ()))
        if isinstance(item, LoadedQuiz)
        else item
        for item in items
        if item is not None
    ]
    course = LoadedCourse(
        slug=course_dir.name,
        title=spec.title,
        summary=spec.summary,
        audience=spec.audience,
        jp=spec.jp,
        jp_category=spec.jp_category,
        cover=cover,
        enrolment=spec.enrolment,
        items=tuple(loaded),
        required_modules=required[0],
        required_quizzes=required[1],
        content_hash=_course_hash(course_bytes, loaded),
        assets=assets | ({cover} if cover else set()),
        assign=spec.assign,
    )
    return course, problems


def load_catalogue(root: Path) -> tuple[dict[str, LoadedCourse], list[Problem]]:
    """Check every course folder under `root` (skipping names starting with `.` or `_`).

    Returns the courses that loaded, by slug, and the problems of all folders.
    """
    folders = _course_folders(root)
    if folders is None:
        return {}, [Problem(_Folder(root, root).show(root), 1, "folder kursus tidak ditemukan")]
    courses: dict[str, LoadedCourse] = {}
    problems: list[Problem] = []
    for course_dir in folders:
        course, course_problems = load_course(course_dir, display_root=root)
        problems += course_problems
        if course is not None:
            courses[course.slug] = course
    problems += _duplicate_titles(courses, root)
    return courses, problems


def _course_folders(root: Path) -> list[Path] | None:
    try:
        children = sorted(root.iterdir())
    except OSError:
        return None
    return [c for c in children if c.is_dir() and not c.name.startswith((".", "_"))]


def _duplicate_titles(courses: dict[str, LoadedCourse], root: Path) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for slug, course in sorted(courses.items()):
        key = " ".join(course.title.casefold().split())
        if key not in seen:
            seen[key] = slug
            continue
        folder = _Folder(root / slug, root)
        yaml_path = folder.path(COURSE_FILE)
        _, doc = _read_course_yaml(folder, yaml_path)
        line = doc.line_of(("title",)) if doc is not None else 1
        message = f"judul '{course.title}' sama dengan judul kursus '{seen[key]}'"
        problems.append(Problem(folder.show(yaml_path), line, message, "warning"))
    return problems


# --- course.yaml ---------------------------------------------------------------------------


def _read_course_yaml(folder: _Folder, path: Path) -> tuple[bytes, YamlDoc | None]:
    if not path.is_file():
        folder.add(path, 1, f"{COURSE_FILE} tidak ditemukan di folder kursus")
        return b"", None
    read = folder.read_text(path)
    if read is None:
        return b"", None
    raw, text = read
    return raw, folder.parse(path, 0, lambda: parse_yaml(text, folder.show(path)))


def _salvage(model: type[BaseModel], data: Any) -> Any:
    """Validate quietly: the full validation has already reported what is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def _raw_value(doc: YamlDoc | None, key: str) -> Any:
    return doc.data.get(key) if doc is not None and isinstance(doc.data, dict) else None


def _listed_entries(folder: _Folder, doc: YamlDoc, spec: CourseFile | None) -> list[_Entry]:
    """The items of course.yaml, in order; duplicates are reported and skipped."""
    if spec is not None:
        listed: Iterable[tuple[int, CourseItem | None]] = enumerate(spec.items)
    else:
        raw = _raw_value(doc, "items")
        raw_items = raw if isinstance(raw, list) else []
        listed = ((i, _salvage(CourseItem, item)) for i, item in enumerate(raw_items))
    entries: list[_Entry] = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in listed:
        if item is None:
            continue
        line = doc.line_of(("items", index))
        key = (item.kind, item.slug)
        if key in seen:
            folder.add(
                folder.path(COURSE_FILE),
                line,
                f"{KIND_NAMES[item.kind]} '{item.slug}' sudah tercantum di items "
                f"(baris {seen[key]})",
            )
            continue
        seen[key] = line
        entries.append(_Entry(item.kind, item.slug, line))
    return entries


def _entries_on_disk(folder: _Folder) -> list[_Entry]:
    """Every module and quiz file, so their problems show even when course.yaml is broken."""
    modules = [_Entry("module", p.stem, 0) for p in _files(folder.path("modules"), MODULE_SUFFIX)]
    quizzes = [_Entry("quiz", p.stem, 0) for p in _files(folder.path("quizzes"), QUIZ_SUFFIX)]
    return modules + quizzes


def _files(directory: Path, suffix: str) -> list[Path]:
    return [p for p in _listing(directory) if p.is_file() and p.suffix == suffix]


def _listing(directory: Path) -> list[Path]:
    """Visible entries of a directory, sorted; empty when it is missing or unreadable."""
    try:
        return sorted(p for p in directory.iterdir() if not p.name.startswith("."))
    except OSError:
        return []


def _warn_unlisted(folder: _Folder, entries: list[_Entry]) -> None:
    if not entries:
        return  # items missing or invalid: already an error, every file would be "unlisted"
    listed = {(entry.kind, entry.slug) for entry in entries}
    for kind, directory, suffix in (
        ("module", "modules", MODULE_SUFFIX),
        ("quiz", "quizzes", QUIZ_SUFFIX),
    ):
        for path in _listing(folder.path(directory)):
            if path.is_file() and path.suffix == suffix and (kind, path.stem) in listed:
                continue
            folder.add(
                path, 1, f"tidak tercantum di items {COURSE_FILE}; berkas ini diabaikan", "warning"
            )


def _check_cover(folder: _Folder, doc: YamlDoc | None, yaml_path: Path) -> str | None:
    cover = _raw_value(doc, "cover")
    if doc is None or not isinstance(cover, str) or not cover.strip():
        return None
    line = doc.line_of(("cover",))
    target = resolve_target(cover.strip())
    if target.kind not in ("asset", "module"):
        folder.add(yaml_path, line, f"sampul '{cover}' harus berkas di dalam folder kursus")
        return None
    if target.path not in _collect_files(folder.root, target.path):
        folder.add(yaml_path, line, f"berkas sampul '{cover}' tidak ditemukan")
        return None
    if Path(target.path).suffix.lower() not in IMAGE_SUFFIXES:
        allowed = ", ".join(sorted(IMAGE_SUFFIXES))
        folder.add(yaml_path, line, f"sampul '{cover}' harus berupa gambar ({allowed})")
        return None
    return target.path


def _prerequisites(
    folder: _Folder, doc: YamlDoc | None, spec: CourseFile | None, yaml_path: Path
) -> dict[str, tuple[str, ...]]:
    """Each quiz's resolved `requires`: quiz slug -> ("module:slug" | "quiz:slug", ...)."""
    if spec is None or doc is None:
        return {}
    order = [(item.kind, item.slug) for item in spec.items]
    resolved: dict[str, tuple[str, ...]] = {}
    for index, item in enumerate(spec.items):
        if item.requires is None:
            continue
        if item.requires == "modules":
            keys = [f"module:{slug}" for kind, slug in order if kind == "module"]
        elif item.requires == "previous":
            keys = [f"{kind}:{slug}" for kind, slug in order[:index]]
        else:
            keys = []
            for position, slug in enumerate(item.requires):
                line = doc.line_of(("items", index, "requires", position))
                kinds = [kind for kind, listed in order if listed == slug]
                if not kinds:
                    folder.add(yaml_path, line, f"requires: '{slug}' bukan item kursus ini")
                elif slug == item.slug and kinds == ["quiz"]:
                    folder.add(yaml_path, line, "requires: kuis tidak dapat mensyaratkan dirinya")
                elif len(kinds) > 1:
                    folder.add(
                        yaml_path, line, f"requires: '{slug}' adalah nama modul dan kuis sekaligus"
                    )
                else:
                    keys.append(f"{kinds[0]}:{slug}")
        resolved[item.slug] = tuple(
            key for key in dict.fromkeys(keys) if key != f"quiz:{item.slug}"
        )
    return resolved


def _required(
    folder: _Folder,
    doc: YamlDoc | None,
    spec: CourseFile | None,
    entries: list[_Entry],
    yaml_path: Path,
) -> tuple[frozenset[str], frozenset[str]] | None:
    """Module and quiz slugs a learner must finish; None when the rule cannot be resolved."""
    if doc is None:
        return None
    rule = (
        spec.completion
        if spec is not None
        else _salvage(CompletionRule, _raw_value(doc, "completion") or {})
    )
    if rule is None:
        return None
    required = []
    for kind, key, chosen in (
        ("module", "modules", rule.modules),
        ("quiz", "quizzes", rule.quizzes),
    ):
        available = [entry.slug for entry in entries if entry.kind == kind]
        if chosen is None:
            required.append(frozenset(available))
            continue
        for index, slug in enumerate(chosen):
            if slug not in available:
                line = doc.line_of(("completion", key, index))
                message = f"completion.{key}: '{slug}' bukan {KIND_NAMES[kind]} di items"
                folder.add(yaml_path, line, message)
        required.append(frozenset(chosen))
    if not required[0] and not required[1]:
        line = doc.line_of(("completion",))
        folder.add(
            yaml_path, line, "completion tidak mensyaratkan modul atau kuis apa pun", "warning"
        )
    return required[0], required[1]


# --- modules, quizzes, assets --------------------------------------------------------------


def _load_item(
    folder: _Folder, entry: _Entry, module_slugs: frozenset[str], assets: frozenset[str]
) -> LoadedModule | LoadedQuiz | None:
    if entry.kind == "module":
        path = folder.path("modules", entry.slug + MODULE_SUFFIX)
    else:
        path = folder.path("quizzes", entry.slug + QUIZ_SUFFIX)
    if not path.is_file():
        where = path.relative_to(folder.root).as_posix()
        name = KIND_NAMES[entry.kind]
        message = f"{name} '{entry.slug}' tercantum di items tetapi berkas {where} tidak ada"
        folder.add(folder.path(COURSE_FILE), entry.line, message)
        return None
    if entry.kind == "module":
        return _load_module(folder, path, entry.slug, module_slugs, assets)
    return _load_quiz(folder, path, entry.slug)


def _load_module(
    folder: _Folder, path: Path, slug: str, module_slugs: frozenset[str], assets: frozenset[str]
) -> LoadedModule | None:
    read = folder.read_text(path)
    if read is None:
        return None
    raw, text = read
    shown = folder.show(path)
    # Front matter starts on line 2, after the opening '---'.
    document = folder.parse(path, 1, lambda: split_front_matter(text, shown))
    if document is None:
        return None
    meta, problems = validate(ModuleFrontMatter, document.meta)
    folder.problems += problems
    if not document.body.strip():
        folder.add(path, document.body_line, "isi modul kosong", "warning")
    for line, message, level in _link_problems(document.body, module_slugs, assets):
        folder.add(path, document.body_line + line - 1, message, level)
    if meta is None:
        return None
    return LoadedModule(
        slug=slug,
        title=meta.title,
        minutes=meta.minutes,
        body=document.body,
        body_line=document.body_line,
        content_hash=hashlib.sha256(raw).hexdigest(),
        source=shown,
    )


def _load_quiz(folder: _Folder, path: Path, slug: str) -> LoadedQuiz | None:
    result = folder.parse(path, 0, lambda: load_quiz(path, folder.show(path)))
    if result is None:
        return None
    quiz, problems = result
    folder.problems += problems
    if quiz is None:
        return None
    return LoadedQuiz(slug=slug, quiz=quiz, content_hash=quiz_content_hash(path))


def _collect_assets(course_dir: Path) -> frozenset[str]:
    """Course-relative paths of the files under assets/ (hidden files and links out excluded)."""
    return _collect_files(course_dir, "assets")


def _collect_files(course_dir: Path, relative: str) -> frozenset[str]:
    """Course-relative paths of the file or files at `relative` that stay inside the course."""
    try:
        root = course_dir.resolve()
        start = course_dir / relative
        candidates = [start] if start.is_file() else list(start.rglob("*"))
        found = set()
        for path in candidates:
            inner = path.relative_to(course_dir)
            hidden = any(part.startswith(".") for part in inner.parts)
            if path.is_file() and not hidden and path.resolve().is_relative_to(root):
                found.add(inner.as_posix())
        return frozenset(found)
    except OSError:
        return frozenset()


def _link_problems(
    body: str, module_slugs: frozenset[str], assets: frozenset[str]
) -> list[tuple[int, str, str]]:
    """(line in body, message, level) for every image or link that will not work."""
    found = []
    for kind, target, line in extract_links(body):
        resolved = resolve_target(target)
        if kind == "image":
            issue = _image_issue(target, resolved, assets)
        else:
            issue = _link_issue(target, resolved, module_slugs, assets)
        if issue is not None:
            found.append((line, *issue))
    return found


def _image_issue(
    target: str, resolved: LinkTarget, assets: frozenset[str]
) -> tuple[str, str] | None:
    if resolved.kind == "data":
        return None
    if resolved.kind == "external":
        return f"gambar '{target}' diambil dari situs lain; simpan di assets/", "warning"
    if resolved.kind == "outside":
        return f"gambar '{target}' berada di luar folder kursus", "error"
    if resolved.kind in ("asset", "module"):
        if resolved.path in assets:
            return None
        return f"gambar '{target}' tidak ditemukan di assets/ kursus ini", "error"
    return f"alamat gambar '{target}' tidak valid", "error"


def _link_issue(
    target: str, resolved: LinkTarget, module_slugs: frozenset[str], assets: frozenset[str]
) -> tuple[str, str] | None:
    if resolved.kind in ("anchor", "external"):
        return None
    if resolved.kind == "module":
        if resolved.module in module_slugs:
            return None
        hint = ""
        stem = Path(resolved.path).stem
        if resolved.module is None and stem in module_slugs:
            hint = f" (tulis nama berkasnya saja: '{stem}.md')"
        return f"tautan ke '{target}' bukan modul kursus ini{hint}", "error"
    if resolved.kind == "outside":
        return f"tautan '{target}' mengarah ke luar folder kursus", "error"
    if resolved.kind == "asset":
        if resolved.path in assets:
            return None
        hint = " (alamat situs diawali https://)" if target.startswith("www.") else ""
        return f"berkas '{target}' tidak ditemukan di assets/ kursus ini{hint}", "error"
    return f"tautan '{target}' tidak diizinkan (gunakan http, https, mailto, atau tel)", "error"


def _course_hash(course_yaml: bytes, items: list[LoadedModule | LoadedQuiz]) -> str:
    """sha256 of course.yaml and each item's hash in order: any edit makes a new version."""
    digest = hashlib.sha256(course_yaml)
    for item in items:
        kind = "module" if isinstance(item, LoadedModule) else "quiz"
        digest.update(f"\n{kind}:{item.slug}:{item.content_hash}".encode())
    return digest.hexdigest()
