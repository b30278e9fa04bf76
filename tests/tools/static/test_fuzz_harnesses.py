"""The static harnesses of fuzz/ on their seeds and on a fixed sequence of mutations.

The short run of issue 14's fuzzing: libFuzzer runs are documented in each
harness; this replays the same invariants on every test run.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[3] / "fuzz"
HARNESSES = ["harness_static_headers", "harness_static_paths", "harness_content_disposition"]


def load(name: str):
    if str(FUZZ) not in sys.path:
        sys.path.insert(0, str(FUZZ))
    spec = importlib.util.spec_from_file_location(name, FUZZ / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", HARNESSES)
def test_harness(name):
    harness = load(name)
    fuzz_input = sys.modules["fuzz_input"]
    fuzz_input.replay(harness.test_one_input, harness.SEEDS, 1500)
