"""The http fuzz harnesses (fuzz/harnesses/http_*.py) hold on their seeds and a few hundred mutations.

A short, in-process stand-in for the atheris runs documented in fuzz/: it
keeps the harnesses working, and finds what a quick mutation finds.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest

HARNESSES = Path(__file__).resolve().parents[3] / "fuzz" / "harnesses"
NAMES = sorted(p.stem for p in HARNESSES.glob("http_*.py"))
#: Bytes that matter to these parsers, mixed into the mutations.
ALPHABET = b'0123456789abcdefABCDEF.:[],;="\\ \t_-/@%*\xb2\xb9\xff\x00\n'


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"fuzz_harness_{name}", HARNESSES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mutate(rng: random.Random, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(rng.randint(1, 8)):
        position = rng.randrange(len(data) + 1)
        roll = rng.random()
        if roll < 0.5:
            data[position:position] = bytes([rng.choice(ALPHABET)])
        elif roll < 0.8 and data:
            del data[min(position, len(data) - 1)]
        else:
            data[position:position] = rng.randbytes(rng.randint(1, 4))
    return bytes(data)


def test_there_are_harnesses():
    assert {"http_forwarded", "http_x_forwarded", "http_tools"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_a_short_run(name):
    harness = _load(name)
    assert harness.SEEDS and harness.__doc__
    rng = random.Random(name)
    for seed in harness.SEEDS:
        harness.fuzz_one(seed)
    for _ in range(400):
        harness.fuzz_one(_mutate(rng, rng.choice(harness.SEEDS)))
