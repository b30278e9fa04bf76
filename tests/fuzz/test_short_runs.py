"""The fuzz harnesses in fuzz/harnesses/, run briefly so that CI exercises every one.

Each harness first gets its seeds and a few hundred pseudo-random mutations
in-process (a quick check that it runs and finds nothing), then all of them
run under atheris together for a few seconds, as ``fuzz/run.py`` runs them.
The long runs and their figures are in fuzz/README.md.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("fuzz_run", ROOT / "fuzz" / "run.py")
assert _spec is not None and _spec.loader is not None
fuzz_run = importlib.util.module_from_spec(_spec)
sys.modules["fuzz_run"] = fuzz_run
_spec.loader.exec_module(fuzz_run)

NAMES = fuzz_run.harness_names()


def test_every_parser_of_httputil_has_a_harness():
    expected = {
        "accept",
        "accept_charset",
        "accept_encoding",
        "accept_language",
        "authorization",
        "cache_control",
        "conditions",
        "entity_tags",
        "fields",
        "http_date",
        "media_type",
        "range",
    }
    assert expected <= set(NAMES)


def _mutations(seed: bytes, rng: random.Random, count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 6)):
            choice = rng.random()
            position = rng.randint(0, len(data))
            if choice < 0.4 and data:
                data[min(position, len(data) - 1)] = rng.randint(0, 255)
            elif choice < 0.7:
                data[position:position] = bytes([rng.choice(b'",;=*/\\ -0123456789qW\x00\xff')])
            elif data:
                del data[min(position, len(data) - 1)]
        out.append(bytes(data))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_harness_runs_its_seeds_and_mutations(name):
    harness = fuzz_run.load_harness(name)
    assert (harness.__doc__ or "").strip(), "a harness says what it checks"
    seeds = list(getattr(harness, "SEEDS", []))
    assert seeds, "a harness gives the fuzzer a few seeds to start from"
    rng = random.Random(name)
    inputs = [b"", *seeds]
    for seed in seeds:
        inputs += _mutations(seed, rng, 60)
    inputs += [rng.randbytes(rng.randint(0, 200)) for _ in range(200)]
    for data in inputs:
        harness.fuzz_one(data)


def test_all_harnesses_under_atheris_for_a_few_seconds(tmp_path):
    summary = fuzz_run.run(NAMES, seconds=3, workdir=tmp_path, together=True, quiet=True)
    assert summary.status == 0, summary.output[-4000:]
    assert summary.findings == []
    assert summary.executions > 100
    counts = json.loads((tmp_path / "together-counts.json").read_text())
    assert set(counts) == set(NAMES)  # every harness got inputs
