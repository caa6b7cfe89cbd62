"""The import rules of docs/architecture.md, read from the source with `ast`.

- no import circle between files (imports at module level);
- no circle between domain packages except the back edges docs/architecture.md names;
- the core (config, db, …) imports no FastAPI, no Starlette and no domain;
- no file in app/ over 600 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
MAX_LINES = 600

CORE = ("app.config", "app.db", "app.errors", "app.citytime", "app.files")
DOMAINS = {
    "audit", "auth", "bimtek", "certificates", "city", "courses", "home", "opds",
    "notifications", "progress", "quizzes", "reports", "users",
}  # fmt: skip
# Back edges: (lower, upper) where the lower domain imports the upper one for one use
# case. Each is named and justified in docs/architecture.md ("Import circles we keep").
ALLOWED_BACK_EDGES = {
    ("users", "auth"),
    ("users", "progress"),
    ("courses", "progress"),
    ("courses", "quizzes"),
    ("opds", "users"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()
# Parsed when the test module is collected, before any test runs: CPython 3.11's parser
# raises "AST constructor recursion depth mismatch" (a SystemError) when called after
# some earlier test left its recursion counter off, as a run in another order showed.
TREES = {path: ast.parse(path.read_text(), str(path)) for path in MODULES.values()}


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(path: Path, name: str, *, module_level_only: bool) -> set[str]:
    """Every module `name` imports (app modules and third-party top names alike)."""
    tree = TREES[path]
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            skip.update(id(sub) for sub in ast.walk(node))
    if module_level_only:
        candidates = []
        for node in tree.body:
            if isinstance(node, ast.If | ast.Try) and id(node) not in skip:
                candidates.extend(ast.walk(node))
            else:
                candidates.append(node)
    else:
        candidates = list(ast.walk(tree))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in candidates:
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _graph(*, module_level_only: bool) -> dict[str, set[str]]:
    return {
        name: {
            target
            for target in _imports(path, name, module_level_only=module_level_only)
            if target in MODULES and target != name
        }
        for name, path in MODULES.items()
    }


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _domain(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in DOMAINS else None


def _web_layer(name: str) -> bool:
    """Routes, the API and the audit page's sentences sit on top: they may import any
    domain without making the domains depend on each other."""
    last = name.rpartition(".")[2]
    return last.endswith("routes") or last == "api" or name == "app.audit.sentences"


def test_no_import_circle_between_files():
    assert _cycles(_graph(module_level_only=True)) == []


def test_domains_depend_on_each_other_only_along_the_documented_back_edges():
    edges: dict[str, set[str]] = {}
    where: dict[tuple[str, str], str] = {}
    for source, targets in _graph(module_level_only=False).items():
        a = _domain(source)
        if a is None or _web_layer(source):
            continue
        for target in targets:
            b = _domain(target)
            if b is None or b == a or _web_layer(target) or (a, b) in ALLOWED_BACK_EDGES:
                continue
            edges.setdefault(a, set()).add(b)
            where.setdefault((a, b), f"{source} -> {target}")
    cycles = _cycles(edges)
    detail = {tuple(c): [w for (a, b), w in where.items() if a in c and b in c] for c in cycles}
    assert cycles == [], f"new import circle between domains: {detail}"


def test_the_documented_back_edges_exist_and_are_explained():
    text = (ROOT / "docs" / "architecture.md").read_text()
    graph = _graph(module_level_only=False)
    for lower, upper in ALLOWED_BACK_EDGES:
        assert f"**{lower} → {upper}**" in text, (lower, upper)
        used = any(
            _domain(s) == lower and not _web_layer(s) and any(_domain(t) == upper for t in ts)
            for s, ts in graph.items()
        )
        assert used, f"{lower} → {upper} is allowed but no longer used: drop it from the list"


def test_core_knows_no_http_and_no_domain():
    for name in CORE:
        imports = _imports(MODULES[name], name, module_level_only=False)
        offending = {
            i
            for i in imports
            if i.split(".")[0] in {"fastapi", "starlette"} or _domain(i) is not None
        }
        assert not offending, f"{name} imports {sorted(offending)}"


def test_no_file_in_app_is_over_600_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in APP.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
