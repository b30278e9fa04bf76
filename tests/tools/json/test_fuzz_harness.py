"""The short run of ``fuzz/harness_json_body.py`` that CI does: its seeds and random inputs.

The long run is atheris (``uv run python fuzz/harness_json_body.py CORPUS -max_total_time=300``);
this replays the same ``test_one_input`` so that the harness cannot rot and
whatever it checks holds on every commit.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

FUZZ = Path(__file__).resolve().parents[3] / "fuzz"


def _harness():
    sys.path.insert(0, str(FUZZ))
    try:
        spec = importlib.util.spec_from_file_location(
            "harness_json_body", FUZZ / "harness_json_body.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(FUZZ))


def test_seeds_and_random_inputs():
    harness = _harness()
    for seed in harness.SEEDS:
        harness.test_one_input(seed)
    rng = random.Random(14)
    for _ in range(1500):
        harness.test_one_input(rng.randbytes(rng.randrange(0, 160)))
