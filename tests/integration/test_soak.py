"""The short soak CI runs: the example site on Redis and PostgreSQL sessions while the stores are
killed and restarted and hostile clients misbehave (bench/soak.py; docs/reliability.md has the
long run's figures)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pegboard.testing.backend_fixtures import unavailable
from pegboard.testing.backends import find_binary, postgres_bindir

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_soak_loses_no_session_update_and_answers_no_unintended_5xx(tmp_path):
    if find_binary("redis-server") is None or postgres_bindir() is None:
        unavailable("the soak needs redis-server and PostgreSQL")
    figures = tmp_path / "soak.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "soak.py"),
            "--seconds",
            "24",
            "--clients",
            "3",
            "--period",
            "8",
            "--check",
            "--json",
            str(figures),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(figures.read_text())
    kills = [event for event in result["events"] if "killed" in event]
    assert len(kills) >= 2, result["events"]  # both stores died at least once
    for name, site in result["sites"].items():
        assert site["requests"] > 200, name
        assert site["unexpected_count"] == 0, (name, site["unexpected"])
        assert site["lost_session_updates"] == 0, name
        assert site["session_updates_checked"] > 50, name
        assert site["recovery_seconds"], f"{name}: the store came back and sessions worked again"
