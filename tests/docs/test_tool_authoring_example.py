"""The worked example in docs/tool-authoring.md runs as it is written there."""

from __future__ import annotations

import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import pegboard

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "tool-authoring.md"


def _example(name: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    found = [b for b in blocks if b.startswith(f"# example: {name}\n")]
    assert len(found) == 1, f"docs/tool-authoring.md has one '# example: {name}' block"
    return found[0]


@pytest.fixture(scope="module")
def quota(tmp_path_factory) -> types.ModuleType:
    folder = tmp_path_factory.mktemp("quota")
    path = folder / "request_quota_example.py"
    path.write_text(_example("request_quota"), encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        import request_quota_example  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(folder))
    return request_quota_example


def _app(make_app, quota, limit=3):
    app = make_app(
        {"/api": {"tools.request_quota.on": True, "tools.request_quota.limit": limit}},
        plugins=[quota],
    )

    @app.route("/api/a")
    def a(req, resp):
        return f"a {quota.remaining_of(req)}"

    @app.route("/api/b")
    def b(req, resp):
        return f"b {quota.remaining_of(req)}"

    app.route("/free", lambda req, resp: f"free {quota.remaining_of(req)}")
    return app


def test_the_quota_counts_across_routes_and_answers_429(make_app, make_client, quota):
    client = make_client(_app(make_app, quota))
    assert client.get("/api/a").text == "a 2"
    assert client.get("/api/b").text == "b 1"
    assert client.get("/free").text == "free None"  # off there: not counted
    assert client.get("/api/a").text == "a 0"
    over = client.get("/api/b")
    assert over.status == 429 and over.headers["Retry-After"] == "60"
    other = make_client(client.app, remote_addr="10.0.0.2")
    assert other.get("/api/a").text == "a 2"  # per client


def test_a_wrong_limit_is_a_config_error_naming_its_key(make_app, quota):
    with pytest.raises(
        pegboard.ConfigError, match=r"\[/api\] tools.request_quota.limit: must be at least 1, not 0"
    ):
        _app(make_app, quota, limit=0).start()


def test_the_example_passes_mypy_strict(tmp_path):
    path = tmp_path / "request_quota_example.py"
    path.write_text(_example("request_quota"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
