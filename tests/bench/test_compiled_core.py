"""bench/servers/compiled_core.py: its rewrites still match the core they copy."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from types import ModuleType

from pegboard.plans import Plan

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core" / "src" / "pegboard"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "compiled_core", ROOT / "bench" / "servers" / "compiled_core.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_response_copy_builds_its_headers_with_the_constructor() -> None:
    text = _script()._rewrite("response", (CORE / "response.py").read_text())
    ast.parse(text)
    assert "_new_headers(ResponseHeaders)" not in text
    assert "self.headers = ResponseHeaders()" in text


def test_the_plans_copy_names_the_same_slots_as_the_class() -> None:
    text = _script()._rewrite("plans", (CORE / "plans.py").read_text())
    tree = ast.parse(text)
    shared = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "_SHARED_SLOTS" for t in node.targets)
    )
    assert "Plan.__slots__" not in ast.unparse(shared)
    names = ast.literal_eval(shared.args[0].generators[0].iter)
    assert names == Plan.__slots__
