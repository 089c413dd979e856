"""The import structure of bnncore and theory, read from the source with ``ast``.

Rules (docs/architecture.md, "Dependencies"):
- no import cycle between modules (imports inside functions count: a lazy import only
  hides a cycle);
- ``bnncore.kernels`` imports nothing of bnncore but the validation helpers;
- ``bnncore.layers`` imports no optimizer and no method (optim, gft, fsg, training loops);
- ``bnncore`` never imports ``theory`` (theory is built on bnncore, not the reverse);
- no package exports a name that is also one of its modules (a function that shadows
  its module makes ``import pkg.name`` and ``pkg.name`` two different things).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bnncore", "theory")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of the project that ``name`` imports, resolved to module names."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                drop = node.level - 1 if is_package else node.level
                base = base[:len(base) - drop] if drop else base
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # `from pkg import mod` imports the module pkg.mod; `from mod import f`, mod
            targets = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in known else stem
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:      # `import a.b.c` of a non-module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _violations(graph, source_prefix: str, allowed) -> list[str]:
    return sorted(f"{src} imports {dst}" for src, dsts in graph.items()
                  if src == source_prefix or src.startswith(source_prefix + ".")
                  for dst in dsts if not allowed(dst))


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


GRAPH = _graph()


def test_the_graph_sees_the_project():
    assert {"bnncore", "bnncore.train", "bnncore.kernels", "theory"} <= set(GRAPH)
    assert "bnncore.params" in GRAPH["bnncore.flips"]         # a relative import resolved


def test_no_import_cycles():
    cycles = _cycles(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_kernels_import_only_validation_helpers():
    bad = _violations(GRAPH, "bnncore.kernels", lambda d: _inside(d, "bnncore.kernels")
                      or d == "bnncore._validation")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("forbidden", ["bnncore.optim", "bnncore.gft", "bnncore.fsg",
                                       "bnncore.train", "bnncore.compare", "bnncore.cli"])
def test_layers_know_no_optimizer_and_no_method(forbidden):
    bad = _violations(GRAPH, "bnncore.layers", lambda d: not _inside(d, forbidden))
    assert not bad, "\n".join(bad)


def test_bnncore_never_imports_theory():
    bad = _violations(GRAPH, "bnncore", lambda d: not _inside(d, "theory"))
    assert not bad, "\n".join(bad)


def test_no_package_exports_a_name_of_its_own_modules():
    modules = _modules()
    bad = []
    for name, path in modules.items():
        if path.name != "__init__.py":
            continue
        for node in ast.parse(path.read_text()).body:
            names = []
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                names = [(a.asname or a.name, f"{node.module}.{a.name}") for a in node.names]
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names = [(node.name, "a definition")]
            elif isinstance(node, ast.Assign):
                names = [(n.id, "an assignment") for t in node.targets for n in ast.walk(t)
                         if isinstance(n, ast.Name)]
            bad += [f"{name}.{exported} is both a module and {what}" for exported, what in names
                    if f"{name}.{exported}" in modules]
    assert not bad, "\n".join(bad)
