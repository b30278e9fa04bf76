"""The layering rules, read from the source: what tools may import and touch, and no cycles.

- A tool package imports only public names of ``pegboard`` (``pegboard.__all__``
  and the public modules ``pegboard.httputil`` and ``pegboard.testing``).
- A tool package never imports another tool package.
- A tool package never reads or writes a private attribute of the core.
- Neither the core nor any tool package has an import cycle among its modules
  (imports under ``if TYPE_CHECKING:`` excepted: they never run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import pegboard

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core" / "src" / "pegboard"
PUBLIC_MODULES = {"pegboard", "pegboard.httputil", "pegboard.testing"}
PACKAGES = sorted([*ROOT.glob("tools/*/src/pegboard_*"), *ROOT.glob("examples/*/src/pegboard_*")])


def _modules(package: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                yield child
                yield from _runtime_nodes(child)
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(module: str, path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for each runtime import."""
    is_package = path.name == "__init__.py"
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, [a.name for a in node.names], node.lineno


def _core_private_names() -> set[str]:
    names: set[str] = set()
    for _, path in _modules(CORE):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
                names.add(node.attr)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name.startswith("_"):
                names.add(node.name)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith("_")
                and node.value.isidentifier()
            ):
                names.add(node.value)  # __slots__ entries
    return {n for n in names if not (n.startswith("__") and n.endswith("__"))}


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_tools_import_only_public_names_of_pegboard(package):
    public = set(pegboard.__all__)
    problems = []
    for module, path in _modules(package):
        for target, names, line in _imports(module, path):
            where = f"{path.relative_to(ROOT)}:{line}"
            if target == "pegboard":
                problems += [
                    f"{where}: pegboard.{n} is not public" for n in names if n not in public
                ]
                problems += [
                    f"{where}: pegboard.{n} is a private module"
                    for n in names
                    if n not in public and f"pegboard.{n}" not in PUBLIC_MODULES
                ]
            elif target.startswith("pegboard.") and not any(
                target == m or target.startswith(m + ".") for m in PUBLIC_MODULES - {"pegboard"}
            ):
                problems.append(f"{where}: imports {target}, a private module of the core")
    assert not problems, "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_no_tool_imports_another_tool(package):
    own = package.name
    problems = []
    for module, path in _modules(package):
        for target, _, line in _imports(module, path):
            top = target.split(".")[0]
            if top.startswith("pegboard_") and top != own:
                problems.append(f"{path.relative_to(ROOT)}:{line}: imports {target}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_no_tool_touches_a_private_attribute_of_the_core(package):
    private = _core_private_names()
    problems = []
    for _, path in _modules(package):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        own = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "setattr", "hasattr")
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in private
            ):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.args[1].value}")
                continue
            if not isinstance(node, ast.Attribute) or node.attr not in private:
                continue
            receiver = node.value
            if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
                continue
            if node.attr in own:
                continue  # the package's own helper of the same name
            problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    assert not problems, "private attributes of the core used:\n" + "\n".join(problems)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _graph(package: Path) -> dict[str, set[str]]:
    modules = dict(_modules(package))
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for target, names, _ in _imports(module, path):
            for candidate in [target, *(f"{target}.{n}" for n in names)]:
                # importing a submodule runs its package's __init__ first, which is
                # not a dependency of the package's own modules on each other
                if (
                    candidate in modules
                    and candidate != module
                    and not module.startswith(candidate + ".")
                ):
                    graph[module].add(candidate)
    return graph


@pytest.mark.parametrize("package", [CORE, *PACKAGES], ids=lambda p: p.name)
def test_no_import_cycle(package):
    cycle = _cycle(_graph(package))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_checks_see_a_violation():
    """The rules above would catch a cycle and a private import (they are not vacuous)."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert "_items" in _core_private_names()
    found = [target for target, _, _ in _imports("pegboard_x.answers", PACKAGES[0] / "__init__.py")]
    assert all(not t.startswith("pegboard.") or t in PUBLIC_MODULES for t in found)
    tree_imports = list(
        _imports("pegboard_x.mod", CORE / "app.py")  # any file: relative imports resolve
    )
    assert any(target == "pegboard_x.compiler" for target, _, _ in tree_imports)
