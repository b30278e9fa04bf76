"""The pegboard command: tools, routes, check, new-tool (serve is in test_serve_cli.py)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pegboard.cli import main

ROOT = Path(__file__).resolve().parents[2]

APP = """
import pegboard
app = pegboard.App({"/": {"tools.response_time.on": True}, "/api": {"request.max_body_size": 99}})

@app.route("/hello/{name}")
def hello(req, resp, name):
    return name

class Items:
    def on_get(self, req, resp, id):
        return str(id)

app.route("/api/items/{id:int}", Items())
"""


@pytest.fixture
def app_file(tmp_path):
    path = tmp_path / "myapp.py"
    path.write_text(APP)
    return path


def test_tools_lists_installed_tools_with_options(capsys):
    assert main(["tools"]) == 0
    out = capsys.readouterr().out
    assert "response_time  (pegboard-response-time 0.1.0)" in out
    assert "hookpoints: on_start_resource, before_finalize; priority 90 at before_finalize" in out
    assert "header: str (default 'X-Response-Time')" in out


def test_routes_prints_each_plan(app_file, capsys):
    assert main(["routes", str(app_file)]) == 0
    out = capsys.readouterr().out
    assert "/hello/{name}  [*]  -> myapp.hello" in out
    assert "/api/items/{id:int}  [GET, HEAD, OPTIONS]  -> myapp.Items" in out
    assert "before_finalize         90 tools.response_time: pegboard_response_time._report" in out
    assert "max_body_size=99" in out


def test_check_accepts_good_and_names_bad_config(tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text('["/"]\ntools.response_time.on = true\n')
    assert main(["check", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text('["/x"]\ntools.response_time.heder = "X"\n')
    assert main(["check", str(bad)]) == 2  # a config mistake: status 2 (DESIGN §8)
    err = capsys.readouterr().err
    assert (
        "[/x] tools.response_time.heder: tool 'response_time' has no option 'heder'; did you mean 'header'?"
        in err
    )


def test_check_with_an_app_validates_route_config(tmp_path, app_file, capsys):
    cfg = tmp_path / "ok.ini"
    cfg.write_text("[/]\ntools.response_time.precision = 2\n")
    assert main(["check", str(cfg), "--app", f"{app_file}:app"]) == 0


def test_pegboard_command_runs_as_a_program(app_file):
    exe = Path(sys.executable).with_name("pegboard")
    out = subprocess.run(
        [str(exe), "routes", str(app_file)], capture_output=True, text=True, check=True
    )
    assert "/hello/{name}" in out.stdout


def test_new_tool_scaffold_passes_its_own_tests(tmp_path):
    """Generate a package, install it with the core into a fresh venv, run its tests."""
    assert main(["new-tool", "request_stamp", "--dir", str(tmp_path)]) == 0
    package = tmp_path / "pegboard-request-stamp"
    assert (package / "pyproject.toml").is_file()
    uv = shutil.which("uv")
    assert uv, "uv is required to build and install packages in this test"
    venv = tmp_path / "venv"
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(
        [uv, "pip", "install", "--quiet", str(ROOT / "core"), f"{package}[test]"],
        check=True,
        env=env,
        capture_output=True,
    )
    result = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(package / "tests"),
        ],
        capture_output=True,
        text=True,
        cwd=package,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    # The typed form passes mypy --strict without a single ignore.
    source = package / "src" / "pegboard_request_stamp"
    assert "type: ignore" not in (source / "__init__.py").read_text()
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(source)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_new_tool_refuses_bad_names(tmp_path, capsys):
    assert main(["new-tool", "Bad-Name", "--dir", str(tmp_path)]) == 2
    assert "lower-case" in capsys.readouterr().err
