"""The examples of docs/any-app/ run as written: Flask, Falcon and a Django project, wrapped.

Each page's blocks whose first line names a file (``# flask_site.py``,
``# mysite/settings.py``, ``# site.toml``) are written to a fresh folder; the
app is imported from there and driven with the test client, checking what
the page says it does. Django runs in a subprocess: its settings are per process.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pegboard.testing import Client

DOCS = Path(__file__).resolve().parents[2] / "docs" / "any-app"
_BLOCK = re.compile(r"^```(?:python|toml)\n# ([\w/.]+)\n(.*?)^```", re.S | re.M)
ADA = {"Authorization": "Basic " + base64.b64encode(b"ada:DEMO-ONLY-password").decode()}


def write_blocks(page: str, folder: Path) -> list[str]:
    """Write the page's named blocks into ``folder``; the names written."""
    names = []
    for name, body in _BLOCK.findall((DOCS / page).read_text()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {name}\n{body}")
        names.append(name)
    return names


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_site(site: Any) -> None:
    """What each page's example promises, whatever the framework."""
    try:
        client = Client(site)
        assert client.get("/").text == "Visit 1"
        second = client.get("/", headers={"Accept-Encoding": "gzip"})
        assert second.text == "Visit 2"  # too short to be worth compressing
        assert second.headers["Vary"] == "Cookie, Accept-Encoding" and second.headers["ETag"]
        assert client.get("/staff/me").status == 401
        assert client.get("/staff/me", headers=ADA).text == "Hello, ada"
        note = client.post("/notes", json={"text": "hi"})
        assert note.status == 201
        assert note.json() == {"note": {"text": "hi"}, "request_id": note.headers["X-Request-Id"]}
        assert (
            client.post("/notes", body=b"{", headers={"Content-Type": "application/json"}).status
            == 400
        )
        first = client.get("/articles/7")
        assert first.text == "Article 7" and first.headers["Cache-Status"].endswith("stored")
        assert client.get("/articles/7").headers["Cache-Status"].startswith("pegboard; hit")
        import pegboard_caching

        assert pegboard_caching.purge_tag(site, "article-7") == 1
        assert client.get("/articles/7").headers["Cache-Status"].endswith("stored")
    finally:
        site.stop()


@pytest.mark.parametrize(
    ("page", "module"), [("flask.md", "flask_site.py"), ("falcon.md", "falcon_site.py")]
)
def test_the_example_runs_as_written(tmp_path: Path, page: str, module: str) -> None:
    assert write_blocks(page, tmp_path) == [module, "site.toml"]
    check_site(_load(tmp_path / module).site)


DJANGO_CHECK = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, ".")
    sys.path.insert(0, {tests!r})
    import django
    from django.core.management import call_command
    from mysite.wsgi import application  # sets DJANGO_SETTINGS_MODULE and sets Django up
    call_command("migrate", verbosity=0, interactive=False)
    from test_any_app import check_site
    check_site(application)
    print("django example ok")
    """
)


def test_the_django_project_runs_as_written(tmp_path: Path) -> None:
    names = write_blocks("django.md", tmp_path)
    assert names == [
        "mysite/settings.py",
        "mysite/urls.py",
        "mysite/wsgi.py",
        "mysite/pegboard.toml",
    ]
    (tmp_path / "mysite" / "__init__.py").write_text("")
    script = DJANGO_CHECK.format(tests=str(Path(__file__).parent))
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "django example ok" in run.stdout


def test_the_environ_keys_table_names_what_the_environ_holds() -> None:
    """Every key docs/any-app.md lists is one a wrapped app really finds (or may set)."""
    import pegboard

    table = (DOCS.parent / "any-app.md").read_text()
    listed = set(re.findall(r"^\| `([A-Za-z_.]+)` \|", table, re.M))
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    config = {
        "/": {
            "tools.sessions.on": True,
            "tools.request_id.on": True,
            "tools.json_in.on": True,
            "tools.auth_basic.on": True,
            "tools.auth_basic.realm": "r",
            "tools.auth_basic.users": {"ada": "DEMO-ONLY-password"},
        }
    }
    site = pegboard.wrap(app, config)
    try:
        Client(site).post("/", json={"a": 1}, headers=ADA)
    finally:
        site.stop()
    set_by_the_app = {"pegboard.http_error"}
    assert listed, "no environ table found"
    assert listed - set_by_the_app <= set(seen), listed - set(seen)
    assert json.loads(seen["wsgi.input"].read()) == {"a": 1} == seen["pegboard.json"]
