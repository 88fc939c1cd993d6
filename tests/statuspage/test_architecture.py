"""The shape of statuspage/ (issue 12): its modules import each other without circles, at module
level only, and no production code fakes a request to render a page."""

import ast
from pathlib import Path

import statuspage

PACKAGE = Path(statuspage.__file__).parent
# Django imports apps.py while it fills the app registry, before models may be imported: code
# that needs models at start-up (signal receivers, task registration) is imported in ready().
FUNCTION_IMPORTS_ALLOWED = {("statuspage.apps", "ready")}


def modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        name = ".".join(("statuspage", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(), filename=str(path))
    return found


def imported(node: ast.AST, known: set[str]) -> set[str]:
    """The statuspage modules an import statement names (``from statuspage import x`` names x)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & known
    if isinstance(node, ast.ImportFrom) and node.module:
        names = {f"{node.module}.{alias.name}" for alias in node.names}
        return (names & known) or ({node.module} & known)
    return set()


def graph() -> dict[str, set[str]]:
    trees = modules()
    known = set(trees)
    return {name: set().union(*(imported(node, known) for node in ast.walk(tree))) - {name}
            for name, tree in trees.items()}


def cycle_from(start: str, edges: dict[str, set[str]]) -> list[str] | None:
    """A path start → … → start, or None."""
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(edges[node]):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_no_import_circles_between_statuspage_modules():
    edges = graph()
    circles = [cycle for name in sorted(edges) if (cycle := cycle_from(name, edges))]
    assert circles == [], " ; ".join(" → ".join(cycle) for cycle in circles)


def test_imports_are_at_module_level():
    found = []
    for name, tree in modules().items():
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if (name, function.name) in FUNCTION_IMPORTS_ALLOWED:
                continue
            found += [f"{name}.{function.name}:{node.lineno}" for node in ast.walk(function)
                      if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert found == []


def test_production_code_builds_no_fake_requests():
    for name, tree in modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("django.test"), name
            if isinstance(node, ast.Import):
                assert not any(alias.name.startswith("django.test") for alias in node.names), name
            if isinstance(node, ast.Name):
                assert node.id != "RequestFactory", name
